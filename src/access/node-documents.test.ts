import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { messageType } from '../proto/load-root.js'
import type { Value } from '../proto/messages.js'
import { type Dialect, SQLITE_DIALECT } from '../storage/dialect.js'
import { TypeKind } from '../storage/schema/v10.js'
import type { Op, Tx } from '../storage/transaction-executor.js'
import { encodeStruct, STRUCT_PREFIX } from '../storage/value-codec.js'
import { type AccessFixture, openAccessFixture } from './access.test-support.js'
import {
  ARTIFACT,
  CONTEXT,
  EXECUTION,
  findNodesByIds,
  findNodesFitting,
  insertNode,
  type Node,
  type NodeKind,
  upsertProperty,
} from './node-access.js'
import { insertType } from './type-access.js'

// SQLite reads nodes as one JSON document each; every other engine (and a node the document
// cannot carry exactly) is read from plain rows. Run here on the same SQLite file, both must
// give the same nodes, to the bit and to the order of map keys.
const ROWS_ON_SQLITE: Dialect = { ...SQLITE_DIALECT, engine: 'postgresql' }
const withRows = (tx: Tx): Tx => ({
  dialect: ROWS_ON_SQLITE,
  memo: () => tx.memo(),
  forgetMemo: () => tx.forgetMemo(),
})

let db: AccessFixture
beforeEach(() => {
  db = openAccessFixture()
})
afterEach(() => db.source.close())

const MESSAGE = { artifact: 'Artifact', execution: 'Execution', context: 'Context' } as const

function bothWays<T>(body: (tx: Tx) => Op<T>): { documents: T; rows: T } {
  return {
    documents: db.run(body, 'read'),
    rows: db.run((tx) => body(withRows(tx)), 'read'),
  }
}

// Same nodes: deep equality (Object.is on numbers, so -0 and NaN count), the same key order in
// every map, and the same protobuf bytes.
function expectSameNodes(kind: NodeKind, documents: Node[], rows: Node[]): void {
  expect(documents).toEqual(rows)
  const codec = messageType(`ml_metadata.${MESSAGE[kind.name]}`)
  documents.forEach((node, i) => {
    const other = rows[i] as Node
    expect(Object.keys(node)).toEqual(Object.keys(other))
    expect(Object.keys(node.properties ?? {})).toEqual(Object.keys(other.properties ?? {}))
    expect(Object.keys(node.custom_properties ?? {})).toEqual(Object.keys(other.custom_properties ?? {}))
    expect(Buffer.from(codec.encode(codec.fromObject(node)).finish())).toEqual(
      Buffer.from(codec.encode(codec.fromObject(other)).finish()),
    )
  })
}

const EDGE_VALUES: Record<string, Value> = {
  int_min: { int_value: -(2n ** 63n) },
  int_max: { int_value: 2n ** 63n - 1n },
  int_past_double: { int_value: 2n ** 53n + 1n },
  zero: { int_value: 0n },
  nan: { double_value: Number.NaN },
  negative_zero: { double_value: -0 },
  positive_zero: { double_value: 0 },
  infinity: { double_value: Number.POSITIVE_INFINITY },
  minus_infinity: { double_value: Number.NEGATIVE_INFINITY },
  point_three: { double_value: 0.1 + 0.2 },
  smallest: { double_value: 5e-324 },
  largest: { double_value: Number.MAX_VALUE },
  integral: { double_value: 3 },
  text: { string_value: 'héllo "quoted" \\ back\nslash \u0000 nul 🙂' },
  empty: { string_value: '' },
  fake_struct: { string_value: `${STRUCT_PREFIX}not base64 of a struct!` },
  struct: {
    struct_value: {
      fields: {
        a: { number_value: 1.5 },
        b: { list_value: { values: [{ string_value: 'x' }, { bool_value: true }, { null_value: 0 }] } },
        c: { struct_value: { fields: { d: { number_value: -0 } } } },
      },
    },
  },
  proto: {
    proto_value: {
      type_url: 'type.googleapis.com/ml_metadata.Artifact',
      value: new Uint8Array([8, 1, 0, 255, 128]),
    },
  },
  yes: { bool_value: true },
  no: { bool_value: false },
  '10': { int_value: 10n },
  '2': { int_value: 2n },
}

