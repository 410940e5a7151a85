// File interchange between the real ML Metadata (1.16.0) and mlmd-ts, both ways, on the same
// content (conformance/python/interchange.py CONTENT: every value kind, int64 extremes, unicode,
// Struct and Any, events with paths, attributions, associations, parent contexts, types with
// versions, base types, external ids and input/output types):
//
//   MLMD writes A  → MLMD reads A back, mlmd-ts (createMetadataStore on A) reads it back: equal;
//                    MLMD still reads A the same after mlmd-ts has opened it.
//   mlmd-ts writes B (the same requests, through our store) → MLMD opens B without migration
//                    and reads it back, mlmd-ts reads it back: equal.
//   A and B hold the same: MLMD's reads of both agree (timestamps aside), and so do the rows
//   of every table (timestamp columns aside).
//
// Both sides read with the same requests (MLMD's plan, replayed by mlmd-ts) and turn the
// answers into the same canonical JSON (see interchange.py's docstring).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeToString, MlmdError } from '../../src/errors.js'
import { freshDatabase, type TestDatabase } from '../../src/storage/engine-servers.test-support.js'
import { decodeStruct, STRUCT_PREFIX } from '../../src/storage/value-codec.js'
import { createMetadataStore } from '../../src/store/metadata-store.js'
import {
  type AsyncMetadataStore,
  type MetadataStore,
  operationName,
} from '../../src/store/metadata-store-api.js'
import { openMetadataStore } from '../../src/store/server-engine-store.js'
import { metadataStoreServiceDefinition, type RpcName } from '../../src/wire/service-definition.js'
import { runPythonAsync, writeResults } from './support.js'
import { describeWithMlmd, PYTHON_DIR } from './venv.js'

const SCRIPT = path.join(PYTHON_DIR, 'interchange.py')

interface Encoded {
  rpc: RpcName
  request: string
}
interface DumpEntry {
  rpc: string
  request: string
  answer: unknown
}

/** Map fields: left out when empty, as protobuf leaves empty maps out (messages are kept). */
const MAP_FIELDS = new Set(['properties', 'custom_properties', 'fields'])

/** The canonical JSON of a plain mlmd-ts message (the same rules as interchange.py's). */
export function canonical(value: unknown, key?: string): unknown {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN'
    if (value === Number.POSITIVE_INFINITY) return 'Infinity'
    if (value === Number.NEGATIVE_INFINITY) return '-Infinity'
    return value === 0 ? 0 : value
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v)).filter((v) => v !== undefined)
    return items.length === 0 ? undefined : items
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) {
      const c = canonical((value as Record<string, unknown>)[k], k)
      if (c !== undefined) out[k] = c
    }
    if (key !== undefined && MAP_FIELDS.has(key) && Object.keys(out).length === 0) return undefined
    return out
  }
  throw new Error(`canonical: unexpected ${typeof value}`)
}

const definitions = metadataStoreServiceDefinition()
const called = new Set<string>()

/** Decodes an encoded request with our wire codec and runs it on `store` (in process or async). */
async function run(
  store: MetadataStore | AsyncMetadataStore,
  encoded: Encoded,
  rpcs = called,
): Promise<unknown> {
  const definition = definitions[encoded.rpc] as { requestDeserialize(bytes: Buffer): unknown }
  const request = definition.requestDeserialize(Buffer.from(encoded.request, 'base64'))
  const op = (store as unknown as Record<string, (r: unknown) => unknown>)[operationName(encoded.rpc)]
  if (op === undefined) throw new Error(`no store operation for ${encoded.rpc}`)
  rpcs.add(encoded.rpc)
  try {
    return canonical(await op.call(store, request)) ?? {}
  } catch (error) {
    if (!(error instanceof MlmdError)) throw error
    return { error: codeToString(error.code).toUpperCase() }
  }
}

/** mlmd-ts answers `reads` on `store`, one after the other. */
async function answers(
  store: MetadataStore | AsyncMetadataStore,
  reads: readonly Encoded[],
  template: readonly DumpEntry[],
  rpcs = called,
): Promise<DumpEntry[]> {
  const out: DumpEntry[] = []
  for (const [i, read] of reads.entries()) {
    out.push({ rpc: read.rpc, request: template[i]?.request ?? '', answer: await run(store, read, rpcs) })
  }
  return out
}

