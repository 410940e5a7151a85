/**
 * The operations of an MLMD store, one per RPC of `ml_metadata.MetadataStoreService`, with
 * MLMD's names (lowerCamel), request and response messages, and error codes.
 *
 * The in-process store implements {@link MetadataStore} synchronously; the gRPC client
 * implements {@link AsyncMetadataStore}, the same operations returning promises. Code that must
 * work with either (the runner, tools) takes an `AsyncMetadataStore`, and
 * {@link toAsyncMetadataStore} adapts an in-process store to it.
 *
 * Conventions for everything returned: unset scalar fields are absent (an empty string is a
 * set field), int64 values are `bigint`, and repeated and map fields are always present (empty
 * when there is nothing). Every operation is one transaction: when it throws, nothing it did
 * is stored. The optional second argument carries per-call limits (a deadline).
 */
import type * as m from '../proto/messages.js'
import type { CallOptions } from '../storage/transaction-executor.js'

export type { CallOptions } from '../storage/transaction-executor.js'

export interface MetadataStore {
  /**
   * Inserts an artifact type, or checks and evolves the stored one with the same name and
   * version; returns its id.
   * @throws InvalidArgument if the name is empty, a property is declared UNKNOWN.
   * @throws AlreadyExists if the stored type declares a property with another value type, has
   *   properties the request omits (without `can_omit_fields`), or lacks properties the request
   *   adds (without `can_add_fields`); or the external_id belongs to another type.
   * @throws Unimplemented if `all_fields_match` is false, or `base_type` is UNSET or differs
   *   from the stored one.
   */
  putArtifactType(request: m.PutArtifactTypeRequest, options?: CallOptions): m.PutArtifactTypeResponse
  /** As {@link putArtifactType}, for execution types. */
  putExecutionType(request: m.PutExecutionTypeRequest, options?: CallOptions): m.PutExecutionTypeResponse
  /** As {@link putArtifactType}, for context types (which have no base types). */
  putContextType(request: m.PutContextTypeRequest, options?: CallOptions): m.PutContextTypeResponse
  /**
   * Upserts artifact, execution and context types in one transaction, each as the single-type
   * puts do; ids are index-aligned with the request lists.
   * @throws as {@link putArtifactType}.
   */
  putTypes(request: m.PutTypesRequest, options?: CallOptions): m.PutTypesResponse
  /**
   * Inserts artifacts without `id` and updates those with one (fully, or only the paths of
   * `update_mask`); returns the ids in request order.
   * @throws InvalidArgument if an insert lacks `type_id`, an update's id does not exist or its
   *   `type_id` differs from the stored one, a property is not declared by the type or holds
   *   another kind, or a Value holds no kind.
   * @throws NotFound if `type_id` names no artifact type.
   * @throws AlreadyExists if (type_id, name) or external_id is already taken.
   * @throws FailedPrecondition if `options.abort_if_latest_updated_time_changed` is set and the
   *   stored `last_update_time_since_epoch` differs from the request's.
   */
  putArtifacts(request: m.PutArtifactsRequest, options?: CallOptions): m.PutArtifactsResponse
  /** As {@link putArtifacts}, for executions (no optimistic-concurrency option). */
  putExecutions(request: m.PutExecutionsRequest, options?: CallOptions): m.PutExecutionsResponse
  /**
   * As {@link putArtifacts}, for contexts.
   * @throws InvalidArgument also if a context's name is missing or empty.
   */
  putContexts(request: m.PutContextsRequest, options?: CallOptions): m.PutContextsResponse
  /**
   * Inserts events with their paths.
   * @throws InvalidArgument if an event lacks artifact_id, execution_id or a type (or the type
   *   is UNKNOWN), or either node does not exist.
   * @throws AlreadyExists if an event with the same (artifact, execution, type) exists.
   */
  putEvents(request: m.PutEventsRequest, options?: CallOptions): m.PutEventsResponse
  /**
   * Atomically upserts an execution, its artifacts and their events, and its contexts, then
   * links every context to the execution and to every artifact of the request.
   * @throws InvalidArgument if there is no execution, an event names another execution or
   *   another artifact than its pair, an event-only pair has no artifact_id or names a missing
   *   artifact, a context lacks type_id or name; and as {@link putArtifacts}.
   * @throws NotFound if `force_reuse_context` names a context id that does not exist.
   * @throws AlreadyExists if a new context's (type, name) exists and reuse is not requested.
   * @throws Aborted if a reused context was created concurrently (retry).
   */
  putExecution(request: m.PutExecutionRequest, options?: CallOptions): m.PutExecutionResponse
  /**
   * Atomically upserts contexts, artifacts and executions, links every context to every
   * execution and artifact, and inserts the events of `event_edges`.
   * @throws InvalidArgument if an edge has no event, names neither an index nor an id, or its
   *   id disagrees with the node at its index; or a node lacks type_id.
   * @throws OutOfRange if an edge's index is outside its node list.
   * @throws NotFound if a type id does not exist.
   */
  putLineageSubgraph(
    request: m.PutLineageSubgraphRequest,
    options?: CallOptions,
  ): m.PutLineageSubgraphResponse
  /**
   * Links artifacts and executions to contexts; links that exist are left alone.
   * @throws InvalidArgument if a link lacks an id or names a node that does not exist.
   */
  putAttributionsAndAssociations(
    request: m.PutAttributionsAndAssociationsRequest,
    options?: CallOptions,
  ): m.PutAttributionsAndAssociationsResponse
  /**
   * Links child contexts to parents.
   * @throws InvalidArgument if a link lacks an id, names a missing context, or would create a
   *   cycle (a context is never its own ancestor).
   * @throws AlreadyExists if the link exists.
   */
  putParentContexts(request: m.PutParentContextsRequest, options?: CallOptions): m.PutParentContextsResponse

