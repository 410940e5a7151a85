/**
 * `mlmd-ts serve`: MLMD's gRPC server on an embedded SQLite file, with MLMD's own server flags
 * so it can replace `metadata_store_server` in an existing deployment.
 */
import { accessSync, constants, existsSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Code, MlmdError } from '../errors.js'
import { type ExplorerServer, startExplorerServer } from '../explorer/web/server.js'
import { validateBearerToken } from '../service/auth.js'
import type { GrpcServer, GrpcServerOptions, ServerTlsConfig } from '../service/grpc-server.js'
import { createGrpcServer, formatAddress, routeGrpcLibraryLog } from '../service/grpc-server.js'
import { LINEAGE_NODES, type LineageNodes, lineageNodesFrom } from '../service/lineage-nodes.js'
import type { LogLevel, MetricsServer } from '../service/observability.js'
import {
  callLogger,
  createServerLogger,
  LOG_LEVELS,
  ServerMetrics,
  startMetricsServer,
} from '../service/observability.js'
import type { ServerConfigSettings } from '../service/server-config.js'
import {
  mysqlSettings,
  parseChannelArguments,
  parseServerConfig,
  postgresqlSettings,
  settingsFromServerConfig,
} from '../service/server-config.js'
import { POINT_READS_CHOICES, type PointReads } from '../service/worker-pool.js'
import type { MigrationEvent } from '../storage/schema/mlmd-env.js'
import { SCHEMA_VERSION } from '../storage/schema/v10.js'
import type { OwnedMetadataStore } from '../store/metadata-store.js'
import { createMetadataStore, toAsyncMetadataStore } from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import {
  describeServerDatabase,
  type OwnedAsyncMetadataStore,
  openServerDatabase,
  type ServerDatabase,
} from '../store/server-engine-store.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'
import {
  MAX_SERVE_PROCESSES,
  type ServeProcessLink,
  serveProcessLink,
  superviseServeProcesses,
} from './serve-processes.js'

/** Usage text of `mlmd-ts serve`. */
export const SERVE_USAGE = `Usage: mlmd-ts serve [options]

Serves ml_metadata.MetadataStoreService (MLMD's gRPC API, with health checking and
reflection) on a SQLite file, a PostgreSQL database or a MySQL/MariaDB database in MLMD's
schema for that engine.

Options:
  --db PATH|URL          database file, or :memory: (default: ./mlmd.sqlite), or
                         postgres://USER:PASSWORD@HOST:PORT/DB or mysql://… (the
                         database is created if missing; the password is never printed)
  --host HOST            address to bind (default: 127.0.0.1)
  --port PORT            port to bind, 0 for any free one (default: 8080)
  --tls-cert PATH        server certificate chain (PEM file); enables TLS
  --tls-key PATH         server private key (PEM file)
  --tls-ca PATH          CA (PEM file) that client certificates must chain to;
                         enables mutual TLS
  --auth-token-file PATH file holding a bearer token; every call except health
                         checks must then send "authorization: Bearer <token>"
  --read_workers N       threads serving reads, beside one thread for writes
                         (default: the number of cores); 0 runs every call on
                         the server's own thread (always so for :memory:)
  --point_reads main|workers
                         where reads of up to 100 ids or names (…ByID, …ByExternalIds,
                         …ByTypeAndName, types) run beside the read workers: on the
                         server's own thread (main, the default), sparing them the
                         hop to a worker, or on the workers like every other read;
                         with main, an unfiltered page of all artifacts, executions
                         or contexts runs there too while the server is not busy
  --processes N          serving processes sharing the port and the database
                         (default 1), each with its own store and read workers,
                         so that gRPC work uses more than one core; one more
                         process supervises them, replaces one that dies, and
                         serves the metrics of all; not for :memory:
  --log_level LEVEL      trace, debug (one line per call), info (default), warn,
                         error or silent; logs are JSON lines on standard error
  --metrics_port PORT    serve Prometheus metrics at http://HOST:PORT/metrics
  --max_response_bytes N most bytes of nodes in one response (default 4000000,
                         under gRPC's 4 MiB client default; 0 for no cap): pages
                         end early with a next_page_token, unpaged reads past it
                         answer RESOURCE_EXHAUSTED
  --ui-port PORT         also serve the read-only web explorer on 127.0.0.1:PORT
                         (not with TLS or a token: the explorer has neither)
  --grpc_web_port PORT   also answer grpc-web (browser clients, no Envoy needed) on
                         HOST:PORT, with the same TLS and token
  --grpc_web_origins LIST
                         comma-separated origins whose pages may call grpc-web
                         (https://ui.example.com), or *; loopback pages always may
  --lineage_nodes auto|whole|ids
                         how GetLineageSubgraph answers nodes: ids only (MLMD's
                         answer) or whole; auto (default) answers ids only to the
                         official Python client, which fetches them again itself
  -h, --help             show this help

MLMD server flags (metadata_store_server):
  --grpc_port PORT                          same as --port
  --metadata_store_server_config_file PATH  text-format MetadataStoreServerConfig
                                            (connection_config: sqlite, postgresql or mysql;
                                            ssl_config, migration_options)
  --enable_database_upgrade[=true|false]    upgrade a file written by an older MLMD
                                            (schema 0-9) to 10, copying it first
  --downgrade_db_schema_version N           downgrade the file to schema version N
                                            (0-9, copying it first), then exit
  --allow_foreign_tables                    use a file that holds tables MLMD does
                                            not know (another application's database)
  --grpc_channel_arguments K=V,...          e.g. grpc.max_receive_message_length=33554432
  --metadata_source_config_type TYPE        default, config_file, sqlite, postgresql or mysql
  --postgres_config_{host,hostaddr,port,user,password,dbname,skip_db_creation,
                     sslmode,sslcert,sslkey,sslrootcert}
                                            PostgreSQL (with --metadata_source_config_type=postgresql)
  --mysql_config_{host,port,database,user,password,sslcert,sslkey,sslrootcert,
                  verify_server_cert}       MySQL/MariaDB (Kubeflow's flags)

--db, --port and --tls-* override the config file.`

