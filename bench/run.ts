/**
 * `npm run bench` (full) and `npm run bench -- --quick`: mlmd_bench's workloads and ours, run on
 * four targets in the same run, interleaved (each workload is cut into rounds and every round
 * visits the targets in a rotated order, so drift on this shared machine hits all of them):
 *
 *   ts     mlmd-ts in-process (TS API)
 *   grpc   mlmd-ts over gRPC on loopback, driven by the official Python client
 *   mlmd   the real MLMD 1.16 in-process, driven by the same Python client
 *   floor  the same rows written and read with bare better-sqlite3 statements
 *
 * Phases: mlmd_bench's eight workloads (+ PutExecution) on one fresh file per target; scale
 * curves on one file grown to 10k, 100k (and 1M) nodes that every target reads; N writers
 * contending on one file per target. Output: tables on stdout, progress on stderr, JSON and an
 * SVG chart under bench/results/.
 *
 * Options: --quick, --seed N, --dir PATH (files of the fill and contention phases; default a
 * new folder in the system temp dir), --tmpfs (put them on /dev/shm: no fsync cost), --writers N,
 * --scale 10000,100000, --skip mlmd_bench,scale,contention, --tag NAME (results file name),
 * --keep (keep the database files).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { writeChart } from './lib/chart.js'
import {
  contextIdsOfType,
  contextNames,
  fingerprint,
  inspect,
  journalMode,
  KINDS,
  scaleFacts,
} from './lib/inspect.js'
import { type Driver, extraNodeArgs, pyDriver, pythonPath, ROOT, Server, tsDriver } from './lib/processes.js'
import { TARGET_LABELS, TARGETS, type TargetKind, type WorkItem } from './lib/protocol.js'
import {
  type ContentionResult,
  contentionTable,
  evaluateGoals,
  fmtNodes,
  fmtRatio,
  geomeansOf,
  goalsTable,
  type Results,
  type RowStatus,
  ratiosOf,
  type ScalePoint,
  scaleTable,
  type TargetResult,
  type WorkloadRow,
  workloadTable,
} from './lib/report.js'
import { MinStdRand0 } from './lib/rng.js'
import { type BuildResult, runsFor } from './lib/scale.js'
import { summarize } from './lib/stats.js'
import * as W from './lib/workloads.js'

// -- options --------------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '20200801' },
    dir: { type: 'string' },
    tmpfs: { type: 'boolean', default: false },
    writers: { type: 'string' },
    scale: { type: 'string' },
    skip: { type: 'string', default: '' },
    tag: { type: 'string' },
    keep: { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
  strict: true,
})

const QUICK = args.quick === true
const MODE = QUICK ? 'quick' : 'full'
/**
 * `--baseline DIR`: a before/after run of mlmd_bench's workloads against another checkout (with
 * its own node_modules). The `floor` column then runs that checkout in-process and the `mlmd`
 * column its server through the Python client, so `ts/floor` reads "after ÷ before" in-process
 * and `gRPC/MLMD` the same over gRPC, interleaved in one run. Scale and contention are skipped.
 */
const BASELINE = args.baseline === undefined ? undefined : path.resolve(args.baseline)
const SKIP = new Set([
  ...(args.skip ?? '').split(',').filter(Boolean),
  ...(BASELINE === undefined ? [] : ['scale', 'contention']),
])
const SCALE = (args.scale ?? (QUICK ? '10000,100000' : '10000,100000,1000000')).split(',').map(Number)
const WRITERS = Number(args.writers ?? (QUICK ? 2 : 4))

/** Operation counts: mlmd_bench's tests used 100–500 operations per workload. */
const P = QUICK
  ? {
      types: 30,
      typeUpdates: 15,
      nodes: 40,
      nodeUpdates: 15,
      edges: 40,
      events: 40,
      putExecution: 40,
      reads: 40,
    }
  : {
      types: 300,
      typeUpdates: 150,
      nodes: 500,
      nodeUpdates: 200,
      edges: 500,
      events: 500,
      putExecution: 500,
      reads: 500,
    }
