/**
 * What differs between SQL engines, and nothing else (Kysely's `Dialect`, MLMD's per-engine
 * `QueryConfig`): identifier quoting, binding a list of values, upserts, insert-if-absent, new
 * ids, transaction begin, and how a long statement is stopped. The statement builders of
 * `access/` take a `Dialect` and are otherwise the same for every engine, so a new engine is a
 * new dialect and driver, not a rewrite of the operations.
 *
 * Placeholders are `?` in every dialect; see `Query`.
 */
import type { SqlValue, TransactionMode } from './transaction-executor.js'

/** The engines MLMD stores metadata in. */
export type EngineName = 'sqlite' | 'postgresql' | 'mysql'

export interface Dialect {
  readonly engine: EngineName
  /** Quotes a table or column name. Names come from the schema constants, never from input. */
  id(name: string): string
  /**
   * `<expr> IN (…)` over a list bound as ONE parameter (see {@link bindIds}), so a statement's
   * text is the same whatever the list's length: prepared statements are reused, and no list can
   * exceed the engine's parameter limit.
   */
  inList(expr: string): string
  /** As {@link inList}, for a list of strings. */
  inTextList(expr: string): string
  /** Binds int64 ids for {@link inList}. */
  bindIds(ids: Iterable<bigint>): SqlValue
  /** Binds strings for {@link inTextList}. */
  bindTexts(values: Iterable<string>): SqlValue
  /**
   * `INSERT` of one row (or `rows` rows, their values one after another) into a table without
   * an id column of its own.
   */
  insert(table: string, columns: readonly string[], rows?: number): string
  /** `INSERT` of one row that returns the new row's id to the driver (`RunResult.lastInsertRowid`). */
  insertReturningId(table: string, columns: readonly string[]): string
  /** `INSERT` of one row that does nothing when a unique key already holds a row. */
  insertIfAbsent(table: string, columns: readonly string[]): string
  /**
   * `INSERT` of one row (or `rows` rows, none with the key of another) that, when the unique key
   * `key` already holds a row, overwrites that row's `update` columns with the new values.
   */
  upsert(
    table: string,
    columns: readonly string[],
    key: readonly string[],
    update: readonly string[],
    rows?: number,
  ): string
  /** The statement that begins a transaction of this mode. */
  begin(mode: TransactionMode): string
  /**
   * Whether an `INSERT` refused by a unique key costs nothing: no id of the table's sequence is
   * used up and the transaction goes on (SQLite undoes just the statement). Where it is not
   * free (PostgreSQL aborts the transaction, and both it and MySQL burn an id), the operations
   * look a conflicting row up before inserting instead of letting the key refuse the row.
   */
  readonly refusedInsertIsFree: boolean
  /**
   * A condition on `rowExpr` (any column of the row a long scan visits) that stops the statement
   * once the call's time is spent, or `undefined` where the engine enforces statement timeouts
   * itself. SQLite has no statement timeout, so its driver registers a function for this.
   */
  withinBudget(rowExpr: string): string | undefined
  /**
   * `expr` written so the planner tests it on each row instead of looking rows up by it: for a
   * walk along another index (a page's order) that stops after a few rows.
   */
  unindexed(expr: string): string
  /** An expression ordering the rows of a table without a key of their own in insertion order. */
  readonly insertionOrder: string
  /** `expr` converted to a double, so that `/` divides as doubles (filters follow ZetaSQL). */
  toDouble(expr: string): string
  /** The `ESCAPE` clause that makes a backslash the escape character of a `LIKE` pattern. */
  readonly likeEscape: string
  /** The constant a flag column (`is_custom_property`, `is_index_step`) compares with. */
  flag(value: boolean): string
  /**
   * A placeholder for a value of this type where nothing in the statement tells the engine the
   * parameter's type (`? = ?`, `-?`, `lower(?)`): engines that type parameters need a cast.
   */
  typedParam(type: ParamType): string
  /** The engine's name of a filter's string function (`length` must count characters). */
  stringFunction(name: 'lower' | 'upper' | 'length' | 'trim' | 'ltrim' | 'rtrim'): string
}

/** The types a filter binds values of. */
export type ParamType = 'integer' | 'double' | 'text' | 'boolean'

/** The SQL function SQLite's driver registers for {@link Dialect.withinBudget}. */
export const WITHIN_BUDGET_FUNCTION = 'mlmd_within_budget'

