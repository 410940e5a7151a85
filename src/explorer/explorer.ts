/**
 * What the explorer shows, read through the store interface only: pages of nodes, one node
 * with its events and contexts, a bounded lineage subgraph, and pipeline runs with their steps
 * and cache hits. The same functions serve the terminal commands and the web UI, against an
 * in-process store (`toAsyncMetadataStore`) or a gRPC client alike.
 *
 * Runs are read from the records TFX's launcher (and our runner) writes: contexts of type
 * `pipeline`, `pipeline_run` (a child of its pipeline) and `node` (named `<pipeline>.<node>`);
 * one execution per step and run, COMPLETE when it ran, CACHED when its outputs were reused,
 * FAILED; a cached step has OUTPUT events to the artifacts of the execution it reused.
 *
 * Every read is bounded: node lists are pages, lineage has a hop limit, and a run's steps are
 * the executions of that one run.
 */
import { Code, MlmdError } from '../errors.js'
import {
  type Artifact,
  Artifact_State,
  type ArtifactType,
  type Context,
  type ContextType,
  type Event,
  Event_Type,
  type Execution,
  Execution_State,
  type ExecutionType,
  LineageSubgraphQueryOptions_Direction,
  type ListOperationOptions,
  ListOperationOptions_OrderByField_Field,
} from '../proto/messages.js'
import { type CacheMissExplanation, explainCacheMiss } from '../runner/explain.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'

/** The three kinds of nodes in an MLMD store. */
export type NodeKind = 'artifact' | 'execution' | 'context'
export const NODE_KINDS: readonly NodeKind[] = ['artifact', 'execution', 'context']

/** A node of any kind. */
export type AnyNode = Artifact | Execution | Context

/** How a list is ordered. */
export type OrderField = 'id' | 'create_time' | 'last_update_time'
export const ORDER_FIELDS: readonly OrderField[] = ['id', 'create_time', 'last_update_time']

/** Which page of a list to read. */
export interface ListQuery {
  /** An MLMD filter_query; empty or absent lists everything. */
  readonly filter?: string | undefined
  /** Nodes per page, 1..100 (MLMD's cap); default 20. */
  readonly pageSize?: number | undefined
  /** The token of the previous page's answer. */
  readonly pageToken?: string | undefined
  readonly orderBy?: OrderField | undefined
  /** Ascending order; default false (newest first, as MLMD lists by default). */
  readonly ascending?: boolean | undefined
}

/** One page of nodes. */
export interface NodePage<N> {
  readonly nodes: readonly N[]
  /** Present when more nodes follow. */
  readonly nextPageToken?: string | undefined
}

/** The largest page MLMD (and mlmd-ts) answers. */
export const MAX_PAGE_SIZE = 100

const ORDER_FIELD_NUMBER = {
  id: ListOperationOptions_OrderByField_Field.ID,
  create_time: ListOperationOptions_OrderByField_Field.CREATE_TIME,
  last_update_time: ListOperationOptions_OrderByField_Field.LAST_UPDATE_TIME,
} as const

