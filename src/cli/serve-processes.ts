/**
 * `mlmd-ts serve --processes N`: N serving processes on one port and one database, so that the
 * gRPC work (HTTP/2, decoding, encoding), which a Node process does on one thread, uses more
 * than one core.
 *
 * The first process is a supervisor (node:cluster's primary): it opens the database once (so
 * that creating the schema or migrating happens once, before anyone serves), starts N children
 * running the same command line, prints the one start line when all of them listen, serves the
 * metrics of all of them, and stops them on SIGINT or SIGTERM. node:cluster hands each accepted
 * connection to the children in turn; a gRPC client keeps its connection, so its calls stay on
 * one child. Each child has its own store (its own connections, type memo and read workers);
 * SQLite's lock and the server engines' transactions keep writes from different children apart,
 * and the type memo is dropped whenever another connection commits (see `type-access.ts`), so
 * what one child writes the next call on another child reads.
 *
 * A child that exits while serving is reported and replaced; if children keep exiting (more than
 * {@link MAX_RESTARTS} within {@link RESTART_WINDOW_MS}) the supervisor stops the others and exits
 * with code 1, so that a service manager sees the failure instead of a restart loop.
 *
 * This module, like `main.ts`, works on the real process: the cluster is a thing of processes.
 */
import cluster, { type Worker } from 'node:cluster'
import { AggregatorRegistry, type PrometheusContentType } from 'prom-client'
import { formatAddress } from '../service/grpc-server.js'
import type { MetricsServer, ServerLogger, ServerMetrics } from '../service/observability.js'
import { startMetricsServer } from '../service/observability.js'
import type { CliIo } from './io.js'

/** Most serving processes `--processes` takes. */
export const MAX_SERVE_PROCESSES = 64

/** Children that may exit while serving within {@link RESTART_WINDOW_MS} before the server gives up. */
export const MAX_RESTARTS = 5
export const RESTART_WINDOW_MS = 60_000

// How long the children get to stop after the supervisor asks them to: their own grace for a
// write in flight, plus time to close the store, before they are killed.
const STOP_TIMEOUT_MS = 10_000

// The environment variable that tells a child which process it is (1…N). node:cluster's own
// marker says that the process is a cluster worker; this one says it is ours.
const CHILD_ENV = 'MLMD_TS_SERVE_PROCESS'

/** What a child reports once it listens. */
export interface ServeProcessStarted {
  readonly port: number
  readonly grpcWebPort: number | undefined
  readonly explorerUrl: string | undefined
  /** Reader threads of this child's store; undefined when it serves in-thread or on a server engine. */
  readonly readWorkers: number | undefined
}

type ChildMessage = { readonly kind: 'mlmd-ts:listening'; readonly started: ServeProcessStarted }
type SupervisorMessage = { readonly kind: 'mlmd-ts:stop' | 'mlmd-ts:stop-now' }

/** A serving child's side of the cluster. */
export interface ServeProcessLink {
  /** This child's number, 1…N. */
  readonly index: number
  /** Tells the supervisor that this child listens. */
  announce(started: ServeProcessStarted): void
  /** Lets the supervisor collect this child's metrics. */
  shareMetrics(metrics: ServerMetrics): void
  /**
   * `io` whose `waitForSignal` resolves when the supervisor asks this child to stop (or goes
   * away) or a SIGTERM comes. SIGINT is left to the supervisor (a terminal sends it to every
   * process of the group, and the supervisor stops the children itself); a second SIGTERM, or
   * the supervisor's stop-now, stops at once.
   */
  childIo(io: CliIo): CliIo
}

