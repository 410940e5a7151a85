import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Code } from '../errors.js'
import type {
  Artifact,
  Context,
  ContextType,
  FieldMask,
  ListOperationOptions,
  PutArtifactsRequest,
  Value,
} from '../proto/messages.js'
import {
  Artifact_State,
  ArtifactType_SystemDefinedBaseType,
  Execution_State,
  ListOperationOptions_OrderByField_Field as Field,
  PropertyType,
} from '../proto/messages.js'
import { createMetadataStore, type OwnedMetadataStore } from './metadata-store.js'
import { decodePageToken, encodePageToken } from './paging.js'

// Every test gets a fresh in-memory store and a frozen clock: timestamps are exact, and moving
// the clock is the only way they change (updates still move strictly forward).
const T0 = 1_700_000_000_000
let store: OwnedMetadataStore
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T0)
  store = createMetadataStore({ filename: ':memory:' })
})
afterEach(() => {
  store.close()
  vi.useRealTimers()
})

const mlmdError = (code: Code, message?: string) =>
  expect.objectContaining(
    message === undefined ? { code } : { code, rawMessage: expect.stringContaining(message) },
  )

const NODE_TYPE: ContextType = {
  name: 'node_type',
  properties: {
    i: PropertyType.INT,
    d: PropertyType.DOUBLE,
    s: PropertyType.STRING,
    st: PropertyType.STRUCT,
    pr: PropertyType.PROTO,
    b: PropertyType.BOOLEAN,
  },
}

// A `Context` literal is a valid artifact and execution too: the fields the three node kinds share.
type CommonNode = Context

// One row per node kind: its RPCs, called with the request literal written out. `read` holds
// the fields every read of that kind fills in although the node was stored without them.
const KINDS = [
  {
    kind: 'artifact',
    read: { uri: '' },
    putType: (type: ContextType = NODE_TYPE) =>
      store.putArtifactType({ artifact_type: type }).type_id as bigint,
    putOtherKindType: () => store.putExecutionType({ execution_type: { name: 'other' } }).type_id as bigint,
    put: (nodes: CommonNode[], update_mask?: FieldMask) =>
      store.putArtifacts({ artifacts: nodes, update_mask }).artifact_ids as bigint[],
    byId: (ids: bigint[]) => store.getArtifactsByID({ artifact_ids: ids }).artifacts as CommonNode[],
    list: (options?: ListOperationOptions) => {
      const { artifacts, ...rest } = store.getArtifacts({ options })
      return { nodes: artifacts as CommonNode[], ...rest }
    },
    byType: (type_name: string, type_version?: string, options?: ListOperationOptions) => {
      const { artifacts, ...rest } = store.getArtifactsByType({ type_name, type_version, options })
      return { nodes: artifacts as CommonNode[], ...rest }
    },
    byTypeAndName: (type_name: string, name: string, type_version?: string) =>
      store.getArtifactByTypeAndName({ type_name, artifact_name: name, type_version }),
    byExternalIds: (external_ids: string[]) =>
      store.getArtifactsByExternalIds({ external_ids }).artifacts as CommonNode[],
  },
  {
    kind: 'execution',
    read: {},
    putType: (type: ContextType = NODE_TYPE) =>
      store.putExecutionType({ execution_type: type }).type_id as bigint,
    putOtherKindType: () => store.putContextType({ context_type: { name: 'other' } }).type_id as bigint,
    put: (nodes: CommonNode[], update_mask?: FieldMask) =>
      store.putExecutions({ executions: nodes, update_mask }).execution_ids as bigint[],
    byId: (ids: bigint[]) => store.getExecutionsByID({ execution_ids: ids }).executions as CommonNode[],
    list: (options?: ListOperationOptions) => {
      const { executions, ...rest } = store.getExecutions({ options })
      return { nodes: executions as CommonNode[], ...rest }
    },
    byType: (type_name: string, type_version?: string, options?: ListOperationOptions) => {
      const { executions, ...rest } = store.getExecutionsByType({ type_name, type_version, options })
      return { nodes: executions as CommonNode[], ...rest }
    },
    byTypeAndName: (type_name: string, name: string, type_version?: string) =>
      store.getExecutionByTypeAndName({ type_name, execution_name: name, type_version }),
    byExternalIds: (external_ids: string[]) =>
      store.getExecutionsByExternalIds({ external_ids }).executions as CommonNode[],
  },
  {
    kind: 'context',
    read: {},
    putType: (type: ContextType = NODE_TYPE) =>
      store.putContextType({ context_type: type }).type_id as bigint,
    putOtherKindType: () => store.putArtifactType({ artifact_type: { name: 'other' } }).type_id as bigint,
    put: (nodes: CommonNode[], update_mask?: FieldMask) =>
      store.putContexts({ contexts: nodes, update_mask }).context_ids as bigint[],
    byId: (ids: bigint[]) => store.getContextsByID({ context_ids: ids }).contexts as CommonNode[],
    list: (options?: ListOperationOptions) => {
      const { contexts, ...rest } = store.getContexts({ options })
      return { nodes: contexts as CommonNode[], ...rest }
    },
    byType: (type_name: string, type_version?: string, options?: ListOperationOptions) => {
      const { contexts, ...rest } = store.getContextsByType({ type_name, type_version, options })
      return { nodes: contexts as CommonNode[], ...rest }
    },
    byTypeAndName: (type_name: string, name: string, type_version?: string) =>
      store.getContextByTypeAndName({ type_name, context_name: name, type_version }),
    byExternalIds: (external_ids: string[]) =>
      store.getContextsByExternalIds({ external_ids }).contexts as CommonNode[],
  },
] as const

const STRUCT: Value = {
  struct_value: {
    fields: {
      n: { number_value: 2.5 },
      s: { string_value: 'x' },
      z: { null_value: 0 },
      l: { list_value: { values: [{ bool_value: true }, { string_value: 'é' }, { number_value: -1 }] } },
      o: { struct_value: { fields: { deeper: { struct_value: { fields: { b: { bool_value: false } } } } } } },
    },
  },
}
const ANY: Value = {
  proto_value: {
    type_url: 'type.googleapis.com/ml_metadata.Artifact',
    value: new Uint8Array([0x1a, 0x02, 0x68, 0x69]),
  },
}