describe('node documents (SQLite) and node rows read the same nodes', () => {
  it.each([ARTIFACT, EXECUTION, CONTEXT])('$name: every kind of value, both maps, sparse columns', (kind) => {
    const typeKind = { artifact: TypeKind.ARTIFACT, execution: TypeKind.EXECUTION, context: TypeKind.CONTEXT }
    const typeId = db.run((tx) => insertType(tx, { name: 'T', kind: typeKind[kind.name], properties: {} }))
    const ids = db.run(function* (tx) {
      const made: bigint[] = []
      made.push(
        yield* insertNode(
          tx,
          kind,
          {
            type_id: typeId,
            name: 'full',
            external_id: 'ext-1',
            uri: 's3://u',
            state: 3n,
            last_known_state: 2n,
          },
          2n ** 62n,
        ),
      )
      made.push(
        yield* insertNode(
          tx,
          kind,
          { type_id: typeId, name: kind === CONTEXT ? 'sparse' : null, external_id: null },
          5n,
        ),
      )
      // A type that does not exist (MLMD does not enforce the reference).
      made.push(yield* insertNode(tx, kind, { type_id: 999n, name: 'orphan', external_id: null }, 6n))
      for (const [name, value] of Object.entries(EDGE_VALUES)) {
        yield* upsertProperty(tx, kind, made[0] as bigint, name, false, value)
        yield* upsertProperty(tx, kind, made[0] as bigint, name, true, value)
      }
      yield* upsertProperty(tx, kind, made[2] as bigint, 'only', true, { string_value: 'x' })
      return made
    })
    const { documents, rows } = bothWays((tx) => findNodesByIds(tx, kind, [...ids, 12345n, ids[0] as bigint]))
    expect(documents).toHaveLength(3)
    expect(Object.is(documents[0]?.properties?.negative_zero?.double_value, -0)).toBe(true)
    expect(documents[0]?.properties?.int_min?.int_value).toBe(-(2n ** 63n))
    expectSameNodes(kind, documents, rows)
  })

  it('reads values in storage classes other writers leave (TEXT ints, BLOB protos, TEXT doubles) like the rows do', () => {
    const typeId = db.run((tx) => insertType(tx, { name: 'T', kind: TypeKind.ARTIFACT, properties: {} }))
    const [plain, odd] = db.run(function* (tx) {
      return [
        yield* insertNode(tx, ARTIFACT, { type_id: typeId, name: 'plain', external_id: null }, 1n),
        yield* insertNode(tx, ARTIFACT, { type_id: typeId, name: 'odd', external_id: null }, 1n),
      ]
    }) as [bigint, bigint]
    writeRaw(
      `INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property, int_value) VALUES (${odd}, 'text_int', 1, '12')`,
    )
    writeRaw(
      `INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property, proto_value) VALUES (${odd}, 'blob_proto', 1, X'${Buffer.from(
        messageType('google.protobuf.Any')
          .encode({ type_url: 't/x', value: new Uint8Array([1, 2]) })
          .finish(),
      ).toString('hex')}')`,
    )
    writeRaw(
      `INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property, double_value) VALUES (${odd}, 'text_inf', 1, 'inf')`,
    )
    writeRaw(
      `INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property, bool_value) VALUES (${odd}, 'text_bool', 1, 'true')`,
    )
    writeRaw(
      `INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property) VALUES (${odd}, 'nothing', 1)`,
    )
    writeRaw(
      `INSERT INTO ArtifactProperty(artifact_id, name, is_custom_property, string_value) VALUES (${plain}, 'struct', 0, '${STRUCT_PREFIX}${Buffer.from(encodeStruct({ fields: { k: { string_value: 'v' } } })).toString('base64')}')`,
    )
    const [blobName] = db.run(function* (tx) {
      return [yield* insertNode(tx, ARTIFACT, { type_id: typeId, name: 'blob', external_id: null }, 1n)]
    }) as [bigint]
    writeRaw(`UPDATE Artifact SET name = X'00ff41', uri = 7 WHERE id = ${blobName}`)
    const { documents, rows } = bothWays((tx) => findNodesByIds(tx, ARTIFACT, [plain, odd, blobName]))
    expect(documents[2]?.name).toBeInstanceOf(Uint8Array)
    expect(documents[1]?.custom_properties).toMatchObject({
      text_int: { int_value: 12n },
      text_inf: { double_value: Number.POSITIVE_INFINITY },
      text_bool: { bool_value: true },
      nothing: {},
    })
    expectSameNodes(ARTIFACT, documents, rows)
    // Measured too: the sizes of nodes read the generic way come with their documents as well.
    for (const cap of [0, 200, 400, 1000, 100_000]) {
      for (const whole of [true, false]) {
        const wanted = [plain, odd, blobName]
        const limit = { cap, whole, asked: wanted.length }
        const capped = bothWays((tx) => findNodesFitting(tx, ARTIFACT, wanted, limit))
        expect(capped.documents.fits).toBe(capped.rows.fits)
        expect(capped.documents.bytes).toBe(capped.rows.bytes)
        expectSameNodes(ARTIFACT, capped.documents.nodes, capped.rows.nodes)
      }
    }
  })

  it('cuts to the response-size cap at the same node, and refuses the same reads', () => {
    const typeId = db.run((tx) => insertType(tx, { name: 'T', kind: TypeKind.ARTIFACT, properties: {} }))
    const ids = db.run(function* (tx) {
      const made: bigint[] = []
      for (let i = 0; i < 12; i++) {
        const id = yield* insertNode(
          tx,
          ARTIFACT,
          { type_id: typeId, name: `n${i}`, external_id: null, uri: 'u' },
          1n,
        )
        yield* upsertProperty(tx, ARTIFACT, id, 'blob', true, { string_value: 'x'.repeat(100 * (i + 1)) })
        made.push(id)
      }
      return made
    })
    const pageOrder = [...ids].reverse()
    for (const cap of [0, 150, 1000, 3000, 8000, 100_000, Number.POSITIVE_INFINITY]) {
      for (const whole of [true, false]) {
        for (const wanted of [
          ids,
          pageOrder,
          ids.slice(0, 1),
          [ids[3] as bigint, 424242n, ids[1] as bigint],
        ]) {
          const limit = { cap, whole, asked: wanted.length }
          const { documents, rows } = bothWays((tx) => findNodesFitting(tx, ARTIFACT, wanted, limit))
          expect(documents.fits).toBe(rows.fits)
          // Every measured read reports the same total, whichever statement measured it.
          if (Number.isFinite(cap) && wanted.length > 1) expect(documents.bytes).toBe(rows.bytes)
          expectSameNodes(ARTIFACT, documents.nodes, rows.nodes)
        }
      }
    }
  })

  it('reads random nodes the same way (seeded, 300 nodes with up to 8 values each)', () => {
    let seed = 20240601
    const random = () => {
      seed = (seed * 48271) % 2147483647
      return seed / 2147483647
    }
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T
    const randomValue = (): Value =>
      pick<() => Value>([
        () => ({
          int_value: BigInt.asIntN(
            64,
            BigInt(Math.floor(random() * 2 ** 52)) * BigInt(Math.floor(random() * 4096) - 2048),
          ),
        }),
        () => ({ double_value: (random() - 0.5) * 10 ** Math.floor(random() * 600 - 300) }),
        () => ({
          string_value: String.fromCodePoint(
            ...Array.from({ length: Math.floor(random() * 20) }, () => Math.floor(random() * 0x2fff)),
          ),
        }),
        () => ({ bool_value: random() < 0.5 }),
        () => ({ struct_value: { fields: { n: { number_value: random() } } } }),
      ])()
    const typeId = db.run((tx) => insertType(tx, { name: 'T', kind: TypeKind.EXECUTION, properties: {} }))
    const ids = db.run(function* (tx) {
      const made: bigint[] = []
      for (let i = 0; i < 300; i++) {
        const id = yield* insertNode(
          tx,
          EXECUTION,
          {
            type_id: typeId,
            name: random() < 0.2 ? null : `e${i}`,
            external_id: null,
            last_known_state: random() < 0.5 ? null : 3n,
          },
          BigInt(Math.floor(random() * 2 ** 40)),
        )
        for (let p = Math.floor(random() * 9); p > 0; p--) {
          yield* upsertProperty(
            tx,
            EXECUTION,
            id,
            pick(['a', 'b', 'c', '1', '20', 'zz', 'Ä']),
            random() < 0.5,
            randomValue(),
          )
        }
        made.push(id)
      }
      return made
    })
    const { documents, rows } = bothWays((tx) => findNodesByIds(tx, EXECUTION, ids))
    expect(documents).toHaveLength(300)
    expectSameNodes(EXECUTION, documents, rows)
  })
})

// Writes a row the way another program might, outside the store's codec.
function writeRaw(sql: string): void {
  db.source.exec(sql)
}
