import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TypeKind } from '../storage/schema/v10.js'
import { type AccessFixture, openAccessFixture } from './access.test-support.js'
import {
  findSimpleTypeId,
  findTypeByNameAndVersion,
  findTypesByExternalIds,
  findTypesByIds,
  findTypesByKind,
  insertParentType,
  insertType,
  insertTypeProperties,
  insertTypeProperty,
  updateTypeExternalId,
} from './type-access.js'

let db: AccessFixture
beforeEach(() => {
  db = openAccessFixture()
})
afterEach(() => db.source.close())

describe('type-access', () => {
  it('inserts a type with properties and reads it by id, name and version, kind and external id', () => {
    const id = db.run((tx) =>
      insertType(tx, {
        name: 'Trainer',
        kind: TypeKind.EXECUTION,
        version: 'v1',
        description: 'trains',
        external_id: 'ext',
        input_type: { any: {} },
        properties: { lr: 2 },
      }),
    )
    db.run((tx) => insertTypeProperty(tx, id, 'epochs', 1))
    const expected = {
      id,
      name: 'Trainer',
      kind: TypeKind.EXECUTION,
      version: 'v1',
      description: 'trains',
      external_id: 'ext',
      input_type: { any: {} },
      properties: { lr: 2, epochs: 1 },
    }
    expect(db.run((tx) => findTypesByIds(tx, TypeKind.EXECUTION, [id, id]), 'read')).toEqual([
      expected,
      expected,
    ])
    expect(db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')).toEqual([])
    expect(db.run((tx) => findTypeByNameAndVersion(tx, TypeKind.EXECUTION, 'Trainer', 'v1'), 'read')).toEqual(
      expected,
    )
    expect(
      db.run((tx) => findTypeByNameAndVersion(tx, TypeKind.EXECUTION, 'Trainer', undefined), 'read'),
    ).toBeUndefined()
    expect(db.run((tx) => findTypesByExternalIds(tx, TypeKind.EXECUTION, ['ext']), 'read')).toEqual([
      expected,
    ])
    expect(db.run((tx) => findTypesByKind(tx, TypeKind.EXECUTION, false), 'read')).toEqual([expected])
  })

  it('links a base type to the seeded simple type and hides simple types on request', () => {
    const simple = db.run((tx) => findSimpleTypeId(tx, TypeKind.ARTIFACT, 1), 'read')
    expect(simple).toBeDefined()
    const id = db.run((tx) => insertType(tx, { name: 'Data', kind: TypeKind.ARTIFACT, properties: {} }))
    db.run((tx) => insertParentType(tx, id, simple as bigint))
    const [record] = db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')
    expect(record?.base_type).toBe(1)
    const all = db.run((tx) => findTypesByKind(tx, TypeKind.ARTIFACT, true), 'read')
    const user = db.run((tx) => findTypesByKind(tx, TypeKind.ARTIFACT, false), 'read')
    expect(all.length).toBeGreaterThan(user.length)
    expect(user.map((t) => t.name)).toEqual(['Data'])
  })

  it('memoises types across transactions, and forgets them when a type is written', () => {
    const id = db.run((tx) => insertType(tx, { name: 'M', kind: TypeKind.ARTIFACT, properties: {} }))
    const first = db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')[0]
    const again = db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')[0]
    expect(again).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    db.run((tx) => updateTypeExternalId(tx, id, 'x'))
    const after = db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')[0]
    expect(after).not.toBe(first)
    expect(after?.external_id).toBe('x')
  })

  it('memoises by name and version without mixing up names and versions that share their text', () => {
    const pairs: [string, string | undefined][] = [
      ['a', '1:b'],
      ['1:b:a', undefined],
      ['b:a', '1'],
      ['a', undefined],
      ['-:a', undefined],
    ]
    const ids = pairs.map(([name, version]) =>
      db.run((tx) => insertType(tx, { name, version, kind: TypeKind.CONTEXT, properties: {} })),
    )
    for (let round = 0; round < 2; round++) {
      const found = pairs.map(
        ([name, version]) =>
          db.run((tx) => findTypeByNameAndVersion(tx, TypeKind.CONTEXT, name, version), 'read')?.id,
      )
      expect(found).toEqual(ids)
    }
  })

  it('declares any number of properties in statements of up to 16 rows, and keeps the memo for none', () => {
    const id = db.run((tx) => insertType(tx, { name: 'Wide', kind: TypeKind.ARTIFACT, properties: {} }))
    const before = db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')[0]
    db.run((tx) => insertTypeProperties(tx, id, []))
    expect(db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')[0]).toBe(before)
    const declared = Array.from({ length: 37 }, (_, i) => [`p${i}`, (i % 3) + 1] as const)
    db.run((tx) => insertTypeProperties(tx, id, declared))
    const [after] = db.run((tx) => findTypesByIds(tx, TypeKind.ARTIFACT, [id]), 'read')
    expect(after?.properties).toEqual(Object.fromEntries(declared))
  })
})
