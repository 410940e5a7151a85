/**
 * The SQLite connection (MLMD's `SqliteMetadataSource`), and the only module that imports
 * better-sqlite3. It opens a file or `:memory:`, sets the pragmas, caches prepared statements,
 * runs transactions for the store, and translates every SQLite error into an `MlmdError`.
 */
import Database from 'better-sqlite3'
import { Code, corruptStoreRefusesWrites, MlmdError } from '../errors.js'
import { type Dialect, SQLITE_DIALECT, WITHIN_BUDGET_FUNCTION } from './dialect.js'
import {
  type CallOptions,
  type DirectTx,
  driveSync,
  type Op,
  type OperationExecutor,
  type Query,
  type Row,
  type RunResult,
  type Statement,
  type TransactionMode,
  type Tx,
} from './transaction-executor.js'

/** How to open a store file. */
export interface OpenOptions {
  /** A file path, or `:memory:` (also used for an empty string, as MLMD does). */
  readonly filename: string
  /** Open without write access; the file must exist and already hold a schema. */
  readonly readonly?: boolean
  /** Fail instead of creating the file when it does not exist. */
  readonly mustExist?: boolean
  /**
   * How long a writer waits for another connection's lock before giving up with `ABORTED`.
   * MLMD's own busy handler waits up to about two seconds; the default here is five.
   */
  readonly busyTimeoutMs?: number
  /**
   * The longest one call may spend in scans that check their budget (filtered listings) when it
   * has no deadline of its own: past it
   * the statement is stopped and the call answered RESOURCE_EXHAUSTED, so no query can keep a
   * connection busy for minutes. Default 60 s.
   */
  readonly statementBudgetMs?: number
  /**
   * Told once, when a call of this connection first finds the file corrupt (SQLite's
   * SQLITE_CORRUPT); from then on the connection refuses writes (see {@link MetadataSource.corruption}).
   */
  readonly onCorruption?: ((error: MlmdError) => void) | undefined
  /**
   * The most bytes one response should hold, so that one call cannot take the server's memory:
   * a listing serves a shorter page (with a token for the rest), an unpaged read is refused
   * with RESOURCE_EXHAUSTED. `Infinity` for no cap; default the store's (about 4 MB).
   */
  readonly maxResponseBytes?: number | undefined
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000
const DEFAULT_STATEMENT_BUDGET_MS = 60_000

/**
 * Translates an error thrown by better-sqlite3 into an `MlmdError`. `sql` goes with the cause
 * (`cause.sql`) of unexpected errors, for the log, so a failure can be traced to its statement.
 *
 * MLMD detects unique violations by searching INTERNAL messages for "UNIQUE"; better-sqlite3
 * gives the extended result code, so we switch on that instead.
 */
export function fromSqliteError(error: unknown, sql?: string): MlmdError {
  if (error instanceof MlmdError) return error
  if (error instanceof Database.SqliteError) {
    switch (error.code) {
      // Constraint violations on UNIQUE columns and primary keys: MLMD reports ALREADY_EXISTS
      // for duplicate names, external ids, events and parent links.
      case 'SQLITE_CONSTRAINT_UNIQUE':
      case 'SQLITE_CONSTRAINT_PRIMARYKEY':
        return new MlmdError(Code.AlreadyExists, `Given node already exists: ${error.message}`, {
          cause: error,
        })
      // Lock contention: MLMD answers ABORTED ("Concurrent writes aborted"), which both the
      // Python and the Go clients retry.
      case 'SQLITE_BUSY':
      case 'SQLITE_BUSY_SNAPSHOT':
      case 'SQLITE_BUSY_RECOVERY':
      case 'SQLITE_LOCKED':
      case 'SQLITE_LOCKED_SHAREDCACHE':
        return new MlmdError(Code.Aborted, `Concurrent writes aborted: ${error.message}`, { cause: error })
      case 'SQLITE_READONLY':
        return new MlmdError(Code.FailedPrecondition, `The store is read-only: ${error.message}`, {
          cause: error,
        })
      case 'SQLITE_CANTOPEN':
      case 'SQLITE_NOTADB':
        return new MlmdError(Code.FailedPrecondition, `Cannot open the database: ${error.message}`, {
          cause: error,
        })
      // Every SQLITE_CORRUPT* code (a damaged page, index or sequence) loses data; MLMD's
      // status for it is DATA_LOSS too.
      case 'SQLITE_CORRUPT':
      case 'SQLITE_CORRUPT_INDEX':
      case 'SQLITE_CORRUPT_SEQUENCE':
      case 'SQLITE_CORRUPT_VTAB':
        return new MlmdError(Code.DataLoss, `The database file is corrupt: ${error.message}`, {
          cause: error,
        })
      // The transaction was rolled back whole; retrying helps once space is freed.
      case 'SQLITE_FULL':
        return new MlmdError(
          Code.ResourceExhausted,
          'The disk holding the database file is full; nothing of this call was written. Free space on the server and retry.',
          { cause: error },
        )
    }
    // The statement goes with the cause (for the server log), never into the message: SQL text
    // must not reach clients.
    const cause = sql === undefined ? error : Object.assign(error, { sql: sql.trim() })
    // SQLite refuses LIKE patterns over 50,000 bytes (SQLITE_MAX_LIKE_PATTERN_LENGTH); the pattern
    // comes from the request (a filter's `||`, or a stored value it names), not from us.
    if (error.message === 'LIKE or GLOB pattern too complex') {
      return new MlmdError(
        Code.InvalidArgument,
        'A LIKE pattern in filter_query is too long: SQLite takes at most 50,000 bytes',
        { cause },
      )
    }
    return new MlmdError(Code.Internal, `Error when executing query: ${error.message}`, { cause })
  }
  return MlmdError.from(error, Code.Internal)
}

// Bounded so that statements with a variable shape cannot grow the cache without limit.
const STATEMENT_CACHE_LIMIT = 512

/** An open SQLite connection holding an MLMD store, and the synchronous driver of operations. */
export class MetadataSource implements OperationExecutor {
  readonly filename: string
  readonly readonly: boolean
  readonly dialect: Dialect = SQLITE_DIALECT
  #db: Database.Database
  #statements = new Map<string, Database.Statement>()
  #columnStatements = new Map<string, Database.Statement>()
  #inTransaction = false
  #begin: { read: Database.Statement; write: Database.Statement }
  #commit: Database.Statement
  #rollback: Database.Statement
  #dataVersion: Database.Statement
  #memo = new Map<string, unknown>()
  // The data_version the memo was filled at; checked once per transaction, on first use.
  #memoVersion: bigint | undefined
  #memoChecked = false
  #statementBudgetMs: number
  // The running call's deadline, and when its statements must stop (see `withinBudget`; NaN
  // until a statement first checks) with what they answer then.
  #deadline = Infinity
  #stopAt = Infinity
  #stopError: () => MlmdError = deadlineError
  #corruption: MlmdError | undefined
  #onCorruption: ((error: MlmdError) => void) | undefined
  #closed = false
  // Where a read of #performRead stands: not begun yet (and whether the memo was checked
  // meanwhile), or begun; `none` outside such a read.
  #lazyRead: LazyRead = 'none'

