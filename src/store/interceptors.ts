/**
 * Cross-cutting concerns as one chain around the operation table, the way Connect-ES composes
 * interceptors: each wraps the next call, `(next) => (call) => …`, and sees every operation
 * by name, mode and request. The same interceptor serves the synchronous store (`R` a response)
 * and asynchronous ones (`R` a promise) when it only checks or passes through.
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
import type { CallOptions, TransactionMode } from '../storage/transaction-executor.js'
import { checkRequestFields, checkRequestLimits } from './limits.js'
import type { StoreOperationName } from './operation.js'

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

/** When and how often to retry a call answered ABORTED (lock contention). */
export interface RetryPolicy {
  /** Attempts in all, the first one included (MLMD's Python client: 5). */
  readonly maxAttempts: number
  /** Upper bound of the first delay; each later bound is `multiplier` times larger. */
  readonly initialBackoffMs: number
  readonly multiplier: number
  /** Cap of the delay bound. */
  readonly maxBackoffMs: number
}

/** The default retry policy: 5 attempts, delays drawn from [0, 300 ms · 2^n], at most 5 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMs: 300,
  multiplier: 2,
  maxBackoffMs: 5_000,
}

/** The delay before retry number `retry` (1-based): uniformly random up to the exponential bound. */
export function backoffDelayMs(
  policy: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (retry - 1))
  return Math.floor(random() * bound)
}

/**
 * Retries calls answered ABORTED, as MLMD's clients do: another writer held the lock, or a
 * concurrent creator won a race, and nothing of the failed attempt was applied. Pauses are
 * timers (full jitter), never a busy wait; a retry that could not start before the call's
 * deadline is not made.
 */
export function retryAborted(
  policy: RetryPolicy,
  onRetry?: (call: OperationCall, attempt: number, error: MlmdError) => void,
): Interceptor<Promise<unknown>> {
  return (next) => async (call) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(call)
      } catch (error) {
        if (!(error instanceof MlmdError) || error.code !== Code.Aborted || attempt >= policy.maxAttempts) {
          throw error
        }
        const wait = backoffDelayMs(policy, attempt)
        if (Date.now() + wait >= (call.options?.deadline ?? Infinity)) throw error
        onRetry?.(call, attempt, error)
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
  }
}