const SCALE_OPS = QUICK ? 16 : 60
/** Time budget per scale query and target: slow queries at 1M nodes run fewer times. */
const SCALE_BUDGET_MS = QUICK ? 1000 : 3000
/** The full run skips the largest scale point when building it would overrun this. */
const FULL_BUDGET_S = 25 * 60
const ROUNDS = 8
const CONTENTION = QUICK ? { rounds: 2, ms: 1000 } : { rounds: 3, ms: 4000 }
const ONE_TO_TEN = { minimum: 1, maximum: 10 }

// -- progress ---------------------------------------------------------------------------------------

const started = Date.now()
function progress(text: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4)
  process.stderr.write(`[${s}s] ${text}\n`)
}

// -- the targets ----------------------------------------------------------------------------------

const rng = new MinStdRand0(Number(args.seed))
const baseDir = args.tmpfs ? '/dev/shm' : (args.dir ?? os.tmpdir())
mkdirSync(baseDir, { recursive: true })
const dir = mkdtempSync(path.join(baseDir, 'mlmd-bench-'))
// The scale file lives on tmpfs: building a million nodes must not wait on 200k fsyncs, and
// the reads measured on it come from the page cache either way.
const scaleDir = mkdtempSync(path.join('/dev/shm', 'mlmd-bench-scale-'))

const drivers: Record<TargetKind, Driver> = {
  ts: tsDriver('ts', (_n, t) => progress(`  build: ${t}`)),
  floor: BASELINE === undefined ? tsDriver('floor') : tsDriver('floor', undefined, BASELINE),
  grpc: pyDriver('grpc'),
  mlmd: pyDriver('mlmd'),
}
const servers: Server[] = []
const extraDrivers: Driver[] = []

function fillFile(t: TargetKind): string {
  return path.join(dir, `fill-${t}.sqlite`)
}

function rotate<T>(values: readonly T[], k: number): T[] {
  const n = values.length
  return values.map((_, i) => values[(i + k) % n] as T)
}

