/**
 * What a running server tells its operators: structured logs (pino, one JSON object a line) and
 * Prometheus metrics (prom-client) on a port of their own. Both are {@link CallObserver}s of the
 * handler table (see `observeHandlers` in `handlers.ts`), so no store operation knows of them.
 */
import { statSync } from 'node:fs'
import { createServer } from 'node:http'
import pino from 'pino'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { Code, codeToString, MlmdError } from '../errors.js'
import { formatAddress } from './grpc-server.js'
import type { CallObserver, CallOutcome } from './handlers.js'
import { isReportedFault } from './handlers.js'
import type { PoolStats } from './worker-pool.js'

/** The levels `--log_level` takes, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** The server's logger. */
export type ServerLogger = pino.Logger

/**
 * A logger writing one JSON object per line to `write` (without the newline), with ISO times
 * and level names: `{"level":"debug","time":"…","rpc":"GetArtifacts","code":"OK",…}`.
 */
export function createServerLogger(level: LogLevel, write: (line: string) => void): ServerLogger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) },
  )
}

/** `OK`, `INVALID_ARGUMENT`, …: gRPC's names for status codes. */
export function statusName(code: number): string {
  return code === 0 ? 'OK' : codeToString(code as Code).toUpperCase()
}

// Codes that say the server or its database failed, rather than the request.
const SERVER_FAULTS: ReadonlySet<number> = new Set([Code.Internal, Code.Unknown, Code.DataLoss])

// What the log keeps of an error and its cause: the SQLite code and, for a failed statement,
// its SQL (which never goes to clients).
function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) }
  const described: Record<string, unknown> = {
    type: error.name,
    message: error instanceof MlmdError ? error.rawMessage : error.message,
  }
  const extra = error as { code?: unknown; sql?: unknown }
  if (typeof extra.code === 'string') described.code = extra.code
  if (typeof extra.sql === 'string') described.sql = extra.sql
  if (!(error instanceof MlmdError) || error.cause === undefined) described.stack = error.stack
  if (error.cause !== undefined) described.cause = describeError(error.cause)
  return described
}

/**
 * Logs every call: one `debug` line per call (RPC, status code, duration, request id), and for
 * a reported fault a `warn` line (an `error` line for INTERNAL, UNKNOWN and DATA_LOSS, and for
 * bugs) with the error and its cause instead.
 */
export function callLogger(logger: ServerLogger): CallObserver {
  return {
    callFinished(outcome: CallOutcome) {
      const fields = {
        rpc: outcome.rpc,
        code: statusName(outcome.code),
        duration_ms: Math.round(outcome.durationMs * 1000) / 1000,
        request_id: outcome.requestId,
      }
      if (outcome.error !== undefined && isReportedFault(outcome.error)) {
        const level =
          outcome.error instanceof MlmdError && !SERVER_FAULTS.has(outcome.code) ? 'warn' : 'error'
        logger[level]({ ...fields, error: describeError(outcome.error) }, 'call failed')
      } else {
        logger.debug(fields, 'call')
      }
    },
  }
}

/** The files whose sizes the metrics report. */
export interface ServerMetricsOptions {
  /** The SQLite database file; its `-wal` file is measured too. Absent for `:memory:`. */
  readonly databaseFile?: string | undefined
}

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

// Upper bounds in seconds: a by-id read takes well under a millisecond, a large write seconds.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * The server's Prometheus metrics, in a registry of their own (so two servers in one process
 * keep apart): calls and latency per RPC and code, calls in flight, the store workers' queue
 * depth, busy threads and queue wait, retries and time spent waiting for another connection's
 * write lock, database and WAL file sizes, and Node's process metrics.
 */
export class ServerMetrics implements CallObserver {
  readonly registry = new Registry()
  readonly #calls: Counter<'rpc' | 'code'>
  readonly #latency: Histogram<'rpc' | 'code'>
  readonly #inFlight: Gauge<'rpc'>
  readonly #lockRetries: Counter<'rpc'>
  readonly #lockWait: Counter<'rpc'>
  readonly #queueWait: Histogram<'access'>
  #pool: (() => PoolStats | undefined) | undefined

