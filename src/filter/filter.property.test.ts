// Property-based tests (fast-check) of the filter_query compiler: random and mutated query
// strings, built from the grammar's tokens and from random unicode, never crash or hang it.
// Each answer is a compiled query that SQLite executes, or INVALID_ARGUMENT; the SQL text is
// made only of the compiler's own words (every value from the input is a bound parameter).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { MetadataSource } from '../storage/metadata-source.js'
import type { SqlValue } from '../storage/transaction-executor.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { NODE_TABLES } from './catalog.js'
import { compileJoinedFilter } from './compile.js'
import { foreignText } from './compiled-sql.test-support.js'
import { type CompiledFilter, compileFilterQuery, FILTER_ERROR_PREFIX, type FilterNodeKind } from './index.js'
import { parseFilterQuery } from './parser.js'
import { resolveFilterQuery } from './resolve.js'

const KINDS: readonly FilterNodeKind[] = ['artifact', 'execution', 'context']

/** Runs per property; each run compiles (and usually executes) up to a few queries. */
const RUNS = Number(process.env.FILTER_PROPERTY_RUNS ?? 400)
/** Far above what any one query takes; a query past it counts as a hang. */
const MAX_MS_PER_QUERY = 2_000

// --- the grammar, as tokens ---------------------------------------------------------------------

const KEYWORDS = [
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'IS',
  'NULL',
  'TRUE',
  'FALSE',
  'BETWEEN',
  'and',
  'Or',
  'not',
]
const SYMBOLS = ['=', '!=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '||', '(', ')', ',', '.']
const ENUM_NAMES = [
  'LIVE',
  'PENDING',
  'DELETED',
  'UNKNOWN',
  'NEW',
  'RUNNING',
  'COMPLETE',
  'FAILED',
  'INPUT',
  'OUTPUT',
]
const FUNCTIONS = ['LOWER', 'UPPER', 'LENGTH', 'TRIM', 'LTRIM', 'RTRIM', 'ABS', 'CONCAT', 'SUBSTR']
const ATTRIBUTES = [
  'id',
  'type_id',
  'type',
  'name',
  'external_id',
  'uri',
  'state',
  'last_known_state',
  'create_time_since_epoch',
  'last_update_time_since_epoch',
]
const NEIGHBOUR_PREFIXES = [
  'contexts_',
  'parent_contexts_',
  'child_contexts_',
  'artifacts_',
  'executions_',
  'events_',
]
const NEIGHBOUR_FIELDS = [
  'id',
  'name',
  'type',
  'uri',
  'state',
  'last_known_state',
  'external_id',
  'create_time_since_epoch',
  'last_update_time_since_epoch',
  'milliseconds_since_epoch',
  'artifact_id',
  'execution_id',
]
const VALUE_FIELDS = [
  'int_value',
  'double_value',
  'string_value',
  'bool_value',
  'struct_value',
  'proto_value',
]

// Pieces of text that stress the lexer: quotes, escapes, comments, odd characters.
const NOISE = [
  "'",
  '"',
  '`',
  '\\',
  "'''",
  '"""',
  'r',
  'b',
  '\\x',
  '\\u',
  '\\U0001F600',
  '--',
  '#',
  '/*',
  '*/',
  '\n',
  '\t',
  '\0',
  '$',
  '@',
  '?',
  ';',
  '[',
  ']',
  '{',
  '}',
  'é',
  '\u00a0',
  '\u2028',
  '\ud800',
  '😀',
  '0x',
  '1e',
  '.5',
  '9223372036854775808',
  ' ',
]

const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/)
const aliasSuffix = fc.stringMatching(/^[0-9A-Za-z_]{1,6}$/)
// Text of string literals and backquoted names: any unicode, quotes and backslashes included.
const anyText = fc.string({ unit: 'binary', maxLength: 12 })
const quoteSafeText = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/['\\\n\r]/g, '_'))

const stringLiteral = fc.oneof(
  quoteSafeText.map((s) => `'${s}'`),
  quoteSafeText.map((s) => `"${s.replace(/"/g, '_')}"`),
  anyText.map((s) => `'${s}'`), // often unterminated or with bad escapes: INVALID_ARGUMENT
  quoteSafeText.map((s) => `r'${s}'`),
  quoteSafeText.map((s) => `'''${s}'''`),
)
const numberLiteral = fc.oneof(
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer({ min: 0, max: 0xffff }).map((n) => `0x${n.toString(16)}`),
  fc.constantFrom('0', '1', '.5', '1.', '1e3', '2.5E-3', '007'),
)
const propertyName = fc.oneof(
  identifier,
  fc.stringMatching(/^[0-9]{1,3}$/),
  quoteSafeText.map((s) => `\`${s.replace(/`/g, '_')}\``),
  anyText.map((s) => `\`${s}\``),
)
const propertyPath = fc
  .tuple(fc.constantFrom('properties', 'custom_properties'), propertyName, fc.constantFrom(...VALUE_FIELDS))
  .map(([p, name, field]) => `${p}.${name}.${field}`)
