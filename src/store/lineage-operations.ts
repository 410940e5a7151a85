/**
 * Lineage reads: `GetLineageSubgraph` (MLMD ≥ 1.14) and the deprecated `GetLineageGraph`
 * (MLMD ≤ 1.14's semantics; upstream answers UNIMPLEMENTED since 1.15, but TFX and Kubeflow
 * clients still send it).
 *
 * Both walk the artifact–execution graph breadth-first, one hop per round, with one statement
 * per hop (the events of the whole frontier at once), never one per node. On SQLite a
 * `GetLineageSubgraph` without ending filters walks in one recursive statement instead (see
 * `walkInOneStatement`). Walks read events without their path steps; the steps of the events
 * kept are read once at the end.
 */
import {
  findAssociationsByExecutions,
  findAttributionsByArtifacts,
  findStoredEventsBetween,
  findStoredEventsByArtifactIds,
  findStoredEventsByExecutionIds,
  type StoredEvent,
  walkLineage,
  withPaths,
} from '../access/edge-access.js'
import { ARTIFACT, CONTEXT, EXECUTION, findNodesByIds, type NodeKind } from '../access/node-access.js'
import { findTypesByKind } from '../access/type-access.js'
import { invalidArgument, notFound } from '../errors.js'
import type * as m from '../proto/messages.js'
import { Event_Type, LineageSubgraphQueryOptions_Direction } from '../proto/messages.js'
import { TypeKind } from '../storage/schema/v10.js'
import type { Op, Tx } from '../storage/transaction-executor.js'
import { ALL_NODES, filterNodeIds, listNodeIds } from './list-operation.js'
import type { Operations } from './operation.js'
import { typeToMessage } from './type-operations.js'

/** MLMD caps `GetLineageSubgraph` at 100 hops (unset means 100). */
export const MAX_SUBGRAPH_HOPS = 100n
/** MLMD documents at most 100 starting nodes for `GetLineageSubgraph`, lowest ids first. */
export const MAX_STARTING_NODES = 100
/** MLMD ≤ 1.14 caps `GetLineageGraph` at 20 hops (unset means 20). */
export const MAX_GRAPH_HOPS = 20n

const OUTPUT_EVENTS: ReadonlySet<number> = new Set([
  Event_Type.DECLARED_OUTPUT,
  Event_Type.OUTPUT,
  Event_Type.INTERNAL_OUTPUT,
  Event_Type.PENDING_OUTPUT,
])
const INPUT_EVENTS: ReadonlySet<number> = new Set([
  Event_Type.DECLARED_INPUT,
  Event_Type.INPUT,
  Event_Type.INTERNAL_INPUT,
])
const { UPSTREAM, DOWNSTREAM, DIRECTION_UNSPECIFIED } = LineageSubgraphQueryOptions_Direction

const LINEAGE_PATHS = [
  'artifact_types',
  'execution_types',
  'context_types',
  'artifacts',
  'executions',
  'contexts',
  'events',
  'attributions',
  'associations',
  'parent_contexts',
] as const

/**
 * Read-mask paths that ask for the nodes with their ids only, as MLMD's own server answers every
 * node: the field-mask path of the node's `id` field. MLMD ignores these paths (it answers no
 * nodes for them); `mlmd-ts serve` sends them to the store for a client that fetches the nodes
 * again itself, so that no node is read only to be thrown away.
 */
export const ID_ONLY_PATHS = {
  artifacts: 'artifacts.id',
  executions: 'executions.id',
  contexts: 'contexts.id',
} as const

const byId = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)

// Events that lead away from a node in the requested direction. From an artifact, upstream is
// the execution that produced it (its output events); from an execution, upstream is what it read.
function eventsInDirection(events: StoredEvent[], fromArtifacts: boolean, direction: number): StoredEvent[] {
  if (direction !== UPSTREAM && direction !== DOWNSTREAM) return events
  const wanted = (direction === UPSTREAM) === fromArtifacts ? OUTPUT_EVENTS : INPUT_EVENTS
  return events.filter((e) => wanted.has(Number(e.type)))
}

