/**
 * The compiler: a {@link ResolvedFilter} to SQL selecting the matching nodes, with every value
 * from the query bound as a parameter. Table and column names come from the constants of
 * `catalog.ts` and the schema; aliases are `table_<n>`.
 *
 * The set form follows MLMD's `FilterQueryBuilder` (base table `table_0`, one inner join per
 * mentioned neighbour alias or property, `SELECT DISTINCT`), with plain joins in place of its
 * subqueries; the row form puts the same joins in a correlated `EXISTS` (see CompiledFilter).
 * With two or more neighbour aliases, neighbours become semi-joins instead (see "semi-joins"
 * below and `compileResolvedFilter`): same rows, without the product of the aliases' rows.
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
import { type Dialect, type ParamType, SQLITE_DIALECT } from '../storage/dialect.js'
import type { SqlValue } from '../storage/transaction-executor.js'
import { NODE_TABLES, TYPE_TABLE, type ValueType } from './catalog.js'
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

type StringFunction = Parameters<Dialect['stringFunction']>[0]

// Enums are stored as integers.
function paramTypeOf(type: ValueType): ParamType {
  switch (type) {
    case 'DOUBLE':
      return 'double'
    case 'STRING':
      return 'text'
    case 'BOOL':
      return 'boolean'
    default:
      return 'integer'
  }
}

class SqlWriter {
  readonly params: SqlValue[] = []
  readonly d: Dialect

  constructor(dialect: Dialect) {
    this.d = dialect
  }

  bind(value: SqlValue, type?: ValueType): string {
    this.params.push(value)
    return type === undefined ? '?' : this.d.typedParam(paramTypeOf(type))
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
    value: (e) => (e.value === null ? 'NULL' : this.bind(e.value, e.type)),
    negate: (e) => `-${this.operand(e.operand)}`,
    arithmetic: (e) =>
      e.op === '/'
        ? // ZetaSQL divides as doubles; SQLite would divide two integers as integers.
          `${this.d.toDouble(this.operand(e.left))} / ${this.operand(e.right)}`
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
      `${this.operand(e.operand)} ${e.negated ? 'NOT LIKE' : 'LIKE'} ${this.operand(e.pattern)} ${this.d.likeEscape}`,
    between: (e) =>
      `${this.operand(e.operand)} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${this.operand(e.low)} AND ${this.operand(e.high)}`,
    is: (e) => `${this.operand(e.operand)} IS ${e.negated ? 'NOT ' : ''}${e.test}`,
    call: (e) =>
      `${this.d.stringFunction(e.fn as StringFunction)}(${e.args.map((arg) => this.render(arg)).join(', ')})`,
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

function joinedTables(filter: ResolvedFilter, join: Join, d: Dialect): JoinedTable[] {
  const tables = NODE_TABLES[filter.kind]
  const a = join.alias
  switch (join.kind) {
    case 'type':
      return [
        {
          table: `${d.id(TYPE_TABLE)} AS ${a}`,
          on: () => `${a}.id = ${BASE_ALIAS}.type_id AND ${a}.type_kind = ${tables.typeKind}`,
        },
      ]
    case 'property':
      return [
        {
          table: `${d.id(tables.property)} AS ${a}`,
          on: (writer) =>
            `${a}.${tables.propertyNodeColumn} = ${BASE_ALIAS}.id` +
            ` AND ${a}.name = ${writer.bind(join.name)} AND ${a}.is_custom_property = ${d.flag(join.custom)}`,
        },
      ]
    case 'neighbour': {
      const { relation } = join
      const joined: JoinedTable[] = []
      const { link } = relation
      if (link === undefined) {
        joined.push({
          table: `${d.id(relation.table)} AS ${a}`,
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
            : ` AND ${a}.type_id IN (SELECT id FROM ${d.id(TYPE_TABLE)} WHERE type_kind = ${guardKind})`
        joined.push(
          {
            table: `${d.id(link.table)} AS ${a}_link`,
            on: () => `${a}_link.${link.nodeColumn} = ${BASE_ALIAS}.id`,
          },
          {
            table: `${d.id(relation.table)} AS ${a}`,
            on: () => `${a}.id = ${a}_link.${link.otherColumn}${guard}`,
          },
        )
      }
      if (join.withType) {
        joined.push({ table: `${d.id(TYPE_TABLE)} AS ${a}_type`, on: () => `${a}_type.id = ${a}.type_id` })
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

// --- semi-joins ----------------------------------------------------------------------------------
//
// In MLMD every alias is an inner join, so a node matches when SOME combination of one row per
// alias makes the condition true: `∃ a, b, … : where(a, b, …)`. Written as joins, SQLite walks
// every combination: an artifact in 100 contexts and four `contexts_*` aliases is 100^4 rows.
// The quantifier distributes, which keeps the meaning and drops the product:
// - over AND, per group of operands that share no alias: `∃a,b: A(a) ∧ B(b)` = `∃a A(a) ∧ ∃b B(b)`;
// - over OR, always: `∃a,b: A(a) ∨ B(b)` = `(∃a A(a) ∨ ∃b B(b))` ∧ both aliases have a row;
// - NOT is first pushed inward (De Morgan, which holds in SQL's three-valued logic), so it only
//   ever applies to a predicate, and a predicate over one alias stays one condition on ONE row.
// Each `∃` is a correlated `EXISTS`, which stops at its first row. A predicate that names two
// aliases (`contexts_a.id = contexts_b.id`) binds both at once; that product is the predicate's
// own. Only neighbours are quantified this way: the listed node's type and each property are at
// most one row per node, so they stay plain joins.

type NeighbourJoin = Extract<Join, { kind: 'neighbour' }>

type Children = {
  readonly [K in ResolvedExpr['kind']]: (expr: Extract<ResolvedExpr, { kind: K }>) => readonly ResolvedExpr[]
}

// The sub-expressions of each kind; a new kind without a rule fails to compile.
const CHILDREN: Children = {
  column: () => [],
  value: () => [],
  negate: (e) => [e.operand],
  arithmetic: (e) => [e.left, e.right],
  comparison: (e) => [e.left, e.right],
  logical: (e) => e.operands,
  not: (e) => [e.operand],
  in: (e) => [e.operand, ...e.list],
  like: (e) => [e.operand, e.pattern],
  between: (e) => [e.operand, e.low, e.high],
  is: (e) => [e.operand],
  call: (e) => e.args,
}

function childrenOf(expr: ResolvedExpr): readonly ResolvedExpr[] {
  return (CHILDREN[expr.kind] as (expr: ResolvedExpr) => readonly ResolvedExpr[])(expr)
}

// Columns a neighbour's row can be found by through an index (on the neighbour's table, or its
// type's name): an equality on one of them makes its alias a good one to drive the set form.
const INDEXED_NEIGHBOUR_COLUMNS = new Set(['id', 'name', 'uri', 'external_id', 'artifact_id', 'execution_id'])

const COMPLEMENT = { '=': '<>', '<>': '=', '<': '>=', '<=': '>', '>': '<=', '>=': '<' } as const

/**
 * `NOT expr`, moved inward: De Morgan over AND and OR, and the complementary operator for a
 * predicate (`NOT a = b` is `a <> b`, `NOT x IN (…)` is `x NOT IN (…)`), all of which hold in
 * SQL's three-valued logic (NULL stays NULL). A predicate left as it was is then one an index
 * can serve, as `contexts_a.name = 'x'` from `NOT (contexts_a.name != 'x' AND …)`.
 */