  /**
   * The artifact type with this name and version (unset or empty version: no version).
   * @throws NotFound if there is none.
   */
  getArtifactType(request: m.GetArtifactTypeRequest, options?: CallOptions): m.GetArtifactTypeResponse
  /** Artifact types by id, in request order; unknown ids are skipped. */
  getArtifactTypesByID(
    request: m.GetArtifactTypesByIDRequest,
    options?: CallOptions,
  ): m.GetArtifactTypesByIDResponse
  /** Every artifact type except MLMD's `mlmd.*` simple types, by ascending id. */
  getArtifactTypes(request: m.GetArtifactTypesRequest, options?: CallOptions): m.GetArtifactTypesResponse
  /** As {@link getArtifactType}, for execution types. @throws NotFound if there is none. */
  getExecutionType(request: m.GetExecutionTypeRequest, options?: CallOptions): m.GetExecutionTypeResponse
  /** As {@link getArtifactTypesByID}, for execution types. */
  getExecutionTypesByID(
    request: m.GetExecutionTypesByIDRequest,
    options?: CallOptions,
  ): m.GetExecutionTypesByIDResponse
  /** As {@link getArtifactTypes}, for execution types. */
  getExecutionTypes(request: m.GetExecutionTypesRequest, options?: CallOptions): m.GetExecutionTypesResponse
  /** As {@link getArtifactType}, for context types. @throws NotFound if there is none. */
  getContextType(request: m.GetContextTypeRequest, options?: CallOptions): m.GetContextTypeResponse
  /** As {@link getArtifactTypesByID}, for context types. */
  getContextTypesByID(
    request: m.GetContextTypesByIDRequest,
    options?: CallOptions,
  ): m.GetContextTypesByIDResponse
  /** Every context type, by ascending id. */
  getContextTypes(request: m.GetContextTypesRequest, options?: CallOptions): m.GetContextTypesResponse