/** The link to the supervisor when this process is a serving child of `serve --processes`. */
export function serveProcessLink(): ServeProcessLink | undefined {
  const worker = cluster.worker
  const index = Number(process.env[CHILD_ENV])
  if (cluster.isPrimary || worker === undefined || !Number.isInteger(index) || index < 1) return undefined
  // Listening from the start, so that a stop asked for while this child still opens its store
  // is not lost: the child then stops as soon as it serves.
  let stopRequested = false
  let onStop: (() => void) | undefined
  let onRepeat: (() => void) | undefined
  const stop = () => {
    if (stopRequested) return
    stopRequested = true
    onStop?.()
  }
  // A terminal's Ctrl-C reaches every process of the group; the supervisor stops the children.
  process.on('SIGINT', () => {})
  // A SIGTERM may come beside the supervisor's request (systemd signals every process of the
  // service at once), so only a second one stops at once.
  let terms = 0
  process.on('SIGTERM', () => {
    terms += 1
    stop()
    if (terms > 1) onRepeat?.()
  })
  worker.on('message', (message: SupervisorMessage) => {
    if (message?.kind === 'mlmd-ts:stop') stop()
    if (message?.kind === 'mlmd-ts:stop-now') {
      stop()
      onRepeat?.()
    }
  })
  // The supervisor is gone (killed): new connections cannot reach this child anyway.
  worker.on('disconnect', stop)
  worker.on('error', stop)
  return {
    index,
    announce(started) {
      const message: ChildMessage = { kind: 'mlmd-ts:listening', started }
      if (worker.isConnected()) worker.send(message)
    },
    shareMetrics(metrics) {
      // prom-client answers the supervisor's requests from these registries.
      AggregatorRegistry.setRegistries([metrics.registry])
      new AggregatorRegistry()
    },
    childIo(io) {
      return {
        ...io,
        waitForSignal: (repeat) =>
          new Promise<void>((resolve) => {
            onRepeat = repeat
            if (stopRequested) resolve()
            else onStop = resolve
          }),
      }
    },
  }
}

/** What the supervisor needs from `serve`. */
export interface SuperviseOptions {
  readonly processes: number
  readonly host: string
  readonly metricsPort: number | undefined
  readonly io: CliIo
  readonly logger: ServerLogger
  /** Prints the start line (and what goes with it) once every child listens. */
  announce(started: ServeProcessStarted, metricsPort: number | undefined): void
}

interface Child {
  readonly index: number
  worker: Worker
}

/**
 * Runs N serving children of this command line until SIGINT or SIGTERM; resolves with the exit
 * code: 0 after a clean stop, 1 when a child failed to start or children kept exiting.
 */