function* endingNodeIds(
  tx: Tx,
  kind: NodeKind,
  ending: m.LineageSubgraphQueryOptions_EndingNodes | undefined,
  candidates: Iterable<bigint>,
): Op<Set<bigint>> {
  const ids = [...candidates]
  // A filter that is present but empty makes every candidate an ending node, as in MLMD.
  if (ending?.filter_query === undefined || ending.filter_query === null || ids.length === 0) return new Set()
  return new Set(yield* filterNodeIds(tx, kind, ending.filter_query, ids))
}

/** See `MetadataStore.getLineageSubgraph`. */
export function* getLineageSubgraph(
  tx: Tx,
  request: m.GetLineageSubgraphRequest,
): Op<m.GetLineageSubgraphResponse> {
  const options = request.lineage_subgraph_query_options ?? {}
  const fromArtifacts = options.starting_artifacts !== undefined && options.starting_artifacts !== null
  const starting = fromArtifacts ? options.starting_artifacts : options.starting_executions
  if (starting === undefined || starting === null)
    throw invalidArgument('Missing arguments for listing starting nodes.')
  if (starting.filter_query === undefined || starting.filter_query === '') {
    throw invalidArgument('Cannot list starting nodes if `filter_query` is unspecified.')
  }
  let maxHops = MAX_SUBGRAPH_HOPS
  if (options.max_num_hops !== undefined && options.max_num_hops !== null) {
    if (options.max_num_hops < 0n) {
      throw invalidArgument(`max_num_hops cannot be negative: max_num_hops = ${options.max_num_hops}`)
    }
    if (options.max_num_hops < maxHops) maxHops = options.max_num_hops
  }
  const direction = options.direction ?? DIRECTION_UNSPECIFIED
  const paths = new Set<string>(
    (request.read_mask?.paths ?? []).length > 0 ? request.read_mask?.paths : LINEAGE_PATHS,
  )

  const startKind = fromArtifacts ? ARTIFACT : EXECUTION
  const startIds = yield* filterNodeIds(tx, startKind, starting.filter_query, undefined, MAX_STARTING_NODES)
  if (startIds.length === 0) throw notFound('Cannot find qualified nodes to start the traversal.')

  const endingFilters = hasFilter(options.ending_artifacts) || hasFilter(options.ending_executions)
  // Without ending filters the walk is one statement on SQLite; ending filters are evaluated
  // hop by hop on the nodes each hop reaches, and other engines walk hop by hop too.
  const walked =
    tx.dialect.engine === 'sqlite' && !endingFilters
      ? yield* walkInOneStatement(tx, startIds, fromArtifacts, maxHops, direction)
      : yield* walkHopByHop(tx, startIds, fromArtifacts, maxHops, direction, options)
  const { artifactIds, executionIds, events } = walked

  const graph: m.LineageGraph = {
    artifact_types: [],
    execution_types: [],
    context_types: [],
    artifacts: [],
    executions: [],
    contexts: [],
    events: [],
    attributions: [],
    associations: [],
    parent_contexts: [],
  }
  // MLMD answers id-only nodes, which its Python client then fetches again; we answer whole nodes,
  // or only their ids for the sub-path `<nodes>.id` (see ID_ONLY_PATHS).
  if (paths.has('artifacts')) graph.artifacts = yield* wholeOrIdOnly<m.Artifact>(tx, ARTIFACT, artifactIds)
  else if (paths.has(ID_ONLY_PATHS.artifacts)) graph.artifacts = artifactIds.map(idOnly)
  if (paths.has('executions')) {
    graph.executions = yield* wholeOrIdOnly<m.Execution>(tx, EXECUTION, executionIds)
  } else if (paths.has(ID_ONLY_PATHS.executions)) graph.executions = executionIds.map(idOnly)
  const attributions = yield* findAttributionsByArtifacts(tx, artifactIds)
  const associations = yield* findAssociationsByExecutions(tx, executionIds)
  const contextIds = () => [...new Set([...attributions, ...associations].map((l) => l.context_id as bigint))]
  if (paths.has('contexts')) graph.contexts = yield* wholeOrIdOnly<m.Context>(tx, CONTEXT, contextIds())
  else if (paths.has(ID_ONLY_PATHS.contexts)) graph.contexts = contextIds().map(idOnly)
  if (paths.has('events')) graph.events = yield* withPaths(tx, events)
  if (paths.has('attributions')) graph.attributions = attributions
  if (paths.has('associations')) graph.associations = associations
  if (paths.has('artifact_types')) {
    graph.artifact_types = yield* typeMessages<m.ArtifactType>(tx, TypeKind.ARTIFACT, true)
  }
  if (paths.has('execution_types')) {
    graph.execution_types = yield* typeMessages<m.ExecutionType>(tx, TypeKind.EXECUTION, true)
  }
  if (paths.has('context_types')) {
    graph.context_types = yield* typeMessages<m.ContextType>(tx, TypeKind.CONTEXT, true)
  }
  return { lineage_subgraph: graph }
}

