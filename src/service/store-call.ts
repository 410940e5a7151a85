/**
 * Calls one store operation for an RPC, passing the call's deadline, so the store refuses to
 * begin after it, stops a long query at it, and rolls back a write that outlives it. Both ways
 * the server runs operations (in-thread and on worker threads) call through here.
 */
import type { AsyncMetadataStore, CallOptions, MetadataStore } from '../store/metadata-store-api.js'
import { operationName } from '../store/metadata-store-api.js'
import type { RpcName } from '../wire/service-definition.js'

// Any one operation, with its request and response types erased (the table is keyed by name).
type AnyOperation = (request: object, options?: CallOptions) => object | Promise<object>

/** The store operation of `rpc`. @throws Error when the store lacks it (a bug). */
export function storeOperation(
  store: MetadataStore | AsyncMetadataStore,
  rpc: RpcName,
): (request: object, deadline: number | undefined) => object | Promise<object> {
  const operation = store[operationName(rpc)] as unknown as AnyOperation
  if (typeof operation !== 'function') throw new Error(`the store has no operation ${operationName(rpc)}`)
  return (request, deadline) => operation.call(store, request, deadline === undefined ? {} : { deadline })
}
