/**
 * The transaction boundary every store operation goes through (MLMD's `TransactionExecutor`).
 *
 * Bodies are synchronous on purpose: better-sqlite3 is synchronous, and an SQLite transaction
 * must never stay open across an event-loop tick, or another caller's statements would run
 * inside it.
 */

/** A value bound to, or read from, SQLite. int64 columns come back as `bigint`. */
export type SqlValue = bigint | number | string | Uint8Array | null

/** One SQL statement with its bound parameters. SQL text is always built from constants. */
export interface Query {
  readonly sql: string
  readonly params: readonly SqlValue[]
}

/** A result row, keyed by column name. */
export type Row = Record<string, SqlValue>

/** Result of a write statement. */
export interface RunResult {
  readonly changes: number
  readonly lastInsertRowid: bigint
}

/**
 * The handle `access/` functions take. It is valid only inside the `execute` body that
 * received it; access functions never begin or commit.
 */
export interface Tx {
  all<R = Row>(query: Query): R[]
  get<R = Row>(query: Query): R | undefined
  run(query: Query): RunResult
  /**
   * A map for what was read and will stay true until the data changes (types, which a store
   * reads on every write but rarely changes). It outlives the transaction, and is emptied when
   * another connection has committed since it was last used, when a transaction rolls back, and
   * when {@link forgetMemo} is called. Values put in it must not be mutated afterwards.
   */
  memo(): Map<string, unknown>
  /** Empties the memo; call it after writing anything a memoised value was read from. */
  forgetMemo(): void
}

/**
 * `read` begins a deferred transaction (a consistent snapshot that never blocks writers in WAL
 * mode); `write` begins `IMMEDIATE`, so lock contention surfaces when the transaction starts
 * (as `ABORTED`, which MLMD clients retry) rather than half way through the body.
 */
export type TransactionMode = 'read' | 'write'

export interface TransactionExecutor {
  /**
   * Runs `body` in one transaction: commits when it returns, rolls back when it throws (and
   * rethrows). Nothing of a failed body is ever visible.
   */
  execute<T>(mode: TransactionMode, body: (tx: Tx) => T): T
}