  private constructor(db: Database.Database, filename: string, readonly: boolean, options: OpenOptions) {
    this.#db = db
    this.filename = filename
    this.readonly = readonly
    this.#statementBudgetMs = options.statementBudgetMs ?? DEFAULT_STATEMENT_BUDGET_MS
    this.#onCorruption = options.onCorruption
    this.#opTx = { ...this.#opTx, maxResponseBytes: options.maxResponseBytes }
    // SQLite has no statement timeout; long scans call this per row they visit (the dialect's
    // `withinBudget`), and its exception stops the statement inside the engine.
    db.function(WITHIN_BUDGET_FUNCTION, { deterministic: false, varargs: true }, () => {
      const now = Date.now()
      if (Number.isNaN(this.#stopAt)) {
        const budgetEnd = now + this.#statementBudgetMs
        this.#stopAt = Math.min(this.#deadline, budgetEnd)
        this.#stopError = this.#deadline <= budgetEnd ? deadlineError : budgetError
      }
      if (now > this.#stopAt) throw this.#stopError()
      return 1
    })
    this.#begin = { read: db.prepare('BEGIN DEFERRED'), write: db.prepare('BEGIN IMMEDIATE') }
    this.#commit = db.prepare('COMMIT')
    this.#rollback = db.prepare('ROLLBACK')
    // Changes when another connection commits: read inside a transaction, it tells whether the
    // snapshot differs from the one the memo was filled from (this connection's own commits
    // leave it alone; writers of memoised data forget the memo themselves).
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck()
  }

  /**
   * Opens (and by default creates) the database file. The schema is not touched here; see
   * `initMetadataStore` in `schema/mlmd-env.ts`.
   *
   * `checkBeforeWrite` runs on the new connection before anything is written to the file (the
   * switch to WAL changes the file's header): a check that refuses the file by throwing leaves
   * it byte for byte as it was.
   * @throws FailedPrecondition when the file cannot be opened or is not a database.
   */
  static open(options: OpenOptions, checkBeforeWrite?: (source: MetadataSource) => void): MetadataSource {
    const filename = options.filename === '' ? ':memory:' : options.filename
    const inMemory = filename === ':memory:'
    const readonly = options.readonly === true
    let db: Database.Database
    try {
      db = new Database(filename, {
        readonly,
        fileMustExist: options.mustExist === true || readonly,
        timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      })
    } catch (error) {
      throw fromSqliteError(error)
    }
    try {
      // Every integer comes back as a bigint, so int64 ids, times and values are exact.
      db.defaultSafeIntegers(true)
      // Read the file first so that a non-database file fails here, before any pragma writes.
      db.prepare('SELECT count(*) FROM sqlite_master').get()
    } catch (error) {
      db.close()
      throw fromSqliteError(error)
    }
    const source = new MetadataSource(db, filename, readonly, options)
    try {
      checkBeforeWrite?.(source)
      if (!inMemory && !readonly) {
        // WAL lets readers proceed while one writer commits. The real MLMD opens WAL files too.
        db.pragma('journal_mode = WAL')
        // FULL: a commit that was acknowledged survives a power cut, not just a process crash.
        db.pragma('synchronous = FULL')
      }
    } catch (error) {
      source.close()
      throw fromSqliteError(error)
    }
    return source
  }

  /**
   * Runs an operation body in one transaction, driving its statements synchronously. See
   * {@link OperationExecutor.perform}. A read begins its transaction with its first statement
   * (one answered from the memo alone needs none; see `#performRead`).
   * @throws DeadlineExceeded when `options.deadline` has passed before the begin, during a long
   *   statement, or before the commit (then rolled back).
   * @throws ResourceExhausted when a statement outlives the connection's statement budget.
   */
  perform<T>(mode: TransactionMode, body: (tx: Tx) => Op<T>, options?: CallOptions): T {
    // A field of ours, not the driver's `open` (a call into native code on every operation).
    if (this.#closed) throw new MlmdError(Code.FailedPrecondition, 'The metadata store is closed.')
    // Said before anything runs, in words, rather than SQLite's "attempt to write a readonly
    // database" half way through the body.
    if (mode === 'write' && this.readonly) throw readOnlyError()
    const deadline = options?.deadline
    if (deadline !== undefined && Date.now() >= deadline) throw deadlineError()
    // The clock is read again only if a statement checks its budget, or a deadline was given.
    this.#deadline = deadline ?? Infinity
    this.#stopAt = Number.NaN
    try {
      if (mode === 'read') return this.#performRead(body, deadline)
      return this.execute(mode, () => {
        const result = driveSync(body(this.#opTx), this.#runStatement)
        // The client has been told the call failed: applying it now would contradict that.
        if (deadline !== undefined && Date.now() >= deadline) throw deadlineError()
        return result
      })
    } finally {
      this.#stopAt = Infinity
      this.#deadline = Infinity
    }
  }

  // A read begins its transaction with its first statement, so that a read answered from the
  // memo alone (types, which every client reads on every call) costs one PRAGMA instead of a
  // BEGIN, the PRAGMA and a COMMIT. The memo is checked where it is first used: inside the
  // transaction as for writes, or, when the body uses it before any statement, outside; then
  // the transaction's snapshot is checked at its begin to be the one the memo was checked
  // against, and when another connection has committed in between, the body runs again from
  // its start inside the transaction, so that nothing it read mixes two states of the data.
  #performRead<T>(body: (tx: Tx) => Op<T>, deadline: number | undefined): T {
    if (this.#inTransaction) throw new Error('MetadataSource.perform: transactions do not nest')
    this.#inTransaction = true
    this.#memoChecked = false
    this.#lazyRead = 'pending'
    let op = body(this.#opTx)
    try {
      let step = op.next()
      while (step.done !== true) {
        // (The body's statements and memo use move the state on: read it as the field's type.)
        if ((this.#lazyRead as LazyRead) !== 'begun' && this.#beginLazyRead()) {
          // Another connection committed after the memo was checked: start again, in the
          // snapshot the transaction now holds.
          op.return(undefined as T)
          op = body(this.#opTx)
          step = op.next()
          continue
        }
        let result: unknown
        try {
          result = this.#runStatement(step.value)
        } catch (error) {
          step = op.throw(error)
          continue
        }
        step = op.next(result)
      }
      // The client has been told the call failed: answering now would contradict that.
      if (deadline !== undefined && Date.now() >= deadline) throw deadlineError()
      if ((this.#lazyRead as LazyRead) === 'begun') this.#commit.run()
      return step.value
    } catch (error) {
      this.#memo.clear()
      if (this.#db.inTransaction) this.#rollback.run()
      const mapped = fromSqliteError(error)
      if (isCorruption(mapped)) this.#noteCorruption(mapped)
      throw mapped
    } finally {
      this.#lazyRead = 'none'
      this.#inTransaction = false
    }
  }

  // Begins the read transaction of #performRead; true when the memo the body already used was
  // checked outside it against data another connection has changed since.
  #beginLazyRead(): boolean {
    const checkedOutside = this.#lazyRead === 'memo-checked'
    try {
      this.#begin.read.run()
    } catch (error) {
      throw fromSqliteError(error, 'BEGIN')
    }
    this.#lazyRead = 'begun'
    if (!checkedOutside) return false
    // The transaction's first read: it fixes the snapshot, and says whether it is the state the
    // memo was checked against.
    const version = this.#dataVersion.get() as bigint
    if (version === this.#memoVersion) return false
    this.#memo.clear()
    this.#memoVersion = version
    return true
  }

  /**
   * Runs `body` in one transaction with the plain statement handle (schema setup and checks,
   * tools): commits when it returns, rolls back when it throws. Transactions do not nest.
   */
  execute<T>(mode: TransactionMode, body: (tx: DirectTx) => T): T {
    if (this.#inTransaction) throw new Error('MetadataSource.execute: transactions do not nest')
    if (mode === 'write' && this.#corruption !== undefined)
      throw corruptStoreRefusesWrites(this.#corruption.rawMessage)
    try {
      this.#begin[mode === 'write' && !this.readonly ? 'write' : 'read'].run()
    } catch (error) {
      throw fromSqliteError(error, 'BEGIN')
    }
    this.#inTransaction = true
    this.#memoChecked = false
    try {
      const result = body(this.#tx)
      this.#commit.run()
      return result
    } catch (error) {
      // What the failed body put in the memo may have been read from its own rolled-back writes.
      this.#memo.clear()
      if (this.#db.inTransaction) this.#rollback.run()
      const mapped = fromSqliteError(error)
      if (isCorruption(mapped)) this.#noteCorruption(mapped)
      throw mapped
    } finally {
      this.#inTransaction = false
    }
  }

  /**
   * The error with which a call of this connection first found the file corrupt, if one did.
   * A write into a damaged b-tree can spread the damage to pages that were intact, so once it
   * is known the connection refuses writes (FAILED_PRECONDITION) and keeps serving what reads
   * still work, until the file is repaired or restored and the store reopened.
   */
  get corruption(): MlmdError | undefined {
    return this.#corruption
  }

  #noteCorruption(error: MlmdError): void {
    if (this.#corruption !== undefined) return
    this.#corruption = error
    this.#onCorruption?.(error)
  }

  /**
   * Runs SQLite's `PRAGMA integrity_check` over the whole file: `['ok']`, or one line per
   * problem found (at most 100). It reads every page, so it takes as long as a full scan.
   */
  integrityCheck(): string[] {
    const lines: string[] = []
    try {
      // Row by row: on a badly damaged page the check reports what it found, then fails the
      // statement itself with SQLITE_CORRUPT; keep both.
      for (const row of this.#db.prepare('PRAGMA integrity_check(100)').iterate()) {
        lines.push(String((row as { integrity_check: unknown }).integrity_check))
      }
    } catch (error) {
      const mapped = fromSqliteError(error, 'PRAGMA integrity_check')
      if (mapped.code !== Code.DataLoss) throw mapped
      lines.push(mapped.rawMessage)
    }
    return lines
  }

  #checkedMemo(): Map<string, unknown> {
    if (!this.#memoChecked) {
      // Before a lazy read's first statement this runs on its own, outside any transaction.
      const version = this.#dataVersion.get() as bigint
      if (version !== this.#memoVersion) this.#memo.clear()
      this.#memoVersion = version
      this.#memoChecked = true
      if (this.#lazyRead === 'pending') this.#lazyRead = 'memo-checked'
    }
    return this.#memo
  }

  /** Runs statements outside any transaction (schema setup, pragmas). @internal */
  exec(sql: string): void {
    this.#memo.clear()
    try {
      this.#db.exec(sql)
    } catch (error) {
      throw fromSqliteError(error, sql)
    }
  }

  /**
   * Copies the whole database into `destination` with SQLite's online backup API, while other
   * connections (a running server) go on reading and writing: the copy is one consistent
   * snapshot, taken inside a single read transaction, which in WAL mode blocks no writer.
   * `destination` is created or overwritten; its directory must exist.
   * @returns the number of pages copied.
   * @throws FailedPrecondition for a `:memory:` source or a destination that cannot be written;
   *   other SQLite errors as usual.
   */
  async backup(destination: string): Promise<{ pages: number }> {
    if (this.filename === ':memory:') {
      throw new MlmdError(Code.FailedPrecondition, 'An in-memory database has no file to back up.')
    }
    try {
      const result = await this.#db.backup(destination, {
        // After the first step, copy everything that remains in one step: better-sqlite3's
        // default of 100 pages per step releases the read lock between steps, and any commit
        // by another connection in between restarts the copy, which a busy server could repeat
        // forever. (Returning 0 would copy nothing per step.)
        progress: () => 0x7fffffff,
      })
      return { pages: result.totalPages }
    } catch (error) {
      if (error instanceof TypeError) {
        throw new MlmdError(Code.FailedPrecondition, `Cannot write the backup: ${error.message}`, {
          cause: error,
        })
      }
      throw fromSqliteError(error, `backup to ${destination}`)
    }
  }

  /**
   * Writes a consistent copy of the whole database to the new file `destination`, synchronously
   * (SQLite's `VACUUM INTO`), for the copy taken before a schema migration, which runs inside
   * the synchronous open. Rows keep their order; tables without an integer primary key may get
   * new rowids, which MLMD never reads.
   * @throws FailedPrecondition for a `:memory:` database, inside a transaction, or when
   *   `destination` exists or cannot be written.
   */
  copyTo(destination: string): void {
    if (this.filename === ':memory:') {
      throw new MlmdError(Code.FailedPrecondition, 'An in-memory database has no file to back up.')
    }
    try {
      this.#db.prepare('VACUUM INTO ?').run(destination)
    } catch (error) {
      const mapped = fromSqliteError(error, `VACUUM INTO ${destination}`)
      // Lock contention and a corrupt source keep their codes; the rest is about the destination.
      if (mapped.code === Code.Aborted || mapped.code === Code.DataLoss) throw mapped
      throw new MlmdError(
        Code.FailedPrecondition,
        `Cannot write the backup ${destination}: ${mapped.rawMessage}`,
        {
          cause: error,
        },
      )
    }
  }

  /** Closes the connection. Further calls fail. */
  close(): void {
    this.#closed = true
    this.#statements.clear()
    this.#columnStatements.clear()
    this.#memo.clear()
    if (this.#db.open) this.#db.close()
  }

  get isOpen(): boolean {
    return this.#db.open
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      if (this.#statements.size >= STATEMENT_CACHE_LIMIT) this.#statements.clear()
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  // The same statement in better-sqlite3's one-value-per-row mode, which is a mode of the
  // prepared statement itself, so it is prepared (and cached) apart from the plain one.
  #prepareColumn(sql: string): Database.Statement {
    let statement = this.#columnStatements.get(sql)
    if (statement === undefined) {
      if (this.#columnStatements.size >= STATEMENT_CACHE_LIMIT) this.#columnStatements.clear()
      statement = this.#db.prepare(sql).pluck()
      this.#columnStatements.set(sql, statement)
    }
    return statement
  }

  // Every statement of every operation passes here: one call and one handler, not a call into
  // the plain handle's method and its own handler.
  readonly #runStatement = (statement: Statement): unknown => {
    const { sql, params } = statement.query
    try {
      const prepared = this.#prepare(sql)
      switch (statement.kind) {
        case 'all':
          return prepared.all(...params)
        case 'get':
          return prepared.get(...params)
        case 'column':
          return this.#prepareColumn(sql).all(...params)
        case 'cursor':
          return new TranslatingRows(this.#prepareColumn(sql).iterate(...params), sql)
        case 'run': {
          const result = prepared.run(...params)
          return { changes: result.changes, lastInsertRowid: BigInt(result.lastInsertRowid) }
        }
      }
    } catch (error) {
      throw fromSqliteError(error, sql)
    }
  }

  // What operation bodies see; valid only while their transaction runs.
  readonly #opTx: Tx = {
    dialect: SQLITE_DIALECT,
    memo: () => this.#checkedMemo(),
    forgetMemo: () => this.#memo.clear(),
  }

  // The plain handle every transaction's body gets; valid only while its transaction runs.
  readonly #tx: DirectTx = {
    all: <R = Row>(query: Query): R[] => {
      try {
        return this.#prepare(query.sql).all(...query.params) as R[]
      } catch (error) {
        throw fromSqliteError(error, query.sql)
      }
    },
    get: <R = Row>(query: Query): R | undefined => {
      try {
        return this.#prepare(query.sql).get(...query.params) as R | undefined
      } catch (error) {
        throw fromSqliteError(error, query.sql)
      }
    },
    run: (query: Query): RunResult => {
      try {
        const result = this.#prepare(query.sql).run(...query.params)
        return { changes: result.changes, lastInsertRowid: BigInt(result.lastInsertRowid) }
      } catch (error) {
        throw fromSqliteError(error, query.sql)
      }
    },
    forgetMemo: () => this.#memo.clear(),
  }
}

type LazyRead = 'none' | 'pending' | 'memo-checked' | 'begun'

// The rows of a cursor, with SQLite's errors translated where the body meets them: in its
// loop, after the statement was handed over. Leaving the loop early resets the statement. (An
// iterator of its own: a generator delegating to the driver's cost about 0.5 µs per row.)
class TranslatingRows<V> implements IterableIterator<V> {
  readonly #rows: IterableIterator<V>
  readonly #sql: string
  constructor(rows: IterableIterator<V>, sql: string) {
    this.#rows = rows
    this.#sql = sql
  }
  [Symbol.iterator](): this {
    return this
  }
  next(): IteratorResult<V> {
    try {
      return this.#rows.next()
    } catch (error) {
      throw fromSqliteError(error, this.#sql)
    }
  }
  return(): IteratorResult<V> {
    return this.#rows.return?.() ?? { done: true, value: undefined }
  }
}

/** Whether an error says the database file itself is damaged (SQLITE_CORRUPT*). */
export function isCorruption(error: MlmdError): boolean {
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return error.code === Code.DataLoss && typeof code === 'string' && code.startsWith('SQLITE_CORRUPT')
}

function readOnlyError(): MlmdError {
  return new MlmdError(
    Code.FailedPrecondition,
    'The store is open read-only, so calls that write are refused (the server may not write its database file, or was started read-only).',
  )
}

function deadlineError(): MlmdError {
  return new MlmdError(
    Code.DeadlineExceeded,
    'The deadline passed; the call was stopped and nothing was applied.',
  )
}

function budgetError(): MlmdError {
  return new MlmdError(
    Code.ResourceExhausted,
    'The query ran past the time budget of one call and was stopped; narrow the filter or page with smaller pages.',
  )
}
