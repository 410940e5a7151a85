/**
 * The in-process store's cost per call, for profiling and for quick before/after comparisons:
 * one small store on tmpfs (types, 300 artifacts with 5 properties, executions, contexts,
 * events), then a mix of reads and writes shaped like mlmd_bench's, timed per operation.
 *
 *   node --import tsx bench/profile-inprocess.ts [--rounds 30] [ROOT …]
 *   node --cpu-prof --import tsx bench/profile-inprocess.ts --rounds 60 .
 *
 * Each ROOT is a checkout (default: this one); with several, each round visits them in a
 * rotated order (as bench/run.ts interleaves its targets) and the table gives the median µs per
 * call of each and the ratio to the first. Times are the process's CPU time (so that other
 * processes on a busy machine count less), for finding where time goes; the figures to report
 * come from `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    only: { type: 'string', default: '' },
    // Times every statement by its text and prints, per operation, statements and µs per call.
    statements: { type: 'boolean', default: false },
  },
  allowPositionals: true,
})
const roots = (positionals.length === 0 ? ['.'] : positionals).map((r) => path.resolve(r))
const rounds = Number(values.rounds)

type Call = (request: unknown) => Record<string, unknown>
type Store = {
  readonly [K in
    | 'getArtifactByTypeAndName'
    | 'getArtifactType'
    | 'getArtifactTypes'
    | 'getArtifactTypesByID'
    | 'getArtifacts'
    | 'getArtifactsByContext'
    | 'getArtifactsByID'
    | 'getArtifactsByType'
    | 'getArtifactsByURI'
    | 'getContextType'
    | 'getContextTypesByID'
    | 'getContextsByArtifact'
    | 'getEventsByExecutionIDs'
    | 'getExecutionType'
    | 'putArtifactType'
    | 'putArtifacts'
    | 'putAttributionsAndAssociations'
    | 'putContextType'
    | 'putContexts'
    | 'putExecution'
    | 'putExecutionType']: Call
} & { close(): void }

interface Target {
  readonly root: string
  readonly store: Store
  readonly dir: string
}

// Statement time by operation and SQL text, per root (each root loads its own better-sqlite3).
const statementTimes = new Map<string, Map<string, { n: number; ns: bigint }>>()
let currentKey = ''

function timeStatements(root: string): void {
  const Database = createRequire(path.join(root, 'package.json'))('better-sqlite3') as {
    prototype: unknown
  }
  const db = new (Database as unknown as new (f: string) => { prepare(sql: string): object; close(): void })(
    ':memory:',
  )
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, unknown>
  db.close()
  for (const method of ['all', 'get', 'run', 'iterate']) {
    const original = proto[method] as (...args: unknown[]) => unknown
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      const started = process.hrtime.bigint()
      try {
        return original.apply(this, args)
      } finally {
        const key = `${path.basename(root)} ${currentKey}`
        let byText = statementTimes.get(key)
        if (byText === undefined) {
          byText = new Map()
          statementTimes.set(key, byText)
        }
        const entry = byText.get(this.source) ?? { n: 0, ns: 0n }
        entry.n++
        entry.ns += process.hrtime.bigint() - started
        byText.set(this.source, entry)
      }
    }
  }
}

async function open(root: string): Promise<Target> {
  if (values.statements) timeStatements(root)
  const module = (await import(path.join(root, 'src/index.ts'))) as {
    createMetadataStore(options: { filename: string }): Store
  }
  const dir = mkdtempSync('/dev/shm/mlmd-profile-')
  const store = module.createMetadataStore({ filename: path.join(dir, 'p.sqlite') })
  fill(store)
  return { root, store, dir }
}

const PROPS = { p0: 1, p1: 2, p2: 3, p3: 1, p4: 3 } as const // INT, DOUBLE, STRING

function fill(store: Store): void {
  for (let t = 0; t < 5; t++) {
    store.putArtifactType({ artifact_type: { name: `AT${t}`, properties: PROPS } })
    store.putExecutionType({ execution_type: { name: `ET${t}`, properties: PROPS } })
    store.putContextType({ context_type: { name: `CT${t}`, properties: PROPS } })
  }
  for (let batch = 0; batch < 30; batch++) {
    const typeId = store.getArtifactType({ type_name: `AT${batch % 5}` }).artifact_type as { id: bigint }
    store.putArtifacts({
      artifacts: Array.from({ length: 10 }, (_, i) => ({
        type_id: typeId.id,
        uri: `s3://b/${batch}/${i}`,
        name: `a${batch}-${i}`,
        properties: props(batch * 10 + i),
        custom_properties: { note: { string_value: `n${i}` } },
      })),
    })
  }
  const et = store.getExecutionType({ type_name: 'ET0' }).execution_type as { id: bigint }
  const ct = store.getContextType({ type_name: 'CT0' }).context_type as { id: bigint }
  for (let c = 0; c < 10; c++) {
    store.putContexts({ contexts: [{ type_id: ct.id, name: `c${c}`, properties: props(c) }] })
  }
  for (let e = 0; e < 60; e++) {
    store.putExecution({
      execution: { type_id: et.id, name: `e${e}`, properties: props(e) },
      artifact_event_pairs: [
        { artifact: { id: BigInt((e % 300) + 1) }, event: { type: 3 } },
        { artifact: { id: BigInt(((e * 7) % 300) + 1) }, event: { type: 4 } },
      ],
    })
  }
  const attributions = Array.from({ length: 300 }, (_, a) => ({
    artifact_id: BigInt(a + 1),
    context_id: BigInt((a % 10) + 1),
  }))
  const associations = Array.from({ length: 60 }, (_, e) => ({
    execution_id: BigInt(e + 1),
    context_id: BigInt((e % 10) + 1),
  }))
  store.putAttributionsAndAssociations({ attributions, associations })
}

function props(i: number) {
  return {
    p0: { int_value: BigInt(i) },
    p1: { double_value: i / 3 },
    p2: { string_value: `value-${i}` },
    p3: { int_value: BigInt(i * 2) },
    p4: { string_value: `s${i % 7}` },
  }
}

let counter = 0
const ids = (n: number, max: number) =>
  Array.from({ length: n }, (_, i) => BigInt(((counter + i * 37) % max) + 1))

/** The operations timed, each a function of the round's counter. */
const OPS: Record<string, (s: Store) => unknown> = {
  EMPTY_CALL: (s) => s.getContextTypesByID({ type_ids: [] }),
  TYPE_BY_NAME: (s) => s.getArtifactType({ type_name: `AT${counter % 5}` }),
  TYPES_BY_ID: (s) => s.getArtifactTypesByID({ type_ids: [10n, 13n, 16n] }),
  ALL_TYPES: (s) => s.getArtifactTypes({}),
  ARTIFACTS_BY_ID_5: (s) => s.getArtifactsByID({ artifact_ids: ids(5, 300) }),
  ARTIFACTS_BY_TYPE: (s) => s.getArtifactsByType({ type_name: `AT${counter % 5}` }),
  ARTIFACT_BY_TYPE_AND_NAME: (s) =>
    s.getArtifactByTypeAndName({ type_name: `AT${counter % 5}`, artifact_name: `a${counter % 5}-3` }),
  ARTIFACTS_BY_URI: (s) => s.getArtifactsByURI({ uris: [`s3://b/${counter % 30}/1`, 's3://b/2/2'] }),
  ARTIFACTS_BY_CONTEXT: (s) => s.getArtifactsByContext({ context_id: BigInt((counter % 10) + 1) }),
  CONTEXTS_BY_ARTIFACT: (s) => {
    try {
      return s.getContextsByArtifact({ artifact_id: BigInt((counter % 300) + 1) })
    } catch {
      return undefined
    }
  },
  EVENTS_BY_EXECUTION: (s) => s.getEventsByExecutionIDs({ execution_ids: ids(4, 60) }),
  PAGE_OF_100: (s) => s.getArtifacts({ options: { max_result_size: 100 } }),
  PUT_ARTIFACT_UPDATE: (s) =>
    s.putArtifacts({
      artifacts: [
        { id: BigInt((counter % 6) * 50 + (counter % 10) + 1), type_id: 10n, properties: props(counter) },
      ],
    }),
  PUT_ARTIFACT_NEW: (s) =>
    s.putArtifacts({ artifacts: [{ type_id: 10n, uri: `s3://new/${counter}`, properties: props(counter) }] }),
  PUT_CONTEXT_TYPE: (s) => s.putContextType({ context_type: { name: 'CT1', properties: PROPS } }),
  // mlmd_bench's FillTypes: a new type with 1–10 string properties, then the same type with
  // properties added (can_add_fields), as its UPDATE variant.
  PUT_TYPE_NEW: (s) =>
    s.putArtifactType({ artifact_type: { name: `new-${counter}`, properties: stringProps('p', counter) } }),
  PUT_TYPE_ADD_PROPERTIES: (s) =>
    s.putArtifactType({
      artifact_type: {
        name: `new-${counter}`,
        properties: { ...stringProps('p', counter), ...stringProps('add', counter + 3) },
      },
      can_add_fields: true,
    }),
  // mlmd_bench's FillNodes: 1–10 new nodes with 1–10 string properties, custom ones included.
  PUT_ARTIFACTS_NEW_BATCH: (s) =>
    s.putArtifacts({
      artifacts: Array.from({ length: (counter % 10) + 1 }, (_, i) => ({
        type_id: 10n,
        name: `batch-${counter}-${i}`,
        uri: `s3://batch/${counter}/${i}`,
        state: 0,
        properties: { p2: { string_value: '*'.repeat(i + 1) }, p4: { string_value: 'x' } },
        custom_properties: { c0: { string_value: 'y' }, c1: { string_value: 'zz' } },
      })),
    }),
  PUT_CONTEXT_NEW: (s) =>
    s.putContexts({
      contexts: [{ type_id: CONTEXT_TYPE_ID, name: `ctx-${counter}`, properties: props(counter) }],
    }),
  PUT_EXECUTION: (s) =>
    s.putExecution({
      execution: { type_id: EXECUTION_TYPE_ID, last_known_state: 3 },
      artifact_event_pairs: [
        { artifact: { id: BigInt((counter % 300) + 1) }, event: { type: 3 } },
        { artifact: { type_id: 10n, uri: `s3://out/${counter}` }, event: { type: 4 } },
      ],
      contexts: [
        {
          id: BigInt((counter % 10) + 1),
          type_id: CONTEXT_TYPE_ID,
          name: `c${counter % 10}`,
          properties: props(counter % 10),
        },
      ],
    }),
  PUT_ATTRIBUTIONS: (s) =>
    s.putAttributionsAndAssociations({
      attributions: [{ artifact_id: BigInt((counter % 300) + 1), context_id: BigInt((counter % 7) + 1) }],
      associations: [],
    }),
}

