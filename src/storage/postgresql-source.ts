/**
 * The PostgreSQL driver: runs operation bodies on pooled connections to a database in MLMD's
 * PostgreSQL schema (MLMD's `PostgreSQLMetadataSource`), asynchronously.
 *
 * Transactions:
 * - a read is `REPEATABLE READ READ ONLY`: every statement of the body sees one snapshot, and
 *   it never waits for a writer;
 * - a write takes a transaction-scoped advisory lock first, so the writes of every mlmd-ts
 *   process on the database run one at a time, as on SQLite. MLMD's own PostgreSQL backend
 *   runs writers side by side under READ COMMITTED, and two that create the same type at once
 *   both insert it (the type table has no unique key on names): serialized writers each see
 *   what the previous one committed, so no type or context is ever created twice.
 * - the call's deadline and the statement budget become `statement_timeout`, the lock wait
 *   `lock_timeout`, both for this transaction only.
 *
 * Nothing is memoised across transactions: another replica may change any type at any time,
 * and PostgreSQL has no cheap equivalent of SQLite's `data_version` that covers every writer.
 */
import pg from 'pg'
import { Code, MlmdError } from '../errors.js'
import { POSTGRESQL_DIALECT } from './dialect.js'
import type {
  AsyncOperationExecutor,
  CallOptions,
  Op,
  Query,
  RunResult,
  SqlValue,
  Statement,
  TransactionMode,
  Tx,
} from './transaction-executor.js'
import { deadlinePassedError, driveOnConnection } from './transaction-executor.js'

/** Where and how to connect (MLMD's `PostgreSQLDatabaseConfig`, or a URL). */
export interface PostgresqlConfig {
  /** `postgres://user:password@host:port/dbname?sslmode=…`; fields below override its parts. */
  readonly url?: string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly user?: string | undefined
  readonly password?: string | undefined
  readonly database?: string | undefined
  /** TLS to the server: `true` (verify against the system CAs) or the `tls.connect` options. */
  readonly ssl?:
    | boolean
    | { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean }
    | undefined
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
// The advisory lock every mlmd-ts writer on a database takes ('mlmd' in ASCII).
const WRITE_LOCK_KEY = 0x6d6c6d64
// Serialization failures and deadlocks (only possible against other kinds of writers) are retried
// this many times inside the driver before the client gets ABORTED.
const CONFLICT_RETRIES = 3

// Integers come back as bigint, as from SQLite; booleans as 1n/0n, which the codecs read.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    switch (oid) {
      case 20:
      case 21:
      case 23:
        return (text: string) => BigInt(text)
      case 16:
        return (text: string) => (text === 't' ? 1n : 0n)
      default:
        return pg.types.getTypeParser(oid, format)
    }
  },
}

/**
 * Translates an error of `pg` (or of the connection) into an `MlmdError`, by SQLSTATE. Messages
 * never carry SQL text; the statement goes with the cause, for the log.
 */