/** What a lineage walk reached: node ids ascending, and the events it kept, in walk order. */
interface Walked {
  readonly artifactIds: bigint[]
  readonly executionIds: bigint[]
  readonly events: StoredEvent[]
}

// An ending filter that is present, even empty, makes some nodes ending nodes (see endingNodeIds).
const hasFilter = (ending: m.LineageSubgraphQueryOptions_EndingNodes | undefined | null): boolean =>
  ending?.filter_query !== undefined && ending.filter_query !== null

// The breadth-first walk, one statement per hop (the events of the whole frontier at once),
// with ending nodes. The reference for walkInOneStatement.
function* walkHopByHop(
  tx: Tx,
  startIds: bigint[],
  fromArtifacts: boolean,
  maxHops: bigint,
  direction: number,
  options: m.LineageSubgraphQueryOptions,
): Op<Walked> {
  const startKind = fromArtifacts ? ARTIFACT : EXECUTION
  const visited = { artifact: new Set<bigint>(), execution: new Set<bigint>() }
  const ending = { artifact: new Set<bigint>(), execution: new Set<bigint>() }
  const startEnding = yield* endingNodeIds(
    tx,
    startKind,
    fromArtifacts ? options.ending_artifacts : options.ending_executions,
    startIds,
  )
  const startSide = fromArtifacts ? 'artifact' : 'execution'
  for (const id of startEnding) ending[startSide].add(id)
  let frontier = startIds.filter((id) => !startEnding.has(id))
  for (const id of frontier) visited[startSide].add(id)

  const events: StoredEvent[] = []
  for (let hop = 0n; hop < maxHops && frontier.length > 0; hop++) {
    const expandFromArtifacts = fromArtifacts === (hop % 2n === 0n)
    const to = expandFromArtifacts ? 'execution' : 'artifact'
    const toKind = expandFromArtifacts ? EXECUTION : ARTIFACT
    const endingOptions = expandFromArtifacts ? options.ending_executions : options.ending_artifacts
    const candidates = eventsInDirection(
      expandFromArtifacts
        ? yield* findStoredEventsByArtifactIds(tx, frontier)
        : yield* findStoredEventsByExecutionIds(tx, frontier),
      expandFromArtifacts,
      direction,
    )
    const other = (e: StoredEvent): bigint => (expandFromArtifacts ? e.execution_id : e.artifact_id)
    const unvisited = new Set<bigint>()
    for (const e of candidates) {
      const id = other(e)
      if (!visited[to].has(id) && !ending[to].has(id)) unvisited.add(id)
    }
    for (const id of yield* endingNodeIds(tx, toKind, endingOptions, unvisited)) {
      ending[to].add(id)
      unvisited.delete(id)
    }
    for (const e of candidates) {
      const id = other(e)
      if (unvisited.has(id)) events.push(e)
      else if (ending[to].has(id)) {
        if (endingOptions?.include_ending_nodes === true) events.push(e)
      } else if (visited[to].has(id) && (direction === UPSTREAM || direction === DOWNSTREAM)) {
        // A directional walk keeps edges into nodes it has seen; a bidirectional one would
        // report each such edge twice, once from each side.
        events.push(e)
      }
    }
    frontier = [...unvisited].sort(byId)
    for (const id of frontier) visited[to].add(id)
  }

  const artifactIds = [...visited.artifact]
  const executionIds = [...visited.execution]
  if (options.ending_artifacts?.include_ending_nodes === true) artifactIds.push(...ending.artifact)
  if (options.ending_executions?.include_ending_nodes === true) executionIds.push(...ending.execution)
  artifactIds.sort(byId)
  executionIds.sort(byId)
  return { artifactIds, executionIds, events }
}

