import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { childrenOf, type FilterNode } from './ast.js'
import { MAX_FILTER_NESTING_DEPTH, MAX_FILTER_QUERY_LENGTH, parseFilterQuery } from './parser.js'

/** A compact S-expression of a tree: `(AND (= name 'a') (NOT x))`. */
function show(node: FilterNode): string {
  switch (node.kind) {
    case 'literal': {
      const l = node.literal
      if (l.type === 'NULL') return 'NULL'
      if (l.type === 'STRING') return `'${l.value}'`
      if (l.type === 'DOUBLE') return `${l.value}d`
      return String(l.value)
    }
    case 'path':
      return node.segments.map((s) => (s.quoted ? `\`${s.name}\`` : s.name)).join('.')
    case 'call':
      return `(${node.name} ${node.args.map(show).join(' ')})`.replace(' )', ')')
    case 'negate':
      return `(neg ${show(node.operand)})`
    case 'arithmetic':
    case 'comparison':
      return `(${node.op} ${show(node.left)} ${show(node.right)})`
    case 'not':
      return `(NOT ${show(node.operand)})`
    case 'logical':
      return `(${node.op} ${node.operands.map(show).join(' ')})`
    case 'in':
      return `(${node.negated ? 'NOT IN' : 'IN'} ${show(node.operand)} [${node.list.map(show).join(' ')}])`
    case 'like':
      return `(${node.negated ? 'NOT LIKE' : 'LIKE'} ${show(node.operand)} ${show(node.pattern)})`
    case 'between':
      return `(${node.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${show(node.operand)} ${show(node.low)} ${show(node.high)})`
    case 'is':
      return `(IS ${node.negated ? 'NOT ' : ''}${node.test} ${show(node.operand)})`
  }
}

function parseError(query: string): string {
  try {
    parseFilterQuery(query)
  } catch (error) {
    expect(error).toBeInstanceOf(MlmdError)
    expect((error as MlmdError).code).toBe(Code.InvalidArgument)
    return (error as MlmdError).rawMessage
  }
  throw new Error(`parseFilterQuery(${JSON.stringify(query)}) did not fail`)
}

