/**
 * Store operations in worker threads, so that the server's main thread only speaks gRPC and
 * never waits on SQLite: several reader threads and one writer thread, each with its own
 * connection to the same file (WAL lets readers run beside the writer; SQLite allows one
 * writer at a time, so writes queue for the single writer thread and run in arrival order).
 *
 * - A call whose deadline passed, or that was cancelled, while it waited in the queue is never
 *   started. A started call gets its deadline, which the store enforces itself (it refuses to
 *   begin after it, stops a long query inside SQLite, and rolls a write back instead of
 *   committing it).
 * - A worker still busy `abandonAfterMs` past its call's deadline is stuck in native code,
 *   where `Worker.terminate()` cannot reach it: the call is answered DEADLINE_EXCEEDED, a fresh
 *   worker takes the stuck one's place, and the stuck one ends as soon as SQLite returns.
 * - {@link WorkerPool.close} refuses queued calls, lets the writer finish (or roll back) its
 *   call within a grace period, and reports the workers it could not stop, for the process to
 *   decide (a thread stuck in native code also holds up `process.exit()`).
 *
 * - With `pointReads: 'main'`, reads whose cost the request bounds (see `point-reads.ts`) run
 *   on the calling thread, on a read-only connection of its own, instead of on a worker: for
 *   them the hop to a worker and back costs more than the read.
 *
 * `:memory:` stores cannot be shared between connections; they run in-thread instead.
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Code, MlmdError } from '../errors.js'
import { checkRequestFields } from '../store/limits.js'
import {
  createMetadataStore,
  type MetadataStoreOptions,
  type OwnedMetadataStore,
} from '../store/metadata-store.js'
import { operationName } from '../store/metadata-store-api.js'
import { isDecodedRequest, type RpcName, responseCodec } from '../wire/service-definition.js'
import { isBoundedPage, isPointRead } from './point-reads.js'
import { type AnswerOptions, storeOperation } from './store-call.js'

/** Which worker an RPC runs on. */
export type Access = 'read' | 'write'

/** Every `Get*` RPC only reads; every other one writes. */
export function accessOf(rpc: RpcName): Access {
  return rpc.startsWith('Get') ? 'read' : 'write'
}

/** How to start a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * How to open the store file. The writer opens it with these options; readers open it
   * read-only. The file must already hold the schema (open it once on the main thread first).
   */
  readonly store: MetadataStoreOptions
  /** Reader threads; default the number of cores (at least 1). */
  readonly readWorkers?: number | undefined
  /**
   * How long after its call's deadline a busy worker is given up as stuck; default 2000 ms.
   * Calls without a deadline are never given up.
   */
  readonly abandonAfterMs?: number | undefined
  /** Told about workers that died or were abandoned (not about calls' own errors). */
  readonly onWorkerTrouble?: ((message: string) => void) | undefined
  /** Told, as each call starts on a worker, how long it waited in the queue for one (metrics). */
  readonly onQueueWait?: ((access: Access, waitedMs: number) => void) | undefined
  /**
   * How the writer shares the file's write lock with other processes; default
   * {@link DEFAULT_LOCK_SHARING}. See {@link LockSharing}.
   */
  readonly lockSharing?: LockSharing | undefined
  /** How the workers shape answers beyond the store's (see `store-call.ts`). */
  readonly answers?: AnswerOptions | undefined
  /**
   * Where point reads run (see `point-reads.ts`): `main`, on the thread that calls
   * {@link WorkerPool.run}, on a read-only connection the pool opens there; or `workers`
   * (the default), like every other read.
   */
  readonly pointReads?: PointReads | undefined
}

/** Where a {@link WorkerPool} runs point reads. */
export type PointReads = 'main' | 'workers'

/** The choices of {@link PointReads}, for flags. */
export const POINT_READS_CHOICES: readonly PointReads[] = ['main', 'workers']