  /**
   * All artifacts by ascending id, or one page of them when `options` is set.
   * @throws InvalidArgument for invalid list options or page tokens.
   */
  getArtifacts(request: m.GetArtifactsRequest, options?: CallOptions): m.GetArtifactsResponse
  /** As {@link getArtifacts}, for executions. */
  getExecutions(request: m.GetExecutionsRequest, options?: CallOptions): m.GetExecutionsResponse
  /** As {@link getArtifacts}, for contexts. */
  getContexts(request: m.GetContextsRequest, options?: CallOptions): m.GetContextsResponse
  /**
   * Artifacts by id, by ascending id; unknown ids are skipped. With `populate_artifact_types`,
   * also the distinct types of the artifacts returned.
   */
  getArtifactsByID(request: m.GetArtifactsByIDRequest, options?: CallOptions): m.GetArtifactsByIDResponse
  /** As {@link getArtifactsByID}, for executions. */
  getExecutionsByID(request: m.GetExecutionsByIDRequest, options?: CallOptions): m.GetExecutionsByIDResponse
  /** As {@link getArtifactsByID}, for contexts. */
  getContextsByID(request: m.GetContextsByIDRequest, options?: CallOptions): m.GetContextsByIDResponse
  /**
   * Artifacts of the type with this name and version; empty when the type does not exist.
   * @throws InvalidArgument for invalid list options or page tokens.
   */
  getArtifactsByType(
    request: m.GetArtifactsByTypeRequest,
    options?: CallOptions,
  ): m.GetArtifactsByTypeResponse
  /** As {@link getArtifactsByType}, for executions. */
  getExecutionsByType(
    request: m.GetExecutionsByTypeRequest,
    options?: CallOptions,
  ): m.GetExecutionsByTypeResponse
  /** As {@link getArtifactsByType}, for contexts. */
  getContextsByType(request: m.GetContextsByTypeRequest, options?: CallOptions): m.GetContextsByTypeResponse
  /** The artifact with this type and name; the response field is unset when there is none. */
  getArtifactByTypeAndName(
    request: m.GetArtifactByTypeAndNameRequest,
    options?: CallOptions,
  ): m.GetArtifactByTypeAndNameResponse
  /** As {@link getArtifactByTypeAndName}, for executions. */
  getExecutionByTypeAndName(
    request: m.GetExecutionByTypeAndNameRequest,
    options?: CallOptions,
  ): m.GetExecutionByTypeAndNameResponse
  /** As {@link getArtifactByTypeAndName}, for contexts. */
  getContextByTypeAndName(
    request: m.GetContextByTypeAndNameRequest,
    options?: CallOptions,
  ): m.GetContextByTypeAndNameResponse
  /** Artifacts whose uri equals one of `uris` (`""` matches artifacts stored without a uri). */
  getArtifactsByURI(request: m.GetArtifactsByURIRequest, options?: CallOptions): m.GetArtifactsByURIResponse
  /** Events of these executions, by execution then insertion order. */
  getEventsByExecutionIDs(
    request: m.GetEventsByExecutionIDsRequest,
    options?: CallOptions,
  ): m.GetEventsByExecutionIDsResponse
  /** Events of these artifacts, by artifact, execution and type. */
  getEventsByArtifactIDs(
    request: m.GetEventsByArtifactIDsRequest,
    options?: CallOptions,
  ): m.GetEventsByArtifactIDsResponse
  /**
   * Artifacts with these external ids (empty request: empty response).
   * @throws InvalidArgument if an external id is empty.
   * @throws NotFound if none of them exists.
   */
  getArtifactsByExternalIds(
    request: m.GetArtifactsByExternalIdsRequest,
    options?: CallOptions,
  ): m.GetArtifactsByExternalIdsResponse
  /** As {@link getArtifactsByExternalIds}, for executions. */
  getExecutionsByExternalIds(
    request: m.GetExecutionsByExternalIdsRequest,
    options?: CallOptions,
  ): m.GetExecutionsByExternalIdsResponse
  /** As {@link getArtifactsByExternalIds}, for contexts. */
  getContextsByExternalIds(
    request: m.GetContextsByExternalIdsRequest,
    options?: CallOptions,
  ): m.GetContextsByExternalIdsResponse
  /** As {@link getArtifactsByExternalIds}, for artifact types. */
  getArtifactTypesByExternalIds(
    request: m.GetArtifactTypesByExternalIdsRequest,
    options?: CallOptions,
  ): m.GetArtifactTypesByExternalIdsResponse
  /** As {@link getArtifactsByExternalIds}, for execution types. */
  getExecutionTypesByExternalIds(
    request: m.GetExecutionTypesByExternalIdsRequest,
    options?: CallOptions,
  ): m.GetExecutionTypesByExternalIdsResponse
  /** As {@link getArtifactsByExternalIds}, for context types. */
  getContextTypesByExternalIds(
    request: m.GetContextTypesByExternalIdsRequest,
    options?: CallOptions,
  ): m.GetContextTypesByExternalIdsResponse
  /**
   * Contexts the artifact is attributed to, by ascending id.
   * @throws NotFound if there are none (MLMD's behaviour).
   */
  getContextsByArtifact(
    request: m.GetContextsByArtifactRequest,
    options?: CallOptions,
  ): m.GetContextsByArtifactResponse
  /**
   * Contexts the execution is associated with, by ascending id.
   * @throws NotFound if there are none (MLMD's behaviour).
   */
  getContextsByExecution(
    request: m.GetContextsByExecutionRequest,
    options?: CallOptions,
  ): m.GetContextsByExecutionResponse
  /** Parents of a context, by ascending id. */
  getParentContextsByContext(
    request: m.GetParentContextsByContextRequest,
    options?: CallOptions,
  ): m.GetParentContextsByContextResponse
  /** Children of a context, by ascending id. */
  getChildrenContextsByContext(
    request: m.GetChildrenContextsByContextRequest,
    options?: CallOptions,
  ): m.GetChildrenContextsByContextResponse
  /**
   * Parents of each context, keyed by child id; contexts without parents are left out.
   * @throws InvalidArgument if `context_ids` is empty.
   */
  getParentContextsByContexts(
    request: m.GetParentContextsByContextsRequest,
    options?: CallOptions,
  ): m.GetParentContextsByContextsResponse
  /**
   * Children of each context, keyed by parent id; contexts without children are left out.
   * @throws InvalidArgument if `context_ids` is empty.
   */
  getChildrenContextsByContexts(
    request: m.GetChildrenContextsByContextsRequest,
    options?: CallOptions,
  ): m.GetChildrenContextsByContextsResponse
  /**
   * Artifacts attributed to the context (all by ascending id, or a page with `options`);
   * empty for an unknown context.
   * @throws InvalidArgument for invalid list options or page tokens.
   */
  getArtifactsByContext(
    request: m.GetArtifactsByContextRequest,
    options?: CallOptions,
  ): m.GetArtifactsByContextResponse
  /** As {@link getArtifactsByContext}, for the executions associated with the context. */
  getExecutionsByContext(
    request: m.GetExecutionsByContextRequest,
    options?: CallOptions,
  ): m.GetExecutionsByContextResponse
  /** MLMD ≤ 1.14's lineage query (deprecated upstream). */
  getLineageGraph(request: m.GetLineageGraphRequest, options?: CallOptions): m.GetLineageGraphResponse
  /**
   * The lineage subgraph around starting artifacts or executions, with the fields of
   * `read_mask` (every field when empty). Nodes come whole, or with their ids only for the
   * mask paths `artifacts.id`, `executions.id` and `contexts.id` (MLMD answers ids only).
   * @throws InvalidArgument if no starting nodes or filter are given, a filter is invalid, or
   *   `max_num_hops` is negative.
   * @throws NotFound if the starting filter matches no node.
   */
  getLineageSubgraph(
    request: m.GetLineageSubgraphRequest,
    options?: CallOptions,
  ): m.GetLineageSubgraphResponse
}

