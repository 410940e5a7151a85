/**
 * The MySQL driver (MySQL 8, MariaDB 10.6+): runs operation bodies on pooled connections to a
 * database in MLMD's MySQL schema (MLMD's `MySqlMetadataSource`), asynchronously.
 *
 * Transactions: a read is `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` (InnoDB's
 * REPEATABLE READ: one snapshot, no locks). A write first takes the named lock every mlmd-ts
 * process on the database takes (`GET_LOCK`), so writers run one at a time and each sees what
 * the previous one committed: no type or context is ever created twice, and InnoDB's gap-lock
 * deadlocks between our own writers cannot happen. The call's deadline and the statement
 * budget become the session's statement time limit.
 *
 * Text: MLMD's MySQL client never sets a connection character set, so it talks latin1, and the
 * UTF-8 bytes of every string it stores are read by the server as latin1 characters and stored
 * as such ("ü" is kept as "Ã¼"). MLMD reads its own text back correctly; a client that talks
 * UTF-8 would see those characters, and MLMD would see garbage in text a UTF-8 client stored.
 * So that either side reads the other's rows, this driver stores text exactly as MLMD does
 * ({@link toMlmdText}) and reads it back the same way ({@link fromMlmdText}). Comparisons and
 * LIKE on non-ASCII text then behave as they do for MLMD.
 *
 * Nothing is memoised across transactions (another replica may change any type).
 */
import mysql from 'mysql2/promise'
import { Code, MlmdError } from '../errors.js'
import { MYSQL_DIALECT } from './dialect.js'
import type {
  AsyncOperationExecutor,
  CallOptions,
  Op,
  RunResult,
  SqlValue,
  Statement,
  TransactionMode,
  Tx,
} from './transaction-executor.js'
import { deadlinePassedError, driveOnConnection } from './transaction-executor.js'

/** Where and how to connect (MLMD's `MySQLDatabaseConfig`, or a URL). */
export interface MysqlConfig {
  /** `mysql://user:password@host:port/database`; fields below override its parts. */
  readonly url?: string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly user?: string | undefined
  readonly password?: string | undefined
  readonly database?: string | undefined
  /** A Unix socket instead of host and port. */
  readonly socket?: string | undefined
  /** TLS to the server (`tls.connect` options: ca, cert, key, rejectUnauthorized). */
  readonly ssl?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } | undefined
  /** Do not create the database when it does not exist (MLMD's `skip_db_creation`). */
  readonly skipDbCreation?: boolean | undefined
  /** Connections in the pool (default 10). */
  readonly poolSize?: number | undefined
  /** How long a write waits for the other writers before answering ABORTED (default 5 s). */
  readonly lockTimeoutMs?: number | undefined
  /** The longest a statement may run before RESOURCE_EXHAUSTED (default 60 s). */
  readonly statementBudgetMs?: number | undefined
}

const DEFAULT_POOL_SIZE = 10
const DEFAULT_LOCK_TIMEOUT_MS = 5000
const DEFAULT_STATEMENT_BUDGET_MS = 60_000
const CONNECT_TIMEOUT_MS = 10_000
const WRITE_LOCK = 'mlmd_ts_write'
// Deadlocks and lock waits (only possible against other kinds of writers) are retried this many
// times inside the driver before the client gets ABORTED.
const CONFLICT_RETRIES = 3

// MySQL's latin1 is Windows-1252, with the five bytes Windows leaves undefined mapped to the C1
// controls of the same number.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
]
const BYTE_TO_CHAR: string[] = Array.from({ length: 256 }, (_, b) =>
  String.fromCharCode(b >= 0x80 && b < 0xa0 ? (CP1252_HIGH[b - 0x80] as number) : b),
)
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]))
// Any UTF-16 unit past U+007F (surrogates included): text without one is ASCII.
const NON_ASCII = /[\u0080-\uffff]/

/** Text as MLMD stores it on MySQL: each byte of its UTF-8 read as a latin1 character. */
export function toMlmdText(text: string): string {
  if (!NON_ASCII.test(text)) return text
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) out += BYTE_TO_CHAR[byte]
  return out
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Text stored by MLMD (or by us) on MySQL, back as it was written. Text that cannot be MLMD's
 * encoding (a character outside latin1, or bytes that are not UTF-8: written by another client)
 * is returned as the server gave it.
 */
