/**
 * The handlers of `ml_metadata.MetadataStoreService`: one generic unary wrapper and a table
 * mapping every RPC to the store operation of the same name (MLMD's
 * `metadata_store_service_impl.cc` writes one method per RPC; the table replaces them).
 */
import type {
  ServerUnaryCall,
  ServiceError,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js'
import { Metadata, type status } from '@grpc/grpc-js'
import { Code, MlmdError } from '../errors.js'
import { RPC_NAMES } from '../proto/messages.js'
import type { MetadataStore } from '../store/metadata-store-api.js'
import { operationName } from '../store/metadata-store-api.js'
import type { RpcName } from './service-definition.js'
import { wireErrorOf } from './service-definition.js'

/** Receives errors that are not `MlmdError`s (bugs) before they are answered as INTERNAL. */
export type UnexpectedErrorLogger = (rpc: RpcName, error: unknown) => void

/** The grpc-js status of an error: its code and raw message, as MLMD sends absl statuses. */
export function toServiceError(error: MlmdError): Partial<ServiceError> {
  // grpc-js's Status enum has the same numbers as Code.
  return { code: error.code as number as status, details: error.rawMessage, metadata: new Metadata() }
}

/**
 * Wraps one synchronous store operation as a grpc-js unary handler. The store's `MlmdError`s
 * keep their code and message; anything else becomes INTERNAL (with the cause logged) and never
 * escapes into grpc-js.
 */
export function unary<Req extends object, Res>(
  rpc: RpcName,
  operation: (request: Req) => Res,
  logUnexpected: UnexpectedErrorLogger,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    let response: Res
    try {
      const wireError = wireErrorOf(call.request)
      if (wireError !== undefined) throw wireError
      response = operation(call.request)
    } catch (error) {
      if (!(error instanceof MlmdError)) logUnexpected(rpc, error)
      callback(toServiceError(MlmdError.from(error, Code.Internal)))
      return
    }
    callback(null, response)
    return
  }
}

/**
 * One handler per RPC over `store`, keyed by RPC name, for `server.addService`.
 * The store is synchronous (better-sqlite3): each call runs to completion inside its handler,
 * so calls are serialized by the event loop and never hold a transaction across ticks.
 */
export function createHandlers(
  store: MetadataStore,
  logUnexpected: UnexpectedErrorLogger,
): Record<RpcName, ReturnType<typeof unary>> & UntypedServiceImplementation {
  const table: Record<string, ReturnType<typeof unary>> = {}
  for (const rpc of RPC_NAMES) {
    const operation = store[operationName(rpc)] as (request: object) => unknown
    if (typeof operation !== 'function') throw new Error(`the store has no operation ${operationName(rpc)}`)
    table[rpc] = unary(rpc, (request: object) => operation.call(store, request), logUnexpected)
  }
  return table as Record<RpcName, ReturnType<typeof unary>> & UntypedServiceImplementation
}
