/**
 * The handlers of `ml_metadata.MetadataStoreService`: one generic unary wrapper and a table
 * mapping every RPC to the store operation of the same name (MLMD's
 * `metadata_store_service_impl.cc` writes one method per RPC; the table replaces them).
 */

import { randomBytes } from 'node:crypto'
import type {
  ServerUnaryCall,
  ServiceError,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js'
import { Metadata, type status } from '@grpc/grpc-js'
import { Code, MlmdError } from '../errors.js'
import { RPC_NAMES } from '../proto/messages.js'
import { type Invoke, type RetryPolicy, retryCalls } from '../store/interceptors.js'
import type { AsyncMetadataStore, MetadataStore } from '../store/metadata-store-api.js'
import { operationName } from '../store/metadata-store-api.js'
import { modeOf } from '../store/operation.js'
import type { RpcName } from '../wire/service-definition.js'
import { wireErrorOf } from '../wire/service-definition.js'
import { type AnswerOptions, storeOperation } from './store-call.js'
import type { WorkerPool } from './worker-pool.js'

/** Receives errors that are not `MlmdError`s (bugs) before they are answered as INTERNAL. */
export type UnexpectedErrorLogger = (rpc: RpcName, error: unknown) => void

/**
 * The most bytes a status message may take on the wire (percent-encoded in the `grpc-message`
 * trailer). Store messages quote the request (a property name, a filter), so without a cap one
 * request with a 300 KB name got a 300 KB trailer, which left that call and every later one on
 * the server hanging; gRPC C-core clients (MLMD's Python client) refuse trailers over 8 KiB.
 */
export const MAX_STATUS_DETAILS_BYTES = 4096

// encodeURI (which grpc-js applies to the message) throws on lone surrogates.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * A status message that fits {@link MAX_STATUS_DETAILS_BYTES} once encoded: well-formed text,
 * cut with a note saying how long it was.
 */
export function statusDetails(message: string): string {
  const text = message.replace(LONE_SURROGATE, '\uFFFD')
  if (encodeURI(text).length <= MAX_STATUS_DETAILS_BYTES) return text
  const note = ` … [message cut; ${text.length} characters in all]`
  const budget = MAX_STATUS_DETAILS_BYTES - encodeURI(note).length
  let size = 0
  let end = 0
  for (const char of text) {
    size += encodeURI(char).length
    if (size > budget) break
    end += char.length
  }
  return `${text.slice(0, end)}${note}`
}

/** The grpc-js status of an error: its code and raw message, as MLMD sends absl statuses. */
export function toServiceError(error: MlmdError): Partial<ServiceError> {
  // grpc-js's Status enum has the same numbers as Code.
  return {
    code: error.code as number as status,
    details: statusDetails(error.rawMessage),
    metadata: new Metadata(),
  }
}

// The error each answered status came from, for the observers of `observeHandlers` (the
// status itself keeps only a code and a message).
const answeredErrors = new WeakMap<object, unknown>()

/**
 * Why a call must not run any more, if it must not: the client cancelled it, or its deadline
 * passed while it waited behind other calls. Skipping it spares the work and, for a write,
 * applies nothing the client was already told had failed.
 */
export function lateCallError(call: ServerUnaryCall<unknown, unknown>): MlmdError | undefined {
  // Tests call handlers with bare `{ request }` objects; real calls have both members.
  if (call.cancelled === true) return new MlmdError(Code.Cancelled, 'The call was cancelled before it ran.')
  const ms = callDeadline(call)
  if (ms !== undefined && Date.now() >= ms) {
    return new MlmdError(Code.DeadlineExceeded, 'The deadline passed before the call ran; nothing was done.')
  }
  return undefined
}

/** The call's deadline in epoch milliseconds, or undefined when it has none. */
export function callDeadline(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = typeof call.getDeadline === 'function' ? call.getDeadline() : Infinity
  const ms = deadline instanceof Date ? deadline.getTime() : deadline
  return Number.isFinite(ms) ? ms : undefined
}

/** What an operation knows about the call it serves. */
export interface CallContext {
  /** The call's deadline in epoch milliseconds, if it has one. */
  readonly deadline: number | undefined
  /** Why the call must not start any more, if so (see {@link lateCallError}); for queued work. */
  readonly lateError: () => MlmdError | undefined
}

/** How a handler retries a call the store answered ABORTED (another connection held the write lock). */
export interface LockRetry {
  readonly policy: RetryPolicy
  /** Told of each retry: the store answered ABORTED (SQLITE_BUSY), and the call waits `pauseMs`. */
  readonly onRetry?: ((rpc: RpcName, pauseMs: number) => void) | undefined
}

/**
 * The server's retry policy for lock contention: ABORTED, retried for up to `budgetMs` after
 * pauses of `initialPauseMs` doubling up to 200 ms, without jitter (one server competes for
 * the lock with few other processes; short regular polls take it soon after it is free).
 */
export function lockRetryPolicy(budgetMs: number, initialPauseMs = 10): RetryPolicy {
  return {
    maxAttempts: Infinity,
    budgetMs,
    initialBackoffMs: initialPauseMs,
    multiplier: 2,
    maxBackoffMs: 200,
    jitter: 'none',
    codes: [Code.Aborted],
  }
}

/** One RPC's work: the response, or a promise of it (the worker pool answers encoded bytes). */
export type Operation<Req, Res> = (request: Req, context: CallContext) => Res | PromiseLike<Res>

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Wraps one store operation as a grpc-js unary handler. The store's `MlmdError`s keep their
 * code and message; anything else becomes INTERNAL (with the cause logged) and never escapes
 * into grpc-js. A synchronous operation answers within the handler; an asynchronous one (the
 * worker pool) when its promise settles.
 *
 * With `retry`, an ABORTED answer (another process holds the write lock; the transaction was
 * rolled back whole, so running it again is safe) is retried as its policy says (see
 * `retryCalls`), before the client gets ABORTED. The pauses are timers, not a busy wait
 * inside SQLite, so the server answers other calls meanwhile. Pair it with a short SQLite busy
 * timeout on the store (what `mlmd-ts serve` does): a long one keeps the in-thread server, or
 * the writer thread, waiting for the lock. Each attempt first checks that the call is still
 * wanted (not cancelled, not past its deadline).
 */
export function unary<Req extends object, Res>(
  rpc: RpcName,
  operation: Operation<Req, Res>,
  logUnexpected: UnexpectedErrorLogger,
  retry?: LockRetry,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  const name = operationName(rpc)
  const mode = modeOf(name)
  const retrying =
    retry === undefined
      ? undefined
      : retryCalls(retry.policy, (_call, _attempt, _error, waitMs) => retry.onRetry?.(rpc, waitMs))
  return (call, callback) => {
    const context: CallContext = { deadline: callDeadline(call), lateError: () => lateCallError(call) }
    const fail = (error: unknown): void => {
      if (!(error instanceof MlmdError)) logUnexpected(rpc, error)
      const answer = toServiceError(MlmdError.from(error, Code.Internal))
      answeredErrors.set(answer, error)
      callback(answer)
    }
    const attempt: Invoke<Res | PromiseLike<Res>> = () => {
      const wireError = wireErrorOf(call.request)
      if (wireError !== undefined) throw wireError
      const late = context.lateError()
      if (late !== undefined) throw late
      return operation(call.request, context)
    }
    let response: Res | PromiseLike<Res>
    try {
      const invoke = retrying === undefined ? attempt : retrying(attempt)
      response = invoke({
        name,
        mode,
        request: call.request,
        options: context.deadline === undefined ? undefined : { deadline: context.deadline },
      }) as Res | PromiseLike<Res>
    } catch (error) {
      fail(error)
      return
    }
    if (isPromiseLike(response)) response.then((value) => callback(null, value), fail)
    else callback(null, response)
  }
}

/** The handlers' table, keyed by RPC name, for `server.addService`. */
export type Handlers = Record<RpcName, ReturnType<typeof unary>> & UntypedServiceImplementation

/**
 * One handler per RPC over an in-process `store`, keyed by RPC name, for `server.addService`.
 * The store is synchronous (better-sqlite3): each call runs to completion inside its handler,
 * on the event loop's thread, so calls are serialized and never hold a transaction across
 * ticks. Each operation gets the call's deadline.
 */
export function createHandlers(
  store: MetadataStore | AsyncMetadataStore,
  logUnexpected: UnexpectedErrorLogger,
  retry?: LockRetry,
  answers?: AnswerOptions,
): Handlers {
  const table: Record<string, ReturnType<typeof unary>> = {}
  for (const rpc of RPC_NAMES) {
    const operation = storeOperation(store, rpc, answers)
    table[rpc] = unary(
      rpc,
      (request: object, context) => operation(request, context.deadline),
      logUnexpected,
      retry,
    )
  }
  return table as Handlers
}

/**
 * One handler per RPC over a {@link WorkerPool}: every call runs on a store worker thread (a
 * reader for `Get*`, the writer otherwise), and is answered with the bytes the worker encoded.
 */
export function createPooledHandlers(
  pool: WorkerPool,
  logUnexpected: UnexpectedErrorLogger,
  retry?: LockRetry,
): Handlers {
  const table: Record<string, ReturnType<typeof unary>> = {}
  for (const rpc of RPC_NAMES) {
    table[rpc] = unary(
      rpc,
      (request: object, context) => pool.run(rpc, request, context),
      logUnexpected,
      retry,
    )
  }
  return table as Handlers
}

/** How one call ended, as the observers of {@link observeHandlers} see it. */
export interface CallOutcome {
  readonly rpc: RpcName
  /** The client's `x-request-id`, or one made up for the call. */
  readonly requestId: string
  /** The gRPC status code answered (0 for OK). */
  readonly code: number
  readonly durationMs: number
  /** What was thrown, for an error answer: an `MlmdError`, or anything else for a bug. */
  readonly error?: unknown
}

/** Sees every call of the handler table: logs, metrics. */
export interface CallObserver {
  callStarted?(rpc: RpcName): void
  callFinished(outcome: CallOutcome): void
  /** The store answered ABORTED (another connection holds the write lock); retrying after `pauseMs`. */
  lockRetry?(rpc: RpcName, pauseMs: number): void
  /** A call waited `waitedMs` in the store workers' queue before it started. */
  queueWait?(access: 'read' | 'write', waitedMs: number): void
}

/**
 * Whether an error answer is a fault of the server or its database, which the log reports with
 * a request id that the client sees too: a bug, or an error with an underlying cause (SQLite's).
 * Unique-key collisions and lock contention also carry SQLite's error, but they are ordinary
 * answers (the client retries or fixes its request).
 */
export function isReportedFault(error: unknown): boolean {
  if (!(error instanceof MlmdError)) return true
  // A damaged file is always the server's fault, also where a store worker's answer no longer
  // carries SQLite's error as its cause.
  if (error.code === Code.DataLoss) return true
  return error.cause !== undefined && error.code !== Code.AlreadyExists && error.code !== Code.Aborted
}

const REQUEST_ID = /^[\w.:-]{1,64}$/

function requestIdOf(call: ServerUnaryCall<unknown, unknown>): string {
  // Tests call handlers with bare `{ request }` objects; real calls carry metadata.
  const sent = typeof call.metadata?.get === 'function' ? call.metadata.get('x-request-id')[0] : undefined
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : madeUpRequestId()
}

// Random request ids, 8 bytes each, cut from a block drawn 512 ids at a time: one call to the
// system's random source per id cost a small read ~10 µs of the server's thread.
let randomBlock = Buffer.alloc(0)
let randomOffset = 0
function madeUpRequestId(): string {
  if (randomOffset + 8 > randomBlock.length) {
    randomBlock = randomBytes(8 * 512)
    randomOffset = 0
  }
  randomOffset += 8
  return randomBlock.toString('hex', randomOffset - 8, randomOffset)
}

/**
 * Wraps every handler of `table` so that `observers` see each call start and finish, with its
 * code, duration and request id. The one place for logs and metrics, outside the store
 * operations. The message of a reported fault ({@link isReportedFault}) ends with
 * `(request id …)`, the id the server log shows beside the cause.
 */
export function observeHandlers(
  table: ReturnType<typeof createHandlers>,
  observers: readonly CallObserver[],
): ReturnType<typeof createHandlers> {
  const observed: Record<string, ReturnType<typeof unary>> = {}
  for (const rpc of Object.keys(table) as RpcName[]) {
    const handler = table[rpc]
    observed[rpc] = (call, callback) => {
      const started = process.hrtime.bigint()
      const requestId = requestIdOf(call)
      for (const observer of observers) observer.callStarted?.(rpc)
      handler(call, (error, value) => {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6
        const thrown = error === null || error === undefined ? undefined : answeredErrors.get(error)
        if (error !== null && error !== undefined && thrown !== undefined && isReportedFault(thrown)) {
          error.details = `${error.details ?? ''} (request id ${requestId})`
        }
        const code = error === null || error === undefined ? 0 : (error.code ?? Code.Unknown)
        for (const observer of observers) {
          observer.callFinished(
            thrown === undefined && code === 0
              ? { rpc, requestId, code, durationMs }
              : { rpc, requestId, code, durationMs, error: thrown },
          )
        }
        callback(error, value)
      })
    }
  }
  return observed as ReturnType<typeof createHandlers>
}
