/**
 * The resolver: binds the names of a parsed filter_query to columns of the listed node, its
 * neighbours and its properties, type-checks every operator the way ZetaSQL does, turns enum
 * names into their numbers with MLMD's rules, and records the joins the compiler must emit.
 *
 * Its output is a second immutable tree ({@link ResolvedExpr}) in which every name is a column
 * of a table alias and every literal a value to bind, plus the list of {@link Join}s, numbered
 * `table_1`, `table_2`, … in the order their names first appear (the listed node is `table_0`).
 *
 * The rules, with MLMD 1.16 as the reference (its differences are listed in README.md):
 * - Attributes and field names are case-insensitive (`ID`, `contexts_a.NAME`), as ZetaSQL
 *   column names are. Alias prefixes (`contexts_`, …) and `properties`/`custom_properties` are
 *   lower case, and aliases and property names are compared exactly.
 * - Each distinct alias (`contexts_a`, `contexts_b`) is its own join; the same alias is the same
 *   join wherever it appears. Each property name is one join. All joins are inner joins, so a
 *   node lacking a mentioned neighbour or property never matches, even under `OR` or `NOT`.
 * - Types are strict: no string to number, number to bool, or string to enum conversions.
 * - Enum attributes (`state`, `last_known_state`, `artifacts_x.state`,
 *   `executions_x.last_known_state`, `events_x.type`) compare only with enum names, through
 *   `=`, `!=` (or `<>`), `IN` and `NOT IN`, or are tested with `IS [NOT] NULL`. `!=` and
 *   `NOT IN` also match nodes whose value is NULL (MLMD's rewrite).
 */
import type { SqlValue } from '../storage/transaction-executor.js'
import type {
  ArithmeticNode,
  ArithmeticOperator,
  BetweenNode,
  CallNode,
  ComparisonNode,
  FilterNode,
  InNode,
  IsNode,
  LikeNode,
  LiteralNode,
  LogicalNode,
  NegateNode,
  NotNode,
  PathNode,
  PathSegment,
} from './ast.js'
import {
  ATTRIBUTES,
  ENUM_VALUES,
  type EnumTypeName,
  type Field,
  type FieldTable,
  type FilterNodeKind,
  FUNCTIONS,
  isEnumType,
  PREFIX_KINDS,
  PROPERTY_FIELDS,
  RELATIONS,
  type Relation,
  typeToString,
  type ValueType,
} from './catalog.js'
import { filterError } from './filter-error.js'

/** The most tables one filter may join, the listed node included: SQLite's limit for a join. */
export const MAX_JOINED_TABLES = 64

/** The alias of the listed node's table. */
export const BASE_ALIAS = 'table_0'

/** Comparison operators after resolution (`!=` is written `<>`). */
export type ResolvedComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>='

/** A resolved expression: names are columns of aliases, literals are values to bind. */
export type ResolvedExpr =
  | { readonly kind: 'column'; readonly type: ValueType; readonly table: string; readonly column: string }
  | { readonly kind: 'value'; readonly type: ValueType; readonly value: SqlValue }
  | { readonly kind: 'negate'; readonly type: ValueType; readonly operand: ResolvedExpr }
  | {
      readonly kind: 'arithmetic'
      readonly type: ValueType
      readonly op: ArithmeticOperator
      readonly left: ResolvedExpr
      readonly right: ResolvedExpr
    }
  | {
      readonly kind: 'comparison'
      readonly type: 'BOOL'
      readonly op: ResolvedComparisonOperator
      readonly left: ResolvedExpr
      readonly right: ResolvedExpr
    }
  | {
      readonly kind: 'logical'
      readonly type: 'BOOL'
      readonly op: 'AND' | 'OR'
      readonly operands: readonly ResolvedExpr[]
    }
  | { readonly kind: 'not'; readonly type: 'BOOL'; readonly operand: ResolvedExpr }
  | {
      readonly kind: 'in'
      readonly type: 'BOOL'
      readonly negated: boolean
      readonly operand: ResolvedExpr
      readonly list: readonly ResolvedExpr[]
    }
  | {
      readonly kind: 'like'
      readonly type: 'BOOL'
      readonly negated: boolean
      readonly operand: ResolvedExpr
      readonly pattern: ResolvedExpr
    }
  | {
      readonly kind: 'between'
      readonly type: 'BOOL'
      readonly negated: boolean
      readonly operand: ResolvedExpr
      readonly low: ResolvedExpr
      readonly high: ResolvedExpr
    }
  | {
      readonly kind: 'is'
      readonly type: 'BOOL'
      readonly negated: boolean
      readonly operand: ResolvedExpr
      readonly test: 'NULL' | 'TRUE' | 'FALSE'
    }
  | {
      readonly kind: 'call'
      readonly type: ValueType
      readonly fn: string
      readonly args: readonly ResolvedExpr[]
    }

