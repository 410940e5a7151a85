/**
 * MLMD's server configuration, read the way `metadata_store_server_main.cc` reads it: a
 * text-format `MetadataStoreServerConfig` (`--metadata_store_server_config_file`) and the
 * `--grpc_channel_arguments` list. The results are settings for the store and the server.
 */

import { readFileSync } from 'node:fs'
import type { ServerOptions } from '@grpc/grpc-js'
import { Code, MlmdError } from '../errors.js'
import { messageType } from '../proto/load-root.js'
import type {
  MetadataStoreServerConfig,
  MySQLDatabaseConfig,
  PostgreSQLDatabaseConfig,
  SqliteMetadataSourceConfig,
} from '../proto/messages.js'
import { SqliteMetadataSourceConfig_ConnectionMode as ConnectionMode } from '../proto/messages.js'
import type { ServerDatabase } from '../store/server-engine-store.js'
import type { ServerTlsConfig } from './grpc-server.js'
import { parseTextFormat } from './text-format.js'

/** What a server config asks of the store and the server; absent entries are not configured. */
export interface ServerConfigSettings {
  /** Database file, or `:memory:`. */
  readonly filename?: string
  /** Open the file read-only (`connection_mode: READONLY`, or `?mode=ro` in a file: URI). */
  readonly readonly?: boolean
  /** Do not create a missing file (`connection_mode: READWRITE`). */
  readonly mustExist?: boolean
  /** `migration_options.enable_upgrade_migration`. */
  readonly enableUpgradeMigration?: boolean
  /** `migration_options.downgrade_to_schema_version`, when 0 or more. */
  readonly downgradeToSchemaVersion?: number
  /** `ssl_config`. */
  readonly tls?: ServerTlsConfig
  /** `connection_config.postgresql` / `.mysql`: the store is on a server engine, not a file. */
  readonly server?: ServerDatabase
}

const invalid = (message: string) => new MlmdError(Code.InvalidArgument, message)

/**
 * Parses the text-format contents of a `--metadata_store_server_config_file`.
 * @throws InvalidArgument when the text is not a valid `MetadataStoreServerConfig`.
 */
export function parseServerConfig(text: string): MetadataStoreServerConfig {
  return parseTextFormat<MetadataStoreServerConfig>(
    messageType('ml_metadata.MetadataStoreServerConfig'),
    text,
  )
}

/**
 * A SQLite `filename_uri` as a file name: MLMD opens it with `SQLITE_OPEN_URI`, so it may be a
 * plain path or a `file:` URI (`file:mlmd.db`, `file:///data/mlmd.db?mode=ro`).
 */
export function sqliteFilenameFromUri(uri: string): { filename: string; readonly?: boolean } {
  if (uri === '') return { filename: ':memory:' }
  if (!uri.startsWith('file:')) return { filename: uri }
  let rest = uri.slice('file:'.length)
  const hash = rest.indexOf('#')
  if (hash >= 0) rest = rest.slice(0, hash)
  const question = rest.indexOf('?')
  const query = new URLSearchParams(question >= 0 ? rest.slice(question + 1) : '')
  let path = question >= 0 ? rest.slice(0, question) : rest
  if (path.startsWith('//')) {
    // file://authority/path: SQLite accepts only an empty authority or "localhost".
    const slash = path.indexOf('/', 2)
    const authority = slash < 0 ? path.slice(2) : path.slice(2, slash)
    if (authority !== '' && authority !== 'localhost') {
      throw invalid(`connection_config.sqlite.filename_uri: unsupported authority "${authority}" in ${uri}`)
    }
    path = slash < 0 ? '' : path.slice(slash)
  }
  const mode = query.get('mode')
  if (mode === 'memory' || path === ':memory:') return { filename: ':memory:' }
  const filename = decodeURIComponent(path)
  if (filename === '') throw invalid(`connection_config.sqlite.filename_uri: no file name in ${uri}`)
  return mode === 'ro' ? { filename, readonly: true } : { filename }
}

function sqliteSettings(sqlite: SqliteMetadataSourceConfig): ServerConfigSettings {
  const { filename, readonly } = sqliteFilenameFromUri(sqlite.filename_uri ?? '')
  switch (sqlite.connection_mode) {
    case ConnectionMode.READONLY:
      return { filename, readonly: true }
    case ConnectionMode.READWRITE:
      return readonly === true ? { filename, readonly } : { filename, mustExist: true }
    default:
      return readonly === true ? { filename, readonly } : { filename }
  }
}

function readPemFile(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw invalid(`${field}: cannot read ${file}: ${(error as Error).message}`)
  }
}

/**
 * MLMD's `PostgreSQLDatabaseConfig` (libpq's parameters) as our connection settings. `sslmode`
 * `require` encrypts without checking the server's certificate, `verify-ca` / `verify-full`
 * check it against `sslrootcert`; `disable`, `allow` and `prefer` connect without TLS.
 */