/** The MLMD list options of a query. @throws InvalidArgument for a page size outside 1..100. */
export function listOptions(query: ListQuery): ListOperationOptions {
  const size = query.pageSize ?? 20
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new MlmdError(Code.InvalidArgument, `page size must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  }
  const filter = query.filter?.trim() ?? ''
  return {
    max_result_size: size,
    order_by_field: { field: ORDER_FIELD_NUMBER[query.orderBy ?? 'id'], is_asc: query.ascending ?? false },
    ...(query.pageToken ? { next_page_token: query.pageToken } : {}),
    ...(filter === '' ? {} : { filter_query: filter }),
  }
}

/** A page of artifacts, executions or contexts. */
export async function listNodes(
  store: AsyncMetadataStore,
  kind: NodeKind,
  query: ListQuery = {},
): Promise<NodePage<AnyNode>> {
  const options = listOptions(query)
  switch (kind) {
    case 'artifact': {
      const r = await store.getArtifacts({ options })
      return { nodes: r.artifacts, nextPageToken: r.next_page_token || undefined }
    }
    case 'execution': {
      const r = await store.getExecutions({ options })
      return { nodes: r.executions, nextPageToken: r.next_page_token || undefined }
    }
    case 'context': {
      const r = await store.getContexts({ options })
      return { nodes: r.contexts, nextPageToken: r.next_page_token || undefined }
    }
  }
}

/** Every type in the store, by kind. */
export interface AllTypes {
  readonly artifact: readonly ArtifactType[]
  readonly execution: readonly ExecutionType[]
  readonly context: readonly ContextType[]
}

/** The artifact, execution and context types (types are few; MLMD has no paging for them). */
export async function listTypes(store: AsyncMetadataStore): Promise<AllTypes> {
  const [a, e, c] = await Promise.all([
    store.getArtifactTypes({}),
    store.getExecutionTypes({}),
    store.getContextTypes({}),
  ])
  return { artifact: a.artifact_types, execution: e.execution_types, context: c.context_types }
}

/** A node and what it touches. */
export interface NodeDetail {
  readonly kind: NodeKind
  readonly node: AnyNode
  /** Events of an artifact or execution (at most {@link MAX_DETAIL_EDGES}). */
  readonly events: readonly Event[]
  /** The other end of each event, by id: executions of an artifact, artifacts of an execution. */
  readonly eventPeers: ReadonlyMap<bigint, AnyNode>
  /** Contexts of an artifact or execution; parents of a context. */
  readonly contexts: readonly Context[]
  /** Children of a context. */
  readonly children: readonly Context[]
  /** First artifacts and executions of a context (at most {@link MAX_DETAIL_EDGES} each). */
  readonly artifacts: readonly Artifact[]
  readonly executions: readonly Execution[]
}

/** How many events, and artifacts or executions of a context, a node page shows. */
export const MAX_DETAIL_EDGES = 100

const orEmptyWhenNotFound = async <T>(read: () => Promise<T>, empty: T): Promise<T> => {
  try {
    return await read()
  } catch (error) {
    if (error instanceof MlmdError && error.code === Code.NotFound) return empty
    throw error
  }
}

const notFound = (kind: NodeKind, id: bigint): MlmdError =>
  new MlmdError(Code.NotFound, `No ${kind} with id ${id}`)

/** One node with its events and contexts. @throws NotFound if there is no such node. */
export async function getNodeDetail(
  store: AsyncMetadataStore,
  kind: NodeKind,
  id: bigint,
): Promise<NodeDetail> {
  const firstPage: ListOperationOptions = {
    max_result_size: MAX_DETAIL_EDGES,
    order_by_field: { field: ListOperationOptions_OrderByField_Field.ID, is_asc: true },
  }
  if (kind === 'context') {
    const [{ contexts }, parents, children, artifacts, executions] = await Promise.all([
      store.getContextsByID({ context_ids: [id] }),
      store.getParentContextsByContext({ context_id: id }),
      store.getChildrenContextsByContext({ context_id: id }),
      store.getArtifactsByContext({ context_id: id, options: firstPage }),
      store.getExecutionsByContext({ context_id: id, options: firstPage }),
    ])
    const node = contexts[0]
    if (node === undefined) throw notFound(kind, id)
    return {
      kind,
      node,
      events: [],
      eventPeers: new Map(),
      contexts: parents.contexts,
      children: children.contexts,
      artifacts: artifacts.artifacts,
      executions: executions.executions,
    }
  }
  const isArtifact = kind === 'artifact'
  const [nodes, events, contexts] = await Promise.all([
    isArtifact
      ? store.getArtifactsByID({ artifact_ids: [id] }).then((r) => r.artifacts)
      : store.getExecutionsByID({ execution_ids: [id] }).then((r) => r.executions),
    isArtifact
      ? store.getEventsByArtifactIDs({ artifact_ids: [id] })
      : store.getEventsByExecutionIDs({ execution_ids: [id] }),
    isArtifact
      ? orEmptyWhenNotFound(async () => (await store.getContextsByArtifact({ artifact_id: id })).contexts, [])
      : orEmptyWhenNotFound(
          async () => (await store.getContextsByExecution({ execution_id: id })).contexts,
          [],
        ),
  ])
  const node = nodes[0]
  if (node === undefined) throw notFound(kind, id)
  const shown = events.events.slice(0, MAX_DETAIL_EDGES)
  const peerIds = [...new Set(shown.map((e) => (isArtifact ? e.execution_id : e.artifact_id) as bigint))]
  const peers: AnyNode[] =
    peerIds.length === 0
      ? []
      : isArtifact
        ? (await store.getExecutionsByID({ execution_ids: peerIds })).executions
        : (await store.getArtifactsByID({ artifact_ids: peerIds })).artifacts
  return {
    kind,
    node,
    events: shown,
    eventPeers: new Map(peers.map((p) => [p.id as bigint, p])),
    contexts,
    children: [],
    artifacts: [],
    executions: [],
  }
}

/** The name of an enum value (`Execution_State`, `Artifact_State`, `Event_Type`). */
export function enumName(values: Readonly<Record<string, number>>, value: number | undefined): string {
  if (value === undefined) return ''
  return Object.keys(values).find((k) => values[k] === value) ?? String(value)
}

export const executionStateName = (s: Execution_State | undefined): string => enumName(Execution_State, s)
export const artifactStateName = (s: Artifact_State | undefined): string => enumName(Artifact_State, s)
export const eventTypeName = (t: Event_Type | undefined): string => enumName(Event_Type, t)

/** Event types that mean "the execution read the artifact" (the rest mean it wrote it). */
const INPUT_EVENTS: ReadonlySet<number> = new Set([
  Event_Type.INPUT,
  Event_Type.DECLARED_INPUT,
  Event_Type.INTERNAL_INPUT,
])

/** Which way lineage is followed from the starting node. */
export type LineageDirection = 'both' | 'upstream' | 'downstream'
export const LINEAGE_DIRECTIONS: readonly LineageDirection[] = ['both', 'upstream', 'downstream']

/** A node of a lineage view. */
export interface LineageNode {
  /** Unique in the view: `a<id>` or `e<id>`. */
  readonly key: string
  readonly kind: 'artifact' | 'execution'
  readonly id: bigint
  readonly typeName: string
  /** A short human label: the artifact's name or URI tail, the execution's pipeline node. */
  readonly label: string
  /** Artifact or execution state name. */
  readonly state: string
  /** The node the view starts from. */
  readonly start: boolean
}

/** An edge of a lineage view, in the direction data flows. */
export interface LineageEdge {
  readonly from: string
  readonly to: string
  readonly eventType: string
}

/** A bounded lineage subgraph around one node. */
export interface LineageView {
  readonly start: { readonly kind: 'artifact' | 'execution'; readonly id: bigint }
  readonly hops: number
  readonly direction: LineageDirection
  readonly nodes: readonly LineageNode[]
  readonly edges: readonly LineageEdge[]
}

/** The most hops a lineage view follows (each artifact→execution step is one hop). */
export const MAX_LINEAGE_HOPS = 20

// TFX output URIs end in `<output key>/<execution id>`: the two last segments name an output.
const uriTail = (uri: string): string => uri.replace(/\/+$/, '').split('/').slice(-2).join('/')

/**
 * The lineage of an artifact or execution: nodes within `hops` edges, in one
 * `GetLineageSubgraph` call.
 * @throws InvalidArgument if hops is outside 0..{@link MAX_LINEAGE_HOPS}.
 * @throws NotFound if the starting node does not exist.
 */
export async function getLineage(
  store: AsyncMetadataStore,
  kind: 'artifact' | 'execution',
  id: bigint,
  options: { readonly hops?: number; readonly direction?: LineageDirection } = {},
): Promise<LineageView> {
  const hops = options.hops ?? 3
  const direction = options.direction ?? 'both'
  if (!Number.isInteger(hops) || hops < 0 || hops > MAX_LINEAGE_HOPS) {
    throw new MlmdError(Code.InvalidArgument, `hops must be an integer from 0 to ${MAX_LINEAGE_HOPS}`)
  }
  const exists =
    kind === 'artifact'
      ? (await store.getArtifactsByID({ artifact_ids: [id] })).artifacts.length > 0
      : (await store.getExecutionsByID({ execution_ids: [id] })).executions.length > 0
  if (!exists) throw notFound(kind, id)
  const start = { filter_query: `id = ${id}` }
  const { lineage_subgraph: graph = {} } = await store.getLineageSubgraph({
    lineage_subgraph_query_options: {
      ...(kind === 'artifact' ? { starting_artifacts: start } : { starting_executions: start }),
      max_num_hops: BigInt(hops),
      direction: {
        both: LineageSubgraphQueryOptions_Direction.BIDIRECTIONAL,
        upstream: LineageSubgraphQueryOptions_Direction.UPSTREAM,
        downstream: LineageSubgraphQueryOptions_Direction.DOWNSTREAM,
      }[direction],
    },
  })
  // An execution is labelled by its pipeline node when its `node` context came along.
  const nodeContexts = new Map<bigint, string>()
  for (const c of graph.contexts ?? []) if (c.type === 'node') nodeContexts.set(c.id as bigint, c.name ?? '')
  const stepOf = new Map<bigint, string>()
  for (const a of graph.associations ?? []) {
    const name = nodeContexts.get(a.context_id as bigint)
    if (name !== undefined) stepOf.set(a.execution_id as bigint, name)
  }
  const nodes: LineageNode[] = []
  for (const a of graph.artifacts ?? []) {
    const aid = a.id as bigint
    nodes.push({
      key: `a${aid}`,
      kind: 'artifact',
      id: aid,
      typeName: a.type ?? '',
      label: a.name || (a.uri ? uriTail(a.uri) : `#${aid}`),
      state: artifactStateName(a.state),
      start: kind === 'artifact' && aid === id,
    })
  }
  for (const e of graph.executions ?? []) {
    const eid = e.id as bigint
    nodes.push({
      key: `e${eid}`,
      kind: 'execution',
      id: eid,
      typeName: e.type ?? '',
      label: stepOf.get(eid) ?? e.name ?? `#${eid}`,
      state: executionStateName(e.last_known_state),
      start: kind === 'execution' && eid === id,
    })
  }
  const present = new Set(nodes.map((n) => n.key))
  const edges: LineageEdge[] = []
  for (const ev of graph.events ?? []) {
    const a = `a${ev.artifact_id}`
    const e = `e${ev.execution_id}`
    if (!present.has(a) || !present.has(e)) continue
    const input = INPUT_EVENTS.has(ev.type ?? Event_Type.UNKNOWN)
    edges.push({ from: input ? a : e, to: input ? e : a, eventType: eventTypeName(ev.type) })
  }
  const byKey = (x: { key: string }, y: { key: string }) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)
  nodes.sort((x, y) => (x.kind === y.kind ? Number(x.id - y.id) : byKey(x, y)))
  edges.sort((x, y) => (x.from === y.from ? (x.to < y.to ? -1 : 1) : x.from < y.from ? -1 : 1))
  return { start: { kind, id }, hops, direction, nodes, edges }
}