/** A join the compiler must emit, in first-mention order. */
export type Join =
  /** The listed node's type, for `type`. */
  | { readonly kind: 'type'; readonly alias: string }
  /** A neighbour alias; `withType` when its `type` field is used (its Type is `<alias>_type`). */
  | {
      readonly kind: 'neighbour'
      readonly alias: string
      readonly relation: Relation
      readonly withType: boolean
    }
  /** One property (by exact name) of the listed node. */
  | { readonly kind: 'property'; readonly alias: string; readonly name: string; readonly custom: boolean }

/** A resolved filter: what to join and the condition on the joined rows. */
export interface ResolvedFilter {
  readonly kind: FilterNodeKind
  readonly joins: readonly Join[]
  readonly where: ResolvedExpr
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

function isNumeric(type: ValueType): boolean {
  return type === 'INT64' || type === 'DOUBLE'
}

// ZetaSQL's rule for =, <, IN, BETWEEN: both numeric, or the same type; an untyped NULL goes
// with anything. Enums never: they are compared through their names only.
function comparable(a: ValueType, b: ValueType): boolean {
  if (isEnumType(a) || isEnumType(b)) return false
  if (a === 'NULL' || b === 'NULL') return true
  return a === b || (isNumeric(a) && isNumeric(b))
}

function typeList(types: readonly ValueType[]): string {
  return types.map(typeToString).join(', ')
}

function fieldsToString(fields: FieldTable): string {
  return `STRUCT<${Object.entries(fields)
    .map(([name, field]) => `${name} ${typeToString(field.type)}`)
    .join(', ')}>`
}

function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

function isAliasSuffix(suffix: string): boolean {
  return suffix.length > 0 && /^[0-9A-Za-z_]+$/.test(suffix)
}

function literalText(node: LiteralNode): string {
  const literal = node.literal
  switch (literal.type) {
    case 'NULL':
      return 'NULL'
    case 'BOOL':
      return literal.value ? 'TRUE' : 'FALSE'
    case 'STRING':
      return JSON.stringify(literal.value)
    default:
      return String(literal.value)
  }
}

const INT64_MAX = 2n ** 63n - 1n
// SQLite's SQLITE_MAX_LIKE_PATTERN_LENGTH; longer literal patterns fail there, so they fail here.
const MAX_LIKE_PATTERN_BYTES = 50_000

type Handlers = {
  readonly [K in FilterNode['kind']]: (node: Extract<FilterNode, { kind: K }>) => ResolvedExpr
}

class Resolver {
  readonly #kind: FilterNodeKind
  readonly #query: string
  readonly #joins = new Map<string, Mutable<Join>>()
  #tables = 1

  constructor(kind: FilterNodeKind, query: string) {
    this.#kind = kind
    this.#query = query
  }

  #fail(at: number | undefined, message: string): never {
    throw filterError(this.#query, at, message)
  }