export function postgresqlSettings(config: PostgreSQLDatabaseConfig): ServerDatabase {
  const port = config.port === undefined || config.port === '' ? undefined : Number(config.port)
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw invalid(`postgresql.port must be a port number, not "${config.port}"`)
  }
  const ssl = config.ssloption
  const mode = ssl?.sslmode ?? 'disable'
  if (!['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(mode)) {
    throw invalid(
      `postgresql.ssloption.sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not "${mode}"`,
    )
  }
  let tls: ServerDatabase['ssl']
  if (mode === 'require' || mode === 'verify-ca' || mode === 'verify-full') {
    tls = {
      rejectUnauthorized: mode !== 'require',
      ...(ssl?.sslrootcert ? { ca: readPemFile(ssl.sslrootcert, 'postgresql.ssloption.sslrootcert') } : {}),
      ...(ssl?.sslcert ? { cert: readPemFile(ssl.sslcert, 'postgresql.ssloption.sslcert') } : {}),
      ...(ssl?.sslkey ? { key: readPemFile(ssl.sslkey, 'postgresql.ssloption.sslkey') } : {}),
    }
  }
  const host = config.host || config.hostaddr || undefined
  return {
    engine: 'postgresql',
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    ...(config.user ? { user: config.user } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.dbname ? { database: config.dbname } : {}),
    ...(config.skip_db_creation === true ? { skipDbCreation: true } : {}),
    ...(tls === undefined ? {} : { ssl: tls }),
  }
}

/**
 * MLMD's `MySQLDatabaseConfig` as our connection settings. Its SSL options name files (as the
 * MySQL client library takes them); TLS is on when any is given, and the server's certificate
 * is checked only with `verify_server_cert`, as in MLMD.
 */
export function mysqlSettings(config: MySQLDatabaseConfig): ServerDatabase {
  const port = config.port === undefined ? undefined : Number(config.port)
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw invalid(`mysql.port must be a port number, not ${config.port}`)
  }
  const ssl = config.ssl_options
  const anySsl = ssl !== undefined && Boolean(ssl.key || ssl.cert || ssl.ca || ssl.capath || ssl.cipher)
  return {
    engine: 'mysql',
    ...(config.host ? { host: config.host } : {}),
    ...(port === undefined || port === 0 ? {} : { port }),
    ...(config.database ? { database: config.database } : {}),
    ...(config.user ? { user: config.user } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.socket ? { socket: config.socket } : {}),
    ...(config.skip_db_creation === true ? { skipDbCreation: true } : {}),
    ...(anySsl
      ? {
          ssl: {
            rejectUnauthorized: ssl?.verify_server_cert === true,
            ...(ssl?.ca ? { ca: readPemFile(ssl.ca, 'mysql.ssl_options.ca') } : {}),
            ...(ssl?.cert ? { cert: readPemFile(ssl.cert, 'mysql.ssl_options.cert') } : {}),
            ...(ssl?.key ? { key: readPemFile(ssl.key, 'mysql.ssl_options.key') } : {}),
          },
        }
      : {}),
  }
}

function tlsSettings(ssl: NonNullable<MetadataStoreServerConfig['ssl_config']>): ServerTlsConfig {
  if (!ssl.server_key || !ssl.server_cert) {
    throw invalid('ssl_config needs both server_key and server_cert (PEM contents, not file names)')
  }
  return {
    serverKey: ssl.server_key,
    serverCert: ssl.server_cert,
    customCa: ssl.custom_ca,
    clientVerify: ssl.client_verify === true,
  }
}

/**
 * The settings a parsed config asks for.
 * @throws InvalidArgument for MySQL or PostgreSQL connections (mlmd-ts stores in SQLite only),
 *   or an incomplete `ssl_config`.
 */
export function settingsFromServerConfig(config: MetadataStoreServerConfig): ServerConfigSettings {
  let settings: ServerConfigSettings = {}
  const connection = config.connection_config
  if (connection?.mysql !== undefined) settings = { server: mysqlSettings(connection.mysql) }
  if (connection?.postgresql !== undefined) settings = { server: postgresqlSettings(connection.postgresql) }
  // MLMD's fake database is an in-memory SQLite database.
  if (connection?.fake_database !== undefined) settings = { filename: ':memory:' }
  if (connection?.sqlite !== undefined) settings = sqliteSettings(connection.sqlite)
  if (config.migration_options?.enable_upgrade_migration !== undefined) {
    settings = { ...settings, enableUpgradeMigration: config.migration_options.enable_upgrade_migration }
  }
  const downgrade = config.migration_options?.downgrade_to_schema_version
  if (downgrade !== undefined && downgrade >= 0n) {
    settings = { ...settings, downgradeToSchemaVersion: Number(downgrade) }
  }
  if (config.ssl_config !== undefined) settings = { ...settings, tls: tlsSettings(config.ssl_config) }
  return settings
}

/**
 * Parses MLMD's `--grpc_channel_arguments`: comma-separated `key=value` pairs, integers where
 * the value is one (as MLMD's server passes them to `AddChannelArgument`), strings otherwise.
 * The message-size limits, which grpc-js also reads, must be integers.
 * @throws InvalidArgument for a malformed list.
 */
export function parseChannelArguments(text: string): ServerOptions {
  const options: Record<string, string | number> = {}
  for (const item of text.split(',')) {
    if (item.trim() === '') continue
    const eq = item.indexOf('=')
    if (eq <= 0) throw invalid(`--grpc_channel_arguments: expected key=value, found "${item}"`)
    const key = item.slice(0, eq).trim()
    const raw = item.slice(eq + 1).trim()
    const value = /^-?[0-9]+$/.test(raw) ? Number(raw) : raw
    if (
      (key === 'grpc.max_receive_message_length' || key === 'grpc.max_send_message_length') &&
      typeof value !== 'number'
    ) {
      throw invalid(`--grpc_channel_arguments: ${key} must be an integer, found "${raw}"`)
    }
    options[key] = value
  }
  return options as ServerOptions
}