const neighbourPath = fc
  .tuple(fc.constantFrom(...NEIGHBOUR_PREFIXES), aliasSuffix, fc.constantFrom(...NEIGHBOUR_FIELDS))
  .map(([prefix, alias, field]) => `${prefix}${alias}.${field}`)

/** One token of the language (or something near it). */
const token = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KEYWORDS) },
  { weight: 4, arbitrary: fc.constantFrom(...SYMBOLS) },
  { weight: 3, arbitrary: fc.constantFrom(...ATTRIBUTES) },
  { weight: 1, arbitrary: fc.constantFrom(...ENUM_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom(...FUNCTIONS) },
  { weight: 2, arbitrary: propertyPath },
  { weight: 2, arbitrary: neighbourPath },
  { weight: 2, arbitrary: stringLiteral },
  { weight: 2, arbitrary: numberLiteral },
  { weight: 1, arbitrary: identifier },
  { weight: 1, arbitrary: fc.constantFrom(...NOISE) },
)

/** A string of grammar tokens in any order. */
const tokenSoup = fc
  .array(fc.tuple(token, fc.constantFrom(' ', '', '  ', '\n', '\t')), { maxLength: 25 })
  .map((parts) => parts.map(([t, space]) => t + space).join(''))

// --- well-typed queries -------------------------------------------------------------------------------

/** Names per kind and type, for queries that should compile. */
const TYPED: Record<
  FilterNodeKind,
  { int: string[]; string: string[]; bool: string[]; enums: [string, string[]][] }
