import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TypeKind } from '../storage/schema/v10.js'
import { type AccessFixture, openAccessFixture } from './access.test-support.js'
import {
  ARTIFACT,
  CONTEXT,
  deleteProperty,
  findArtifactIdsByUris,
  findExistingNodeIds,
  findNodeIdByTypeIdAndName,
  findNodeIdsByExternalIds,
  findNodesByIds,
  insertNode,
  updateNode,
  upsertProperties,
  upsertProperty,
} from './node-access.js'
import { insertType } from './type-access.js'

let db: AccessFixture
let modelType: bigint
let runType: bigint

beforeEach(() => {
  db = openAccessFixture()
  modelType = db.run((tx) => insertType(tx, { name: 'Model', kind: TypeKind.ARTIFACT, properties: { v: 1 } }))
  runType = db.run((tx) => insertType(tx, { name: 'Run', kind: TypeKind.CONTEXT, properties: {} }))
})
afterEach(() => db.source.close())

const artifact = (name: string, uri: string, externalId: string | null = null) =>
  db.run((tx) =>
    insertNode(tx, ARTIFACT, { type_id: modelType, name, external_id: externalId, uri, state: 2n }, 1000n),
  )

describe('node-access', () => {
  describe('insertNode and findNodesByIds', () => {
    it('stores the columns and hydrates nodes with type name and both property maps', () => {
      const id = artifact('m1', 's3://m1')
      db.run((tx) => upsertProperty(tx, ARTIFACT, id, 'v', false, { int_value: 9223372036854775807n }))
      db.run((tx) => upsertProperty(tx, ARTIFACT, id, 'note', true, { string_value: 'x' }))
      expect(db.run((tx) => findNodesByIds(tx, ARTIFACT, [id]), 'read')).toEqual([
        {
          id,
          type_id: modelType,
          type: 'Model',
          name: 'm1',
          uri: 's3://m1',
          state: 2,
          create_time_since_epoch: 1000n,
          last_update_time_since_epoch: 1000n,
          properties: { v: { int_value: 9223372036854775807n } },
          custom_properties: { note: { string_value: 'x' } },
        },
      ])
    })

    it('returns nodes by ascending id, skipping unknown ids and collapsing duplicates', () => {
      const a = artifact('a', 'u')
      const b = artifact('b', 'u')
      const found = db.run((tx) => findNodesByIds(tx, ARTIFACT, [b, 999n, a, b]), 'read')
      expect(found.map((n) => n.id)).toEqual([a, b])
      expect(db.run((tx) => findNodesByIds(tx, ARTIFACT, []), 'read')).toEqual([])
    })
  })

  describe('lookups', () => {
    it('by type and name, external id, uri, and existence', () => {
      const a = artifact('a', 's3://x', 'ext-a')
      const b = artifact('b', 's3://y')
      const run = db.run((tx) =>
        insertNode(tx, CONTEXT, { type_id: runType, name: 'r1', external_id: null }, 5n),
      )
      expect(db.run((tx) => findNodeIdByTypeIdAndName(tx, CONTEXT, runType, 'r1'), 'read')).toBe(run)
      expect(db.run((tx) => findNodeIdByTypeIdAndName(tx, CONTEXT, runType, 'nope'), 'read')).toBeUndefined()
      expect(db.run((tx) => findNodeIdsByExternalIds(tx, ARTIFACT, ['ext-a', 'none']), 'read')).toEqual([a])
      expect(db.run((tx) => findArtifactIdsByUris(tx, ['s3://y', 's3://x']), 'read')).toEqual([a, b])
      expect(db.run((tx) => findExistingNodeIds(tx, ARTIFACT, [b, 77n]), 'read')).toEqual(new Set([b]))
    })
  })

  describe('updateNode, upsertProperty and deleteProperty', () => {
    it('rewrites columns and moves the update time; properties replace and delete per map', () => {
      const id = artifact('a', 'u')
      db.run((tx) => upsertProperty(tx, ARTIFACT, id, 'k', false, { int_value: 1n }))
      db.run((tx) => upsertProperty(tx, ARTIFACT, id, 'k', true, { int_value: 2n }))
      db.run((tx) => upsertProperty(tx, ARTIFACT, id, 'k', false, { double_value: 0.5 }))
      db.run((tx) =>
        updateNode(
          tx,
          ARTIFACT,
          id,
          { type_id: modelType, name: 'a', external_id: 'e', uri: 'v', state: 3n },
          2000n,
        ),
      )
      db.run((tx) => deleteProperty(tx, ARTIFACT, id, 'k', true))
      const [node] = db.run((tx) => findNodesByIds(tx, ARTIFACT, [id]), 'read')
      expect(node).toMatchObject({
        uri: 'v',
        state: 3,
        external_id: 'e',
        create_time_since_epoch: 1000n,
        last_update_time_since_epoch: 2000n,
        properties: { k: { double_value: 0.5 } },
        custom_properties: {},
      })
    })

    it('writes many values of both maps in statements of up to 16 rows, replacing stored ones', () => {
      const id = artifact('wide', 'u')
      db.run((tx) => upsertProperty(tx, ARTIFACT, id, 'p3', false, { int_value: 0n }))
      const values = Array.from({ length: 20 }, (_, i) => ({
        name: `p${i}`,
        isCustom: i % 2 === 1,
        value: i % 4 === 0 ? { string_value: `s${i}` } : { int_value: BigInt(i) },
      }))
      db.run((tx) => upsertProperties(tx, ARTIFACT, id, values))
      const [node] = db.run((tx) => findNodesByIds(tx, ARTIFACT, [id]), 'read')
      const of = (custom: boolean) =>
        Object.fromEntries(values.filter((v) => v.isCustom === custom).map((v) => [v.name, v.value]))
      // p3 is custom in the batch: the declared p3 stays as it was.
      expect(node?.properties).toEqual({ ...of(false), p3: { int_value: 0n } })
      expect(node?.custom_properties).toEqual(of(true))
    })

    it('surfaces a unique-key collision as ALREADY_EXISTS, thrown into the body', () => {
      artifact('same', 'u')
      expect(() => artifact('same', 'u')).toThrow(expect.objectContaining({ code: 6 }))
    })
  })
})