// Point reads on the server's own thread: measured with bench/call-cost.ts and
// bench/concurrent-reads.ts (bench/README.md), the hop to a worker cost a small read more CPU
// than the read, and a long read still runs on a worker.
const DEFAULT_POINT_READS: PointReads = 'main'

/** The settings of one `serve` run, after flags and config file are combined. */
export interface ServeSettings {
  readonly host: string
  readonly port: number
  /** Database file (absolute) or `:memory:`. */
  readonly filename: string
  readonly readonly: boolean
  readonly mustExist: boolean
  readonly enableUpgradeMigration: boolean
  /** Downgrade the file to this schema version, then exit (MLMD's `--downgrade_db_schema_version`). */
  readonly downgradeToSchemaVersion: number | undefined
  readonly allowForeignTables: boolean
  readonly tls: ServerTlsConfig | undefined
  readonly channelOptions: NonNullable<GrpcServerOptions['channelOptions']>
  /** The bearer token every call must carry (from `--auth-token-file`); never printed. */
  readonly authToken: string | undefined
  /** Where the token was read from, for messages that must not show the token itself. */
  readonly authTokenFile: string | undefined
  readonly logLevel: LogLevel
  /** Port of the Prometheus endpoint; none when undefined. */
  readonly metricsPort: number | undefined
  /** Port of the web explorer on 127.0.0.1 (`--ui-port`); none when absent. */
  readonly uiPort?: number | undefined
  /** Port of the grpc-web endpoint (`--grpc_web_port`) and the origins it lets call. */
  readonly grpcWeb?: { readonly port: number; readonly allowedOrigins: readonly string[] } | undefined
  /** `--max_response_bytes`: the response-size cap; undefined for the store's default. */
  readonly maxResponseBytes?: number | undefined
  /** Reader threads (`--read_workers`); undefined picks the number of cores, 0 runs in-thread. */
  readonly readWorkers?: number | undefined
  /** `--point_reads`: where point reads run beside read workers; undefined for the default. */
  readonly pointReads?: PointReads | undefined
  /** The store is in this server database (PostgreSQL), not in `filename`. */
  readonly server?: ServerDatabase | undefined
  /** `--lineage_nodes`: how `GetLineageSubgraph` answers nodes; undefined for the default. */
  readonly lineageNodes?: LineageNodes | undefined
  /** Serving processes (`--processes`); undefined or 1 serves in this process alone. */
  readonly processes?: number | undefined
}

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  1: true,
  yes: true,
  false: false,
  0: false,
  no: false,
}

// gflags-style booleans (`--flag=true`, `--noflag`), which MLMD deployments use, rewritten to
// what parseArgs understands.
function normalizeBooleanFlags(args: readonly string[], names: readonly string[]): string[] {
  const out: string[] = []
  for (const arg of args) {
    const match = /^--(no)?([A-Za-z_-]+)(?:=(.*))?$/.exec(arg)
    const name = match?.[2]
    if (match === null || name === undefined || !names.includes(name)) {
      out.push(arg)
      continue
    }
    let value = match[1] === undefined
    if (match[3] !== undefined) {
      const word = BOOLEAN_WORDS[match[3].toLowerCase()]
      if (word === undefined) throw usageError(`--${name} takes true or false, not "${match[3]}"`)
      value = match[1] === undefined ? word : !word
    }
    if (value) out.push(`--${name}`)
  }
  return out
}

function parsePort(text: string, flag: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) > 65535)
    throw usageError(`${flag} must be a port number, not "${text}"`)
  return Number(text)
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw usageError(`${flag}: cannot read ${file}: ${(error as Error).message}`)
  }
}

// MLMD's metadata_store_server flags for its server engines, after their prefix.
const POSTGRES_FLAGS = [
  'host',
  'hostaddr',
  'port',
  'user',
  'password',
  'passfile',
  'dbname',
  'skip_db_creation',
  'sslmode',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslrootcert',
] as const
const MYSQL_FLAGS = [
  'host',
  'port',
  'database',
  'user',
  'password',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'sslcapath',
  'sslcipher',
  'verify_server_cert',
] as const

type FlagValues = ReturnType<typeof parseFlags>['values']

/**
 * The server database the flags name, as MLMD's server picks it: `--db postgres://…`, or
 * `--metadata_source_config_type=postgresql` with the `--postgres_config_*` flags, or the config
 * file's `connection_config` (which `--db` overrides).
 */
