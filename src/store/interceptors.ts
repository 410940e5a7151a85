/**
 * Cross-cutting concerns as one chain around the operation table, the way Connect-ES composes
 * interceptors: each wraps the next call, `(next) => (call) => …`, and sees every operation
 * by name, mode and request. The same interceptor serves the synchronous store (`R` a response)
 * and asynchronous ones (`R` a promise) when it only checks or passes through. Retrying is one
 * interceptor, {@link retryCalls}, with a {@link RetryPolicy} per user: the server waiting out
 * another process's write lock, the gRPC client, and the runner's execution writes.
 *
 * @example
 * ```ts
 * const logCalls: Interceptor<Promise<unknown>> = (next) => async (call) => {
 *   const started = performance.now()
 *   try { return await next(call) } finally { log(call.name, performance.now() - started) }
 * }
 * const store = bindAsyncOperations(pool, [requestLimits, logCalls])
 * ```
 */
import { Code, MlmdError } from '../errors.js'
import { RPC_NAMES } from '../proto/messages.js'
import type { CallOptions, TransactionMode } from '../storage/transaction-executor.js'
import { checkRequestFields, checkRequestLimits } from './limits.js'
import { type AsyncMetadataStore, operationName } from './metadata-store-api.js'
import { modeOf, type StoreOperationName } from './operation.js'

/** One call of a store operation. */
export interface OperationCall {
  readonly name: StoreOperationName
  /** Whether the operation writes; a read is safe to retry or to run on another connection. */
  readonly mode: TransactionMode
  readonly request: unknown
  readonly options?: CallOptions | undefined
}

/** Runs a call. */
export type Invoke<R> = (call: OperationCall) => R

/** Wraps the next step of the chain. */
export type Interceptor<R> = (next: Invoke<R>) => Invoke<R>

/**
 * Checks the request's fields and list lengths before anything else runs (see `limits.ts`).
 * @throws InvalidArgument naming an unknown field, or the list over its limit.
 */
export const requestLimits = <R>(next: Invoke<R>): Invoke<R> => {
  return (call) => {
    checkRequestFields(call.name, call.request)
    checkRequestLimits(call.request)
    return next(call)
  }
}

/**
 * Checks only the request's list lengths: for requests decoded from protobuf bytes, which hold
 * no field their message lacks (decoding drops unknown ones), so looking for one would walk
 * every nested message for nothing.
 * @throws InvalidArgument naming the list over its limit.
 */
export const requestListLimits = <R>(next: Invoke<R>): Invoke<R> => {
  return (call) => {
    checkRequestLimits(call.request)
    return next(call)
  }
}

/**
 * When and how often to retry a failed call. The server (waiting out another process's write
 * lock), the gRPC client and the pipeline runner each use one, through {@link retryCalls}.
 */
export interface RetryPolicy {
  /** Attempts in all, the first one included (MLMD's Python client: 5); `Infinity` leaves it to `budgetMs`. */
  readonly maxAttempts: number
  /** No retry starts later than this many ms after the first attempt began; no limit by default. */
  readonly budgetMs?: number | undefined
  /** Upper bound of the first delay; each later bound is `multiplier` times larger. */
  readonly initialBackoffMs: number
  readonly multiplier: number
  /** Cap of the delay bound. */
  readonly maxBackoffMs: number
  /**
   * `full`: each delay is drawn uniformly from [0, bound), so clients that collided once do not
   * collide again in step; `none`: each delay is its bound.
   */
  readonly jitter: 'full' | 'none'
  /**
   * The codes that are retried. A write is retried only on ABORTED, the one answer that says
   * nothing of it was applied (its transaction rolled back whole); any other code listed here
   * (UNAVAILABLE, say, where the connection may have dropped after the commit) retries reads only.
   */
  readonly codes: readonly Code[]
}

