/**
 * Calls one store operation for an RPC, passing the call's deadline, so the store refuses to
 * begin after it, stops a long query at it, and rolls back a write that outlives it. Both ways
 * the server runs operations (in-thread and on worker threads) call through here.
 */
import type { GetLineageSubgraphRequest } from '../proto/messages.js'
import type { AsyncMetadataStore, CallOptions, MetadataStore } from '../store/metadata-store-api.js'
import { operationName } from '../store/metadata-store-api.js'
import type { RpcName } from '../wire/service-definition.js'
import { answersIdsOnly, DEFAULT_LINEAGE_NODES, idsOnlyRequest, type LineageNodes } from './lineage-nodes.js'

// Any one operation, with its request and response types erased (the table is keyed by name).
type AnyOperation = (request: object, options?: CallOptions) => object | Promise<object>

/** How the server shapes answers beyond what the store returns. */
export interface AnswerOptions {
  /** How `GetLineageSubgraph` answers its nodes; default {@link DEFAULT_LINEAGE_NODES}. */
  readonly lineageNodes?: LineageNodes | undefined
}

/** The store operation of `rpc`. @throws Error when the store lacks it (a bug). */
export function storeOperation(
  store: MetadataStore | AsyncMetadataStore,
  rpc: RpcName,
  answers: AnswerOptions = {},
): (request: object, deadline: number | undefined) => object | Promise<object> {
  const operation = store[operationName(rpc)] as unknown as AnyOperation
  if (typeof operation !== 'function') throw new Error(`the store has no operation ${operationName(rpc)}`)
  const call = (request: object, deadline: number | undefined) =>
    operation.call(store, request, deadline === undefined ? {} : { deadline })
  if (rpc !== 'GetLineageSubgraph') return call
  const mode = answers.lineageNodes ?? DEFAULT_LINEAGE_NODES
  return (request, deadline) => {
    const lineage = request as GetLineageSubgraphRequest
    return call(answersIdsOnly(lineage, mode) ? idsOnlyRequest(lineage) : lineage, deadline)
  }
}
