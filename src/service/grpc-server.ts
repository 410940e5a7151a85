/**
 * The gRPC server: `ml_metadata.MetadataStoreService` over a {@link MetadataStore}, plus the
 * standard health (`grpc.health.v1.Health`) and reflection services, on one port, in plaintext
 * or TLS / mutual TLS. MLMD's counterpart is `metadata_store_server_main.cc`.
 */
import type { ServerOptions } from '@grpc/grpc-js'
import { Server, ServerCredentials, setLogger } from '@grpc/grpc-js'
import { HealthImplementation } from 'grpc-health-check'
import { Code, MlmdError } from '../errors.js'
import type { AsyncMetadataStore, MetadataStore } from '../store/metadata-store-api.js'
import { type RpcName, SERVICE_NAME, untypedServiceDefinition } from '../wire/service-definition.js'
import { createBearerTokenInterceptor } from './auth.js'
import { CorruptionGuard } from './corruption-guard.js'
import { type GrpcWebServer, startGrpcWebServer } from './grpc-web.js'
import type { CallObserver, UnexpectedErrorLogger } from './handlers.js'
import {
  createHandlers,
  createPooledHandlers,
  type LockRetry,
  lockRetryPolicy,
  observeHandlers,
} from './handlers.js'
import type { LineageNodes } from './lineage-nodes.js'
import { createReflectionService } from './reflection.js'
import { type PoolStats, WorkerPool, type WorkerPoolOptions } from './worker-pool.js'

/** PEM material for TLS, as MLMD's `ssl_config` carries it (contents, not paths). */
export interface ServerTlsConfig {
  /** The server's private key (PEM). */
  readonly serverKey: string | Uint8Array
  /** The server's certificate chain (PEM). */
  readonly serverCert: string | Uint8Array
  /** CA certificates that client certificates must chain to (PEM); needed for `clientVerify`. */
  readonly customCa?: string | Uint8Array | undefined
  /** Require a client certificate signed by `customCa` (mutual TLS). */
  readonly clientVerify?: boolean | undefined
}

/** How to run a {@link GrpcServer}. */
export interface GrpcServerOptions {
  /**
   * The in-process store every RPC runs against, on the event loop's thread; the server does
   * not close it. Give either this or `workers`.
   */
  /** The store, run on the server's thread: in process (SQLite), or a server engine's pool. */
  readonly store?: MetadataStore | AsyncMetadataStore | undefined
  /**
   * Run every RPC on worker threads instead, each with its own connection to this store file
   * (several readers and one writer; see `worker-pool.ts`), so that the server's own thread
   * never waits on SQLite. The server starts the workers and stops them on shutdown. Not for
   * `:memory:` stores, which cannot be shared between connections.
   */
  readonly workers?: WorkerPoolOptions | undefined
  /** Address to bind; default `127.0.0.1` (MLMD binds `0.0.0.0`, see the CLI's warning). */
  readonly host?: string | undefined
  /** Port to bind; default 8080 (MLMD's). 0 picks a free port. */
  readonly port?: number | undefined
  /** TLS; plaintext when absent. */
  readonly tls?: ServerTlsConfig | undefined
  /** grpc-js options, e.g. `grpc.max_receive_message_length`. */
  readonly channelOptions?: ServerOptions | undefined
  /**
   * When set, every call except health checks must carry the metadata
   * `authorization: Bearer <authToken>`, or it is answered UNAUTHENTICATED (see `auth.ts`).
   */
  readonly authToken?: string | undefined
  /**
   * How long to keep retrying, inside the server, a call the store answers ABORTED (another
   * process holds the write lock) before the client gets ABORTED; default 0 (answer at once).
   * Meant for a store opened with a short busy timeout, so that waiting for another process's
   * lock does not freeze the server: see `unary` in `handlers.ts`.
   */
  readonly abortedRetryMs?: number | undefined
  /**
   * Receives errors that are not `MlmdError`s (bugs), answered as INTERNAL. Default: a process
   * warning, so the cause is never lost.
   */
  readonly onUnexpectedError?: UnexpectedErrorLogger | undefined
  /**
   * See every call (logs, metrics: `observability.ts`). The message of an error that has a
   * cause then ends with the request id that the observers see.
   */
  readonly observers?: readonly CallObserver[] | undefined
  /**
   * Also answer grpc-web (browser clients, without an Envoy proxy) on this port of the same
   * host, with the same TLS, token, handlers and observers (see `grpc-web.ts`).
   */
  readonly grpcWeb?:
    | {
        readonly port: number
        /** Origins whose pages may call besides loopback ones; `*` for any. */
        readonly allowedOrigins?: readonly string[] | undefined
      }
    | undefined
  /**
   * Told once, when a call is first answered DATA_LOSS (the file is corrupt); from then on the
   * server refuses writes with FAILED_PRECONDITION (see `corruption-guard.ts`).
   */
  readonly onCorruption?: ((rpc: RpcName, message: string) => void) | undefined
  /**
   * How `GetLineageSubgraph` answers its nodes (see `lineage-nodes.ts`); default `auto`: ids
   * only for the official Python client, which fetches them again itself.
   */
  readonly lineageNodes?: LineageNodes | undefined
}