  resolveRoot(root: FilterNode): ResolvedFilter {
    const where = this.resolve(root)
    if (where.type !== 'BOOL') {
      const shown = this.#query.length > 200 ? `${this.#query.slice(0, 200)}…` : this.#query
      this.#fail(undefined, `Given query string is not a valid boolean expression: ${shown}`)
    }
    const joins = [...this.#joins.values()].map((join) => Object.freeze({ ...join }) as Join)
    return Object.freeze({ kind: this.#kind, joins: Object.freeze(joins), where })
  }

  resolve(node: FilterNode): ResolvedExpr {
    return (this.#handlers[node.kind] as (node: FilterNode) => ResolvedExpr)(node)
  }

  // Every kind of syntax node has exactly one rule; a new kind without one fails to compile.
  readonly #handlers: Handlers = {
    literal: (node) => this.#literal(node),
    path: (node) => this.#path(node),
    call: (node) => this.#call(node),
    negate: (node) => this.#negate(node),
    arithmetic: (node) => this.#arithmetic(node),
    comparison: (node) => this.#comparison(node),
    not: (node) => this.#not(node),
    logical: (node) => this.#logical(node),
    in: (node) => this.#in(node),
    like: (node) => this.#like(node),
    between: (node) => this.#between(node),
    is: (node) => this.#is(node),
  }

  // --- names -----------------------------------------------------------------------------

  #literal(node: LiteralNode): ResolvedExpr {
    const literal = node.literal
    switch (literal.type) {
      case 'NULL':
        return value('NULL', null)
      case 'BOOL':
        // SQLite stores booleans as 0/1 (MLMD's bool_value column too).
        return value('BOOL', literal.value ? 1n : 0n)
      case 'INT64':
        // Beyond int64 (ZetaSQL's UINT64 range) the value is bound as a double; comparisons
        // with int64 columns stay exact because every int64 is below 2^63.
        return value('INT64', literal.value > INT64_MAX ? Number(literal.value) : literal.value)
      case 'DOUBLE':
        return value('DOUBLE', literal.value)
      case 'STRING':
        return value('STRING', literal.value)
    }
  }

  #path(node: PathNode): ResolvedExpr {
    const [first, ...rest] = node.segments as [PathSegment, ...PathSegment[]]
    if (first.name === 'properties' || first.name === 'custom_properties') {
      return this.#property(first, rest)
    }
    const attribute = lookup(ATTRIBUTES[this.#kind], first.name.toLowerCase())
    if (attribute !== undefined) {
      const column = this.#attributeColumn(attribute)
      return this.#noMoreFields(column, rest)
    }
    const relation = RELATIONS[this.#kind].find(
      (r) => first.name.startsWith(r.prefix) && isAliasSuffix(first.name.slice(r.prefix.length)),
    )
    if (relation !== undefined && rest.length > 0) {
      const [fieldSegment, ...more] = rest as [PathSegment, ...PathSegment[]]
      const field = lookup(relation.fields, fieldSegment.name.toLowerCase())
      if (field === undefined) {
        this.#fail(
          fieldSegment.at,
          `Field name ${fieldSegment.name} does not exist in ${fieldsToString(relation.fields)}`,
        )
      }
      return this.#noMoreFields(this.#neighbourColumn(first.name, relation, field), more)
    }
    this.#fail(first.at, `Unrecognized name: ${first.name}${this.#hint(first.name, relation)}`)
  }

  #hint(name: string, relation: Relation | undefined): string {
    if (relation !== undefined)
      return `; expected ${name}.<field>, one of ${Object.keys(relation.fields).join(', ')}`
    for (const [prefix, kinds] of Object.entries(PREFIX_KINDS)) {
      if (
        name.startsWith(prefix) &&
        isAliasSuffix(name.slice(prefix.length)) &&
        !kinds.includes(this.#kind)
      ) {
        return `; ${prefix}<alias> can be used when listing ${kinds.map((k) => `${k}s`).join(' and ')} only`
      }
    }
    return ''
  }

  #noMoreFields(column: ResolvedExpr, rest: readonly PathSegment[]): ResolvedExpr {
    const extra = rest[0]
    if (extra !== undefined) {
      this.#fail(
        extra.at,
        `Cannot access field ${extra.name} on a value with type ${typeToString(column.type)}`,
      )
    }
    return column
  }

