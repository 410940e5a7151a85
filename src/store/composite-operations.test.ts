import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  type Artifact,
  Artifact_State,
  type Context,
  type Event,
  Event_Type,
  type Execution,
  Execution_State,
  PropertyType,
  type PutExecutionRequest,
  type PutLineageSubgraphRequest,
  type PutLineageSubgraphRequest_EventEdge,
  type PutTypesRequest,
} from '../proto/messages.js'
import { createMetadataStore, type OwnedMetadataStore } from './metadata-store.js'

function errorOf(body: () => unknown): MlmdError {
  try {
    body()
  } catch (error) {
    if (error instanceof MlmdError) return error
    throw error
  }
  throw new Error('expected the call to throw')
}

const MISSING = 999n

const TYPES: PutTypesRequest = {
  artifact_types: [{ name: 'artifact_type', properties: { property_1: PropertyType.STRING } }],
  execution_types: [
    {
      name: 'execution_type',
      properties: { running_status: PropertyType.STRING, property_1: PropertyType.DOUBLE },
    },
  ],
  context_types: [{ name: 'context_type', properties: { property_1: PropertyType.INT } }],
}

let store: OwnedMetadataStore
let artifactTypeId: bigint
let executionTypeId: bigint
let contextTypeId: bigint

beforeEach(() => {
  store = createMetadataStore({ filename: ':memory:' })
  const types = store.putTypes(TYPES)
  artifactTypeId = types.artifact_type_ids?.[0] as bigint
  executionTypeId = types.execution_type_ids?.[0] as bigint
  contextTypeId = types.context_type_ids?.[0] as bigint
})

afterEach(() => {
  store.close()
})

