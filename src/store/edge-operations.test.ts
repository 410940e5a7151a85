import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  type Association,
  type Attribution,
  type Context,
  type Event,
  Event_Type,
  type GetArtifactsByContextRequest,
  type GetChildrenContextsByContextsRequest,
  type GetEventsByArtifactIDsRequest,
  type GetEventsByExecutionIDsRequest,
  type GetExecutionsByContextRequest,
  type GetParentContextsByContextsRequest,
  type ListOperationOptions,
  ListOperationOptions_OrderByField_Field,
  type ParentContext,
  type PutAttributionsAndAssociationsRequest,
  type PutEventsRequest,
  type PutParentContextsRequest,
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
  artifact_types: [{ name: 'Dataset' }],
  execution_types: [{ name: 'Trainer' }],
  context_types: [{ name: 'Pipeline' }],
}

let store: OwnedMetadataStore
// Three artifacts, three executions and seven contexts, none linked.
let a1: bigint, a2: bigint, a3: bigint
let e1: bigint, e2: bigint, e3: bigint
let contexts: Context[]
let c: bigint[]

beforeEach(() => {
  store = createMetadataStore({ filename: ':memory:' })
  const types = store.putTypes(TYPES)
  const artifactTypeId = types.artifact_type_ids?.[0] as bigint
  const executionTypeId = types.execution_type_ids?.[0] as bigint
  const contextTypeId = types.context_type_ids?.[0] as bigint
  ;[a1, a2, a3] = store.putArtifacts({
    artifacts: [
      { type_id: artifactTypeId, uri: 'a1' },
      { type_id: artifactTypeId, uri: 'a2' },
      { type_id: artifactTypeId, uri: 'a3' },
    ],
  }).artifact_ids as [bigint, bigint, bigint]
  ;[e1, e2, e3] = store.putExecutions({
    executions: [{ type_id: executionTypeId }, { type_id: executionTypeId }, { type_id: executionTypeId }],
  }).execution_ids as [bigint, bigint, bigint]
  c = store.putContexts({
    contexts: Array.from({ length: 7 }, (_, i) => ({ type_id: contextTypeId, name: `context_${i}` })),
  }).context_ids as bigint[]
  contexts = store.getContextsByID({ context_ids: c }).contexts as Context[]
})

afterEach(() => {
  store.close()
})

const eventsOfExecutions = (...execution_ids: bigint[]) =>
  store.getEventsByExecutionIDs({ execution_ids }).events ?? []
const ids = (nodes: readonly { id?: bigint }[] | undefined) => (nodes ?? []).map((n) => n.id)
const ctx = (i: number) => c[i] as bigint
const contextAt = (i: number) => contexts[i] as Context