  #property(first: PathSegment, rest: readonly PathSegment[]): ResolvedExpr {
    const [nameSegment, fieldSegment, ...more] = rest
    if (nameSegment === undefined || fieldSegment === undefined) {
      this.#fail(
        first.at,
        `Unrecognized name: ${first.name}; expected ${first.name}.<name>.<int_value|double_value|string_value|bool_value>`,
      )
    }
    const field = lookup(PROPERTY_FIELDS, fieldSegment.name.toLowerCase())
    if (field === undefined) {
      this.#fail(
        fieldSegment.at,
        `Field name ${fieldSegment.name} does not exist in ${fieldsToString(PROPERTY_FIELDS)}`,
      )
    }
    const custom = first.name === 'custom_properties'
    const key = `${custom ? 'custom' : 'property'}:${nameSegment.name}`
    const join =
      this.#joins.get(key) ??
      this.#addJoin(key, 1, nameSegment.at, (alias) => ({
        kind: 'property',
        alias,
        name: nameSegment.name,
        custom,
      }))
    return this.#noMoreFields(column(field.type, join.alias, field.column), more)
  }

  #attributeColumn(attribute: Field): ResolvedExpr {
    if (attribute.onType !== true) return column(attribute.type, BASE_ALIAS, attribute.column)
    const join =
      this.#joins.get('type') ?? this.#addJoin('type', 1, undefined, (alias) => ({ kind: 'type', alias }))
    return column(attribute.type, join.alias, attribute.column)
  }

  #neighbourColumn(aliasName: string, relation: Relation, field: Field): ResolvedExpr {
    const key = `neighbour:${aliasName}`
    const tables = relation.link === undefined ? 1 : 2
    const join = (this.#joins.get(key) ??
      this.#addJoin(key, tables, undefined, (alias) => ({
        kind: 'neighbour',
        alias,
        relation,
        withType: false,
      }))) as Mutable<Extract<Join, { kind: 'neighbour' }>>
    if (field.onType !== true) return column(field.type, join.alias, field.column)
    if (!join.withType) {
      this.#countTables(1, undefined)
      join.withType = true
    }
    return column(field.type, `${join.alias}_type`, field.column)
  }

  #addJoin(
    key: string,
    tables: number,
    at: number | undefined,
    make: (alias: string) => Join,
  ): Mutable<Join> {
    this.#countTables(tables, at)
    const join = { ...make(`table_${this.#joins.size + 1}`) }
    this.#joins.set(key, join)
    return join
  }

  #countTables(tables: number, at: number | undefined): void {
    this.#tables += tables
    if (this.#tables > MAX_JOINED_TABLES) {
      this.#fail(
        at,
        `The query needs more than ${MAX_JOINED_TABLES} joined tables (each neighbour alias takes two or three, each property one); use fewer distinct aliases and properties`,
      )
    }
  }

  // --- operators -------------------------------------------------------------------------

  #call(node: CallNode): ResolvedExpr {
    const fn = lookup(FUNCTIONS, node.name.toUpperCase())
    if (fn === undefined) this.#fail(node.at, `Function not found: ${node.name}`)
    const args = node.args.map((arg) => this.resolve(arg))
    const types = args.map((arg) => arg.type)
    const signature = fn.signatures.find(
      (s) => s.args.length === types.length && s.args.every((t, i) => types[i] === t || types[i] === 'NULL'),
    )
    if (signature === undefined) {
      const supported = fn.signatures.map((s) => `${node.name.toUpperCase()}(${typeList(s.args)})`).join('; ')
      this.#fail(
        node.at,
        `No matching signature for function ${node.name.toUpperCase()} for argument types: ${typeList(types)}. Supported signature: ${supported}`,
      )
    }
    return freeze({ kind: 'call', type: signature.result, fn: fn.sqlName, args: Object.freeze(args) })
  }

  #negate(node: NegateNode): ResolvedExpr {
    const operand = this.resolve(node.operand)
    if (!isNumeric(operand.type) && operand.type !== 'NULL') {
      this.#fail(
        node.at,
        `No matching signature for operator - for argument types: ${typeToString(operand.type)}`,
      )
    }
    return freeze({ kind: 'negate', type: operand.type === 'NULL' ? 'INT64' : operand.type, operand })
  }

  #arithmetic(node: ArithmeticNode): ResolvedExpr {
    const left = this.resolve(node.left)
    const right = this.resolve(node.right)
    const types = [left.type, right.type]
    let type: ValueType
    if (node.op === '||') {
      if (!types.every((t) => t === 'STRING' || t === 'NULL')) this.#signatureError(node.at, '||', types)
      type = 'STRING'
    } else {
      if (!types.every((t) => isNumeric(t) || t === 'NULL')) this.#signatureError(node.at, node.op, types)
      // ZetaSQL's `/` is always floating-point division, even of two integers.
      type = node.op === '/' || types.includes('DOUBLE') ? 'DOUBLE' : 'INT64'
    }
    return freeze({ kind: 'arithmetic', type, op: node.op, left, right })
  }

  #signatureError(at: number, op: string, types: readonly ValueType[], hint = ''): never {
    this.#fail(at, `No matching signature for operator ${op} for argument types: ${typeList(types)}${hint}`)
  }

  #comparison(node: ComparisonNode): ResolvedExpr {
    const equality = node.op === '=' || node.op === '!=' || node.op === '<>'
    if (equality && isNullLiteral(node.left)) this.#nullOperand(node.left.at, node.op)
    const left = this.resolve(node.left)
    // `state = NULL` is reported as an unsupported enum value (as MLMD does) by the enum rule.
    if (isEnumType(left.type)) return this.#enumComparison(node, left, left.type)
    if (equality && isNullLiteral(node.right)) this.#nullOperand(node.right.at, node.op)
    const right = this.resolve(node.right)
    if (!comparable(left.type, right.type)) {
      const hint = isEnumType(right.type) ? '; an enum attribute goes on the left: `state = LIVE`' : ''
      this.#signatureError(node.at, node.op, [left.type, right.type], hint)
    }
    const op: ResolvedComparisonOperator = node.op === '!=' ? '<>' : node.op
    return freeze({ kind: 'comparison', type: 'BOOL', op, left, right })
  }

  #nullOperand(at: number, op: string): never {
    this.#fail(at, `Operands of ${op} cannot be literal NULL; use IS NULL or IS NOT NULL`)
  }

  // `state = LIVE` ⇒ `state = 2`; `state != LIVE` ⇒ `(state <> 2 OR state IS NULL)` (MLMD's rewrite).
  #enumComparison(node: ComparisonNode, left: ResolvedExpr, type: EnumTypeName): ResolvedExpr {
    if (node.op !== '=' && node.op !== '!=' && node.op !== '<>') {
      this.#fail(
        node.at,
        `Operator ${node.op} is not supported for ${typeToString(type)}; use =, !=, IN or NOT IN with the names ${enumNames(type)}`,
      )
    }
    const right = value(type, this.#enumValue(node.right, type, node.op))
    if (node.op === '=') return freeze({ kind: 'comparison', type: 'BOOL', op: '=', left, right })
    return orNull(freeze({ kind: 'comparison', type: 'BOOL', op: '<>', left, right }), left)
  }

  #enumValue(node: FilterNode, type: EnumTypeName, op: string): bigint {
    if (node.kind === 'path' && node.segments.length === 1) {
      const name = (node.segments[0] as PathSegment).name
      const number = lookup(ENUM_VALUES[type], name)
      if (number !== undefined) return number
      this.#fail(
        node.at,
        `Unsupported enum value specified in the query: ${name}; ${type} accepts ${enumNames(type)}`,
      )
    }
    if (node.kind === 'literal') {
      if (node.literal.type === 'STRING') {
        this.#signatureError(
          node.at,
          op,
          [type, 'STRING'],
          `; write the enum name without quotes, one of ${enumNames(type)}`,
        )
      }
      const tip =
        node.literal.type === 'NULL' ? '; use IS NULL or IS NOT NULL' : `; ${type} accepts ${enumNames(type)}`
      this.#fail(node.at, `Unsupported enum value specified in the query: ${literalText(node)}${tip}`)
    }
    this.#fail(node.at, `Unsupported enum value specified in the query; ${type} accepts ${enumNames(type)}`)
  }

  #not(node: NotNode): ResolvedExpr {
    const operand = this.resolve(node.operand)
    if (operand.type !== 'BOOL' && operand.type !== 'NULL') {
      this.#signatureError(node.at, 'NOT', [operand.type], '. Supported signature: NOT (BOOL)')
    }
    return freeze({ kind: 'not', type: 'BOOL', operand })
  }

  #logical(node: LogicalNode): ResolvedExpr {
    const operands = node.operands.map((operand) => this.resolve(operand))
    const types = operands.map((operand) => operand.type)
    if (!types.every((t) => t === 'BOOL' || t === 'NULL')) {
      this.#signatureError(node.at, node.op, types, `. Supported signature: BOOL ${node.op} ([BOOL, ...])`)
    }
    return freeze({ kind: 'logical', type: 'BOOL', op: node.op, operands: Object.freeze(operands) })
  }

  #in(node: InNode): ResolvedExpr {
    const operand = this.resolve(node.operand)
    if (isEnumType(operand.type)) {
      const type = operand.type
      const list = node.list.map((item) => value(type, this.#enumValue(item, type, 'IN')))
      const inList = freeze({
        kind: 'in',
        type: 'BOOL',
        negated: node.negated,
        operand,
        list: Object.freeze(list),
      } satisfies ResolvedExpr)
      return node.negated ? orNull(inList, operand) : inList
    }
    const list = node.list.map((item) => this.resolve(item))
    if (!list.every((item) => comparable(operand.type, item.type))) {
      this.#fail(
        node.at,
        `No matching signature for operator ${node.negated ? 'NOT IN' : 'IN'} for argument types ${typeToString(operand.type)} and {${typeList([...new Set(list.map((item) => item.type))])}}`,
      )
    }
    return freeze({ kind: 'in', type: 'BOOL', negated: node.negated, operand, list: Object.freeze(list) })
  }

  #like(node: LikeNode): ResolvedExpr {
    const operand = this.resolve(node.operand)
    const pattern = this.resolve(node.pattern)
    const isText = (t: ValueType) => t === 'STRING' || t === 'NULL'
    if (!isText(operand.type) || !isText(pattern.type)) {
      this.#signatureError(
        node.at,
        node.negated ? 'NOT LIKE' : 'LIKE',
        [operand.type, pattern.type],
        '. Supported signature: STRING LIKE STRING',
      )
    }
    if (node.pattern.kind === 'literal' && node.pattern.literal.type === 'STRING') {
      const text = node.pattern.literal.value
      // `\` escapes `%`, `_` and itself in ZetaSQL patterns; a lone one at the end escapes nothing.
      let trailing = 0
      while (trailing < text.length && text[text.length - 1 - trailing] === '\\') trailing++
      if (trailing % 2 === 1) this.#fail(node.pattern.at, 'LIKE pattern ends with a backslash')
      if (new TextEncoder().encode(text).length > MAX_LIKE_PATTERN_BYTES) {
        this.#fail(node.pattern.at, `LIKE pattern is longer than ${MAX_LIKE_PATTERN_BYTES} bytes`)
      }
    }
    return freeze({ kind: 'like', type: 'BOOL', negated: node.negated, operand, pattern })
  }

  #between(node: BetweenNode): ResolvedExpr {
    const operand = this.resolve(node.operand)
    const low = this.resolve(node.low)
    const high = this.resolve(node.high)
    if (
      !comparable(operand.type, low.type) ||
      !comparable(operand.type, high.type) ||
      !comparable(low.type, high.type)
    ) {
      this.#signatureError(
        node.at,
        node.negated ? 'NOT BETWEEN' : 'BETWEEN',
        [operand.type, low.type, high.type],
        '. Supported signature: (ANY) BETWEEN (ANY) AND (ANY) of comparable types',
      )
    }
    return freeze({ kind: 'between', type: 'BOOL', negated: node.negated, operand, low, high })
  }

  #is(node: IsNode): ResolvedExpr {
    const operand = this.resolve(node.operand)
    if (node.test !== 'NULL' && operand.type !== 'BOOL' && operand.type !== 'NULL') {
      const op = `IS ${node.negated ? 'NOT ' : ''}${node.test}`
      this.#signatureError(node.at, op, [operand.type], `. Supported signature: (BOOL) ${op}`)
    }
    return freeze({ kind: 'is', type: 'BOOL', negated: node.negated, operand, test: node.test })
  }
}