/**
 * Sharing the write lock with other writers of the file. SQLite has no queue for its lock: a
 * waiting connection polls (MLMD sleeps 100–300 ms between polls, ten times, then answers
 * ABORTED), while a busy server takes the lock back within a millisecond of releasing it.
 * Beside two busy servers the real MLMD got 7 writes through in 15 s (0.4/s; 235/s alone).
 * Fewer commits by the servers also leave MLMD's read-then-write transactions fewer chances to
 * find their snapshot outdated. So once the writer has seen
 * another connection hold the lock (a call answered ABORTED: SQLITE_BUSY) within
 * `contendedForMs`, it leaves the lock free after each write for `yieldFactor` times as long
 * as the write held it (at least `minYieldMs`, at most `maxYieldMs`) before it begins the next.
 * A writer alone on its file never pauses.
 */
export interface LockSharing {
  readonly yieldFactor: number
  readonly minYieldMs: number
  readonly maxYieldMs: number
  readonly contendedForMs: number
}

/** The lock sharing `mlmd-ts serve` uses: see {@link LockSharing} and docs/operations.md. */
export const DEFAULT_LOCK_SHARING: LockSharing = {
  yieldFactor: 10,
  minYieldMs: 10,
  maxYieldMs: 200,
  contendedForMs: 2_000,
}

/** What the pool is doing now, per access (see {@link WorkerPool.stats}). */
export interface PoolStats {
  /** Calls waiting for a worker. */
  readonly queued: Record<Access, number>
  /** Workers running a call. */
  readonly busy: Record<Access, number>
  /** Workers serving (started and not abandoned). */
  readonly workers: Record<Access, number>
}

/** What a caller of {@link WorkerPool.run} knows about its call. */
export interface PoolCall {
  /** The call's deadline in epoch milliseconds, if it has one. */
  readonly deadline?: number | undefined
  /** Why the call must not start any more (cancelled, or past its deadline), checked when it leaves the queue. */
  readonly lateError?: (() => MlmdError | undefined) | undefined
}

/** What {@link WorkerPool.close} could not do. */
export interface PoolCloseReport {
  /** Workers still inside a SQLite call after the grace period; they hold up a normal exit. */
  readonly stuckWorkers: number
}

/** @internal The data a worker starts with. */
export interface WorkerInit {
  readonly store: MetadataStoreOptions
  readonly answers?: AnswerOptions | undefined
}

/** @internal Main thread → worker. */
export type WorkerRequest =
  | {
      readonly kind: 'run'
      readonly id: number
      readonly rpc: RpcName
      readonly request: object
      readonly deadline?: number | undefined
    }
  | { readonly kind: 'close' }

/** @internal Worker → main thread. Id -1 answers the opening of the store. */
export type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly id: number; readonly bytes: Uint8Array }
  | {
      readonly kind: 'error'
      readonly id: number
      readonly code: Code
      readonly message: string
      /** The error's cause (SQLite's error), for the log: what it said, its code and statement. */
      readonly cause?: { readonly message: string; readonly code?: string; readonly sql?: string } | undefined
    }
  | {
      readonly kind: 'unexpected'
      readonly id: number
      /** The error's message (what the client is told) and its stack in the worker (for the log). */
      readonly message: string
      readonly detail: string
    }

interface Job {
  readonly id: number
  /** When the call was queued (performance.now()). */
  readonly queuedAt: number
  readonly rpc: RpcName
  readonly request: object
  readonly call: PoolCall
  readonly resolve: (bytes: Uint8Array) => void
  readonly reject: (error: unknown) => void
}

interface Slot {
  readonly worker: Worker
  readonly access: Access
  ready: boolean
  job: Job | undefined
  watchdog: NodeJS.Timeout | undefined
  exited: Promise<void>
}

/**
 * An error of the store worker that is not an `MlmdError` (a bug): the worker error's message,
 * and its stack in the worker as this error's stack, for the log.
 */
export class StoreWorkerError extends Error {
  override name = 'StoreWorkerError'

  constructor(message: string, workerStack?: string) {
    super(message)
    if (workerStack !== undefined) this.stack = workerStack
  }
}