export function fromMlmdText(stored: string): string {
  if (!NON_ASCII.test(stored)) return stored
  const bytes = new Uint8Array(stored.length)
  for (let i = 0; i < stored.length; i++) {
    const byte = CHAR_TO_BYTE.get(stored[i] as string)
    if (byte === undefined) return stored
    bytes[i] = byte
  }
  try {
    return utf8.decode(bytes)
  } catch {
    return stored
  }
}

// Columns that hold bytes (base64 text of an Any, our −0.0 marker) rather than text.
const BYTES_COLUMNS = new Set(['proto_value', 'byte_value'])
const INTEGER_TYPES = new Set(['TINY', 'SHORT', 'LONG', 'INT24', 'LONGLONG', 'YEAR'])
const TEXT_TYPES = new Set([
  'VAR_STRING',
  'STRING',
  'VARCHAR',
  'BLOB',
  'TINY_BLOB',
  'MEDIUM_BLOB',
  'LONG_BLOB',
])

// Integers come back as bigint, as from SQLite; text undone from MLMD's encoding.
const typeCast: mysql.TypeCast = (field, next) => {
  if (INTEGER_TYPES.has(field.type)) {
    const text = field.string()
    return text === null ? null : BigInt(text)
  }
  if (TEXT_TYPES.has(field.type)) {
    if (BYTES_COLUMNS.has(field.name)) {
      const bytes = field.buffer()
      return bytes === null ? null : bytes.toString('latin1')
    }
    const text = field.string()
    return text === null ? null : fromMlmdText(text)
  }
  return next()
}

/**
 * Translates an error of `mysql2` (or of the connection) into an `MlmdError`, by error number.
 * Messages never carry SQL text.
 */
export function fromMysqlError(error: unknown, deadline?: number): MlmdError {
  if (error instanceof MlmdError) return error
  const { errno, code } = (error ?? {}) as { errno?: unknown; code?: unknown }
  // The server quotes the values in its messages (a duplicate name) in the connection's latin1,
  // i.e. as MLMD's text is stored: read back, a non-ASCII name shows as it was written.
  const message = fromMlmdText(error instanceof Error ? error.message : String(error))
  const options = { cause: error }
  switch (errno) {
    case 1062:
      return new MlmdError(Code.AlreadyExists, `Given node already exists: ${message}`, options)
    case 1213:
    case 1205:
      return new MlmdError(Code.Aborted, `Concurrent writes aborted: ${message}`, options)
    case 1969: // MariaDB: max_statement_time exceeded
    case 3024: // MySQL: max_execution_time exceeded
      return deadline !== undefined && Date.now() >= deadline - 5
        ? new MlmdError(
            Code.DeadlineExceeded,
            'The deadline passed while the call ran; nothing was done.',
            options,
          )
        : new MlmdError(
            Code.ResourceExhausted,
            'The query ran longer than the statement time budget and was stopped; narrow it (a filter, a smaller page).',
            options,
          )
    case 1264:
      return new MlmdError(
        Code.InvalidArgument,
        `A number is out of range for its column: int_value and ids are 32-bit integers in MLMD's MySQL schema (${message})`,
        options,
      )
    case 1406:
      return new MlmdError(
        Code.InvalidArgument,
        `A value is too long for its column: names, versions and external ids are at most 255 characters in MLMD's MySQL schema, counted as MLMD stores them (a non-ASCII character counts once per byte of its UTF-8) (${message})`,
        options,
      )
    case 1265:
    case 1366:
    case 1367:
      return new MlmdError(
        Code.InvalidArgument,
        `MySQL cannot store this value (NaN and infinite doubles included): ${message}`,
        options,
      )
    case 1267:
    case 1270:
    case 1271:
      return new MlmdError(Code.InvalidArgument, `MySQL cannot compare these texts: ${message}`, options)
    case 1049:
      return new MlmdError(Code.FailedPrecondition, `The database does not exist: ${message}`, options)
    case 1044:
    case 1045:
      return new MlmdError(Code.FailedPrecondition, `MySQL refused the login: ${message}`, options)
    case 1290:
    case 1792:
      return new MlmdError(Code.FailedPrecondition, `The database is read-only: ${message}`, options)
    case 1040:
    case 1053:
    case 2002:
    case 2003:
    case 2006:
    case 2013:
      return new MlmdError(Code.Unavailable, `MySQL is unavailable: ${message}`, options)
  }
  if (
    typeof code === 'string' &&
    /^(E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND|AI_AGAIN)|PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT)$/.test(
      code,
    )
  ) {
    return new MlmdError(Code.Unavailable, `MySQL is unreachable: ${message}`, options)
  }
  if (/closed state|Connection lost|connect ETIMEDOUT|Pool is closed/i.test(message)) {
    return new MlmdError(Code.Unavailable, `MySQL is unreachable: ${message}`, options)
  }
  return new MlmdError(Code.Internal, `Error when executing query: ${message}`, options)
}