const ids = (nodes: readonly { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => n.id)

describe('node operations', () => {
  describe('putArtifacts / putExecutions / putContexts: insert', () => {
    it.each(KINDS)('PutArtifactsGetArtifactsByID: round-trips a $kind with every property kind', (k) => {
      const type_id = k.putType()
      const node: CommonNode = {
        type_id,
        name: 'ünïcode ✓ 😀',
        external_id: 'ext-1',
        properties: {
          i: { int_value: -(2n ** 63n) },
          d: { double_value: 1.23456789 },
          s: { string_value: 'héllo ✓ 😀 and a NUL: a\u0000b' },
          st: STRUCT,
          pr: ANY,
          b: { bool_value: false },
        },
        custom_properties: {
          max: { int_value: 2n ** 63n - 1n },
          zero: { int_value: 0n },
          third: { double_value: 1 / 3 },
          tiny: { double_value: 5e-324 },
          empty: { string_value: '' },
          nul: { string_value: '\u0000' },
          struct: STRUCT,
          emptyStruct: { struct_value: { fields: {} } },
          any: ANY,
          yes: { bool_value: true },
        },
      }
      const [id] = k.put([node])
      expect(k.byId([id as bigint])).toStrictEqual([
        {
          id,
          type: 'node_type',
          ...k.read,
          ...node,
          create_time_since_epoch: BigInt(T0),
          last_update_time_since_epoch: BigInt(T0),
        },
      ])
    })

    it.each(KINDS)('round-trips NaN, ±Infinity and -0.0 as $kind properties', (k) => {
      const type_id = k.putType()
      const [id] = k.put([
        {
          type_id,
          name: 'doubles',
          properties: { d: { double_value: -0 } },
          custom_properties: {
            nan: { double_value: Number.NaN },
            inf: { double_value: Number.POSITIVE_INFINITY },
            ninf: { double_value: Number.NEGATIVE_INFINITY },
            nzero: { double_value: -0 },
            zero: { double_value: 0 },
            max: { double_value: Number.MAX_VALUE },
          },
        },
      ])
      const [node] = k.byId([id as bigint])
      const custom = node?.custom_properties ?? {}
      expect(Object.is(node?.properties?.d?.double_value, -0)).toBe(true)
      expect(Number.isNaN(custom.nan?.double_value)).toBe(true)
      expect(custom.inf?.double_value).toBe(Number.POSITIVE_INFINITY)
      expect(custom.ninf?.double_value).toBe(Number.NEGATIVE_INFINITY)
      expect(Object.is(custom.nzero?.double_value, -0)).toBe(true)
      expect(Object.is(custom.zero?.double_value, 0)).toBe(true)
      expect(custom.max?.double_value).toBe(Number.MAX_VALUE)
    })

    it.each(KINDS)('leaves unset fields of a $kind absent', (k) => {
      const type_id = k.putType({ name: 'plain' })
      const [id] = k.put([{ type_id, name: 'required for contexts' }])
      const [node] = k.byId([id as bigint])
      expect(node).toStrictEqual({
        id,
        type_id,
        type: 'plain',
        name: 'required for contexts',
        ...k.read,
        properties: {},
        custom_properties: {},
        create_time_since_epoch: BigInt(T0),
        last_update_time_since_epoch: BigInt(T0),
      })
      for (const field of ['external_id', 'state', 'last_known_state', 'system_metadata']) {
        expect(node).not.toHaveProperty(field)
      }
    })

    it.each(KINDS.filter((k) => k.kind !== 'context'))(
      'keeps an empty name and external_id of a $kind as set',
      (k) => {
        const type_id = k.putType({ name: 'plain' })
        const [unset, empty] = k.put([{ type_id }, { type_id, name: '', external_id: '' }])
        const [first, second] = k.byId([unset as bigint, empty as bigint])
        expect(first).not.toHaveProperty('name')
        expect(first).not.toHaveProperty('external_id')
        expect(second).toMatchObject({ id: empty, name: '', external_id: '' })
      },
    )

    it('PutArtifactsGetArtifactsWithEmptyArtifact: an artifact without name reads back with uri ""', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'test_type2' } }).type_id as bigint
      const [id] = store.putArtifacts({ artifacts: [{ type_id }] }).artifact_ids ?? []
      const expected: Artifact = {
        id,
        type_id,
        type: 'test_type2',
        uri: '',
        properties: {},
        custom_properties: {},
        create_time_since_epoch: BigInt(T0),
        last_update_time_since_epoch: BigInt(T0),
      }
      expect(store.getArtifacts({})).toStrictEqual({ artifacts: [expected] })
      expect(store.getArtifactsByType({ type_name: 'test_type2' })).toStrictEqual({ artifacts: [expected] })
      expect(store.getArtifactsByType({ type_name: 'not_exist_type' })).toStrictEqual({ artifacts: [] })
    })

    it('PutExecutionsGetExecutionsWithEmptyExecution: an execution with only a type_id', () => {
      const type_id = store.putExecutionType({ execution_type: { name: 'e' } }).type_id as bigint
      const [id] = store.putExecutions({ executions: [{ type_id }] }).execution_ids ?? []
      expect(store.getExecutions({})).toStrictEqual({
        executions: [
          {
            id,
            type_id,
            type: 'e',
            properties: {},
            custom_properties: {},
            create_time_since_epoch: BigInt(T0),
            last_update_time_since_epoch: BigInt(T0),
          },
        ],
      })
    })

    it('stores the artifact state and the execution last_known_state', () => {
      const artifactType = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      const executionType = store.putExecutionType({ execution_type: { name: 'e' } }).type_id as bigint
      const [artifactId] =
        store.putArtifacts({
          artifacts: [{ type_id: artifactType, uri: 's3://x', state: Artifact_State.LIVE }],
        }).artifact_ids ?? []
      const [executionId] =
        store.putExecutions({
          executions: [{ type_id: executionType, last_known_state: Execution_State.RUNNING }],
        }).execution_ids ?? []
      expect(store.getArtifactsByID({ artifact_ids: [artifactId as bigint] }).artifacts?.[0]).toMatchObject({
        uri: 's3://x',
        state: Artifact_State.LIVE,
      })
      expect(
        store.getExecutionsByID({ execution_ids: [executionId as bigint] }).executions?.[0],
      ).toMatchObject({
        last_known_state: Execution_State.RUNNING,
      })
    })

    it.each(KINDS)('ignores the output-only type and the times a new $kind carries', (k) => {
      const type_id = k.putType()
      const [id] = k.put([
        { type_id, name: 'n', type: 'Wrong', create_time_since_epoch: 5n, last_update_time_since_epoch: 6n },
      ])
      expect(k.byId([id as bigint])[0]).toMatchObject({
        type: 'node_type',
        create_time_since_epoch: BigInt(T0),
        last_update_time_since_epoch: BigInt(T0),
      })
    })

    it.each(KINDS)('returns the ids of new $kind nodes in request order', (k) => {
      const type_id = k.putType()
      expect(
        k.put([
          { type_id, name: 'a' },
          { type_id, name: 'b' },
          { type_id, name: 'c' },
        ]),
      ).toEqual([1n, 2n, 3n])
    })

    it.each(KINDS)('rejects a $kind without type_id as INVALID_ARGUMENT', (k) => {
      expect(() => k.put([{ name: 'n' }])).toThrow(mlmdError(Code.InvalidArgument, 'Type id is missing.'))
    })

    it.each(KINDS)('rejects a $kind with an unknown type_id as NOT_FOUND', (k) => {
      expect(() => k.put([{ type_id: 999n, name: 'n' }])).toThrow(
        mlmdError(Code.NotFound, 'Cannot find type for type_id: 999'),
      )
    })

    it.each(KINDS)('rejects a $kind whose type_id names a type of another kind as NOT_FOUND', (k) => {
      const other = k.putOtherKindType()
      expect(() => k.put([{ type_id: other, name: 'n' }])).toThrow(mlmdError(Code.NotFound))
    })

    it.each(KINDS)('rejects a $kind with a property its type does not declare as INVALID_ARGUMENT', (k) => {
      const type_id = k.putType()
      expect(() => k.put([{ type_id, name: 'n', properties: { zz: { int_value: 1n } } }])).toThrow(
        mlmdError(Code.InvalidArgument, 'Found unknown property: zz'),
      )
    })

    it.each<{ property: string; value: Value }>([
      { property: 'i', value: { string_value: '1' } },
      { property: 'd', value: { int_value: 1n } },
      { property: 's', value: { bool_value: true } },
      { property: 'st', value: { string_value: '{}' } },
      { property: 'pr', value: { struct_value: { fields: {} } } },
      { property: 'b', value: { int_value: 1n } },
      { property: 'i', value: {} },
    ])('rejects property $property holding $value as INVALID_ARGUMENT', ({ property, value }) => {
      const type_id = store.putArtifactType({ artifact_type: NODE_TYPE }).type_id as bigint
      expect(() =>
        store.putArtifacts({ artifacts: [{ type_id, properties: { [property]: value } }] }),
      ).toThrow(mlmdError(Code.InvalidArgument, `Found unmatched property type: ${property}`))
    })

    it.each(KINDS)(
      'rejects a $kind with a wrong-kind property or a kind-less Value as INVALID_ARGUMENT',
      (k) => {
        const type_id = k.putType()
        expect(() => k.put([{ type_id, name: 'n', properties: { i: { double_value: 1 } } }])).toThrow(
          mlmdError(Code.InvalidArgument, 'Found unmatched property type: i'),
        )
        expect(() => k.put([{ type_id, name: 'n', properties: { i: {} } }])).toThrow(
          mlmdError(Code.InvalidArgument, 'Found unmatched property type: i'),
        )
      },
    )

    it.each(KINDS)('rejects a custom property of a $kind holding no value as INVALID_ARGUMENT', (k) => {
      // MLMD aborts the process here (LOG(FATAL) binding the column).
      const type_id = k.putType()
      expect(() => k.put([{ type_id, name: 'n', custom_properties: { c: {} } }])).toThrow(
        mlmdError(Code.InvalidArgument),
      )
      expect(k.list().nodes).toEqual([])
    })

    it.each(KINDS)('accepts custom properties of a $kind of any kind', (k) => {
      const type_id = k.putType({ name: 'no_properties' })
      const custom_properties: Record<string, Value> = {
        i: { int_value: 1n },
        d: { double_value: 1.5 },
        s: { string_value: 's' },
        st: STRUCT,
        pr: ANY,
        b: { bool_value: true },
      }
      const [id] = k.put([{ type_id, name: 'n', custom_properties }])
      expect(k.byId([id as bigint])[0]?.custom_properties).toStrictEqual(custom_properties)
    })

    it.each(KINDS)('rejects a second $kind with the same type and name as ALREADY_EXISTS', (k) => {
      const type_id = k.putType()
      k.put([{ type_id, name: 'n' }])
      expect(() => k.put([{ type_id, name: 'n' }])).toThrow(mlmdError(Code.AlreadyExists))
      expect(() =>
        k.put([
          { type_id, name: 'm' },
          { type_id, name: 'm' },
        ]),
      ).toThrow(mlmdError(Code.AlreadyExists))
      expect(ids(k.list().nodes)).toEqual([1n])
      // The same name under another type is fine.
      const other = k.putType({ name: 'other_type' })
      expect(k.put([{ type_id: other, name: 'n' }])).toHaveLength(1)
    })

    it.each(KINDS.filter((k) => k.kind !== 'context'))(
      'treats an empty $kind name as a name: a second one is ALREADY_EXISTS',
      (k) => {
        const type_id = k.putType()
        k.put([{ type_id, name: '' }])
        expect(() => k.put([{ type_id, name: '' }])).toThrow(mlmdError(Code.AlreadyExists))
        // Unset names never collide.
        expect(k.put([{ type_id }, { type_id }])).toHaveLength(2)
      },
    )

    it.each(KINDS)('rejects a second $kind with the same external_id as ALREADY_EXISTS', (k) => {
      const type_id = k.putType()
      k.put([{ type_id, name: 'a', external_id: 'x' }])
      expect(() => k.put([{ type_id, name: 'b', external_id: 'x' }])).toThrow(mlmdError(Code.AlreadyExists))
      k.put([{ type_id, name: 'c', external_id: '' }])
      expect(() => k.put([{ type_id, name: 'd', external_id: '' }])).toThrow(mlmdError(Code.AlreadyExists))
    })

    it('allows the same external_id on nodes of different kinds', () => {
      const artifactType = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      const executionType = store.putExecutionType({ execution_type: { name: 'e' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id: artifactType, external_id: 'x' }] })
      expect(store.putExecutions({ executions: [{ type_id: executionType, external_id: 'x' }] })).toEqual({
        execution_ids: [1n],
      })
    })

    it.each<{ case: string; context: Context }>([
      { case: 'unset', context: {} },
      { case: 'empty', context: { name: '' } },
    ])('rejects a context with an $case name as INVALID_ARGUMENT', ({ context }) => {
      const type_id = store.putContextType({ context_type: { name: 'c' } }).type_id as bigint
      expect(() => store.putContexts({ contexts: [{ type_id, ...context }] })).toThrow(
        mlmdError(Code.InvalidArgument, 'Context name should not be empty'),
      )
    })

    it.each(KINDS)('stores no $kind of a batch when a later one is invalid', (k) => {
      const type_id = k.putType()
      expect(() =>
        k.put([
          { type_id, name: 'valid' },
          { type_id, name: 'invalid', properties: { zz: { int_value: 1n } } },
        ]),
      ).toThrow(mlmdError(Code.InvalidArgument))
      expect(k.list().nodes).toEqual([])
      expect(k.byTypeAndName('node_type', 'valid')).toEqual({})
    })

    it('accepts artifacts of the mlmd.* simple types', () => {
      expect(store.putArtifacts({ artifacts: [{ type_id: 1n }] })).toEqual({ artifact_ids: [1n] })
      expect(store.getArtifactsByID({ artifact_ids: [1n] }).artifacts?.[0]?.type).toBe('mlmd.Dataset')
    })
  })

  describe('putArtifacts / putExecutions / putContexts: update', () => {
    it.each(KINDS)('rejects an update of a missing $kind id as INVALID_ARGUMENT', (k) => {
      const type_id = k.putType()
      expect(() => k.put([{ id: 99n, type_id, name: 'n' }])).toThrow(
        mlmdError(Code.InvalidArgument, 'Cannot find the given id 99'),
      )
      expect(() => k.put([{ id: 99n, name: 'n' }])).toThrow(
        mlmdError(Code.InvalidArgument, 'Cannot find the given id 99'),
      )
    })

    it.each(KINDS)('rejects an update of a $kind to another type_id as INVALID_ARGUMENT', (k) => {
      const type_id = k.putType()
      const other = k.putType({ name: 'other_type' })
      const [id] = k.put([{ type_id, name: 'n' }])
      expect(() => k.put([{ id, type_id: other, name: 'n' }])).toThrow(
        mlmdError(
          Code.InvalidArgument,
          `Given type_id ${other} is different from the one known before: ${type_id}`,
        ),
      )
      expect(() => k.put([{ id, type_id: 999n, name: 'n' }])).toThrow(mlmdError(Code.InvalidArgument))
    })

    it.each(KINDS)('keeps the stored type of a $kind when the update has no type_id', (k) => {
      const type_id = k.putType()
      const [id] = k.put([{ type_id, name: 'n' }])
      expect(k.put([{ id, name: 'n', custom_properties: { c: { int_value: 1n } } }])).toEqual([id])
      expect(k.byId([id as bigint])[0]).toMatchObject({
        type_id,
        custom_properties: { c: { int_value: 1n } },
      })
    })

    it.each(KINDS)('applies a $kind repeated in one request in order, each update on the last', (k) => {
      const type_id = k.putType()
      const [id, other] = k.put([
        { type_id, name: 'n' },
        { type_id, name: 'o', custom_properties: { kept: { int_value: 1n } } },
      ])
      expect(
        k.put([
          { id, name: 'n', custom_properties: { x: { int_value: 1n } } },
          { id: other, name: 'o', custom_properties: { kept: { int_value: 1n } } },
          // Replaces the properties the first entry wrote, so x goes again.
          { id, name: 'n', custom_properties: { y: { int_value: 2n } } },
        ]),
      ).toEqual([id, other, id])
      const [stored, untouched] = k.byId([id as bigint, other as bigint])
      expect(stored?.custom_properties).toEqual({ y: { int_value: 2n } })
      expect(untouched?.custom_properties).toEqual({ kept: { int_value: 1n } })
    })

    it.each(KINDS)('validates the properties of a $kind update against its type', (k) => {
      const type_id = k.putType()
      const [id] = k.put([{ type_id, name: 'n' }])
      expect(() => k.put([{ id, name: 'n', properties: { zz: { int_value: 1n } } }])).toThrow(
        mlmdError(Code.InvalidArgument, 'Found unknown property: zz'),
      )
      expect(() => k.put([{ id, name: 'n', properties: { i: { string_value: '1' } } }])).toThrow(
        mlmdError(Code.InvalidArgument, 'Found unmatched property type: i'),
      )
      expect(() => k.put([{ id, name: 'n', custom_properties: { c: {} } }])).toThrow(
        mlmdError(Code.InvalidArgument),
      )
    })

    it('PutArtifactsUpdateGetArtifactsByID: a full update replaces the artifact', () => {
      const type_id = store.putArtifactType({ artifact_type: NODE_TYPE }).type_id as bigint
      const [id] =
        store.putArtifacts({
          artifacts: [
            {
              type_id,
              name: 'n',
              uri: 's3://x',
              state: Artifact_State.LIVE,
              external_id: 'x',
              properties: { i: { int_value: 1n }, s: { string_value: 's' } },
              custom_properties: { c: { int_value: 1n }, d: { int_value: 2n } },
            },
          ],
        }).artifact_ids ?? []
      vi.setSystemTime(T0 + 10)
      expect(
        store.putArtifacts({
          artifacts: [
            {
              id,
              name: 'renamed',
              properties: { i: { int_value: 2n } },
              custom_properties: { d: { bool_value: true } },
            },
          ],
        }),
      ).toEqual({ artifact_ids: [id] })
      // Unlisted properties are dropped, state and external_id cleared, uri becomes ''; the name stays.
      expect(store.getArtifactsByID({ artifact_ids: [id as bigint] }).artifacts).toStrictEqual([
        {
          id,
          type_id,
          type: 'node_type',
          name: 'n',
          uri: '',
          properties: { i: { int_value: 2n } },
          custom_properties: { d: { bool_value: true } },
          create_time_since_epoch: BigInt(T0),
          last_update_time_since_epoch: BigInt(T0 + 10),
        },
      ])
    })

    it('PutExecutionsUpdateGetExecutionsByID: a full update drops the state and keeps the name', () => {
      const type_id = store.putExecutionType({ execution_type: NODE_TYPE }).type_id as bigint
      const [id] =
        store.putExecutions({
          executions: [
            {
              type_id,
              name: 'e',
              last_known_state: Execution_State.RUNNING,
              external_id: 'x',
              properties: { i: { int_value: 1n } },
              custom_properties: { c: { int_value: 1n } },
            },
          ],
        }).execution_ids ?? []
      store.putExecutions({
        executions: [{ id, type_id, name: 'other', custom_properties: { c: { int_value: 2n } } }],
      })
      expect(store.getExecutionsByID({ execution_ids: [id as bigint] }).executions).toStrictEqual([
        {
          id,
          type_id,
          type: 'node_type',
          name: 'e',
          properties: {},
          custom_properties: { c: { int_value: 2n } },
          create_time_since_epoch: BigInt(T0),
          last_update_time_since_epoch: BigInt(T0 + 1),
        },
      ])
    })

    it('PutContextsUpdateGetContexts: a full update renames the context and clears its external_id', () => {
      const type_id = store.putContextType({ context_type: NODE_TYPE }).type_id as bigint
      const [id] =
        store.putContexts({
          contexts: [{ type_id, name: 'c1', external_id: 'cx', properties: { i: { int_value: 1n } } }],
        }).context_ids ?? []
      store.putContexts({ contexts: [{ id, name: 'c2', properties: { i: { int_value: 1n } } }] })
      expect(store.getContextsByID({ context_ids: [id as bigint] }).contexts).toStrictEqual([
        {
          id,
          type_id,
          type: 'node_type',
          name: 'c2',
          properties: { i: { int_value: 1n } },
          custom_properties: {},
          create_time_since_epoch: BigInt(T0),
          last_update_time_since_epoch: BigInt(T0 + 1),
        },
      ])
      expect(store.getContextByTypeAndName({ type_name: 'node_type', context_name: 'c1' })).toEqual({})
    })

    it.each<{ case: string; context: Context }>([
      { case: 'unset', context: {} },
      { case: 'empty', context: { name: '' } },
    ])('rejects a full context update with an $case name as INVALID_ARGUMENT', ({ context }) => {
      const type_id = store.putContextType({ context_type: { name: 'c' } }).type_id as bigint
      const [id] = store.putContexts({ contexts: [{ type_id, name: 'c1' }] }).context_ids ?? []
      expect(() => store.putContexts({ contexts: [{ id, ...context }] })).toThrow(
        mlmdError(Code.InvalidArgument, 'Context name should not be empty'),
      )
    })

    it('rejects renaming a context onto a taken name as ALREADY_EXISTS', () => {
      // MLMD returns INTERNAL (the raw UNIQUE failure of its UPDATE).
      const type_id = store.putContextType({ context_type: { name: 'c' } }).type_id as bigint
      const [, second] =
        store.putContexts({
          contexts: [
            { type_id, name: 'c1' },
            { type_id, name: 'c2' },
          ],
        }).context_ids ?? []
      expect(() => store.putContexts({ contexts: [{ id: second, name: 'c1' }] })).toThrow(
        mlmdError(Code.AlreadyExists),
      )
    })

    it.each(KINDS)(
      "rejects moving a $kind's external_id onto a taken one as ALREADY_EXISTS, storing nothing",
      (k) => {
        // MLMD returns INTERNAL (the raw UNIQUE failure of its UPDATE).
        const type_id = k.putType()
        const [a, b] = k.put([
          { type_id, name: 'a', external_id: 'x' },
          { type_id, name: 'b', external_id: 'y' },
        ])
        expect(() =>
          k.put([
            { id: a, name: 'a', external_id: 'z' },
            { id: b, name: 'b', external_id: 'z' },
          ]),
        ).toThrow(mlmdError(Code.AlreadyExists))
        expect(k.byId([a as bigint, b as bigint]).map((n) => n.external_id)).toEqual(['x', 'y'])
      },
    )

    it('UpdateContextPropertiesAndCustomProperties: custom properties may change kind', () => {
      const type_id = store.putContextType({
        context_type: { name: 'test_type', properties: { property_str: PropertyType.STRING } },
      }).type_id as bigint
      const [id] =
        store.putContexts({
          contexts: [
            {
              type_id,
              name: 'context_name',
              properties: { property_str: { string_value: '1' } },
              custom_properties: {
                custom_property_str_to_int: { string_value: '1' },
                custom_property_int_to_str: { int_value: 1n },
                custom_property_double_to_bool: { double_value: 1.2345 },
                custom_property_bool_to_double: { bool_value: true },
              },
            },
          ],
        }).context_ids ?? []
      const updated: Context = {
        id,
        type_id,
        name: 'context_name',
        properties: { property_str: { string_value: '1' } },
        custom_properties: {
          custom_property_str_to_int: { int_value: 1n },
          custom_property_int_to_str: { string_value: '1' },
          custom_property_double_to_bool: { bool_value: true },
          custom_property_bool_to_double: { double_value: 1.2345 },
        },
      }
      store.putContexts({ contexts: [updated] })
      expect(store.getContextsByID({ context_ids: [id as bigint] }).contexts?.[0]).toMatchObject(updated)
      expect(() =>
        store.putContexts({
          contexts: [{ ...updated, properties: { property_str: { int_value: 1n } } }],
        }),
      ).toThrow(mlmdError(Code.InvalidArgument, 'Found unmatched property type: property_str'))
    })

    it('keeps a same-named regular property when a custom property is removed', () => {
      // MLMD deletes both (its DELETE ignores is_custom_property); ours keeps the regular one.
      const type_id = store.putArtifactType({ artifact_type: NODE_TYPE }).type_id as bigint
      const [id] =
        store.putArtifacts({
          artifacts: [
            {
              type_id,
              properties: { i: { int_value: 1n } },
              custom_properties: { i: { string_value: 'c' } },
            },
          ],
        }).artifact_ids ?? []
      store.putArtifacts({ artifacts: [{ id, properties: { i: { int_value: 1n } } }] })
      expect(store.getArtifactsByID({ artifact_ids: [id as bigint] }).artifacts?.[0]).toMatchObject({
        properties: { i: { int_value: 1n } },
        custom_properties: {},
      })
      store.putArtifacts({
        artifacts: [
          { id, properties: { i: { int_value: 1n } }, custom_properties: { i: { string_value: 'again' } } },
        ],
      })
      store.putArtifacts({ artifacts: [{ id, custom_properties: { i: { string_value: 'again' } } }] })
      expect(store.getArtifactsByID({ artifact_ids: [id as bigint] }).artifacts?.[0]).toMatchObject({
        properties: {},
        custom_properties: { i: { string_value: 'again' } },
      })
    })

    it.each(KINDS)('inserts and updates $kind nodes in one request', (k) => {
      const type_id = k.putType()
      const [first] = k.put([{ type_id, name: 'a' }])
      expect(
        k.put([
          { id: first, name: 'a', custom_properties: { c: { int_value: 1n } } },
          { type_id, name: 'b' },
        ]),
      ).toEqual([first, 2n])
    })
  })

  describe('update_mask', () => {
    // The stored artifact each case updates, and the result of an update that changes nothing.
    const STORED: Artifact = {
      name: 'n',
      uri: 'u',
      state: Artifact_State.LIVE,
      external_id: 'x',
      properties: { i: { int_value: 1n }, s: { string_value: 's' } },
      custom_properties: { c: { int_value: 1n }, d: { int_value: 2n } },
    }

    interface MaskCase {
      case: string
      update: Artifact
      paths: string[]
      want: Partial<Artifact>
    }
    const MASK_CASES: MaskCase[] = [
      {
        case: 'properties.<key> sets that property only',
        update: { properties: { i: { int_value: 5n } }, uri: 'ignored' },
        paths: ['properties.i'],
        want: { properties: { i: { int_value: 5n }, s: { string_value: 's' } } },
      },
      {
        case: 'properties.<key> absent from the request deletes it',
        update: {},
        paths: ['properties.i'],
        want: { properties: { s: { string_value: 's' } } },
      },
      {
        case: 'custom_properties.<key> sets that custom property only',
        update: { custom_properties: { c: { string_value: 'now a string' }, d: { int_value: 9n } } },
        paths: ['custom_properties.c'],
        want: { custom_properties: { c: { string_value: 'now a string' }, d: { int_value: 2n } } },
      },
      {
        case: 'custom_properties.<key> absent from the request deletes it',
        update: {},
        paths: ['custom_properties.c'],
        want: { custom_properties: { d: { int_value: 2n } } },
      },
      {
        case: 'custom_properties.<key> with dots in the key',
        update: { custom_properties: { 'a.b': { int_value: 1n } } },
        paths: ['custom_properties.a.b'],
        want: {
          custom_properties: { 'a.b': { int_value: 1n }, c: { int_value: 1n }, d: { int_value: 2n } },
        },
      },
      {
        case: 'properties replaces the whole map',
        update: { properties: { d: { double_value: 7 } } },
        paths: ['properties'],
        want: { properties: { d: { double_value: 7 } } },
      },
      {
        case: 'custom_properties replaces the whole map',
        update: { custom_properties: { e: { int_value: 7n } } },
        paths: ['custom_properties'],
        want: { custom_properties: { e: { int_value: 7n } } },
      },
      {
        case: 'external_id and uri set those fields only',
        update: { external_id: 'x2', uri: 'u2', state: Artifact_State.DELETED, properties: {} },
        paths: ['external_id', 'uri'],
        want: { external_id: 'x2', uri: 'u2' },
      },
      {
        case: 'state sets the state',
        update: { state: Artifact_State.ABANDONED },
        paths: ['state'],
        want: { state: Artifact_State.ABANDONED },
      },
      {
        case: 'a masked external_id absent from the request is cleared',
        update: {},
        paths: ['external_id'],
        want: { external_id: undefined },
      },
      {
        case: 'a masked uri absent from the request becomes ""',
        update: {},
        paths: ['uri'],
        want: { uri: '' },
      },
      {
        case: 'a masked state absent from the request is cleared',
        update: {},
        paths: ['state'],
        want: { state: undefined },
      },
      { case: 'name is never updated for artifacts', update: { name: 'zzz' }, paths: ['name'], want: {} },
      {
        case: 'unknown paths are ignored',
        update: { uri: 'new', properties: { i: { int_value: 3n } } },
        paths: ['an_invalid_field_path_having_no_effect', 'properties.i'],
        want: { properties: { i: { int_value: 3n }, s: { string_value: 's' } } },
      },
      {
        case: 'a mask of unknown paths only changes nothing',
        update: { external_id: 'unimportant', custom_properties: { k: { bool_value: true } } },
        paths: ['an_invalid_field_path'],
        want: {},
      },
      {
        case: 'an empty path is ignored',
        update: { uri: 'new' },
        paths: ['', 'uri'],
        want: { uri: 'new' },
      },
      {
        // MLMD: a mask whose only path is empty is still a mask, so nothing is updated.
        case: 'a mask whose only path is empty changes nothing',
        update: { uri: 'new' },
        paths: [''],
        want: {},
      },
      {
        case: 'validation is limited to the masked properties',
        update: { properties: { zz: { int_value: 1n }, s: { int_value: 1n }, i: { int_value: 9n } } },
        paths: ['properties.i'],
        want: { properties: { i: { int_value: 9n }, s: { string_value: 's' } } },
      },
    ]

    it.each(MASK_CASES.map((c) => [c.case, c] as const))('%s', (_case, { update, paths, want }) => {
      const type_id = store.putArtifactType({ artifact_type: NODE_TYPE }).type_id as bigint
      const [id] = store.putArtifacts({ artifacts: [{ type_id, ...STORED }] }).artifact_ids ?? []
      store.putArtifacts({ artifacts: [{ id, type_id, ...update }], update_mask: { paths } })
      const [artifact] = store.getArtifactsByID({ artifact_ids: [id as bigint] }).artifacts ?? []
      const expected: Record<string, unknown> = { id, type_id, type: 'node_type', ...STORED, ...want }
      for (const key of Object.keys(expected)) if (expected[key] === undefined) delete expected[key]
      const { create_time_since_epoch, last_update_time_since_epoch, ...rest } = artifact ?? {}
      expect(rest).toStrictEqual(expected)
      expect(create_time_since_epoch).toBe(BigInt(T0))
    })

    it.each<{ case: string; properties: Record<string, Value>; paths: string[]; error: string }>([
      {
        case: 'a masked undeclared property',
        properties: { zz: { int_value: 1n } },
        paths: ['properties.zz'],
        error: 'Found unknown property: zz',
      },
      {
        case: 'a masked wrong-kind property',
        properties: { s: { int_value: 1n } },
        paths: ['properties.s'],
        error: 'Found unmatched property type: s',
      },
      {
        case: 'an undeclared property in a masked map',
        properties: { zz: { int_value: 1n } },
        paths: ['properties'],
        error: 'Found unknown property: zz',
      },
    ])('rejects $case as INVALID_ARGUMENT', ({ properties, paths, error }) => {
      const type_id = store.putArtifactType({ artifact_type: NODE_TYPE }).type_id as bigint
      const [id] = store.putArtifacts({ artifacts: [{ type_id, ...STORED }] }).artifact_ids ?? []
      expect(() => store.putArtifacts({ artifacts: [{ id, properties }], update_mask: { paths } })).toThrow(
        mlmdError(Code.InvalidArgument, error),
      )
    })

    it('still rejects another type_id under a mask', () => {
      const type_id = store.putArtifactType({ artifact_type: NODE_TYPE }).type_id as bigint
      const [id] = store.putArtifacts({ artifacts: [{ type_id, ...STORED }] }).artifact_ids ?? []
      expect(() =>
        store.putArtifacts({ artifacts: [{ id, type_id: 999n, uri: 'w' }], update_mask: { paths: ['uri'] } }),
      ).toThrow(mlmdError(Code.InvalidArgument, 'Given type_id 999 is different from the one known before'))
    })

    it('UpdateArtifactWithMasking: ignores the mask for inserts in the same request', () => {
      const type_id = store.putArtifactType({ artifact_type: NODE_TYPE }).type_id as bigint
      const [id] = store.putArtifacts({ artifacts: [{ type_id, ...STORED }] }).artifact_ids ?? []
      const request: PutArtifactsRequest = {
        artifacts: [
          { id, type_id, external_id: 'artifact_6', custom_properties: { c: { bool_value: true } } },
          { type_id, uri: 'uri7', external_id: 'artifact_7', custom_properties: { c: { bool_value: true } } },
        ],
        update_mask: { paths: ['external_id'] },
      }
      const [, inserted] = store.putArtifacts(request).artifact_ids ?? []
      const [updated, created] =
        store.getArtifactsByID({ artifact_ids: [id as bigint, inserted as bigint] }).artifacts ?? []
      expect(updated).toMatchObject({ ...STORED, external_id: 'artifact_6' })
      expect(created).toMatchObject({
        uri: 'uri7',
        external_id: 'artifact_7',
        custom_properties: { c: { bool_value: true } },
      })
      // And an invalid insert is still validated in full.
      expect(() =>
        store.putArtifacts({
          artifacts: [{ type_id, properties: { zz: { int_value: 3n } } }],
          update_mask: { paths: ['state'] },
        }),
      ).toThrow(mlmdError(Code.InvalidArgument, 'Found unknown property: zz'))
    })

    it('UpdateExecutionWithMasking: masks last_known_state and properties of executions', () => {
      const type_id = store.putExecutionType({ execution_type: NODE_TYPE }).type_id as bigint
      const [id] =
        store.putExecutions({
          executions: [
            {
              type_id,
              name: 'e',
              last_known_state: Execution_State.RUNNING,
              properties: { i: { int_value: 1n } },
            },
          ],
        }).execution_ids ?? []
      store.putExecutions({
        executions: [{ id, name: 'ignored', last_known_state: Execution_State.COMPLETE }],
        update_mask: { paths: ['last_known_state', 'name'] },
      })
      expect(store.getExecutionsByID({ execution_ids: [id as bigint] }).executions?.[0]).toMatchObject({
        name: 'e',
        last_known_state: Execution_State.COMPLETE,
        properties: { i: { int_value: 1n } },
      })
    })

    it('UpdateContextWithMasking: a masked name renames a context; a masked absent name is INVALID_ARGUMENT', () => {
      const type_id = store.putContextType({ context_type: NODE_TYPE }).type_id as bigint
      const [id] =
        store.putContexts({
          contexts: [{ type_id, name: 'c1', external_id: 'cx', properties: { i: { int_value: 1n } } }],
        }).context_ids ?? []
      expect(() => store.putContexts({ contexts: [{ id }], update_mask: { paths: ['name'] } })).toThrow(
        mlmdError(Code.InvalidArgument, 'Context name should not be empty'),
      )
      store.putContexts({ contexts: [{ id }], update_mask: { paths: ['external_id'] } })
      store.putContexts({ contexts: [{ id, name: 'c9' }], update_mask: { paths: ['name'] } })
      expect(store.getContextsByID({ context_ids: [id as bigint] }).contexts?.[0]).toStrictEqual({
        id,
        type_id,
        type: 'node_type',
        name: 'c9',
        properties: { i: { int_value: 1n } },
        custom_properties: {},
        create_time_since_epoch: BigInt(T0),
        last_update_time_since_epoch: BigInt(T0 + 2),
      })
    })
  })

  describe('last_update_time_since_epoch', () => {
    it.each(KINDS)('is kept by an update of a $kind that changes nothing', (k) => {
      const type_id = k.putType()
      const node: CommonNode = {
        type_id,
        name: 'n',
        external_id: 'x',
        properties: { i: { int_value: 1n }, st: STRUCT, pr: ANY },
        custom_properties: { c: { double_value: Number.NaN } },
      }
      const [id] = k.put([node])
      vi.setSystemTime(T0 + 1000)
      // Without the output-only `type` too (MLMD bumps then).
      k.put([{ id, ...node }])
      k.put([{ id, ...node, type_id: undefined }], { paths: ['properties.i', 'external_id'] })
      const [read] = k.byId([id as bigint])
      expect(read?.last_update_time_since_epoch).toBe(BigInt(T0))
      k.put([read as CommonNode])
      expect(k.byId([id as bigint])[0]?.last_update_time_since_epoch).toBe(BigInt(T0))
    })

    it.each(KINDS)('moves to now when an update changes a $kind, and never changes create_time', (k) => {
      const type_id = k.putType()
      const [id] = k.put([{ type_id, name: 'n' }])
      vi.setSystemTime(T0 + 1000)
      k.put([{ id, name: 'n', custom_properties: { c: { int_value: 1n } } }])
      expect(k.byId([id as bigint])[0]).toMatchObject({
        create_time_since_epoch: BigInt(T0),
        last_update_time_since_epoch: BigInt(T0 + 1000),
      })
    })

    it.each(KINDS)('moves strictly forward on every change of a $kind within one millisecond', (k) => {
      const type_id = k.putType()
      const [id] = k.put([{ type_id, name: 'n' }])
      const seen: bigint[] = []
      for (let i = 0n; i < 3n; i++) {
        k.put([{ id, name: 'n', custom_properties: { c: { int_value: i } } }])
        seen.push(k.byId([id as bigint])[0]?.last_update_time_since_epoch as bigint)
      }
      expect(seen).toEqual([BigInt(T0) + 1n, BigInt(T0) + 2n, BigInt(T0) + 3n])
    })

    it.each(KINDS)('moves forward when the clock went back, for a $kind', (k) => {
      const type_id = k.putType()
      const [id] = k.put([{ type_id, name: 'n' }])
      vi.setSystemTime(T0 - 5000)
      k.put([{ id, name: 'n', external_id: 'changed' }])
      expect(k.byId([id as bigint])[0]?.last_update_time_since_epoch).toBe(BigInt(T0) + 1n)
    })
  })

  describe('putArtifacts: abort_if_latest_updated_time_changed', () => {
    it('PutArtifactsWhenLatestUpdatedTimeChanged: succeeds on the read time, then fails on the stale one', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'test_type' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id }] })
      const [stored] = store.getArtifacts({}).artifacts ?? []
      const request: PutArtifactsRequest = {
        artifacts: [{ ...stored, state: Artifact_State.LIVE }],
        options: { abort_if_latest_updated_time_changed: true },
      }
      expect(store.putArtifacts(request)).toEqual({ artifact_ids: [stored?.id] })
      const [updated] = store.getArtifacts({}).artifacts ?? []
      expect(updated?.state).toBe(Artifact_State.LIVE)
      expect(updated?.last_update_time_since_epoch).toBeGreaterThan(
        stored?.last_update_time_since_epoch as bigint,
      )
      expect(() => store.putArtifacts(request)).toThrow(
        mlmdError(
          Code.FailedPrecondition,
          '`abort_if_latest_updated_time_changed` is set, and the stored artifact with id = 1 has a different last_update_time_since_epoch',
        ),
      )
      expect(() =>
        store.putArtifacts({ ...request, artifacts: [{ id: stored?.id, uri: 'no time given' }] }),
      ).toThrow(mlmdError(Code.FailedPrecondition))
    })

    it('writes nothing when a later artifact of the batch is stale', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'test_type' } }).type_id as bigint
      store.putArtifacts({
        artifacts: [
          { type_id, uri: 'a' },
          { type_id, uri: 'b' },
        ],
      })
      const [a, b] = store.getArtifacts({}).artifacts ?? []
      expect(() =>
        store.putArtifacts({
          artifacts: [
            { ...a, uri: 'changed a' },
            { type_id, uri: 'new' },
            { ...b, uri: 'changed b', last_update_time_since_epoch: 1n },
          ],
          options: { abort_if_latest_updated_time_changed: true },
        }),
      ).toThrow(mlmdError(Code.FailedPrecondition))
      expect(store.getArtifacts({}).artifacts).toStrictEqual([a, b])
    })

    it('checks an artifact repeated in the batch against its first update', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'test_type' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id, uri: 'a' }] })
      const [a] = store.getArtifacts({}).artifacts ?? []
      expect(() =>
        store.putArtifacts({
          artifacts: [
            { ...a, uri: 'first' },
            { ...a, uri: 'second' },
          ],
          options: { abort_if_latest_updated_time_changed: true },
        }),
      ).toThrow(mlmdError(Code.FailedPrecondition))
      expect(store.getArtifacts({}).artifacts).toStrictEqual([a])
    })

    it('inserts new artifacts and reports missing ids as INVALID_ARGUMENT under the option', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'test_type' } }).type_id as bigint
      const options = { abort_if_latest_updated_time_changed: true }
      expect(store.putArtifacts({ artifacts: [{ type_id, uri: 'x' }], options })).toEqual({
        artifact_ids: [1n],
      })
      expect(() =>
        store.putArtifacts({ artifacts: [{ id: 999n, last_update_time_since_epoch: 5n }], options }),
      ).toThrow(mlmdError(Code.InvalidArgument, 'Cannot find the given id 999'))
    })
  })

  describe('getArtifactsByID / getExecutionsByID / getContextsByID', () => {
    it.each(KINDS)(
      'returns $kind nodes by ascending id, skipping unknown ids and collapsing duplicates',
      (k) => {
        const type_id = k.putType()
        const [a, b, c] = k.put([
          { type_id, name: 'a' },
          { type_id, name: 'b' },
          { type_id, name: 'c' },
        ])
        expect(ids(k.byId([c as bigint, 99n, a as bigint, c as bigint]))).toEqual([a, c])
        expect(ids(k.byId([b as bigint]))).toEqual([b])
        expect(k.byId([])).toEqual([])
        expect(k.byId([99n])).toEqual([])
      },
    )

    it('PutArtifactsGetArtifactsByIDAndPopulateType: returns the distinct types of the artifacts', () => {
      const model = store.putArtifactType({
        artifact_type: {
          name: 'model',
          external_id: 'tm',
          properties: { i: PropertyType.INT },
          base_type: ArtifactType_SystemDefinedBaseType.MODEL,
        },
      }).type_id as bigint
      const data = store.putArtifactType({ artifact_type: { name: 'data', version: 'v1' } }).type_id as bigint
      store.putArtifactType({ artifact_type: { name: 'unused' } })
      const [m1, d1, m2] =
        store.putArtifacts({
          artifacts: [{ type_id: model }, { type_id: data }, { type_id: model }],
        }).artifact_ids ?? []
      const response = store.getArtifactsByID({
        artifact_ids: [m2 as bigint, d1 as bigint, m1 as bigint],
        populate_artifact_types: true,
      })
      expect(ids(response.artifacts)).toEqual([m1, d1, m2])
      // Ours also returns base_type (MLMD leaves it out here).
      expect(response.artifact_types).toStrictEqual([
        {
          id: model,
          name: 'model',
          external_id: 'tm',
          properties: { i: PropertyType.INT },
          base_type: ArtifactType_SystemDefinedBaseType.MODEL,
        },
        { id: data, name: 'data', version: 'v1', properties: {} },
      ])
      expect(store.getArtifactsByID({ artifact_ids: [m1 as bigint] }).artifact_types).toEqual([])
    })
  })

  describe('getArtifacts / getExecutions / getContexts', () => {
    it.each(KINDS)('returns every $kind by ascending id without a token when there are no options', (k) => {
      const type_id = k.putType()
      const other = k.putType({ name: 'other_type' })
      const created = k.put(
        Array.from({ length: 25 }, (_, i) => ({ type_id: i % 2 === 0 ? type_id : other, name: `n${i}` })),
      )
      const response = k.list()
      expect(ids(response.nodes)).toEqual(created)
      expect(response).not.toHaveProperty('next_page_token')
    })

    it.each(KINDS)('returns no $kind nodes from an empty store', (k) => {
      expect(k.list()).toStrictEqual({ nodes: [] })
    })
  })

  describe('getArtifactsByType / getExecutionsByType / getContextsByType', () => {
    it.each(KINDS)(
      'PutTypesAndArtifactsGetArtifactsThroughType: returns the $kind nodes of the named type and version',
      (k) => {
        const none = k.putType({ name: 't' })
        const v1 = k.putType({ name: 't', version: 'v1' })
        const [a, b, c] = k.put([
          { type_id: none, name: 'a' },
          { type_id: v1, name: 'b' },
          { type_id: none, name: 'c' },
        ])
        expect(ids(k.byType('t').nodes)).toEqual([a, c])
        expect(ids(k.byType('t', '').nodes)).toEqual([a, c])
        expect(ids(k.byType('t', 'v1').nodes)).toEqual([b])
        expect(k.byType('t', 'v2')).toStrictEqual({ nodes: [] })
      },
    )

    it.each(KINDS)(
      'GetArtifactAndExecutionByTypesWithEmptyType: an unknown or empty type gives no $kind nodes',
      (k) => {
        k.putType({ name: 'empty' })
        expect(k.byType('nope')).toStrictEqual({ nodes: [] })
        expect(k.byType('empty')).toStrictEqual({ nodes: [] })
        expect(k.byType('nope', undefined, {})).toStrictEqual({ nodes: [] })
      },
    )

    it.each(KINDS)('does not list $kind nodes of a same-named type of another kind', (k) => {
      const other = KINDS.find((o) => o.kind !== k.kind) as (typeof KINDS)[number]
      const otherType = other.putType({ name: 'shared' })
      other.put([{ type_id: otherType, name: 'n' }])
      k.putType({ name: 'shared' })
      expect(k.byType('shared').nodes).toEqual([])
    })

    it.each(KINDS)(
      'sets an empty next_page_token on the last page of $kind nodes listed with options',
      (k) => {
        // MLMD always sets the token of a by-type listing with options once the type has nodes.
        const type_id = k.putType()
        k.put([{ type_id, name: 'a' }])
        expect(k.byType('node_type', undefined, {})).toMatchObject({ next_page_token: '' })
      },
    )

    it.each(KINDS)('lists no $kind nodes for a type without nodes whatever the options', (k) => {
      // MLMD does not validate the options when there is nothing to list.
      k.putType()
      expect(k.byType('node_type', undefined, { max_result_size: 0 }).nodes).toEqual([])
      expect(k.byType('nope', undefined, { max_result_size: 0 }).nodes).toEqual([])
    })
  })

  describe('getArtifactByTypeAndName / getExecutionByTypeAndName / getContextByTypeAndName', () => {
    it.each(KINDS)('returns the $kind with that type and name', (k) => {
      const type_id = k.putType()
      const v1 = k.putType({ name: 'node_type', version: 'v1' })
      const [a, b] = k.put([
        { type_id, name: 'a' },
        { type_id: v1, name: 'a' },
      ])
      expect(ids(Object.values(k.byTypeAndName('node_type', 'a')))).toEqual([a])
      expect(ids(Object.values(k.byTypeAndName('node_type', 'a', 'v1')))).toEqual([b])
      expect(ids(Object.values(k.byTypeAndName('node_type', 'a', '')))).toEqual([a])
    })

    it.each(KINDS)('leaves the field unset when no $kind matches', (k) => {
      const type_id = k.putType()
      k.put([{ type_id, name: 'a' }])
      expect(k.byTypeAndName('node_type', 'zz')).toStrictEqual({})
      expect(k.byTypeAndName('nope', 'a')).toStrictEqual({})
      expect(k.byTypeAndName('node_type', 'a', 'v9')).toStrictEqual({})
    })

    it('finds an artifact named ""', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 't' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id }, { type_id, name: '' }] })
      expect(store.getArtifactByTypeAndName({ type_name: 't', artifact_name: '' }).artifact?.id).toBe(2n)
    })
  })

  describe('getArtifactsByURI', () => {
    it('GetArtifactByURI: matches each uri exactly, de-duplicates, and "" matches uri-less artifacts', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'artifact_type' } }).type_id as bigint
      expect(store.getArtifactsByURI({})).toEqual({ artifacts: [] })
      store.putArtifacts({
        artifacts: [
          { type_id, uri: 'testuri://with_one_artifact' },
          { type_id, uri: 'testuri://with_multiple_artifacts' },
          { type_id, uri: 'testuri://with_multiple_artifacts' },
          { type_id },
          { type_id },
          { type_id, uri: '' },
        ],
      })
      const byUri = (uris: string[]) =>
        ids(store.getArtifactsByURI({ uris }).artifacts).sort((x, y) => Number((x as bigint) - (y as bigint)))
      expect(byUri(['testuri://with_one_artifact'])).toEqual([1n])
      expect(byUri(['testuri://with_multiple_artifacts'])).toEqual([2n, 3n])
      expect(byUri([''])).toEqual([4n, 5n, 6n])
      expect(byUri(['unknown_uri'])).toEqual([])
      expect(
        byUri([
          'unknown_uri',
          'testuri://with_one_artifact',
          'testuri://with_one_artifact',
          'unknown_uri_2',
          'testuri://with_multiple_artifacts',
          '',
        ]),
      ).toEqual([1n, 2n, 3n, 4n, 5n, 6n])
    })

    it('finds an artifact by its new uri after an update', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id, uri: 'old' }] })
      store.putArtifacts({ artifacts: [{ id: 1n, uri: 'new' }] })
      expect(store.getArtifactsByURI({ uris: ['old'] }).artifacts).toEqual([])
      expect(ids(store.getArtifactsByURI({ uris: ['new'] }).artifacts)).toEqual([1n])
    })
  })

  describe('getArtifactsByExternalIds / getExecutionsByExternalIds / getContextsByExternalIds', () => {
    it.each(KINDS)(
      'PutArtifactsGetArtifactsByExternalIds: returns the $kind nodes found, by ascending id',
      (k) => {
        const type_id = k.putType()
        const [a, , c] = k.put([
          { type_id, name: 'a', external_id: 'e1' },
          { type_id, name: 'b' },
          { type_id, name: 'c', external_id: 'e3' },
        ])
        expect(ids(k.byExternalIds(['e3', 'e1']))).toEqual([a, c])
        expect(ids(k.byExternalIds(['missing', 'e3', 'e3']))).toEqual([c])
        expect(k.byExternalIds(['e1'])[0]).toMatchObject({ name: 'a', external_id: 'e1', type: 'node_type' })
      },
    )

    it.each(KINDS)('returns no $kind nodes for an empty request', (k) => {
      expect(k.byExternalIds([])).toEqual([])
    })

    it.each(KINDS)('rejects an empty external id when looking up $kind nodes as INVALID_ARGUMENT', (k) => {
      const type_id = k.putType()
      k.put([{ type_id, name: 'a', external_id: '' }])
      expect(() => k.byExternalIds(['', 'e1'])).toThrow(mlmdError(Code.InvalidArgument))
    })

    it.each(KINDS)('is NOT_FOUND when no $kind has any of the external ids', (k) => {
      const type_id = k.putType()
      k.put([{ type_id, name: 'a', external_id: 'e1' }])
      expect(() => k.byExternalIds(['missing'])).toThrow(
        mlmdError(Code.NotFound, `No ${k.kind}s found for external_ids.`),
      )
    })
  })

  describe('paging with ListOperationOptions', () => {
    it.each(KINDS)('returns pages of 20 $kind nodes by default, with a token while more remain', (k) => {
      const type_id = k.putType()
      const created = k.put(Array.from({ length: 45 }, (_, i) => ({ type_id, name: `n${i}` })))
      const first = k.list({})
      expect(ids(first.nodes)).toEqual(created.slice(0, 20))
      expect(first.next_page_token).toEqual(expect.any(String))
      const second = k.list({ next_page_token: first.next_page_token })
      expect(ids(second.nodes)).toEqual(created.slice(20, 40))
      const third = k.list({ next_page_token: second.next_page_token })
      expect(ids(third.nodes)).toEqual(created.slice(40))
      expect(third).not.toHaveProperty('next_page_token')
    })

    it('PutArtifactsGetArtifactsWithListOptions: pages by CREATE_TIME descending', () => {
      const type_id = store.putArtifactType({
        artifact_type: { name: 'test_type2', properties: { property: PropertyType.STRING } },
      }).type_id as bigint
      const artifact: Artifact = {
        type_id,
        uri: 'testuri://testing/uri',
        properties: { property: { string_value: '3' } },
      }
      const [first, second] = store.putArtifacts({ artifacts: [artifact, artifact] }).artifact_ids ?? []
      const options: ListOperationOptions = {
        max_result_size: 1,
        order_by_field: { field: Field.CREATE_TIME, is_asc: false },
      }
      const page1 = store.getArtifacts({ options })
      expect(ids(page1.artifacts)).toEqual([second])
      expect(page1.next_page_token).not.toBe('')
      const page2 = store.getArtifacts({ options: { ...options, next_page_token: page1.next_page_token } })
      expect(ids(page2.artifacts)).toEqual([first])
      expect(page2.next_page_token ?? '').toBe('')
      expect(page2.artifacts?.[0]).toMatchObject(artifact)
    })

    it.each([0, -1])('rejects max_result_size %d as INVALID_ARGUMENT', (max_result_size) => {
      store.putArtifactType({ artifact_type: { name: 'a' } })
      store.putArtifacts({ artifacts: [{ type_id: 10n }] })
      expect(() => store.getArtifacts({ options: { max_result_size } })).toThrow(
        mlmdError(Code.InvalidArgument),
      )
      expect(() => store.getExecutions({ options: { max_result_size } })).toThrow(
        mlmdError(Code.InvalidArgument),
      )
    })

    it('caps pages at 100 rows and hands out a token for the rest', () => {
      // MLMD returns 101 rows and no token for max_result_size >= 101 (the rest is unreachable).
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: Array.from({ length: 150 }, () => ({ type_id })) })
      const first = store.getArtifacts({ options: { max_result_size: 1000 } })
      expect(first.artifacts).toHaveLength(100)
      const second = store.getArtifacts({
        options: { max_result_size: 1000, next_page_token: first.next_page_token },
      })
      expect(ids(second.artifacts)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(101 + i)))
      expect(second).not.toHaveProperty('next_page_token')
    })

    it('rejects ordering by FIELD_UNSPECIFIED as INVALID_ARGUMENT', () => {
      expect(() =>
        store.getArtifacts({ options: { order_by_field: { field: Field.FIELD_UNSPECIFIED } } }),
      ).toThrow(mlmdError(Code.InvalidArgument, 'Unsupported field'))
    })

    it('orders by ID by default, descending when is_asc is false', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id }, { type_id }, { type_id }] })
      expect(ids(store.getArtifacts({ options: { order_by_field: { is_asc: false } } }).artifacts)).toEqual([
        3n,
        2n,
        1n,
      ])
      expect(ids(store.getArtifacts({ options: { order_by_field: { field: Field.ID } } }).artifacts)).toEqual(
        [1n, 2n, 3n],
      )
      expect(ids(store.getArtifacts({ options: { next_page_token: '' } }).artifacts)).toEqual([1n, 2n, 3n])
    })

    // Ids 1..6 created at these times; ties are broken by id in the same direction.
    const CREATE_TIMES = [100, 100, 50, 200, 50, 100]
    it.each([
      { field: Field.ID, is_asc: true, want: [1n, 2n, 3n, 4n, 5n, 6n] },
      { field: Field.ID, is_asc: false, want: [6n, 5n, 4n, 3n, 2n, 1n] },
      { field: Field.CREATE_TIME, is_asc: true, want: [3n, 5n, 1n, 2n, 6n, 4n] },
      { field: Field.CREATE_TIME, is_asc: false, want: [4n, 6n, 2n, 1n, 5n, 3n] },
      { field: Field.LAST_UPDATE_TIME, is_asc: true, want: [3n, 5n, 1n, 2n, 6n, 4n] },
      { field: Field.LAST_UPDATE_TIME, is_asc: false, want: [4n, 6n, 2n, 1n, 5n, 3n] },
    ])('orders by field $field is_asc $is_asc, and walks it page by page', ({ field, is_asc, want }) => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      for (const time of CREATE_TIMES) {
        vi.setSystemTime(T0 + time)
        store.putArtifacts({ artifacts: [{ type_id }] })
      }
      const order_by_field = { field, is_asc }
      expect(ids(store.getArtifacts({ options: { order_by_field } }).artifacts)).toEqual(want)
      for (const max_result_size of [1, 2, 4, 5]) {
        const walked: (bigint | undefined)[] = []
        let next_page_token: string | undefined
        do {
          const page = store.getArtifacts({ options: { max_result_size, order_by_field, next_page_token } })
          expect(page.artifacts?.length).toBeLessThanOrEqual(max_result_size)
          walked.push(...ids(page.artifacts))
          next_page_token = page.next_page_token
        } while (next_page_token !== undefined)
        expect(walked).toEqual(want)
      }
    })

    it('orders by LAST_UPDATE_TIME after updates', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id }, { type_id }, { type_id }] })
      vi.setSystemTime(T0 + 10)
      store.putArtifacts({ artifacts: [{ id: 1n, uri: 'touched' }] })
      const order_by_field = { field: Field.LAST_UPDATE_TIME, is_asc: false }
      expect(ids(store.getArtifacts({ options: { order_by_field } }).artifacts)).toEqual([1n, 3n, 2n])
    })

    it.each([
      { field: Field.ID, is_asc: true },
      { field: Field.ID, is_asc: false },
      { field: Field.CREATE_TIME, is_asc: true },
      { field: Field.CREATE_TIME, is_asc: false },
      { field: Field.LAST_UPDATE_TIME, is_asc: true },
      { field: Field.LAST_UPDATE_TIME, is_asc: false },
    ])(
      'lists every row once with field $field is_asc $is_asc while rows are inserted between pages',
      ({ field, is_asc }) => {
        const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
        // Many rows share a timestamp, so pages start and end inside runs of equal times.
        const original: bigint[] = []
        for (let i = 0; i < 30; i++) {
          vi.setSystemTime(T0 + Math.floor(i / 7))
          original.push(...(store.putArtifacts({ artifacts: [{ type_id }] }).artifact_ids ?? []))
        }
        const walked: bigint[] = []
        let next_page_token: string | undefined
        do {
          const page = store.getArtifacts({
            options: { max_result_size: 4, order_by_field: { field, is_asc }, next_page_token },
          })
          walked.push(...(ids(page.artifacts) as bigint[]))
          next_page_token = page.next_page_token
          store.putArtifacts({ artifacts: [{ type_id }] })
        } while (next_page_token !== undefined)
        expect(new Set(walked).size).toBe(walked.length)
        expect(walked.filter((id) => original.includes(id)).sort((x, y) => Number(x - y))).toEqual(original)
      },
    )

    it.each(KINDS)('pages $kind nodes of one type with the token', (k) => {
      const type_id = k.putType()
      const other = k.putType({ name: 'other_type' })
      const created = k.put(
        Array.from({ length: 9 }, (_, i) => ({ type_id: i % 3 === 0 ? other : type_id, name: `n${i}` })),
      )
      const mine = created.filter((_, i) => i % 3 !== 0)
      const walked: (bigint | undefined)[] = []
      let next_page_token: string | undefined
      do {
        const page = k.byType('node_type', undefined, { max_result_size: 4, next_page_token })
        walked.push(...ids(page.nodes))
        next_page_token = page.next_page_token === '' ? undefined : page.next_page_token
      } while (next_page_token !== undefined)
      expect(walked).toEqual(mine)
    })

    it.each([
      { case: 'not base64', token: '!!!' },
      { case: 'base64 of no ListOperationNextPageToken', token: 'abc' },
    ])('rejects a page token that is $case as INVALID_ARGUMENT', ({ token }) => {
      store.putArtifactType({ artifact_type: { name: 'a' } })
      store.putArtifacts({ artifacts: [{ type_id: 10n }] })
      expect(() => store.getArtifacts({ options: { next_page_token: token } })).toThrow(
        mlmdError(Code.InvalidArgument),
      )
    })

    it.each([
      { case: 'another direction', order_by_field: { field: Field.ID, is_asc: false } },
      { case: 'another field', order_by_field: { field: Field.CREATE_TIME, is_asc: true } },
    ])('rejects a token reused with $case as INVALID_ARGUMENT', ({ order_by_field }) => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: [{ type_id }, { type_id }, { type_id }] })
      const { next_page_token } = store.getArtifacts({ options: { max_result_size: 1 } })
      expect(() =>
        store.getArtifacts({ options: { max_result_size: 1, order_by_field, next_page_token } }),
      ).toThrow(mlmdError(Code.InvalidArgument, 'ListOperationOptions mismatch'))
    })

    it('uses the current request’s max_result_size with a token', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: Array.from({ length: 7 }, () => ({ type_id })) })
      const { next_page_token } = store.getArtifacts({ options: { max_result_size: 2 } })
      const page = store.getArtifacts({ options: { max_result_size: 4, next_page_token } })
      expect(ids(page.artifacts)).toEqual([3n, 4n, 5n, 6n])
      // As MLMD's ('CAYQBhoCCAQ'): set_options is the request that made the token.
      expect(page.next_page_token).toBe('CAYQBhoCCAQ')
    })

    it("writes MLMD's tokens: unpadded URL-safe base64 of ListOperationNextPageToken", () => {
      // Tokens ml-metadata 1.16.0 returns for the same inserts and requests.
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: Array.from({ length: 7 }, () => ({ type_id })) })
      const tokens: (string | undefined)[] = []
      let next_page_token: string | undefined
      do {
        const page = store.getArtifacts({ options: { max_result_size: 2, next_page_token } })
        next_page_token = page.next_page_token
        tokens.push(next_page_token)
      } while (next_page_token !== undefined)
      expect(tokens).toEqual(['CAIQAhoCCAI', 'CAQQBBoCCAI', 'CAYQBhoCCAI', undefined])
      const order_by_field = { field: Field.ID, is_asc: false }
      expect(store.getArtifacts({ options: { max_result_size: 3, order_by_field } }).next_page_token).toBe(
        'CAUQBRoICAMSBAgDEAA',
      )
      expect(decodePageToken('CAUQBRoCCAI')).toEqual({
        id_offset: 5n,
        field_offset: 5n,
        set_options: { max_result_size: 2 },
        listed_ids: [],
      })
    })

    it("gives 'CAUQBRoCCAI' for ID paging of size 2 after id 5", () => {
      const a = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      const b = store.putArtifactType({ artifact_type: { name: 'b' } }).type_id as bigint
      // Type a has ids 1, 2, 4, 5, 6.
      store.putArtifacts({
        artifacts: [
          { type_id: a },
          { type_id: a },
          { type_id: b },
          { type_id: a },
          { type_id: a },
          { type_id: a },
        ],
      })
      const first = store.getArtifactsByType({ type_name: 'a', options: { max_result_size: 2 } })
      const second = store.getArtifactsByType({
        type_name: 'a',
        options: { max_result_size: 2, next_page_token: first.next_page_token },
      })
      expect(ids(second.artifacts)).toEqual([4n, 5n])
      expect(second.next_page_token).toBe('CAUQBRoCCAI')
    })

    it('continues the ID tokens the real MLMD wrote for the same data', () => {
      // ml-metadata 1.16.0, 7 artifacts: {max_result_size: 2} after [1, 2], and
      // {max_result_size: 3, order_by_field: {field: ID, is_asc: false}} after [7, 6, 5].
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      store.putArtifacts({ artifacts: Array.from({ length: 7 }, () => ({ type_id })) })
      const ascending = store.getArtifacts({
        options: { max_result_size: 2, next_page_token: 'CAIQAhoCCAI' },
      })
      expect(ids(ascending.artifacts)).toEqual([3n, 4n])
      expect(ascending.next_page_token).toBe('CAQQBBoCCAI')
      const descending = store.getArtifacts({
        options: {
          max_result_size: 3,
          order_by_field: { field: Field.ID, is_asc: false },
          next_page_token: 'CAUQBRoICAMSBAgDEAA',
        },
      })
      expect(ids(descending.artifacts)).toEqual([4n, 3n, 2n])
      expect(descending.next_page_token).toBe('CAIQAhoICAMSBAgDEAA')
    })

    it('continues a LAST_UPDATE_TIME token in MLMD’s form (field_offset and listed_ids, no id_offset)', () => {
      const type_id = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      // Times: 1 → T0, 2 → T0+1, 3 → T0+1, 4 → T0+1, 5 → T0+2.
      for (const time of [0, 1, 1, 1, 2]) {
        vi.setSystemTime(T0 + time)
        store.putArtifacts({ artifacts: [{ type_id }] })
      }
      const set_options: ListOperationOptions = {
        max_result_size: 3,
        order_by_field: { field: Field.LAST_UPDATE_TIME, is_asc: true },
      }
      // MLMD's token after the page [1, 2, 3]: the ids at the page's last time, last row first.
      const token = encodePageToken({ field_offset: BigInt(T0 + 1), set_options, listed_ids: [3n, 2n] })
      const page = store.getArtifacts({ options: { ...set_options, next_page_token: token } })
      expect(ids(page.artifacts)).toEqual([4n, 5n])
      // Ours writes both forms, so MLMD can continue our tokens too.
      const ours = store.getArtifacts({ options: set_options })
      expect(ids(ours.artifacts)).toEqual([1n, 2n, 3n])
      expect(decodePageToken(ours.next_page_token as string)).toEqual({
        id_offset: 3n,
        field_offset: BigInt(T0 + 1),
        set_options,
        listed_ids: [3n, 2n],
      })
    })
  })
})
