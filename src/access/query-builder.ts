/**
 * Shared plumbing of the statement builders: building a statement's text once per dialect and
 * shape, and small helpers. Builders are pure: `(dialect, arguments) => Query`, no database.
 */
import type { Dialect } from '../storage/dialect.js'
import type { Query, SqlValue } from '../storage/transaction-executor.js'

// Statement texts by dialect, then by a constant key (and node kind). A process uses one
// dialect almost always, so the last one's table is kept at hand: building a statement then
// costs a lookup by an interned string, not a new string and its hash.
const texts = new WeakMap<Dialect, Map<string, string>>()
const kindTexts = new WeakMap<Dialect, Map<string, Map<object, string>>>()
let lastDialect: Dialect | undefined
let lastTexts = new Map<string, string>()
let lastKindTexts = new Map<string, Map<object, string>>()

function tablesOf(dialect: Dialect): void {
  let byKey = texts.get(dialect)
  let byKind = kindTexts.get(dialect)
  if (byKey === undefined || byKind === undefined) {
    byKey = new Map()
    byKind = new Map()
    texts.set(dialect, byKey)
    kindTexts.set(dialect, byKind)
  }
  lastDialect = dialect
  lastTexts = byKey
  lastKindTexts = byKind
}

/**
 * The text built by `build` for this dialect and `key` (a constant naming the statement), built
 * on first use. Statement texts depend only on the dialect and the statement's shape, and
 * reusing one string spares rebuilding it and lets drivers find their prepared statement.
 */
export function textOf(dialect: Dialect, key: string, build: (d: Dialect) => string): string {
  if (dialect !== lastDialect) tablesOf(dialect)
  let text = lastTexts.get(key)
  if (text === undefined) {
    text = build(dialect)
    lastTexts.set(key, text)
  }
  return text
}

/** As {@link textOf}, for a statement whose text also depends on a node kind (or another shape object). */
export function textOfKind<K extends object>(
  dialect: Dialect,
  key: string,
  kind: K,
  build: (d: Dialect) => string,
): string {
  if (dialect !== lastDialect) tablesOf(dialect)
  let byKind = lastKindTexts.get(key)
  if (byKind === undefined) {
    byKind = new Map()
    lastKindTexts.set(key, byKind)
  }
  let text = byKind.get(kind)
  if (text === undefined) {
    text = build(dialect)
    byKind.set(kind, text)
  }
  return text
}

/**
 * The most rows one multi-row statement writes (property values, property declarations): a
 * longer list is written in statements of this many rows, so that a table has at most this many
 * statement texts and a statement at most a few hundred parameters.
 */
export const MAX_ROWS_PER_STATEMENT = 16

/** `base` suffixed with each row count up to {@link MAX_ROWS_PER_STATEMENT}: text keys built once. */
export function rowCountKeys(base: string): readonly string[] {
  return Array.from({ length: MAX_ROWS_PER_STATEMENT + 1 }, (_, rows) => `${base}:${rows}`)
}

/** Builds a {@link Query}. */
export function q(sql: string, ...params: SqlValue[]): Query {
  return { sql, params }
}

/** Returns the values in first-seen order without duplicates. */
export function unique<T>(values: Iterable<T>): T[] {
  return Array.from(new Set(values))
}