/** mlmd-ts opens an existing file and answers `reads`. */
async function tsDump(
  filename: string,
  reads: readonly Encoded[],
  template: readonly DumpEntry[],
): Promise<DumpEntry[]> {
  const store = createMetadataStore({ filename, mustExist: true })
  try {
    return await answers(store, reads, template)
  } finally {
    store.close()
  }
}

/** Where two canonical values first differ (a path and both values), or undefined. */
function firstDiff(a: unknown, b: unknown, at = ''): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const found = firstDiff(a[i], b[i], `${at}[${i}]`)
      if (found !== undefined) return found
    }
    return a.length === b.length ? undefined : `${at}: ${a.length} vs ${b.length} items`
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    for (const k of keys) {
      const found = firstDiff(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${at}.${k}`,
      )
      if (found !== undefined) return found
    }
    return undefined
  }
  return Object.is(a, b) ? undefined : `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
}

const TYPE_FIELDS = new Set([
  'artifact_type',
  'execution_type',
  'context_type',
  'artifact_types',
  'execution_types',
  'context_types',
])

/**
 * README "Type reads are complete": mlmd-ts returns external_id and base_type in every type
 * read, MLMD leaves them out of some (GetXTypes, by-external-id reads, populated types). Drops
 * them from mlmd-ts's answer where MLMD's lacks them; returns how many were dropped.
 */
function normaliseTypeReads(mlmd: unknown, ours: unknown): number {
  let dropped = 0
  if (mlmd === null || ours === null || typeof mlmd !== 'object' || typeof ours !== 'object') return 0
  for (const key of Object.keys(mlmd)) {
    const m = (mlmd as Record<string, unknown>)[key]
    const o = (ours as Record<string, unknown>)[key]
    if (!TYPE_FIELDS.has(key)) {
      dropped += normaliseTypeReads(m, o)
      continue
    }
    const pairs: [unknown, unknown][] =
      Array.isArray(m) && Array.isArray(o) ? m.map((t, i) => [t, o[i]]) : [[m, o]]
    for (const [mt, ot] of pairs) {
      if (mt === null || ot === null || typeof mt !== 'object' || typeof ot !== 'object') continue
      for (const extra of ['external_id', 'base_type']) {
        if (extra in ot && !(extra in mt)) {
          delete (ot as Record<string, unknown>)[extra]
          dropped++
        }
      }
    }
  }
  return dropped
}

/** The reads whose answers differ, described for a failure message (MLMD's answer first). */
function mismatches(mlmd: readonly DumpEntry[], ours: readonly DumpEntry[]): string {
  const out: string[] = []
  mlmd.forEach((entry, i) => {
    const diff = firstDiff(entry.answer, ours[i]?.answer)
    if (diff !== undefined) out.push(`${entry.rpc}(${entry.request}) at ${diff}`)
  })
  return out.join('\n')
}

async function python(args: readonly string[]): Promise<string> {
  const result = await runPythonAsync([SCRIPT, ...args])
  if (result.code !== 0)
    throw new Error(`interchange.py ${args.join(' ')} failed (${result.code}):\n${result.output}`)
  return result.stdout
}

const TIME_KEYS = new Set(['create_time_since_epoch', 'last_update_time_since_epoch'])

/** `value` with every node timestamp replaced by a placeholder. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = TIME_KEYS.has(k) ? '<time>' : withoutTimes(v)
    return out
  }
  return value
}

interface SqlDump {
  [table: string]: unknown
}

describeWithMlmd('file interchange with the real MLMD (both ways, no migration)', () => {
  let dir: string
  const fileA = () => path.join(dir, 'written-by-mlmd.sqlite')
  const fileB = () => path.join(dir, 'written-by-mlmd-ts.sqlite')
  let mlmdWrites: { rpc: string; response: unknown }[] = []
  let mlmdDumpA: DumpEntry[] = []
  let mlmdDumpB: DumpEntry[] = []
  const outcome: Record<string, string> = {}

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-interchange-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
    writeResults('interchange', called, { outcome })
  })

  it('a file MLMD writes opens in mlmd-ts and reads back identically', { timeout: 120_000 }, async () => {
    mlmdWrites = JSON.parse(await python(['write', fileA()])) as typeof mlmdWrites
    const readsPath = path.join(dir, 'reads-a.json')
    mlmdDumpA = JSON.parse(await python(['dump', fileA(), readsPath])) as DumpEntry[]
    const reads = JSON.parse(readFileSync(readsPath, 'utf8')) as Encoded[]
    expect(reads.length).toBeGreaterThan(50)
    const ours = await tsDump(fileA(), reads, mlmdDumpA)
    const normalised = mlmdDumpA.reduce(
      (n, entry, i) => n + normaliseTypeReads(entry.answer, ours[i]?.answer),
      0,
    )
    const differing = mismatches(mlmdDumpA, ours)
    if (differing !== '') throw new Error(`reads that differ (MLMD vs mlmd-ts):\n${differing}`)
    expect(ours).toEqual(mlmdDumpA)
    // mlmd-ts opening the file (it switches the journal to WAL) leaves it readable by MLMD as before.
    const again = JSON.parse(await python(['dump', fileA(), path.join(dir, 'reads-a2.json')])) as DumpEntry[]
    expect(again).toEqual(mlmdDumpA)
    outcome['mlmd → mlmd-ts'] =
      `${reads.length} reads identical (${normalised} type fields MLMD leaves out dropped: README "type reads are complete")`
  })

  it('a file mlmd-ts writes opens in MLMD without migration and reads back identically', {
    timeout: 120_000,
  }, async () => {
    const requests = JSON.parse(await python(['requests'])) as Encoded[]
    expect(mlmdWrites.length).toBe(requests.length)
    const store = createMetadataStore({ filename: fileB() })
    try {
      const ours: { rpc: string; response: unknown }[] = []
      for (const request of requests) ours.push({ rpc: request.rpc, response: await run(store, request) })
      // The same requests get the same answers (ids) from both.
      const differing = firstDiff(mlmdWrites, ours)
      if (differing !== undefined) throw new Error(`write answers differ (MLMD vs mlmd-ts): ${differing}`)
    } finally {
      store.close()
    }
    const readsPath = path.join(dir, 'reads-b.json')
    mlmdDumpB = JSON.parse(await python(['dump', fileB(), readsPath])) as DumpEntry[]
    const reads = JSON.parse(readFileSync(readsPath, 'utf8')) as Encoded[]
    const ours = await tsDump(fileB(), reads, mlmdDumpB)
    const normalised = mlmdDumpB.reduce(
      (n, entry, i) => n + normaliseTypeReads(entry.answer, ours[i]?.answer),
      0,
    )
    const differing = mismatches(mlmdDumpB, ours)
    if (differing !== '') throw new Error(`reads that differ (MLMD vs mlmd-ts):\n${differing}`)
    expect(ours).toEqual(mlmdDumpB)
    outcome['mlmd-ts → mlmd'] =
      `${reads.length} reads identical (${normalised} type fields MLMD leaves out dropped: README "type reads are complete")`
  })

  it('both files hold the same content (timestamps aside)', () => {
    expect(mlmdDumpA.length).toBeGreaterThan(0)
    expect(withoutTimes(mlmdDumpB)).toEqual(withoutTimes(mlmdDumpA))
  })

  it('both files hold the same rows in every table, stored the same way (timestamps aside)', {
    timeout: 60_000,
  }, async () => {
    const a = JSON.parse(await python(['sql', fileA()])) as SqlDump
    const b = JSON.parse(await python(['sql', fileB()])) as SqlDump
    const timeColumns = new Set([...TIME_KEYS])
    const strip = (dump: SqlDump) => {
      const out: SqlDump = {}
      for (const [table, body] of Object.entries(dump)) {
        if (typeof body !== 'object' || body === null || !('rows' in body)) {
          out[table] = body
          continue
        }
        const { columns, rows: stored } = body as {
          columns: string[]
          rows: Record<string, [string, unknown]>[]
        }
        // Attribution and Association ids never leave the store (no RPC returns them), and
        // mlmd-ts skips ids where PutExecution meets a link that exists: compare the links.
        const internalIds = table === 'Attribution' || table === 'Association'
        const rows = internalIds ? stored.map(({ id: _id, ...link }) => link) : stored
        // Row order is insertion order, which follows protobuf map order for properties: compare
        // by key (EventPath keeps its order within an event: that order is the path).
        const key = (row: Record<string, [string, unknown]>) =>
          table === 'EventPath'
            ? JSON.stringify(row.event_id)
            : columns.includes('id') && !internalIds
              ? JSON.stringify(row.id)
              : JSON.stringify(columns.filter((c) => !timeColumns.has(c)).map((c) => row[c]))
        const sorted = [...rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0))
        out[table] = {
          columns,
          rows: sorted.map((row) =>
            Object.fromEntries(
              Object.entries(row).map(([c, v]) => [c, timeColumns.has(c) ? [v[0], '<time>'] : v]),
            ),
          ),
        }
      }
      return out
    }
    const differing = firstDiff(strip(a), strip(b))
    if (differing !== undefined) throw new Error(`rows differ (written by MLMD vs by mlmd-ts): ${differing}`)
    outcome.tables = `${Object.keys(a).length - 2} tables, same rows and storage classes`
  })

  it("MLMD reads mlmd-ts's exact doubles and NUL strings as README says (NaN as NaN, -0.0 as 0.0)", {
    timeout: 60_000,
  }, async () => {
    const filename = path.join(dir, 'doubles.sqlite')
    const store = createMetadataStore({ filename })
    const values: Record<string, number> = {
      nan: Number.NaN,
      negative_zero: -0,
      tiny: 1e-7,
      third: 1 / 3,
      exact: 0.1 + 0.2,
      plain: 0.25,
    }
    try {
      const { type_id } = store.putArtifactType({ artifact_type: { name: 'Doubles' } })
      const custom: Record<string, { double_value?: number; string_value?: string }> = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, { double_value: v }]),
      )
      custom.nul = { string_value: 'before\u0000after' }
      store.putArtifacts({ artifacts: [{ type_id, custom_properties: custom }] })
      called.add('PutArtifactType').add('PutArtifacts')
    } finally {
      store.close()
    }
    const read = JSON.parse(await python(['doubles', filename])) as Record<
      string,
      { double?: string; negative_zero?: boolean; string?: string }
    >
    expect(read.nan).toEqual({ double: 'NaN' })
    expect(read.negative_zero).toEqual({ double: '0.0', negative_zero: false })
    expect(read.plain).toEqual({ double: '0.25', negative_zero: false })
    // MLMD renders REAL columns with 15 significant digits when it reads them back.
    expect(read.tiny).toEqual({ double: '1e-07', negative_zero: false })
    expect(read.third).toEqual({ double: '0.333333333333333', negative_zero: false })
    expect(read.exact).toEqual({ double: '0.3', negative_zero: false })
    // README "Strings keep NUL characters": MLMD reads such a string up to the NUL.
    expect(read.nul).toEqual({ string: 'before' })
    outcome.doubles = JSON.stringify(read)
  })
})

// ---------------------------------------------------------------------------------------------
// The same interchange on a PostgreSQL and a MariaDB database: MLMD opens them in process with
// ConnectionConfig.postgresql / .mysql (skip_db_creation), mlmd-ts with openMetadataStore(url).
// The content is interchange.py's `content(engine)`: on these engines MLMD's int_value and
// step_index columns are 32 bits wide, so the int64 extremes become the int32 extremes there.
// ---------------------------------------------------------------------------------------------

interface EngineTable {
  columns: [string, string][]
  rows: Record<string, [string, unknown]>[]
}

/** A read-only connection to a test database that lists what MLMD's tables hold. */
async function engineQuery(db: TestDatabase): Promise<{
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}> {
  if (db.engine === 'postgresql') {
    const client = new pg.Client({ connectionString: db.url })
    client.on('error', () => undefined)
    await client.connect()
    return {
      query: async (sql, params) => (await client.query(sql, params ? [...params] : undefined)).rows,
      close: () => client.end(),
    }
  }
  // Big numbers as strings: milliseconds_since_epoch holds int64 extremes.
  const connection = await mysql.createConnection({
    uri: db.url,
    supportBigNumbers: true,
    bigNumberStrings: true,
  })
  return {
    query: async (sql, params) => {
      const [rows] = await connection.query(sql, params ? [...params] : undefined)
      return rows as Record<string, unknown>[]
    },
    close: () => connection.end(),
  }
}

/** A stored cell in comparable form: Structs decoded (serializers order map entries
 *  differently), input/output type JSON with sorted keys, bytes as base64, numbers as text. */
function cell(column: string, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('base64')}`
  if (typeof value === 'string') {
    if (value.startsWith(STRUCT_PREFIX)) {
      const bytes = Buffer.from(value.slice(STRUCT_PREFIX.length), 'base64')
      return `${STRUCT_PREFIX}(decoded) ${JSON.stringify(canonical(decodeStruct(bytes)))}`
    }
    if (column === 'input_type' || column === 'output_type') {
      return `(sorted) ${JSON.stringify(canonical(JSON.parse(value)))}`
    }
    return value
  }
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : value
}

/** Every table of an engine database: columns with their declared types, rows, and indices. */
async function engineRows(db: TestDatabase): Promise<Record<string, unknown>> {
  const connection = await engineQuery(db)
  const pgsql = db.engine === 'postgresql'
  try {
    const tables = (
      await connection.query(
        pgsql
          ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
          : 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1',
      )
    ).map((row) => String(row.name))
    const out: Record<string, unknown> = {}
    for (const table of tables) {
      const columns = (
        await connection.query(
          pgsql
            ? "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position"
            : 'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
          [table],
        )
      ).map((row): [string, string] => [String(row.name), String(row.type)])
      const quoted = pgsql ? `"${table}"` : `\`${table}\``
      const rows = (await connection.query(`SELECT * FROM ${quoted}`)).map((row) =>
        Object.fromEntries(
          columns.map(([name, type]): [string, [string, unknown]] => [name, [type, cell(name, row[name])]]),
        ),
      )
      out[table] = { columns, rows } satisfies EngineTable
    }
    out.indices = pgsql
      ? (
          await connection.query(
            "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
          )
        ).map((row) => `${row.name}: ${row.def}`)
      : (
          await connection.query(
            'SELECT TABLE_NAME AS t, INDEX_NAME AS i, SEQ_IN_INDEX AS n, COLUMN_NAME AS c, NON_UNIQUE AS u, SUB_PART AS p ' +
              'FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, 2, 3',
          )
        ).map((row) => `${row.t}.${row.i}[${row.n}]: ${row.c} non_unique=${row.u} prefix=${row.p}`)
    return out
  } finally {
    await connection.close()
  }
}

