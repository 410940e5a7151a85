/**
 * Shared plumbing of the statement builders: building a statement's text once per dialect and
 * shape, and small helpers. Builders are pure: `(dialect, arguments) => Query`, no database.
 */
import type { Dialect } from '../storage/dialect.js'
import type { Query, SqlValue } from '../storage/transaction-executor.js'

const texts = new WeakMap<Dialect, Map<string, string>>()

/**
 * The text built by `build` for this dialect and `key`, built on first use. Statement texts
 * depend only on the dialect and the statement's shape (a node kind, an order), and reusing one
 * string spares rebuilding it and lets drivers find their prepared statement by identity.
 */
export function textOf(dialect: Dialect, key: string, build: (d: Dialect) => string): string {
  let byKey = texts.get(dialect)
  if (byKey === undefined) {
    byKey = new Map()
    texts.set(dialect, byKey)
  }
  let text = byKey.get(key)
  if (text === undefined) {
    text = build(dialect)
    byKey.set(key, text)
  }
  return text
}

/** Builds a {@link Query}. */
export function q(sql: string, ...params: SqlValue[]): Query {
  return { sql, params }
}

/** Returns the values in first-seen order without duplicates. */
export function unique<T>(values: Iterable<T>): T[] {
  return Array.from(new Set(values))
}