// ---------------------------------------------------------------------------------------------
// Pipelines, runs and steps

/** TFX's context type names for pipeline records. */
export const PIPELINE_CONTEXT_TYPES = {
  pipeline: 'pipeline',
  run: 'pipeline_run',
  node: 'node',
  cache: 'execution_cache',
} as const

/** What became of a step in a run. */
export type StepStatus = 'ran' | 'cached' | 'failed' | 'running' | 'new' | 'canceled' | 'unknown'

function stepStatus(state: Execution_State | undefined): StepStatus {
  switch (state) {
    case Execution_State.COMPLETE:
      return 'ran'
    case Execution_State.CACHED:
      return 'cached'
    case Execution_State.FAILED:
      return 'failed'
    case Execution_State.RUNNING:
      return 'running'
    case Execution_State.NEW:
      return 'new'
    case Execution_State.CANCELED:
      return 'canceled'
    default:
      return 'unknown'
  }
}

/** How long an execution took: from its creation to its last update (what TFX records). */
export function executionDurationMs(e: Execution): number | undefined {
  if (e.create_time_since_epoch === undefined || e.last_update_time_since_epoch === undefined)
    return undefined
  return Number(e.last_update_time_since_epoch - e.create_time_since_epoch)
}

/** One step of a run. */
export interface StepSummary {
  readonly execution: Execution
  /** The pipeline node id (the `node` context's name without the pipeline prefix). */
  readonly nodeId: string
  readonly status: StepStatus
  /** How long the step took in this run (for a cached step: the lookup, not the work). */
  readonly durationMs: number | undefined
  /** For a cached step: the execution whose outputs it reused, and that execution's run. */
  readonly reused?: {
    readonly execution: Execution
    readonly run: Context | undefined
  }
  /** For a cached step: how long the reused execution took, so the time this run saved. */
  readonly savedMs?: number | undefined
}

