import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  Event_Type,
  type MetadataStoreServiceRpcs,
  PropertyType,
  type PutArtifactsRequest,
  type PutTypesRequest,
  RPC_NAMES,
} from '../proto/messages.js'
import {
  createMetadataStore,
  OPERATION_NAMES,
  OPERATIONS as OPERATION_TABLE,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from './metadata-store.js'
import { type MetadataStore, operationName } from './metadata-store-api.js'
import { modeOf } from './operation.js'

function errorOf(body: () => unknown): MlmdError {
  try {
    body()
  } catch (error) {
    if (error instanceof MlmdError) return error
    throw error
  }
  throw new Error('expected the call to throw')
}

let dir: string
const opened: OwnedMetadataStore[] = []

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'metadata-store-'))
})
afterEach(() => {
  for (const store of opened.splice(0)) store.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(filename = ':memory:', options: { readonly?: boolean; mustExist?: boolean } = {}) {
  const store = createMetadataStore({ filename, ...options })
  opened.push(store)
  return store
}
const fileIn = (name = 'mlmd.sqlite') => path.join(dir, name)

const TYPES: PutTypesRequest = {
  artifact_types: [{ name: 'Dataset', properties: { split: PropertyType.STRING } }],
  execution_types: [{ name: 'Trainer', properties: { epochs: PropertyType.INT } }],
  context_types: [{ name: 'Pipeline' }],
}

// A small graph of every kind of record: types, nodes with properties, events with paths,
// attributions, associations and a parent link.
function seed(store: MetadataStore) {
  const types = store.putTypes(TYPES)
  const artifactTypeId = types.artifact_type_ids?.[0] as bigint
  const executionTypeId = types.execution_type_ids?.[0] as bigint
  const contextTypeId = types.context_type_ids?.[0] as bigint
  const put = store.putExecution({
    execution: { type_id: executionTypeId, name: 'run', properties: { epochs: { int_value: 3n } } },
    artifact_event_pairs: [
      {
        artifact: {
          type_id: artifactTypeId,
          uri: 's3://in',
          properties: { split: { string_value: 'train' } },
        },
        event: { type: Event_Type.INPUT, path: { steps: [{ key: 'examples' }, { index: 0n }] } },
      },
      {
        artifact: { type_id: artifactTypeId, uri: 's3://out', external_id: 'model-1' },
        event: { type: Event_Type.OUTPUT },
      },
    ],
    contexts: [
      { type_id: contextTypeId, name: 'pipeline', custom_properties: { owner: { string_value: 'me' } } },
      { type_id: contextTypeId, name: 'run-1' },
    ],
  })
  const [parent, child] = put.context_ids as [bigint, bigint]
  store.putParentContexts({ parent_contexts: [{ parent_id: parent, child_id: child }] })
  const [unlinked] = store.putContexts({ contexts: [{ type_id: contextTypeId, name: 'unlinked' }] })
    .context_ids as [bigint]
  return { artifactTypeId, executionTypeId, contextTypeId, unlinked, ...put }
}

// Everything a store holds, read through its public operations.
function snapshot(store: MetadataStore) {
  const artifacts = store.getArtifacts({}).artifacts ?? []
  const executions = store.getExecutions({}).executions ?? []
  const contexts = store.getContexts({}).contexts ?? []
  const contextIds = contexts.map((c) => c.id as bigint)
  return {
    artifactTypes: store.getArtifactTypes({}).artifact_types,
    executionTypes: store.getExecutionTypes({}).execution_types,
    contextTypes: store.getContextTypes({}).context_types,
    artifacts,
    executions,
    contexts,
    events: store.getEventsByExecutionIDs({ execution_ids: executions.map((e) => e.id as bigint) }).events,
    attributions: contextIds.map((context_id) => store.getArtifactsByContext({ context_id }).artifacts),
    associations: contextIds.map((context_id) => store.getExecutionsByContext({ context_id }).executions),
    parents:
      contextIds.length === 0 ? {} : store.getParentContextsByContexts({ context_ids: contextIds }).contexts,
  }
}

type Operation = keyof MetadataStore
const OPERATIONS = RPC_NAMES.map((rpc) => operationName(rpc)) as Operation[]
const call = (store: MetadataStore, operation: Operation, request: object = {}) =>
  (store[operation] as (r: object) => unknown)(request)

describe('metadata-store', () => {
  describe('createMetadataStore', () => {
    it('opens an in-memory store, with no visible types', () => {
      const store = open()
      expect(store.filename).toBe(':memory:')
      expect(store.getArtifactTypes({})).toEqual({ artifact_types: [] })
      expect(store.getExecutionTypes({})).toEqual({ execution_types: [] })
      expect(store.getContextTypes({})).toEqual({ context_types: [] })
    })

    it('gives each in-memory store its own database', () => {
      seed(open())
      expect(open().getArtifacts({})).toEqual({ artifacts: [] })
    })

    it('implements every RPC of MetadataStoreService', () => {
      const store = open()
      for (const operation of OPERATIONS) expect(typeof store[operation], operation).toBe('function')
    })

    it('keeps the data of a file store across close and reopen', () => {
      const first = open(fileIn())
      seed(first)
      const before = snapshot(first)
      first.close()

      const reopened = open(fileIn(), { mustExist: true })
      expect(reopened.filename).toBe(fileIn())
      expect(snapshot(reopened)).toEqual(before)
      expect(before.events).toHaveLength(2)
      expect(Object.keys(before.parents ?? {})).toHaveLength(1)
    })

    it('lets two stores on one file see each other’s committed writes', () => {
      const writer = open(fileIn())
      const reader = open(fileIn())
      seed(writer)
      expect(snapshot(reader)).toEqual(snapshot(writer))
    })

    it('opens a file read-only: reads work, writes fail with FAILED_PRECONDITION', () => {
      const writer = open(fileIn())
      seed(writer)
      const before = snapshot(writer)
      writer.close()

      const reader = open(fileIn(), { readonly: true })
      expect(snapshot(reader)).toEqual(before)
      expect(errorOf(() => reader.putContextType({ context_type: { name: 'New' } })).code).toBe(
        Code.FailedPrecondition,
      )
      expect(snapshot(reader)).toEqual(before)
    })

    it.each([
      { case: 'mustExist', options: { mustExist: true } },
      { case: 'readonly', options: { readonly: true } },
    ])('refuses a missing file with $case as FAILED_PRECONDITION', ({ options }) => {
      expect(errorOf(() => open(fileIn('missing.sqlite'), options)).code).toBe(Code.FailedPrecondition)
    })

    it('refuses a file that is not a SQLite database as FAILED_PRECONDITION', () => {
      writeFileSync(
        fileIn(),
        'not a database, but long enough to have a header of a hundred bytes '.repeat(10),
      )
      expect(errorOf(() => open(fileIn())).code).toBe(Code.FailedPrecondition)
    })
  })

  describe('close', () => {
    it('closes the store, and tolerates a second close', () => {
      const store = open()
      store.close()
      expect(() => store.close()).not.toThrow()
    })

    it.each(OPERATIONS)('fails %s on a closed store with FAILED_PRECONDITION', (operation) => {
      const store = open()
      store.close()
      expect(errorOf(() => call(store, operation)).code).toBe(Code.FailedPrecondition)
    })

    it('keeps a closed file store’s data for the next open', () => {
      const store = open(fileIn())
      seed(store)
      const before = snapshot(store)
      store.close()
      expect(errorOf(() => store.getArtifacts({})).code).toBe(Code.FailedPrecondition)
      expect(snapshot(open(fileIn()))).toEqual(before)
    })
  })

  describe('atomicity', () => {
    // Each request writes something valid before the part that fails.
    it.each<{ case: string; code: Code; run: (store: MetadataStore, s: ReturnType<typeof seed>) => unknown }>(
      [
        {
          case: 'putTypes: a new type, then a changed property type',
          code: Code.AlreadyExists,
          run: (store) =>
            store.putTypes({
              artifact_types: [{ name: 'Model' }],
              execution_types: [{ name: 'Trainer', properties: { epochs: PropertyType.STRING } }],
            }),
        },
        {
          case: 'putArtifacts: an insert and an update, then an unknown type',
          code: Code.NotFound,
          run: (store, s) =>
            store.putArtifacts({
              artifacts: [
                { type_id: s.artifactTypeId, uri: 'new' },
                { id: s.artifact_ids?.[0] as bigint, type_id: s.artifactTypeId, uri: 'changed' },
                { type_id: 999n },
              ],
            }),
        },
        {
          case: 'putArtifacts: an insert, then a stale last_update_time with the OCC option',
          code: Code.FailedPrecondition,
          run: (store, s) => {
            const request: PutArtifactsRequest = {
              artifacts: [
                { type_id: s.artifactTypeId, uri: 'new' },
                {
                  id: s.artifact_ids?.[1] as bigint,
                  type_id: s.artifactTypeId,
                  last_update_time_since_epoch: 1n,
                },
              ],
              options: { abort_if_latest_updated_time_changed: true },
            }
            return store.putArtifacts(request)
          },
        },
        {
          case: 'putExecutions: an insert, then a property the type lacks',
          code: Code.InvalidArgument,
          run: (store, s) =>
            store.putExecutions({
              executions: [
                { type_id: s.executionTypeId },
                { type_id: s.executionTypeId, properties: { x: { int_value: 1n } } },
              ],
            }),
        },
        {
          case: 'putContexts: an insert, then a taken name',
          code: Code.AlreadyExists,
          run: (store, s) =>
            store.putContexts({
              contexts: [
                { type_id: s.contextTypeId, name: 'new' },
                { type_id: s.contextTypeId, name: 'pipeline' },
              ],
            }),
        },
        {
          case: 'putEvents: an event, then a duplicate',
          code: Code.AlreadyExists,
          run: (store, s) =>
            store.putEvents({
              events: [
                {
                  artifact_id: s.artifact_ids?.[0],
                  execution_id: s.execution_id,
                  type: Event_Type.DECLARED_INPUT,
                },
                { artifact_id: s.artifact_ids?.[0], execution_id: s.execution_id, type: Event_Type.INPUT },
              ],
            }),
        },
        {
          case: 'putParentContexts: a link, then a cycle',
          code: Code.InvalidArgument,
          run: (store, s) => {
            const [parent, child] = s.context_ids as [bigint, bigint]
            return store.putParentContexts({
              parent_contexts: [
                { child_id: s.unlinked, parent_id: child },
                { child_id: parent, parent_id: s.unlinked },
              ],
            })
          },
        },
        {
          case: 'putExecution: nodes and events, then a context that exists',
          code: Code.AlreadyExists,
          run: (store, s) =>
            store.putExecution({
              execution: {
                id: s.execution_id as bigint,
                type_id: s.executionTypeId,
                properties: { epochs: { int_value: 9n } },
              },
              artifact_event_pairs: [
                { artifact: { type_id: s.artifactTypeId }, event: { type: Event_Type.OUTPUT } },
              ],
              contexts: [
                { type_id: s.contextTypeId, name: 'another' },
                { type_id: s.contextTypeId, name: 'run-1' },
              ],
            }),
        },
        {
          case: 'putLineageSubgraph: nodes and links, then a duplicate event',
          code: Code.AlreadyExists,
          run: (store, s) =>
            store.putLineageSubgraph({
              contexts: [{ type_id: s.contextTypeId, name: 'another' }],
              artifacts: [
                { type_id: s.artifactTypeId },
                { id: s.artifact_ids?.[0] as bigint, type_id: s.artifactTypeId, uri: 'x' },
              ],
              executions: [{ id: s.execution_id as bigint, type_id: s.executionTypeId }],
              event_edges: [
                { execution_index: 0, artifact_index: 0, event: { type: Event_Type.OUTPUT } },
                { execution_index: 0, artifact_index: 1, event: { type: Event_Type.INPUT } },
              ],
            }),
        },
      ],
    )('stores nothing of a failing $case', ({ run, code }) => {
      const store = open()
      const seeded = seed(store)
      const before = snapshot(store)
      expect(errorOf(() => run(store, seeded)).code).toBe(code)
      expect(snapshot(store)).toEqual(before)
    })

    it('stores nothing of a failing write in a file store, as seen after reopening', () => {
      const store = open(fileIn())
      const s = seed(store)
      const before = snapshot(store)
      const request: PutArtifactsRequest = { artifacts: [{ type_id: s.artifactTypeId }, { type_id: 999n }] }
      expect(errorOf(() => store.putArtifacts(request)).code).toBe(Code.NotFound)
      store.close()
      expect(snapshot(open(fileIn()))).toEqual(before)
    })
  })

  describe('toAsyncMetadataStore', () => {
    it('has every operation of the store', () => {
      const asyncStore = toAsyncMetadataStore(open())
      for (const operation of OPERATIONS) expect(typeof asyncStore[operation], operation).toBe('function')
    })

    it('resolves with what the synchronous operation returns, on the same database', async () => {
      const store = open()
      const asyncStore = toAsyncMetadataStore(store)
      const { type_id } = await asyncStore.putContextType({ context_type: { name: 'Pipeline' } })
      const { context_ids } = await asyncStore.putContexts({ contexts: [{ type_id, name: 'p' }] })
      expect(await asyncStore.getContextsByID({ context_ids })).toEqual(
        store.getContextsByID({ context_ids }),
      )
      expect(await asyncStore.getContexts({})).toEqual(store.getContexts({}))
    })

    it('rejects with the MlmdError instead of throwing synchronously', async () => {
      const asyncStore = toAsyncMetadataStore(open())
      let pending: Promise<unknown> | undefined
      expect(() => {
        pending = asyncStore.getContextsByArtifact({ artifact_id: 1n })
      }).not.toThrow()
      await expect(pending).rejects.toBeInstanceOf(MlmdError)
      await expect(pending).rejects.toMatchObject({ code: Code.NotFound })
    })

    it('rejects on a closed store with FAILED_PRECONDITION', async () => {
      const store = open()
      const asyncStore = toAsyncMetadataStore(store)
      store.close()
      await expect(asyncStore.getArtifacts({})).rejects.toMatchObject({ code: Code.FailedPrecondition })
    })

    it('passes each request through unchanged', async () => {
      const store = open()
      const s = seed(store)
      const asyncStore = toAsyncMetadataStore(store)
      const request: MetadataStoreServiceRpcs['GetEventsByArtifactIDs']['request'] = {
        artifact_ids: s.artifact_ids as bigint[],
      }
      expect(await asyncStore.getEventsByArtifactIDs(request)).toEqual(store.getEventsByArtifactIDs(request))
    })
  })
})

describe('operation table', () => {
  it('holds every operation once, and each reads or writes as its name says', () => {
    expect(OPERATION_NAMES).toHaveLength(52)
    for (const name of OPERATION_NAMES)
      expect([name, OPERATION_TABLE[name].mode]).toEqual([name, modeOf(name)])
  })
})
