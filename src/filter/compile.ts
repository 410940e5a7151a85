/**
 * The compiler: a {@link ResolvedFilter} to one SQL statement selecting the ids of the matching
 * nodes, with every value from the query bound as a parameter. Table and column names come
 * from the constants of `catalog.ts` and the schema; aliases are `table_<n>`.
 *
 * The shape follows MLMD's `FilterQueryBuilder` (base table `table_0`, one inner join per
 * mentioned neighbour alias or property, `SELECT DISTINCT`), with plain joins in place of its
 * subqueries.
 *
 * @example Filters and the SQL they compile to (listing artifacts):
 * ```
 * name = 'a'
 *   SELECT DISTINCT table_0.id FROM `Artifact` AS table_0 WHERE (table_0.name = ?)           ['a']
 * type = 'Model'
 *   … FROM `Artifact` AS table_0
 *     JOIN `Type` AS table_1 ON table_1.id = table_0.type_id AND table_1.type_kind = 1
 *     WHERE (table_1.name = ?)                                                                ['Model']
 * contexts_run.name = 'r1'
 *   … JOIN `Attribution` AS table_1_link ON table_1_link.artifact_id = table_0.id
 *     JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id WHERE (table_1.name = ?)   ['r1']
 * custom_properties.`my p`.int_value > 3
 *   … JOIN `ArtifactProperty` AS table_1 ON table_1.artifact_id = table_0.id AND table_1.name = ?
 *     AND table_1.is_custom_property = 1 WHERE (table_1.int_value > ?)                        ['my p', 3n]
 * state != LIVE
 *   … WHERE ((table_0.state <> ?) OR (table_0.state IS NULL))                                 [2n]
 * uri LIKE 's3://%'
 *   … WHERE (table_0.uri LIKE ? ESCAPE '\')                                                  ['s3://%']
 * id / 2 = 1.5
 *   … WHERE ((CAST(table_0.id AS REAL) / ?) = ?)                                            [2n, 1.5]
 * ```
 */
import type { SqlValue } from '../storage/transaction-executor.js'
import { NODE_TABLES, TYPE_TABLE } from './catalog.js'
import { filterError } from './filter-error.js'
import { BASE_ALIAS, type Join, type ResolvedExpr, type ResolvedFilter } from './resolve.js'

/** A compiled filter: a complete `SELECT DISTINCT table_0.id …` and its bound parameters. */
export interface CompiledFilter {
  readonly sql: string
  readonly params: SqlValue[]
}

/**
 * The most values one filter may bind. SQLite allows 32766 parameters per statement; the rest
 * is left to the statement the filter is embedded in.
 */
export const MAX_BOUND_PARAMETERS = 30_000

// Long AND/OR chains are written as a tree of groups of at most this many operands, so the
// expression SQLite builds stays shallow (its limit is 1000 levels) however long the chain.
const CHAIN_GROUP = 8

type Renderers = {
  readonly [K in ResolvedExpr['kind']]: (expr: Extract<ResolvedExpr, { kind: K }>) => string
}

class SqlWriter {
  readonly params: SqlValue[] = []

  bind(value: SqlValue): string {
    this.params.push(value)
    return '?'
  }