const backtick = (name: string): string => `\`${name}\``

// `VALUES(?, ?), (?, ?)`: the placeholders of `rows` rows.
function valuesOf(columns: readonly string[], rows: number, placeholder: (column: string) => string): string {
  const row = `(${columns.map(placeholder).join(', ')})`
  return `VALUES${Array.from({ length: rows }, () => row).join(', ')}`
}
const plain = (): string => '?'

/** SQLite (3.35+: `RETURNING`, upserts, JSON functions). */
export const SQLITE_DIALECT: Dialect = {
  engine: 'sqlite',
  id: backtick,
  // json_each expands a JSON array bound as text; JSON integers keep full int64 precision.
  inList: (expr) => `${expr} IN (SELECT value FROM json_each(?))`,
  inTextList: (expr) => `${expr} IN (SELECT value FROM json_each(?))`,
  bindIds: (ids) => `[${Array.from(ids, String).join(',')}]`,
  bindTexts: (values) => JSON.stringify(Array.from(values)),
  insert: (table, columns, rows = 1) =>
    `INSERT INTO ${backtick(table)}(${columns.map(backtick).join(', ')}) ${valuesOf(columns, rows, plain)}`,
  // better-sqlite3 reports the rowid of an insert, which is the INTEGER PRIMARY KEY id.
  insertReturningId: (table, columns) => SQLITE_DIALECT.insert(table, columns),
  insertIfAbsent: (table, columns) =>
    `INSERT OR IGNORE INTO ${backtick(table)}(${columns.map(backtick).join(', ')}) VALUES(${columns.map(() => '?').join(', ')})`,
  upsert: (table, columns, key, update, rows = 1) =>
    `${SQLITE_DIALECT.insert(table, columns, rows)} ON CONFLICT(${key.map(backtick).join(', ')}) DO UPDATE SET ${update.map((c) => `${backtick(c)} = excluded.${backtick(c)}`).join(', ')}`,
  // IMMEDIATE takes the write lock at begin; DEFERRED reads one snapshot and, in WAL mode,
  // never blocks a writer.
  begin: (mode) => (mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN DEFERRED'),
  refusedInsertIsFree: true,
  withinBudget: (rowExpr) => `${WITHIN_BUDGET_FUNCTION}(${rowExpr})`,
  // SQLite uses no index for a term whose column carries a unary plus.
  unindexed: (expr) => `+${expr}`,
  insertionOrder: 'rowid',
  toDouble: (expr) => `CAST(${expr} AS REAL)`,
  likeEscape: "ESCAPE '\\'",
  flag: (value) => (value ? '1' : '0'),
  typedParam: () => '?',
  stringFunction: (name) => name,
}

// PostgreSQL folds unquoted names to lower case, and MLMD creates its PostgreSQL schema with
// unquoted names: its `Artifact` is the table `artifact`.
const pgName = (name: string): string => `"${name.toLowerCase()}"`

// The bytes columns are BYTEA on PostgreSQL, and the codec hands them over as text: proto_value
// as base64 (MLMD's encoding on SQLite and MySQL), byte_value as our marker text.
function pgValuePlaceholder(column: string): string {
  if (column === 'proto_value') return `decode(?, 'base64')`
  if (column === 'byte_value') return `convert_to(?, 'UTF8')`
  return '?'
}

function pgInsert(table: string, columns: readonly string[], rows = 1): string {
  return `INSERT INTO ${pgName(table)}(${columns.map(pgName).join(', ')}) ${valuesOf(columns, rows, pgValuePlaceholder)}`
}

// An element of a PostgreSQL array literal: quoted, with `"` and `\` escaped.
const pgArrayElement = (text: string): string => `"${text.replace(/[\\"]/g, '\\$&')}"`

const PG_TYPES: Record<ParamType, string> = {
  integer: 'BIGINT',
  double: 'DOUBLE PRECISION',
  text: 'TEXT',
  boolean: 'BOOLEAN',
}

/** PostgreSQL 13+, in MLMD's PostgreSQL schema. */
export const POSTGRESQL_DIALECT: Dialect = {
  engine: 'postgresql',
  id: pgName,
  // The list is bound as one array literal. Ids are compared as BIGINT although MLMD's id
  // columns are 32-bit, so that asking for an id beyond them finds nothing instead of failing.
  inList: (expr) => `${expr} = ANY(CAST(? AS BIGINT[]))`,
  inTextList: (expr) => `${expr} = ANY(CAST(? AS TEXT[]))`,
  bindIds: (ids) => `{${Array.from(ids, String).join(',')}}`,
  bindTexts: (values) => `{${Array.from(values, pgArrayElement).join(',')}}`,
  insert: pgInsert,
  insertReturningId: (table, columns) => `${pgInsert(table, columns)} RETURNING id`,
  insertIfAbsent: (table, columns) => `${pgInsert(table, columns)} ON CONFLICT DO NOTHING`,
  upsert: (table, columns, key, update, rows = 1) =>
    `${pgInsert(table, columns, rows)} ON CONFLICT(${key.map(pgName).join(', ')}) DO UPDATE SET ${update.map((c) => `${pgName(c)} = EXCLUDED.${pgName(c)}`).join(', ')}`,
  // A read sees one snapshot for all its statements; writers are serialized by the driver.
  begin: (mode) =>
    mode === 'write'
      ? 'BEGIN ISOLATION LEVEL READ COMMITTED'
      : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  refusedInsertIsFree: false,
  // The driver sets `statement_timeout` instead.
  withinBudget: () => undefined,
  unindexed: (expr) => `(${expr} + 0)`,
  // Physical order, which is insertion order for rows that are never updated (event paths).
  insertionOrder: 'ctid',
  toDouble: (expr) => `CAST(${expr} AS DOUBLE PRECISION)`,
  // standard_conforming_strings is on (the default since 9.1): '\' is one backslash.
  likeEscape: "ESCAPE '\\'",
  flag: (value) => (value ? 'TRUE' : 'FALSE'),
  typedParam: (type) => `CAST(? AS ${PG_TYPES[type]})`,
  stringFunction: (name) => name,
}

// An element of MySQL's JSON_TABLE list binding: the list is one JSON array.
const jsonList = (type: string) => (expr: string) =>
  `${expr} IN (SELECT j.v FROM JSON_TABLE(?, '$[*]' COLUMNS (v ${type} PATH '$')) AS j)`

/** MySQL 8 and MariaDB 10.6+ (JSON_TABLE), in MLMD's MySQL schema. No MySQL-8-only syntax. */
export const MYSQL_DIALECT: Dialect = {
  engine: 'mysql',
  id: backtick,
  inList: jsonList('BIGINT'),
  inTextList: jsonList('TEXT'),
  bindIds: (ids) => `[${Array.from(ids, String).join(',')}]`,
  bindTexts: (values) => JSON.stringify(Array.from(values)),
  insert: (table, columns, rows = 1) => SQLITE_DIALECT.insert(table, columns, rows),
  // The driver reports the statement's insert id.
  insertReturningId: (table, columns) => SQLITE_DIALECT.insert(table, columns),
  // A no-op update rather than INSERT IGNORE, which would also hide errors other than the
  // duplicate key (values out of range, too long).
  insertIfAbsent: (table, columns) =>
    `${SQLITE_DIALECT.insert(table, columns)} ON DUPLICATE KEY UPDATE ${backtick(columns[0] as string)} = ${backtick(columns[0] as string)}`,
  upsert: (table, columns, _key, update, rows = 1) =>
    `${SQLITE_DIALECT.insert(table, columns, rows)} ON DUPLICATE KEY UPDATE ${update.map((c) => `${backtick(c)} = VALUES(${backtick(c)})`).join(', ')}`,
  // InnoDB's REPEATABLE READ: one snapshot for the whole body; writers are serialized by the driver.
  begin: (mode) =>
    mode === 'write' ? 'START TRANSACTION' : 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY',
  refusedInsertIsFree: false,
  // The driver sets the session's statement time limit instead.
  withinBudget: () => undefined,
  unindexed: (expr) => `(${expr} + 0)`,
  // No rowid: rows of a table without a key come in the order of the index used to find them,
  // which for equal keys is InnoDB's hidden row id, the insertion order.
  insertionOrder: 'NULL',
  toDouble: (expr) => `CAST(${expr} AS DOUBLE)`,
  // A backslash escapes inside MySQL string literals: '\\' is one backslash.
  likeEscape: "ESCAPE '\\\\'",
  flag: (value) => (value ? '1' : '0'),
  // MySQL types parameters from what they are compared with; casts would change collations.
  typedParam: () => '?',
  stringFunction: (name) => (name === 'length' ? 'CHAR_LENGTH' : name),
}