function serverDatabaseOf(
  values: FlagValues,
  sourceType: string | undefined,
  fromConfig: ServerDatabase | undefined,
): ServerDatabase | undefined {
  const flag = (name: string) => (values as Record<string, string | boolean | undefined>)[name]
  if (typeof values.db === 'string' && /^postgres(ql)?:\/\//i.test(values.db)) {
    return { engine: 'postgresql', url: values.db }
  }
  if (typeof values.db === 'string' && /^(mysql|mariadb):\/\//i.test(values.db)) {
    return { engine: 'mysql', url: values.db.replace(/^mariadb:/i, 'mysql:') }
  }
  if (values.db !== undefined) return undefined
  const postgresGiven = POSTGRES_FLAGS.some((name) => flag(`postgres_config_${name}`) !== undefined)
  if (postgresGiven && sourceType !== 'postgresql') {
    // MLMD's server would ignore them and open something else: say so instead.
    throw usageError('--postgres_config_* flags take effect with --metadata_source_config_type=postgresql')
  }
  if (sourceType === 'postgresql') {
    const text = (name: string) => {
      const value = flag(`postgres_config_${name}`)
      return typeof value === 'string' && value !== '' ? value : undefined
    }
    if (text('host') === undefined && text('hostaddr') === undefined) {
      throw usageError('--metadata_source_config_type=postgresql needs --postgres_config_host (or _hostaddr)')
    }
    if (text('dbname') === undefined) throw usageError('--postgres_config_dbname must not be empty')
    try {
      return postgresqlSettings({
        host: text('host'),
        hostaddr: text('hostaddr'),
        port: text('port'),
        user: text('user'),
        password: text('password'),
        dbname: text('dbname'),
        skip_db_creation: flag('postgres_config_skip_db_creation') === true,
        ssloption: {
          sslmode: text('sslmode'),
          sslcert: text('sslcert'),
          sslkey: text('sslkey'),
          sslrootcert: text('sslrootcert'),
        },
      })
    } catch (error) {
      if (error instanceof MlmdError) throw usageError(error.rawMessage)
      throw error
    }
  }
  // MLMD's default: the config file if one is given, else the MySQL flags if any.
  const mysqlGiven = MYSQL_FLAGS.some((name) => flag(`mysql_config_${name}`) !== undefined)
  if (sourceType === 'mysql' || (mysqlGiven && sourceType !== 'config_file' && fromConfig === undefined)) {
    const text = (name: string) => {
      const value = flag(`mysql_config_${name}`)
      return typeof value === 'string' && value !== '' ? value : undefined
    }
    if (text('host') === undefined || text('database') === undefined || text('port') === undefined) {
      throw usageError(
        'To use MySQL, give all of --mysql_config_host, --mysql_config_port and --mysql_config_database',
      )
    }
    const port = parsePort(text('port') as string, '--mysql_config_port')
    try {
      return mysqlSettings({
        host: text('host'),
        port: BigInt(port),
        database: text('database'),
        user: text('user'),
        password: text('password'),
        ssl_options: {
          cert: text('sslcert'),
          key: text('sslkey'),
          ca: text('sslrootcert'),
          capath: text('sslcapath'),
          cipher: text('sslcipher'),
          verify_server_cert: flag('mysql_config_verify_server_cert') === true,
        },
      })
    } catch (error) {
      if (error instanceof MlmdError) throw usageError(error.rawMessage)
      throw error
    }
  }
  return fromConfig
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'auth-token-file': { type: 'string' },
        read_workers: { type: 'string' },
        point_reads: { type: 'string' },
        processes: { type: 'string' },
        log_level: { type: 'string' },
        metrics_port: { type: 'string' },
        max_response_bytes: { type: 'string' },
        'ui-port': { type: 'string' },
        grpc_web_port: { type: 'string' },
        grpc_web_origins: { type: 'string' },
        lineage_nodes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        grpc_port: { type: 'string' },
        metadata_store_server_config_file: { type: 'string' },
        enable_database_upgrade: { type: 'boolean' },
        downgrade_db_schema_version: { type: 'string' },
        allow_foreign_tables: { type: 'boolean' },
        grpc_channel_arguments: { type: 'string' },
        metadata_source_config_type: { type: 'string' },
        // Accepted for compatibility; the store retries its own lock contention.
        metadata_store_connection_retries: { type: 'string' },
        ...Object.fromEntries(
          POSTGRES_FLAGS.map((flag) => [
            `postgres_config_${flag}`,
            { type: flag === 'skip_db_creation' ? 'boolean' : 'string' },
          ]),
        ),
        ...Object.fromEntries(
          MYSQL_FLAGS.map((flag) => [
            `mysql_config_${flag}`,
            { type: flag === 'verify_server_cert' ? 'boolean' : 'string' },
          ]),
        ),
      },
    })
  } catch (error) {
    // node:util reports unknown or malformed options as TypeErrors with ERR_PARSE_ARGS_* codes.
    throw usageError((error as Error).message)
  }
}

/**
 * Reads the bearer token of `--auth-token-file`: the file's text without surrounding
 * whitespace. Messages name the file, never its contents.
 * @throws InvalidArgument when the file cannot be read or does not hold one valid token.
 */
export function readAuthToken(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw usageError(`--auth-token-file: cannot read ${file} (${reason})`)
  }
  const token = text.trim()
  try {
    validateBearerToken(token)
  } catch (error) {
    throw usageError(`--auth-token-file: ${file}: ${(error as MlmdError).rawMessage}`)
  }
  return token
}

/**
 * Combines the command line (and the config file it names) into settings.
 * @throws InvalidArgument for bad flags or a bad config file.
 */
