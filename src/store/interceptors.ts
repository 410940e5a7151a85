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
import { checkRequestLimits } from './limits.js'
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
 * Checks the request's list lengths before anything else runs (see `limits.ts`).
 * @throws InvalidArgument naming the list over its limit.
 */
export const requestLimits = <R>(next: Invoke<R>): Invoke<R> => {
  return (call) => {
    checkRequestLimits(call.request)
    return next(call)
  }
}

/** When and how often to retry a call answered ABORTED (lock contention). */
export interface AbortedRetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number
  /** The pause before the first retry; each later pause doubles, up to `maxBackoffMs`. */
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
  /** Stop retrying once this much time has passed since the first attempt (0: no budget). */
  readonly budgetMs?: number
  /** Called before each retry (logs, metrics). */
  readonly onRetry?: ((call: OperationCall, attempt: number, error: MlmdError) => void) | undefined
}

/**
 * Retries calls answered ABORTED, as MLMD's clients do: another writer held the lock, or a
 * concurrent creator won a race, and nothing of the failed attempt was applied. Pauses are
 * timers with jitter, never a busy wait; a call's deadline bounds the retries.
 */
export function retryAborted(policy: AbortedRetryPolicy): Interceptor<Promise<unknown>> {
  return (next) => async (call) => {
    const started = Date.now()
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(call)
      } catch (error) {
        if (!(error instanceof MlmdError) || error.code !== Code.Aborted || attempt >= policy.maxAttempts) {
          throw error
        }
        const pause = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1))
        const wait = pause / 2 + Math.random() * (pause / 2)
        const deadline = call.options?.deadline ?? Infinity
        const budgetEnd =
          policy.budgetMs === undefined || policy.budgetMs <= 0 ? Infinity : started + policy.budgetMs
        if (Date.now() + wait >= Math.min(deadline, budgetEnd)) throw error
        policy.onRetry?.(call, attempt, error)
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
  }
}
