/**
 * MLMD's filter_query language (`ListOperationOptions.filter_query`) without ZetaSQL: a lexer,
 * a parser to an immutable AST, a resolver and a compiler to SQL with bound parameters only.
 * See README.md in this folder for the language and its differences from MLMD 1.16.
 *
 * @example
 * ```ts
 * const { sql, params } = compileFilterQuery('execution', "contexts_run.name = 'r1' AND last_known_state = COMPLETE")
 * // sql:    SELECT DISTINCT table_0.id FROM `Execution` AS table_0
 * //           JOIN `Association` AS table_1_link ON table_1_link.execution_id = table_0.id
 * //           JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id
 * //             AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2)
 * //         WHERE ((table_1.name = ?) AND (table_0.last_known_state = ?))
 * // params: ['r1', 3n]
 * // condition: EXISTS (SELECT 1 FROM `Association` AS table_1_link JOIN `Context` AS table_1 ON …
 * //              WHERE table_1_link.execution_id = table_0.id AND ((table_1.name = ?) AND …))
 * tx.all({ sql: `SELECT id FROM \`Execution\` WHERE id IN (${sql}) ORDER BY id`, params })
 * ```
 */
import type { FilterNodeKind } from './catalog.js'
import { type CompiledFilter, type CompileOptions, compileResolvedFilter } from './compile.js'
import { parseFilterQuery } from './parser.js'
import { resolveFilterQuery } from './resolve.js'

export type { FilterNodeKind } from './catalog.js'
export { type CompiledFilter, type CompileOptions, MAX_BOUND_PARAMETERS } from './compile.js'
export { FILTER_ERROR_PREFIX } from './filter-error.js'
export { MAX_FILTER_NESTING_DEPTH, MAX_FILTER_QUERY_LENGTH } from './parser.js'
export { MAX_JOINED_TABLES } from './resolve.js'

/**
 * Compiles a filter_query into SQL selecting the matching nodes, in the two forms of
 * {@link CompiledFilter}: `sql` is a complete `SELECT DISTINCT table_0.id FROM \`<Node>\` AS
 * table_0 <JOIN …> WHERE (<condition>)`, usable as `id IN (<sql>)`, and `condition` a condition
 * on a row aliased `table_0`. Nothing from `query` is ever part of the SQL.
 *
 * @throws InvalidArgument (message `Invalid \`filter_query\`: …`, with `[at line:column]` where
 *   the problem has a place) for a syntax error, an unknown name or field, a type mismatch, an
 *   unsupported enum value, a non-boolean query, or a query over the size limits
 *   ({@link MAX_FILTER_QUERY_LENGTH}, {@link MAX_FILTER_NESTING_DEPTH}, {@link MAX_JOINED_TABLES},
 *   {@link MAX_BOUND_PARAMETERS}).
 */
export function compileFilterQuery(
  kind: FilterNodeKind,
  query: string,
  options: CompileOptions = {},
): CompiledFilter {
  return compileResolvedFilter(resolveFilterQuery(kind, parseFilterQuery(query), query), options)
}