export function fromPostgresqlError(error: unknown, deadline?: number): MlmdError {
  if (error instanceof MlmdError) return error
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  const options = { cause: error }
  if (typeof code === 'string') {
    switch (code) {
      case '23505':
        return new MlmdError(Code.AlreadyExists, `Given node already exists: ${message}`, options)
      case '40001':
      case '40P01':
      case '55P03':
        return new MlmdError(Code.Aborted, `Concurrent writes aborted: ${message}`, options)
      case '57014':
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
      case '22003':
        return new MlmdError(
          Code.InvalidArgument,
          `A number is out of range for its column: int_value and ids are 32-bit integers in MLMD's PostgreSQL schema (${message})`,
          options,
        )
      case '22001':
        return new MlmdError(
          Code.InvalidArgument,
          `A value is too long for its column: names, versions and external ids are at most 255 characters in MLMD's PostgreSQL schema (${message})`,
          options,
        )
      case '54000':
        return new MlmdError(
          Code.InvalidArgument,
          `A value is too large for PostgreSQL's index on its column (long string property values must compress below about 2.7 KB): ${message}`,
          options,
        )
      case '22021':
      case '22P05':
        return new MlmdError(Code.InvalidArgument, `PostgreSQL cannot store this text: ${message}`, options)
      case '22P02':
        return new MlmdError(Code.InvalidArgument, `Invalid value: ${message}`, options)
      case '3D000':
        return new MlmdError(Code.FailedPrecondition, `The database does not exist: ${message}`, options)
      case '28P01':
      case '28000':
        return new MlmdError(Code.FailedPrecondition, `PostgreSQL refused the login: ${message}`, options)
      case '25006':
        return new MlmdError(Code.FailedPrecondition, `The database is read-only: ${message}`, options)
      case '53300':
      case '57P01':
      case '57P02':
      case '57P03':
        return new MlmdError(Code.Unavailable, `PostgreSQL is unavailable: ${message}`, options)
    }
    // Connection exceptions (class 08) and socket errors: the server is down or unreachable.
    if (
      code.startsWith('08') ||
      /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND|AI_AGAIN)$/.test(code)
    ) {
      return new MlmdError(Code.Unavailable, `PostgreSQL is unreachable: ${message}`, options)
    }
  }
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return new MlmdError(Code.Unavailable, `PostgreSQL is unreachable: ${message}`, options)
  }
  return new MlmdError(Code.Internal, `Error when executing query: ${message}`, options)
}

// `?` placeholders renumbered as `$1, $2, …` (outside quoted strings), once per text.
const numbered = new Map<string, string>()
const NUMBERED_LIMIT = 4096

/** Rewrites the `?` placeholders of `sql` as PostgreSQL's `$n`. */
export function numberPlaceholders(sql: string): string {
  let text = numbered.get(sql)
  if (text !== undefined) return text
  let n = 0
  let quoted = false
  let out = ''
  for (const char of sql) {
    if (char === "'") quoted = !quoted
    out += char === '?' && !quoted ? `$${++n}` : char
  }
  text = out
  if (numbered.size >= NUMBERED_LIMIT) numbered.clear()
  numbered.set(sql, text)
  return text
}

// Statement texts prepared once per connection under a name. Texts of variable shape (filters)
// beyond the limit run unnamed, so no connection keeps an unbounded set of prepared statements.
const preparedNames = new Map<string, string>()
const PREPARED_LIMIT = 1000

function preparedName(sql: string): string | undefined {
  let name = preparedNames.get(sql)
  if (name === undefined && preparedNames.size < PREPARED_LIMIT) {
    name = `mlmd_ts_${preparedNames.size}`
    preparedNames.set(sql, name)
  }
  return name
}

/** The parts of a `postgres://` URL (libpq's form: `sslmode` in the query). */
function urlParts(text: string): pg.PoolConfig {
  const url = new URL(text)
  const parts: pg.PoolConfig = {}
  if (url.hostname !== '') parts.host = decodeURIComponent(url.hostname).replace(/^\[|\]$/g, '')
  if (url.port !== '') parts.port = Number(url.port)
  if (url.username !== '') parts.user = decodeURIComponent(url.username)
  if (url.password !== '') parts.password = decodeURIComponent(url.password)
  if (url.pathname.length > 1) parts.database = decodeURIComponent(url.pathname.slice(1))
  const mode = url.searchParams.get('sslmode')
  if (mode === 'require') parts.ssl = { rejectUnauthorized: false }
  else if (mode === 'verify-ca' || mode === 'verify-full') parts.ssl = { rejectUnauthorized: true }
  return parts
}

function connectionSettings(config: PostgresqlConfig, database?: string): pg.PoolConfig {
  // The URL is taken apart here: given to pg as a connection string, its parts would override
  // the explicit fields (and the database this driver connects to to create the database).
  const settings: pg.PoolConfig = {
    ...(config.url === undefined ? {} : urlParts(config.url)),
    max: config.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    types,
    application_name: 'mlmd-ts',
  }
  if (config.host !== undefined) settings.host = config.host
  if (config.port !== undefined) settings.port = config.port
  if (config.user !== undefined) settings.user = config.user
  if (config.password !== undefined) settings.password = config.password
  if (config.database !== undefined) settings.database = config.database
  if (database !== undefined) settings.database = database
  if (config.ssl !== undefined && config.ssl !== false) settings.ssl = config.ssl
  return settings
}