export function parseServeArgs(args: readonly string[], cwd: string): ServeSettings {
  const { values, positionals } = parseFlags(
    normalizeBooleanFlags(args, [
      'enable_database_upgrade',
      'allow_foreign_tables',
      'help',
      'postgres_config_skip_db_creation',
      'mysql_config_verify_server_cert',
    ]),
  )
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`)
  const sourceType = values.metadata_source_config_type
  if (
    sourceType !== undefined &&
    !['default', 'config_file', 'sqlite', 'postgresql', 'mysql'].includes(sourceType)
  ) {
    throw usageError(
      `--metadata_source_config_type must be one of default, config_file, sqlite, postgresql, mysql, not "${sourceType}"`,
    )
  }

  let config: ServerConfigSettings = {}
  const configFile = values.metadata_store_server_config_file
  if (configFile !== undefined) {
    let text: string
    try {
      text = readFileSync(path.resolve(cwd, configFile), 'utf8')
    } catch (error) {
      throw usageError(
        `--metadata_store_server_config_file: cannot read ${configFile}: ${(error as Error).message}`,
      )
    }
    try {
      config = settingsFromServerConfig(parseServerConfig(text))
    } catch (error) {
      if (error instanceof MlmdError) throw usageError(`${configFile}: ${error.rawMessage}`)
      throw error
    }
  }

  if (values.port !== undefined && values.grpc_port !== undefined && values.port !== values.grpc_port) {
    throw usageError('--port and --grpc_port disagree; give one of them')
  }
  const portText = values.port ?? values.grpc_port
  const port =
    portText === undefined ? 8080 : parsePort(portText, values.port !== undefined ? '--port' : '--grpc_port')

  let tls = config.tls
  const [cert, key, ca] = [values['tls-cert'], values['tls-key'], values['tls-ca']]
  if (cert !== undefined || key !== undefined || ca !== undefined) {
    if (cert === undefined || key === undefined) throw usageError('--tls-cert and --tls-key go together')
    tls = {
      serverCert: readPem(path.resolve(cwd, cert), '--tls-cert'),
      serverKey: readPem(path.resolve(cwd, key), '--tls-key'),
      customCa: ca === undefined ? undefined : readPem(path.resolve(cwd, ca), '--tls-ca'),
      clientVerify: ca !== undefined,
    }
  }
  if (tls?.clientVerify === true && (tls.customCa === undefined || tls.customCa.length === 0)) {
    throw usageError('ssl_config.client_verify needs ssl_config.custom_ca to verify client certificates')
  }

  let channelOptions: ServeSettings['channelOptions'] = {}
  if (values.grpc_channel_arguments !== undefined) {
    try {
      channelOptions = parseChannelArguments(values.grpc_channel_arguments)
    } catch (error) {
      if (error instanceof MlmdError) throw usageError(error.rawMessage)
      throw error
    }
  }

  const tokenFile = values['auth-token-file']
  const authTokenFile = tokenFile === undefined ? undefined : path.resolve(cwd, tokenFile)
  const authToken = authTokenFile === undefined ? undefined : readAuthToken(authTokenFile)

  const logLevel = values.log_level ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw usageError(`--log_level must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`)
  }
  const metricsPort =
    values.metrics_port === undefined ? undefined : parsePort(values.metrics_port, '--metrics_port')
  let downgradeToSchemaVersion = config.downgradeToSchemaVersion
  const downgradeText = values.downgrade_db_schema_version
  if (downgradeText !== undefined) {
    if (!/^-?[0-9]+$/.test(downgradeText)) {
      throw usageError(`--downgrade_db_schema_version must be a schema version, not "${downgradeText}"`)
    }
    // MLMD's default, -1, means no downgrade.
    downgradeToSchemaVersion = Number(downgradeText) < 0 ? undefined : Number(downgradeText)
  }
  const enableUpgradeMigration =
    values.enable_database_upgrade === true || config.enableUpgradeMigration === true
  if (enableUpgradeMigration && downgradeToSchemaVersion !== undefined) {
    // MLMD's server stops on this combination too.
    throw usageError('--enable_database_upgrade and --downgrade_db_schema_version cannot be used together')
  }
  const uiPort = values['ui-port'] === undefined ? undefined : parsePort(values['ui-port'], '--ui-port')
  // The explorer answers without TLS or a token, so it would bypass both.
  if (uiPort !== undefined && (tls !== undefined || authToken !== undefined)) {
    throw usageError(
      '--ui-port cannot be combined with TLS or --auth-token-file (use mlmd-ts ui --grpc instead)',
    )
  }

  const grpcWebPort =
    values.grpc_web_port === undefined ? undefined : parsePort(values.grpc_web_port, '--grpc_web_port')
  const origins = (values.grpc_web_origins ?? '').split(',').map((o) => o.trim())
  if (values.grpc_web_origins !== undefined && grpcWebPort === undefined)
    throw usageError('--grpc_web_origins goes with --grpc_web_port')
  for (const origin of origins.filter((o) => o !== '' && o !== '*')) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      throw usageError(`--grpc_web_origins: "${origin}" is not an origin like https://ui.example.com`)
  }

  const workersText = values.read_workers
  if (workersText !== undefined && (!/^[0-9]+$/.test(workersText) || Number(workersText) > 256)) {
    throw usageError(`--read_workers must be a number from 0 to 256, not "${workersText}"`)
  }

  const pointReads = values.point_reads as PointReads | undefined
  if (pointReads !== undefined && !POINT_READS_CHOICES.includes(pointReads)) {
    throw usageError(`--point_reads must be one of ${POINT_READS_CHOICES.join(', ')}, not "${pointReads}"`)
  }

  const lineageNodes = values.lineage_nodes === undefined ? undefined : lineageNodesFrom(values.lineage_nodes)
  if (values.lineage_nodes !== undefined && lineageNodes === undefined) {
    throw usageError(
      `--lineage_nodes must be one of ${LINEAGE_NODES.join(', ')}, not "${values.lineage_nodes}"`,
    )
  }
  const processesText = values.processes
  if (
    processesText !== undefined &&
    (!/^[0-9]+$/.test(processesText) ||
      Number(processesText) < 1 ||
      Number(processesText) > MAX_SERVE_PROCESSES)
  ) {
    throw usageError(`--processes must be a number from 1 to ${MAX_SERVE_PROCESSES}, not "${processesText}"`)
  }
  const processes = processesText === undefined ? 1 : Number(processesText)

  const server = serverDatabaseOf(values, sourceType, config.server)
  const capText = values.max_response_bytes
  if (capText !== undefined && !/^[0-9]{1,15}$/.test(capText)) {
    throw usageError(`--max_response_bytes must be a number of bytes (0 for no cap), not "${capText}"`)
  }
  const db = values.db ?? config.filename ?? 'mlmd.sqlite'
  const fromFlag = values.db !== undefined
  if (processes > 1 && server === undefined && (db === ':memory:' || db === '')) {
    throw usageError(
      '--processes needs a database file or server: each process of :memory: would have a store of its own',
    )
  }
  if (processes > 1 && downgradeToSchemaVersion !== undefined) {
    throw usageError('--downgrade_db_schema_version serves nothing: give it without --processes')
  }
  return {
    ...(server === undefined ? {} : { server }),
    host: values.host ?? '127.0.0.1',
    port,
    filename: db === ':memory:' || db === '' ? ':memory:' : path.resolve(cwd, db),
    readonly: !fromFlag && config.readonly === true,
    mustExist: !fromFlag && config.mustExist === true,
    enableUpgradeMigration,
    downgradeToSchemaVersion,
    allowForeignTables: values.allow_foreign_tables === true,
    tls,
    channelOptions,
    authToken,
    authTokenFile,
    logLevel: logLevel as LogLevel,
    metricsPort,
    ...(uiPort === undefined ? {} : { uiPort }),
    ...(grpcWebPort === undefined
      ? {}
      : { grpcWeb: { port: grpcWebPort, allowedOrigins: origins.filter((o) => o !== '') } }),
    ...(workersText === undefined ? {} : { readWorkers: Number(workersText) }),
    ...(pointReads === undefined ? {} : { pointReads }),
    ...(lineageNodes === undefined ? {} : { lineageNodes }),
    ...(processes === 1 ? {} : { processes }),
    ...(capText === undefined
      ? {}
      : { maxResponseBytes: Number(capText) === 0 ? Infinity : Number(capText) }),
  }
}

