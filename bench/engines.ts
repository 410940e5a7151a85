/**
 * `npm run bench:engines` (full) and `npm run bench:engines -- --quick`: mlmd-ts on the server
 * engines, in one run:
 *
 * 1. Per engine (PostgreSQL, MariaDB): mlmd_bench's workloads (bench/lib/workloads.ts, the same
 *    generators as bench/run.ts) on mlmd-ts in process (`openMetadataStore(url)`, the async
 *    store) and on the real MLMD 1.16 in process (Python, `ConnectionConfig.postgresql` /
 *    `.mysql`), each on a fresh database of that engine, the same requests interleaved round by
 *    round. Then the scale reads (pages, filters, lineage) on one database built by mlmd-ts,
 *    which both targets read.
 * 2. Read throughput of 1, 2 and 4 `mlmd-ts serve` replicas on one database of an engine: N
 *    concurrent official Python clients, spread over the replicas, send small reads
 *    (GetArtifactsByID of 1–10 ids, GetArtifactTypes, a context's first page) for a fixed time;
 *    the replica counts take turns round by round.
 *
 * The servers are throwaway PostgreSQL and MariaDB instances on loopback, started by
 * scripts/engine-servers.sh (through freshDatabase) and stopped when this process exits.
 *
 * Options: --quick, --seed N, --engines postgresql,mysql, --replica-engines postgresql,mysql,
 * --clients N, --skip compare,scale,replicas.
 * Output: tables on stdout, progress on stderr, bench/results/engines.json and engines.md.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { freshDatabase, type TestDatabase } from '../src/storage/engine-servers.test-support.js'
import { KINDS } from './lib/inspect.js'
import { type Driver, pyDriver, ROOT, Server, tsDriver } from './lib/processes.js'
import type { OpenSpec, WorkItem } from './lib/protocol.js'
import { fmtRatio, fmtUs } from './lib/report.js'
import { MinStdRand0 } from './lib/rng.js'
import { type BuildResult, runsFor } from './lib/scale.js'
import { fingerprintServer, inspectServer, scaleFactsServer } from './lib/server-db.js'
import { percentile, type Summary, summarize } from './lib/stats.js'
import * as W from './lib/workloads.js'

type Engine = TestDatabase['engine']

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '20200801' },
    engines: { type: 'string', default: 'postgresql,mysql' },
    'replica-engines': { type: 'string' },
    clients: { type: 'string' },
    skip: { type: 'string', default: '' },
  },
  strict: true,
})

const QUICK = args.quick === true
const MODE = QUICK ? 'quick' : 'full'
const ENGINES = args.engines.split(',').filter(Boolean) as Engine[]
const REPLICA_ENGINES = (args['replica-engines'] ?? (QUICK ? 'postgresql' : 'postgresql,mysql'))
  .split(',')
  .filter(Boolean) as Engine[]
const SKIP = new Set(args.skip.split(',').filter(Boolean))
for (const e of [...ENGINES, ...REPLICA_ENGINES]) {
  if (e !== 'postgresql' && e !== 'mysql') throw new Error(`unknown engine ${e}: postgresql or mysql`)
}

/** Operations per workload (mlmd_bench's tests used 100–500). */
const P = QUICK
  ? {
      types: 20,
      typeUpdates: 10,
      nodes: 30,
      nodeUpdates: 10,
      edges: 30,
      events: 30,
      putExecution: 30,
      reads: 30,
    }
  : {
      types: 100,
      typeUpdates: 50,
      nodes: 150,
      nodeUpdates: 60,
      edges: 150,
      events: 150,
      putExecution: 150,
      reads: 150,
    }
const ROUNDS = QUICK ? 4 : 8
/** Nodes of the database the scale reads and the replicas read. */
const SCALE_NODES = QUICK ? 2_000 : 10_000
const SCALE_OPS = QUICK ? 10 : 40
const SCALE_BUDGET_MS = QUICK ? 600 : 2000
const REPLICAS = [1, 2, 4] as const
const CLIENTS = Number(args.clients ?? (QUICK ? 4 : 8))
const REPLICA_ROUNDS = QUICK ? 2 : 3
const REPLICA_ROUND_MS = QUICK ? 1500 : 4000
const ONE_TO_TEN = { minimum: 1, maximum: 10 }

