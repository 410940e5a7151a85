import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { MetadataSource } from '../storage/metadata-source.js'
import { initMetadataStore } from '../storage/schema/mlmd-env.js'
import { type FilterNodeKind, NODE_TABLES } from './catalog.js'
import { foreignText } from './compiled-sql.test-support.js'
import { compileFilterQuery, MAX_FILTER_NESTING_DEPTH, MAX_FILTER_QUERY_LENGTH } from './index.js'

// A small seeded generator (mulberry32), so every run checks the same queries.
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KINDS: readonly FilterNodeKind[] = ['artifact', 'execution', 'context']

// Names by kind and type, so that most generated queries are valid and reach the compiler.
const COMMON_INT = [
  'id',
  'type_id',
  'create_time_since_epoch',
  'ID',
  'properties.p.int_value',
  'custom_properties.0.int_value',
]
const COMMON_STRING = ['name', 'type', 'external_id', '`name`', 'custom_properties.`my p`.string_value']
const NAMES: Record<FilterNodeKind, { int: string[]; string: string[]; enum: [string, string[]][] }> = {
  artifact: {
    int: [...COMMON_INT, 'contexts_a.id', 'events_0.execution_id', 'events_0.milliseconds_since_epoch'],
    string: [...COMMON_STRING, 'uri', 'contexts_a.name', 'contexts_b.type'],
    enum: [
      ['state', ['LIVE', 'DELETED', 'UNKNOWN']],
      ['events_0.type', ['INPUT', 'OUTPUT']],
    ],
  },
  execution: {
    int: [...COMMON_INT, 'contexts_a.id', 'events_1.artifact_id'],
    string: [...COMMON_STRING, 'contexts_a.name', 'contexts_a.type'],
    enum: [
      ['last_known_state', ['COMPLETE', 'NEW']],
      ['events_1.type', ['INPUT', 'DECLARED_OUTPUT']],
    ],
  },
  context: {
    int: [...COMMON_INT, 'parent_contexts_p.id', 'artifacts_x.create_time_since_epoch', 'executions_y.id'],
    string: [...COMMON_STRING, 'child_contexts_c.type', 'artifacts_x.uri', 'executions_y.external_id'],
    enum: [
      ['artifacts_x.state', ['LIVE', 'PENDING']],
      ['executions_y.last_known_state', ['FAILED', 'CACHED']],
    ],
  },
}
const INTS = ['0', '1', '-7', '0x1F', '9223372036854775807', '-9223372036854775808', '2.5', '.5', '1e3']
const STRINGS = [
  "'a'",
  '"b"',
  "'it\\'s'",
  "'%_\\\\%'",
  "r'\\d'",
  "'''x'''",
  "'\\u00e9'",
  "'; DROP TABLE Artifact; --'",
  '"`)"',
]
const COMPARISONS = ['=', '!=', '<>', '<', '<=', '>', '>=']

function generate(next: () => number, kind: FilterNodeKind, depth: number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T
  const names = NAMES[kind]
  const int = (d: number): string => {
    const r = next()
    if (d <= 0 || r < 0.45) return pick(names.int)
    if (r < 0.75) return pick(INTS)
    if (r < 0.9) return `${int(d - 1)} ${pick(['+', '-', '*', '/'])} ${int(d - 1)}`
    return `LENGTH(${string(d - 1)})`
  }
  const string = (d: number): string => {
    const r = next()
    if (d <= 0 || r < 0.45) return pick(names.string)
    if (r < 0.8) return pick(STRINGS)
    if (r < 0.9) return `${string(d - 1)} || ${string(d - 1)}`
    return `${pick(['LOWER', 'UPPER', 'TRIM'])}(${string(d - 1)})`
  }
  const r = next()
  if (depth <= 0 || r < 0.2) return `${int(2)} ${pick(COMPARISONS)} ${int(2)}`
  if (r < 0.3) return `${string(2)} ${pick(COMPARISONS)} ${string(2)}`
  if (r < 0.4) {
    const [attribute, values] = pick(names.enum)
    const op = pick(['=', '!=', 'IN', 'NOT IN', 'IS NULL'])
    if (op === 'IS NULL') return `${attribute} IS NULL`
    return op.endsWith('IN')
      ? `${attribute} ${op} (${values.join(', ')})`
      : `${attribute} ${op} ${pick(values)}`
  }
  if (r < 0.45) return `${pick(names.int)} ${next() < 0.5 ? 'NOT ' : ''}IN (${int(1)}, ${int(1)})`
  if (r < 0.5) return `${string(1)} ${next() < 0.5 ? 'NOT ' : ''}LIKE ${pick(STRINGS)}`
  if (r < 0.55) return `${int(1)} BETWEEN ${int(1)} AND ${int(1)}`
  if (r < 0.6) return `${pick([...names.int, ...names.string])} IS ${next() < 0.5 ? 'NOT ' : ''}NULL`
  if (r < 0.65) return `properties.q.bool_value ${pick(['', 'IS TRUE', 'IS NOT FALSE', '= TRUE'])}`
  if (r < 0.72) return `NOT ${generate(next, kind, depth - 1)}`
  if (r < 0.86)
    return `(${generate(next, kind, depth - 1)}) ${pick(['AND', 'OR'])} ${generate(next, kind, depth - 1)}`
  return `${generate(next, kind, depth - 1)} ${pick(['AND', 'OR', 'and', 'Or'])} ${generate(next, kind, depth - 1)}`
}