export async function superviseServeProcesses(options: SuperviseOptions): Promise<number> {
  const { io, logger } = options
  const children: Child[] = []
  let stopping = false
  const exits: number[] = []
  let giveUp: ((reason: string) => void) | undefined
  const gaveUp = new Promise<string>((resolve) => {
    giveUp = resolve
  })

  const fork = (index: number): Worker => {
    const worker = cluster.fork({ [CHILD_ENV]: String(index) })
    // A message to a child that is just exiting fails; its exit is handled on its own.
    worker.on('error', (error) =>
      logger.debug({ process: index, error: error.message }, 'serving process channel'),
    )
    return worker
  }
  const listening = (worker: Worker) =>
    new Promise<ServeProcessStarted>((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message?.kind !== 'mlmd-ts:listening') return
        worker.off('exit', onExit)
        resolve(message.started)
      }
      const onExit = (code: number | null, signal: string | null) => {
        worker.off('message', onMessage)
        reject(new Error(exitText(code, signal)))
      }
      worker.on('message', onMessage)
      worker.once('exit', onExit)
    })

  const watch = (child: Child) => {
    child.worker.once('exit', (code, signal) => {
      if (stopping) return
      const what = `serving process ${child.index} (pid ${child.worker.process.pid}) ${exitText(code, signal)}`
      const now = Date.now()
      exits.push(now)
      while (exits.length > 0 && (exits[0] as number) < now - RESTART_WINDOW_MS) exits.shift()
      if (exits.length > MAX_RESTARTS) {
        giveUp?.(`${what}; ${exits.length} exits within ${RESTART_WINDOW_MS / 1000} s, stopping`)
        return
      }
      io.err(`mlmd-ts: ${what}; starting another`)
      logger.error({ process: child.index, code, signal }, 'serving process exited; starting another')
      const replacement = fork(child.index)
      child.worker = replacement
      // Watched from the start: one that exits before it listens counts like any other exit.
      watch(child)
      listening(replacement).then(
        () => logger.info({ process: child.index, pid: replacement.process.pid }, 'serving process replaced'),
        () => {},
      )
    })
  }

  const stopAll = async (): Promise<number> => {
    stopping = true
    const running = children.map((c) => c.worker).filter((w) => w.process.exitCode === null && !w.isDead())
    const exited = running.map(
      (worker) =>
        new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))),
    )
    const stop: SupervisorMessage = { kind: 'mlmd-ts:stop' }
    for (const worker of running) {
      if (worker.isConnected()) worker.send(stop)
      else worker.process.kill('SIGTERM')
    }
    let timer: NodeJS.Timeout | undefined
    const late = await Promise.race([
      Promise.all(exited).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)
      }),
    ])
    clearTimeout(timer)
    if (late) {
      const left = running.filter((w) => !w.isDead())
      io.err(
        `mlmd-ts: ${left.length} serving process(es) did not stop in ${STOP_TIMEOUT_MS / 1000} s: killing them`,
      )
      for (const worker of left) worker.process.kill('SIGKILL')
      await Promise.all(exited)
    }
    return late ? 1 : 0
  }

  // Listening for signals from the start: one while the children start stops them too.
  let stopNow = false
  let signalReceived = false
  const signalled = io
    .waitForSignal(() => {
      // A second signal: the children stop at once too.
      io.err('mlmd-ts: stopping now')
      stopNow = true
      const now: SupervisorMessage = { kind: 'mlmd-ts:stop-now' }
      for (const { worker } of children) {
        if (worker.isDead()) continue
        if (worker.isConnected()) worker.send(now)
        else worker.process.kill('SIGKILL')
      }
    })
    .then(() => {
      signalReceived = true
      return undefined
    })

  // Start them all; the first that fails stops the start.
  let started: ServeProcessStarted[]
  try {
    const starting = Promise.all(
      Array.from({ length: options.processes }, (_, i) => {
        const child: Child = { index: i + 1, worker: fork(i + 1) }
        children.push(child)
        return listening(child.worker).catch((error: Error) => {
          throw new Error(`serving process ${child.index} ${error.message} before serving`)
        })
      }),
    )
    const first = await Promise.race([starting, signalled])
    if (first === undefined) {
      io.err('mlmd-ts: stopping the serving processes before they serve')
      await stopAll()
      return 0
    }
    started = first
  } catch (error) {
    if (signalReceived) {
      await stopAll()
      return 0
    }
    io.err(`mlmd-ts: ${(error as Error).message}; stopping`)
    await stopAll()
    return 1
  }
  const first = started[0] as ServeProcessStarted
  if (started.some((s) => s.port !== first.port)) {
    // node:cluster shares one listening socket per address; different ports would mean clients
    // reach only one child.
    io.err(
      `mlmd-ts: the serving processes listen on different ports (${started.map((s) => s.port).join(', ')}); stopping`,
    )
    await stopAll()
    return 1
  }

  let metricsServer: MetricsServer | undefined
  if (options.metricsPort !== undefined) {
    const aggregator = new AggregatorRegistry<PrometheusContentType>()
    try {
      metricsServer = await startMetricsServer(
        { registry: { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() } },
        options.host,
        options.metricsPort,
      )
    } catch (error) {
      await stopAll()
      throw error
    }
  }
  for (const child of children) watch(child)
  options.announce(first, metricsServer?.port)
  logger.info(
    { processes: options.processes, pids: children.map((c) => c.worker.process.pid), port: first.port },
    `serving with ${options.processes} processes on ${formatAddress(options.host, first.port)}`,
  )

  const reason = await Promise.race([signalled, gaveUp])
  if (reason !== undefined) {
    io.err(`mlmd-ts: ${reason}`)
    logger.error({ processes: options.processes }, reason)
    await stopAll()
    await metricsServer?.close()
    return 1
  }
  io.err(`mlmd-ts: shutting down ${options.processes} serving processes (letting calls in flight finish)`)
  const late = await stopAll()
  await metricsServer?.close()
  io.err(stopNow || late === 0 ? 'mlmd-ts: stopped' : 'mlmd-ts: stopped (some serving processes were killed)')
  return 0
}

function exitText(code: number | null, signal: string | null): string {
  return signal !== null ? `was killed (${signal})` : `exited with code ${code}`
}