function chunks<T>(items: readonly T[], n: number): T[][] {
  const size = Math.ceil(items.length / n)
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

interface RunOutput {
  lat_us: number[]
  codes: Record<string, number>
  aborted: number
  start_ms: number
  end_ms: number
}

/** Runs a workload on every target, interleaved, and summarizes it. */
async function runWorkload(
  w: {
    name: string
    group: 'fill' | 'read' | 'extra' | 'baseline'
    op: string
    items: WorkItem[]
    config?: Record<string, unknown>
  },
  handle: string,
  opts: { warmup?: number; pyPublic?: boolean; accept?: readonly string[]; budgetMs?: number } = {},
): Promise<WorkloadRow> {
  const lat: Record<TargetKind, number[]> = { ts: [], grpc: [], mlmd: [], floor: [] }
  const codes: Record<TargetKind, Record<string, number>> = { ts: {}, grpc: {}, mlmd: {}, floor: {} }
  const aborted: Record<TargetKind, number> = { ts: 0, grpc: 0, mlmd: 0, floor: 0 }
  const base = { cmd: 'run' as const, handle, op: w.op, pyPublic: opts.pyPublic === true }
  if (opts.warmup) {
    for (const t of TARGETS) await drivers[t].request({ ...base, items: w.items.slice(0, opts.warmup) })
  }
  const parts = chunks(w.items, Math.min(ROUNDS, w.items.length))
  const deadline = opts.budgetMs === undefined ? {} : { deadlineMs: opts.budgetMs / parts.length }
  for (let k = 0; k < parts.length; k++) {
    for (const t of rotate(TARGETS, k)) {
      const r = await drivers[t].request<RunOutput>({ ...base, ...deadline, items: parts[k] as WorkItem[] })
      lat[t].push(...r.lat_us)
      for (const [c, n] of Object.entries(r.codes)) codes[t][c] = (codes[t][c] ?? 0) + n
      aborted[t] += r.aborted
    }
  }
  const accept = new Set(opts.accept ?? [])
  const targets: Partial<Record<TargetKind, TargetResult>> = {}
  const failed: TargetKind[] = []
  let status: RowStatus = 'ok'
  const notes: string[] = []
  for (const t of TARGETS) {
    targets[t] = { ...summarize(lat[t]), codes: codes[t], aborted: aborted[t] }
    const bad = Object.keys(codes[t]).filter((c) => !accept.has(c))
    if (bad.length > 0) {
      failed.push(t)
      const pending = bad.every((c) => c === 'UNIMPLEMENTED') && (t === 'ts' || t === 'grpc')
      if (pending) status = status === 'error' ? 'error' : 'pending'
      else status = 'error'
      notes.push(`${t}: ${bad.map((c) => `${c}×${codes[t][c]}`).join(' ')}`)
    }
  }
  const comparable = Object.fromEntries(
    Object.entries(targets).filter(([t]) => !failed.includes(t as TargetKind)),
  ) as Partial<Record<TargetKind, TargetResult>>
  const ratios = ratiosOf(comparable)
  const row: WorkloadRow = {
    name: w.name,
    group: w.group,
    op: w.op,
    config: w.config ?? {},
    targets,
    ratios,
    ratios_mean: ratiosOf(comparable, 'mean_us'),
    status,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  }
  progress(
    `${w.name.padEnd(32)} ts/MLMD ${fmtRatio(ratios.ts_mlmd).padStart(6)}  gRPC/MLMD ${fmtRatio(ratios.grpc_mlmd).padStart(6)}  ts/floor ${fmtRatio(ratios.ts_floor).padStart(6)}${status === 'ok' ? '' : `  ${status}: ${row.note}`}`,
  )
  return row
}

// -- phase 1: mlmd_bench ---------------------------------------------------------------------------

const fingerprintMismatches: string[] = []

function checkFingerprints(after: string): void {
  const prints = TARGETS.map((t) => [t, fingerprint(fillFile(t))] as const)
  const reference = prints[0]?.[1]
  for (const [t, p] of prints) {
    if (p !== reference) {
      const message = `after ${after}: ${t} holds different rows (${p}) than ts (${reference})`
      fingerprintMismatches.push(message)
      progress(`  warning: ${message}`)
    }
  }
}

async function mlmdBenchPhase(): Promise<WorkloadRow[]> {
  progress(`phase 1: mlmd_bench workloads on one file per target in ${dir}`)
  const server = await Server.start(fillFile('grpc'))
  servers.push(server)
  await drivers.ts.request({ cmd: 'open', handle: 'fill', spec: { kind: 'ts', db: fillFile('ts') } })
  await drivers.floor.request({
    cmd: 'open',
    handle: 'fill',
    spec: { kind: BASELINE === undefined ? 'floor' : 'ts', db: fillFile('floor') },
  })
  await drivers.grpc.request({ cmd: 'open', handle: 'fill', spec: { kind: 'grpc', port: server.port } })
  if (BASELINE === undefined) {
    await drivers.mlmd.request({ cmd: 'open', handle: 'fill', spec: { kind: 'mlmd', db: fillFile('mlmd') } })
  } else {
    const before = await Server.start(fillFile('mlmd'), extraNodeArgs(), BASELINE)
    servers.push(before)
    await drivers.mlmd.request({ cmd: 'open', handle: 'fill', spec: { kind: 'grpc', port: before.port } })
  }
  const rows: WorkloadRow[] = []
  const state = () => inspect(fillFile('ts'))
  // The fixed cost of one call on each target: a read that finds nothing.
  rows.push(
    await runWorkload(
      {
        name: 'EMPTY_CALL',
        group: 'baseline',
        op: 'GetContextTypesByID',
        items: Array.from({ length: P.reads }, () => ({ req: { type_ids: [] } })),
        config: { note: 'GetContextTypesByID with no ids: the per-call overhead of each target' },
      },
      'fill',
      { warmup: 5 },
    ),
  )
  const step = async (w: W.Workload, warmup?: number) => {
    const row = await runWorkload(w, 'fill', {
      ...(warmup ? { warmup } : {}),
      ...(w.accept ? { accept: w.accept } : {}),
    })
    rows.push(row)
    if (w.group === 'fill') checkFingerprints(w.name)
  }
  for (const kind of KINDS) {
    await step(
      W.fillTypes(rng, state(), kind, { update: false, numProperties: ONE_TO_TEN, ops: P.types, tag: kind }),
    )
  }
  for (const kind of KINDS) {
    await step(
      W.fillTypes(rng, state(), kind, {
        update: true,
        numProperties: ONE_TO_TEN,
        ops: P.typeUpdates,
        tag: kind,
      }),
    )
  }
  const nodeOpts = { numProperties: ONE_TO_TEN, stringValueBytes: ONE_TO_TEN, numNodes: ONE_TO_TEN }
  for (const kind of KINDS) {
    await step(W.fillNodes(rng, state(), kind, { ...nodeOpts, update: false, ops: P.nodes, tag: kind }))
  }
  for (const kind of KINDS) {
    await step(W.fillNodes(rng, state(), kind, { ...nodeOpts, update: true, ops: P.nodeUpdates, tag: kind }))
  }
  for (const spec of ['ATTRIBUTION', 'ASSOCIATION'] as const) {
    await step(
      W.fillContextEdges(rng, state(), spec, {
        nonContextAlpha: 1,
        contextAlpha: 1,
        numEdges: ONE_TO_TEN,
        ops: P.edges,
      }),
    )
  }
  for (const spec of ['INPUT', 'OUTPUT'] as const) {
    await step(
      W.fillEvents(rng, state(), spec, {
        executionAlpha: 1,
        artifactAlpha: 1,
        artifactSkew: 0.5,
        numEvents: ONE_TO_TEN,
        ops: P.events,
      }),
    )
  }
  await step(
    W.putExecution(rng, state(), {
      inputs: 2,
      outputs: 2,
      ops: P.putExecution,
      tag: 'pe',
      pipelineContext: 'pipeline',
    }),
  )
  const s = state()
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
  fillServerPeakKb = server.memory().hwm_kb
  for (const t of TARGETS) await drivers[t].request({ cmd: 'close', handle: 'fill' })
  await server.stop()
  return rows
}

let fillServerPeakKb = 0
const skippedScale: { nodes: number; estimate_s: number; nodes_per_s: number }[] = []

// -- phase 2: scale curves -------------------------------------------------------------------------

function checkpoint(file: string): number {
  const db = new Database(file)
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  return statSync(file).size
}

async function scalePhase(): Promise<ScalePoint[]> {
  const file = path.join(scaleDir, 'scale.sqlite')
  progress(`phase 2: scale curves at ${SCALE.map(fmtNodes).join(', ')} nodes on ${file}`)
  await drivers.ts.request({ cmd: 'open', handle: 'scale', spec: { kind: 'ts', db: file } })
  let runs = 0
  const points: ScalePoint[] = []
  let nodesPerSecond = 0
  let built = 0
  for (const nodes of SCALE) {
    const target = runsFor(nodes)
    const elapsed = (Date.now() - started) / 1000
    const estimate = nodesPerSecond > 0 ? (nodes - built) / nodesPerSecond : 0
    // Reserve for the reads at this size and the contention phase.
    if (!QUICK && nodesPerSecond > 0 && elapsed + estimate * 1.2 + 240 > FULL_BUDGET_S) {
      progress(
        `skipping ${fmtNodes(nodes)} nodes: building it would take ~${estimate.toFixed(0)} s at ${nodesPerSecond.toFixed(0)} nodes/s, past the ${FULL_BUDGET_S / 60}-minute budget`,
      )
      skippedScale.push({ nodes, estimate_s: estimate, nodes_per_s: nodesPerSecond })
      break
    }
    progress(
      `building to ${fmtNodes(nodes)} nodes (${target} pipeline runs; batched PutArtifacts + PutExecution, in-process)`,
    )
    const build = await drivers.ts.request<BuildResult>({
      cmd: 'build',
      handle: 'scale',
      spec: { fromRun: runs, toRun: target },
    })
    runs = target
    const bytes = checkpoint(file)
    const facts = scaleFacts(file)
    nodesPerSecond = (facts.nodes - built) / build.seconds
    built = facts.nodes
    progress(
      `  built: ${facts.nodes} nodes, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${build.putExecutions} PutExecution in ${build.seconds.toFixed(1)} s`,
    )
    const server = await Server.start(file)
    servers.push(server)
    await drivers.grpc.request({ cmd: 'open', handle: 'scale', spec: { kind: 'grpc', port: server.port } })
    await drivers.mlmd.request({ cmd: 'open', handle: 'scale', spec: { kind: 'mlmd', db: file } })
    await drivers.floor.request({ cmd: 'open', handle: 'scale', spec: { kind: 'floor', db: file } })
    const queries = W.scaleQueries(
      rng,
      {
        ...facts,
        runs,
        contextNames: (ids) => contextNames(file, ids),
        largeContexts: contextIdsOfType(file, 'Pipeline'),
      },
      SCALE_OPS,
    )
    const rows: WorkloadRow[] = []
    for (const q of queries) {
      const row = await runWorkload({ name: q.name, group: 'extra', op: q.op, items: q.items }, 'scale', {
        warmup: 2,
        budgetMs: SCALE_BUDGET_MS,
        pyPublic: q.pyPublic === true,
      })
      rows.push({ ...row, config: { nodes: facts.nodes, ops: SCALE_OPS, budget_ms: SCALE_BUDGET_MS } })
    }
    const peak = server.memory().hwm_kb
    for (const t of ['grpc', 'mlmd', 'floor'] as const)
      await drivers[t].request({ cmd: 'close', handle: 'scale' })
    await server.stop()
    servers.splice(servers.indexOf(server), 1)
    points.push({
      nodes: facts.nodes,
      runs,
      file_bytes: bytes,
      bytes_per_million_nodes: (bytes / facts.nodes) * 1e6,
      build: {
        seconds: build.seconds,
        put_executions: build.putExecutions,
        put_artifacts: build.putArtifacts,
      },
      server_peak_rss_kb: peak,
      queries: rows,
    })
  }
  await drivers.ts.request({ cmd: 'close', handle: 'scale' })
  return points
}

// -- phase 3: N writers on one file -------------------------------------------------------------------

async function contentionPhase(): Promise<ContentionResult> {
  progress(`phase 3: ${WRITERS} writers contending on one file per target`)
  const files = Object.fromEntries(
    TARGETS.map((t) => [t, path.join(dir, `contention-${t}.sqlite`)]),
  ) as Record<TargetKind, string>
  // One store per target creates the schema and the shared rows, the same everywhere.
  const server = await Server.start(files.grpc)
  servers.push(server)
  const setup: Record<TargetKind, { kind: TargetKind; db?: string; port?: number }> = {
    ts: { kind: 'ts', db: files.ts },
    floor: { kind: 'floor', db: files.floor },
    grpc: { kind: 'grpc', port: server.port },
    mlmd: { kind: 'mlmd', db: files.mlmd },
  }
  const seedItems: { op: string; items: WorkItem[] }[] = [
    { op: 'PutArtifactType', items: [{ req: { artifact_type: { name: 'Model', properties: { p: 3 } } } }] },
    {
      op: 'PutExecutionType',
      items: [{ req: { execution_type: { name: 'Trainer', properties: { p: 3 } } } }],
    },
    { op: 'PutContextType', items: [{ req: { context_type: { name: 'Pipeline' } } }] },
  ]
  for (const t of TARGETS) {
    await drivers[t].request({ cmd: 'open', handle: 'contention', spec: setup[t] })
    for (const s of seedItems)
      await drivers[t].request({ cmd: 'run', handle: 'contention', op: s.op, items: s.items })
  }
  const state = inspect(files.ts)
  const artifactType = state.types.artifact[0]?.id as number
  const executionType = state.types.execution[0]?.id as number
  const contextType = state.types.context[0]?.id as number
  const seeds = {
    op: 'PutArtifacts',
    items: [
      {
        req: {
          artifacts: Array.from({ length: 100 }, (_, i) => ({
            type_id: artifactType,
            name: `seed-${i}`,
            uri: `/seed/${i}`,
          })),
        },
      },
    ],
  }
  for (const t of TARGETS) {
    await drivers[t].request({ cmd: 'run', handle: 'contention', ...seeds })
    await drivers[t].request({ cmd: 'close', handle: 'contention' })
  }
  const seedIds = inspect(files.ts).nodes.artifact.map((a) => a.id)

  // The writers: N processes per target, each with its own connection (or gRPC channel).
  const writers: Record<TargetKind, Driver[]> = { ts: [], grpc: [], mlmd: [], floor: [] }
  for (const t of TARGETS) {
    for (let w = 0; w < WRITERS; w++) {
      const d = t === 'ts' || t === 'floor' ? tsDriver(`${t}-writer-${w}`) : pyDriver(`${t}-writer-${w}`)
      extraDrivers.push(d)
      writers[t].push(d)
    }
  }
  await Promise.all(
    TARGETS.flatMap((t) => writers[t].map((d) => d.request({ cmd: 'open', handle: 'c', spec: setup[t] }))),
  )
  const perWriter = QUICK ? 600 : 3000
  const itemsFor = (w: number, round: number): WorkItem[] =>
    Array.from({ length: perWriter }, (_, i) => ({
      req: {
        execution: {
          type_id: executionType,
          name: `c-w${w}-r${round}-${i}`,
          properties: { p: { string_value: 'x' } },
        },
        artifact_event_pairs: [
          { event: { artifact_id: seedIds[(w * 31 + i) % seedIds.length], type: 3 } },
          {
            artifact: {
              type_id: artifactType,
              name: `c-w${w}-r${round}-${i}-out`,
              uri: `/c/${w}/${round}/${i}`,
            },
            event: { type: 4 },
          },
        ],
        contexts: [{ type_id: contextType, name: 'pipeline' }],
        options: { reuse_context_if_already_exist: true },
      },
    }))
  const totals: Record<
    TargetKind,
    { ops: number; wall: number; lat: number[]; aborted: number; codes: Record<string, number> }
  > = {
    ts: { ops: 0, wall: 0, lat: [], aborted: 0, codes: {} },
    grpc: { ops: 0, wall: 0, lat: [], aborted: 0, codes: {} },
    mlmd: { ops: 0, wall: 0, lat: [], aborted: 0, codes: {} },
    floor: { ops: 0, wall: 0, lat: [], aborted: 0, codes: {} },
  }
  for (let round = 0; round < CONTENTION.rounds; round++) {
    for (const t of rotate(TARGETS, round)) {
      const results = await Promise.all(
        writers[t].map((d, w) =>
          d.request<RunOutput>({
            cmd: 'run',
            handle: 'c',
            op: 'PutExecution',
            items: itemsFor(w, round),
            deadlineMs: CONTENTION.ms,
            retryAborted: true,
          }),
        ),
      )
      const start = Math.min(...results.map((r) => r.start_ms))
      const end = Math.max(...results.map((r) => r.end_ms))
      const total = totals[t]
      total.wall += (end - start) / 1000
      for (const r of results) {
        total.ops += r.lat_us.length
        total.lat.push(...r.lat_us)
        total.aborted += r.aborted
        for (const [c, n] of Object.entries(r.codes)) total.codes[c] = (total.codes[c] ?? 0) + n
      }
      progress(
        `  round ${round + 1}/${CONTENTION.rounds} ${t.padEnd(5)} ${results.reduce((s, r) => s + r.lat_us.length, 0)} ops in ${((end - start) / 1000).toFixed(1)} s`,
      )
    }
  }
  await Promise.all(TARGETS.flatMap((t) => writers[t].map((d) => d.stop())))
  await server.stop()
  const targets: ContentionResult['targets'] = {}
  for (const t of TARGETS) {
    const s = summarize(totals[t].lat)
    targets[t] = {
      ops: totals[t].ops,
      wall_s: totals[t].wall,
      ops_per_s: totals[t].ops / totals[t].wall,
      p50_us: s.p50_us,
      p99_us: s.p99_us,
      aborted: totals[t].aborted,
      codes: totals[t].codes,
    }
  }
  return { writers: WRITERS, rounds: CONTENTION.rounds, round_ms: CONTENTION.ms, targets }
}

// -- main -----------------------------------------------------------------------------------------

function mlmdVersion(): string {
  // Read from the installed package rather than by starting Python (slow on a loaded machine).
  try {
    const lib = path.join(path.dirname(path.dirname(pythonPath())), 'lib')
    for (const py of readdirSync(lib)) {
      const file = path.join(lib, py, 'site-packages', 'ml_metadata', 'version.py')
      const m = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(readFileSync(file, 'utf8'))
      if (m) return m[1] as string
    }
  } catch {
    // reported as unknown
  }
  return 'unknown'
}

function machine(): Record<string, unknown> {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ml_metadata: mlmdVersion(),
  }
}