function negation(expr: ResolvedExpr): ResolvedExpr {
  switch (expr.kind) {
    case 'not':
      return expr.operand
    case 'logical':
      return Object.freeze({
        kind: 'logical',
        type: 'BOOL',
        op: expr.op === 'AND' ? 'OR' : 'AND',
        operands: Object.freeze(expr.operands.map(negation)),
      })
    case 'comparison':
      return Object.freeze({ ...expr, op: COMPLEMENT[expr.op] })
    case 'in':
    case 'like':
    case 'between':
    case 'is':
      return Object.freeze({ ...expr, negated: !expr.negated })
    default:
      return Object.freeze({ kind: 'not', type: 'BOOL', operand: expr })
  }
}

/** Writes a filter with two or more neighbour aliases as semi-joins (see above). */
class SemiJoinWriter {
  readonly #filter: ResolvedFilter
  readonly #writer: SqlWriter
  /** Neighbour alias of each table name a column can carry (`table_1`, `table_1_type`). */
  readonly #aliasOfTable = new Map<string, string>()
  readonly #neighbours = new Map<string, NeighbourJoin>()
  readonly #aliasesOf = new WeakMap<ResolvedExpr, ReadonlySet<string>>()
  readonly #memberships: boolean

  /**
   * With `memberships` (for the set form), an operand of OR that reads one alias alone and
   * compares it by equality on an indexed column is written `table_0.id IN (SELECT …)`:
   * uncorrelated, so SQLite finds the few nodes of each such operand through the index and
   * unites them, where an `EXISTS` would be tested on every node. Other operands stay `EXISTS`,
   * which a listing can stop testing once its page is full (an `IN` list is computed whole).
   */
  constructor(filter: ResolvedFilter, writer: SqlWriter, memberships = false) {
    this.#filter = filter
    this.#writer = writer
    this.#memberships = memberships
    for (const join of filter.joins) {
      if (join.kind !== 'neighbour') continue
      this.#neighbours.set(join.alias, join)
      this.#aliasOfTable.set(join.alias, join.alias)
      this.#aliasOfTable.set(`${join.alias}_type`, join.alias)
    }
  }

