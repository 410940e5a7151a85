/**
 * The body of one store worker thread of {@link WorkerPool}: opens its own connection to the
 * store file, then runs the operations the main thread sends, one at a time, and answers each
 * with the response already encoded as protobuf bytes (so encoding, too, runs off the main
 * thread) or with the error's code and message.
 *
 * Messages are the {@link WorkerRequest} and {@link WorkerReply} shapes of `worker-pool.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { MlmdError } from '../errors.js'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import { type RpcName, responseCodec } from '../wire/service-definition.js'
import { storeOperation } from './store-call.js'
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-pool.js'

const port = parentPort
if (port === null) throw new Error('store-worker.ts runs only as a worker thread')
const init = workerData as WorkerInit

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer)

function errorReply(id: number, error: unknown): WorkerReply {
  if (error instanceof MlmdError) {
    const cause = error.cause as { message?: unknown; code?: unknown; sql?: unknown } | undefined
    return {
      kind: 'error',
      id,
      code: error.code,
      message: error.rawMessage,
      ...(cause === undefined || cause === null
        ? {}
        : {
            cause: {
              message: String(cause.message ?? cause),
              ...(typeof cause.code === 'string' ? { code: cause.code } : {}),
              ...(typeof cause.sql === 'string' ? { sql: cause.sql } : {}),
            },
          }),
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
  return { kind: 'unexpected', id, message, detail }
}

// Each RPC's operation on this worker's store, encoding included, built on its first call.
const operations = new Map<RpcName, (request: object, deadline: number | undefined) => Uint8Array>()

function operationOf(
  store: OwnedMetadataStore,
  rpc: RpcName,
): (request: object, deadline: number | undefined) => Uint8Array {
  let operation = operations.get(rpc)
  if (operation === undefined) {
    const call = storeOperation(store, rpc, init.answers)
    const { encode } = responseCodec(rpc)
    operation = (request, deadline) => encode(call(request, deadline) as object)
    operations.set(rpc, operation)
  }
  return operation
}

function run(store: OwnedMetadataStore, job: Extract<WorkerRequest, { kind: 'run' }>): void {
  let bytes: Uint8Array
  try {
    bytes = operationOf(store, job.rpc)(job.request, job.deadline)
  } catch (error) {
    post(errorReply(job.id, error))
    return
  }
  // A small answer is a view into Node's shared Buffer pool, which cannot be moved to
  // another thread; copy those (small) answers into a buffer of their own, move the rest.
  const own =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes)
  post({ kind: 'done', id: job.id, bytes: own }, [own.buffer as ArrayBuffer])
}

let store: OwnedMetadataStore | undefined
try {
  // The main thread hands over requests decoded from protobuf (no unknown fields) or checked
  // there (see WorkerPool.run), so the store here looks at their list lengths only.
  store = createMetadataStore({ ...init.store, checkRequestFields: false })
  post({ kind: 'ready' })
} catch (error) {
  post(errorReply(-1, error))
}

port.on('message', (message: WorkerRequest) => {
  if (message.kind === 'close') {
    store?.close()
    port.close()
    return
  }
  if (store === undefined) return
  run(store, message)
})