async function main(): Promise<void> {
  const meta: Record<string, unknown> = {
    mode: MODE,
    date: new Date().toISOString(),
    seed: Number(args.seed),
    machine: machine(),
    fill_dir: dir,
    fill_storage: args.tmpfs ? 'tmpfs (/dev/shm)' : 'disk',
    scale_storage: 'tmpfs (/dev/shm)',
    rounds_per_workload: ROUNDS,
    scale_ops_per_query: SCALE_OPS,
    scale_budget_ms_per_query_and_target: SCALE_BUDGET_MS,
    targets: TARGET_LABELS,
    notes: [
      'ops/s = 1e6 / mean latency of serial calls; ratios are mean-latency ratios (> 1: mlmd-ts faster).',
      'Python targets call MetadataStore._call (one RPC, the client’s own dispatch); lineage calls the public get_lineage_subgraph.',
      'mlmd_bench’s by-id reads sent one id per request (a bug in its SetUp loops); we send num_of_parameters ids.',
      'FillEvents INPUT draws again on a duplicate (artifact, execution, INPUT): schema v10 forbids duplicates.',
    ],
  }
  progress(
    `mlmd-ts bench, ${MODE} mode, seed ${args.seed}; ${os.availableParallelism()} cores, ${meta.machine && (meta.machine as { memory_gib: number }).memory_gib} GiB`,
  )
  let workloads: WorkloadRow[] = []
  let scale: ScalePoint[] = []
  let contention: ContentionResult | undefined
  const files: Record<string, unknown> = {}
  try {
    if (!SKIP.has('mlmd_bench')) {
      workloads = await mlmdBenchPhase()
      for (const t of TARGETS) {
        const f = fillFile(t)
        files[t] = { bytes: statSync(f).size, journal_mode: journalMode(f) }
      }
      files.fingerprint_mismatches = fingerprintMismatches
      files.fill_server_peak_rss_kb = fillServerPeakKb
    }
    if (!SKIP.has('scale')) scale = await scalePhase()
    if (!SKIP.has('contention')) contention = await contentionPhase()
  } finally {
    await Promise.all([...Object.values(drivers), ...extraDrivers].map((d) => d.stop()))
    await Promise.all(servers.map((s) => s.stop()))
    if (!args.keep) {
      rmSync(dir, { recursive: true, force: true })
      rmSync(scaleDir, { recursive: true, force: true })
    }
  }
  // The main table: mlmd_bench's workloads, then the additions at the smallest scale.
  const extras = (scale[0]?.queries ?? []).map((q) => ({
    ...q,
    name: `${q.name}@${fmtNodes(scale[0]?.nodes ?? 0)}`,
  }))
  const rows = [...workloads, ...extras]
  const results: Results = {
    meta: {
      ...meta,
      seconds: (Date.now() - started) / 1000,
      load_average_at_end: os.loadavg().map((l) => Math.round(l * 100) / 100),
      skipped_scale_points: skippedScale,
      ...(BASELINE === undefined ? {} : { baseline: BASELINE }),
    },
    workloads: rows,
    geomeans: geomeansOf(rows),
    scale,
    ...(contention ? { contention } : {}),
    files,
    goals: BASELINE === undefined ? evaluateGoals(rows, scale) : [],
  }
  const outDir = path.join(ROOT, 'bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const name = args.tag ?? MODE
  const jsonFile = path.join(outDir, `${name}.json`)
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`)
  // Formatted as the repository's formatter wants it, so that `npm run check` stays green.
  try {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', jsonFile], {
      stdio: 'ignore',
    })
  } catch {
    // an unformatted file is still a valid result
  }
  const svgFile = path.join(outDir, `${name}.svg`)
  writeChart(results, svgFile)

  const g = results.geomeans
  const out = [
    '',
    workloadTable(rows, `mlmd-ts bench (${MODE})`),
    '',
    `geomean ts/MLMD ${fmtRatio(g.ts_mlmd_all as number)}  gRPC/MLMD ${fmtRatio(g.grpc_mlmd_all as number)}  ts/floor ${fmtRatio(g.ts_floor_all as number)}  (mlmd_bench rows only: ts/MLMD ${fmtRatio(g.ts_mlmd_mlmd_bench as number)}, gRPC/MLMD ${fmtRatio(g.grpc_mlmd_mlmd_bench as number)}; fills ts/floor ${fmtRatio(g.ts_floor_fills as number)}; without the type workloads ts/MLMD ${fmtRatio(g.ts_mlmd_without_types as number)})`,
    '',
    scaleTable(scale),
    '',
    contentionTable(contention),
    '',
    files.ts
      ? `fill files: ${TARGETS.map((t) => {
          const f = files[t] as { bytes: number; journal_mode: string }
          return `${t} ${(f.bytes / 2 ** 20).toFixed(1)} MiB (${f.journal_mode})`
        }).join(', ')}; gRPC server peak RSS ${(fillServerPeakKb / 1024).toFixed(0)} MiB`
      : '',
    fingerprintMismatches.length
      ? `WARNING: ${fingerprintMismatches.length} fingerprint mismatches (see JSON)`
      : '',
    '',
    ...(BASELINE === undefined
      ? ['goals (issue 7):', goalsTable(results.goals)]
      : [
          `before/after run: "floor" is ${BASELINE} in-process and "MLMD" its server over gRPC;`,
          `ts/floor = in-process after/before ${fmtRatio(g.ts_floor_all as number)} (geomean, > 1: faster now), gRPC/MLMD = gRPC after/before ${fmtRatio(g.grpc_mlmd_all as number)}`,
        ]),
    '',
    `machine: ${(meta.machine as { nproc: number }).nproc} cores (${(meta.machine as { cpu: string }).cpu}), ${(meta.machine as { memory_gib: number }).memory_gib} GiB, load average ${(meta.machine as { load_average_at_start: number[] }).load_average_at_start[0]} at start and ${os.loadavg()[0]?.toFixed(2)} at end; fill files on ${meta.fill_storage}, scale file on tmpfs`,
    `results: ${path.relative(ROOT, jsonFile)}, chart: ${path.relative(ROOT, svgFile)}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ]
  process.stdout.write(`${out.join('\n')}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
})
