/**
 * Stops writes through the server once any call finds the store file corrupt. The store's own
 * connection does the same for what it finds itself; the guard is needed because a reader
 * thread's connection may be the one to find the damage (see `worker-pool.ts`), and the writer
 * must then stop too.
 */
import type { sendUnaryData } from '@grpc/grpc-js'
import { Code, corruptStoreRefusesWrites } from '../errors.js'
import type { RpcName } from '../wire/service-definition.js'
import { type Handlers, toServiceError } from './handlers.js'
import { accessOf } from './worker-pool.js'

/** Watches every answer for DATA_LOSS; refuses writes once one was seen. */
export class CorruptionGuard {
  #found: string | undefined
  readonly #onCorruption: (rpc: RpcName, message: string) => void

  /** `onCorruption` is told once: of the first call answered DATA_LOSS. */
  constructor(onCorruption: (rpc: RpcName, message: string) => void = () => {}) {
    this.#onCorruption = onCorruption
  }

  /** The message of the first DATA_LOSS answer, once there was one. */
  get found(): string | undefined {
    return this.#found
  }

  /** The handler table with writes refused (FAILED_PRECONDITION) once the file is known corrupt. */
  wrap(table: Handlers): Handlers {
    const guarded: Record<string, Handlers[RpcName]> = {}
    for (const rpc of Object.keys(table) as RpcName[]) {
      const handler = table[rpc]
      const writes = accessOf(rpc) === 'write'
      guarded[rpc] = (call, callback: sendUnaryData<unknown>) => {
        if (writes && this.#found !== undefined) {
          callback(toServiceError(corruptStoreRefusesWrites(this.#found)))
          return
        }
        handler(call, (error, value) => {
          if (error !== null && (error.code as number | undefined) === Code.DataLoss) {
            this.#note(rpc, error.details ?? '')
          }
          callback(error, value)
        })
      }
    }
    return guarded as Handlers
  }

  #note(rpc: RpcName, message: string): void {
    if (this.#found !== undefined) return
    this.#found = message
    this.#onCorruption(rpc, message)
  }
}