/** Rows in a comparable order with timestamps hidden (the same rules as the SQLite test's). */
function comparableRows(dump: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [table, body] of Object.entries(dump)) {
    if (table === 'indices') {
      out[table] = body
      continue
    }
    const { columns, rows: stored } = body as EngineTable
    const names = columns.map(([name]) => name)
    const lower = table.toLowerCase()
    // Attribution and Association ids never leave the store (no RPC returns them).
    const internalIds = lower === 'attribution' || lower === 'association'
    const rows = internalIds ? stored.map(({ id: _id, ...link }) => link) : stored
    const key = (row: Record<string, [string, unknown]>) =>
      lower === 'eventpath'
        ? JSON.stringify(row.event_id)
        : names.includes('id') && !internalIds
          ? String(row.id?.[1]).padStart(12, '0')
          : JSON.stringify(names.filter((c) => !TIME_KEYS.has(c)).map((c) => row[c]))
    // A stable sort: EventPath rows of one event stay in their stored (path) order.
    const sorted = [...rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0))
    out[table] = {
      columns,
      rows: sorted.map((row) =>
        Object.fromEntries(Object.entries(row).map(([c, v]) => [c, TIME_KEYS.has(c) ? [v[0], '<time>'] : v])),
      ),
    }
  }
  return out
}