/** The two targets of the comparison: mlmd-ts in process and MLMD in process. */
const TARGETS = ['ts', 'mlmd'] as const
type Target = (typeof TARGETS)[number]

const started = Date.now()
function progress(text: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4)
  process.stderr.write(`[${s}s] ${text}\n`)
}

const rng = new MinStdRand0(Number(args.seed))
const drivers: Driver[] = []
const servers: Server[] = []

function rotate<T>(values: readonly T[], k: number): T[] {
  return values.map((_, i) => values[(i + k) % values.length] as T)
}

function chunks<T>(items: readonly T[], n: number): T[][] {
  const size = Math.ceil(items.length / n)
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

async function database(engine: Engine): Promise<TestDatabase> {
  const db = await freshDatabase(engine)
  if (db === undefined) {
    throw new Error(
      `${engine} is not installed here: sudo bash scripts/engine-servers.sh install ${engine}, or --engines/--replica-engines without it`,
    )
  }
  return db
}

function serverSpec(kind: Target, db: TestDatabase): OpenSpec {
  const { engine, url, host, port, user, password, database: name } = db
  return { kind, server: { engine, url, host, port, user, password, database: name } }
}

interface RunOutput {
  lat_us: number[]
  codes: Record<string, number>
  aborted: number
  start_ms: number
  end_ms: number
}

interface TargetSummary extends Summary {
  codes: Record<string, number>
}

interface CompareRow {
  name: string
  group: string
  op: string
  targets: Record<Target, TargetSummary>
  /** MLMD's median latency ÷ mlmd-ts's: > 1 means mlmd-ts is faster. */
  ratio_p50: number
  /** Error codes that were not expected answers, per target. */
  errors?: string
}

type Pair = Record<Target, Driver>

/** One workload on both targets, interleaved: each round visits them in a rotated order. */
async function compare(
  pair: Pair,
  handle: string,
  w: { name: string; group: string; op: string; items: WorkItem[]; accept?: readonly string[] },
  opts: { warmup?: number; pyPublic?: boolean; budgetMs?: number } = {},
): Promise<CompareRow> {
  const lat: Record<Target, number[]> = { ts: [], mlmd: [] }
  const codes: Record<Target, Record<string, number>> = { ts: {}, mlmd: {} }
  const base = { cmd: 'run' as const, handle, op: w.op, pyPublic: opts.pyPublic === true }
  if (opts.warmup) {
    for (const t of TARGETS) await pair[t].request({ ...base, items: w.items.slice(0, opts.warmup) })
  }
  const parts = chunks(w.items, Math.min(ROUNDS, w.items.length))
  const deadline = opts.budgetMs === undefined ? {} : { deadlineMs: opts.budgetMs / parts.length }
  for (let k = 0; k < parts.length; k++) {
    for (const t of rotate(TARGETS, k)) {
      const r = await pair[t].request<RunOutput>({ ...base, ...deadline, items: parts[k] as WorkItem[] })
      lat[t].push(...r.lat_us)
      for (const [c, n] of Object.entries(r.codes)) codes[t][c] = (codes[t][c] ?? 0) + n
    }
  }
  const accept = new Set(w.accept ?? [])
  const targets = Object.fromEntries(
    TARGETS.map((t) => [t, { ...summarize(lat[t]), codes: codes[t] }]),
  ) as Record<Target, TargetSummary>
  const errors = TARGETS.flatMap((t) =>
    Object.entries(codes[t])
      .filter(([c]) => !accept.has(c))
      .map(([c, n]) => `${t}: ${c}×${n}`),
  )
  const row: CompareRow = {
    name: w.name,
    group: w.group,
    op: w.op,
    targets,
    ratio_p50: targets.mlmd.p50_us / targets.ts.p50_us,
    ...(errors.length ? { errors: errors.join('; ') } : {}),
  }
  progress(
    `  ${w.name.padEnd(34)} ts p50 ${fmtUs(targets.ts.p50_us).padStart(6)}  MLMD p50 ${fmtUs(targets.mlmd.p50_us).padStart(6)}  MLMD/ts ${fmtRatio(row.ratio_p50).padStart(6)}${row.errors ? `  errors: ${row.errors}` : ''}`,
  )
  return row
}

// -- 1. mlmd-ts vs MLMD, per engine -----------------------------------------------------------------

interface EngineResult {
  engine: Engine
  workloads: CompareRow[]
  scale: { nodes: number; build_s: number; put_executions: number; queries: CompareRow[] } | undefined
  fingerprint_mismatches: string[]
}

async function comparePhase(engine: Engine): Promise<EngineResult> {
  progress(`${engine}: mlmd_bench workloads, mlmd-ts vs MLMD in process, one fresh database each`)
  const dbs = { ts: await database(engine), mlmd: await database(engine) }
  const pair: Pair = { ts: tsDriver(`ts-${engine}`), mlmd: pyDriver(`mlmd-${engine}`) }
  drivers.push(pair.ts, pair.mlmd)
  for (const t of TARGETS) await pair[t].request({ cmd: 'open', handle: 'fill', spec: serverSpec(t, dbs[t]) })
  const mismatches: string[] = []
  const rows: CompareRow[] = []
  const state = () => inspectServer(dbs.ts)
  const step = async (w: W.Workload, warmup?: number) => {
    rows.push(await compare(pair, 'fill', w, warmup ? { warmup } : {}))
    if (w.group !== 'fill') return
    const [ours, theirs] = await Promise.all([fingerprintServer(dbs.ts), fingerprintServer(dbs.mlmd)])
    if (ours !== theirs) {
      const message = `${engine} after ${w.name}: MLMD's database holds ${theirs}, mlmd-ts's ${ours}`
      mismatches.push(message)
      progress(`  warning: ${message}`)
    }
  }
  rows.push(
    await compare(
      pair,
      'fill',
      {
        name: 'EMPTY_CALL',
        group: 'baseline',
        op: 'GetContextTypesByID',
        items: Array.from({ length: P.reads }, () => ({ req: { type_ids: [] } })),
      },
      { warmup: 5 },
    ),
  )
  for (const update of [false, true]) {
    for (const kind of KINDS) {
      await step(
        W.fillTypes(rng, await state(), kind, {
          update,
          numProperties: ONE_TO_TEN,
          ops: update ? P.typeUpdates : P.types,
          tag: kind,
        }),
      )
    }
  }
  const nodeOpts = { numProperties: ONE_TO_TEN, stringValueBytes: ONE_TO_TEN, numNodes: ONE_TO_TEN }
  for (const update of [false, true]) {
    for (const kind of KINDS) {
      await step(
        W.fillNodes(rng, await state(), kind, {
          ...nodeOpts,
          update,
          ops: update ? P.nodeUpdates : P.nodes,
          tag: kind,
        }),
      )
    }
  }
  for (const spec of ['ATTRIBUTION', 'ASSOCIATION'] as const) {
    await step(
      W.fillContextEdges(rng, await state(), spec, {
        nonContextAlpha: 1,
        contextAlpha: 1,
        numEdges: ONE_TO_TEN,
        ops: P.edges,
      }),
    )
  }
  for (const spec of ['INPUT', 'OUTPUT'] as const) {
    await step(
      W.fillEvents(rng, await state(), spec, {
        executionAlpha: 1,
        artifactAlpha: 1,
        artifactSkew: 0.5,
        numEvents: ONE_TO_TEN,
        ops: P.events,
      }),
    )
  }
  await step(
    W.putExecution(rng, await state(), {
      inputs: 2,
      outputs: 2,
      ops: P.putExecution,
      tag: 'pe',
      pipelineContext: 'pipeline',
    }),
  )
  const s = await state()
  for (const kind of KINDS) {
    for (const spec of ['ALL', 'BY_ID', 'BY_NAME'] as const) {
      await step(W.readTypes(rng, s, kind, spec, { maybeNumIds: ONE_TO_TEN, ops: P.reads }), 5)
    }
  }
  for (const kind of KINDS) {
    for (const spec of ['BY_ID', 'BY_TYPE', 'BY_TYPE_AND_NAME'] as const) {
      await step(
        W.readNodesByProperties(rng, s, kind, spec, { numOfParameters: ONE_TO_TEN, ops: P.reads }),
        5,
      )
    }
  }
  await step(
    W.readNodesByProperties(rng, s, 'artifact', 'BY_URI', { numOfParameters: ONE_TO_TEN, ops: P.reads }),
    5,
  )
  for (const spec of [
    'CONTEXTS_BY_ARTIFACT',
    'CONTEXTS_BY_EXECUTION',
    'ARTIFACTS_BY_CONTEXT',
    'EXECUTIONS_BY_CONTEXT',
  ] as const) {
    await step(W.readNodesViaContextEdges(rng, s, spec, { ops: P.reads }), 5)
  }
  for (const spec of ['EVENTS_BY_ARTIFACT_ID', 'EVENTS_BY_EXECUTION_ID'] as const) {
    await step(W.readEvents(rng, s, spec, { numIds: ONE_TO_TEN, ops: P.reads }), 5)
  }
  for (const t of TARGETS) await pair[t].request({ cmd: 'close', handle: 'fill' })
  await Promise.all([dbs.ts.drop(), dbs.mlmd.drop()])

  let scale: EngineResult['scale']
  if (!SKIP.has('scale')) {
    const built = await scaleDatabase(engine, pair.ts)
    progress(`${engine}: scale reads at ${built.nodes} nodes, both targets on the one database`)
    for (const t of TARGETS)
      await pair[t].request({ cmd: 'open', handle: 'scale', spec: serverSpec(t, built.db) })
    const facts = await scaleFactsServer(built.db)
    const queries = W.scaleQueries(
      rng,
      {
        maxArtifact: facts.maxArtifact,
        maxContext: facts.maxContext,
        runs: built.runs,
        contextNames: (ids) => ids.map((id) => facts.contextNames.get(id) ?? ''),
        largeContexts: facts.pipelineContexts,
      },
      SCALE_OPS,
    )
    const scaleRows: CompareRow[] = []
    for (const q of queries) {
      scaleRows.push(
        await compare(
          pair,
          'scale',
          { name: q.name, group: 'scale', op: q.op, items: q.items },
          { warmup: 2, budgetMs: SCALE_BUDGET_MS, pyPublic: q.pyPublic === true },
        ),
      )
    }
    for (const t of TARGETS) await pair[t].request({ cmd: 'close', handle: 'scale' })
    scale = {
      nodes: built.nodes,
      build_s: built.build.seconds,
      put_executions: built.build.putExecutions,
      queries: scaleRows,
    }
    scaleDatabases.set(engine, built)
  }
  await Promise.all([pair.ts.stop(), pair.mlmd.stop()])
  return { engine, workloads: rows, scale, fingerprint_mismatches: mismatches }
}

interface ScaleDatabase {
  db: TestDatabase
  nodes: number
  runs: number
  build: BuildResult
}

/** Databases built for the scale reads, reused by the replica phase. */
const scaleDatabases = new Map<Engine, ScaleDatabase>()

/** A database of pipeline runs (bench/lib/scale.ts) built by mlmd-ts through `builder`. */
async function scaleDatabase(engine: Engine, builder?: Driver): Promise<ScaleDatabase> {
  const existing = scaleDatabases.get(engine)
  if (existing) return existing
  const db = await database(engine)
  const runs = runsFor(SCALE_NODES)
  progress(`${engine}: building ${runs} pipeline runs (~${SCALE_NODES} nodes) with mlmd-ts`)
  const driver = builder ?? tsDriver(`build-${engine}`)
  if (!builder) drivers.push(driver)
  await driver.request({ cmd: 'open', handle: 'build', spec: serverSpec('ts', db) })
  const build = await driver.request<BuildResult>({
    cmd: 'build',
    handle: 'build',
    spec: { fromRun: 0, toRun: runs },
  })
  await driver.request({ cmd: 'close', handle: 'build' })
  if (!builder) await driver.stop()
  const facts = await scaleFactsServer(db)
  progress(
    `  built ${facts.nodes} nodes: ${build.putExecutions} PutExecution in ${build.seconds.toFixed(1)} s`,
  )
  const built = { db, nodes: facts.nodes, runs, build }
  scaleDatabases.set(engine, built)
  return built
}

// -- 2. replicas ---------------------------------------------------------------------------------------

const READS = ['GetArtifactsByID', 'GetArtifactTypes', 'GetArtifactsByContext'] as const

interface ReplicaRow {
  engine: Engine
  replicas: number
  clients: number
  calls: number
  calls_per_s: number
  p50_us: number
  p99_us: number
  errors: number
  /** Median latency per operation. */
  p50_us_by_op: Record<string, number>
}

async function replicaPhase(engine: Engine): Promise<ReplicaRow[]> {
  const built = await scaleDatabase(engine)
  const facts = await scaleFactsServer(built.db)
  progress(
    `${engine}: ${Math.max(...REPLICAS)} mlmd-ts serve replicas on one database (${built.nodes} nodes), ${CLIENTS} Python clients`,
  )
  const replicas: Server[] = []
  for (let i = 0; i < Math.max(...REPLICAS); i++) {
    const server = await Server.start(built.db.url)
    servers.push(server)
    replicas.push(server)
  }
  const clients = Array.from({ length: CLIENTS }, (_, i) => pyDriver(`client-${engine}-${i}`))
  drivers.push(...clients)
  // Client i sends one kind of read, to replica i mod k when k replicas serve.
  const itemsFor = (i: number, n: number): WorkItem[] => {
    const op = READS[i % READS.length]
    return Array.from({ length: n }, () => {
      if (op === 'GetArtifactsByID') {
        return {
          req: {
            artifact_ids: Array.from({ length: rng.int(1, 10) }, () => rng.int(1, facts.maxArtifact)),
          },
        }
      }
      if (op === 'GetArtifactTypes') return { req: {} }
      return { req: { context_id: rng.int(1, facts.maxContext), options: { max_result_size: 20 } } }
    })
  }
  const handle = (k: number) => `r${k}`
  for (const k of REPLICAS) {
    await Promise.all(
      clients.map((c, i) =>
        c.request({
          cmd: 'open',
          handle: handle(k),
          spec: { kind: 'grpc', port: (replicas[i % k] as Server).port },
        }),
      ),
    )
    // Warm up every channel and each replica's pool and caches.
    await Promise.all(
      clients.map((c, i) =>
        c.request({
          cmd: 'run',
          handle: handle(k),
          op: READS[i % READS.length] as string,
          items: itemsFor(i, 20),
        }),
      ),
    )
  }
  type Sample = { lat: number[]; byOp: Map<string, number[]>; wallMs: number; errors: number }
  const samples = new Map<number, Sample>()
  for (let round = 0; round < REPLICA_ROUNDS; round++) {
    for (const k of rotate(REPLICAS, round)) {
      const results = await Promise.all(
        clients.map((c, i) =>
          c.request<RunOutput>({
            cmd: 'run',
            handle: handle(k),
            op: READS[i % READS.length] as string,
            items: itemsFor(i, 500),
            deadlineMs: REPLICA_ROUND_MS,
            cycle: true,
          }),
        ),
      )
      const sample: Sample = samples.get(k) ?? { lat: [], byOp: new Map(), wallMs: 0, errors: 0 }
      samples.set(k, sample)
      results.forEach((r, i) => {
        const op = READS[i % READS.length] as string
        sample.lat.push(...r.lat_us)
        const list = sample.byOp.get(op) ?? []
        list.push(...r.lat_us)
        sample.byOp.set(op, list)
        sample.errors += Object.values(r.codes).reduce((a, b) => a + b, 0)
      })
      sample.wallMs += Math.max(...results.map((r) => r.end_ms)) - Math.min(...results.map((r) => r.start_ms))
      progress(
        `  round ${round + 1}/${REPLICA_ROUNDS}: ${k} replica(s), ${results.reduce((n, r) => n + r.lat_us.length, 0)} calls`,
      )
    }
  }
  await Promise.all(clients.map((c) => c.stop()))
  await Promise.all(replicas.map((s) => s.stop()))
  return REPLICAS.map((k) => {
    const s = samples.get(k)
    if (s === undefined) throw new Error(`no sample for ${k} replicas`)
    const sorted = [...s.lat].sort((a, b) => a - b)
    const medians = Object.fromEntries(
      [...s.byOp].map(([op, lat]) => [
        op,
        percentile(
          [...lat].sort((a, b) => a - b),
          50,
        ),
      ]),
    )
    return {
      engine,
      replicas: k,
      clients: CLIENTS,
      calls: s.lat.length,
      calls_per_s: (s.lat.length / s.wallMs) * 1000,
      p50_us: percentile(sorted, 50),
      p99_us: percentile(sorted, 99),
      errors: s.errors,
      p50_us_by_op: medians,
    }
  })
}

// -- report --------------------------------------------------------------------------------------------

const ENGINE_NAME: Record<Engine, string> = { postgresql: 'PostgreSQL', mysql: 'MariaDB' }

function compareTable(results: readonly EngineResult[]): string {
  const names: string[] = []
  const byName = new Map<string, Map<Engine, CompareRow>>()
  for (const r of results) {
    const scaleRows = (r.scale?.queries ?? []).map((q) => ({ ...q, name: `${q.name}@${r.scale?.nodes}` }))
    for (const row of [...r.workloads, ...scaleRows]) {
      if (!byName.has(row.name)) {
        names.push(row.name)
        byName.set(row.name, new Map())
      }
      byName.get(row.name)?.set(r.engine, row)
    }
  }
  const engines = results.map((r) => r.engine)
  const header = `| workload | ${engines.map((e) => `${ENGINE_NAME[e]}: mlmd-ts p50 | MLMD p50 | MLMD ÷ mlmd-ts`).join(' | ')} |`
  const rule = `| --- | ${engines.map(() => '---: | ---: | ---:').join(' | ')} |`
  const lines = names.map((name) => {
    const cells = engines.map((e) => {
      const row = byName.get(name)?.get(e)
      if (!row) return '– | – | –'
      const flag = row.errors ? ' ⚠' : ''
      return `${fmtUs(row.targets.ts.p50_us)} | ${fmtUs(row.targets.mlmd.p50_us)} | ${fmtRatio(row.ratio_p50)}${flag}`
    })
    return `| ${name} | ${cells.join(' | ')} |`
  })
  const geo = engines.map((e) => {
    const ratios = results
      .find((r) => r.engine === e)
      ?.workloads.concat(results.find((r) => r.engine === e)?.scale?.queries ?? [])
      .filter((row) => !row.errors && Number.isFinite(row.ratio_p50) && row.ratio_p50 > 0)
      .map((row) => row.ratio_p50)
    const g = ratios?.length
      ? Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length)
      : Number.NaN
    return `${ENGINE_NAME[e]} geomean MLMD ÷ mlmd-ts ${fmtRatio(g)} over ${ratios?.length ?? 0} workloads`
  })
  return [header, rule, ...lines, '', geo.join('; ')].join('\n')
}