// Whether users other than the owner may read the file (POSIX permission bits).
function readableByOthers(file: string): boolean {
  try {
    return process.platform !== 'win32' && (statSync(file).mode & 0o044) !== 0
  } catch {
    return false
  }
}

/**
 * How the server waits for another process's write lock. SQLite's own wait (the busy timeout)
 * is synchronous and would stop the whole server, so the store gives up after a moment and the
 * server retries the call on timers, answering other calls meanwhile, for up to 5 s (the wait a
 * client saw before) until it answers ABORTED.
 */
export const SERVE_BUSY_TIMEOUT_MS = 10
export const SERVE_ABORTED_RETRY_MS = 5_000

/**
 * How long a write in flight gets to commit or roll back after SIGTERM. Reads in flight are
 * answered UNAVAILABLE at once; a write is never left half-done either way (one transaction).
 */
export const SERVE_SHUTDOWN_GRACE_MS = 2_000

// Opens the store with the short busy timeout; while another process holds the write lock
// (opening writes the schema or checks the simple types), tries again for up to 5 s.
async function openStore(settings: ServeSettings, readonly: boolean, io: CliIo): Promise<OwnedMetadataStore> {
  const started = Date.now()
  for (;;) {
    try {
      return createMetadataStore({
        filename: settings.filename,
        readonly,
        mustExist: settings.mustExist,
        enableUpgradeMigration: settings.enableUpgradeMigration,
        downgradeToSchemaVersion: settings.downgradeToSchemaVersion,
        allowForeignTables: settings.allowForeignTables,
        onMigration: migrationReporter(io),
        busyTimeoutMs: SERVE_BUSY_TIMEOUT_MS,
        maxResponseBytes: settings.maxResponseBytes,
      })
    } catch (error) {
      if (!(error instanceof MlmdError) || error.code !== Code.Aborted) throw error
      if (Date.now() - started >= SERVE_ABORTED_RETRY_MS) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

function canAccess(file: string, mode: number): boolean {
  try {
    accessSync(file, mode)
    return true
  } catch {
    return false
  }
}

/**
 * Why `filename` could not be opened, in words a user can act on, instead of SQLite's ("unable
 * to open database file", "attempt to write a readonly database").
 */
export function explainOpenFailure(filename: string, existed: boolean, error: unknown): string {
  const dir = path.dirname(filename)
  const cause = error instanceof MlmdError ? error.cause : error
  const sqliteCode = (cause as { code?: unknown } | undefined)?.code
  if (!existed) {
    if (!existsSync(dir)) return `the folder ${dir} does not exist`
    if (!statSync(dir).isDirectory()) return `${dir} is not a folder`
    if (!canAccess(dir, constants.W_OK)) {
      return `the folder ${dir} is not writable, so the database cannot be created there`
    }
  } else {
    if (statSync(filename).isDirectory()) return `${filename} is a folder, not a database file`
    if (!canAccess(filename, constants.R_OK)) return `no permission to read ${filename}`
    if (sqliteCode === 'SQLITE_NOTADB') return `${filename} is not an SQLite database`
    if (sqliteCode === 'SQLITE_READONLY_DIRECTORY' || !canAccess(dir, constants.W_OK)) {
      return (
        `the file is read-only and its folder ${dir} is not writable, so SQLite cannot create the ` +
        `${path.basename(filename)}-shm file its WAL mode needs (make the folder writable, or copy the file to a writable place)`
      )
    }
  }
  // SQLite says "database or disk is full" or "disk I/O error"; say which disk, and how full.
  const free = freeBytes(dir)
  const ioError = typeof sqliteCode === 'string' && sqliteCode.startsWith('SQLITE_IOERR')
  if (sqliteCode === 'SQLITE_FULL' || (ioError && free !== undefined && free < LOW_DISK_BYTES)) {
    return `the disk holding ${dir} is full (${free ?? 'no'} bytes free): free some space, or choose another --db path`
  }
  if (ioError) {
    return `the disk or file system holding ${filename} failed to read or write it (SQLite's ${sqliteCode}); check the disk, then try again`
  }
  return MlmdError.from(error).rawMessage
}

// Below this, an I/O error while opening is most likely the disk filling up (SQLite reports a
// failed write of its -shm or -wal file as an I/O error, not as "full").
const LOW_DISK_BYTES = 1 << 20

function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir)
    return stats.bavail * stats.bsize
  } catch {
    return undefined
  }
}

