/**
 * Small helpers for building statements. A list of values is bound as ONE parameter, a JSON
 * array expanded by SQLite's `json_each`, so statement text stays constant whatever the list
 * length (the statement cache stays small, and no list can exceed SQLite's parameter limit).
 */
import type { Query, SqlValue } from '../storage/transaction-executor.js'

/** `IN (...)` over a bound JSON array; use as `col IN ${IN_LIST}`. */
export const IN_LIST = '(SELECT value FROM json_each(?))'

/** Binds int64 ids for {@link IN_LIST}. JSON integers keep full int64 precision in SQLite. */
export function idList(ids: Iterable<bigint>): string {
  return `[${Array.from(ids, String).join(',')}]`
}

/** Binds strings for {@link IN_LIST}. */
export function textList(values: Iterable<string>): string {
  return JSON.stringify(Array.from(values))
}

/** Builds a {@link Query}. */
export function q(sql: string, ...params: SqlValue[]): Query {
  return { sql, params }
}

/** Returns the values in first-seen order without duplicates. */
export function unique<T>(values: Iterable<T>): T[] {
  return Array.from(new Set(values))
}