> = {
  artifact: {
    int: [
      'id',
      'type_id',
      'create_time_since_epoch',
      'contexts_a.id',
      'contexts_c.id',
      'events_e.execution_id',
      'events_f.execution_id',
      'properties.p.int_value',
    ],
    string: [
      'name',
      'uri',
      'type',
      'external_id',
      'contexts_a.name',
      'contexts_b.type',
      'contexts_b.name',
      'contexts_d.name',
      'custom_properties.`k y`.string_value',
    ],
    bool: ['properties.flag.bool_value', 'custom_properties.flag.bool_value'],
    enums: [
      ['state', ['LIVE', 'PENDING', 'DELETED', 'MARKED_FOR_DELETION', 'UNKNOWN']],
      ['events_e.type', ['INPUT', 'OUTPUT', 'DECLARED_INPUT', 'INTERNAL_OUTPUT']],
      ['events_f.type', ['INPUT', 'OUTPUT']],
    ],
  },
  execution: {
    int: [
      'id',
      'type_id',
      'last_update_time_since_epoch',
      'contexts_a.id',
      'contexts_b.id',
      'events_e.artifact_id',
      'properties.p.int_value',
    ],
    string: [
      'name',
      'type',
      'external_id',
      'contexts_a.name',
      'contexts_c.name',
      'custom_properties.note.string_value',
    ],
    bool: ['custom_properties.flag.bool_value'],
    enums: [
      ['last_known_state', ['NEW', 'RUNNING', 'COMPLETE', 'FAILED', 'CACHED', 'CANCELED']],
      ['events_e.type', ['INPUT', 'OUTPUT']],
      ['events_f.type', ['INPUT', 'OUTPUT']],
    ],
  },
  context: {
    int: [
      'id',
      'type_id',
      'parent_contexts_p.id',
      'parent_contexts_q.id',
      'child_contexts_d.id',
      'artifacts_a.id',
      'artifacts_b.id',
      'executions_e.id',
      'properties.p.int_value',
    ],
    string: [
      'name',
      'type',
      'external_id',
      'child_contexts_c.name',
      'parent_contexts_p.name',
      'artifacts_a.uri',
      'artifacts_b.name',
      'executions_e.name',
      'executions_f.name',
    ],
    bool: ['properties.flag.bool_value'],
    enums: [
      ['artifacts_a.state', ['LIVE', 'DELETED']],
      ['executions_e.last_known_state', ['COMPLETE', 'FAILED']],
    ],
  },
}

const safeInt = fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String)
const safeString = quoteSafeText.map((s) => `'${s}'`)
const COMPARISONS = ['=', '!=', '<>', '<', '<=', '>', '>=']

function typedQuery(kind: FilterNodeKind): fc.Arbitrary<string> {
  const names = TYPED[kind]
  const intExpr = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...names.int) },
    { weight: 2, arbitrary: safeInt },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...names.int), fc.constantFrom('+', '-', '*', '/'), safeInt)
        .map(([a, op, b]) => `(${a} ${op} ${b})`),
    },
  )
  const stringExpr = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...names.string) },
    { weight: 2, arbitrary: safeString },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('LOWER', 'UPPER', 'TRIM'), fc.constantFrom(...names.string))
        .map(([f, a]) => `${f}(${a})`),
    },
  )
  const predicate = fc.oneof(
    fc.tuple(intExpr, fc.constantFrom(...COMPARISONS), intExpr).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(stringExpr, fc.constantFrom(...COMPARISONS), stringExpr).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(fc.constantFrom(...names.enums), fc.constantFrom('=', '!=', 'IN', 'NOT IN'), fc.nat())
      .map(([[attribute, values], op, n]) =>
        op.endsWith('IN')
          ? `${attribute} ${op} (${values.slice(0, 1 + (n % values.length)).join(', ')})`
          : `${attribute} ${op} ${values[n % values.length]}`,
      ),
    fc
      .tuple(fc.constantFrom(...names.int), fc.boolean(), fc.array(safeInt, { minLength: 1, maxLength: 4 }))
      .map(([a, negated, list]) => `${a} ${negated ? 'NOT ' : ''}IN (${list.join(', ')})`),
    fc
      .tuple(fc.constantFrom(...names.string), fc.boolean(), safeString)
      .map(([a, negated, pattern]) => `${a} ${negated ? 'NOT ' : ''}LIKE ${pattern}`),
    fc
      .tuple(fc.constantFrom(...names.int), fc.boolean(), safeInt, safeInt)
      .map(([a, negated, lo, hi]) => `${a} ${negated ? 'NOT ' : ''}BETWEEN ${lo} AND ${hi}`),
    fc
      .tuple(fc.constantFrom(...names.int, ...names.string), fc.boolean())
      .map(([a, negated]) => `${a} IS ${negated ? 'NOT ' : ''}NULL`),
    fc
      .tuple(fc.constantFrom(...names.bool), fc.constantFrom('', ' = TRUE', ' IS FALSE', ' IS NOT TRUE'))
      .map(([a, test]) => `${a}${test}`),
  )
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      predicate,
      tie('expr').map((e) => `NOT (${e})`),
      fc
        .tuple(tie('expr'), fc.constantFrom('AND', 'OR', 'and', 'or'), tie('expr'))
        .map(([a, op, b]) => `(${a}) ${op} (${b})`),
    ),
  }))
  return expr
}