describe('parser', () => {
  describe('parseFilterQuery', () => {
    it.each([
      // Precedence: OR < AND < NOT < comparisons < + - < * / || < unary minus.
      ['a = 1 OR b = 2 AND c = 3', '(OR (= a 1) (AND (= b 2) (= c 3)))'],
      ['(a = 1 OR b = 2) AND c = 3', '(AND (OR (= a 1) (= b 2)) (= c 3))'],
      ['a = 1 AND b = 2 AND c = 3 AND d = 4', '(AND (= a 1) (= b 2) (= c 3) (= d 4))'],
      ['a = 1 OR b = 2 OR c = 3', '(OR (= a 1) (= b 2) (= c 3))'],
      ['NOT a = 1 AND b', '(AND (NOT (= a 1)) b)'],
      ['NOT NOT a', '(NOT (NOT a))'],
      [' NOT(id = 1) ', '(NOT (= id 1))'],
      ['a + b * c = d', '(= (+ a (* b c)) d)'],
      ['(a + b) * c = d', '(= (* (+ a b) c) d)'],
      ['a - b - c = 1', '(= (- (- a b) c) 1)'],
      ['a / b || c', '(|| (/ a b) c)'],
      ['-a * -2 = - - 3', '(= (* (neg a) -2) (neg -3))'],
      ['+a = +1', '(= a 1)'],
      ['x = -9223372036854775808', '(= x -9223372036854775808)'],
      ['x = 18446744073709551615', '(= x 18446744073709551615)'],
      ['x = -1.5e3', '(= x -1500d)'],
      ['x = 0x10', '(= x 16)'],
      // Every comparison form.
      [
        'a != 1 AND a <> 1 AND a < 1 AND a <= 1 AND a > 1 AND a >= 1',
        '(AND (!= a 1) (<> a 1) (< a 1) (<= a 1) (> a 1) (>= a 1))',
      ],
      ['id IN (1, 2 + 3, (4))', '(IN id [1 (+ 2 3) 4])'],
      ['id NOT IN (1)', '(NOT IN id [1])'],
      ["uri LIKE 'a%'", "(LIKE uri 'a%')"],
      ['uri NOT LIKE \'a%\' OR name like "b"', "(OR (NOT LIKE uri 'a%') (LIKE name 'b'))"],
      ['id BETWEEN 1 AND 2 AND x', '(AND (BETWEEN id 1 2) x)'],
      ['id NOT BETWEEN 1 + 1 AND 2 * 2', '(NOT BETWEEN id (+ 1 1) (* 2 2))'],
      ['x IS NULL AND y IS NOT NULL', '(AND (IS NULL x) (IS NOT NULL y))'],
      ['x IS TRUE OR x IS NOT FALSE', '(OR (IS TRUE x) (IS NOT FALSE x))'],
      ['TRUE AND FALSE AND NULL IS NULL', '(AND true false (IS NULL NULL))'],
      // Names, paths, calls.
      ['contexts_a.name = "x"', "(= contexts_a.name 'x')"],
      ['properties.`my property`.int_value = 1', '(= properties.`my property`.int_value 1)'],
      ['properties.0.int_value = 1', '(= properties.0.int_value 1)'],
      ['`id` = 1', '(= `id` 1)'],
      ["LOWER(name) = 'a' AND f() AND g(1, 2)", "(AND (= (LOWER name) 'a') (f) (g 1 2))"],
      ['state = LIVE', '(= state LIVE)'],
      ['state IN (LIVE, DELETED)', '(IN state [LIVE DELETED])'],
    ])('%s', (query, tree) => {
      expect(show(parseFilterQuery(query))).toBe(tree)
    })

    it('records positions', () => {
      const root = parseFilterQuery("a = 1 AND\n  contexts_b.name = 'x'")
      expect(root.kind).toBe('logical')
      const second = childrenOf(root)[1]
      expect(second?.at).toBe(12)
      expect(
        second?.kind === 'comparison' && second.left.kind === 'path' ? second.left.segments[1]?.at : -1,
      ).toBe(23)
    })

    it('returns a deeply frozen tree', () => {
      const root = parseFilterQuery("NOT (a.b.c IN (1, 'x') OR f(d) LIKE 'e' AND -g BETWEEN 1 AND 2)")
      const stack: FilterNode[] = [root]
      let count = 0
      while (stack.length > 0) {
        const node = stack.pop() as FilterNode
        count++
        expect(Object.isFrozen(node)).toBe(true)
        for (const value of Object.values(node)) {
          if (typeof value === 'object' && value !== null) expect(Object.isFrozen(value)).toBe(true)
        }
        stack.push(...childrenOf(node))
      }
      expect(count).toBeGreaterThan(10)
    })
  })

  describe('syntax errors', () => {
    it.each([
      ['', 'Invalid `filter_query`: Syntax error: Unexpected end of expression [at 1:1]'],
      ['   ', 'Invalid `filter_query`: Syntax error: Unexpected end of expression [at 1:4]'],
      [
        "a == 'a'",
        'Invalid `filter_query`: Syntax error: Unexpected "="; expected a name, a literal or "(" [at 1:4]',
      ],
      [
        'invalid syntax',
        'Invalid `filter_query`: Syntax error: Expected end of input but got identifier syntax [at 1:9]',
      ],
      [
        'contexts_0.id.',
        'Invalid `filter_query`: Syntax error: Unexpected end of expression; expected a field name after "." [at 1:15]',
      ],
      [
        'properties.bar.',
        'Invalid `filter_query`: Syntax error: Unexpected end of expression; expected a field name after "." [at 1:16]',
      ],
      [
        'a.(b)',
        'Invalid `filter_query`: Syntax error: Unexpected "("; expected a field name after "." [at 1:3]',
      ],
      [
        'id = 1 AND',
        'Invalid `filter_query`: Syntax error: Unexpected end of expression; expected a name, a literal or "(" [at 1:11]',
      ],
      ['id = 1 AND AND', 'Invalid `filter_query`: Syntax error: Unexpected keyword AND [at 1:12]'],
      [
        'NOT',
        'Invalid `filter_query`: Syntax error: Unexpected end of expression; expected a name, a literal or "(" [at 1:4]',
      ],
      [
        '(id = 1',
        'Invalid `filter_query`: Syntax error: Expected ")" to close the parenthesis but got end of input [at 1:8]',
      ],
      ['id = 1)', 'Invalid `filter_query`: Syntax error: Expected end of input but got ")" [at 1:7]'],
      [
        '()',
        'Invalid `filter_query`: Syntax error: Unexpected ")"; expected a name, a literal or "(" [at 1:2]',
      ],
      [
        "name = 'a' 'b'",
        'Invalid `filter_query`: Syntax error: Expected end of input but got string literal "b" [at 1:12]',
      ],
      ['id=1;', 'Invalid `filter_query`: Syntax error: Illegal input character ";" [at 1:5]'],
      [
        'id IN ()',
        'Invalid `filter_query`: Syntax error: Unexpected ")"; expected at least one value in the IN list [at 1:8]',
      ],
      [
        'id IN (1,)',
        'Invalid `filter_query`: Syntax error: Unexpected ")"; expected a name, a literal or "(" [at 1:10]',
      ],
      [
        'id IN (1',
        'Invalid `filter_query`: Syntax error: Expected ")" to close the IN list but got end of input [at 1:9]',
      ],
      [
        'state IN RUNNING',
        'Invalid `filter_query`: Syntax error: Expected a list of values enclosed in parentheses after IN but got identifier RUNNING [at 1:10]',
      ],
      [
        'id BETWEEN 1 OR 2',
        'Invalid `filter_query`: Syntax error: Expected keyword AND in BETWEEN but got keyword OR [at 1:14]',
      ],
      [
        'id IS 1',
        'Invalid `filter_query`: Syntax error: Expected NULL, TRUE or FALSE after IS but got integer literal 1 [at 1:7]',
      ],
      [
        'id NOT 1',
        'Invalid `filter_query`: Syntax error: Unexpected keyword NOT; expected IN, LIKE or BETWEEN after NOT (or put NOT before the condition) [at 1:4]',
      ],
      [
        'id = 1 = TRUE',
        'Invalid `filter_query`: Syntax error: Unexpected "="; expected AND, OR, ")" or the end of the query [at 1:8]',
      ],
      [
        'id IS NULL IS NULL',
        'Invalid `filter_query`: Syntax error: Expression to the left of IS must be parenthesized [at 1:12]',
      ],
      [
        'id IN (1) IS TRUE',
        'Invalid `filter_query`: Syntax error: Expression to the left of IS must be parenthesized [at 1:11]',
      ],
      [
        "a LIKE 'x' NOT LIKE 'y'",
        'Invalid `filter_query`: Syntax error: Unexpected keyword NOT; expected AND, OR, ")" or the end of the query [at 1:12]',
      ],
      [
        'f(1',
        'Invalid `filter_query`: Syntax error: Expected ")" to close the arguments of f but got end of input [at 1:4]',
      ],
      [
        'id = 99999999999999999999',
        'Invalid `filter_query`: Invalid integer literal: 99999999999999999999 [at 1:6]',
      ],
      [
        'id = -9223372036854775809',
        'Invalid `filter_query`: Invalid integer literal: -9223372036854775809 [at 1:7]',
      ],
      ['`a`(1)', 'Invalid `filter_query`: Syntax error: Expected end of input but got "(" [at 1:4]'],
      ['id = 1\n  AND AND', 'Invalid `filter_query`: Syntax error: Unexpected keyword AND [at 2:7]'],
    ])('%j', (query, message) => {
      expect(parseError(query)).toBe(message)
    })
  })

  describe('limits', () => {
    const tooDeep = `Invalid \`filter_query\`: The query is nested too deeply: more than ${MAX_FILTER_NESTING_DEPTH} levels of parentheses, operators or NOT`

    it('accepts a query of the maximum length and rejects a longer one', () => {
      const padding = ' '.repeat(MAX_FILTER_QUERY_LENGTH - 'id = 1'.length)
      expect(show(parseFilterQuery(`id = 1${padding}`))).toBe('(= id 1)')
      expect(parseError(`id = 1${padding} `)).toBe(
        `Invalid \`filter_query\`: The query is too long: ${MAX_FILTER_QUERY_LENGTH + 1} characters; at most ${MAX_FILTER_QUERY_LENGTH} are accepted`,
      )
    })

    it.each([
      ['parentheses', (n: number) => `${'('.repeat(n)}TRUE${')'.repeat(n)}`],
      ['NOT', (n: number) => `${'NOT '.repeat(n)}TRUE`],
      ['unary minus', (n: number) => `${'- '.repeat(n)}a = 1`],
      ['arithmetic chains', (n: number) => `${Array(n).fill('a').join(' + ')} = 1`],
      ['nested IN lists', (n: number) => `${'a IN ('.repeat(n)}1${')'.repeat(n)}`],
      ['nested calls', (n: number) => `${'f('.repeat(n)}1${')'.repeat(n)}`],
    ])('rejects %s nested deeper than the limit, and accepts them at the limit', (_what, make) => {
      expect(() => parseFilterQuery(make(MAX_FILTER_NESTING_DEPTH - 2))).not.toThrow()
      expect(parseError(make(MAX_FILTER_NESTING_DEPTH + 1))).toContain(tooDeep)
    })

    it.each([
      ['(', '('.repeat(MAX_FILTER_QUERY_LENGTH)],
      ['NOT', 'NOT '.repeat(MAX_FILTER_QUERY_LENGTH / 4)],
      ['-', '- '.repeat(MAX_FILTER_QUERY_LENGTH / 2)],
      ['f(', 'f('.repeat(MAX_FILTER_QUERY_LENGTH / 2)],
    ])('fails cleanly on a query that is all %j', (_what, query) => {
      expect(parseError(query)).toContain(tooDeep)
    })

    it('parses a maximal chain of ORs into one flat node, quickly', () => {
      const terms = Math.floor(MAX_FILTER_QUERY_LENGTH / 'id = 99999 OR '.length)
      const query = Array.from({ length: terms }, (_, i) => `id = ${i}`).join(' OR ')
      const started = performance.now()
      const root = parseFilterQuery(query)
      expect(performance.now() - started).toBeLessThan(2000)
      expect(root.kind === 'logical' ? root.operands.length : 0).toBe(terms)
    })
  })
})