// Removes a database file this run created (and its WAL companions), when the server did not start.
function removeCreatedStore(filename: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${filename}${suffix}`, { force: true })
}

/** Prints what a migration on open does: its plan, the backup copy, and the result. */
export function migrationReporter(io: CliIo): (event: MigrationEvent) => void {
  return (event) => {
    switch (event.kind) {
      case 'plan':
        if (event.plan.steps.length > 0) {
          io.err(
            `mlmd-ts: migrating the schema from version ${event.plan.from} to ${event.plan.to} (${event.plan.steps.length} steps, one transaction)`,
          )
        }
        return
      case 'backup':
        io.err(`mlmd-ts: copied the file as it was to ${event.path}`)
        return
      case 'progress': {
        // One line per version step, so a long migration shows that it moves.
        const { step, statement } = event.progress
        if (statement === step.statements.length)
          io.err(`mlmd-ts: schema version ${step.from} -> ${step.to} migrated`)
        return
      }
      case 'done':
        io.err(`mlmd-ts: the schema is now at version ${event.plan.to}`)
        return
    }
  }
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return (
    bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::ffff:127.0.0.1'
  )
}

/**
 * Runs `mlmd-ts serve` until SIGINT or SIGTERM, then shuts down (calls in flight finish, the
 * database closes) and resolves with exit code 0. With `--processes N` this process supervises
 * N serving children instead (see `serve-processes.ts`).
 */
export async function serve(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(SERVE_USAGE)
    return 0
  }
  const settings = parseServeArgs(args, io.cwd)
  const processes = settings.processes ?? 1
  const link = processes > 1 ? serveProcessLink() : undefined
  const rootLogger = createServerLogger(settings.logLevel, io.err)
  // Every line of a child says which process wrote it.
  const logger = link === undefined ? rootLogger : rootLogger.child({ process: link.index })
  // grpc-js prints its own raw lines (one for a port in use); the start errors below say it better.
  routeGrpcLibraryLog((line) => logger.debug({ source: 'grpc-js' }, line))
  if (processes > 1 && link === undefined) return superviseServe(settings, processes, io, logger)
  const serveIo = link === undefined ? io : link.childIo(io)
  if (settings.server !== undefined)
    return serveServerDatabase(settings, settings.server, serveIo, logger, link)

  const opened = await openServeFile(settings, serveIo, link === undefined ? logger : undefined)
  if (typeof opened === 'number') return opened
  const { store, existed, inMemory, readonly } = opened
  const stopStore = () => {
    store.close()
    if (!existed && !inMemory) removeCreatedStore(settings.filename)
  }
  // With worker threads (a file, and --read_workers not 0), the store opened here only made
  // sure the file holds the current schema; each worker opens its own connection. The main
  // thread then keeps its connection only for the explorer, whose bounded page reads run here.
  const inThread = inMemory || settings.readWorkers === 0
  const keepStore = inThread || settings.uiPort !== undefined
  return runServer(
    settings,
    serveIo,
    logger,
    {
      backend: inThread
        ? { store }
        : {
            workers: {
              store: {
                filename: settings.filename,
                readonly,
                mustExist: true,
                busyTimeoutMs: SERVE_BUSY_TIMEOUT_MS,
                maxResponseBytes: settings.maxResponseBytes,
              },
              readWorkers: settings.readWorkers,
              pointReads: settings.pointReads ?? DEFAULT_POINT_READS,
              onWorkerTrouble: (message: string) => io.err(`mlmd-ts: ${message}`),
            },
          },
      label: fileLabel(settings, readonly),
      databaseFile: inMemory ? undefined : settings.filename,
      explorerStore: () => toAsyncMetadataStore(store),
      started: () => {
        if (!keepStore) store.close()
      },
      // A child leaves the file to the supervisor, which created it.
      failed: link === undefined ? stopStore : () => store.close(),
      stopped: () => {
        if (keepStore) store.close()
      },
    },
    link,
  )
}

function fileLabel(settings: ServeSettings, readonly: boolean): string {
  return `${settings.filename}${readonly ? ' (read-only)' : ''}`
}

/** A SQLite store opened for `serve`, and what is known about its file. */
interface OpenedFile {
  readonly store: OwnedMetadataStore
  readonly existed: boolean
  readonly inMemory: boolean
  readonly readonly: boolean
}

// Opens the file of `settings` (creating, migrating or checking it), with errors a user can act
// on; a number is the exit code of a finished downgrade.
async function openServeFile(
  settings: ServeSettings,
  io: CliIo,
  logger: ReturnType<typeof createServerLogger> | undefined,
): Promise<OpenedFile | number> {
  const inMemory = settings.filename === ':memory:'
  const existed = !inMemory && existsSync(settings.filename)
  // A file this process may not write is served read-only, and said so, rather than failing
  // every write later.
  const readOnlyFile = existed && !settings.readonly && !canAccess(settings.filename, constants.W_OK)
  const readonly = settings.readonly || readOnlyFile
  let store: OwnedMetadataStore
  try {
    store = await openStore(settings, readonly, io)
  } catch (error) {
    // A requested downgrade ends in CANCELLED, as in MLMD: the work is done, the server exits.
    if (
      settings.downgradeToSchemaVersion !== undefined &&
      error instanceof MlmdError &&
      error.code === Code.Cancelled
    ) {
      io.out(`mlmd-ts: ${error.rawMessage}`)
      return 0
    }
    const reason = explainOpenFailure(settings.filename, existed, error)
    // Leave nothing behind: a half-created file would be taken for a store next time.
    if (!existed && !inMemory) removeCreatedStore(settings.filename)
    throw new MlmdError(Code.FailedPrecondition, `cannot open ${settings.filename}: ${reason}`, {
      cause: error,
    })
  }
  // Said once: by the supervisor of `--processes`, not by each child.
  if (readOnlyFile && logger !== undefined) {
    const notice = `${settings.filename} is read-only for this process, so the store is served read-only: reads work, writes answer FAILED_PRECONDITION`
    io.err(`mlmd-ts: notice: ${notice}`)
    logger.warn({ file: settings.filename }, notice)
  }
  return { store, existed, inMemory, readonly }
}

/**
 * `serve --processes N`: opens the database once here (creating the schema or migrating it
 * before any child serves, and failing early with the same messages as one process), closes
 * it, and supervises N children that serve it.
 */
async function superviseServe(
  settings: ServeSettings,
  processes: number,
  io: CliIo,
  logger: ReturnType<typeof createServerLogger>,
): Promise<number> {
  let label: string
  let created: string | undefined
  if (settings.server !== undefined) {
    const store = await openServerStore(settings, settings.server, io)
    if (typeof store === 'number') return store
    await store.close()
    label = describeServerDatabase(settings.server)
  } else {
    const opened = await openServeFile(settings, io, logger)
    if (typeof opened === 'number') return opened
    opened.store.close()
    label = fileLabel(settings, opened.readonly)
    if (!opened.existed) created = settings.filename
  }
  let announced = false
  const code = await superviseServeProcesses({
    processes,
    host: settings.host,
    metricsPort: settings.metricsPort,
    io,
    logger,
    announce: (started, metricsPort) => {
      announced = true
      const each =
        started.readWorkers === undefined
          ? ''
          : `, each with ${started.readWorkers} read workers and 1 write worker`
      announceServer(settings, io, {
        port: started.port,
        label,
        metricsPort,
        serving: `; ${processes} serving processes${each}`,
        grpcWebPort: started.grpcWebPort,
        explorerUrl: started.explorerUrl,
      })
    },
  })
  // Leave nothing behind when nothing served: a created file would be taken for a store next time.
  if (!announced && created !== undefined) removeCreatedStore(created)
  return code
}

/** What the start line and the lines after it tell. */
interface ServerAnnouncement {
  readonly port: number
  readonly label: string
  readonly metricsPort: number | undefined
  /** How many threads or processes serve, as the end of the start line. */
  readonly serving: string
  readonly grpcWebPort: number | undefined
  readonly explorerUrl: string | undefined
}

// The start line (tools wait for it), the grpc-web and explorer lines, and the warnings.
function announceServer(settings: ServeSettings, io: CliIo, what: ServerAnnouncement): void {
  const transport =
    settings.tls === undefined ? 'plaintext' : settings.tls.clientVerify ? 'mutual TLS' : 'TLS'
  // The start line says that a token is required, never which one.
  const security = settings.authToken === undefined ? transport : `${transport}, bearer token required`
  io.out(
    `mlmd-ts serving ml_metadata.MetadataStoreService on ${formatAddress(settings.host, what.port)} (${security}); ` +
      `store ${what.label}, schema version ${SCHEMA_VERSION}` +
      (what.metricsPort === undefined
        ? ''
        : `; metrics on ${formatAddress(settings.host, what.metricsPort)}/metrics`) +
      what.serving,
  )
  if (what.grpcWebPort !== undefined) {
    const scheme = settings.tls === undefined ? 'http' : 'https'
    io.out(`mlmd-ts grpc-web on ${scheme}://${formatAddress(settings.host, what.grpcWebPort)} (${security})`)
  }
  if (what.explorerUrl !== undefined) io.out(`mlmd-ts explorer on ${what.explorerUrl} (read-only)`)
  if (settings.tls === undefined && !isLoopback(settings.host)) {
    io.err(
      `mlmd-ts: warning: serving without TLS on ${settings.host}, which other machines can reach; ` +
        (settings.authToken === undefined
          ? 'anyone who can connect can read and write the store (use --tls-cert/--tls-key or ssl_config)'
          : 'the bearer token travels in clear text (use --tls-cert/--tls-key or ssl_config)'),
    )
  }
  if (settings.grpcWeb?.allowedOrigins.includes('*') === true && settings.authToken === undefined) {
    io.err(
      'mlmd-ts: warning: --grpc_web_origins=* without --auth-token-file lets any web page a user of this machine opens read and write the store',
    )
  }
  if (settings.authTokenFile !== undefined && readableByOthers(settings.authTokenFile)) {
    io.err(`mlmd-ts: warning: ${settings.authTokenFile} is readable by other users; restrict it (chmod 600)`)
  }
}

