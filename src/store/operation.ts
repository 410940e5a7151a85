/**
 * The shape of the operation table: every store operation is a transaction mode and a body
 * written once for every engine (see `Op`), keyed by MLMD's operation name. Drivers run the
 * bodies (`metadata-store.ts` binds them to a synchronous or an asynchronous executor), and
 * cross-cutting concerns wrap the calls (`interceptors.ts`), so nothing here knows about
 * connections, transports or retries.
 */
import type { Op, TransactionMode, Tx } from '../storage/transaction-executor.js'
import type { MetadataStore } from './metadata-store-api.js'

/** The name of a store operation (`putArtifacts`, `getLineageSubgraph`, …). */
export type StoreOperationName = keyof MetadataStore

/** The request message of an operation. */
export type RequestOf<N extends StoreOperationName> = Parameters<MetadataStore[N]>[0]

/** The response message of an operation. */
export type ResponseOf<N extends StoreOperationName> = ReturnType<MetadataStore[N]>

/** One operation: whether it writes, and its body. */
export interface Operation<Req, Res> {
  readonly mode: TransactionMode
  body(tx: Tx, request: Req): Op<Res>
}

/** Operations keyed by name, each with its own request and response types. */
export type Operations<N extends StoreOperationName> = {
  readonly [K in N]: Operation<RequestOf<K>, ResponseOf<K>>
}

/** A repeated request field as a list (absent and null are empty). */
export const list = <T>(values: readonly T[] | undefined | null): readonly T[] => values ?? []

/**
 * Whether an operation writes. MLMD's names say it (every `get…` only reads, every `put…`
 * writes), and the operation table agrees (checked by a test), so callers that only know the
 * name (a client, a dispatcher) need not load the table.
 */
export function modeOf(name: StoreOperationName): TransactionMode {
  return name.startsWith('get') ? 'read' : 'write'
}