const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** A pool of connections to one PostgreSQL database, and the driver of operations on it. */
export class PostgresqlSource implements AsyncOperationExecutor {
  readonly dialect = POSTGRESQL_DIALECT
  /** Where the pool connects, without the password: for messages and logs. */
  readonly description: string
  #pool: pg.Pool
  #lockTimeoutMs: number
  #budgetMs: number
  #closed = false

  private constructor(pool: pg.Pool, description: string, config: PostgresqlConfig) {
    this.#pool = pool
    this.description = description
    this.#lockTimeoutMs = config.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
    this.#budgetMs = config.statementBudgetMs ?? DEFAULT_STATEMENT_BUDGET_MS
    // An idle connection the server closed (a restart) must not take the process down; the
    // pool drops it and the next call connects anew.
    pool.on('error', () => {})
  }

  /**
   * Connects (creating the database first unless `skipDbCreation`), and checks that the
   * server answers. The schema is not touched here; see `schema/postgresql-env.ts`.
   * @throws FailedPrecondition when the login is refused or the database is missing.
   * @throws Unavailable when the server cannot be reached.
   */
  static async open(config: PostgresqlConfig): Promise<PostgresqlSource> {
    const settings = connectionSettings(config)
    const description = describe(settings)
    const pool = new pg.Pool(settings)
    const source = new PostgresqlSource(pool, description, config)
    try {
      await source.#ping()
    } catch (error) {
      const translated = fromPostgresqlError(error)
      const database = settings.database
      if (
        (error as { code?: string }).code !== '3D000' ||
        config.skipDbCreation === true ||
        database === undefined
      ) {
        await pool.end()
        throw withPlace(translated, description)
      }
      await createDatabase(config, database)
      await source.#ping().catch(async (retried) => {
        await pool.end()
        throw withPlace(fromPostgresqlError(retried), description)
      })
    }
    return source
  }

  async #ping(): Promise<void> {
    const { client, release } = await checkOut(this.#pool)
    try {
      await client.query('SELECT 1')
    } finally {
      release()
    }
  }

  /** See {@link AsyncOperationExecutor.perform}. Conflicts with other writers are retried a few times. */
  async perform<T>(mode: TransactionMode, body: (tx: Tx) => Op<T>, options?: CallOptions): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#performOnce(mode, body, options?.deadline)
      } catch (error) {
        const retriable =
          error instanceof MlmdError &&
          error.code === Code.Aborted &&
          ['40001', '40P01'].includes((error.cause as { code?: string } | undefined)?.code ?? '')
        if (!retriable || attempt >= CONFLICT_RETRIES) throw error
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
    let client: pg.PoolClient
    let release: (broken?: Error) => void
    try {
      ;({ client, release } = await checkOut(this.#pool))
    } catch (error) {
      throw fromPostgresqlError(error, deadline)
    }
    let broken: Error | undefined
    let begun = false
    // Begun with the body's first statement: a call that needs none (an empty request, one
    // refused by validation) costs no round trip.
    const begin = async (): Promise<void> => {
      const budget = Math.max(1, Math.ceil(Math.min(this.#budgetMs, (deadline ?? Infinity) - Date.now())))
      // One round trip: begin, the limits of this transaction, and (for a write) the writers' lock.
      let text = `${this.dialect.begin(mode)}; SET LOCAL statement_timeout = ${budget}`
      if (mode === 'write') {
        text += `; SET LOCAL lock_timeout = ${this.#lockTimeoutMs}; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`
      }
      begun = true
      await client.query(text)
    }
    try {
      return await driveOnConnection(
        this.dialect,
        body,
        {
          begin,
          execute: (statement) => run(client, statement, deadline),
          commit: async () => {
            await client.query('COMMIT')
            begun = false
          },
        },
        deadline,
      )
    } catch (error) {
      const translated = fromPostgresqlError(error, deadline)
      if (translated.code === Code.Unavailable) broken = error as Error
      if (begun && broken === undefined) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError
        })
      }
      throw translated
    } finally {
      release(broken)
    }
  }

  /** Runs plain statements outside the operations (schema setup, checks) in one transaction. */
  async execute<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const { client, release } = await checkOut(this.#pool).catch((error) => {
      throw fromPostgresqlError(error)
    })
    try {
      await client.query('BEGIN')
      const result = await body(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw fromPostgresqlError(error)
    } finally {
      release()
    }
  }

  /** Closes every connection; later calls fail with FAILED_PRECONDITION. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }
}

/**
 * A connection of the pool, watched while it is checked out. A server that ends the session
 * between two statements (a restart sends FATAL 57P01 to every session) makes pg emit `error` on
 * the client; unheard, that event would end the process. Heard, the connection is released as
 * broken, so the pool drops it and connects anew.
 */
async function checkOut(
  pool: pg.Pool,
): Promise<{ client: pg.PoolClient; release: (broken?: Error) => void }> {
  const client = await pool.connect()
  let lost: Error | undefined
  const onLost = (error: Error) => {
    lost = error
  }
  client.on('error', onLost)
  return {
    client,
    release: (broken) => {
      client.off('error', onLost)
      client.release(broken ?? lost)
    },
  }
}

async function run(
  client: pg.PoolClient,
  statement: Statement,
  deadline: number | undefined,
): Promise<unknown> {
  const { query } = statement
  let result: pg.QueryResult
  try {
    result = await client.query(toConfig(query))
  } catch (error) {
    throw fromPostgresqlError(error, deadline)
  }
  switch (statement.kind) {
    case 'all':
      return result.rows
    case 'get':
      return result.rows[0]
    case 'column':
    case 'cursor': {
      const name = result.fields[0]?.name
      return name === undefined ? [] : result.rows.map((row) => row[name])
    }
    case 'run': {
      const id = result.rows[0]?.id
      return {
        changes: result.rowCount ?? 0,
        lastInsertRowid: typeof id === 'bigint' ? id : 0n,
      } satisfies RunResult
    }
  }
}

const INT32_MIN = -(2n ** 31n)
const INT32_MAX = 2n ** 31n - 1n

function toConfig(query: Query): pg.QueryConfig<SqlValue[]> {
  const text = numberPlaceholders(query.sql)
  const values = query.params as SqlValue[]
  // PostgreSQL types a parameter from its column, and MLMD's ids and int_value are 32-bit: a
  // larger value would fail to parse. Cast to BIGINT, it is compared exactly (an id that cannot
  // exist finds nothing, as in MLMD, which writes ids into its SQL as literals) and stored only
  // if it fits (else "out of range", answered INVALID_ARGUMENT).
  const wide = values.flatMap((v, i) =>
    typeof v === 'bigint' && (v < INT32_MIN || v > INT32_MAX) ? [i + 1] : [],
  )
  if (wide.length > 0) {
    const casted = text.replace(/\$(\d+)\b/g, (placeholder, n: string) =>
      wide.includes(Number(n)) ? `CAST(${placeholder} AS BIGINT)` : placeholder,
    )
    return { text: casted, values }
  }
  const name = preparedName(text)
  return name === undefined ? { text, values } : { name, text, values }
}

function describe(settings: pg.PoolConfig): string {
  return `postgresql://${settings.host ?? 'localhost'}:${settings.port ?? 5432}/${settings.database ?? ''}`
}

function withPlace(error: MlmdError, description: string): MlmdError {
  return new MlmdError(error.code, `${error.rawMessage} (${description})`, { cause: error.cause })
}

// MLMD creates the database it is told to use when it is missing (unless skip_db_creation).
async function createDatabase(config: PostgresqlConfig, database: string): Promise<void> {
  const admin = new pg.Client(connectionSettings(config, 'postgres'))
  try {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${quoteIdentifier(database)}`)
  } catch (error) {
    // Another replica created it at the same moment.
    if ((error as { code?: string }).code !== '42P04') throw fromPostgresqlError(error)
  } finally {
    await admin.end().catch(() => {})
  }
}