function replicaTable(rows: readonly ReplicaRow[]): string {
  if (rows.length === 0) return ''
  return [
    `| engine | replicas | clients | calls/s | p50 | p99 | p50 by id / types / page | errors |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...rows.map(
      (r) =>
        `| ${ENGINE_NAME[r.engine]} | ${r.replicas} | ${r.clients} | ${r.calls_per_s.toFixed(0)} | ${fmtUs(r.p50_us)} | ${fmtUs(r.p99_us)} | ${READS.map((op) => fmtUs(r.p50_us_by_op[op] ?? Number.NaN)).join(' / ')} | ${r.errors} |`,
    ),
  ].join('\n')
}

async function main(): Promise<void> {
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
  }
  progress(
    `mlmd-ts engines bench, ${MODE} mode; ${machine.nproc} cores, load ${machine.load_average_at_start[0]}`,
  )
  const engineResults: EngineResult[] = []
  const replicaRows: ReplicaRow[] = []
  try {
    if (!SKIP.has('compare')) for (const engine of ENGINES) engineResults.push(await comparePhase(engine))
    if (!SKIP.has('replicas'))
      for (const engine of REPLICA_ENGINES) replicaRows.push(...(await replicaPhase(engine)))
  } finally {
    await Promise.all(drivers.map((d) => d.stop()))
    await Promise.all(servers.map((s) => s.stop()))
    await Promise.all([...scaleDatabases.values()].map((b) => b.db.drop().catch(() => undefined)))
  }
  const seconds = (Date.now() - started) / 1000
  const meta = {
    mode: MODE,
    date: new Date().toISOString(),
    seed: Number(args.seed),
    machine: { ...machine, load_average_at_end: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    seconds,
    servers:
      'throwaway PostgreSQL and MariaDB on loopback from scripts/engine-servers.sh (PostgreSQL with fsync=off and synchronous_commit=off, MariaDB with innodb_flush_log_at_trx_commit=0)',
    targets: {
      ts: 'mlmd-ts in process: openMetadataStore(url), the async store over pg / mysql2',
      mlmd: 'MLMD 1.16 in process: the official Python client on ConnectionConfig.postgresql / .mysql',
    },
    notes: [
      'Workloads: a fresh database per target and engine, the same requests, interleaved in rounds.',
      'Scale reads: one database built by mlmd-ts, read by both targets.',
      'Ratios are of median latencies, MLMD ÷ mlmd-ts: > 1 means mlmd-ts is faster.',
      `Replicas: ${CLIENTS} official Python clients, client i sending ${READS.join(' / ')} (by i mod 3) to replica i mod k, ${REPLICA_ROUNDS} rounds of ${REPLICA_ROUND_MS} ms per replica count.`,
    ],
    rounds_per_workload: ROUNDS,
    scale_nodes: SCALE_NODES,
  }
  const results = { meta, engines: engineResults, replicas: replicaRows }
  const outDir = path.join(ROOT, 'bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const jsonFile = path.join(outDir, 'engines.json')
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`)
  try {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', jsonFile], {
      stdio: 'ignore',
    })
  } catch {
    // an unformatted file is still a valid result
  }
  const mismatches = engineResults.flatMap((r) => r.fingerprint_mismatches)
  const md = [
    `# mlmd-ts on server engines (${MODE} run, ${meta.date.slice(0, 10)})`,
    '',
    `${machine.nproc} cores (${machine.cpu}), load average ${machine.load_average_at_start[0]} at start and ${meta.machine.load_average_at_end[0]} at end; ${seconds.toFixed(0)} s. ${meta.servers}.`,
    '',
    engineResults.length
      ? `## mlmd-ts vs MLMD 1.16, both in process, on the same engine\n\nMedian latency per call; MLMD ÷ mlmd-ts > 1 means mlmd-ts is faster; ⚠ = errors (see engines.json).\n\n${compareTable(engineResults)}`
      : '',
    mismatches.length
      ? `\nWARNING: ${mismatches.length} fingerprint mismatches:\n${mismatches.map((m) => `- ${m}`).join('\n')}`
      : '',
    '',
    replicaRows.length
      ? `## Read throughput of mlmd-ts serve replicas on one database\n\n${CLIENTS} official Python clients (one process each), small reads for ${REPLICA_ROUNDS} × ${REPLICA_ROUND_MS} ms per replica count, interleaved.\n\n${replicaTable(replicaRows)}`
      : '',
    '',
  ].join('\n')
  writeFileSync(path.join(outDir, 'engines.md'), md)
  process.stdout.write(`${md}\nresults: bench/results/engines.json, bench/results/engines.md\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
})