/** A store opened for `serve`, and what the server lifecycle does with it. */
interface ServedStore {
  /** What the gRPC server runs calls on: the store itself, or worker threads. */
  readonly backend: Pick<GrpcServerOptions, 'store' | 'workers'>
  /** How the start line names the store (never with a password). */
  readonly label: string
  /** The SQLite file whose size the metrics report. */
  readonly databaseFile: string | undefined
  readonly explorerStore: () => AsyncMetadataStore
  /** Called once the server listens. */
  started?(): void
  /** Called when the server could not start: release the store and what it created. */
  failed(): void | Promise<void>
  /** Called after a normal shutdown. */
  stopped(): void | Promise<void>
}

/**
 * Serves `served` until SIGINT or SIGTERM: the gRPC server, the metrics endpoint, grpc-web and
 * the explorer, the start line and the warnings, then a graceful shutdown.
 */
async function runServer(
  settings: ServeSettings,
  io: CliIo,
  logger: ReturnType<typeof createServerLogger>,
  served: ServedStore,
  link?: ServeProcessLink | undefined,
): Promise<number> {
  const metrics = new ServerMetrics({ databaseFile: served.databaseFile })
  let server: GrpcServer
  try {
    server = await createGrpcServer({
      ...served.backend,
      host: settings.host,
      port: settings.port,
      tls: settings.tls,
      channelOptions: settings.channelOptions,
      authToken: settings.authToken,
      grpcWeb: settings.grpcWeb,
      abortedRetryMs: SERVE_ABORTED_RETRY_MS,
      lineageNodes: settings.lineageNodes,
      // The call logger reports these, with their stack and request id.
      onUnexpectedError: () => {},
      observers: [callLogger(logger), metrics],
      // Once per run: later writes are refused (FAILED_PRECONDITION) without more noise.
      onCorruption: (rpc, message) =>
        logger.error(
          { rpc, file: settings.filename, error: message },
          'the database file is corrupt: writes are refused from now on; run mlmd-ts check --db FILE and restore a backup',
        ),
    })
  } catch (error) {
    await served.failed()
    throw error
  }
  metrics.watchPool(() => server.poolStats())
  let metricsServer: MetricsServer | undefined
  // A child of `--processes` leaves the endpoint to the supervisor, which asks every child.
  if (link !== undefined) link.shareMetrics(metrics)
  else if (settings.metricsPort !== undefined) {
    try {
      metricsServer = await startMetricsServer(metrics, settings.host, settings.metricsPort)
    } catch (error) {
      server.forceShutdown()
      await served.failed()
      throw error
    }
  }
  served.started?.()

  let explorer: ExplorerServer | undefined
  if (settings.uiPort !== undefined) {
    try {
      explorer = await startExplorerServer({
        store: served.explorerStore(),
        port: settings.uiPort,
        sourceLabel: served.label,
      })
    } catch (error) {
      await server.shutdown(SERVE_SHUTDOWN_GRACE_MS)
      await metricsServer?.close()
      await served.failed()
      throw error
    }
  }
  const readWorkers = served.backend.workers === undefined ? undefined : server.readWorkers
  if (link !== undefined) {
    link.announce({
      port: server.port,
      grpcWebPort: server.grpcWebPort,
      explorerUrl: explorer?.url,
      readWorkers,
    })
  } else {
    announceServer(settings, io, {
      port: server.port,
      label: served.label,
      metricsPort: metricsServer?.port,
      serving: readWorkers === undefined ? '' : `; ${readWorkers} read workers and 1 write worker`,
      grpcWebPort: server.grpcWebPort,
      explorerUrl: explorer?.url,
    })
  }

  await io.waitForSignal(() => {
    // A second signal while shutting down stops at once.
    io.err('mlmd-ts: stopping now')
    server.forceShutdown()
  })
  // The supervisor says it once for all its children.
  if (link === undefined) io.err('mlmd-ts: shutting down (letting calls in flight finish)')
  const [report] = await Promise.all([server.shutdown(SERVE_SHUTDOWN_GRACE_MS), explorer?.close()])
  await metricsServer?.close()
  await served.stopped()
  if (report.stuckWorkers > 0) {
    // A thread inside a runaway SQLite statement cannot be interrupted, and would hold up a
    // normal exit until it returns; every write has committed or rolled back, so stop now.
    io.err(
      `mlmd-ts: stopped (${report.stuckWorkers} store worker(s) still inside SQLite: exiting without them)`,
    )
    io.exitNow?.()
    return 0
  }
  if (link === undefined) io.err('mlmd-ts: stopped')
  return 0
}