describe('edge-operations', () => {
  describe('putEvents', () => {
    it('PutEventGetEvents: stores an event that both event reads return', () => {
      const request: PutEventsRequest = {
        events: [{ artifact_id: a1, execution_id: e1, type: Event_Type.DECLARED_OUTPUT }],
      }
      expect(store.putEvents(request)).toEqual({})

      const byArtifact = store.getEventsByArtifactIDs({ artifact_ids: [a1] }).events
      const byExecution = store.getEventsByExecutionIDs({ execution_ids: [e1] }).events
      expect(byArtifact).toHaveLength(1)
      expect(byArtifact?.[0]).toMatchObject({
        artifact_id: a1,
        execution_id: e1,
        type: Event_Type.DECLARED_OUTPUT,
      })
      expect(byExecution).toEqual(byArtifact)
    })

    it('keeps the path steps [key, index, key] in order', () => {
      const request: PutEventsRequest = {
        events: [
          {
            artifact_id: a1,
            execution_id: e1,
            type: Event_Type.INPUT,
            path: { steps: [{ key: 'examples' }, { index: 3n }, { key: 'split' }] },
          },
        ],
      }
      store.putEvents(request)
      expect(eventsOfExecutions(e1)[0]?.path).toEqual({
        steps: [{ key: 'examples' }, { index: 3n }, { key: 'split' }],
      })
    })

    it('drops steps with neither index nor key, and reads an empty path back as no path', () => {
      const request: PutEventsRequest = {
        events: [
          { artifact_id: a1, execution_id: e1, type: Event_Type.INPUT, path: {} },
          { artifact_id: a2, execution_id: e1, type: Event_Type.INPUT, path: { steps: [{}, { key: '' }] } },
        ],
      }
      store.putEvents(request)
      const [first, second] = eventsOfExecutions(e1)
      expect(first).not.toHaveProperty('path')
      expect(second?.path).toEqual({ steps: [{ key: '' }] })
    })

    it('keeps milliseconds_since_epoch when given, and fills in the current time when unset', () => {
      const request: PutEventsRequest = {
        events: [
          { artifact_id: a1, execution_id: e1, type: Event_Type.INPUT, milliseconds_since_epoch: 12345n },
          { artifact_id: a2, execution_id: e1, type: Event_Type.OUTPUT },
          { artifact_id: a3, execution_id: e1, type: Event_Type.OUTPUT, milliseconds_since_epoch: 0n },
        ],
      }
      const before = BigInt(Date.now())
      store.putEvents(request)
      const after = BigInt(Date.now())
      const [given, filled, zero] = eventsOfExecutions(e1)
      expect(given?.milliseconds_since_epoch).toBe(12345n)
      expect(filled?.milliseconds_since_epoch).toBeGreaterThanOrEqual(before)
      expect(filled?.milliseconds_since_epoch).toBeLessThanOrEqual(after)
      expect(zero?.milliseconds_since_epoch).toBe(0n)
    })

    it('accepts the same artifact and execution once per event type', () => {
      const request: PutEventsRequest = {
        events: [
          { artifact_id: a1, execution_id: e1, type: Event_Type.INPUT },
          { artifact_id: a1, execution_id: e1, type: Event_Type.OUTPUT },
          { artifact_id: a1, execution_id: e1, type: Event_Type.PENDING_OUTPUT },
        ],
      }
      store.putEvents(request)
      expect(eventsOfExecutions(e1).map((e) => e.type)).toEqual([
        Event_Type.INPUT,
        Event_Type.OUTPUT,
        Event_Type.PENDING_OUTPUT,
      ])
    })

    it.each<{ case: string; event: () => Event }>([
      { case: 'no artifact_id', event: () => ({ execution_id: e1, type: Event_Type.INPUT }) },
      { case: 'no execution_id', event: () => ({ artifact_id: a1, type: Event_Type.INPUT }) },
      { case: 'no type', event: () => ({ artifact_id: a1, execution_id: e1 }) },
      {
        case: 'type UNKNOWN',
        event: () => ({ artifact_id: a1, execution_id: e1, type: Event_Type.UNKNOWN }),
      },
      {
        case: 'an artifact that does not exist',
        event: () => ({ artifact_id: MISSING, execution_id: e1, type: Event_Type.INPUT }),
      },
      {
        case: 'an execution that does not exist',
        event: () => ({ artifact_id: a1, execution_id: MISSING, type: Event_Type.INPUT }),
      },
    ])('rejects an event with $case as INVALID_ARGUMENT, storing nothing of the batch', ({ event }) => {
      const request: PutEventsRequest = {
        events: [{ artifact_id: a2, execution_id: e2, type: Event_Type.OUTPUT }, event()],
      }
      expect(errorOf(() => store.putEvents(request)).code).toBe(Code.InvalidArgument)
      expect(eventsOfExecutions(e1, e2)).toEqual([])
    })

    it('rejects an event whose (artifact, execution, type) exists as ALREADY_EXISTS, storing nothing of the batch', () => {
      store.putEvents({ events: [{ artifact_id: a1, execution_id: e1, type: Event_Type.INPUT }] })
      const request: PutEventsRequest = {
        events: [
          { artifact_id: a2, execution_id: e2, type: Event_Type.OUTPUT },
          { artifact_id: a1, execution_id: e1, type: Event_Type.INPUT },
        ],
      }
      expect(errorOf(() => store.putEvents(request)).code).toBe(Code.AlreadyExists)
      expect(eventsOfExecutions(e1, e2)).toHaveLength(1)
    })

    it('rejects a request that repeats an event as ALREADY_EXISTS, storing neither', () => {
      const request: PutEventsRequest = {
        events: [
          { artifact_id: a3, execution_id: e2, type: Event_Type.INPUT },
          { artifact_id: a3, execution_id: e2, type: Event_Type.INPUT, milliseconds_since_epoch: 1n },
        ],
      }
      expect(errorOf(() => store.putEvents(request)).code).toBe(Code.AlreadyExists)
      expect(eventsOfExecutions(e2)).toEqual([])
    })

    it('accepts an empty request', () => {
      expect(store.putEvents({})).toEqual({})
      expect(store.putEvents({ events: [] })).toEqual({})
    })
  })

  describe('getEventsByExecutionIDs', () => {
    beforeEach(() => {
      store.putEvents({
        events: [
          { artifact_id: a1, execution_id: e1, type: Event_Type.INPUT, milliseconds_since_epoch: 1n },
          { artifact_id: a2, execution_id: e1, type: Event_Type.OUTPUT, milliseconds_since_epoch: 1n },
          { artifact_id: a3, execution_id: e2, type: Event_Type.OUTPUT, milliseconds_since_epoch: 1n },
          { artifact_id: a1, execution_id: e2, type: Event_Type.OUTPUT, milliseconds_since_epoch: 1n },
          { artifact_id: a1, execution_id: e2, type: Event_Type.INPUT, milliseconds_since_epoch: 1n },
          { artifact_id: a2, execution_id: e2, type: Event_Type.INPUT, milliseconds_since_epoch: 1n },
        ],
      })
    })

    it('orders events by execution id, then insertion order, whatever the request order', () => {
      const request: GetEventsByExecutionIDsRequest = { execution_ids: [e2, e1] }
      expect(
        store.getEventsByExecutionIDs(request).events?.map((e) => [e.execution_id, e.artifact_id, e.type]),
      ).toEqual([
        [e1, a1, Event_Type.INPUT],
        [e1, a2, Event_Type.OUTPUT],
        [e2, a3, Event_Type.OUTPUT],
        [e2, a1, Event_Type.OUTPUT],
        [e2, a1, Event_Type.INPUT],
        [e2, a2, Event_Type.INPUT],
      ])
    })

    it('returns each event whole: ids, type, time, and no path when it had none', () => {
      expect(store.getEventsByExecutionIDs({ execution_ids: [e1] }).events?.[0]).toEqual({
        artifact_id: a1,
        execution_id: e1,
        type: Event_Type.INPUT,
        milliseconds_since_epoch: 1n,
      })
    })

    it.each<{ case: string; request: () => GetEventsByExecutionIDsRequest }>([
      { case: 'unknown ids', request: () => ({ execution_ids: [MISSING, MISSING + 1n] }) },
      { case: 'an execution without events', request: () => ({ execution_ids: [e3] }) },
      { case: 'no ids', request: () => ({ execution_ids: [] }) },
      { case: 'an empty request', request: () => ({}) },
    ])('returns no events for $case', ({ request }) => {
      expect(store.getEventsByExecutionIDs(request())).toEqual({ events: [] })
    })

    it('round-trips int64 extremes in milliseconds_since_epoch and path indexes', () => {
      const max = 9223372036854775807n
      const min = -9223372036854775808n
      store.putEvents({
        events: [
          { artifact_id: a1, execution_id: e3, type: Event_Type.INPUT, milliseconds_since_epoch: max },
          { artifact_id: a2, execution_id: e3, type: Event_Type.INPUT, milliseconds_since_epoch: min },
          {
            artifact_id: a3,
            execution_id: e3,
            type: Event_Type.OUTPUT,
            path: { steps: [{ index: min }, { index: max }] },
          },
        ],
      })
      const events = eventsOfExecutions(e3)
      expect(events.map((e) => e.milliseconds_since_epoch).slice(0, 2)).toEqual([max, min])
      expect(events[2]?.path).toEqual({ steps: [{ index: min }, { index: max }] })
    })
  })

  describe('getEventsByArtifactIDs', () => {
    beforeEach(() => {
      store.putEvents({
        events: [
          { artifact_id: a1, execution_id: e1, type: Event_Type.INPUT },
          { artifact_id: a2, execution_id: e1, type: Event_Type.OUTPUT },
          { artifact_id: a3, execution_id: e2, type: Event_Type.OUTPUT },
          { artifact_id: a1, execution_id: e2, type: Event_Type.OUTPUT },
          { artifact_id: a1, execution_id: e2, type: Event_Type.INPUT },
          { artifact_id: a2, execution_id: e2, type: Event_Type.INPUT },
        ],
      })
    })

    it('orders events by artifact, execution and type, whatever the request order', () => {
      const request: GetEventsByArtifactIDsRequest = { artifact_ids: [a3, a1, a2] }
      expect(
        store.getEventsByArtifactIDs(request).events?.map((e) => [e.artifact_id, e.execution_id, e.type]),
      ).toEqual([
        [a1, e1, Event_Type.INPUT],
        [a1, e2, Event_Type.INPUT],
        [a1, e2, Event_Type.OUTPUT],
        [a2, e1, Event_Type.OUTPUT],
        [a2, e2, Event_Type.INPUT],
        [a3, e2, Event_Type.OUTPUT],
      ])
    })

    it.each<{ case: string; request: GetEventsByArtifactIDsRequest }>([
      { case: 'unknown ids', request: { artifact_ids: [MISSING] } },
      { case: 'no ids', request: { artifact_ids: [] } },
      { case: 'an empty request', request: {} },
    ])('returns no events for $case', ({ request }) => {
      expect(store.getEventsByArtifactIDs(request)).toEqual({ events: [] })
    })
  })

  describe('putAttributionsAndAssociations', () => {
    it('PutAndUseAttributionsAndAssociations: links nodes to a context, and re-putting existing links is a no-op', () => {
      const request: PutAttributionsAndAssociationsRequest = {
        attributions: [{ artifact_id: a1, context_id: ctx(0) }],
      }
      expect(store.putAttributionsAndAssociations(request)).toEqual({})
      expect(ids(store.getContextsByArtifact({ artifact_id: a1 }).contexts)).toEqual([ctx(0)])
      expect(ids(store.getArtifactsByContext({ context_id: ctx(0) }).artifacts)).toEqual([a1])

      const withAssociation: PutAttributionsAndAssociationsRequest = {
        ...request,
        associations: [{ execution_id: e1, context_id: ctx(0) }],
      }
      store.putAttributionsAndAssociations(withAssociation)
      expect(ids(store.getContextsByExecution({ execution_id: e1 }).contexts)).toEqual([ctx(0)])
      expect(ids(store.getExecutionsByContext({ context_id: ctx(0) }).executions)).toEqual([e1])

      store.putAttributionsAndAssociations({
        ...withAssociation,
        attributions: [...(withAssociation.attributions ?? []), { artifact_id: a2, context_id: ctx(0) }],
      })
      expect(ids(store.getArtifactsByContext({ context_id: ctx(0) }).artifacts)).toEqual([a1, a2])
      expect(ids(store.getExecutionsByContext({ context_id: ctx(0) }).executions)).toEqual([e1])
    })

    it('ignores links repeated within one request', () => {
      const request: PutAttributionsAndAssociationsRequest = {
        attributions: [
          { artifact_id: a3, context_id: ctx(0) },
          { artifact_id: a1, context_id: ctx(0) },
          { artifact_id: a1, context_id: ctx(0) },
        ],
        associations: [
          { execution_id: e1, context_id: ctx(0) },
          { execution_id: e1, context_id: ctx(0) },
        ],
      }
      expect(store.putAttributionsAndAssociations(request)).toEqual({})
      expect(ids(store.getArtifactsByContext({ context_id: ctx(0) }).artifacts)).toEqual([a1, a3])
      expect(ids(store.getExecutionsByContext({ context_id: ctx(0) }).executions)).toEqual([e1])
    })

    it('accepts an empty request', () => {
      expect(store.putAttributionsAndAssociations({})).toEqual({})
    })

    it.each<{ case: string; attribution?: () => Attribution; association?: () => Association }>([
      { case: 'an attribution without artifact_id', attribution: () => ({ context_id: ctx(0) }) },
      { case: 'an attribution without context_id', attribution: () => ({ artifact_id: a1 }) },
      { case: 'an association without execution_id', association: () => ({ context_id: ctx(0) }) },
      { case: 'an association without context_id', association: () => ({ execution_id: e1 }) },
      {
        case: 'an attribution to a missing artifact',
        attribution: () => ({ artifact_id: MISSING, context_id: ctx(0) }),
      },
      {
        case: 'an attribution to a missing context',
        attribution: () => ({ artifact_id: a1, context_id: MISSING }),
      },
      {
        case: 'an association of a missing execution',
        association: () => ({ execution_id: MISSING, context_id: ctx(0) }),
      },
      {
        case: 'an association to a missing context',
        association: () => ({ execution_id: e1, context_id: MISSING }),
      },
    ])(
      'rejects $case as INVALID_ARGUMENT, storing no link of the request',
      ({ attribution, association }) => {
        const request: PutAttributionsAndAssociationsRequest = {
          attributions: [{ artifact_id: a2, context_id: ctx(1) }, ...(attribution ? [attribution()] : [])],
          associations: [{ execution_id: e2, context_id: ctx(1) }, ...(association ? [association()] : [])],
        }
        expect(errorOf(() => store.putAttributionsAndAssociations(request)).code).toBe(Code.InvalidArgument)
        expect(store.getArtifactsByContext({ context_id: ctx(1) }).artifacts).toEqual([])
        expect(store.getExecutionsByContext({ context_id: ctx(1) }).executions).toEqual([])
      },
    )
  })

  describe('getContextsByArtifact', () => {
    it('returns the contexts of an artifact by ascending id, whatever the link order', () => {
      store.putAttributionsAndAssociations({
        attributions: [
          { artifact_id: a1, context_id: ctx(3) },
          { artifact_id: a1, context_id: ctx(0) },
          { artifact_id: a1, context_id: ctx(1) },
          { artifact_id: a2, context_id: ctx(2) },
        ],
      })
      expect(store.getContextsByArtifact({ artifact_id: a1 }).contexts).toEqual([
        contextAt(0),
        contextAt(1),
        contextAt(3),
      ])
    })

    it.each<{ case: string; artifact_id: () => bigint | undefined }>([
      { case: 'an artifact without contexts', artifact_id: () => a1 },
      { case: 'an artifact that does not exist', artifact_id: () => MISSING },
      { case: 'no artifact_id', artifact_id: () => undefined },
    ])('fails with NOT_FOUND for $case', ({ artifact_id }) => {
      const id = artifact_id()
      expect(
        errorOf(() => store.getContextsByArtifact(id === undefined ? {} : { artifact_id: id })).code,
      ).toBe(Code.NotFound)
    })
  })

  describe('getContextsByExecution', () => {
    it('returns the contexts of an execution by ascending id, whatever the link order', () => {
      store.putAttributionsAndAssociations({
        associations: [
          { execution_id: e1, context_id: ctx(4) },
          { execution_id: e1, context_id: ctx(2) },
          { execution_id: e2, context_id: ctx(0) },
        ],
      })
      expect(store.getContextsByExecution({ execution_id: e1 }).contexts).toEqual([
        contextAt(2),
        contextAt(4),
      ])
    })

    it.each<{ case: string; execution_id: () => bigint }>([
      { case: 'an execution without contexts', execution_id: () => e3 },
      { case: 'an execution that does not exist', execution_id: () => MISSING },
    ])('fails with NOT_FOUND for $case', ({ execution_id }) => {
      expect(errorOf(() => store.getContextsByExecution({ execution_id: execution_id() })).code).toBe(
        Code.NotFound,
      )
    })
  })

  describe('getArtifactsByContext', () => {
    beforeEach(() => {
      store.putAttributionsAndAssociations({
        attributions: [
          { artifact_id: a3, context_id: ctx(0) },
          { artifact_id: a1, context_id: ctx(0) },
          { artifact_id: a2, context_id: ctx(0) },
        ],
      })
    })

    it('returns all the attributed artifacts by ascending id without options, and no token', () => {
      const response = store.getArtifactsByContext({ context_id: ctx(0) })
      expect(ids(response.artifacts)).toEqual([a1, a2, a3])
      expect(response).not.toHaveProperty('next_page_token')
    })

    it('pages with options, leaving the token off the last page', () => {
      const request: GetArtifactsByContextRequest = { context_id: ctx(0), options: { max_result_size: 2 } }
      const first = store.getArtifactsByContext(request)
      expect(ids(first.artifacts)).toEqual([a1, a2])
      expect(first.next_page_token).toEqual(expect.any(String))

      const second = store.getArtifactsByContext({
        ...request,
        options: { ...request.options, next_page_token: first.next_page_token as string },
      })
      expect(ids(second.artifacts)).toEqual([a3])
      expect(second).not.toHaveProperty('next_page_token')
    })

    it('orders by id descending when asked', () => {
      const request: GetArtifactsByContextRequest = {
        context_id: ctx(0),
        options: { order_by_field: { field: ListOperationOptions_OrderByField_Field.ID, is_asc: false } },
      }
      expect(ids(store.getArtifactsByContext(request).artifacts)).toEqual([a3, a2, a1])
    })

    it.each<{ case: string; options: ListOperationOptions }>([
      { case: 'max_result_size 0', options: { max_result_size: 0 } },
      { case: 'a page token that is not base64', options: { next_page_token: '!!!' } },
    ])('rejects $case as INVALID_ARGUMENT', ({ options }) => {
      const request: GetArtifactsByContextRequest = { context_id: ctx(0), options }
      expect(errorOf(() => store.getArtifactsByContext(request)).code).toBe(Code.InvalidArgument)
    })

    // MLMD answers before looking at the options when the context has no artifacts.
    it.each<{ case: string; options: ListOperationOptions }>([
      { case: 'max_result_size 0', options: { max_result_size: 0 } },
      { case: 'a page token that is not base64', options: { next_page_token: '!!!' } },
    ])(
      'returns no artifacts for an unknown context or one without artifacts, even with $case',
      ({ options }) => {
        for (const context_id of [MISSING, ctx(1)]) {
          const request: GetArtifactsByContextRequest = { context_id, options }
          expect(store.getArtifactsByContext(request)).toEqual({ artifacts: [] })
        }
      },
    )

    it.each<{ case: string; request: () => GetArtifactsByContextRequest }>([
      { case: 'an unknown context', request: () => ({ context_id: MISSING }) },
      { case: 'an unknown context with options', request: () => ({ context_id: MISSING, options: {} }) },
      { case: 'a context without artifacts', request: () => ({ context_id: ctx(1) }) },
    ])('returns no artifacts for $case', ({ request }) => {
      expect(store.getArtifactsByContext(request())).toEqual({ artifacts: [] })
    })
  })

  describe('getExecutionsByContext', () => {
    beforeEach(() => {
      store.putAttributionsAndAssociations({
        associations: [
          { execution_id: e2, context_id: ctx(0) },
          { execution_id: e3, context_id: ctx(0) },
          { execution_id: e1, context_id: ctx(0) },
        ],
      })
    })

    it('returns all the associated executions by ascending id without options', () => {
      expect(ids(store.getExecutionsByContext({ context_id: ctx(0) }).executions)).toEqual([e1, e2, e3])
    })

    it('pages with options, by id descending', () => {
      const request: GetExecutionsByContextRequest = {
        context_id: ctx(0),
        options: {
          max_result_size: 1,
          order_by_field: { field: ListOperationOptions_OrderByField_Field.ID, is_asc: false },
        },
      }
      const seen: (bigint | undefined)[] = []
      let token: string | undefined
      do {
        const page = store.getExecutionsByContext(
          token === undefined
            ? request
            : { ...request, options: { ...request.options, next_page_token: token } },
        )
        seen.push(...ids(page.executions))
        token = page.next_page_token
      } while (token !== undefined && seen.length < 10)
      expect(seen).toEqual([e3, e2, e1])
    })

    it.each<{ case: string; request: () => GetExecutionsByContextRequest }>([
      { case: 'an unknown context', request: () => ({ context_id: MISSING }) },
      {
        case: 'an unknown context with options',
        request: () => ({ context_id: MISSING, options: { max_result_size: 1 } }),
      },
      { case: 'a context without executions', request: () => ({ context_id: ctx(1) }) },
    ])('returns no executions for $case', ({ request }) => {
      expect(store.getExecutionsByContext(request())).toEqual({ executions: [] })
    })

    // MLMD answers before looking at the options when the context has no executions.
    it('returns no executions for an unknown context or one without executions, even with max_result_size 0', () => {
      for (const context_id of [MISSING, ctx(1)]) {
        const request: GetExecutionsByContextRequest = { context_id, options: { max_result_size: 0 } }
        expect(store.getExecutionsByContext(request)).toEqual({ executions: [] })
      }
    })
  })

  describe('putParentContexts', () => {
    const link = (child: number, parent: number): ParentContext => ({
      child_id: ctx(child),
      parent_id: ctx(parent),
    })
    const parentsOf = (i: number) => ids(store.getParentContextsByContext({ context_id: ctx(i) }).contexts)

    it('links children to parents', () => {
      const request: PutParentContextsRequest = { parent_contexts: [link(1, 0), link(2, 1)] }
      expect(store.putParentContexts(request)).toEqual({})
      expect(parentsOf(1)).toEqual([ctx(0)])
      expect(parentsOf(2)).toEqual([ctx(1)])
    })

    it('PutParentContextsAlreadyExistsError: rejects an existing link as ALREADY_EXISTS, storing nothing of the request', () => {
      store.putParentContexts({ parent_contexts: [link(1, 0)] })
      const request: PutParentContextsRequest = { parent_contexts: [link(3, 0), link(1, 0)] }
      expect(errorOf(() => store.putParentContexts(request)).code).toBe(Code.AlreadyExists)
      expect(parentsOf(3)).toEqual([])
    })

    it('rejects a link repeated within one request as ALREADY_EXISTS, storing neither', () => {
      const request: PutParentContextsRequest = { parent_contexts: [link(3, 0), link(3, 0)] }
      expect(errorOf(() => store.putParentContexts(request)).code).toBe(Code.AlreadyExists)
      expect(parentsOf(3)).toEqual([])
    })

    it.each<{ case: string; parent?: () => bigint; child?: () => bigint }>([
      { case: 'no parent id, no child id' },
      { case: 'no child id', parent: () => ctx(0) },
      { case: 'no parent id', child: () => ctx(0) },
      { case: 'both parent and child id are not valid', parent: () => MISSING, child: () => MISSING + 1n },
      { case: 'parent id is not valid', parent: () => MISSING, child: () => ctx(0) },
      { case: 'child id is not valid', parent: () => ctx(0), child: () => MISSING },
    ])('PutParentContextsInvalidArgumentError: rejects $case', ({ parent, child }) => {
      const request: PutParentContextsRequest = {
        parent_contexts: [
          link(5, 4),
          { ...(parent ? { parent_id: parent() } : {}), ...(child ? { child_id: child() } : {}) },
        ],
      }
      expect(errorOf(() => store.putParentContexts(request)).code).toBe(Code.InvalidArgument)
      expect(parentsOf(5)).toEqual([])
    })

    it.each<{ case: string; existing: [number, number][]; links: [number, number][] }>([
      { case: 'a self-parent', existing: [], links: [[4, 4]] },
      { case: 'a 2-cycle (a→b→a)', existing: [[1, 0]], links: [[0, 1]] },
      {
        case: 'a 3-cycle (a→b→c→a)',
        existing: [
          [1, 0],
          [2, 1],
        ],
        links: [[0, 2]],
      },
      {
        case: 'a cycle formed within one request',
        existing: [],
        links: [
          [4, 5],
          [5, 6],
          [6, 4],
        ],
      },
    ])('rejects $case as INVALID_ARGUMENT, storing nothing of the request', ({ existing, links }) => {
      store.putParentContexts({ parent_contexts: existing.map(([child, parent]) => link(child, parent)) })
      const request: PutParentContextsRequest = {
        parent_contexts: [link(3, 6), ...links.map(([child, parent]) => link(child, parent))],
      }
      expect(errorOf(() => store.putParentContexts(request)).code).toBe(Code.InvalidArgument)
      expect(parentsOf(3)).toEqual([])
      for (const i of [0, 4, 5, 6]) expect(parentsOf(i)).toEqual([])
    })

    it('accepts a diamond (two paths to one ancestor)', () => {
      const request: PutParentContextsRequest = {
        parent_contexts: [link(1, 0), link(2, 0), link(3, 1), link(3, 2)],
      }
      expect(store.putParentContexts(request)).toEqual({})
      expect(parentsOf(3)).toEqual([ctx(1), ctx(2)])
    })

    it('accepts an empty request', () => {
      expect(store.putParentContexts({})).toEqual({})
    })
  })

  // MLMD's graph for PutParentContextsAndGetLinkedContext(s)ByContext(s): 0→{1,2}, 2→3, 1→6, 4→5, 5→6.
  const putGraph = () => {
    const edges: [number, number][] = [
      [0, 1],
      [0, 2],
      [2, 3],
      [1, 6],
      [4, 5],
      [5, 6],
    ]
    const request: PutParentContextsRequest = {
      parent_contexts: edges.map(([parent, child]) => ({ parent_id: ctx(parent), child_id: ctx(child) })),
    }
    store.putParentContexts(request)
  }
  const wantParents: Record<number, number[]> = { 1: [0], 2: [0], 3: [2], 5: [4], 6: [1, 5] }
  const wantChildren: Record<number, number[]> = { 0: [1, 2], 1: [6], 2: [3], 4: [5], 5: [6] }

  describe('getParentContextsByContext', () => {
    it('PutParentContextsAndGetLinkedContextByContext: returns the parents of each context by ascending id', () => {
      putGraph()
      for (let i = 0; i < 7; i++) {
        expect(store.getParentContextsByContext({ context_id: ctx(i) }).contexts).toEqual(
          (wantParents[i] ?? []).map(contextAt),
        )
      }
    })

    it('returns no contexts for an unknown context', () => {
      expect(store.getParentContextsByContext({ context_id: MISSING })).toEqual({ contexts: [] })
    })
  })

  describe('getChildrenContextsByContext', () => {
    it('PutParentContextsAndGetLinkedContextByContext: returns the children of each context by ascending id', () => {
      putGraph()
      for (let i = 0; i < 7; i++) {
        expect(store.getChildrenContextsByContext({ context_id: ctx(i) }).contexts).toEqual(
          (wantChildren[i] ?? []).map(contextAt),
        )
      }
    })

    it('returns no contexts for an unknown context', () => {
      expect(store.getChildrenContextsByContext({ context_id: MISSING })).toEqual({ contexts: [] })
    })
  })

  describe('getParentContextsByContexts', () => {
    it('PutParentContextsAndGetLinkedContextsByContexts: keys parents by the decimal child id, leaving out contexts without parents', () => {
      putGraph()
      const request: GetParentContextsByContextsRequest = { context_ids: [...c, MISSING] }
      expect(store.getParentContextsByContexts(request)).toEqual({
        contexts: Object.fromEntries(
          Object.entries(wantParents).map(([i, parents]) => [
            ctx(Number(i)).toString(),
            { parent_contexts: parents.map(contextAt) },
          ]),
        ),
      })
    })

    it('returns an empty map when no context has parents', () => {
      expect(store.getParentContextsByContexts({ context_ids: [ctx(0), MISSING] })).toEqual({ contexts: {} })
    })

    it.each<{ case: string; request: GetParentContextsByContextsRequest }>([
      { case: 'an empty context_ids', request: { context_ids: [] } },
      { case: 'no context_ids', request: {} },
    ])('rejects $case as INVALID_ARGUMENT', ({ request }) => {
      expect(errorOf(() => store.getParentContextsByContexts(request)).code).toBe(Code.InvalidArgument)
    })
  })

  describe('getChildrenContextsByContexts', () => {
    it('PutParentContextsAndGetLinkedContextsByContexts: keys children by the decimal parent id, leaving out contexts without children', () => {
      putGraph()
      const request: GetChildrenContextsByContextsRequest = { context_ids: [MISSING, ...c].reverse() }
      expect(store.getChildrenContextsByContexts(request)).toEqual({
        contexts: Object.fromEntries(
          Object.entries(wantChildren).map(([i, children]) => [
            ctx(Number(i)).toString(),
            { children_contexts: children.map(contextAt) },
          ]),
        ),
      })
    })

    it.each<{ case: string; request: GetChildrenContextsByContextsRequest }>([
      { case: 'an empty context_ids', request: { context_ids: [] } },
      { case: 'no context_ids', request: {} },
    ])('rejects $case as INVALID_ARGUMENT', ({ request }) => {
      expect(errorOf(() => store.getChildrenContextsByContexts(request)).code).toBe(Code.InvalidArgument)
    })
  })
})
