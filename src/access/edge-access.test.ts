import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TypeKind } from '../storage/schema/v10.js'
import { type AccessFixture, openAccessFixture } from './access.test-support.js'
import {
  findAssociationsByExecutions,
  findAttributionsByArtifacts,
  findChildLinks,
  findContextIdsByArtifact,
  findContextIdsByExecution,
  findEventsByArtifactIds,
  findEventsByExecutionIds,
  findParentLinks,
  insertAssociationIfNotExists,
  insertAttributionIfNotExists,
  insertEvent,
  insertParentContext,
  isSelfOrAncestor,
} from './edge-access.js'
import { ARTIFACT, CONTEXT, EXECUTION, insertNode } from './node-access.js'
import { insertType } from './type-access.js'

let db: AccessFixture
const ids = { a: 0n, e: 0n, c1: 0n, c2: 0n, c3: 0n }

beforeEach(() => {
  db = openAccessFixture()
  db.run(function* (tx) {
    const at = yield* insertType(tx, { name: 'A', kind: TypeKind.ARTIFACT, properties: {} })
    const et = yield* insertType(tx, { name: 'E', kind: TypeKind.EXECUTION, properties: {} })
    const ct = yield* insertType(tx, { name: 'C', kind: TypeKind.CONTEXT, properties: {} })
    ids.a = yield* insertNode(tx, ARTIFACT, { type_id: at, name: null, external_id: null, uri: 'u' }, 1n)
    ids.e = yield* insertNode(tx, EXECUTION, { type_id: et, name: null, external_id: null }, 1n)
    ids.c1 = yield* insertNode(tx, CONTEXT, { type_id: ct, name: 'c1', external_id: null }, 1n)
    ids.c2 = yield* insertNode(tx, CONTEXT, { type_id: ct, name: 'c2', external_id: null }, 1n)
    ids.c3 = yield* insertNode(tx, CONTEXT, { type_id: ct, name: 'c3', external_id: null }, 1n)
  })
})
afterEach(() => db.source.close())

describe('edge-access', () => {
  it('stores events with their paths (steps without index or key are dropped) and reads them per side', () => {
    db.run((tx) =>
      insertEvent(
        tx,
        {
          artifact_id: ids.a,
          execution_id: ids.e,
          type: 4,
          path: { steps: [{ key: 'out' }, {}, { index: 0n }] },
        },
        77n,
      ),
    )
    const expected = [
      {
        artifact_id: ids.a,
        execution_id: ids.e,
        type: 4,
        milliseconds_since_epoch: 77n,
        path: { steps: [{ key: 'out' }, { index: 0n }] },
      },
    ]
    expect(db.run((tx) => findEventsByArtifactIds(tx, [ids.a]), 'read')).toEqual(expected)
    expect(db.run((tx) => findEventsByExecutionIds(tx, [ids.e]), 'read')).toEqual(expected)
    expect(db.run((tx) => findEventsByExecutionIds(tx, []), 'read')).toEqual([])
  })

  it('links nodes to contexts once, whatever the number of inserts', () => {
    db.run(function* (tx) {
      yield* insertAttributionIfNotExists(tx, ids.c2, ids.a)
      yield* insertAttributionIfNotExists(tx, ids.c1, ids.a)
      yield* insertAttributionIfNotExists(tx, ids.c1, ids.a)
      yield* insertAssociationIfNotExists(tx, ids.c1, ids.e)
      yield* insertAssociationIfNotExists(tx, ids.c1, ids.e)
    })
    expect(db.run((tx) => findContextIdsByArtifact(tx, ids.a), 'read')).toEqual([ids.c1, ids.c2])
    expect(db.run((tx) => findContextIdsByExecution(tx, ids.e), 'read')).toEqual([ids.c1])
    expect(db.run((tx) => findAttributionsByArtifacts(tx, [ids.a]), 'read')).toEqual([
      { artifact_id: ids.a, context_id: ids.c1 },
      { artifact_id: ids.a, context_id: ids.c2 },
    ])
    expect(db.run((tx) => findAssociationsByExecutions(tx, [ids.e]), 'read')).toEqual([
      { execution_id: ids.e, context_id: ids.c1 },
    ])
  })

  it('reads parent links both ways and finds ancestors through several levels', () => {
    db.run(function* (tx) {
      yield* insertParentContext(tx, ids.c3, ids.c2)
      yield* insertParentContext(tx, ids.c2, ids.c1)
    })
    expect(db.run((tx) => findParentLinks(tx, [ids.c3, ids.c2]), 'read')).toEqual([
      { child: ids.c2, parent: ids.c1 },
      { child: ids.c3, parent: ids.c2 },
    ])
    expect(db.run((tx) => findChildLinks(tx, [ids.c1]), 'read')).toEqual([{ parent: ids.c1, child: ids.c2 }])
    expect(db.run((tx) => isSelfOrAncestor(tx, ids.c3, ids.c1), 'read')).toBe(true)
    expect(db.run((tx) => isSelfOrAncestor(tx, ids.c3, ids.c3), 'read')).toBe(true)
    expect(db.run((tx) => isSelfOrAncestor(tx, ids.c1, ids.c3), 'read')).toBe(false)
  })
})