const NOISE = [
  "'",
  '"',
  '`',
  '\\',
  '(',
  ')',
  '.',
  ',',
  ' AND ',
  ' NOT ',
  '-',
  '--',
  '/*',
  '#',
  '0',
  'x',
  '_',
  '\n',
  '$',
  'é',
]

function mutate(next: () => number, query: string): string {
  const at = Math.floor(next() * (query.length + 1))
  const r = next()
  if (r < 0.4)
    return query.slice(0, at) + (NOISE[Math.floor(next() * NOISE.length)] as string) + query.slice(at)
  if (r < 0.7) return query.slice(0, at) + query.slice(at + 1 + Math.floor(next() * 4))
  return query.slice(0, at) + query.slice(Math.floor(next() * query.length))
}

describe('filter robustness', () => {
  let source: MetadataSource
  beforeAll(() => {
    source = MetadataSource.open({ filename: ':memory:' })
    initMetadataStore(source)
  })
  afterAll(() => source.close())

  // The answer is always a statement SQLite accepts, or INVALID_ARGUMENT; never a crash.
  function check(kind: FilterNodeKind, query: string): 'ok' | 'invalid' {
    let compiled: ReturnType<typeof compileFilterQuery>
    try {
      compiled = compileFilterQuery(kind, query)
    } catch (error) {
      if (!(error instanceof MlmdError) || error.code !== Code.InvalidArgument) {
        throw new Error(`${kind}: ${JSON.stringify(query)} threw ${String(error)}`)
      }
      expect(error.rawMessage.startsWith('Invalid `filter_query`: ')).toBe(true)
      return 'invalid'
    }
    expect(foreignText(compiled.sql), compiled.sql).toBeUndefined()
    expect(foreignText(compiled.condition), compiled.condition).toBeUndefined()
    const table = NODE_TABLES[kind].node
    source.execute('read', (tx) => {
      tx.all({ sql: `SELECT id FROM (${compiled.sql})`, params: compiled.params })
      tx.all({
        sql: `SELECT table_0.id FROM \`${table}\` AS table_0 WHERE ${compiled.condition}`,
        params: compiled.conditionParams,
      })
    })
    return 'ok'
  }

  it('answers generated and mutated queries with SQL or INVALID_ARGUMENT', () => {
    const next = random(20240611)
    const counts = { ok: 0, invalid: 0 }
    for (let i = 0; i < 3000; i++) {
      const kind = KINDS[i % 3] as FilterNodeKind
      let query = generate(next, kind, 4)
      if (next() < 0.5) query = mutate(next, query)
      if (next() < 0.2) query = mutate(next, query)
      // Also try each query on another kind: names of one kind are errors on the others.
      counts[check(kind, query)]++
      counts[check(KINDS[(i + 1) % 3] as FilterNodeKind, query)]++
    }
    // The generator must reach the compiler often enough for this test to mean something.
    expect(counts.ok).toBeGreaterThan(1500)
    expect(counts.invalid).toBeGreaterThan(1500)
  })

  it.each([
    ["'".repeat(MAX_FILTER_QUERY_LENGTH)],
    ['`'.repeat(MAX_FILTER_QUERY_LENGTH)],
    ['\\'.repeat(MAX_FILTER_QUERY_LENGTH)],
    [`'${'\\'.repeat(MAX_FILTER_QUERY_LENGTH - 2)}'`],
    ['('.repeat(MAX_FILTER_QUERY_LENGTH)],
    [')'.repeat(MAX_FILTER_QUERY_LENGTH)],
    ['a.'.repeat(MAX_FILTER_QUERY_LENGTH / 2)],
    ['/*'.repeat(MAX_FILTER_QUERY_LENGTH / 2)],
    ['1'.repeat(MAX_FILTER_QUERY_LENGTH)],
    [`id IN (${'1,'.repeat(MAX_FILTER_QUERY_LENGTH / 2 - 10)}1)`],
    [`name LIKE '${'%a'.repeat(MAX_FILTER_QUERY_LENGTH / 2 - 10)}'`],
    [`id IN (${'1,'.repeat(29_999)}1)`],
    [Array(4000).fill("contexts_a.name = 'x'").join(' OR ')],
    [Array(5000).fill('properties.p.int_value > 1').join(' AND ')],
    [Array(3000).fill('NOT (id = 1 OR id = 2)').join(' AND ')],
  ])('handles a pathological query (%#) in bounded time', (query) => {
    const started = performance.now()
    for (const kind of KINDS) check(kind, query.slice(0, MAX_FILTER_QUERY_LENGTH))
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('executes a query nested to the maximum depth inside SQLite limits', () => {
    const depth = MAX_FILTER_NESTING_DEPTH - 1
    const nested = `${'NOT ('.repeat(depth / 3)}state != LIVE${')'.repeat(depth / 3)}`
    expect(check('artifact', nested)).toBe('ok')
    const arithmetic = `${Array(MAX_FILTER_NESTING_DEPTH - 2)
      .fill('id')
      .join(' / ')} > 0`
    expect(check('artifact', arithmetic)).toBe('ok')
  })
})