/** Parameters as the text protocol takes them: MLMD's text encoding, exact integers. */
function toMysqlParams(params: readonly SqlValue[]): unknown[] {
  return params.map((value) => {
    if (typeof value === 'string') return toMlmdText(value)
    // Written into the statement as digits, so no precision is lost either way.
    if (typeof value === 'bigint')
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new MlmdError(Code.InvalidArgument, 'MySQL cannot store or compare NaN or infinite doubles')
    }
    return value
  })
}

function connectionSettings(config: MysqlConfig, withDatabase = true): mysql.PoolOptions {
  const url = config.url === undefined ? undefined : new URL(config.url)
  const database =
    config.database ??
    (url && url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined)
  const settings: mysql.PoolOptions = {
    host: config.host ?? url?.hostname ?? 'localhost',
    port: config.port ?? (url?.port ? Number(url.port) : 3306),
    user: config.user ?? (url?.username ? decodeURIComponent(url.username) : undefined),
    password: config.password ?? (url?.password ? decodeURIComponent(url.password) : undefined),
    connectionLimit: config.poolSize ?? DEFAULT_POOL_SIZE,
    connectTimeout: CONNECT_TIMEOUT_MS,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    typeCast,
    multipleStatements: false,
  }
  if (withDatabase && database !== undefined) settings.database = database
  if (config.socket !== undefined) settings.socketPath = config.socket
  if (config.ssl !== undefined) settings.ssl = config.ssl
  return settings
}

/** A pool of connections to one MySQL database, and the driver of operations on it. */
export class MysqlSource implements AsyncOperationExecutor {
  readonly dialect = MYSQL_DIALECT
  /** Where the pool connects, without the password: for messages and logs. */
  readonly description: string
  #pool: mysql.Pool
  #lockTimeoutMs: number
  #budgetMs: number
  // MariaDB limits statements with `max_statement_time` (seconds), MySQL with
  // `max_execution_time` (milliseconds, SELECT only).
  #mariadb = false
  #closed = false

  private constructor(pool: mysql.Pool, description: string, config: MysqlConfig) {
    this.#pool = pool
    this.description = description
    this.#lockTimeoutMs = config.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
    this.#budgetMs = config.statementBudgetMs ?? DEFAULT_STATEMENT_BUDGET_MS
  }

  /**
   * Connects (creating the database first unless `skipDbCreation`, as MLMD does), and checks
   * that the server answers. The schema is not touched here; see `schema/mysql-env.ts`.
   * @throws FailedPrecondition when the login is refused or the database is missing.
   * @throws Unavailable when the server cannot be reached.
   */
  static async open(config: MysqlConfig): Promise<MysqlSource> {
    const settings = connectionSettings(config)
    const description = `mysql://${settings.socketPath ?? `${settings.host}:${settings.port}`}/${settings.database ?? ''}`
    if (settings.database === undefined) {
      throw new MlmdError(Code.InvalidArgument, `No database named for ${description}`)
    }
    if (config.skipDbCreation !== true) await createDatabase(config, settings.database)
    const pool = mysql.createPool(settings)
    const source = new MysqlSource(pool, description, config)
    try {
      const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version')
      source.#mariadb = /mariadb/i.test(String(rows[0]?.version ?? ''))
    } catch (error) {
      await pool.end().catch(() => {})
      const translated = fromMysqlError(error)
      throw new MlmdError(translated.code, `${translated.rawMessage} (${description})`, { cause: error })
    }
    return source
  }

