/**
 * The filter_query parser: tokens to an immutable {@link FilterNode} tree, with ZetaSQL's
 * operator precedence (loosest first):
 *
 * | level | operators |
 * | --- | --- |
 * | 1 | `OR` |
 * | 2 | `AND` |
 * | 3 | `NOT` |
 * | 4 | `= != <> < <= > >=`, `[NOT] IN (…)`, `[NOT] LIKE`, `[NOT] BETWEEN … AND …`, `IS [NOT] NULL/TRUE/FALSE` (not associative) |
 * | 5 | binary `+ -` |
 * | 6 | `* / \|\|` |
 * | 7 | unary `-` and `+` |
 * | 8 | literals, names (`a.b.c`), function calls, `( … )` |
 *
 * Hostile input is bounded: a query longer than {@link MAX_FILTER_QUERY_LENGTH} characters or
 * nested deeper than {@link MAX_FILTER_NESTING_DEPTH} levels is rejected with INVALID_ARGUMENT
 * before anything deep happens. `AND`/`OR` chains are flat lists, so a long chain of
 * conditions is fine; every other operator adds a level. The parser reads each token once.
 */
import {
  type ArithmeticOperator,
  type ComparisonOperator,
  type FilterNode,
  type LiteralValue,
  node,
  type PathSegment,
} from './ast.js'
import { filterError } from './filter-error.js'
import { type Token, tokenize } from './lexer.js'

/** The longest filter_query accepted, in characters. */
export const MAX_FILTER_QUERY_LENGTH = 64 * 1024

/**
 * The deepest nesting accepted: parentheses, `NOT`, unary minus and every operator except the
 * flat `AND`/`OR` chains count one level each. It also keeps the generated SQL well inside
 * SQLite's expression-depth limit of 1000.
 */
export const MAX_FILTER_NESTING_DEPTH = 200

const UINT64_MAX = 2n ** 64n - 1n
const INT64_MIN_MAGNITUDE = 2n ** 63n

const COMPARISON_SYMBOLS: ReadonlySet<string> = new Set<ComparisonOperator>([
  '=',
  '!=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
])