/**
 * The reads this test makes carry no list options, and MLMD's SQL for them has no ORDER BY: on a
 * server engine MLMD answers in whatever order the engine's plan gives (PostgreSQL: descending
 * id for node and type lists, see the engine facts; MariaDB: index order for events), mlmd-ts
 * in id order (README: reads by id answer in id order). Lists are compared as sets there: node
 * and type lists sorted by id, events by their content. Returns how many of MLMD's lists it
 * reordered. (The SQLite test compares order too: SQLite's plans give id order.)
 */
function normaliseUnorderedReads(mlmd: DumpEntry[], ours: DumpEntry[]): number {
  let reordered = 0
  const byId = (item: Record<string, unknown>) => String(item.id).padStart(20, '0')
  const byContent = (item: Record<string, unknown>) => JSON.stringify(item)
  for (const [i, entry] of mlmd.entries()) {
    for (const side of [entry, ours[i]]) {
      const answer = side?.answer as Record<string, unknown> | undefined
      if (answer === undefined) continue
      for (const [field, list] of Object.entries(answer)) {
        if (!Array.isArray(list) || !UNORDERED_LISTS.has(field)) continue
        const key = field === 'events' ? byContent : byId
        const sorted = [...(list as Record<string, unknown>[])].sort((a, b) =>
          key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
        )
        if (JSON.stringify(sorted) !== JSON.stringify(list)) {
          answer[field] = sorted
          if (side === entry) reordered++
        }
      }
    }
  }
  return reordered
}