  constructor(options: ServerMetricsOptions = {}) {
    const registers = [this.registry]
    this.#calls = new Counter({
      name: 'mlmd_rpc_calls_total',
      help: 'Calls of ml_metadata.MetadataStoreService answered, by RPC and status code.',
      labelNames: ['rpc', 'code'],
      registers,
    })
    this.#latency = new Histogram({
      name: 'mlmd_rpc_duration_seconds',
      help: 'Time from the start of a call to its answer, by RPC and status code.',
      labelNames: ['rpc', 'code'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.#inFlight = new Gauge({
      name: 'mlmd_rpc_in_flight',
      help: 'Calls started and not yet answered (including those waiting for a lock), by RPC.',
      labelNames: ['rpc'],
      registers,
    })
    this.#lockRetries = new Counter({
      name: 'mlmd_lock_busy_retries_total',
      help: 'Times a call found the write lock held by another connection (SQLITE_BUSY, answered ABORTED by the store) and was retried by the server, by RPC.',
      labelNames: ['rpc'],
      registers,
    })
    this.#lockWait = new Counter({
      name: 'mlmd_lock_wait_seconds_total',
      help: 'Time calls spent waiting for another connection to release the write lock (pauses between retries), by RPC.',
      labelNames: ['rpc'],
      registers,
    })
    this.#queueWait = new Histogram({
      name: 'mlmd_pool_queue_wait_seconds',
      help: "Time calls waited in the store workers' queue before a worker took them (a write waits for the one writer thread), by access.",
      labelNames: ['access'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    const pool = () => this.#pool?.()
    const poolGauge = (
      name: string,
      help: string,
      pick: (stats: PoolStats) => Record<'read' | 'write', number>,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['access'],
        registers,
        collect() {
          const stats = pool()
          if (stats === undefined) return
          for (const access of ['read', 'write'] as const) this.set({ access }, pick(stats)[access])
        },
      })
    poolGauge('mlmd_pool_queue_depth', 'Calls waiting for a store worker, by access.', (s) => s.queued)
    poolGauge('mlmd_pool_busy_workers', 'Store workers running a call, by access.', (s) => s.busy)
    poolGauge('mlmd_pool_workers', 'Store worker threads serving, by access.', (s) => s.workers)
    const database = options.databaseFile
    if (database !== undefined) {
      new Gauge({
        name: 'mlmd_database_size_bytes',
        help: 'Size of the SQLite database file.',
        registers,
        // Every process of `serve --processes` reports the same file: its size, not a sum.
        aggregator: 'max',
        collect() {
          this.set(fileSize(database))
        },
      })
      new Gauge({
        name: 'mlmd_database_wal_size_bytes',
        help: 'Size of the SQLite write-ahead log (the -wal file); 0 when there is none.',
        registers,
        aggregator: 'max',
        collect() {
          this.set(fileSize(`${database}-wal`))
        },
      })
    }
    collectDefaultMetrics({ register: this.registry })
  }

  /** Reports the store workers' queue and threads, read at each scrape (see `GrpcServer.poolStats`). */
  watchPool(stats: () => PoolStats | undefined): void {
    this.#pool = stats
  }

  lockRetry(rpc: string, pauseMs: number): void {
    this.#lockRetries.inc({ rpc })
    this.#lockWait.inc({ rpc }, pauseMs / 1000)
  }

  queueWait(access: 'read' | 'write', waitedMs: number): void {
    this.#queueWait.observe({ access }, waitedMs / 1000)
  }

  callStarted(rpc: string): void {
    this.#inFlight.inc({ rpc })
  }

  callFinished(outcome: CallOutcome): void {
    const labels = { rpc: outcome.rpc, code: statusName(outcome.code) }
    this.#inFlight.dec({ rpc: outcome.rpc })
    this.#calls.inc(labels)
    this.#latency.observe(labels, outcome.durationMs / 1000)
  }
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The bound port (the chosen one when 0 was asked for). */
  readonly port: number
  close(): Promise<void>
}

/**
 * Serves `metrics` (a server's, or those of all `serve --processes` children) in Prometheus's
 * text format at `http://host:port/metrics`.
 * @throws Unavailable when the address cannot be bound.
 */
export function startMetricsServer(
  metrics: { readonly registry: Pick<Registry, 'metrics' | 'contentType'> },
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n')
      return
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const address = formatAddress(host, port)
      const reason =
        error.code === 'EADDRINUSE'
          ? 'the port is already in use; choose another with --metrics_port'
          : error.message
      reject(
        new MlmdError(Code.Unavailable, `cannot serve metrics on ${address}: ${reason}`, { cause: error }),
      )
    })
    server.listen(port, host, () => {
      const bound = server.address()
      resolve({
        port: typeof bound === 'object' && bound !== null ? bound.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}
