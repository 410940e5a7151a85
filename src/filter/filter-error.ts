/**
 * The one way the filter layer fails: `INVALID_ARGUMENT` with MLMD's message prefix
 * (`Invalid \`filter_query\`: `) and, where the problem has a place, ZetaSQL's position suffix
 * (`[at line:column]`, both 1-based), so messages read like the ones MLMD clients already see.
 */
import { Code, MlmdError } from '../errors.js'

/** The prefix MLMD puts before every filter error. */
export const FILTER_ERROR_PREFIX = 'Invalid `filter_query`: '

/** Converts a 0-based character offset into ZetaSQL's `line:column` (both 1-based). */
export function positionToString(query: string, offset: number): string {
  let line = 1
  let lineStart = 0
  const end = Math.min(offset, query.length)
  for (let i = 0; i < end; i++) {
    const c = query.charCodeAt(i)
    // \n, and \r not followed by \n, end a line (ZetaSQL counts \r\n once).
    if (c === 10 || (c === 13 && query.charCodeAt(i + 1) !== 10)) {
      line++
      lineStart = i + 1
    }
  }
  return `${line}:${end - lineStart + 1}`
}

/**
 * Builds the error for a problem at `offset` in `query` (no position when `offset` is undefined).
 * @internal
 */
export function filterError(query: string, offset: number | undefined, message: string): MlmdError {
  const where = offset === undefined ? '' : ` [at ${positionToString(query, offset)}]`
  return new MlmdError(Code.InvalidArgument, `${FILTER_ERROR_PREFIX}${message}${where}`)
}