/** The operations of {@link MetadataStore}, returning promises (the gRPC client's shape). */
export type AsyncMetadataStore = {
  [K in keyof MetadataStore]: (
    request: Parameters<MetadataStore[K]>[0],
    options?: CallOptions,
  ) => Promise<ReturnType<MetadataStore[K]>>
}

/** The lowerCamel operation name of each RPC (`GetArtifactsByID` → `getArtifactsByID`). */
export type OperationName<Rpc extends string> = Rpc extends `${infer First}${infer Rest}`
  ? `${Lowercase<First>}${Rest}`
  : Rpc

/** The operation name of an RPC. */
export function operationName<Rpc extends keyof m.MetadataStoreServiceRpcs>(rpc: Rpc): OperationName<Rpc> {
  return `${rpc.charAt(0).toLowerCase()}${rpc.slice(1)}` as OperationName<Rpc>
}

// Compile-time check that the interface covers every RPC with its request and response types.
type Expected = {
  [K in keyof m.MetadataStoreServiceRpcs as OperationName<K & string>]: (
    request: m.MetadataStoreServiceRpcs[K]['request'],
    options?: CallOptions,
  ) => m.MetadataStoreServiceRpcs[K]['response']
}
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const interfaceMatchesService: Exact<Expected, MetadataStore> = true
void interfaceMatchesService
