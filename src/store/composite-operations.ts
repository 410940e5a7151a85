/**
 * The two composite writes, `PutExecution` and `PutLineageSubgraph`: several node upserts,
 * links and events, all in the caller's one transaction.
 */
import { insertAssociationIfNotExists, insertAttributionIfNotExists } from '../access/edge-access.js'
import {
  ARTIFACT,
  CONTEXT,
  EXECUTION,
  findNodeIdByTypeIdAndName,
  findNodeIdsByExternalIds,
  findNodesByIds,
  type Node,
  type NodeKind,
} from '../access/node-access.js'
import { findTypesByIds, type TypeRecord } from '../access/type-access.js'
import { Code, invalidArgument, MlmdError, notFound, outOfRange } from '../errors.js'
import type {
  Artifact,
  Context,
  Event,
  PutExecutionRequest,
  PutExecutionResponse,
  PutLineageSubgraphRequest,
  PutLineageSubgraphResponse,
} from '../proto/messages.js'
import type { Op, Tx } from '../storage/transaction-executor.js'
import { putEventsChecked } from './edge-operations.js'
import { upsertNode, validateProperties } from './node-operations.js'
import type { Operations } from './operation.js'

const present = <T>(value: T | undefined | null): value is T => value !== undefined && value !== null

/**
 * Upserts a context of a composite write. With `reuse`, a new context whose (type, name)
 * exists resolves to the stored one, unchanged.
 * @throws InvalidArgument if type_id or name is missing. @throws Aborted if the context
 *   appeared concurrently while reusing.
 */
function* upsertContextWithOptions(
  tx: Tx,
  context: Context,
  reuse: boolean,
  validatedType?: TypeRecord,
): Op<bigint> {
  if (!present(context.type_id)) throw invalidArgument('Context is missing a type_id.')
  if (!present(context.name)) throw invalidArgument('Context is missing a name.')
  if (reuse && !present(context.id)) {
    const existing = yield* findNodeIdByTypeIdAndName(tx, CONTEXT, context.type_id, context.name)
    if (existing !== undefined) return existing
  }
  try {
    return yield* upsertNode(tx, CONTEXT, context, validatedType === undefined ? {} : { validatedType })
  } catch (error) {
    // Another writer created the same context between our lookup and insert: the client retries.
    // (An update by id that collides cannot succeed on retry, so it stays ALREADY_EXISTS.)
    if (reuse && !present(context.id) && error instanceof MlmdError && error.code === Code.AlreadyExists) {
      throw new MlmdError(
        Code.Aborted,
        `Concurrent creation of the same context; retry to reuse it: ${context.name}`,
      )
    }
    throw error
  }
}

// With reuse_artifact_if_already_exist_by_external_id, an artifact without id whose external id
// is stored becomes an update of that artifact.
function* externalIdMatches(tx: Tx, artifacts: readonly Artifact[]): Op<Map<string, bigint>> {
  const wanted = artifacts.filter((a) => !present(a.id) && present(a.external_id) && a.external_id !== '')
  if (wanted.length === 0) return new Map()
  const ids = yield* findNodeIdsByExternalIds(
    tx,
    ARTIFACT,
    wanted.map((a) => a.external_id as string),
  )
  const found = yield* findNodesByIds<Artifact>(tx, ARTIFACT, ids)
  return new Map(found.map((a) => [a.external_id as string, a.id as bigint]))
}

function withReusedId(artifact: Artifact, matches: Map<string, bigint>): Artifact {
  if (present(artifact.id) || !present(artifact.external_id)) return artifact
  const id = matches.get(artifact.external_id)
  return id === undefined ? artifact : { ...artifact, id }
}