/** One run of a pipeline and its steps. */
export interface RunSummary {
  readonly run: Context
  readonly pipeline: Context | undefined
  readonly steps: readonly StepSummary[]
  readonly totals: {
    readonly steps: number
    readonly ran: number
    readonly cached: number
    readonly failed: number
    /** From the first step's start to the last step's end. */
    readonly wallMs: number | undefined
    /** The sum of the time cached steps saved. */
    readonly savedMs: number
  }
}

/** A pipeline with its runs, newest first. */
export interface PipelineSummary {
  readonly pipeline: Context
  /** Runs shown (the newest `runLimit`). */
  readonly runs: readonly RunSummary[]
  /** How many runs the pipeline has in all. */
  readonly runCount: number
}

const byIdDesc = (x: { id?: bigint | undefined }, y: { id?: bigint | undefined }) =>
  (x.id as bigint) < (y.id as bigint) ? 1 : (x.id as bigint) > (y.id as bigint) ? -1 : 0

/** The pipelines (contexts of type `pipeline`), by name. */
export async function listPipelines(store: AsyncMetadataStore): Promise<Context[]> {
  const { contexts } = await store.getContextsByType({ type_name: PIPELINE_CONTEXT_TYPES.pipeline })
  return [...contexts].sort((x, y) => ((x.name ?? '') < (y.name ?? '') ? -1 : 1))
}