/**
 * The default retry policy, MLMD's Python client's: ABORTED, 5 attempts, delays drawn from
 * [0, 300 ms · 2^n), at most 5 s.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMs: 300,
  multiplier: 2,
  maxBackoffMs: 5_000,
  jitter: 'full',
  codes: [Code.Aborted],
}

/** The delay before retry number `retry` (1-based): the exponential bound, or uniformly random below it. */
export function backoffDelayMs(
  policy: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (retry - 1))
  return policy.jitter === 'none' ? bound : Math.floor(random() * bound)
}

/**
 * How long to wait before retrying `call` after attempt number `attempt` failed with `error`
 * (the attempts having begun at `started`), or `undefined` when it is not retried: a code the
 * policy does not list, a write failing with anything but ABORTED, the last attempt spent, or a
 * retry that could not begin within the policy's budget or before the call's deadline.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  call: OperationCall,
  attempt: number,
  error: unknown,
  started: number,
  now: number = Date.now(),
): number | undefined {
  if (!(error instanceof MlmdError) || !policy.codes.includes(error.code)) return undefined
  if (call.mode === 'write' && error.code !== Code.Aborted) return undefined
  if (attempt >= policy.maxAttempts) return undefined
  const wait = backoffDelayMs(policy, attempt)
  if (now - started + wait > (policy.budgetMs ?? Infinity)) return undefined
  if (now + wait >= (call.options?.deadline ?? Infinity)) return undefined
  return wait
}

/** Told of each retry: the attempt that failed (1-based), its error, and the wait before the next. */
export type RetryListener = (call: OperationCall, attempt: number, error: MlmdError, waitMs: number) => void

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Retries failed calls as `policy` says (see {@link retryDelayMs}). Pauses are timers, never a
 * busy wait, so a server answers other calls meanwhile. A call that succeeds or fails for good
 * at its first attempt answers as `next` did, synchronously when `next` is synchronous; only a
 * retried call answers with a promise.
 */
export function retryCalls(
  policy: RetryPolicy,
  onRetry?: RetryListener,
): <R>(next: Invoke<R>) => Invoke<R | Promise<Awaited<R>>> {
  return <R>(next: Invoke<R>) =>
    (call: OperationCall): R | Promise<Awaited<R>> => {
      const started = Date.now()
      const attempt = (n: number): R | Promise<Awaited<R>> => {
        let result: R
        try {
          result = next(call)
        } catch (error) {
          return retryAfter(n, error)
        }
        if (!isPromiseLike(result)) return result
        return Promise.resolve(result).catch((error: unknown) => retryAfter(n, error)) as Promise<Awaited<R>>
      }
      const retryAfter = (n: number, error: unknown): Promise<Awaited<R>> => {
        const wait = retryDelayMs(policy, call, n, error, started)
        if (wait === undefined) throw error
        onRetry?.(call, n, error as MlmdError, wait)
        return new Promise((resolve) => setTimeout(resolve, wait)).then(() => attempt(n + 1)) as Promise<
          Awaited<R>
        >
      }
      return attempt(1)
    }
}

/**
 * `store` with `interceptors` around each of its operations, the first outermost: for a store
 * made elsewhere (a gRPC client, an in-process store made async), where the chain cannot be
 * given to `bindAsyncOperations`.
 */
export function interceptStore(
  store: AsyncMetadataStore,
  interceptors: readonly Interceptor<Promise<unknown>>[],
): AsyncMetadataStore {
  const invoke = interceptors.reduceRight<Invoke<Promise<unknown>>>(
    (next, interceptor) => interceptor(next),
    (call) => {
      const operation = store[call.name] as (request: unknown, options?: CallOptions) => Promise<unknown>
      return operation.call(store, call.request, call.options)
    },
  )
  const intercepted: Record<string, (request: unknown, options?: CallOptions) => Promise<unknown>> = {}
  for (const rpc of RPC_NAMES) {
    const name = operationName(rpc)
    const mode = modeOf(name)
    intercepted[name] = async (request, options) => invoke({ name, mode, request, options })
  }
  return intercepted as unknown as AsyncMetadataStore
}
