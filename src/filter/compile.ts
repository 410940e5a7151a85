/**
 * The compiler: a {@link ResolvedFilter} to SQL selecting the matching nodes, with every value
 * from the query bound as a parameter. Table and column names come from the constants of
 * `catalog.ts` and the schema; aliases are `table_<n>`.
 *
 * The set form follows MLMD's `FilterQueryBuilder` (base table `table_0`, one inner join per
 * mentioned neighbour alias or property, `SELECT DISTINCT`), with plain joins in place of its
 * subqueries; the row form puts the same joins in a correlated `EXISTS` (see CompiledFilter).
 *
 * @example Filters and the set form they compile to (listing artifacts):
 * ```
 * name = 'a'
 *   SELECT DISTINCT table_0.id FROM `Artifact` AS table_0 WHERE (table_0.name = ?)           ['a']
 * type = 'Model'
 *   … FROM `Artifact` AS table_0
 *     JOIN `Type` AS table_1 ON table_1.id = table_0.type_id AND table_1.type_kind = 1
 *     WHERE (table_1.name = ?)                                                                ['Model']
 * contexts_run.name = 'r1'
 *   … JOIN `Attribution` AS table_1_link ON table_1_link.artifact_id = table_0.id
 *     JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id
 *       AND table_1.type_id IN (SELECT id FROM `Type` WHERE type_kind = 2)
 *     WHERE (table_1.name = ?)                                                                 ['r1']
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

/**
 * A compiled filter, in two forms with the same meaning:
 * - `sql`/`params`: a complete `SELECT DISTINCT table_0.id …` of the matching ids, to use as
 *   `id IN (<sql>)`: SQLite computes the whole set first, which suits a filter few rows match;
 * - `condition`/`conditionParams`: a condition on one row of the node table aliased `table_0`
 *   in the enclosing statement (the bare condition, or a correlated `EXISTS` over the joins),
 *   which lets SQLite walk the rows in the order of a listing and stop at a full page: that
 *   suits a filter many rows match.
 */
export interface CompiledFilter {
  readonly sql: string
  readonly params: SqlValue[]
  readonly condition: string
  readonly conditionParams: SqlValue[]
  /** How many joins the filter needs (0: the condition reads only the node's own columns). */
  readonly joins: number
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

/** One table a filter joins to the listed node, and the condition that joins it. */
interface JoinedTable {
  readonly table: string
  /** Renders the join condition; called where the condition lands in the statement, so that parameters bind in text order. */
  readonly on: (writer: SqlWriter) => string
}

// The kind of node kept in each node table, for the type guard below.
const TYPE_KIND_OF_NODE_TABLE: ReadonlyMap<string, number> = new Map(
  Object.values(NODE_TABLES).map((tables) => [tables.node, tables.typeKind]),
)

function joinedTables(filter: ResolvedFilter, join: Join): JoinedTable[] {
  const tables = NODE_TABLES[filter.kind]
  const a = join.alias
  switch (join.kind) {
    case 'type':
      return [
        {
          table: `\`${TYPE_TABLE}\` AS ${a}`,
          on: () => `${a}.id = ${BASE_ALIAS}.type_id AND ${a}.type_kind = ${tables.typeKind}`,
        },
      ]
    case 'property':
      return [
        {
          table: `\`${tables.property}\` AS ${a}`,
          on: (writer) =>
            `${a}.${tables.propertyNodeColumn} = ${BASE_ALIAS}.id` +
            ` AND ${a}.name = ${writer.bind(join.name)} AND ${a}.is_custom_property = ${join.custom ? 1 : 0}`,
        },
      ]
    case 'neighbour': {
      const { relation } = join
      const joined: JoinedTable[] = []
      const { link } = relation
      if (link === undefined) {
        joined.push({
          table: `\`${relation.table}\` AS ${a}`,
          on: () => `${a}.${relation.nodeColumn} = ${BASE_ALIAS}.id`,
        })
      } else {
        // A neighbouring node's type_id always names a type of its kind, so the guard selects
        // nothing away; it lets SQLite find a neighbour by name through the UNIQUE(type_id,
        // name) index (a lookup per type of the kind) instead of scanning the node table,
        // which has no index on name alone.
        const guardKind = TYPE_KIND_OF_NODE_TABLE.get(relation.table)
        const guard =
          guardKind === undefined
            ? ''
            : ` AND ${a}.type_id IN (SELECT id FROM \`${TYPE_TABLE}\` WHERE type_kind = ${guardKind})`
        joined.push(
          {
            table: `\`${link.table}\` AS ${a}_link`,
            on: () => `${a}_link.${link.nodeColumn} = ${BASE_ALIAS}.id`,
          },
          {
            table: `\`${relation.table}\` AS ${a}`,
            on: () => `${a}.id = ${a}_link.${link.otherColumn}${guard}`,
          },
        )
      }
      if (join.withType) {
        joined.push({ table: `\`${TYPE_TABLE}\` AS ${a}_type`, on: () => `${a}_type.id = ${a}.type_id` })
      }
      return joined
    }
  }
}

function checkParameterCount(writer: SqlWriter): void {
  if (writer.params.length > MAX_BOUND_PARAMETERS) {
    throw filterError(
      '',
      undefined,
      `The query has too many literals: ${writer.params.length}; at most ${MAX_BOUND_PARAMETERS} are accepted`,
    )
  }
}

/**
 * Compiles a resolved filter to both of its forms (see {@link CompiledFilter}).
 * @throws InvalidArgument when the filter would bind more than {@link MAX_BOUND_PARAMETERS} values.
 */
export function compileResolvedFilter(filter: ResolvedFilter): CompiledFilter {
  const joined = filter.joins.flatMap((join) => joinedTables(filter, join))

  const set = new SqlWriter()
  let sql = `SELECT DISTINCT ${BASE_ALIAS}.id FROM \`${NODE_TABLES[filter.kind].node}\` AS ${BASE_ALIAS}`
  for (const t of joined) sql += ` JOIN ${t.table} ON ${t.on(set)}`
  sql += ` WHERE (${set.render(filter.where)})`
  checkParameterCount(set)

  // The row form: the joined tables in a subquery correlated with the outer `table_0`, whose
  // first join condition moves into the subquery's WHERE.
  const row = new SqlWriter()
  let condition: string
  const [first, ...rest] = joined
  if (first === undefined) {
    condition = `(${row.render(filter.where)})`
  } else {
    condition = `EXISTS (SELECT 1 FROM ${first.table}`
    for (const t of rest) condition += ` JOIN ${t.table} ON ${t.on(row)}`
    condition += ` WHERE ${first.on(row)} AND (${row.render(filter.where)}))`
  }
  return { sql, params: set.params, condition, conditionParams: row.params, joins: filter.joins.length }
}