/** See `MetadataStore.putExecution`. */
export function* putExecution(tx: Tx, request: PutExecutionRequest): Op<PutExecutionResponse> {
  const execution = request.execution
  if (!present(execution)) throw invalidArgument('No execution is found in the request.')
  const options = request.options ?? {}
  const pairs = request.artifact_event_pairs ?? []

  for (const pair of pairs) {
    if (!present(pair.artifact) && present(pair.event) && !present(pair.event.artifact_id)) {
      throw invalidArgument('If no artifact is present, given event must have an artifact_id.')
    }
  }

  // 1. Artifacts. MLMD resolves each external id when it upserts that artifact, so the same new
  // external id twice in one request names one artifact (the later write wins).
  const reuseByExternalId = options.reuse_artifact_if_already_exist_by_external_id === true
  const artifactIds: bigint[] = []
  for (const pair of pairs) {
    if (present(pair.artifact)) {
      const artifact = reuseByExternalId
        ? withReusedId(pair.artifact, yield* externalIdMatches(tx, [pair.artifact]))
        : pair.artifact
      artifactIds.push(yield* upsertNode(tx, ARTIFACT, artifact))
    } else if (present(pair.event)) artifactIds.push(pair.event.artifact_id as bigint)
    else artifactIds.push(-1n) // an empty pair is allowed and answered with -1, as MLMD does
  }

  // 2. The execution.
  const executionId = yield* upsertNode(tx, EXECUTION, execution, {
    forceUpdateTime: options.force_update_time === true,
  })

  // 3. Events, checked against the ids the upserts produced. Unlike MLMD, an event-only pair
  // must name an artifact that exists (putEventsChecked checks every endpoint).
  const events: Event[] = []
  pairs.forEach((pair, i) => {
    const event = pair.event
    if (!present(event)) return
    if (present(event.execution_id) && event.execution_id !== executionId) {
      throw invalidArgument("Request's event.execution_id does not match with the given execution.")
    }
    const artifactId = artifactIds[i] as bigint
    if (present(pair.artifact) && present(event.artifact_id) && event.artifact_id !== artifactId) {
      throw invalidArgument('Given event.artifact_id is not aligned with the artifact.')
    }
    events.push({ ...event, execution_id: executionId, artifact_id: artifactId })
  })
  yield* putEventsChecked(tx, events)

  // 4. Contexts, and their links to the execution and to every artifact of the request.
  const contextIds: bigint[] = []
  const linkedArtifacts = [...new Set(artifactIds.filter((id) => id !== -1n))]
  for (const context of request.contexts ?? []) {
    let contextId: bigint
    if (present(context.id) && options.force_reuse_context === true) {
      if ((yield* findNodesByIds(tx, CONTEXT, [context.id])).length === 0) {
        throw notFound(`Context with ID ${context.id} was not found in MLMD`)
      }
      contextId = context.id
    } else {
      contextId = yield* upsertContextWithOptions(
        tx,
        context,
        options.reuse_context_if_already_exist === true,
      )
    }
    contextIds.push(contextId)
    yield* insertAssociationIfNotExists(tx, contextId, executionId)
    for (const artifactId of linkedArtifacts) yield* insertAttributionIfNotExists(tx, contextId, artifactId)
  }
  return { execution_id: executionId, artifact_ids: artifactIds, context_ids: contextIds }
}

// MLMD's CheckEventEdges: every edge has an event and resolves both ends, by index into the
// request's lists or by an id in the event; when both are given they must agree.
function checkEventEdges(request: PutLineageSubgraphRequest): void {
  const ends = [
    { label: 'execution', nodes: request.executions ?? [], index: 'execution_index', id: 'execution_id' },
    { label: 'artifact', nodes: request.artifacts ?? [], index: 'artifact_index', id: 'artifact_id' },
  ] as const
  for (const edge of request.event_edges ?? []) {
    if (!present(edge.event)) throw invalidArgument('No event found for event_edge.')
    for (const end of ends) {
      const index = edge[end.index]
      const id = edge.event[end.id]
      if (!present(index) && !present(id)) {
        throw invalidArgument(
          `Event_edge is missing an ${end.label}: neither an ${end.index} nor an event.${end.id}.`,
        )
      }
      if (!present(index)) continue
      if (index < 0 || index >= end.nodes.length) {
        throw outOfRange(
          `The event_edge has an ${end.index} ${index} outside the bounds of the request's ${end.label}s, [0, ${end.nodes.length}).`,
        )
      }
      if (!present(id)) continue
      const node = end.nodes[index] as Node
      if (!present(node.id)) {
        throw invalidArgument(
          `Missing ${end.label} ID: the ${end.label} at ${end.index} ${index} has no id but the event gives ${id}.`,
        )
      }
      if (node.id !== id) {
        throw invalidArgument(
          `${end.label} ID mismatch: the ${end.label} at ${end.index} ${index} has id ${node.id}, the event ${id}.`,
        )
      }
    }
  }
}