/**
 * Queries over several aliases of each neighbour prefix, mixed with AND, OR and NOT, whose
 * literals are values of the test store (so that predicates hold for some rows and not others).
 */
function aliasQuery(kind: FilterNodeKind): fc.Arbitrary<string> {
  const ids = (n: number) => fc.integer({ min: 1, max: n }).map(String)
  const names = (prefix: string, n: number) =>
    fc.oneof(
      fc.integer({ min: 0, max: n - 1 }).map((i) => `'${prefix}${i}'`),
      fc.constant("'zz'"),
    )
  const contextFields: [string, fc.Arbitrary<string>][] = [
    ['id', ids(5)],
    ['name', names('c', 5)],
    ['type', fc.constantFrom("'C'", "'D'")],
  ]
  const relations: Record<FilterNodeKind, [string, [string, fc.Arbitrary<string>][]][]> = {
    artifact: [
      ['contexts_', contextFields],
      ['events_', [['execution_id', ids(4)]]],
    ],
    execution: [
      ['contexts_', contextFields],
      ['events_', [['artifact_id', ids(6)]]],
    ],
    context: [
      ['parent_contexts_', contextFields],
      ['child_contexts_', contextFields],
      [
        'artifacts_',
        [
          ['id', ids(6)],
          ['name', names('a', 6)],
        ],
      ],
      [
        'executions_',
        [
          ['id', ids(4)],
          ['name', names('e', 4)],
        ],
      ],
    ],
  }
  const alias = fc.constantFrom('a', 'b', 'c', 'd', 'e')
  const relation = fc.constantFrom(...relations[kind])
  const comparison = fc.constantFrom('=', '!=', '<', '>=')
  const onAlias = fc
    .tuple(relation, alias, fc.nat(), comparison)
    .chain(([[prefix, fields], suffix, n, op]) => {
      const [field, values] = fields[n % fields.length] as [string, fc.Arbitrary<string>]
      return values.map((v) => `${prefix}${suffix}.${field} ${op} ${v}`)
    })
  const enumOnAlias: fc.Arbitrary<string> =
    kind === 'context'
      ? fc
          .tuple(alias, fc.constantFrom('=', '!='), fc.constantFrom('LIVE', 'PENDING', 'DELETED'))
          .map(([suffix, op, v]) => `artifacts_${suffix}.state ${op} ${v}`)
      : fc
          .tuple(alias, fc.constantFrom('=', '!='), fc.constantFrom('INPUT', 'OUTPUT'))
          .map(([suffix, op, v]) => `events_${suffix}.type ${op} ${v}`)
  // Two aliases in one predicate (of the same prefix, so the types match).
  const acrossAliases = fc
    .tuple(relation, alias, alias, fc.constantFrom('=', '<', '!='))
    .map(([[prefix, fields], x, y, op]) => {
      const [field] = fields[0] as [string, unknown]
      return `${prefix}${x}.${field} ${op} ${prefix}${y}.${field}`
    })
  const onNode = fc.constantFrom('id > 2', "name != 'a1'", 'properties.p.int_value >= 1', "type = 'A'")
  const predicate = fc.oneof(
    { weight: 6, arbitrary: onAlias },
    { weight: 2, arbitrary: enumOnAlias },
    { weight: 1, arbitrary: acrossAliases },
    { weight: 1, arbitrary: onNode },
  )
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      predicate,
      tie('expr').map((x) => `NOT (${x})`),
      fc
        .tuple(tie('expr'), fc.constantFrom('AND', 'OR'), tie('expr'))
        .map(([x, op, y]) => `(${x}) ${op} (${y})`),
      fc
        .array(tie('expr'), { minLength: 3, maxLength: 5 })
        .chain((xs) => fc.constantFrom('AND', 'OR').map((op) => xs.map((x) => `(${x})`).join(` ${op} `))),
    ),
  }))
  return expr
}