function stringProps(prefix: string, n: number): Record<string, number> {
  const properties: Record<string, number> = {}
  for (let p = 0; p < (n % 10) + 1; p++) properties[`${prefix}-${p}`] = 3
  return properties
}

// The execution and context types of the fill (ET0, CT0): the 6th and 7th user types.
const EXECUTION_TYPE_ID = 11n
const CONTEXT_TYPE_ID = 12n

const targets: Target[] = []
for (const root of roots) targets.push(await open(root))
// The artifact update names type AT0's id; find it per target so the request is valid.
for (const t of targets) {
  const type = t.store.getArtifactType({ type_name: 'AT0' }).artifact_type as { id: bigint }
  if (type.id !== 10n) throw new Error(`unexpected type id ${type.id} in ${t.root}`)
}

const only = values.only === '' ? undefined : new Set(values.only.split(','))
const names = Object.keys(OPS).filter((n) => only === undefined || only.has(n))
const samples = new Map<string, number[][]>(names.map((n) => [n, targets.map(() => [])]))
const CALLS = 20
for (let round = 0; round < rounds; round++) {
  for (const name of names) {
    const op = OPS[name] as (s: Store) => unknown
    for (let k = 0; k < targets.length; k++) {
      const index = (k + round) % targets.length
      const target = targets[index] as Target
      currentKey = name
      const started = process.cpuUsage()
      for (let c = 0; c < CALLS; c++) {
        counter = round * CALLS + c
        op(target.store)
      }
      const spent = process.cpuUsage(started)
      const us = (spent.user + spent.system) / CALLS
      if (round >= 2) samples.get(name)?.[index]?.push(us)
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const header = ['operation', ...targets.map((t, i) => `${i}:${path.basename(t.root)} µs`)]
if (targets.length > 1) header.push(...targets.slice(1).map((_, i) => `${i + 1}/0`))
console.log(header.join('\t'))
const logs: number[][] = targets.map(() => [])
for (const name of names) {
  const m = (samples.get(name) ?? []).map(median)
  const row = [name.padEnd(26), ...m.map((x) => x.toFixed(1))]
  for (let i = 1; i < m.length; i++) {
    row.push(((m[i] as number) / (m[0] as number)).toFixed(3))
    logs[i]?.push(Math.log((m[i] as number) / (m[0] as number)))
  }
  console.log(row.join('\t'))
}
for (let i = 1; i < targets.length; i++) {
  const l = logs[i] as number[]
  console.log(`geomean ${i}/0: ${Math.exp(l.reduce((a, b) => a + b, 0) / l.length).toFixed(3)}`)
}
const callsPerOp = rounds * CALLS
for (const [key, byText] of [...statementTimes].sort()) {
  if (key.endsWith(' ')) continue
  console.log(`\n${key}`)
  for (const [sql, { n, ns }] of [...byText].sort((a, b) => Number(b[1].ns - a[1].ns))) {
    console.log(
      `  ${(Number(ns) / 1000 / callsPerOp).toFixed(1).padStart(8)} µs/call  ${(n / callsPerOp).toFixed(1)}×  ${sql.slice(0, 150)}`,
    )
  }
}
for (const t of targets) {
  t.store.close()
  rmSync(t.dir, { recursive: true, force: true })
}