// The walk without ending filters in two statements: the nodes with their hops (the walk itself,
// see walkLineage), then the events between the nodes reached, of which it keeps what
// walkHopByHop keeps, in its order. Every node is reached at its distance from the starting
// nodes, so walkHopByHop keeps:
// - without a direction, every event between two nodes reached (their hops differ by one, and
//   the walk crosses it from the nearer one, to a node not yet seen);
// - with one, every event leading that way out of a node reached before the last hop (whatever
//   it leads to), which is then reached too.
// Its order is by the hop it was crossed from, then as that hop's events statement sorts them.
function* walkInOneStatement(
  tx: Tx,
  startIds: bigint[],
  fromArtifacts: boolean,
  maxHops: bigint,
  direction: number,
): Op<Walked> {
  const directed = direction === UPSTREAM || direction === DOWNSTREAM
  const lastHop = Number(maxHops)
  // Upstream from an artifact is the execution that output it; from an execution, its inputs.
  const outOfArtifacts = direction === UPSTREAM ? OUTPUT_EVENTS : INPUT_EVENTS
  const outOfExecutions = direction === UPSTREAM ? INPUT_EVENTS : OUTPUT_EVENTS
  const nodes = yield* walkLineage(
    tx,
    startIds,
    fromArtifacts ? 0 : 1,
    maxHops,
    directed ? { fromArtifacts: [...outOfArtifacts], fromExecutions: [...outOfExecutions] } : null,
  )
  const hopOf = { artifact: new Map<bigint, number>(), execution: new Map<bigint, number>() }
  const artifactIds: bigint[] = []
  const executionIds: bigint[] = []
  for (const { hop, id } of nodes) {
    if ((hop % 2n === 0n) === fromArtifacts) {
      hopOf.artifact.set(id, Number(hop))
      artifactIds.push(id)
    } else {
      hopOf.execution.set(id, Number(hop))
      executionIds.push(id)
    }
  }
  artifactIds.sort(byId)
  executionIds.sort(byId)

  const kept: { event: StoredEvent; hop: number; fromArtifact: boolean }[] = []
  for (const event of yield* findStoredEventsBetween(tx, artifactIds, executionIds)) {
    const artifactHop = hopOf.artifact.get(event.artifact_id) as number
    const executionHop = hopOf.execution.get(event.execution_id) as number
    let fromArtifact = artifactHop < executionHop
    if (directed) {
      const type = Number(event.type)
      if (outOfArtifacts.has(type)) fromArtifact = true
      else if (outOfExecutions.has(type)) fromArtifact = false
      else continue
    }
    const hop = fromArtifact ? artifactHop : executionHop
    if (hop < lastHop) kept.push({ event, hop, fromArtifact })
  }
  kept.sort((x, y) => {
    if (x.hop !== y.hop) return x.hop - y.hop
    const a = x.event
    const b = y.event
    // walkHopByHop's statements: by artifact, execution and type out of artifacts; by
    // execution and insertion (id) out of executions.
    if (x.fromArtifact)
      return (
        byId(a.artifact_id, b.artifact_id) || byId(a.execution_id, b.execution_id) || byId(a.type, b.type)
      )
    return byId(a.execution_id, b.execution_id) || byId(a.id, b.id)
  })
  return { artifactIds, executionIds, events: kept.map((k) => k.event) }
}

// A node of an id-only answer, as MLMD's server gives every node (and as the store gives a node
// an event names but no row holds).
const idOnly = <N extends m.Artifact | m.Execution | m.Context>(id: bigint): N =>
  ({ id, properties: {}, custom_properties: {} }) as N