/** The gRPC credentials for a TLS config (or plaintext). @throws InvalidArgument for an incomplete config. */
export function serverCredentials(tls: ServerTlsConfig | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure()
  const pem = (value: string | Uint8Array) => Buffer.from(value)
  if (tls.clientVerify === true && (tls.customCa === undefined || tls.customCa.length === 0)) {
    throw new MlmdError(
      Code.InvalidArgument,
      'ssl_config.client_verify needs ssl_config.custom_ca to verify client certificates',
    )
  }
  const ca = tls.customCa === undefined || tls.customCa.length === 0 ? null : pem(tls.customCa)
  return ServerCredentials.createSsl(
    ca,
    [{ private_key: pem(tls.serverKey), cert_chain: pem(tls.serverCert) }],
    tls.clientVerify === true,
  )
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
}

const defaultUnexpectedErrorLogger: UnexpectedErrorLogger = (rpc, error) => {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
  process.emitWarning(`${rpc} failed unexpectedly (answered INTERNAL): ${detail}`, 'MlmdInternalError')
}

/** What {@link GrpcServer.shutdown} could not do. */
export interface ShutdownReport {
  /**
   * Store worker threads still inside a SQLite call after the grace period (a runaway query
   * without a deadline). They hold up `process.exit()`; SQLite's WAL keeps the file consistent
   * if the process is killed instead.
   */
  readonly stuckWorkers: number
}

// grpc-js reports a failed bind as "No address added out of total 1 resolved errors: [listen
// EADDRINUSE: …]"; the errno says what went wrong in words a user can act on.
const BIND_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE:
    'the port is already in use (another server?); choose another with --port, or 0 for any free one',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: "the address is not one of this machine's",
}

function bindError(address: string, error: Error): MlmdError {
  const errno = /\b(E[A-Z]+):/.exec(error.message)?.[1]
  const reason = (errno === undefined ? undefined : BIND_REASONS[errno]) ?? error.message
  return new MlmdError(Code.Unavailable, `cannot listen on ${address}: ${reason}`, { cause: error })
}

/**
 * Sends grpc-js's own log lines (by default printed to stderr, such as its raw line for a port
 * in use) to `sink` instead. grpc-js has one logger per process, so this is process-wide.
 */
export function routeGrpcLibraryLog(sink: (line: string) => void): void {
  const write = (...args: unknown[]) => sink(args.map(String).join(' '))
  setLogger({ error: write, info: write, debug: write })
}

/** A running server. Create it with {@link createGrpcServer}. */
export class GrpcServer {
  readonly #server: Server
  readonly #health: HealthImplementation
  readonly #pool: WorkerPool | undefined
  readonly host: string
  /** The bound port (the chosen one when 0 was asked for). */
  readonly port: number
  /** Whether the port speaks TLS. */
  readonly tls: boolean
  readonly #grpcWeb: GrpcWebServer | undefined
  #stopping: Promise<ShutdownReport> | undefined

  /** @internal use {@link createGrpcServer}. */
  constructor(
    server: Server,
    health: HealthImplementation,
    host: string,
    port: number,
    tls: boolean,
    pool: WorkerPool | undefined,
    grpcWeb?: GrpcWebServer,
  ) {
    this.#grpcWeb = grpcWeb
    this.#server = server
    this.#health = health
    this.#pool = pool
    this.host = host
    this.port = port
    this.tls = tls
  }

  /** `host:port` as clients dial it. */
  get address(): string {
    return formatAddress(this.host, this.port)
  }

  /** The bound grpc-web port, when the server answers grpc-web. */
  get grpcWebPort(): number | undefined {
    return this.#grpcWeb?.port
  }

  /** Sets the health status of the server and its MLMD service. */
  setServing(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING'
    this.#health.setStatus('', status)
    this.#health.setStatus(SERVICE_NAME, status)
  }

  /** What the store workers are doing now; undefined when the store runs on the server's own thread. */
  poolStats(): PoolStats | undefined {
    return this.#pool?.stats()
  }

  /** Reader threads of the store, or 0 when the store runs on the server's own thread. */
  get readWorkers(): number {
    return this.#pool?.readWorkers ?? 0
  }