/** Describes a token the way ZetaSQL's messages do: `keyword AND`, `")"`, `end of input`. */
function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of input'
    case 'keyword':
      return `keyword ${token.value}`
    case 'symbol':
      return JSON.stringify(token.value)
    case 'ident':
      return `identifier ${token.quoted ? `\`${token.value}\`` : token.value}`
    case 'string':
      return `string literal ${JSON.stringify(token.value)}`
    case 'int':
      return `integer literal ${token.value}`
    case 'float':
      return `floating point literal ${token.value}`
  }
}

class Parser {
  readonly #query: string
  readonly #tokens: readonly Token[]
  #pos = 0
  #nesting = 0
  // Height of each subtree built so far; a node higher than the limit is rejected when built.
  readonly #heights = new WeakMap<FilterNode, number>()

  constructor(query: string) {
    this.#query = query
    this.#tokens = tokenize(query)
  }

  parse(): FilterNode {
    if (this.#peek().kind === 'end') this.#unexpected(this.#peek())
    const expression = this.#parseOr()
    const rest = this.#peek()
    if (rest.kind !== 'end') this.#fail(rest, `Syntax error: Expected end of input but got ${describe(rest)}`)
    return expression
  }

  // --- token helpers ---------------------------------------------------------------------

  #peek(offset = 0): Token {
    const tokens = this.#tokens
    return tokens[Math.min(this.#pos + offset, tokens.length - 1)] as Token
  }

  #next(): Token {
    const token = this.#peek()
    if (token.kind !== 'end') this.#pos++
    return token
  }

  #isKeyword(token: Token, ...keywords: string[]): boolean {
    return token.kind === 'keyword' && keywords.includes(token.value)
  }

  #isSymbol(token: Token, ...symbols: string[]): boolean {
    return token.kind === 'symbol' && symbols.includes(token.value)
  }

  #fail(token: Token, message: string): never {
    throw filterError(this.#query, token.start, message)
  }

  #unexpected(token: Token, expected?: string): never {
    const what = token.kind === 'end' ? 'end of expression' : describe(token)
    this.#fail(
      token,
      `Syntax error: Unexpected ${what}${expected === undefined ? '' : `; expected ${expected}`}`,
    )
  }

  #expectSymbol(symbol: string, context: string): Token {
    const token = this.#peek()
    if (!this.#isSymbol(token, symbol)) {
      this.#fail(
        token,
        `Syntax error: Expected ${JSON.stringify(symbol)} ${context} but got ${describe(token)}`,
      )
    }
    return this.#next()
  }

  /** Enters one level of recursion; see {@link MAX_FILTER_NESTING_DEPTH}. */
  #enter(token: Token): void {
    if (++this.#nesting > MAX_FILTER_NESTING_DEPTH) this.#tooDeep(token.start)
  }

  #leave(): void {
    this.#nesting--
  }

  #tooDeep(offset: number): never {
    throw filterError(
      this.#query,
      offset,
      `The query is nested too deeply: more than ${MAX_FILTER_NESTING_DEPTH} levels of parentheses, operators or NOT`,
    )
  }

  /** Records the height of a new node built over `children`, rejecting trees that grow too high. */
  #built<T extends FilterNode>(result: T, children: readonly FilterNode[]): T {
    let height = 0
    for (const child of children) height = Math.max(height, this.#heights.get(child) ?? 0)
    if (height + 1 > MAX_FILTER_NESTING_DEPTH) this.#tooDeep(result.at)
    this.#heights.set(result, height + 1)
    return result
  }

  // --- grammar ---------------------------------------------------------------------------

  #parseOr(): FilterNode {
    return this.#parseChain('OR', () => this.#parseAnd())
  }

  #parseAnd(): FilterNode {
    return this.#parseChain('AND', () => this.#parseNot())
  }

  #parseChain(op: 'AND' | 'OR', operand: () => FilterNode): FilterNode {
    const first = operand()
    if (!this.#isKeyword(this.#peek(), op)) return first
    const operands = [first]
    while (this.#isKeyword(this.#peek(), op)) {
      this.#next()
      operands.push(operand())
    }
    return this.#built(node.logical(first.at, op, operands), operands)
  }

  #parseNot(): FilterNode {
    const token = this.#peek()
    if (!this.#isKeyword(token, 'NOT')) return this.#parseComparison()
    this.#next()
    this.#enter(token)
    const operand = this.#parseNot()
    this.#leave()
    return this.#built(node.not(token.start, operand), [operand])
  }

  #parseComparison(): FilterNode {
    const left = this.#parseAdditive()
    const result = this.#parseComparisonTail(left)
    if (result !== left) {
      // Comparisons do not chain: `a = b = c` and `a IS NULL IS NULL` are errors, as in ZetaSQL.
      const next = this.#peek()
      if (this.#isKeyword(next, 'IS')) {
        this.#fail(next, 'Syntax error: Expression to the left of IS must be parenthesized')
      }
      if (this.#startsComparison(next)) this.#unexpected(next, 'AND, OR, ")" or the end of the query')
    }
    return result
  }

  #startsComparison(token: Token): boolean {
    if (token.kind === 'symbol') return COMPARISON_SYMBOLS.has(token.value)
    if (this.#isKeyword(token, 'IN', 'LIKE', 'BETWEEN', 'IS')) return true
    return this.#isKeyword(token, 'NOT') && this.#isKeyword(this.#peek(1), 'IN', 'LIKE', 'BETWEEN')
  }

  #parseComparisonTail(left: FilterNode): FilterNode {
    const token = this.#peek()
    if (token.kind === 'symbol' && COMPARISON_SYMBOLS.has(token.value)) {
      this.#next()
      const right = this.#parseAdditive()
      return this.#built(node.comparison(left.at, token.value as ComparisonOperator, left, right), [
        left,
        right,
      ])
    }
    let negated = false
    if (this.#isKeyword(token, 'NOT')) {
      if (!this.#isKeyword(this.#peek(1), 'IN', 'LIKE', 'BETWEEN')) {
        this.#unexpected(token, 'IN, LIKE or BETWEEN after NOT (or put NOT before the condition)')
      }
      this.#next()
      negated = true
    }
    const keyword = this.#peek()
    if (this.#isKeyword(keyword, 'IN')) {
      this.#next()
      const list = this.#parseInList()
      return this.#built(node.in(left.at, negated, left, list), [left, ...list])
    }
    if (this.#isKeyword(keyword, 'LIKE')) {
      this.#next()
      const pattern = this.#parseAdditive()
      return this.#built(node.like(left.at, negated, left, pattern), [left, pattern])
    }
    if (this.#isKeyword(keyword, 'BETWEEN')) {
      this.#next()
      const low = this.#parseAdditive()
      const and = this.#peek()
      if (!this.#isKeyword(and, 'AND')) {
        this.#fail(and, `Syntax error: Expected keyword AND in BETWEEN but got ${describe(and)}`)
      }
      this.#next()
      const high = this.#parseAdditive()
      return this.#built(node.between(left.at, negated, left, low, high), [left, low, high])
    }
    if (this.#isKeyword(keyword, 'IS')) {
      this.#next()
      let isNegated = false
      if (this.#isKeyword(this.#peek(), 'NOT')) {
        this.#next()
        isNegated = true
      }
      const test = this.#peek()
      if (!this.#isKeyword(test, 'NULL', 'TRUE', 'FALSE')) {
        this.#fail(test, `Syntax error: Expected NULL, TRUE or FALSE after IS but got ${describe(test)}`)
      }
      this.#next()
      return this.#built(node.is(left.at, isNegated, left, test.value as 'NULL' | 'TRUE' | 'FALSE'), [left])
    }
    return left
  }

  #parseInList(): FilterNode[] {
    const open = this.#peek()
    if (!this.#isSymbol(open, '(')) {
      this.#fail(
        open,
        `Syntax error: Expected a list of values enclosed in parentheses after IN but got ${describe(open)}`,
      )
    }
    this.#next()
    this.#enter(open)
    if (this.#isSymbol(this.#peek(), ')')) this.#unexpected(this.#peek(), 'at least one value in the IN list')
    const list = [this.#parseOr()]
    while (this.#isSymbol(this.#peek(), ',')) {
      this.#next()
      list.push(this.#parseOr())
    }
    this.#expectSymbol(')', 'to close the IN list')
    this.#leave()
    return list
  }

  #parseAdditive(): FilterNode {
    let left = this.#parseMultiplicative()
    for (let token = this.#peek(); this.#isSymbol(token, '+', '-'); token = this.#peek()) {
      this.#next()
      const right = this.#parseMultiplicative()
      left = this.#built(node.arithmetic(left.at, token.value as ArithmeticOperator, left, right), [
        left,
        right,
      ])
    }
    return left
  }

  #parseMultiplicative(): FilterNode {
    let left = this.#parseUnary()
    for (let token = this.#peek(); this.#isSymbol(token, '*', '/', '||'); token = this.#peek()) {
      this.#next()
      const right = this.#parseUnary()
      left = this.#built(node.arithmetic(left.at, token.value as ArithmeticOperator, left, right), [
        left,
        right,
      ])
    }
    return left
  }

  #parseUnary(): FilterNode {
    const token = this.#peek()
    if (!this.#isSymbol(token, '-', '+')) return this.#parsePrimary()
    this.#next()
    const operandToken = this.#peek()
    if (token.value === '-' && (operandToken.kind === 'int' || operandToken.kind === 'float')) {
      // `-9223372036854775808` is one literal, as in ZetaSQL; it would not fit as 9223372036854775808 negated.
      this.#next()
      return this.#built(node.literal(token.start, this.#numberValue(operandToken, true)), [])
    }
    this.#enter(token)
    const operand = this.#parseUnary()
    this.#leave()
    // Unary plus changes nothing; only minus makes a node.
    return token.value === '-' ? this.#built(node.negate(token.start, operand), [operand]) : operand
  }

  #numberValue(token: Token, negative: boolean): LiteralValue {
    if (token.kind === 'float') {
      const value = Number(token.value)
      return { type: 'DOUBLE', value: negative ? -value : value }
    }
    const magnitude = BigInt(token.value)
    // Integers up to 2^64-1 are accepted, as ZetaSQL accepts them as UINT64.
    if (magnitude > (negative ? INT64_MIN_MAGNITUDE : UINT64_MAX)) {
      this.#fail(token, `Invalid integer literal: ${negative ? '-' : ''}${token.value}`)
    }
    return { type: 'INT64', value: negative ? -magnitude : magnitude }
  }

  #parsePrimary(): FilterNode {
    const token = this.#peek()
    switch (token.kind) {
      case 'int':
      case 'float':
        this.#next()
        return this.#built(node.literal(token.start, this.#numberValue(token, false)), [])
      case 'string':
        this.#next()
        return this.#built(node.literal(token.start, { type: 'STRING', value: token.value }), [])
      case 'keyword':
        if (token.value === 'TRUE' || token.value === 'FALSE') {
          this.#next()
          return this.#built(node.literal(token.start, { type: 'BOOL', value: token.value === 'TRUE' }), [])
        }
        if (token.value === 'NULL') {
          this.#next()
          return this.#built(node.literal(token.start, { type: 'NULL' }), [])
        }
        return this.#unexpected(token)
      case 'ident':
        return this.#parseName()
      case 'symbol':
        if (token.value === '(') {
          this.#next()
          this.#enter(token)
          const inner = this.#parseOr()
          this.#expectSymbol(')', 'to close the parenthesis')
          this.#leave()
          return inner
        }
        return this.#unexpected(token, 'a name, a literal or "("')
      case 'end':
        return this.#unexpected(token, 'a name, a literal or "("')
    }
  }

  #parseName(): FilterNode {
    const first = this.#next()
    if (!first.quoted && this.#isSymbol(this.#peek(), '(')) return this.#parseCall(first)
    const segments: PathSegment[] = [{ name: first.value, quoted: first.quoted, at: first.start }]
    while (this.#isSymbol(this.#peek(), '.')) {
      this.#next()
      const field = this.#peek()
      if (field.kind !== 'ident') this.#unexpected(field, 'a field name after "."')
      this.#next()
      segments.push({ name: field.value, quoted: field.quoted, at: field.start })
    }
    return this.#built(node.path(first.start, segments), [])
  }

  #parseCall(name: Token): FilterNode {
    const open = this.#next()
    this.#enter(open)
    const args: FilterNode[] = []
    if (!this.#isSymbol(this.#peek(), ')')) {
      args.push(this.#parseOr())
      while (this.#isSymbol(this.#peek(), ',')) {
        this.#next()
        args.push(this.#parseOr())
      }
    }
    this.#expectSymbol(')', `to close the arguments of ${name.value}`)
    this.#leave()
    return this.#built(node.call(name.start, name.value, args), args)
  }
}

/**
 * Parses a filter_query into its syntax tree. Names are not checked here; see `resolve.ts`.
 *
 * @example
 * ```ts
 * parseFilterQuery("uri LIKE 's3://%' AND NOT state = LIVE")
 * // logical AND [like(path uri, 's3://%'), not(comparison =(path state, path LIVE))]
 * ```
 * @throws InvalidArgument (`Syntax error: …` with the position and what was expected) when the
 *   text is not an expression, or exceeds the length or nesting limits.
 */
export function parseFilterQuery(query: string): FilterNode {
  if (query.length > MAX_FILTER_QUERY_LENGTH) {
    throw filterError(
      query,
      undefined,
      `The query is too long: ${query.length} characters; at most ${MAX_FILTER_QUERY_LENGTH} are accepted`,
    )
  }
  return new Parser(query).parse()
}