/** See `MetadataStore.getLineageGraph`: MLMD 1.14's traversal from query artifacts. */
export function* getLineageGraph(tx: Tx, request: m.GetLineageGraphRequest): Op<m.GetLineageGraphResponse> {
  const options = request.options ?? {}
  if (options.artifacts_options === undefined || options.artifacts_options === null) {
    throw invalidArgument('Missing query_nodes conditions')
  }
  const stop = options.stop_conditions ?? {}
  let maxHops = MAX_GRAPH_HOPS
  if (stop.max_num_hops !== undefined && stop.max_num_hops !== null) {
    if (stop.max_num_hops < 0n)
      throw invalidArgument(`max_num_hops cannot be negative: max_num_hops =${stop.max_num_hops}`)
    if (stop.max_num_hops < maxHops) maxHops = stop.max_num_hops
  }
  // The query nodes are one page of the artifact listing, as MLMD lists them.
  let queryIds = (yield* listNodeIds(tx, ARTIFACT, ALL_NODES, options.artifacts_options)).ids
  if (queryIds.length === 0)
    throw notFound('The query_nodes condition does not match any nodes to do traversal.')
  const maxNodeSize = options.max_node_size ?? 20n
  if (maxNodeSize > 0n && BigInt(queryIds.length) > maxNodeSize)
    queryIds = queryIds.slice(0, Number(maxNodeSize))
  let quota = maxNodeSize > 0n ? maxNodeSize - BigInt(queryIds.length) : BigInt(Number.MAX_SAFE_INTEGER)

  const visited = { artifact: new Set<bigint>(), execution: new Set<bigint>() }
  const artifactIds: bigint[] = [...queryIds]
  const executionIds: bigint[] = []
  const events: StoredEvent[] = []
  let frontier = queryIds
  for (let hop = 0n; hop < maxHops && quota > 0n; hop++) {
    const fromArtifacts = hop % 2n === 0n
    const from = fromArtifacts ? 'artifact' : 'execution'
    const to = fromArtifacts ? 'execution' : 'artifact'
    for (const id of frontier) visited[from].add(id)
    const candidates = fromArtifacts
      ? yield* findStoredEventsByArtifactIds(tx, frontier)
      : yield* findStoredEventsByExecutionIds(tx, frontier)
    const other = (e: StoredEvent): bigint => (fromArtifacts ? e.execution_id : e.artifact_id)
    let reached = [...new Set(candidates.map(other).filter((id) => !visited[to].has(id)))].sort(byId)
    const boundary = fromArtifacts ? stop.boundary_executions : stop.boundary_artifacts
    if (boundary !== undefined && boundary !== null && reached.length > 0) {
      // Boundary filters name the nodes the walk may enter.
      reached = yield* filterNodeIds(tx, fromArtifacts ? EXECUTION : ARTIFACT, boundary, reached)
    }
    // MLMD drops arbitrary extra nodes past the quota; we keep the lowest ids.
    if (BigInt(reached.length) > quota) reached = reached.slice(0, Number(quota))
    if (reached.length === 0) break
    const kept = new Set(reached)
    events.push(...candidates.filter((e) => kept.has(other(e))))
    ;(fromArtifacts ? executionIds : artifactIds).push(...reached)
    quota -= BigInt(reached.length)
    frontier = reached
  }
  return {
    subgraph: {
      artifact_types: yield* typeMessages<m.ArtifactType>(tx, TypeKind.ARTIFACT, false),
      execution_types: yield* typeMessages<m.ExecutionType>(tx, TypeKind.EXECUTION, false),
      context_types: yield* typeMessages<m.ContextType>(tx, TypeKind.CONTEXT, true),
      artifacts: yield* wholeOrIdOnly<m.Artifact>(tx, ARTIFACT, artifactIds),
      executions: yield* wholeOrIdOnly<m.Execution>(tx, EXECUTION, executionIds),
      contexts: [],
      events: yield* withPaths(tx, events),
      attributions: [],
      associations: [],
      parent_contexts: [],
    },
  }
}

// Whole nodes for the ids that exist; a dangling edge (an event written by MLMD to a node that
// does not exist) still yields its id, as MLMD reports it, so no returned event points outside
// the graph.
function* wholeOrIdOnly<N extends m.Artifact | m.Execution | m.Context>(
  tx: Tx,
  kind: NodeKind,
  ids: bigint[],
): Op<N[]> {
  const found = new Map((yield* findNodesByIds<N>(tx, kind, ids)).map((n) => [n.id as bigint, n]))
  return ids.map((id) => found.get(id) ?? idOnly<N>(id))
}

function* typeMessages<T>(tx: Tx, kind: TypeKind, withSimpleTypes: boolean): Op<T[]> {
  return (yield* findTypesByKind(tx, kind, withSimpleTypes)).map(typeToMessage) as T[]
}

/** The lineage reads of the operation table. */
export const LINEAGE_OPERATIONS: Operations<'getLineageGraph' | 'getLineageSubgraph'> = {
  getLineageGraph: { mode: 'read', body: getLineageGraph },
  getLineageSubgraph: { mode: 'read', body: getLineageSubgraph },
}