  /** See {@link AsyncOperationExecutor.perform}. Conflicts with other writers are retried a few times. */
  async perform<T>(mode: TransactionMode, body: (tx: Tx) => Op<T>, options?: CallOptions): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#performOnce(mode, body, options?.deadline)
      } catch (error) {
        const errno = (
          error instanceof MlmdError ? (error.cause as { errno?: number } | undefined) : undefined
        )?.errno
        if ((errno !== 1213 && errno !== 1205) || attempt >= CONFLICT_RETRIES) throw error
        await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 5))
      }
    }
  }

  async #performOnce<T>(
    mode: TransactionMode,
    body: (tx: Tx) => Op<T>,
    deadline: number | undefined,
  ): Promise<T> {
    if (this.#closed) throw new MlmdError(Code.FailedPrecondition, 'The metadata store is closed.')
    if (deadline !== undefined && Date.now() >= deadline) throw deadlinePassedError()
    let connection: mysql.PoolConnection
    try {
      connection = await this.#pool.getConnection()
    } catch (error) {
      throw fromMysqlError(error, deadline)
    }
    let broken = false
    let locked = false
    let begun = false
    // Begun with the body's first statement: a call that needs none (an empty request, one
    // refused by validation) costs no round trip.
    const begin = async (): Promise<void> => {
      const budgetMs = Math.max(1, Math.ceil(Math.min(this.#budgetMs, (deadline ?? Infinity) - Date.now())))
      await connection.query(
        this.#mariadb
          ? `SET SESSION max_statement_time = ${(budgetMs / 1000).toFixed(3)}`
          : `SET SESSION max_execution_time = ${budgetMs}`,
      )
      if (mode === 'write') {
        const waitMs = Math.min(this.#lockTimeoutMs, (deadline ?? Infinity) - Date.now())
        const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [
          WRITE_LOCK,
          Math.max(0, waitMs / 1000),
        ])
        if (rows[0]?.got !== 1n) {
          throw new MlmdError(
            Code.Aborted,
            'Concurrent writes aborted: another writer held the store for too long',
          )
        }
        locked = true
      }
      await connection.query(this.dialect.begin(mode))
      begun = true
    }
    try {
      return await driveOnConnection(
        this.dialect,
        body,
        {
          begin,
          execute: (statement) => run(connection, statement, deadline),
          commit: async () => {
            await connection.query('COMMIT')
            begun = false
          },
        },
        deadline,
      )
    } catch (error) {
      const translated = fromMysqlError(error, deadline)
      if (translated.code === Code.Unavailable) broken = true
      if (begun && !broken) await connection.query('ROLLBACK').catch(() => (broken = true))
      throw translated
    } finally {
      if (locked && !broken)
        await connection.query('DO RELEASE_LOCK(?)', [WRITE_LOCK]).catch(() => (broken = true))
      // A connection in an unknown state (its lock, its transaction) is closed, not reused.
      if (broken) connection.destroy()
      else connection.release()
    }
  }

  /** Runs plain statements outside the operations (schema setup, checks). */
  async execute<T>(body: (connection: mysql.PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.#pool.getConnection().catch((error) => {
      throw fromMysqlError(error)
    })
    try {
      return await body(connection)
    } catch (error) {
      throw fromMysqlError(error)
    } finally {
      connection.release()
    }
  }

  /** Closes every connection; later calls fail with FAILED_PRECONDITION. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }
}

async function run(
  connection: mysql.PoolConnection,
  statement: Statement,
  deadline: number | undefined,
): Promise<unknown> {
  const { query } = statement
  let result: unknown
  try {
    ;[result] = await connection.query(query.sql, toMysqlParams(query.params))
  } catch (error) {
    throw fromMysqlError(error, deadline)
  }
  switch (statement.kind) {
    case 'all':
      return result
    case 'get':
      return (result as unknown[])[0]
    case 'column':
    case 'cursor':
      // Rows keep the columns in the statement's order.
      return (result as Record<string, unknown>[]).map((row) => Object.values(row)[0])
    case 'run': {
      const header = result as mysql.ResultSetHeader
      return {
        changes: header.affectedRows,
        lastInsertRowid: BigInt(header.insertId ?? 0),
      } satisfies RunResult
    }
  }
}

// MLMD creates the database it is told to use when it is missing (unless skip_db_creation).
async function createDatabase(config: MysqlConfig, database: string): Promise<void> {
  let connection: mysql.Connection | undefined
  try {
    connection = await mysql.createConnection(connectionSettings(config, false))
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '``')}\``)
  } catch (error) {
    // Allowed to use the database but not to create databases: fine if it exists already.
    const errno = (error as { errno?: number }).errno
    if (errno !== 1044 && errno !== 1227) throw fromMysqlError(error)
  } finally {
    await connection?.end().catch(() => {})
  }
}