// MLMD's BatchTypeAndPropertyValidation: every node needs a type_id naming a type of its kind,
// and its properties must fit that type. Returns the types by id.
function* validateNodes(tx: Tx, kind: NodeKind, nodes: readonly Node[]): Op<Map<bigint, TypeRecord>> {
  if (nodes.length === 0) return new Map()
  for (const node of nodes) if (!present(node.type_id)) throw invalidArgument('Type id is missing.')
  const typeIds = [...new Set(nodes.map((n) => n.type_id as bigint))]
  const types = new Map((yield* findTypesByIds(tx, kind.tables.typeKind, typeIds)).map((t) => [t.id, t]))
  for (const node of nodes) {
    const type = types.get(node.type_id as bigint)
    if (type === undefined)
      throw notFound(`Cannot find type for type_id: ${node.type_id} (no ${kind.name} type with that id)`)
    validateProperties(node, type)
  }
  return types
}

/** See `MetadataStore.putLineageSubgraph`. */
export function* putLineageSubgraph(
  tx: Tx,
  request: PutLineageSubgraphRequest,
): Op<PutLineageSubgraphResponse> {
  checkEventEdges(request)
  const artifacts = request.artifacts ?? []
  const executions = request.executions ?? []
  const contexts = request.contexts ?? []
  const artifactTypes = yield* validateNodes(tx, ARTIFACT, artifacts)
  const executionTypes = yield* validateNodes(tx, EXECUTION, executions)
  const contextTypes = yield* validateNodes(tx, CONTEXT, contexts)
  const options = request.options ?? {}

  const contextIds: bigint[] = []
  for (const c of contexts) {
    contextIds.push(
      yield* upsertContextWithOptions(
        tx,
        c,
        options.reuse_context_if_already_exist === true,
        contextTypes.get(c.type_id as bigint),
      ),
    )
  }
  const matches = options.reuse_artifact_if_already_exist_by_external_id
    ? yield* externalIdMatches(tx, artifacts)
    : new Map<string, bigint>()
  // Updates still check the stored node (its type must match); inserts were validated above.
  const artifactIds: bigint[] = []
  for (const a of artifacts) {
    const artifact = withReusedId(a, matches)
    artifactIds.push(
      yield* upsertNode(
        tx,
        ARTIFACT,
        artifact,
        present(artifact.id) ? {} : { validatedType: artifactTypes.get(a.type_id as bigint) as TypeRecord },
      ),
    )
  }
  const executionIds: bigint[] = []
  for (const e of executions) {
    executionIds.push(
      yield* upsertNode(
        tx,
        EXECUTION,
        e,
        present(e.id) ? {} : { validatedType: executionTypes.get(e.type_id as bigint) as TypeRecord },
      ),
    )
  }

  for (const contextId of new Set(contextIds)) {
    for (const executionId of new Set(executionIds)) {
      yield* insertAssociationIfNotExists(tx, contextId, executionId)
    }
    for (const artifactId of new Set(artifactIds)) {
      yield* insertAttributionIfNotExists(tx, contextId, artifactId)
    }
  }

  const events = (request.event_edges ?? []).map((edge) => {
    const event = { ...(edge.event as Event) }
    if (!present(event.execution_id))
      event.execution_id = executionIds[edge.execution_index as number] as bigint
    if (!present(event.artifact_id)) event.artifact_id = artifactIds[edge.artifact_index as number] as bigint
    return event
  })
  yield* putEventsChecked(tx, events)
  return { execution_ids: executionIds, artifact_ids: artifactIds, context_ids: contextIds }
}

/** The composite writes of the operation table. */
export const COMPOSITE_OPERATIONS: Operations<'putExecution' | 'putLineageSubgraph'> = {
  putExecution: { mode: 'write', body: putExecution },
  putLineageSubgraph: { mode: 'write', body: putLineageSubgraph },
}