/**
 * One pipeline by id or name with its newest runs summarised.
 * @throws NotFound if there is no such pipeline.
 */
export async function getPipeline(
  store: AsyncMetadataStore,
  pipeline: bigint | string,
  runLimit = 20,
): Promise<PipelineSummary> {
  const context =
    typeof pipeline === 'string'
      ? (
          await store.getContextByTypeAndName({
            type_name: PIPELINE_CONTEXT_TYPES.pipeline,
            context_name: pipeline,
          })
        ).context
      : (await store.getContextsByID({ context_ids: [pipeline] })).contexts.find(
          (c) => c.type === PIPELINE_CONTEXT_TYPES.pipeline,
        )
  if (context?.id === undefined) throw new MlmdError(Code.NotFound, `No pipeline ${String(pipeline)}`)
  const { contexts: children } = await store.getChildrenContextsByContext({ context_id: context.id })
  const runs = children.filter((c) => c.type === PIPELINE_CONTEXT_TYPES.run).sort(byIdDesc)
  const summaries = await Promise.all(runs.slice(0, runLimit).map((r) => summarizeRun(store, r, context)))
  return { pipeline: context, runs: summaries, runCount: runs.length }
}

/**
 * One run (a `pipeline_run` context) with its steps.
 * @throws NotFound if there is no run with this id.
 */
export async function getRun(store: AsyncMetadataStore, runId: bigint): Promise<RunSummary> {
  const run = (await store.getContextsByID({ context_ids: [runId] })).contexts[0]
  if (run === undefined || run.type !== PIPELINE_CONTEXT_TYPES.run) {
    throw new MlmdError(Code.NotFound, `No pipeline run with id ${runId}`)
  }
  const { contexts: parents } = await store.getParentContextsByContext({ context_id: runId })
  return summarizeRun(
    store,
    run,
    parents.find((p) => p.type === PIPELINE_CONTEXT_TYPES.pipeline),
  )
}

async function summarizeRun(
  store: AsyncMetadataStore,
  run: Context,
  pipeline: Context | undefined,
): Promise<RunSummary> {
  const { executions } = await store.getExecutionsByContext({ context_id: run.id as bigint })
  const sorted = [...executions].sort((x, y) => Number((x.id as bigint) - (y.id as bigint)))
  const ids = sorted.map((e) => e.id as bigint)
  const [contextsOf, reused] = await Promise.all([
    Promise.all(
      ids.map((id) =>
        orEmptyWhenNotFound(
          async () => (await store.getContextsByExecution({ execution_id: id })).contexts,
          [],
        ),
      ),
    ),
    reusedExecutions(
      store,
      sorted.filter((e) => e.last_known_state === Execution_State.CACHED),
    ),
  ])
  const prefix = pipeline?.name === undefined ? undefined : `${pipeline.name}.`
  const steps: StepSummary[] = sorted.map((execution, i) => {
    const node = contextsOf[i]?.find((c) => c.type === PIPELINE_CONTEXT_TYPES.node)?.name
    const nodeId =
      node === undefined
        ? (execution.type ?? `execution ${execution.id}`)
        : prefix !== undefined && node.startsWith(prefix)
          ? node.slice(prefix.length)
          : node
    const status = stepStatus(execution.last_known_state)
    const hit = reused.get(execution.id as bigint)
    return {
      execution,
      nodeId,
      status,
      durationMs: executionDurationMs(execution),
      ...(hit === undefined ? {} : { reused: hit, savedMs: executionDurationMs(hit.execution) }),
    }
  })
  // Epoch milliseconds are far below 2^53, so numbers are exact here.
  const starts = sorted.flatMap((e) =>
    e.create_time_since_epoch === undefined ? [] : [Number(e.create_time_since_epoch)],
  )
  const ends = sorted.flatMap((e) =>
    e.last_update_time_since_epoch === undefined ? [] : [Number(e.last_update_time_since_epoch)],
  )
  const wallMs =
    starts.length === 0 || ends.length === 0 ? undefined : Math.max(...ends) - Math.min(...starts)
  return {
    run,
    pipeline,
    steps,
    totals: {
      steps: steps.length,
      ran: steps.filter((s) => s.status === 'ran').length,
      cached: steps.filter((s) => s.status === 'cached').length,
      failed: steps.filter((s) => s.status === 'failed').length,
      wallMs,
      savedMs: steps.reduce((sum, s) => sum + (s.savedMs ?? 0), 0),
    },
  }
}

