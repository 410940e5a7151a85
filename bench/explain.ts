/**
 * Shows how SQLite runs the statements behind a scale query on a store file: the plan and the
 * time of mlmd-ts's filtered first page (the compiled filter in the paging query, in both of
 * its forms) and of the floor's hand-written SQL, plus the edge lookups that lineage and
 * by-node context reads use, and the two statements of a large context's page (read along the
 * link index, then checked with a range of the time index; src/store/paging.ts).
 *
 *   node --import tsx bench/explain.ts FILE.sqlite
 */
import Database from 'better-sqlite3'
import { selectContextNodesById, selectPage, upTo } from '../src/access/listing-queries.js'
import { ARTIFACT } from '../src/access/node-access.js'
import { compileFilterQuery } from '../src/filter/index.js'
import { SQLITE_DIALECT } from '../src/storage/dialect.js'

const file = process.argv[2]
if (!file) throw new Error('usage: explain.ts FILE.sqlite')
const db = new Database(file, { readonly: true })
db.defaultSafeIntegers(true)

function show(label: string, sql: string, params: unknown[]): void {
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
  const stmt = db.prepare(sql)
  stmt.all(...params)
  const n = 5
  const t0 = performance.now()
  for (let i = 0; i < n; i++) stmt.all(...params)
  const ms = (performance.now() - t0) / n
  process.stdout.write(`\n${label}: ${ms.toFixed(2)} ms\n  ${sql.replace(/\s+/g, ' ')}\n`)
  for (const p of plan) process.stdout.write(`    ${p.detail}\n`)
}

// The page query in its two forms (src/store/paging.ts picks one per page): over the whole
// match set, and walking the page order with the filter as a condition on each row.
const page = (filter: string) => {
  const c = compileFilterQuery('artifact', filter)
  return {
    sql: `SELECT table_0.id, table_0.create_time_since_epoch AS field FROM Artifact AS table_0 WHERE table_0.id IN (${c.sql}) ORDER BY table_0.create_time_since_epoch DESC, table_0.id DESC LIMIT ?`,
    params: [...c.params, 101n],
  }
}
const walk = (filter: string) => {
  const c = compileFilterQuery('artifact', filter)
  return {
    sql: `SELECT table_0.id, table_0.create_time_since_epoch AS field FROM Artifact AS table_0 WHERE ${c.condition} ORDER BY table_0.create_time_since_epoch DESC, table_0.id DESC LIMIT ?`,
    params: [...c.conditionParams, 101n],
  }
}
const FLOOR_ORDER = 'ORDER BY a.create_time_since_epoch DESC, a.id DESC LIMIT 101'
const maxContext = (db.prepare('SELECT max(id) AS m FROM Context').get() as { m: bigint }).m
const runName = (db.prepare('SELECT name FROM Context WHERE id = ?').get(maxContext / 2n) as { name: string })
  .name
const cases: [string, string, unknown[]][] = [
  ["ours, match set: type = 'Model'", page("type = 'Model'").sql, page("type = 'Model'").params],
  ["ours, walking the order: type = 'Model'", walk("type = 'Model'").sql, walk("type = 'Model'").params],
  [
    'floor: type',
    `SELECT a.id FROM Artifact a JOIN Type t ON t.id = a.type_id WHERE t.name = ? ${FLOOR_ORDER}`,
    ['Model'],
  ],
  [
    `ours, match set: contexts_a.name = '${runName}'`,
    page(`contexts_a.name = '${runName}'`).sql,
    page(`contexts_a.name = '${runName}'`).params,
  ],
  [
    'floor: context',
    `SELECT a.id FROM Artifact a JOIN Attribution at ON at.artifact_id = a.id JOIN Context c ON c.id = at.context_id WHERE c.name = ? ${FLOOR_ORDER}`,
    [runName],
  ],
  [
    'ours: properties.span.int_value = 7',
    page('properties.span.int_value = 7').sql,
    page('properties.span.int_value = 7').params,
  ],
  [
    'contexts of one artifact (lineage, GetContextsByArtifact)',
    'SELECT context_id FROM Attribution WHERE artifact_id = ?',
    [12345n],
  ],
  ['contexts of one execution', 'SELECT context_id FROM Association WHERE execution_id = ?', [1234n]],
  ['events of one artifact', 'SELECT * FROM Event WHERE artifact_id = ?', [12345n]],
]
// A pipeline's context (a twentieth of all artifacts): its newest 101 by id, then the check of
// the time range they span.
const pipeline = (
  db
    .prepare(
      "SELECT c.id AS id FROM Context c JOIN Type t ON t.id = c.type_id WHERE t.name = 'Pipeline' LIMIT 1",
    )
    .get() as { id: bigint }
).id
const NEWEST: import('../src/access/listing-queries.js').PageOrder = {
  column: 'create_time_since_epoch',
  ascending: false,
}
const byId = selectContextNodesById(
  SQLITE_DIALECT,
  ARTIFACT,
  pipeline,
  NEWEST,
  false,
  undefined,
  { sql: [], params: [] },
  101,
)
const candidates = db.prepare(byId.sql).all(...byId.params) as { id: bigint; field: bigint }[]
cases.push([`ours: context ${pipeline}'s page along the link index`, byId.sql, [...byId.params]])
const oldest = candidates.reduce((a, b) =>
  b.field < a.field || (b.field === a.field && b.id < a.id) ? b : a,
)
const range = selectPage(SQLITE_DIALECT, ARTIFACT, NEWEST, upTo(SQLITE_DIALECT, NEWEST, oldest), 1, 80 * 101)
cases.push(['ours: the size of the range that checks it', range.sql, [...range.params]])
for (const [label, sql, params] of cases) show(label, sql, params)