/**
 * `serve` on a server database (PostgreSQL): every call runs on the server's thread over the
 * driver's connection pool, which waits for the database without blocking other calls; several
 * `mlmd-ts serve` processes can share the database.
 */
async function serveServerDatabase(
  settings: ServeSettings,
  database: ServerDatabase,
  io: CliIo,
  logger: ReturnType<typeof createServerLogger>,
  link: ServeProcessLink | undefined,
): Promise<number> {
  const store = await openServerStore(settings, database, io)
  if (typeof store === 'number') return store
  return runServer(
    settings,
    io,
    logger,
    {
      backend: { store },
      label: describeServerDatabase(database),
      databaseFile: undefined,
      explorerStore: () => store,
      failed: () => store.close(),
      stopped: () => store.close(),
    },
    link,
  )
}

// Opens (creating or migrating) the server database; a number is the exit code of a finished
// downgrade.
async function openServerStore(
  settings: ServeSettings,
  database: ServerDatabase,
  io: CliIo,
): Promise<OwnedAsyncMetadataStore | number> {
  const where = describeServerDatabase(database)
  try {
    return await openServerDatabase(database, {
      allowForeignTables: settings.allowForeignTables,
      enableUpgradeMigration: settings.enableUpgradeMigration,
      onMigrationPlan: (plan) =>
        io.err(`mlmd-ts: migrating the schema of ${where} from version ${plan.from} to ${plan.to}`),
      ...(settings.downgradeToSchemaVersion === undefined
        ? {}
        : { downgradeToSchemaVersion: settings.downgradeToSchemaVersion }),
    })
  } catch (error) {
    // A requested downgrade ends in CANCELLED, as in MLMD: the work is done, the server exits.
    if (
      settings.downgradeToSchemaVersion !== undefined &&
      error instanceof MlmdError &&
      error.code === Code.Cancelled
    ) {
      io.out(`mlmd-ts: ${error.rawMessage}`)
      return 0
    }
    throw new MlmdError(
      Code.FailedPrecondition,
      `cannot open ${where}: ${MlmdError.from(error).rawMessage}`,
      {
        cause: error,
      },
    )
  }
}