function freeze<T extends ResolvedExpr>(expr: T): T {
  return Object.freeze(expr)
}

function value(type: ValueType, v: SqlValue): ResolvedExpr {
  return freeze({ kind: 'value', type, value: v })
}

function column(type: ValueType, table: string, name: string): ResolvedExpr {
  return freeze({ kind: 'column', type, table, column: name })
}

// MLMD's negated enum predicates also match rows where the value is NULL.
function orNull(condition: ResolvedExpr, operand: ResolvedExpr): ResolvedExpr {
  const isNull = freeze({ kind: 'is', type: 'BOOL', negated: false, operand, test: 'NULL' } as const)
  return freeze({ kind: 'logical', type: 'BOOL', op: 'OR', operands: Object.freeze([condition, isNull]) })
}

function enumNames(type: EnumTypeName): string {
  return Object.keys(ENUM_VALUES[type]).join(', ')
}

function isNullLiteral(node: FilterNode): boolean {
  return node.kind === 'literal' && node.literal.type === 'NULL'
}

/**
 * Resolves a parsed filter against the attributes, neighbours and properties of `kind`.
 *
 * @example
 * ```ts
 * resolveFilterQuery('artifact', parseFilterQuery("contexts_a.name = 'run1' AND state != LIVE"), query)
 * // joins: [neighbour contexts_ as table_1]
 * // where: (table_1.name = 'run1') AND ((table_0.state <> 2) OR (table_0.state IS NULL))
 * ```
 * @throws InvalidArgument for unknown names (`Unrecognized name: …`, `Field name … does not
 *   exist …`), type errors (`No matching signature for operator …`), enum misuse
 *   (`Unsupported enum value specified in the query: …`), a non-boolean result (`… not a valid
 *   boolean expression …`) or too many joins.
 */
export function resolveFilterQuery(kind: FilterNodeKind, root: FilterNode, query: string): ResolvedFilter {
  return new Resolver(kind, query).resolveRoot(root)
}