/** Edits that turn a query into a near miss: insert, delete, duplicate or move text. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.constantFrom('insert-token', 'insert-unicode', 'delete', 'duplicate', 'truncate', 'swap'),
    fc.nat(),
    fc.nat(),
    token,
    fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
  )
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([query, edits]) => {
    let q = query
    for (const [kind, x, y, t, u] of edits) {
      const at = q.length === 0 ? 0 : x % (q.length + 1)
      const to = Math.min(q.length, at + (y % 6))
      if (kind === 'insert-token') q = `${q.slice(0, at)} ${t} ${q.slice(at)}`
      else if (kind === 'insert-unicode') q = q.slice(0, at) + u + q.slice(at)
      else if (kind === 'delete') q = q.slice(0, at) + q.slice(to)
      else if (kind === 'duplicate') q = q.slice(0, to) + q.slice(at, to) + q.slice(to)
      else if (kind === 'truncate') q = q.slice(0, at)
      else q = q.slice(at) + q.slice(0, at)
    }
    return q
  })
}

// --- checking one answer ------------------------------------------------------------------------------

type Outcome =
  | { kind: 'compiled'; compiled: CompiledFilter; sql: string; params: SqlValue[] }
  | { kind: 'invalid'; message: string }

function compile(kind: FilterNodeKind, query: string): Outcome {
  const started = performance.now()
  let outcome: Outcome
  try {
    const compiled = compileFilterQuery(kind, query)
    outcome = { kind: 'compiled', compiled, sql: compiled.sql, params: compiled.params }
  } catch (error) {
    if (!(error instanceof MlmdError) || error.code !== Code.InvalidArgument) {
      throw new Error(`${kind} ${JSON.stringify(query)} threw ${String(error)}`, { cause: error })
    }
    outcome = { kind: 'invalid', message: error.rawMessage }
  }
  const ms = performance.now() - started
  if (ms > MAX_MS_PER_QUERY) throw new Error(`${kind} ${JSON.stringify(query)} took ${ms.toFixed(0)} ms`)
  return outcome
}

describe('filter_query compiler, property-based', () => {
  let dir: string
  let source: MetadataSource
  const seen = { compiled: 0, invalid: 0 }

  beforeAll(() => {
    // A small store, so that compiled queries run over rows (and their joins find partners).
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-filter-property-'))
    const filename = path.join(dir, 'data.sqlite')
    const store = createMetadataStore({ filename })
    const types = store.putTypes({
      artifact_types: [{ name: 'A', properties: { p: 1, flag: 6 } }],
      execution_types: [{ name: 'E', properties: { p: 1 } }],
      context_types: [{ name: 'C', properties: { p: 1, flag: 6 } }, { name: 'D' }],
    })
    const [at] = types.artifact_type_ids as bigint[]
    const [et] = types.execution_type_ids as bigint[]
    const [ct, dt] = types.context_type_ids as bigint[]
    const artifactIds = store.putArtifacts({
      artifacts: [0, 1, 2, 3, 4, 5].map((i) => ({
        type_id: at,
        name: `a${i}`,
        uri: `u${i}`,
        state: ((i % 4) + 1) as 1,
        properties: { p: { int_value: BigInt(i) }, flag: { bool_value: i % 2 === 0 } },
        custom_properties: { 'k y': { string_value: `v${i}` }, flag: { bool_value: i > 1 } },
      })),
    }).artifact_ids as bigint[]
    const executionIds = store.putExecutions({
      executions: [0, 1, 2, 3].map((i) => ({
        type_id: et,
        name: `e${i}`,
        last_known_state: (i + 1) as 1,
        properties: { p: { int_value: BigInt(i * 10) } },
        custom_properties: { note: { string_value: `n${i}` }, flag: { bool_value: true } },
      })),
    }).execution_ids as bigint[]
    const contextIds = store.putContexts({
      contexts: [0, 1, 2, 3, 4].map((i) =>
        i % 3 === 2
          ? { type_id: dt, name: `c${i}` }
          : {
              type_id: ct,
              name: `c${i}`,
              properties: { p: { int_value: BigInt(i) }, flag: { bool_value: i === 0 } },
            },
      ),
    }).context_ids as bigint[]
    // Nodes with no, one and several neighbours of each kind, so that several aliases of one
    // prefix can pick different rows (or none).
    const a = (i: number) => artifactIds[i] as bigint
    const e = (i: number) => executionIds[i] as bigint
    const c = (i: number) => contextIds[i] as bigint
    const contextsOfArtifact = [[0], [0, 1], [1, 2, 3], [0, 2, 3, 4], [], [4]]
    const contextsOfExecution = [[0], [0, 1, 2], [3, 4], []]
    store.putAttributionsAndAssociations({
      attributions: contextsOfArtifact.flatMap((cs, i) =>
        cs.map((k) => ({ artifact_id: a(i), context_id: c(k) })),
      ),
      associations: contextsOfExecution.flatMap((cs, i) =>
        cs.map((k) => ({ execution_id: e(i), context_id: c(k) })),
      ),
    })
    store.putParentContexts({
      parent_contexts: [
        [1, 0],
        [2, 1],
        [2, 0],
        [3, 0],
        [4, 3],
        [4, 1],
      ].map(([child, parent]) => ({ child_id: c(child as number), parent_id: c(parent as number) })),
    })
    const INPUT = 3 as const
    const OUTPUT = 4 as const
    store.putEvents({
      events: [
        [0, 0, INPUT],
        [0, 1, OUTPUT],
        [1, 1, INPUT],
        [1, 2, INPUT],
        [1, 3, OUTPUT],
        [2, 3, INPUT],
        [2, 5, OUTPUT],
        [2, 2, OUTPUT],
      ].map(([exe, art, type]) => ({
        execution_id: e(exe as number),
        artifact_id: a(art as number),
        type: type as 3,
      })),
    })
    store.close()
    source = MetadataSource.open({ filename, readonly: true })
  })
  afterAll(() => {
    source?.close()
    rmSync(dir, { recursive: true, force: true })
    console.info(`filter property tests: ${seen.compiled} queries compiled and ran, ${seen.invalid} rejected`)
  })

  /** Compiles `query`; a compiled query must be closed SQL that SQLite runs. Returns the ids. */
  function check(kind: FilterNodeKind, query: string): bigint[] | 'invalid' {
    const outcome = compile(kind, query)
    if (outcome.kind === 'invalid') {
      seen.invalid++
      expect(outcome.message.startsWith(FILTER_ERROR_PREFIX), outcome.message).toBe(true)
      return 'invalid'
    }
    seen.compiled++
    const { compiled } = outcome
    for (const sql of [compiled.sql, compiled.condition]) {
      expect(foreignText(sql), `${JSON.stringify(query)} compiled to ${sql}`).toBeUndefined()
    }
    expect(compiled.sql.split('?').length - 1).toBe(compiled.params.length)
    expect(compiled.condition.split('?').length - 1).toBe(compiled.conditionParams.length)
    // Deterministic: the same text compiles to the same statements.
    expect(compileFilterQuery(kind, query)).toEqual(compiled)
    const ids = (sql: string, params: SqlValue[]) =>
      source.execute('read', (tx) => tx.all<{ id: bigint }>({ sql, params })).map((r) => r.id)
    const rows = ids(`SELECT id FROM (${compiled.sql}) ORDER BY id`, compiled.params)
    // The row form selects exactly the rows of the set form.
    const table = NODE_TABLES[kind].node
    expect(
      ids(
        `SELECT table_0.id FROM \`${table}\` AS table_0 WHERE ${compiled.condition} ORDER BY table_0.id`,
        compiled.conditionParams,
      ),
      `${JSON.stringify(query)} as a row condition`,
    ).toEqual(rows)
    // Both select exactly the rows of MLMD's shape, every alias a join of one statement.
    const joined = compileJoinedFilter(resolveFilterQuery(kind, parseFilterQuery(query), query))
    expect(
      ids(`SELECT id FROM (${joined.sql}) ORDER BY id`, joined.params),
      `${JSON.stringify(query)} as joins`,
    ).toEqual(rows)
    return rows
  }

  const kind = fc.constantFrom(...KINDS)

  it('answers strings of grammar tokens with runnable SQL or INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(kind, tokenSoup, (k, query) => {
        check(k, query)
      }),
      { numRuns: RUNS },
    )
  })

  it('answers random unicode with INVALID_ARGUMENT (or runnable SQL)', () => {
    fc.assert(
      fc.property(kind, fc.string({ unit: 'binary', maxLength: 60 }), (k, query) => {
        check(k, query)
      }),
      { numRuns: RUNS },
    )
  })

  it('compiles and runs every well-typed query', () => {
    fc.assert(
      fc.property(
        kind.chain((k) => fc.tuple(fc.constant(k), typedQuery(k))),
        ([k, query]) => {
          expect(check(k, query), query).not.toBe('invalid')
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('selects the rows of the join form with semi-joins, for queries over several aliases', () => {
    fc.assert(
      fc.property(
        kind.chain((k) => fc.tuple(fc.constant(k), aliasQuery(k))),
        ([k, query]) => {
          expect(check(k, query), query).not.toBe('invalid')
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('answers mutated well-typed queries with runnable SQL or INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(
        kind.chain((k) => fc.tuple(fc.constant(k), mutated(typedQuery(k)))),
        ([k, query]) => {
          // The same text on every kind: names of one kind are errors on the others.
          for (const other of KINDS) check(other === k ? k : other, query)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('keeps every literal out of the SQL text, whatever it holds', () => {
    // Literals and backquoted names made of any text end up as parameters, in order.
    fc.assert(
      // (Not empty: an empty backquoted name is a syntax error.)
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), (text) => {
        const escaped = text
          .replace(/\\/g, '\\\\')
          .replace(/'/g, "\\'")
          .replace(/\n/g, '\\n')
          .replace(/\r/g, '\\r')
        const q = `name = '${escaped}' OR custom_properties.\`${escaped.replace(/`/g, '\\`')}\`.string_value LIKE '${escaped}'`
        const outcome = compile('artifact', q)
        // Invalid only for text ZetaSQL cannot hold (lone surrogates).
        if (outcome.kind === 'invalid') {
          expect(/[\ud800-\udfff]/.test(text), `${JSON.stringify(q)}: ${outcome.message}`).toBe(true)
          return
        }
        expect(foreignText(outcome.sql)).toBeUndefined()
        expect(outcome.params.filter((p) => p === text).length).toBeGreaterThanOrEqual(3)
      }),
      { numRuns: RUNS },
    )
  })

  it('means the same for q, (q) AND (q), (q) OR (q) and NOT NOT (q)', () => {
    fc.assert(
      fc.property(
        kind.chain((k) => fc.tuple(fc.constant(k), typedQuery(k))),
        ([k, query]) => {
          const rows = check(k, query)
          expect(check(k, `(${query}) AND (${query})`)).toEqual(rows)
          expect(check(k, `(${query}) OR (${query})`)).toEqual(rows)
          expect(check(k, `NOT NOT (${query})`)).toEqual(rows)
        },
      ),
      { numRuns: RUNS / 2 },
    )
  })
})