const DEFAULT_ABANDON_AFTER_MS = 2000
// A bounded page runs on this thread only while this thread was busy for less than this share
// of the last window of at least MAIN_LOAD_WINDOW_MS (see #idlePage).
const MAIN_BUSY_SHARE = 0.9
const MAIN_LOAD_WINDOW_MS = 20
// How long a worker that was asked to stop gets before it counts as stuck.
const STOP_WAIT_MS = 500

// The worker's module next to this one: `.js` once compiled. Running from source (tests, tsx),
// the `.ts` file goes through tsx's CommonJS loader: Node 20 does not apply module hooks (the
// parent's `--import tsx`) inside worker threads.
function startWorker(workerData: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./store-worker.js', import.meta.url), { workerData })
  }
  const require = createRequire(import.meta.url)
  const entry = fileURLToPath(new URL('./store-worker.ts', import.meta.url))
  const boot = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)})`
  // Profiling flags carry over (`--cpu-prof` writes one profile per thread); `--import tsx` must not.
  const execArgv = process.execArgv.filter((arg) => arg.startsWith('--cpu-prof'))
  return new Worker(boot, { eval: true, workerData, execArgv })
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

/** Reader threads and one writer thread over one store file. Start it with {@link WorkerPool.start}. */
export class WorkerPool {
  readonly #options: WorkerPoolOptions
  readonly #slots: Slot[] = []
  readonly #queues: Record<Access, Job[]> = { read: [], write: [] }
  #nextId = 0
  #closing = false
  // Lock sharing (see LockSharing): until when the writer counts the lock as contended, when
  // the next write may begin, and the timer that starts it then.
  #contendedUntil = 0
  #writeResumeAt = 0
  #resumeTimer: NodeJS.Timeout | undefined
  #writeStartedAt = 0
  // The connection point reads run on, on this thread (pointReads 'main'), and each point-read
  // RPC's operation on it, encoding included.
  #pointStore: OwnedMetadataStore | undefined
  readonly #pointOperations = new Map<
    RpcName,
    (request: object, deadline: number | undefined) => Uint8Array
  >()
  // This thread's event-loop use: where the current window began, and the busy share of the
  // last whole window.
  #loadMark = performance.eventLoopUtilization()
  #mainBusyShare = 0

  private constructor(options: WorkerPoolOptions) {
    this.#options = options
  }

  /**
   * Starts the workers and resolves once every one has opened the store.
   * @throws the first worker's error opening the store (the pool is closed again).
   */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options)
    if (options.pointReads === 'main') {
      // Opened first and here: a file the workers cannot open fails the same way, sooner.
      // Requests reach it decoded from protobuf or checked by run(), like the workers' requests.
      pool.#pointStore = createMetadataStore({
        ...options.store,
        readonly: true,
        mustExist: true,
        checkRequestFields: false,
      })
    }
    const readers = Math.max(1, options.readWorkers ?? availableParallelism())
    const starting = [pool.#spawn('write'), ...Array.from({ length: readers }, () => pool.#spawn('read'))]
    const results = await Promise.allSettled(starting)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) {
      await pool.close(0)
      throw failed.reason
    }
    return pool
  }

  /** Reader threads currently serving (abandoned ones are not counted). */
  get readWorkers(): number {
    return this.#slots.filter((s) => s.access === 'read').length
  }

  /** Queue lengths, busy and serving workers, by access: for the metrics. */
  stats(): PoolStats {
    const count = (access: Access, busy: boolean) =>
      this.#slots.filter((s) => s.access === access && (!busy || s.job !== undefined)).length
    return {
      queued: { read: this.#queues.read.length, write: this.#queues.write.length },
      busy: { read: count('read', true), write: count('write', true) },
      workers: { read: count('read', false), write: count('write', false) },
    }
  }

  /**
   * Runs the store operation of `rpc` on a worker; resolves with the encoded response.
   * @throws MlmdError as the store answers; DeadlineExceeded or Cancelled for a call that
   *   became late in the queue (never started) or whose worker was abandoned; Unavailable once
   *   the pool is closing; StoreWorkerError for a bug inside the worker; InvalidArgument
   *   naming a field the request's message does not define (for a request not decoded from
   *   the wire).
   */
  run(rpc: RpcName, request: object, call: PoolCall = {}): Promise<Uint8Array> {
    if (this.#closing) return Promise.reject(shuttingDown())
    // The workers do not look for misspelt fields: a request decoded from the wire has none,
    // and any other is checked here, once.
    if (!isDecodedRequest(request)) {
      try {
        checkRequestFields(operationName(rpc), request)
      } catch (error) {
        return Promise.reject(error)
      }
    }
    if (this.#pointStore !== undefined && (isPointRead(rpc, request) || this.#idlePage(rpc, request))) {
      return this.#runHere(rpc, request, call)
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#queues[accessOf(rpc)].push({
        id: this.#nextId++,
        queuedAt: performance.now(),
        rpc,
        request,
        call,
        resolve,
        reject,
      })
      this.#pump(accessOf(rpc))
    })
  }

  // A bounded page, while no reader is busy or queued for and this thread has time to spare. On
  // a server that is mostly idle the hop to a reader and back costs such a page about an eighth
  // of its CPU time (bench/call-cost.ts --op page, one client). When this thread is busy, pages go
  // to the readers and run side by side, instead of one after another here: the readers never
  // look busy while every page runs on this thread, so its own load is what tells.
  #idlePage(rpc: RpcName, request: object): boolean {
    if (this.#queues.read.length > 0 || !isBoundedPage(rpc, request)) return false
    if (this.#slots.some((slot) => slot.access === 'read' && slot.job !== undefined)) return false
    const now = performance.eventLoopUtilization()
    const window = performance.eventLoopUtilization(now, this.#loadMark)
    if (window.idle + window.active >= MAIN_LOAD_WINDOW_MS) {
      this.#mainBusyShare = window.utilization
      this.#loadMark = now
    }
    return this.#mainBusyShare < MAIN_BUSY_SHARE
  }

  // A point read (or a bounded page), on this thread's connection: nothing to queue for, so
  // only a call that is already late is refused.
  #runHere(rpc: RpcName, request: object, call: PoolCall): Promise<Uint8Array> {
    try {
      const late = call.lateError?.()
      if (late !== undefined) throw late
      return Promise.resolve(this.#pointOperation(rpc)(request, call.deadline))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #pointOperation(rpc: RpcName): (request: object, deadline: number | undefined) => Uint8Array {
    let operation = this.#pointOperations.get(rpc)
    if (operation === undefined) {
      const store = this.#pointStore
      if (store === undefined) throw new Error('point reads run on the workers')
      const run = storeOperation(store, rpc, this.#options.answers)
      const { encode } = responseCodec(rpc)
      operation = (request, deadline) => encode(run(request, deadline) as object)
      this.#pointOperations.set(rpc, operation)
    }
    return operation
  }

  /**
   * Stops: refuses the queued calls, answers reads in flight with UNAVAILABLE, gives a write in
   * flight up to `graceMs` to finish (or roll back), then stops every worker.
   */
  async close(graceMs = 2000): Promise<PoolCloseReport> {
    this.#closing = true
    clearTimeout(this.#resumeTimer)
    for (const access of ['read', 'write'] as const) {
      for (const job of this.#queues[access].splice(0)) job.reject(shuttingDown())
    }
    for (const slot of this.#slots) {
      if (slot.access === 'read' && slot.job !== undefined) this.#finish(slot, slot.job, shuttingDown())
    }
    const until = Date.now() + graceMs
    while (this.#slots.some((s) => s.access === 'write' && s.job !== undefined) && Date.now() < until) {
      await sleep(20)
    }
    const slots = this.#slots.splice(0)
    const stopped = await Promise.all(slots.map((slot) => this.#stop(slot)))
    this.#pointStore?.close()
    this.#pointStore = undefined
    return { stuckWorkers: stopped.filter((ok) => !ok).length }
  }

  // Asks a worker to close its store and waits for it; terminates it if that takes too long.
  // False when it is still running (inside a SQLite call) after that.
  async #stop(slot: Slot): Promise<boolean> {
    if (slot.job !== undefined) this.#finish(slot, slot.job, shuttingDown())
    slot.worker.postMessage({ kind: 'close' } satisfies WorkerRequest)
    const exited = slot.exited.then(() => true)
    if (await Promise.race([exited, sleep(STOP_WAIT_MS).then(() => false)])) return true
    void slot.worker.terminate()
    return Promise.race([exited, sleep(STOP_WAIT_MS).then(() => false)])
  }

  #spawn(access: Access): Promise<void> {
    const store: MetadataStoreOptions =
      access === 'read' ? { ...this.#options.store, readonly: true, mustExist: true } : this.#options.store
    const worker = startWorker({ store, answers: this.#options.answers })
    let markExited: () => void = () => {}
    const slot: Slot = {
      worker,
      access,
      ready: false,
      job: undefined,
      watchdog: undefined,
      exited: new Promise<void>((resolve) => {
        markExited = resolve
      }),
    }
    this.#slots.push(slot)
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.kind === 'ready') {
          slot.ready = true
          resolve()
          this.#pump(access)
          return
        }
        if (reply.id === -1) {
          // The store did not open in this worker.
          this.#remove(slot)
          void worker.terminate()
          reject(reply.kind === 'error' ? errorOf(reply) : new StoreWorkerError(detailOf(reply)))
          return
        }
        this.#answer(slot, reply)
      })
      // A worker that fails or exits on its own (not closed, not abandoned) is replaced; its
      // call, if any, fails.
      const gone = (error: Error) => {
        if (!this.#slots.includes(slot)) return
        this.#remove(slot)
        if (slot.job !== undefined)
          this.#finish(slot, slot.job, new StoreWorkerError(error.message, error.stack))
        if (!slot.ready) {
          reject(error)
          return
        }
        this.#options.onWorkerTrouble?.(`a store ${access} worker failed: ${error.stack ?? error.message}`)
        if (!this.#closing) this.#respawn(access)
      }
      worker.on('error', gone)
      worker.on('exit', () => {
        markExited()
        gone(new StoreWorkerError(`the store ${access} worker stopped unexpectedly`))
      })
    })
  }

  #respawn(access: Access): void {
    this.#spawn(access).catch((error: unknown) => {
      this.#options.onWorkerTrouble?.(
        `could not start a new store ${access} worker: ${error instanceof Error ? error.message : String(error)}`,
      )
    })
  }

  #remove(slot: Slot): void {
    const at = this.#slots.indexOf(slot)
    if (at >= 0) this.#slots.splice(at, 1)
  }

  // Starts queued calls on idle workers of that access; late calls are answered, not started.
  #pump(access: Access): void {
    const queue = this.#queues[access]
    if (access === 'write' && queue.length > 0) {
      const wait = this.#writeResumeAt - performance.now()
      if (wait > 0) {
        this.#resumeTimer ??= setTimeout(() => {
          this.#resumeTimer = undefined
          if (!this.#closing) this.#pump('write')
        }, wait)
        return
      }
    }
    for (const slot of this.#slots) {
      if (queue.length === 0) return
      if (slot.access !== access || !slot.ready || slot.job !== undefined) continue
      let job: Job | undefined
      for (;;) {
        job = queue.shift()
        if (job === undefined) return
        const late = job.call.lateError?.()
        if (late === undefined) break
        job.reject(late)
      }
      this.#start(slot, job)
    }
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job
    if (slot.access === 'write') this.#writeStartedAt = performance.now()
    this.#options.onQueueWait?.(slot.access, performance.now() - job.queuedAt)
    const deadline = job.call.deadline
    const message: WorkerRequest = {
      kind: 'run',
      id: job.id,
      rpc: job.rpc,
      request: job.request,
      deadline,
    }
    try {
      slot.worker.postMessage(message)
    } catch (error) {
      // The request cannot be copied to the thread (a bug: requests are plain messages).
      slot.job = undefined
      job.reject(error)
      this.#pump(slot.access)
      return
    }
    if (deadline !== undefined && Number.isFinite(deadline)) {
      const wait =
        Math.max(0, deadline - Date.now()) + (this.#options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS)
      slot.watchdog = setTimeout(() => this.#abandon(slot, job), wait)
      slot.watchdog.unref()
    }
  }

  #answer(slot: Slot, reply: Exclude<WorkerReply, { kind: 'ready' }>): void {
    const job = slot.job
    if (job === undefined || job.id !== reply.id) return
    switch (reply.kind) {
      case 'done':
        this.#finish(slot, job, undefined, reply.bytes)
        return
      case 'error':
        this.#finish(slot, job, errorOf(reply))
        return
      case 'unexpected':
        this.#finish(slot, job, new StoreWorkerError(reply.message, reply.detail))
        return
    }
  }

  #finish(slot: Slot, job: Job, error: unknown, bytes?: Uint8Array): void {
    if (slot.job !== job) return
    slot.job = undefined
    clearTimeout(slot.watchdog)
    slot.watchdog = undefined
    if (slot.access === 'write') this.#afterWrite(error)
    if (bytes !== undefined) job.resolve(bytes)
    else job.reject(error)
    if (!this.#closing) this.#pump(slot.access)
  }

  // After each write: note contention (ABORTED is SQLite's busy answer), and while the lock is
  // contended, keep the next write back for a multiple of this one's time (see LockSharing).
  #afterWrite(error: unknown): void {
    const sharing = this.#options.lockSharing ?? DEFAULT_LOCK_SHARING
    const now = performance.now()
    if (error instanceof MlmdError && error.code === Code.Aborted)
      this.#contendedUntil = now + sharing.contendedForMs
    if (now >= this.#contendedUntil) return
    const held = now - this.#writeStartedAt
    const pause = Math.min(sharing.maxYieldMs, Math.max(sharing.minYieldMs, held * sharing.yieldFactor))
    this.#writeResumeAt = now + pause
  }

  // The worker has overrun its call's deadline by the margin and has not come back: it is
  // inside SQLite, where nothing can stop it. Answer the call, take the worker out of the pool
  // (terminate() takes effect as soon as SQLite returns to JavaScript), and start a fresh one.
  #abandon(slot: Slot, job: Job): void {
    if (slot.job !== job || !this.#slots.includes(slot)) return
    this.#remove(slot)
    this.#finish(
      slot,
      job,
      new MlmdError(Code.DeadlineExceeded, 'The deadline passed while the call ran; it was stopped.'),
    )
    void slot.worker.terminate()
    this.#options.onWorkerTrouble?.(
      `a store ${slot.access} worker overran the deadline of ${job.rpc} and was replaced`,
    )
    if (!this.#closing) this.#respawn(slot.access)
  }
}

// The store's error as the worker described it, with a stand-in for its cause, so the server
// logs worker errors as it logs those of an in-thread store.
function errorOf(reply: Extract<WorkerReply, { kind: 'error' }>): MlmdError {
  if (reply.cause === undefined) return new MlmdError(reply.code, reply.message)
  const cause = Object.assign(new Error(reply.cause.message), {
    ...(reply.cause.code === undefined ? {} : { code: reply.cause.code }),
    ...(reply.cause.sql === undefined ? {} : { sql: reply.cause.sql }),
  })
  return new MlmdError(reply.code, reply.message, { cause })
}

function shuttingDown(): MlmdError {
  return new MlmdError(Code.Unavailable, 'The server is shutting down; the call was not run.')
}

function detailOf(reply: WorkerReply): string {
  return reply.kind === 'unexpected' ? reply.message : reply.kind
}