// A node as read back: maps always present, with the store's type name and timestamps.
const ignoringTimes = <N extends { type?: string }>(node: N) => ({
  properties: {},
  custom_properties: {},
  ...node,
  type: expect.any(String),
  create_time_since_epoch: expect.any(BigInt),
  last_update_time_since_epoch: expect.any(BigInt),
})
const ids = (nodes: readonly { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => n.id)
const artifactsOf = (context_id: bigint) => ids(store.getArtifactsByContext({ context_id }).artifacts)
const executionsOf = (context_id: bigint) => ids(store.getExecutionsByContext({ context_id }).executions)
const artifact = (id: bigint) => store.getArtifactsByID({ artifact_ids: [id] }).artifacts?.[0] as Artifact
const execution = (id: bigint) =>
  store.getExecutionsByID({ execution_ids: [id] }).executions?.[0] as Execution
const context = (id: bigint) => store.getContextsByID({ context_ids: [id] }).contexts?.[0] as Context

// Everything stored: nodes, events and links, to show that a failed call wrote nothing.
function snapshot() {
  const artifacts = store.getArtifacts({}).artifacts ?? []
  const executions = store.getExecutions({}).executions ?? []
  const contexts = store.getContexts({}).contexts ?? []
  return {
    artifacts,
    executions,
    contexts,
    events: store.getEventsByExecutionIDs({ execution_ids: ids(executions) as bigint[] }).events,
    links: contexts.map((c) => [artifactsOf(c.id as bigint), executionsOf(c.id as bigint)]),
  }
}

describe('composite-operations', () => {
  describe('putExecution', () => {
    it('PutAndGetExecution: inserts an execution, then updates it with new and existing artifacts and their events', () => {
      // 1. A new execution without artifacts.
      const execution_1: Execution = {
        type_id: executionTypeId,
        properties: { running_status: { string_value: 'INIT' } },
        last_known_state: Execution_State.NEW,
      }
      const response_1 = store.putExecution({ execution: execution_1 })
      expect(response_1).toEqual({ execution_id: expect.any(BigInt), artifact_ids: [], context_ids: [] })
      const executionId = response_1.execution_id as bigint

      // 2. The execution updated, with a new artifact and no event.
      const artifact_1: Artifact = { uri: 'uri://an_input_artifact', type_id: artifactTypeId }
      const request_2: PutExecutionRequest = {
        execution: {
          ...execution_1,
          id: executionId,
          properties: { running_status: { string_value: 'RUN' } },
          last_known_state: Execution_State.RUNNING,
        },
        artifact_event_pairs: [{ artifact: artifact_1 }],
      }
      const response_2 = store.putExecution(request_2)
      expect(response_2.execution_id).toBe(executionId)
      expect(response_2.artifact_ids).toHaveLength(1)
      const artifactId_1 = response_2.artifact_ids?.[0] as bigint

      // 3. An event-only pair for the existing artifact, and a new output artifact with its event.
      const artifact_2: Artifact = {
        uri: 'uri://an_output_artifact',
        type_id: artifactTypeId,
        state: Artifact_State.LIVE,
      }
      const execution_3: Execution = {
        ...execution_1,
        id: executionId,
        properties: { running_status: { string_value: 'DONE' } },
        last_known_state: Execution_State.COMPLETE,
      }
      const request_3: PutExecutionRequest = {
        execution: execution_3,
        artifact_event_pairs: [
          {
            event: { artifact_id: artifactId_1, execution_id: executionId, type: Event_Type.DECLARED_INPUT },
          },
          { artifact: artifact_2, event: { type: Event_Type.DECLARED_OUTPUT } },
        ],
      }
      const response_3 = store.putExecution(request_3)
      expect(response_3.execution_id).toBe(executionId)
      expect(response_3.artifact_ids).toEqual([artifactId_1, expect.any(BigInt)])
      const artifactId_2 = response_3.artifact_ids?.[1] as bigint

      // 4. Empty pairs are answered with -1.
      const request_4: PutExecutionRequest = { execution: execution_3, artifact_event_pairs: [{}, {}] }
      expect(store.putExecution(request_4).artifact_ids).toEqual([-1n, -1n])

      const artifacts = store.getArtifacts({}).artifacts ?? []
      expect(artifacts).toEqual([
        ignoringTimes({ ...artifact_1, id: artifactId_1 }),
        ignoringTimes({ ...artifact_2, id: artifactId_2 }),
      ])
      const executions = store.getExecutions({}).executions ?? []
      expect(executions).toEqual([ignoringTimes(execution_3)])
      const events = store.getEventsByExecutionIDs({ execution_ids: [executionId] }).events ?? []
      expect(events.map((e) => [e.artifact_id, e.execution_id, e.type])).toEqual([
        [artifactId_1, executionId, Event_Type.DECLARED_INPUT],
        [artifactId_2, executionId, Event_Type.DECLARED_OUTPUT],
      ])
      // The execution's update time is not before the creation of any artifact.
      for (const a of artifacts) {
        expect(a.create_time_since_epoch).toBeGreaterThan(0n)
        expect(executions[0]?.last_update_time_since_epoch).toBeGreaterThanOrEqual(
          a.create_time_since_epoch as bigint,
        )
      }
    })

    it('PutAndGetExecutionWithContext: creates the contexts and links the execution and every artifact to each', () => {
      const context1: Context = { type_id: contextTypeId, name: 'context1' }
      const context2: Context = { type_id: contextTypeId, name: 'context2' }
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [{ artifact: { type_id: artifactTypeId } }],
        contexts: [context1, context2],
      }
      const response = store.putExecution(request)
      expect(response.artifact_ids).toHaveLength(1)
      expect(response.context_ids).toHaveLength(2)
      const [id1, id2] = response.context_ids as [bigint, bigint]
      expect(store.getContexts({}).contexts).toEqual([
        ignoringTimes({ ...context1, id: id1 }),
        ignoringTimes({ ...context2, id: id2 }),
      ])
      for (const contextId of [id1, id2]) {
        expect(artifactsOf(contextId)).toEqual(response.artifact_ids)
        expect(executionsOf(contextId)).toEqual([response.execution_id])
      }
    })

    it('updates the same nodes when re-run with the returned ids', () => {
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId, properties: { running_status: { string_value: 'RUN' } } },
        artifact_event_pairs: [
          { artifact: { type_id: artifactTypeId, uri: 'u' }, event: { type: Event_Type.OUTPUT } },
        ],
        contexts: [{ type_id: contextTypeId, name: 'run', properties: { property_1: { int_value: 1n } } }],
      }
      const first = store.putExecution(request)
      const rerun: PutExecutionRequest = {
        execution: {
          id: first.execution_id as bigint,
          type_id: executionTypeId,
          properties: { running_status: { string_value: 'DONE' } },
        },
        artifact_event_pairs: [
          { artifact: { id: first.artifact_ids?.[0] as bigint, type_id: artifactTypeId, uri: 'u2' } },
        ],
        contexts: [
          {
            id: first.context_ids?.[0] as bigint,
            type_id: contextTypeId,
            name: 'run',
            properties: { property_1: { int_value: 2n } },
          },
        ],
      }
      expect(store.putExecution(rerun)).toEqual(first)
      expect(store.getExecutions({}).executions).toHaveLength(1)
      expect(store.getArtifacts({}).artifacts).toHaveLength(1)
      expect(store.getContexts({}).contexts).toHaveLength(1)
      expect(execution(first.execution_id as bigint).properties).toEqual({
        running_status: { string_value: 'DONE' },
      })
      expect(artifact(first.artifact_ids?.[0] as bigint).uri).toBe('u2')
      expect(context(first.context_ids?.[0] as bigint).properties).toEqual({ property_1: { int_value: 2n } })
    })

    it('answers an event-only pair with its artifact_id, stores its event, and attributes that artifact', () => {
      const [existing] = store.putArtifacts({ artifacts: [{ type_id: artifactTypeId }] }).artifact_ids as [
        bigint,
      ]
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [{ event: { artifact_id: existing, type: Event_Type.INPUT } }],
        contexts: [{ type_id: contextTypeId, name: 'c' }],
      }
      const response = store.putExecution(request)
      expect(response.artifact_ids).toEqual([existing])
      expect(store.getEventsByArtifactIDs({ artifact_ids: [existing] }).events).toEqual([
        {
          artifact_id: existing,
          execution_id: response.execution_id,
          type: Event_Type.INPUT,
          milliseconds_since_epoch: expect.any(BigInt),
        },
      ])
      expect(artifactsOf(response.context_ids?.[0] as bigint)).toEqual([existing])
    })

    // Deliberate difference: MLMD attributes the -1 of an empty pair to the contexts (its
    // Get*ByContext then fails with INTERNAL); we link only real artifacts.
    it('answers an empty pair with -1 and never attributes -1 to the contexts', () => {
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [{}, { artifact: { type_id: artifactTypeId } }],
        contexts: [{ type_id: contextTypeId, name: 'c' }],
      }
      const response = store.putExecution(request)
      expect(response.artifact_ids).toEqual([-1n, expect.any(BigInt)])
      expect(artifactsOf(response.context_ids?.[0] as bigint)).toEqual([response.artifact_ids?.[1]])
    })

    it.each<{ case: string; request: () => PutExecutionRequest }>([
      {
        case: 'no execution',
        request: () => ({ artifact_event_pairs: [{ artifact: { type_id: artifactTypeId } }] }),
      },
      { case: 'an execution without type_id', request: () => ({ execution: {} }) },
      {
        case: 'an update of an execution id that does not exist',
        request: () => ({ execution: { id: MISSING, type_id: executionTypeId } }),
      },
      {
        case: 'an event whose execution_id differs from the execution id',
        request: () => ({
          execution: { id: storedExecution, type_id: executionTypeId },
          artifact_event_pairs: [
            { artifact: { type_id: artifactTypeId } },
            {
              event: {
                artifact_id: storedArtifact,
                execution_id: storedExecution + 1n,
                type: Event_Type.INPUT,
              },
            },
          ],
        }),
      },
      {
        case: 'an event naming an execution while the execution is new',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [
            { event: { artifact_id: storedArtifact, execution_id: storedExecution, type: Event_Type.INPUT } },
          ],
        }),
      },
      {
        case: "an event whose artifact_id differs from its pair's artifact id",
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [
            {
              artifact: { id: storedArtifact, type_id: artifactTypeId },
              event: { artifact_id: storedArtifact + 1n, type: Event_Type.INPUT },
            },
          ],
        }),
      },
      {
        case: 'an event naming an artifact while its pair holds a new artifact',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [
            {
              artifact: { type_id: artifactTypeId },
              event: { artifact_id: storedArtifact, type: Event_Type.OUTPUT },
            },
          ],
        }),
      },
      {
        case: 'an event-only pair without artifact_id',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [{ event: { type: Event_Type.INPUT } }],
        }),
      },
      {
        // Deliberate difference: MLMD stores a dangling event.
        case: 'an event-only pair naming an artifact that does not exist',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [{ event: { artifact_id: MISSING, type: Event_Type.INPUT } }],
        }),
      },
      {
        case: 'an event without type',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [{ artifact: { type_id: artifactTypeId }, event: {} }],
        }),
      },
      {
        case: 'an artifact property the type does not declare',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [
            { artifact: { type_id: artifactTypeId, properties: { nope: { int_value: 1n } } } },
          ],
        }),
      },
      {
        case: 'a context without name',
        request: () => ({ execution: { type_id: executionTypeId }, contexts: [{ type_id: contextTypeId }] }),
      },
      {
        case: 'a context with an empty name',
        request: () => ({
          execution: { type_id: executionTypeId },
          contexts: [{ type_id: contextTypeId, name: '' }],
        }),
      },
      {
        case: 'a context without type_id',
        request: () => ({ execution: { type_id: executionTypeId }, contexts: [{ name: 'c' }] }),
      },
      {
        case: 'a context with id but without name (no force_reuse_context)',
        request: () => ({
          execution: { type_id: executionTypeId },
          contexts: [{ id: storedContext, type_id: contextTypeId }],
        }),
      },
    ])('rejects $case as INVALID_ARGUMENT, storing nothing', ({ request }) => {
      setupStoredNodes()
      const before = snapshot()
      expect(errorOf(() => store.putExecution(request())).code).toBe(Code.InvalidArgument)
      expect(snapshot()).toEqual(before)
    })

    it.each<{ case: string; request: () => PutExecutionRequest }>([
      { case: 'the execution type', request: () => ({ execution: { type_id: MISSING } }) },
      {
        case: 'an artifact type',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [{ artifact: { type_id: MISSING } }],
        }),
      },
      {
        case: 'a context type',
        request: () => ({
          execution: { type_id: executionTypeId },
          contexts: [{ type_id: MISSING, name: 'c' }],
        }),
      },
      {
        case: 'an execution type given as the artifact type',
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [{ artifact: { type_id: executionTypeId } }],
        }),
      },
    ])('rejects an unknown $case as NOT_FOUND, storing nothing', ({ request }) => {
      const before = snapshot()
      expect(errorOf(() => store.putExecution(request())).code).toBe(Code.NotFound)
      expect(snapshot()).toEqual(before)
    })

    it('PutAndGetExecutionWithContextReuseOption: a new context that exists is ALREADY_EXISTS, unless reuse is asked', () => {
      const context: Context = { type_id: contextTypeId, name: 'context' }
      const request: PutExecutionRequest = { execution: { type_id: executionTypeId }, contexts: [context] }
      const first = store.putExecution(request)
      expect(errorOf(() => store.putExecution(request)).code).toBe(Code.AlreadyExists)

      const reused = store.putExecution({ ...request, options: { reuse_context_if_already_exist: true } })
      expect(reused.context_ids).toEqual(first.context_ids)
      const contexts = store.getContexts({}).contexts ?? []
      expect(contexts).toEqual([ignoringTimes({ ...context, id: first.context_ids?.[0] })])
      expect(
        store.getExecutionsByContext({ context_id: first.context_ids?.[0] as bigint }).executions,
      ).toEqual([
        ignoringTimes({ ...request.execution, id: first.execution_id }),
        ignoringTimes({ ...request.execution, id: reused.execution_id }),
      ])
    })

    it('reuse_context_if_already_exist returns the existing id without changing its properties', () => {
      const [id] = store.putContexts({
        contexts: [{ type_id: contextTypeId, name: 'ctx', properties: { property_1: { int_value: 1n } } }],
      }).context_ids as [bigint]
      const stored = context(id)
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        contexts: [
          { type_id: contextTypeId, name: 'ctx', properties: { property_1: { int_value: 2n } } },
          { type_id: contextTypeId, name: 'fresh' },
        ],
        options: { reuse_context_if_already_exist: true },
      }
      const response = store.putExecution(request)
      expect(response.context_ids).toEqual([id, expect.any(BigInt)])
      expect(response.context_ids?.[1]).not.toBe(id)
      expect(context(id)).toEqual(stored)
    })

    it('PutExecutionWithForceReuseContextOption: links the context given by id without updating it', () => {
      const original: Context = {
        type_id: contextTypeId,
        name: 'context',
        custom_properties: { property1: { string_value: 'value1' } },
      }
      const [id] = store.putContexts({ contexts: [original] }).context_ids as [bigint]
      const stored = context(id)
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        contexts: [
          {
            ...original,
            id,
            name: 'renamed',
            custom_properties: {
              property1: { string_value: 'changed' },
              property2: { string_value: 'added' },
            },
          },
        ],
        options: { force_reuse_context: true },
      }
      const response = store.putExecution(request)
      expect(response.context_ids).toEqual([id])
      expect(store.getContexts({}).contexts).toEqual([stored])
      expect(executionsOf(id)).toEqual([response.execution_id])
    })

    it('force_reuse_context accepts a context given by id alone', () => {
      const [id] = store.putContexts({ contexts: [{ type_id: contextTypeId, name: 'c' }] }).context_ids as [
        bigint,
      ]
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        contexts: [{ id }],
        options: { force_reuse_context: true },
      }
      expect(store.putExecution(request).context_ids).toEqual([id])
    })

    it('PutExecutionWithForceReuseContextOptionContextDoesNotExist: fails with NOT_FOUND, storing nothing', () => {
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [{ artifact: { type_id: artifactTypeId }, event: { type: Event_Type.OUTPUT } }],
        contexts: [{ id: 12345n, type_id: contextTypeId, name: 'context' }],
        options: { force_reuse_context: true },
      }
      const before = snapshot()
      expect(errorOf(() => store.putExecution(request)).code).toBe(Code.NotFound)
      expect(snapshot()).toEqual(before)
    })

    it('PutExecutionWithForceReuseContextAndReuseContextIfAlreadyExistOptions: updates neither context', () => {
      const contextOne: Context = {
        type_id: contextTypeId,
        name: 'one',
        custom_properties: { property1: { string_value: 'value1' } },
      }
      const contextTwo: Context = {
        type_id: contextTypeId,
        name: 'two',
        custom_properties: { property2: { string_value: 'value2' } },
      }
      const [oneId] = store.putContexts({ contexts: [contextOne, contextTwo] }).context_ids as [
        bigint,
        bigint,
      ]
      const before = store.getContexts({}).contexts
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        contexts: [
          { ...contextOne, id: oneId, custom_properties: { property1: { string_value: 'changed1' } } },
          { ...contextTwo, custom_properties: { property2: { string_value: 'changed2' } } },
        ],
        options: { force_reuse_context: true, reuse_context_if_already_exist: true },
      }
      store.putExecution(request)
      expect(store.getContexts({}).contexts).toEqual(before)
    })

    it('updates a context given with id when force_reuse_context is not set', () => {
      const [id] = store.putContexts({ contexts: [{ type_id: contextTypeId, name: 'c' }] }).context_ids as [
        bigint,
      ]
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        contexts: [
          { id, type_id: contextTypeId, name: 'renamed', properties: { property_1: { int_value: 3n } } },
        ],
      }
      store.putExecution(request)
      expect(context(id)).toMatchObject({ name: 'renamed', properties: { property_1: { int_value: 3n } } })
    })

    it('PutAndGetExecutionWithArtifactReuseOption: reuses and updates the artifact stored with the external_id', () => {
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [
          {
            artifact: {
              type_id: artifactTypeId,
              external_id: 'artifact_reference_str',
              name: 'artifact_name',
            },
          },
        ],
      }
      // 1.1 Without the option: an insert.
      const [artifactId] = store.putExecution(request).artifact_ids as [bigint]
      // 1.2 The same external_id again is ALREADY_EXISTS.
      const withUri: PutExecutionRequest = {
        ...request,
        artifact_event_pairs: [
          { artifact: { ...request.artifact_event_pairs?.[0]?.artifact, uri: 'new_uri' } },
        ],
      }
      expect(errorOf(() => store.putExecution(withUri)).code).toBe(Code.AlreadyExists)
      // 2.1 With the option: an update of the stored artifact.
      const reuse: PutExecutionRequest = {
        ...withUri,
        options: { reuse_artifact_if_already_exist_by_external_id: true },
      }
      expect(store.putExecution(reuse).artifact_ids).toEqual([artifactId])
      expect(artifact(artifactId).uri).toBe('new_uri')
      // 2.2 Without external_id, the same (type, name) is an insert that collides.
      const noExternalId: PutExecutionRequest = {
        ...reuse,
        artifact_event_pairs: [
          { artifact: { type_id: artifactTypeId, name: 'artifact_name', uri: 'new_uri' } },
        ],
      }
      expect(errorOf(() => store.putExecution(noExternalId)).code).toBe(Code.AlreadyExists)
      // 3. With the id, the external_id itself is updated.
      const newExternalId: PutExecutionRequest = {
        ...reuse,
        artifact_event_pairs: [
          {
            artifact: {
              id: artifactId,
              type_id: artifactTypeId,
              name: 'artifact_name',
              external_id: 'new_external_id',
            },
          },
        ],
      }
      store.putExecution(newExternalId)
      expect(artifact(artifactId).external_id).toBe('new_external_id')
      expect(store.getArtifacts({}).artifacts).toHaveLength(1)
    })

    it('reuse_artifact_if_already_exist_by_external_id replaces the stored fields and properties', () => {
      const [id] = store.putArtifacts({
        artifacts: [
          {
            type_id: artifactTypeId,
            external_id: 'ref',
            uri: 'old',
            properties: { property_1: { string_value: 'a' } },
          },
        ],
      }).artifact_ids as [bigint]
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [
          {
            artifact: {
              type_id: artifactTypeId,
              external_id: 'ref',
              uri: 'reused',
              custom_properties: { note: { string_value: 'n' } },
            },
            event: { type: Event_Type.OUTPUT },
          },
        ],
        options: { reuse_artifact_if_already_exist_by_external_id: true },
      }
      const response = store.putExecution(request)
      expect(response.artifact_ids).toEqual([id])
      expect(artifact(id)).toMatchObject({
        uri: 'reused',
        custom_properties: { note: { string_value: 'n' } },
      })
      expect(artifact(id)).not.toHaveProperty('properties.property_1')
      expect(store.getEventsByArtifactIDs({ artifact_ids: [id] }).events).toHaveLength(1)
    })

    it('PutAndGetExecutionWithDuplicatedArtifacts: the same stored artifact twice, with reuse, is one attributed artifact', () => {
      const [contextId] = store.putContexts({ contexts: [{ type_id: contextTypeId, name: 'context_name' }] })
        .context_ids as [bigint]
      const duplicated: Artifact = {
        type_id: artifactTypeId,
        external_id: 'artifact_reference_str',
        name: 'artifact_name',
      }
      const [artifactId] = store.putArtifacts({ artifacts: [duplicated] }).artifact_ids as [bigint]
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [{ artifact: duplicated }, { artifact: duplicated }],
        contexts: [{ id: contextId, type_id: contextTypeId, name: 'context_name' }],
        options: {
          reuse_artifact_if_already_exist_by_external_id: true,
          reuse_context_if_already_exist: true,
        },
      }
      expect(store.putExecution(request).artifact_ids).toEqual([artifactId, artifactId])
      expect(store.getArtifactsByContext({ context_id: contextId }).artifacts).toEqual([
        ignoringTimes({ ...duplicated, id: artifactId, uri: '' }),
      ])
    })

    it('reuses, within one request, a new artifact inserted by an earlier pair with the same external_id', () => {
      const fresh: Artifact = { type_id: artifactTypeId, external_id: 'fresh' }
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [
          { artifact: { ...fresh, uri: 'first' }, event: { type: Event_Type.INPUT } },
          { artifact: { ...fresh, uri: 'second' }, event: { type: Event_Type.OUTPUT } },
        ],
        options: { reuse_artifact_if_already_exist_by_external_id: true },
      }
      const response = store.putExecution(request)
      const [first, second] = response.artifact_ids as [bigint, bigint]
      expect(second).toBe(first)
      expect(store.getArtifacts({}).artifacts).toEqual([
        ignoringTimes({ ...fresh, id: first, uri: 'second' }),
      ])
      expect(store.getEventsByArtifactIDs({ artifact_ids: [first] }).events?.map((e) => e.type)).toEqual([
        Event_Type.INPUT,
        Event_Type.OUTPUT,
      ])
    })

    it('applies an artifact given twice by id in pair order (last one wins)', () => {
      const [id] = store.putArtifacts({ artifacts: [{ type_id: artifactTypeId }] }).artifact_ids as [bigint]
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId },
        artifact_event_pairs: [
          { artifact: { id, type_id: artifactTypeId, uri: 'x' } },
          { artifact: { id, type_id: artifactTypeId, uri: 'y' } },
        ],
        contexts: [{ type_id: contextTypeId, name: 'c' }],
      }
      const response = store.putExecution(request)
      expect(response.artifact_ids).toEqual([id, id])
      expect(artifact(id).uri).toBe('y')
      expect(artifactsOf(response.context_ids?.[0] as bigint)).toEqual([id])
    })

    it.each<{ case: string; artifact: Artifact }>([
      { case: 'external_id', artifact: { external_id: 'same' } },
      { case: '(type, name)', artifact: { name: 'same' } },
    ])(
      'rejects a new artifact given twice by $case without reuse as ALREADY_EXISTS',
      ({ artifact: fields }) => {
        const duplicated: Artifact = { type_id: artifactTypeId, ...fields }
        const request: PutExecutionRequest = {
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [{ artifact: duplicated }, { artifact: duplicated }],
        }
        expect(errorOf(() => store.putExecution(request)).code).toBe(Code.AlreadyExists)
        expect(store.getArtifacts({}).artifacts).toEqual([])
      },
    )

    it('force_update_time bumps last_update_time_since_epoch of an unchanged execution; without it, it stays', () => {
      const request: PutExecutionRequest = {
        execution: { type_id: executionTypeId, properties: { running_status: { string_value: 'A' } } },
      }
      const id = store.putExecution(request).execution_id as bigint
      const stored = execution(id)
      store.putExecution({ execution: stored })
      expect(execution(id).last_update_time_since_epoch).toBe(stored.last_update_time_since_epoch)

      store.putExecution({ execution: stored, options: { force_update_time: true } })
      const forced = execution(id)
      expect(forced.last_update_time_since_epoch).toBeGreaterThan(
        stored.last_update_time_since_epoch as bigint,
      )
      expect({ ...forced, last_update_time_since_epoch: 0n }).toEqual({
        ...stored,
        last_update_time_since_epoch: 0n,
      })
    })

    it.each<{ case: string; request: () => PutExecutionRequest; code: Code }>([
      {
        case: 'a new context that exists (last step)',
        code: Code.AlreadyExists,
        request: () => ({
          execution: {
            id: storedExecution,
            type_id: executionTypeId,
            last_known_state: Execution_State.COMPLETE,
          },
          artifact_event_pairs: [
            { artifact: { type_id: artifactTypeId, uri: 'new' }, event: { type: Event_Type.OUTPUT } },
            { artifact: { id: storedArtifact, type_id: artifactTypeId, uri: 'changed' } },
          ],
          contexts: [
            { type_id: contextTypeId, name: 'other' },
            { type_id: contextTypeId, name: 'stored' },
          ],
        }),
      },
      {
        case: 'an event that exists',
        code: Code.AlreadyExists,
        request: () => ({
          execution: {
            id: storedExecution,
            type_id: executionTypeId,
            last_known_state: Execution_State.COMPLETE,
          },
          artifact_event_pairs: [
            { artifact: { type_id: artifactTypeId, uri: 'new' }, event: { type: Event_Type.OUTPUT } },
            {
              artifact: { id: storedArtifact, type_id: artifactTypeId, uri: 'changed' },
              event: { type: Event_Type.INPUT },
            },
          ],
        }),
      },
      {
        case: 'force_reuse_context naming a missing context',
        code: Code.NotFound,
        request: () => ({
          execution: { type_id: executionTypeId },
          artifact_event_pairs: [
            { artifact: { type_id: artifactTypeId, uri: 'new' }, event: { type: Event_Type.OUTPUT } },
          ],
          contexts: [{ type_id: contextTypeId, name: 'new context' }, { id: MISSING }],
          options: { force_reuse_context: true },
        }),
      },
    ])(
      'is atomic: failing on $case leaves no execution, artifact, event, context or link stored',
      ({ request, code }) => {
        setupStoredNodes()
        const before = snapshot()
        expect(errorOf(() => store.putExecution(request())).code).toBe(code)
        expect(snapshot()).toEqual(before)
      },
    )
  })

  describe('putLineageSubgraph', () => {
    it('inserts new nodes, events by index with the ids filled in, and links every context to every node', () => {
      const request: PutLineageSubgraphRequest = {
        executions: [{ type_id: executionTypeId }, { type_id: executionTypeId }],
        artifacts: [
          { type_id: artifactTypeId, uri: 'a0' },
          { type_id: artifactTypeId, uri: 'a1' },
          { type_id: artifactTypeId, uri: 'a2' },
        ],
        contexts: [
          { type_id: contextTypeId, name: 'c0' },
          { type_id: contextTypeId, name: 'c1' },
        ],
        event_edges: [
          {
            execution_index: 0,
            artifact_index: 0,
            event: { type: Event_Type.INPUT, path: { steps: [{ key: 'in' }, { index: 0n }] } },
          },
          { execution_index: 0, artifact_index: 1, event: { type: Event_Type.OUTPUT } },
          { execution_index: 1, artifact_index: 1, event: { type: Event_Type.INPUT } },
          {
            execution_index: 1,
            artifact_index: 2,
            event: { type: Event_Type.OUTPUT, milliseconds_since_epoch: 5n },
          },
        ],
      }
      const response = store.putLineageSubgraph(request)
      const { execution_ids: e = [], artifact_ids: a = [], context_ids: c = [] } = response
      expect([e.length, a.length, c.length]).toEqual([2, 3, 2])
      expect(ids(store.getExecutions({}).executions)).toEqual(e)
      expect(store.getArtifacts({}).artifacts?.map((x) => [x.id, x.uri])).toEqual([
        [a[0], 'a0'],
        [a[1], 'a1'],
        [a[2], 'a2'],
      ])
      expect(store.getContexts({}).contexts?.map((x) => [x.id, x.name])).toEqual([
        [c[0], 'c0'],
        [c[1], 'c1'],
      ])
      const events = store.getEventsByExecutionIDs({ execution_ids: e }).events ?? []
      expect(events).toEqual([
        {
          execution_id: e[0],
          artifact_id: a[0],
          type: Event_Type.INPUT,
          path: { steps: [{ key: 'in' }, { index: 0n }] },
          milliseconds_since_epoch: expect.any(BigInt),
        },
        {
          execution_id: e[0],
          artifact_id: a[1],
          type: Event_Type.OUTPUT,
          milliseconds_since_epoch: expect.any(BigInt),
        },
        {
          execution_id: e[1],
          artifact_id: a[1],
          type: Event_Type.INPUT,
          milliseconds_since_epoch: expect.any(BigInt),
        },
        { execution_id: e[1], artifact_id: a[2], type: Event_Type.OUTPUT, milliseconds_since_epoch: 5n },
      ])
      for (const contextId of c) {
        expect(artifactsOf(contextId)).toEqual(a)
        expect(executionsOf(contextId)).toEqual(e)
      }
    })

    it('returns empty id lists for an empty request', () => {
      expect(store.putLineageSubgraph({})).toEqual({ execution_ids: [], artifact_ids: [], context_ids: [] })
    })

    it('PutLineageSubgraphAndVerifyLineageGraph: accepts edges by index, by index and matching ids, and by ids alone', () => {
      const context: Context = {
        type_id: contextTypeId,
        name: 'context',
        properties: { property_1: { int_value: 1n } },
      }
      store.putContexts({ contexts: [context] })
      const exec: Execution = { type_id: executionTypeId, properties: { property_1: { double_value: 1 } } }
      exec.id = store.putExecution({ execution: exec }).execution_id as bigint
      const art: Artifact = {
        type_id: artifactTypeId,
        uri: 'testuri',
        properties: { property_1: { string_value: '1' } },
      }
      art.id = store.putArtifacts({ artifacts: [art] }).artifact_ids?.[0] as bigint

      const request: PutLineageSubgraphRequest = {
        executions: [exec],
        artifacts: [art],
        contexts: [context],
        options: { reuse_context_if_already_exist: true },
        event_edges: [
          { execution_index: 0, artifact_index: 0, event: { type: Event_Type.OUTPUT } },
          {
            execution_index: 0,
            artifact_index: 0,
            event: { type: Event_Type.INPUT, execution_id: exec.id, artifact_id: art.id },
          },
          { event: { type: Event_Type.DECLARED_INPUT, execution_id: exec.id, artifact_id: art.id } },
        ],
      }
      const response = store.putLineageSubgraph(request)
      const contextId = response.context_ids?.[0] as bigint
      expect(store.getExecutionsByContext({ context_id: contextId }).executions).toEqual([
        ignoringTimes(exec),
      ])
      expect(store.getArtifactsByContext({ context_id: contextId }).artifacts).toEqual([ignoringTimes(art)])
      expect(store.getContexts({}).contexts).toEqual([ignoringTimes({ ...context, id: contextId })])
      const events = store.getEventsByExecutionIDs({ execution_ids: [exec.id] }).events ?? []
      expect(events.map((e) => [e.execution_id, e.artifact_id, e.type])).toEqual([
        [exec.id, art.id, Event_Type.OUTPUT],
        [exec.id, art.id, Event_Type.INPUT],
        [exec.id, art.id, Event_Type.DECLARED_INPUT],
      ])
    })

    it('PutLineageSubgraphWithNewArtifactsExecutions: upserts a new artifact before the existing execution', () => {
      const context: Context = {
        type_id: contextTypeId,
        name: 'context',
        properties: { property_1: { int_value: 1n } },
      }
      store.putContexts({ contexts: [context] })
      const exec: Execution = { type_id: executionTypeId, properties: { property_1: { double_value: 1 } } }
      exec.id = store.putExecution({ execution: exec }).execution_id as bigint
      const art: Artifact = {
        type_id: artifactTypeId,
        uri: 'testuri',
        properties: { property_1: { string_value: '1' } },
      }
      // MLMD's test resends the execution unchanged, and MLMD rewrites it anyway because the request
      // lacks the read-only `type`; we bump last_update_time only on a real change, so change it.
      const changedExec: Execution = { ...exec, properties: { property_1: { double_value: 2 } } }
      const request: PutLineageSubgraphRequest = {
        executions: [changedExec],
        artifacts: [art],
        contexts: [context],
        options: { reuse_context_if_already_exist: true },
        event_edges: [{ execution_index: 0, artifact_index: 0, event: { type: Event_Type.OUTPUT } }],
      }
      const response = store.putLineageSubgraph(request)
      const contextId = response.context_ids?.[0] as bigint
      const [storedExec] = store.getExecutionsByContext({ context_id: contextId }).executions ?? []
      const [storedArt] = store.getArtifactsByContext({ context_id: contextId }).artifacts ?? []
      expect(storedExec).toEqual(ignoringTimes(changedExec))
      expect(storedArt).toEqual(ignoringTimes({ ...art, id: response.artifact_ids?.[0] }))
      expect(storedExec?.last_update_time_since_epoch).toBeGreaterThanOrEqual(
        storedArt?.create_time_since_epoch as bigint,
      )
    })

    it('PutLineageSubgraphUpdatesArtifactsAndExecutions: updates nodes given with ids', () => {
      const exec: Execution = {
        type_id: executionTypeId,
        last_known_state: Execution_State.RUNNING,
        properties: { property_1: { double_value: 1 } },
        custom_properties: { property_2: { double_value: 2 } },
      }
      exec.id = store.putExecution({ execution: exec }).execution_id as bigint
      const art: Artifact = {
        type_id: artifactTypeId,
        state: Artifact_State.PENDING,
        uri: 'testuri',
        properties: { property_1: { string_value: '1' } },
        custom_properties: { property_2: { string_value: '2' } },
      }
      art.id = store.putArtifacts({ artifacts: [art] }).artifact_ids?.[0] as bigint

      const updatedExec: Execution = {
        ...exec,
        last_known_state: Execution_State.COMPLETE,
        properties: { property_1: { double_value: 2 } },
        custom_properties: { property_2: { double_value: 3 } },
      }
      const updatedArt: Artifact = {
        ...art,
        state: Artifact_State.LIVE,
        properties: { property_1: { string_value: '2' } },
        custom_properties: { property_2: { string_value: '3' } },
      }
      const response = store.putLineageSubgraph({ executions: [updatedExec], artifacts: [updatedArt] })
      expect(response).toEqual({ execution_ids: [exec.id], artifact_ids: [art.id], context_ids: [] })
      expect(store.getExecutionsByID({ execution_ids: [exec.id] }).executions).toEqual([
        ignoringTimes(updatedExec),
      ])
      expect(store.getArtifactsByID({ artifact_ids: [art.id] }).artifacts).toEqual([
        ignoringTimes(updatedArt),
      ])
    })

    it('PutAndGetLineageSubgraphWithArtifactReuseOption: reuses the artifact stored with the external_id', () => {
      const art: Artifact = {
        type_id: artifactTypeId,
        external_id: 'artifact_reference_str',
        name: 'artifact_name',
      }
      const request: PutLineageSubgraphRequest = {
        executions: [{ type_id: executionTypeId }],
        artifacts: [art],
      }
      // 1.1 Without the option: an insert.
      const [artifactId] = store.putLineageSubgraph(request).artifact_ids as [bigint]
      // 1.2 The same external_id again is ALREADY_EXISTS.
      const withUri: PutLineageSubgraphRequest = { ...request, artifacts: [{ ...art, uri: 'new_uri' }] }
      expect(errorOf(() => store.putLineageSubgraph(withUri)).code).toBe(Code.AlreadyExists)
      // 2.1 With the option: an update.
      const reuse: PutLineageSubgraphRequest = {
        ...withUri,
        options: { reuse_artifact_if_already_exist_by_external_id: true },
      }
      expect(store.putLineageSubgraph(reuse).artifact_ids).toEqual([artifactId])
      expect(artifact(artifactId).uri).toBe('new_uri')
      // 2.2 Without external_id: an insert colliding on (type, name).
      const noExternalId: PutLineageSubgraphRequest = {
        ...reuse,
        artifacts: [{ type_id: artifactTypeId, name: 'artifact_name', uri: 'new_uri' }],
      }
      expect(errorOf(() => store.putLineageSubgraph(noExternalId)).code).toBe(Code.AlreadyExists)
      // 3. With the id: the external_id is updated.
      const newExternalId: PutLineageSubgraphRequest = {
        ...reuse,
        artifacts: [{ ...art, id: artifactId, external_id: 'new_external_id' }],
      }
      store.putLineageSubgraph(newExternalId)
      expect(artifact(artifactId).external_id).toBe('new_external_id')
      // 4. A new external_id with the option: an insert.
      const another: PutLineageSubgraphRequest = {
        ...reuse,
        artifacts: [
          { type_id: artifactTypeId, external_id: 'another_artifact_reference_str', name: 'another' },
        ],
      }
      const [anotherId] = store.putLineageSubgraph(another).artifact_ids as [bigint]
      expect(anotherId).not.toBe(artifactId)
      expect(artifact(anotherId).external_id).toBe('another_artifact_reference_str')
    })

    it('rejects a new external_id given twice with reuse as ALREADY_EXISTS (the external ids are looked up once)', () => {
      const request: PutLineageSubgraphRequest = {
        artifacts: [
          { type_id: artifactTypeId, external_id: 'x' },
          { type_id: artifactTypeId, external_id: 'x' },
        ],
        options: { reuse_artifact_if_already_exist_by_external_id: true },
      }
      expect(errorOf(() => store.putLineageSubgraph(request)).code).toBe(Code.AlreadyExists)
      expect(store.getArtifacts({}).artifacts).toEqual([])
    })

    it('reuse_context_if_already_exist returns the existing context id without changing it', () => {
      const [id] = store.putContexts({
        contexts: [{ type_id: contextTypeId, name: 'ctx', properties: { property_1: { int_value: 1n } } }],
      }).context_ids as [bigint]
      const stored = context(id)
      const request: PutLineageSubgraphRequest = {
        executions: [{ type_id: executionTypeId }],
        contexts: [{ type_id: contextTypeId, name: 'ctx', properties: { property_1: { int_value: 2n } } }],
        options: { reuse_context_if_already_exist: true },
      }
      const response = store.putLineageSubgraph(request)
      expect(response.context_ids).toEqual([id])
      expect(context(id)).toEqual(stored)
      expect(executionsOf(id)).toEqual(response.execution_ids)
    })

    it('rejects a new context that exists as ALREADY_EXISTS without the reuse option', () => {
      store.putContexts({ contexts: [{ type_id: contextTypeId, name: 'ctx' }] })
      const request: PutLineageSubgraphRequest = { contexts: [{ type_id: contextTypeId, name: 'ctx' }] }
      expect(errorOf(() => store.putLineageSubgraph(request)).code).toBe(Code.AlreadyExists)
    })

    it('answers a node given twice by id with its id twice', () => {
      const [id] = store.putArtifacts({ artifacts: [{ type_id: artifactTypeId }] }).artifact_ids as [bigint]
      const request: PutLineageSubgraphRequest = {
        artifacts: [
          { id, type_id: artifactTypeId, uri: 'q' },
          { id, type_id: artifactTypeId, uri: 'r' },
        ],
        contexts: [{ type_id: contextTypeId, name: 'c' }],
      }
      const response = store.putLineageSubgraph(request)
      expect(response.artifact_ids).toEqual([id, id])
      expect(artifact(id).uri).toBe('r')
      expect(artifactsOf(response.context_ids?.[0] as bigint)).toEqual([id])
    })

    it('accepts an edge given by existing ids only', () => {
      setupStoredNodes()
      const request: PutLineageSubgraphRequest = {
        event_edges: [
          {
            event: {
              execution_id: storedExecution,
              artifact_id: storedArtifact,
              type: Event_Type.INTERNAL_OUTPUT,
            },
          },
        ],
      }
      store.putLineageSubgraph(request)
      expect(
        store.getEventsByExecutionIDs({ execution_ids: [storedExecution] }).events?.map((e) => e.type),
      ).toEqual([Event_Type.INPUT, Event_Type.INTERNAL_OUTPUT])
    })

    // PutLineageSubgraphFailsWithInvalidEventEdge's base request: the stored artifact and execution
    // (which already have an INPUT event), and a DECLARED_INPUT edge between them by index.
    const base = (): PutLineageSubgraphRequest => ({
      artifacts: [{ id: storedArtifact, type_id: artifactTypeId, uri: 'testuri' }],
      executions: [{ id: storedExecution, type_id: executionTypeId }],
      event_edges: [{ execution_index: 0, artifact_index: 0, event: { type: Event_Type.DECLARED_INPUT } }],
    })
    const edge = (r: PutLineageSubgraphRequest) => r.event_edges?.[0] as PutLineageSubgraphRequest_EventEdge
    const event = (r: PutLineageSubgraphRequest) => edge(r).event as Event

    it.each<{ case: string; change: (r: PutLineageSubgraphRequest) => void; code: Code }>([
      {
        case: 'an edge without event',
        code: Code.InvalidArgument,
        change: (r) => {
          delete edge(r).event
        },
      },
      {
        case: 'an edge with neither execution_index nor event.execution_id',
        code: Code.InvalidArgument,
        change: (r) => {
          delete edge(r).execution_index
        },
      },
      {
        case: 'an edge with neither artifact_index nor event.artifact_id',
        code: Code.InvalidArgument,
        change: (r) => {
          delete edge(r).artifact_index
        },
      },
      {
        case: 'no executions for the execution_index',
        code: Code.OutOfRange,
        change: (r) => {
          r.executions = []
        },
      },
      {
        case: 'no artifacts for the artifact_index',
        code: Code.OutOfRange,
        change: (r) => {
          r.artifacts = []
        },
      },
      {
        case: 'execution_index -1',
        code: Code.OutOfRange,
        change: (r) => {
          edge(r).execution_index = -1
        },
      },
      {
        case: 'execution_index = len',
        code: Code.OutOfRange,
        change: (r) => {
          edge(r).execution_index = r.executions?.length
        },
      },
      {
        case: 'artifact_index -1',
        code: Code.OutOfRange,
        change: (r) => {
          edge(r).artifact_index = -1
        },
      },
      {
        case: 'artifact_index = len',
        code: Code.OutOfRange,
        change: (r) => {
          edge(r).artifact_index = r.artifacts?.length
        },
      },
      {
        case: 'a context that exists',
        code: Code.AlreadyExists,
        change: (r) => {
          r.contexts = [{ type_id: contextTypeId, name: 'stored' }]
        },
      },
      {
        case: 'an event.execution_id that differs from the indexed execution',
        code: Code.InvalidArgument,
        change: (r) => {
          event(r).execution_id = storedExecution + 1n
        },
      },
      {
        case: 'an event.artifact_id that differs from the indexed artifact',
        code: Code.InvalidArgument,
        change: (r) => {
          event(r).artifact_id = storedArtifact + 1n
        },
      },
      {
        case: 'an event.execution_id while the indexed execution has no id',
        code: Code.InvalidArgument,
        change: (r) => {
          event(r).execution_id = storedExecution
          delete r.executions?.[0]?.id
        },
      },
      {
        case: 'an event.artifact_id while the indexed artifact has no id',
        code: Code.InvalidArgument,
        change: (r) => {
          event(r).artifact_id = storedArtifact
          delete r.artifacts?.[0]?.id
        },
      },
      {
        case: 'an event without type',
        code: Code.InvalidArgument,
        change: (r) => {
          delete event(r).type
        },
      },
      {
        case: 'an event that exists',
        code: Code.AlreadyExists,
        change: (r) => {
          event(r).type = Event_Type.INPUT
        },
      },
      {
        // Deliberate difference: MLMD stores a dangling event.
        case: 'an event.execution_id alone naming a missing execution',
        code: Code.InvalidArgument,
        change: (r) => {
          delete edge(r).execution_index
          event(r).execution_id = MISSING
        },
      },
      {
        // Deliberate difference: MLMD stores a dangling event.
        case: 'an event.artifact_id alone naming a missing artifact',
        code: Code.InvalidArgument,
        change: (r) => {
          delete edge(r).artifact_index
          event(r).artifact_id = MISSING
        },
      },
      {
        case: 'an artifact to insert without type_id',
        code: Code.InvalidArgument,
        change: (r) => {
          r.artifacts?.push({ uri: 'no type' })
        },
      },
      {
        case: 'an artifact to update without type_id',
        code: Code.InvalidArgument,
        change: (r) => {
          delete r.artifacts?.[0]?.type_id
        },
      },
      {
        case: 'an execution without type_id',
        code: Code.InvalidArgument,
        change: (r) => {
          delete r.executions?.[0]?.type_id
        },
      },
      {
        case: 'a context without type_id',
        code: Code.InvalidArgument,
        change: (r) => {
          r.contexts = [{ name: 'no type' }]
        },
      },
      {
        case: 'a context without name',
        code: Code.InvalidArgument,
        change: (r) => {
          r.contexts = [{ type_id: contextTypeId }]
        },
      },
      {
        case: 'an update of an artifact id that does not exist',
        code: Code.InvalidArgument,
        change: (r) => {
          r.artifacts?.push({ id: MISSING, type_id: artifactTypeId })
        },
      },
      {
        case: 'a property the type does not declare',
        code: Code.InvalidArgument,
        change: (r) => {
          r.artifacts?.push({ type_id: artifactTypeId, properties: { zz: { int_value: 1n } } })
        },
      },
      {
        case: 'a property of another value type',
        code: Code.InvalidArgument,
        change: (r) => {
          r.artifacts?.push({ type_id: artifactTypeId, properties: { property_1: { int_value: 1n } } })
        },
      },
      {
        case: 'an unknown artifact type',
        code: Code.NotFound,
        change: (r) => {
          r.artifacts?.push({ type_id: MISSING })
        },
      },
      {
        case: 'an artifact type given as an execution type',
        code: Code.NotFound,
        change: (r) => {
          r.executions?.push({ type_id: artifactTypeId })
        },
      },
      {
        case: 'an unknown context type',
        code: Code.NotFound,
        change: (r) => {
          r.contexts = [{ type_id: MISSING, name: 'q' }]
        },
      },
    ])('PutLineageSubgraphFailsWithInvalidEventEdge: rejects $case, storing nothing', ({ change, code }) => {
      setupStoredNodes()
      const request = base()
      // Changes that would show if the call were not atomic.
      request.artifacts?.push({ type_id: artifactTypeId, uri: 'new' })
      ;(request.artifacts?.[0] as Artifact).uri = 'changed'
      request.contexts = [{ type_id: contextTypeId, name: 'new context' }]
      change(request)
      const before = snapshot()
      expect(errorOf(() => store.putLineageSubgraph(request)).code).toBe(code)
      expect(snapshot()).toEqual(before)
    })

    it('accepts the base request of PutLineageSubgraphFailsWithInvalidEventEdge', () => {
      setupStoredNodes()
      expect(store.putLineageSubgraph(base())).toEqual({
        execution_ids: [storedExecution],
        artifact_ids: [storedArtifact],
        context_ids: [],
      })
    })
  })
})

// A stored artifact, execution (with an INPUT event between them) and context named 'stored'.
let storedArtifact: bigint
let storedExecution: bigint
let storedContext: bigint

function setupStoredNodes(): void {
  storedArtifact = store.putArtifacts({ artifacts: [{ type_id: artifactTypeId, uri: 'testuri' }] })
    .artifact_ids?.[0] as bigint
  storedExecution = store.putExecutions({ executions: [{ type_id: executionTypeId }] })
    .execution_ids?.[0] as bigint
  storedContext = store.putContexts({ contexts: [{ type_id: contextTypeId, name: 'stored' }] })
    .context_ids?.[0] as bigint
  store.putEvents({
    events: [{ artifact_id: storedArtifact, execution_id: storedExecution, type: Event_Type.INPUT }],
  })
  store.putAttributionsAndAssociations({
    attributions: [{ artifact_id: storedArtifact, context_id: storedContext }],
    associations: [{ execution_id: storedExecution, context_id: storedContext }],
  })
}