const UNORDERED_LISTS = new Set([
  'artifacts',
  'executions',
  'contexts',
  'artifact_types',
  'execution_types',
  'context_types',
  'events',
])

describeWithMlmd('interchange with the real MLMD on server engines (both ways, same database)', () => {
  describe.each(['postgresql', 'mysql'] as const)('%s', (engine) => {
    const rpcs = new Set<string>()
    const made: TestDatabase[] = []
    const outcome: Record<string, string> = {}
    let dbA: TestDatabase | undefined
    let dbB: TestDatabase | undefined
    let mlmdWrites: { rpc: string; response: unknown }[] = []
    let mlmdDumpA: DumpEntry[] = []
    let mlmdDumpB: DumpEntry[] = []
    let dir: string

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), `mlmd-ts-interchange-${engine}-`))
      dbA = await freshDatabase(engine)
      if (dbA === undefined) return
      made.push(dbA)
      dbB = await freshDatabase(engine)
      if (dbB !== undefined) made.push(dbB)
    }, 240_000)
    afterAll(async () => {
      for (const db of made) await db.drop()
      rmSync(dir, { recursive: true, force: true })
      if (Object.keys(outcome).length > 0) writeResults(`interchange-${engine}`, rpcs, { engine, outcome })
    })

    /** MLMD's reads of `db` and mlmd-ts's answers to the same requests, compared (lists sorted
     *  as normaliseUnorderedReads says); returns MLMD's sorted reads and a note on what was normalised. */
    async function readBoth(db: TestDatabase, name: string): Promise<[DumpEntry[], DumpEntry[], string]> {
      const readsPath = path.join(dir, `reads-${name}.json`)
      const mlmd = JSON.parse(await python(['dump', db.url, readsPath])) as DumpEntry[]
      const reads = JSON.parse(readFileSync(readsPath, 'utf8')) as Encoded[]
      expect(reads.length).toBeGreaterThan(50)
      const store = await openMetadataStore(db.url)
      let ours: DumpEntry[]
      try {
        ours = await answers(store, reads, mlmd, rpcs)
      } finally {
        await store.close()
      }
      // Sorted first: the type-field rule pairs MLMD's types with ours by position.
      const reordered = normaliseUnorderedReads(mlmd, ours)
      const typeFields = mlmd.reduce(
        (n, entry, i) => n + normaliseTypeReads(entry.answer, ours[i]?.answer),
        0,
      )
      const differing = mismatches(mlmd, ours)
      if (differing !== '') throw new Error(`reads that differ (MLMD vs mlmd-ts):\n${differing}`)
      expect(ours).toEqual(mlmd)
      const notes = [`${typeFields} type fields MLMD leaves out dropped: README "type reads are complete"`]
      if (reordered > 0)
        notes.push(`${reordered} reads without ORDER BY in MLMD's SQL answered in another order: sorted`)
      return [mlmd, ours, `${reads.length} reads identical (${notes.join('; ')})`]
    }

    it('a database MLMD writes is served by mlmd-ts and reads back identically', {
      timeout: 180_000,
    }, async ({ skip }) => {
      if (dbA === undefined) return skip(`${engine} is not installed here`)
      mlmdWrites = JSON.parse(await python(['write', dbA.url])) as typeof mlmdWrites
      const [mlmd, , note] = await readBoth(dbA, 'a')
      mlmdDumpA = mlmd
      // mlmd-ts opening the database changes nothing MLMD reads.
      const again = JSON.parse(
        await python(['dump', dbA.url, path.join(dir, 'reads-a2.json')]),
      ) as DumpEntry[]
      normaliseUnorderedReads(again, [])
      expect(again).toEqual(mlmdDumpA)
      outcome['mlmd → mlmd-ts'] = note
    })

    it('a database mlmd-ts writes opens in MLMD and reads back identically', {
      timeout: 180_000,
    }, async ({ skip }) => {
      if (dbB === undefined) return skip(`${engine} is not installed here`)
      expect(mlmdWrites.length, 'the MLMD-writes test ran first').toBeGreaterThan(0)
      const requests = JSON.parse(await python(['requests', engine])) as Encoded[]
      expect(mlmdWrites.length).toBe(requests.length)
      // mlmd-ts creates MLMD's schema in the empty database itself.
      const store = await openMetadataStore(dbB.url)
      try {
        const ours: { rpc: string; response: unknown }[] = []
        for (const request of requests)
          ours.push({ rpc: request.rpc, response: await run(store, request, rpcs) })
        const differing = firstDiff(mlmdWrites, ours)
        if (differing !== undefined) throw new Error(`write answers differ (MLMD vs mlmd-ts): ${differing}`)
      } finally {
        await store.close()
      }
      const [mlmd, , note] = await readBoth(dbB, 'b')
      mlmdDumpB = mlmd
      outcome['mlmd-ts → mlmd'] = note
    })

    it('both databases hold the same content (timestamps aside)', ({ skip }) => {
      if (dbB === undefined) return skip(`${engine} is not installed here`)
      expect(mlmdDumpA.length).toBeGreaterThan(0)
      const differing = mismatches(
        withoutTimes(mlmdDumpA) as DumpEntry[],
        withoutTimes(mlmdDumpB) as DumpEntry[],
      )
      if (differing !== '') throw new Error(`MLMD reads A and B differently:\n${differing}`)
      expect(withoutTimes(mlmdDumpB)).toEqual(withoutTimes(mlmdDumpA))
    })

    it('both databases hold the same rows, column types and indices (timestamps aside)', {
      timeout: 60_000,
    }, async ({ skip }) => {
      if (dbA === undefined || dbB === undefined) return skip(`${engine} is not installed here`)
      const a = comparableRows(await engineRows(dbA))
      const b = comparableRows(await engineRows(dbB))
      expect(Object.keys(a).length).toBeGreaterThan(15)
      const differing = firstDiff(a, b)
      if (differing !== undefined)
        throw new Error(`rows differ (written by MLMD vs by mlmd-ts): ${differing}`)
      const rows = Object.values(a).reduce<number>(
        (n, table) => n + ((table as { rows?: unknown[] }).rows?.length ?? 0),
        0,
      )
      outcome.tables = `${Object.keys(a).length - 1} tables, ${rows} rows, same column types and indices`
    })
  })
})