  render(expr: ResolvedExpr): string {
    return (this.#renderers[expr.kind] as (expr: ResolvedExpr) => string)(expr)
  }

  /** Renders an operand, in parentheses unless it is a column, a value or a call. */
  operand(expr: ResolvedExpr): string {
    const sql = this.render(expr)
    return expr.kind === 'column' || expr.kind === 'value' || expr.kind === 'call' ? sql : `(${sql})`
  }

  // One rule per kind of resolved node; a new kind without one fails to compile.
  readonly #renderers: Renderers = {
    column: (e) => `${e.table}.${e.column}`,
    value: (e) => (e.value === null ? 'NULL' : this.bind(e.value)),
    negate: (e) => `-${this.operand(e.operand)}`,
    arithmetic: (e) =>
      e.op === '/'
        ? // ZetaSQL divides as doubles; SQLite would divide two integers as integers.
          `CAST(${this.operand(e.left)} AS REAL) / ${this.operand(e.right)}`
        : `${this.operand(e.left)} ${e.op} ${this.operand(e.right)}`,
    comparison: (e) => `${this.operand(e.left)} ${e.op} ${this.operand(e.right)}`,
    logical: (e) =>
      chain(
        e.op,
        e.operands.map((operand) => this.operand(operand)),
      ),
    not: (e) => `NOT ${this.operand(e.operand)}`,
    in: (e) =>
      `${this.operand(e.operand)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map((item) => this.operand(item)).join(', ')})`,
    // ZetaSQL patterns escape `%`, `_` and `\` with a backslash; SQLite needs to be told.
    like: (e) =>
      `${this.operand(e.operand)} ${e.negated ? 'NOT LIKE' : 'LIKE'} ${this.operand(e.pattern)} ESCAPE '\\'`,
    between: (e) =>
      `${this.operand(e.operand)} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${this.operand(e.low)} AND ${this.operand(e.high)}`,
    is: (e) => `${this.operand(e.operand)} IS ${e.negated ? 'NOT ' : ''}${e.test}`,
    call: (e) => `${e.fn}(${e.args.map((arg) => this.render(arg)).join(', ')})`,
  }
}

function chain(op: 'AND' | 'OR', parts: readonly string[]): string {
  if (parts.length <= CHAIN_GROUP) return parts.join(` ${op} `)
  const size = Math.ceil(parts.length / CHAIN_GROUP)
  const groups: string[] = []
  for (let i = 0; i < parts.length; i += size) groups.push(`(${chain(op, parts.slice(i, i + size))})`)
  return groups.join(` ${op} `)
}

function joinSql(writer: SqlWriter, filter: ResolvedFilter, join: Join): string {
  const tables = NODE_TABLES[filter.kind]
  const a = join.alias
  switch (join.kind) {
    case 'type':
      return ` JOIN \`${TYPE_TABLE}\` AS ${a} ON ${a}.id = ${BASE_ALIAS}.type_id AND ${a}.type_kind = ${tables.typeKind}`
    case 'property':
      return (
        ` JOIN \`${tables.property}\` AS ${a} ON ${a}.${tables.propertyNodeColumn} = ${BASE_ALIAS}.id` +
        ` AND ${a}.name = ${writer.bind(join.name)} AND ${a}.is_custom_property = ${join.custom ? 1 : 0}`
      )
    case 'neighbour': {
      const { relation } = join
      let sql: string
      if (relation.link === undefined) {
        sql = ` JOIN \`${relation.table}\` AS ${a} ON ${a}.${relation.nodeColumn} = ${BASE_ALIAS}.id`
      } else {
        const { link } = relation
        sql =
          ` JOIN \`${link.table}\` AS ${a}_link ON ${a}_link.${link.nodeColumn} = ${BASE_ALIAS}.id` +
          ` JOIN \`${relation.table}\` AS ${a} ON ${a}.id = ${a}_link.${link.otherColumn}`
      }
      if (join.withType) sql += ` JOIN \`${TYPE_TABLE}\` AS ${a}_type ON ${a}_type.id = ${a}.type_id`
      return sql
    }
  }
}

/**
 * Compiles a resolved filter to `SELECT DISTINCT table_0.id FROM <node> AS table_0 <joins>
 * WHERE (<condition>)`.
 * @throws InvalidArgument when the filter would bind more than {@link MAX_BOUND_PARAMETERS} values.
 */
export function compileResolvedFilter(filter: ResolvedFilter): CompiledFilter {
  const writer = new SqlWriter()
  let sql = `SELECT DISTINCT ${BASE_ALIAS}.id FROM \`${NODE_TABLES[filter.kind].node}\` AS ${BASE_ALIAS}`
  for (const join of filter.joins) sql += joinSql(writer, filter, join)
  sql += ` WHERE (${writer.render(filter.where)})`
  if (writer.params.length > MAX_BOUND_PARAMETERS) {
    throw filterError(
      '',
      undefined,
      `The query has too many literals: ${writer.params.length}; at most ${MAX_BOUND_PARAMETERS} are accepted`,
    )
  }
  return { sql, params: writer.params }
}