  /** The neighbour aliases an expression reads. */
  aliases(expr: ResolvedExpr): ReadonlySet<string> {
    const known = this.#aliasesOf.get(expr)
    if (known !== undefined) return known
    const found = new Set<string>()
    if (expr.kind === 'column') {
      const alias = this.#aliasOfTable.get(expr.table)
      if (alias !== undefined) found.add(alias)
    }
    for (const child of childrenOf(expr)) for (const alias of this.aliases(child)) found.add(alias)
    this.#aliasesOf.set(expr, found)
    return found
  }

  /**
   * `∃ within: expr`, as a condition on the rows in scope: aliases of `expr` outside `within`
   * are joined by the enclosing statement.
   */
  quantified(expr: ResolvedExpr, within: ReadonlySet<string>): string {
    const used = new Set([...this.aliases(expr)].filter((alias) => within.has(alias)))
    const unused = [...within].filter((alias) => !used.has(alias))
    const parts = unused.map((alias) => this.#exists([alias], undefined))
    if (used.size === 0) parts.push(this.#writer.render(expr))
    else parts.push(this.#over(expr, used))
    return all('AND', parts)
  }

  /** `∃ used: expr`, where `expr` reads every alias of `used`. */
  #over(expr: ResolvedExpr, used: ReadonlySet<string>): string {
    if (expr.kind === 'not' && (expr.operand.kind === 'logical' || expr.operand.kind === 'not')) {
      return this.#over(negation(expr.operand), used)
    }
    // A conjunction keeps the operands that read no alias outside the EXISTS, where SQLite can
    // use them to find the rows of the enclosing statement.
    if (expr.kind === 'logical' && expr.op === 'AND') return this.conjunction(expr.operands, used)
    if (used.size === 1) return this.#exists([...used], () => this.#writer.render(expr))
    if (expr.kind === 'logical') {
      // Every alias must have a row; those that every operand reads are checked by the operand.
      const everywhere = [...used].filter((alias) =>
        expr.operands.every((operand) => this.aliases(operand).has(alias)),
      )
      const checked = [...used].filter((alias) => !everywhere.includes(alias))
      const disjunction = chain(
        'OR',
        expr.operands.map((operand) => {
          const within = this.#within(operand, used)
          const [alone] = within
          if (
            this.#memberships &&
            within.size === 1 &&
            alone !== undefined &&
            this.#readsOnly(operand, alone) &&
            this.#selective(operand)
          ) {
            return parenthesised(this.#membership(alone, operand))
          }
          return parenthesised(this.quantified(operand, within))
        }),
      )
      return all('AND', [...checked.map((alias) => this.#exists([alias], undefined)), disjunction])
    }
    return this.#exists([...used], () => this.#writer.render(expr))
  }

  /** `∃ used: operands[0] ∧ operands[1] ∧ …`. */
  conjunction(operands: readonly ResolvedExpr[], used: ReadonlySet<string>): string {
    const parts: string[] = []
    for (const group of this.groups(operands, used)) {
      if (group.aliases.size === 0) {
        for (const operand of group.operands) parts.push(this.#writer.render(operand))
      } else if (group.operands.length === 1) {
        parts.push(this.quantified(group.operands[0] as ResolvedExpr, group.aliases))
      } else {
        // Aliases read by two or more operands are bound together; each other alias is read by
        // one operand only, so given the shared rows the operands are independent.
        const shared = [...group.aliases].filter(
          (alias) => group.operands.filter((operand) => this.aliases(operand).has(alias)).length > 1,
        )
        const rest = new Set([...group.aliases].filter((alias) => !shared.includes(alias)))
        parts.push(
          this.#exists(shared, () =>
            chain(
              'AND',
              group.operands.map((operand) =>
                parenthesised(this.quantified(operand, this.#within(operand, rest))),
              ),
            ),
          ),
        )
      }
    }
    return all('AND', parts)
  }

  /**
   * The operands split into groups that share no alias of `used` (in the order of their first
   * operands); operands reading none of them form one group with no aliases.
   */
  groups(
    operands: readonly ResolvedExpr[],
    used: ReadonlySet<string>,
  ): { operands: ResolvedExpr[]; aliases: Set<string> }[] {
    const groups: { operands: ResolvedExpr[]; aliases: Set<string> }[] = []
    for (const operand of operands) {
      const aliases = this.#within(operand, used)
      if (aliases.size === 0) {
        groups.push({ operands: [operand], aliases })
        continue
      }
      const joined = groups.filter((g) => [...g.aliases].some((alias) => aliases.has(alias)))
      const target = joined[0] ?? { operands: [], aliases: new Set<string>() }
      if (joined.length === 0) groups.push(target)
      for (const other of joined.slice(1)) {
        target.operands.push(...other.operands)
        for (const alias of other.aliases) target.aliases.add(alias)
        groups.splice(groups.indexOf(other), 1)
      }
      target.operands.push(operand)
      for (const alias of aliases) target.aliases.add(alias)
    }
    // Keep each group's operands in text order (merging can append an earlier one late).
    for (const group of groups) group.operands.sort((x, y) => operands.indexOf(x) - operands.indexOf(y))
    return groups
  }

  /**
   * The alias the set form joins (the others become `EXISTS`), so that SQLite can start from it:
   * among the conjuncts of the filter that read one alias alone, the first whose alias is
   * compared by equality on an indexed column, else the first. None when the filter is no
   * such conjunction (an OR of aliases, say).
   */
  drivingAlias(): string | undefined {
    let where = this.#filter.where
    while (where.kind === 'not' && (where.operand.kind === 'logical' || where.operand.kind === 'not')) {
      where = negation(where.operand)
    }
    const operands = where.kind === 'logical' && where.op === 'AND' ? where.operands : [where]
    const all = new Set(this.#neighbours.keys())
    const single = this.groups(operands, all).filter((g) => g.aliases.size === 1)
    const indexed = single.find((g) => g.operands.some((operand) => this.#indexedEquality(operand)))
    const chosen = indexed ?? single[0]
    return chosen === undefined ? undefined : ([...chosen.aliases][0] as string)
  }

  /** An indexed equality, alone or as one operand of AND: few rows satisfy it, as a rule. */
  #selective(expr: ResolvedExpr): boolean {
    if (expr.kind === 'logical' && expr.op === 'AND')
      return expr.operands.some((e) => this.#indexedEquality(e))
    return this.#indexedEquality(expr)
  }

  #indexedEquality(expr: ResolvedExpr): boolean {
    const indexed = (e: ResolvedExpr) =>
      e.kind === 'column' &&
      this.#aliasOfTable.has(e.table) &&
      (e.table.endsWith('_type') ? e.column === 'name' : INDEXED_NEIGHBOUR_COLUMNS.has(e.column))
    if (expr.kind === 'comparison' && expr.op === '=') {
      return (
        (indexed(expr.left) && expr.right.kind === 'value') ||
        (indexed(expr.right) && expr.left.kind === 'value')
      )
    }
    return (
      expr.kind === 'in' &&
      !expr.negated &&
      indexed(expr.operand) &&
      expr.list.every((v) => v.kind === 'value')
    )
  }

  /** Whether every column `expr` reads is of `alias` (its row or its type). */
  #readsOnly(expr: ResolvedExpr, alias: string): boolean {
    if (expr.kind === 'column') return this.#aliasOfTable.get(expr.table) === alias
    return childrenOf(expr).every((child) => this.#readsOnly(child, alias))
  }

  /** `table_0.id IN (SELECT <the listed node's id> FROM <alias's tables> WHERE <condition>)`. */
  #membership(alias: string, condition: ResolvedExpr): string {
    const join = this.#neighbours.get(alias) as NeighbourJoin
    const { relation } = join
    const node =
      relation.link === undefined
        ? `${alias}.${relation.nodeColumn}`
        : `${alias}_link.${relation.link.nodeColumn}`
    const [first, ...rest] = joinedTables(this.#filter, join, this.#writer.d) as [
      JoinedTable,
      ...JoinedTable[],
    ]
    let sql = `${BASE_ALIAS}.id IN (SELECT ${node} FROM ${first.table}`
    for (const t of rest) sql += ` JOIN ${t.table} ON ${t.on(this.#writer)}`
    return `${sql} WHERE ${this.#writer.render(condition)})`
  }

  #within(expr: ResolvedExpr, scope: ReadonlySet<string>): Set<string> {
    return new Set([...this.aliases(expr)].filter((alias) => scope.has(alias)))
  }

  /** `EXISTS` over the rows of `aliases` (in join order), optionally with a condition on them. */
  #exists(aliases: readonly string[], condition: (() => string) | undefined): string {
    const ordered = this.#filter.joins.filter((join) => aliases.includes(join.alias))
    const tables = ordered.flatMap((join) => joinedTables(this.#filter, join, this.#writer.d))
    return existsOver(this.#writer, tables, condition)
  }
}

function parenthesised(sql: string): string {
  return `(${sql})`
}

/** The parts joined by `op`, each in parentheses; a single part as it is. */
function all(op: 'AND' | 'OR', parts: readonly string[]): string {
  return parts.length === 1 ? (parts[0] as string) : chain(op, parts.map(parenthesised))
}

/**
 * `EXISTS (SELECT 1 FROM <tables> WHERE <first table's join condition> [AND (<condition>)])`:
 * the tables in a subquery correlated with the enclosing rows.
 */
function existsOver(
  writer: SqlWriter,
  tables: readonly JoinedTable[],
  condition: (() => string) | undefined,
): string {
  const [first, ...rest] = tables
  if (first === undefined) throw new Error('existsOver: no tables')
  let sql = `EXISTS (SELECT 1 FROM ${first.table}`
  for (const t of rest) sql += ` JOIN ${t.table} ON ${t.on(writer)}`
  sql += ` WHERE ${first.on(writer)}`
  if (condition !== undefined) sql += ` AND (${condition()})`
  return `${sql})`
}

/**
 * Compiles a resolved filter to both of its forms (see {@link CompiledFilter}).
 *
 * With at most one neighbour alias, both forms join every table the filter needs. With two or
 * more, neighbours become correlated `EXISTS` (see "semi-joins" above); the set form still joins
 * one of them, so that SQLite can find the nodes through that alias's indices:
 * ```
 * contexts_a.name = 'r1' AND contexts_b.name != 'zz'   (listing artifacts)
 *   SELECT DISTINCT table_0.id FROM `Artifact` AS table_0
 *     JOIN `Attribution` AS table_1_link ON table_1_link.artifact_id = table_0.id
 *     JOIN `Context` AS table_1 ON table_1.id = table_1_link.context_id AND table_1.type_id IN (…)
 *     WHERE ((table_1.name = ?) AND (EXISTS (SELECT 1 FROM `Attribution` AS table_2_link
 *       JOIN `Context` AS table_2 ON table_2.id = table_2_link.context_id AND table_2.type_id IN (…)
 *       WHERE table_2_link.artifact_id = table_0.id AND (table_2.name <> ?))))
 * ```
 * @throws InvalidArgument when the filter would bind more than {@link MAX_BOUND_PARAMETERS} values.
 */
export function compileResolvedFilter(filter: ResolvedFilter, options: CompileOptions = {}): CompiledFilter {
  const neighbours = filter.joins.filter((join) => join.kind === 'neighbour')
  const d = options.dialect ?? SQLITE_DIALECT
  const compiled =
    neighbours.length <= 1
      ? joinedForms(filter, d, options.rowGuard)
      : semiJoinForms(filter, d, options.rowGuard)
  checkParameterCount(compiled.set)
  checkParameterCount(compiled.row)
  return {
    sql: compiled.sql,
    params: compiled.set.params,
    condition: compiled.condition,
    conditionParams: compiled.row.params,
    joins: filter.joins.length,
  }
}

/** Options of {@link compileResolvedFilter}. */
export interface CompileOptions {
  /**
   * A condition on `table_0` (SQL built by the caller from constants, never from the query)
   * tested first on every row the set form visits: the engine's time budget check, so a set
   * that takes long to compute can be stopped inside the engine.
   */
  readonly rowGuard?: string | undefined
  /** The engine the SQL is for; SQLite when not given. */
  readonly dialect?: Dialect | undefined
}

interface Forms {
  readonly sql: string
  readonly set: SqlWriter
  readonly condition: string
  readonly row: SqlWriter
}

function selectDistinct(
  filter: ResolvedFilter,
  writer: SqlWriter,
  joins: readonly Join[],
  where: () => string,
  rowGuard: string | undefined,
): string {
  let sql = `SELECT DISTINCT ${BASE_ALIAS}.id FROM ${writer.d.id(NODE_TABLES[filter.kind].node)} AS ${BASE_ALIAS}`
  for (const t of joins.flatMap((join) => joinedTables(filter, join, writer.d)))
    sql += ` JOIN ${t.table} ON ${t.on(writer)}`
  return rowGuard === undefined ? `${sql} WHERE (${where()})` : `${sql} WHERE ${rowGuard} AND (${where()})`
}

// Every joined table in one statement: MLMD's own shape.
function joinedForms(filter: ResolvedFilter, d: Dialect, rowGuard: string | undefined): Forms {
  const set = new SqlWriter(d)
  const sql = selectDistinct(filter, set, filter.joins, () => set.render(filter.where), rowGuard)
  // The row form: the joined tables in a subquery correlated with the outer `table_0`.
  const row = new SqlWriter(d)
  const tables = filter.joins.flatMap((join) => joinedTables(filter, join, d))
  const condition =
    tables.length === 0
      ? `(${row.render(filter.where)})`
      : existsOver(row, tables, () => row.render(filter.where))
  return { sql, set, condition, row }
}

function semiJoinForms(filter: ResolvedFilter, d: Dialect, rowGuard: string | undefined): Forms {
  const everyNeighbour = (except?: string) =>
    new Set(filter.joins.filter((j) => j.kind === 'neighbour' && j.alias !== except).map((j) => j.alias))
  const direct = filter.joins.filter((join) => join.kind !== 'neighbour')

  const set = new SqlWriter(d)
  const setWriter = new SemiJoinWriter(filter, set, true)
  const driving = setWriter.drivingAlias()
  const sql = selectDistinct(
    filter,
    set,
    filter.joins.filter((join) => join.kind !== 'neighbour' || join.alias === driving),
    () => setWriter.quantified(filter.where, everyNeighbour(driving)),
    rowGuard,
  )

  const row = new SqlWriter(d)
  const rowWriter = new SemiJoinWriter(filter, row)
  const tables = direct.flatMap((join) => joinedTables(filter, join, d))
  const condition =
    tables.length === 0
      ? `(${rowWriter.quantified(filter.where, everyNeighbour())})`
      : existsOver(row, tables, () => rowWriter.quantified(filter.where, everyNeighbour()))
  return { sql, set, condition, row }
}

/**
 * The filter as MLMD runs it, every alias a join of the one statement (`SELECT DISTINCT
 * table_0.id …`), whatever the number of aliases: the reference the semi-join forms are tested
 * against. Its cost grows with the product of the aliases' rows per node.
 * @internal
 */
export function compileJoinedFilter(
  filter: ResolvedFilter,
  d: Dialect = SQLITE_DIALECT,
): { sql: string; params: SqlValue[] } {
  const { sql, set } = joinedForms(filter, d, undefined)
  return { sql, params: set.params }
}
