/**
 * The store: the operation table bound to an executor. {@link createMetadataStore} opens a
 * SQLite file (or `:memory:`) in MLMD's schema and returns a synchronous {@link MetadataStore};
 * {@link bindAsyncOperations} runs the same operation bodies on an asynchronous executor (a
 * server engine's pool, a worker).
 *
 * @example
 * ```ts
 * const store = createMetadataStore({ filename: 'mlmd.sqlite' })
 * const { type_id } = store.putArtifactType({ artifact_type: { name: 'Model', properties: { version: PropertyType.INT } } })
 * const { artifact_ids } = store.putArtifacts({ artifacts: [{ type_id, uri: 's3://models/1' }] })
 * store.close()
 * ```
 */
import { MetadataSource, type OpenOptions } from '../storage/metadata-source.js'
import { checkBeforeWrite, type InitOptions, initMetadataStore } from '../storage/schema/mlmd-env.js'
import type {
  AsyncOperationExecutor,
  CallOptions,
  Op,
  OperationExecutor,
  Tx,
} from '../storage/transaction-executor.js'
import { COMPOSITE_OPERATIONS } from './composite-operations.js'
import { EDGE_OPERATIONS } from './edge-operations.js'
import { type Interceptor, type OperationCall, requestLimits, requestListLimits } from './interceptors.js'
import { LINEAGE_OPERATIONS } from './lineage-operations.js'
import type { AsyncMetadataStore, MetadataStore } from './metadata-store-api.js'
import { NODE_WRITE_OPERATIONS } from './node-operations.js'
import { NODE_READ_OPERATIONS } from './node-reads.js'
import type { Operations, StoreOperationName } from './operation.js'
import { TYPE_OPERATIONS } from './type-operations.js'

/**
 * Every operation of the store, by name. The type makes a missing or misspelt operation a
 * compile error.
 */
export const OPERATIONS: Operations<StoreOperationName> = {
  ...TYPE_OPERATIONS,
  ...NODE_WRITE_OPERATIONS,
  ...NODE_READ_OPERATIONS,
  ...EDGE_OPERATIONS,
  ...COMPOSITE_OPERATIONS,
  ...LINEAGE_OPERATIONS,
}

/** The names of every operation, in the table's order. */
export const OPERATION_NAMES = Object.keys(OPERATIONS) as StoreOperationName[]

/** Options of {@link createMetadataStore}. */
export interface MetadataStoreOptions extends OpenOptions, InitOptions {
  /**
   * Refuse requests with a field their message does not define (default true). Off only where
   * every request was decoded from protobuf bytes, which cannot carry one (a server's workers).
   */
  readonly checkRequestFields?: boolean | undefined
}

/** An in-process store that owns its database connection. */
export interface OwnedMetadataStore extends MetadataStore {
  /** The file the store was opened on (`:memory:` for an in-memory store). */
  readonly filename: string
  /** Closes the database. Operations called afterwards fail with FAILED_PRECONDITION. */
  close(): void
}

/**
 * Opens (creating if needed) an MLMD store.
 * @throws FailedPrecondition if the file cannot be opened, or holds an unsupported schema version.
 * @throws Aborted if another process is creating the schema at the same moment (retry).
 */
export function createMetadataStore(options: MetadataStoreOptions): OwnedMetadataStore {
  // Every check that can refuse the file runs before the connection writes anything to it.
  const source = MetadataSource.open(options, (opened) => checkBeforeWrite(opened, options))
  try {
    initMetadataStore(source, options)
  } catch (error) {
    source.close()
    throw error
  }
  // Every operation checks the request's fields and list sizes first (see limits.ts).
  const store = bindOperations(source, [
    options.checkRequestFields === false ? requestListLimits : requestLimits,
  ])
  return Object.assign(store, { filename: source.filename, close: () => source.close() })
}

// An operation with its request and response types erased: the call's name picked it, so its
// request has the type its body expects.
interface ErasedOperation {
  body(tx: Tx, request: unknown): Op<unknown>
}

function chain<R>(invoke: (call: OperationCall) => R, interceptors: readonly Interceptor<R>[]) {
  return interceptors.reduceRight((next, interceptor) => interceptor(next), invoke)
}

/**
 * The operations of the table, each run by `executor` in one transaction, synchronously; the
 * interceptors wrap every call, the first outermost.
 */
export function bindOperations(
  executor: OperationExecutor,
  interceptors: readonly Interceptor<unknown>[] = [],
): MetadataStore {
  const invoke = chain<unknown>((call) => {
    const operation = OPERATIONS[call.name] as unknown as ErasedOperation
    return executor.perform(call.mode, (tx) => operation.body(tx, call.request), call.options)
  }, interceptors)
  const store: Record<string, (request: unknown, options?: CallOptions) => unknown> = {}
  for (const name of OPERATION_NAMES) {
    const mode = OPERATIONS[name].mode
    store[name] = (request, options) => invoke({ name, mode, request, options })
  }
  return store as unknown as MetadataStore
}

/**
 * As {@link bindOperations}, on an executor whose transactions complete asynchronously: the
 * same operation bodies, answering promises.
 */
export function bindAsyncOperations(
  executor: AsyncOperationExecutor,
  interceptors: readonly Interceptor<Promise<unknown>>[] = [],
): AsyncMetadataStore {
  const invoke = chain<Promise<unknown>>(async (call) => {
    const operation = OPERATIONS[call.name] as unknown as ErasedOperation
    return executor.perform(call.mode, (tx) => operation.body(tx, call.request), call.options)
  }, interceptors)
  const store: Record<string, (request: unknown, options?: CallOptions) => Promise<unknown>> = {}
  for (const name of OPERATION_NAMES) {
    const mode = OPERATIONS[name].mode
    // An interceptor that throws before its first await still answers with a rejected promise.
    store[name] = async (request, options) => invoke({ name, mode, request, options })
  }
  return store as unknown as AsyncMetadataStore
}

/** Runs every operation of an in-process store asynchronously (for code written against the client). */
export function toAsyncMetadataStore(store: MetadataStore): AsyncMetadataStore {
  const wrapped: Record<string, (request: unknown, options?: CallOptions) => Promise<unknown>> = {}
  for (const name of OPERATION_NAMES) {
    const op = store[name] as (request: unknown, options?: CallOptions) => unknown
    wrapped[name] = async (request, options) => op.call(store, request, options)
  }
  return wrapped as unknown as AsyncMetadataStore
}