/**
 * For each cached execution, the execution that produced the outputs it reused: the COMPLETE
 * execution with an OUTPUT event to its first output artifact. A constant number of reads for
 * any number of cached executions.
 */
async function reusedExecutions(
  store: AsyncMetadataStore,
  cached: readonly Execution[],
): Promise<Map<bigint, { execution: Execution; run: Context | undefined }>> {
  const found = new Map<bigint, { execution: Execution; run: Context | undefined }>()
  if (cached.length === 0) return found
  const { events } = await store.getEventsByExecutionIDs({ execution_ids: cached.map((e) => e.id as bigint) })
  const firstOutput = new Map<bigint, bigint>()
  for (const ev of events) {
    if (ev.type !== Event_Type.OUTPUT) continue
    const eid = ev.execution_id as bigint
    const aid = ev.artifact_id as bigint
    const seen = firstOutput.get(eid)
    if (seen === undefined || aid < seen) firstOutput.set(eid, aid)
  }
  if (firstOutput.size === 0) return found
  const { events: artifactEvents } = await store.getEventsByArtifactIDs({
    artifact_ids: [...new Set(firstOutput.values())],
  })
  const producerIds = [
    ...new Set(
      artifactEvents.filter((e) => e.type === Event_Type.OUTPUT).map((e) => e.execution_id as bigint),
    ),
  ]
  const { executions: producers } = await store.getExecutionsByID({ execution_ids: producerIds })
  const complete = new Map(
    producers.filter((p) => p.last_known_state === Execution_State.COMPLETE).map((p) => [p.id as bigint, p]),
  )
  const producerOf = new Map<bigint, Execution>()
  for (const ev of artifactEvents) {
    const producer = complete.get(ev.execution_id as bigint)
    if (ev.type !== Event_Type.OUTPUT || producer === undefined) continue
    const current = producerOf.get(ev.artifact_id as bigint)
    if (current === undefined || (producer.id as bigint) < (current.id as bigint)) {
      producerOf.set(ev.artifact_id as bigint, producer)
    }
  }
  const distinct = [...new Set(producerOf.values())]
  const runs = await Promise.all(
    distinct.map(async (p) => {
      const contexts = await orEmptyWhenNotFound(
        async () => (await store.getContextsByExecution({ execution_id: p.id as bigint })).contexts,
        [],
      )
      return [p.id as bigint, contexts.find((c) => c.type === PIPELINE_CONTEXT_TYPES.run)] as const
    }),
  )
  const runOf = new Map(runs)
  for (const [eid, aid] of firstOutput) {
    const producer = producerOf.get(aid)
    if (producer !== undefined && producer.id !== eid) {
      found.set(eid, { execution: producer, run: runOf.get(producer.id as bigint) })
    }
  }
  return found
}

// ---------------------------------------------------------------------------------------------

/**
 * Why a step execution ran instead of reusing cached outputs, for an execution the runner
 * recorded (with its cache key ingredients) that was not itself a cache hit; undefined for
 * anything else. The comparison is the runner's own ({@link explainCacheMiss}).
 */
export async function cacheMissOf(
  store: AsyncMetadataStore,
  execution: Execution,
): Promise<CacheMissExplanation | undefined> {
  if (execution.id === undefined || execution.last_known_state === Execution_State.CACHED) return undefined
  const explanation = await explainCacheMiss(store, execution.id)
  return explanation.nodeId === undefined ? undefined : explanation
}