  /**
   * Stops accepting calls and resolves once the calls in flight have finished (health reports
   * NOT_SERVING meanwhile). After `graceMs` the remaining calls are cancelled. With store
   * workers, queued calls are refused and reads in flight answered UNAVAILABLE at once, a
   * write in flight gets `graceMs` to commit or roll back, then the workers stop.
   */
  shutdown(graceMs = 10_000): Promise<ShutdownReport> {
    this.#stopping ??= new Promise<ShutdownReport>((resolve) => {
      this.setServing(false)
      const force = setTimeout(() => {
        this.#server.forceShutdown()
        void this.#grpcWeb?.close(true)
      }, graceMs)
      force.unref()
      const calls = Promise.all([
        new Promise<void>((done) => this.#server.tryShutdown(() => done())),
        this.#grpcWeb?.close(),
      ])
      const pool = this.#pool?.close(graceMs) ?? Promise.resolve({ stuckWorkers: 0 })
      void Promise.all([calls, pool]).then(([, report]) => {
        clearTimeout(force)
        resolve(report)
      })
    })
    return this.#stopping
  }

  /** Stops at once, cancelling calls in flight (store workers get no grace). */
  forceShutdown(): void {
    this.setServing(false)
    this.#server.forceShutdown()
    void this.#grpcWeb?.close(true)
    void this.#pool?.close(0)
  }
}

/**
 * Binds and starts a server for `options.store`; health reports SERVING once it listens.
 * @throws InvalidArgument for an incomplete TLS config, or an auth token that cannot be sent
 *   as a bearer token.
 * @throws Unavailable when the address cannot be bound.
 */
export async function createGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const host = options.host ?? '127.0.0.1'
  const credentials = serverCredentials(options.tls)
  const interceptors = [
    ...(options.channelOptions?.interceptors ?? []),
    ...(options.authToken === undefined ? [] : [createBearerTokenInterceptor(options.authToken)]),
  ]
  const logUnexpected = options.onUnexpectedError ?? defaultUnexpectedErrorLogger
  const observers = options.observers ?? []
  const retry: LockRetry = {
    policy: lockRetryPolicy(options.abortedRetryMs ?? 0),
    onRetry: (rpc: RpcName, pauseMs: number) => {
      for (const observer of observers) observer.lockRetry?.(rpc, pauseMs)
    },
  }
  if ((options.store === undefined) === (options.workers === undefined)) {
    throw new MlmdError(Code.InvalidArgument, 'createGrpcServer takes either a store or workers')
  }
  const pool =
    options.workers === undefined
      ? undefined
      : await WorkerPool.start({
          ...options.workers,
          answers: { lineageNodes: options.lineageNodes },
          onQueueWait: (access, waitedMs) => {
            options.workers?.onQueueWait?.(access, waitedMs)
            for (const observer of observers) observer.queueWait?.(access, waitedMs)
          },
        })
  const server = new Server({ ...options.channelOptions, interceptors })
  const handlers = new CorruptionGuard(options.onCorruption).wrap(
    pool === undefined
      ? createHandlers(options.store as MetadataStore | AsyncMetadataStore, logUnexpected, retry, {
          lineageNodes: options.lineageNodes,
        })
      : createPooledHandlers(pool, logUnexpected, retry),
  )
  const observed = observers.length === 0 ? handlers : observeHandlers(handlers, observers)
  server.addService(untypedServiceDefinition(), observed)
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' })
  health.addToServer(server)
  createReflectionService().addToServer(server)

  const address = formatAddress(host, options.port ?? 8080)
  let port: number
  try {
    port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (error, bound) => {
        if (error === null) resolve(bound)
        else reject(bindError(address, error))
      })
    })
  } catch (error) {
    await pool?.close(0)
    throw error
  }
  let grpcWeb: GrpcWebServer | undefined
  if (options.grpcWeb !== undefined) {
    const maxReceive = options.channelOptions?.['grpc.max_receive_message_length']
    try {
      grpcWeb = await startGrpcWebServer({
        handlers: observed,
        host,
        port: options.grpcWeb.port,
        tls: options.tls,
        authToken: options.authToken,
        allowedOrigins: options.grpcWeb.allowedOrigins,
        // As in gRPC, -1 lifts the limit.
        maxRequestBytes:
          typeof maxReceive !== 'number' ? undefined : maxReceive < 0 ? Number.POSITIVE_INFINITY : maxReceive,
      })
    } catch (error) {
      server.forceShutdown()
      await pool?.close(0)
      throw error
    }
  }
  const running = new GrpcServer(server, health, host, port, options.tls !== undefined, pool, grpcWeb)
  running.setServing(true)
  return running
}
