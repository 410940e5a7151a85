/**
 * Listing pages at scale: one page of a type's artifacts, of a context's artifacts and of a
 * filtered listing, on the scale dataset (lib/scale.ts) at 10k, 100k and 1M nodes, from
 * mlmd-ts in process, MLMD 1.16 in process (Python client) and the bare better-sqlite3 floor,
 * interleaved round by round. The question it answers: does a page cost the same however
 * large the store is?
 *
 *   node --import tsx bench/pages.ts [--sizes 10000,100000,1000000] [--page 10] [--ops 40]
 *     [--rounds 4] [--budget-ms 3000] [--before ROOT] [--files A.sqlite,B.sqlite,…] [--tag NAME]
 *   node --import tsx bench/pages.ts --report bench/results/pages.json   # the table again
 *
 * `--before ROOT` adds the TS driver of another checkout (e.g. `git archive` of an older commit
 * with a `node_modules` link) as a fourth target, `ts-before`, for a before/after table from
 * one run. `--files` measures existing scale files (one per size, smallest first) instead of
 * building them. Writes bench/results/pages[-TAG].json and .md.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { contextIdsOfType, contextNames, scaleFacts } from './lib/inspect.js'
import { type Driver, pyDriver, ROOT, tsDriver } from './lib/processes.js'
import type { WorkItem } from './lib/protocol.js'
import { fmtNodes } from './lib/report.js'
import { MinStdRand0 } from './lib/rng.js'
import { type BuildResult, runsFor } from './lib/scale.js'
import { type Summary, summarize } from './lib/stats.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    page: { type: 'string', default: '10' },
    ops: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '4' },
    'budget-ms': { type: 'string', default: '3000' },
    before: { type: 'string' },
    files: { type: 'string' },
    tag: { type: 'string' },
    seed: { type: 'string', default: '7' },
    report: { type: 'string' },
  },
})

const SIZES = (args.sizes as string).split(',').map(Number)
const PAGE = Number(args.page)
const OPS = Number(args.ops)
const ROUNDS = Number(args.rounds)
/** Time per workload and target: MLMD sorts a whole type per page, seconds at 1M nodes. */
const BUDGET_MS = Number(args['budget-ms'])
const FILES = args.files?.split(',')
if (FILES !== undefined && FILES.length !== SIZES.length) throw new Error('--files needs one file per size')

type Target = 'ts' | 'ts-before' | 'mlmd' | 'floor'
const LABELS: Record<Target, string> = {
  ts: 'mlmd-ts',
  'ts-before': 'mlmd-ts before',
  mlmd: 'MLMD 1.16',
  floor: 'floor',
}

function progress(text: string): void {
  process.stderr.write(`[pages ${new Date().toISOString().slice(11, 19)}] ${text}\n`)
}

// Started only for a measuring run (not for --report).
const drivers = new Map<Target, Driver>()
if (args.report === undefined) {
  drivers.set(
    'ts',
    tsDriver('ts', (_n, t) => progress(`  build: ${t}`)),
  )
  drivers.set('floor', tsDriver('floor'))
  drivers.set('mlmd', pyDriver('mlmd'))
  if (args.before !== undefined) drivers.set('ts-before', tsDriver('ts-before', undefined, args.before))
}
const targets = [...drivers.keys()]

function driver(t: Target): Driver {
  return drivers.get(t) as Driver
}

/** The Python client's default order for a context's nodes, and the bench's order throughout. */
const NEWEST_FIRST = { max_result_size: PAGE, order_by_field: { field: 1, is_asc: false } }
const FLOOR_ORDER = `ORDER BY a.create_time_since_epoch DESC, a.id DESC LIMIT ${PAGE + 1}`

interface Workload {
  readonly name: string
  readonly what: string
  readonly op: string
  readonly items: WorkItem[]
}

function workloads(file: string, rng: MinStdRand0, runs: number): Workload[] {
  const pipelines = contextIdsOfType(file, 'Pipeline')
  const runContexts = contextIdsOfType(file, 'PipelineRun')
  const pick = <T>(values: readonly T[]) => values[rng.int(0, values.length - 1)] as T
  const runNames = contextNames(
    file,
    Array.from({ length: OPS }, () => pick(runContexts)),
  )
  return [
    {
      name: 'BY_TYPE',
      what: "GetArtifactsByType 'Model' (about half of all artifacts)",
      op: 'GetArtifactsByType',
      items: Array.from({ length: OPS }, () => ({ req: { type_name: 'Model', options: NEWEST_FIRST } })),
    },
    {
      name: 'BY_CONTEXT',
      what: 'GetArtifactsByContext of a pipeline (one of 20; 1/20 of all artifacts, in runs)',
      op: 'GetArtifactsByContext',
      items: Array.from({ length: OPS }, () => ({
        req: { context_id: pick(pipelines), options: NEWEST_FIRST },
      })),
    },
    {
      name: 'BY_RUN_CONTEXT',
      what: 'GetArtifactsByContext of a pipeline run (33 artifacts)',
      op: 'GetArtifactsByContext',
      items: Array.from({ length: OPS }, () => ({
        req: { context_id: pick(runContexts), options: NEWEST_FIRST },
      })),
    },
    {
      name: 'FILTER_TYPE',
      what: "GetArtifacts, filter_query type = 'Model'",
      op: 'GetArtifacts',
      items: Array.from({ length: OPS }, () => ({
        req: { options: { ...NEWEST_FIRST, filter_query: "type = 'Model'" } },
        floor: {
          sql: `SELECT a.id FROM Artifact a JOIN Type t ON t.id = a.type_id WHERE t.name = ? ${FLOOR_ORDER}`,
          params: ['Model'],
        },
      })),
    },
    {
      name: 'FILTER_CONTEXT',
      what: "GetArtifacts, filter_query contexts_a.name = '<a run>'",
      op: 'GetArtifacts',
      items: runNames.map((name) => ({
        req: { options: { ...NEWEST_FIRST, filter_query: `contexts_a.name = '${name}'` } },
        floor: {
          sql: `SELECT a.id FROM Artifact a JOIN Attribution at ON at.artifact_id = a.id JOIN Context c ON c.id = at.context_id WHERE c.name = ? ${FLOOR_ORDER}`,
          params: [name],
        },
      })),
    },
    {
      name: 'FILTER_PROPERTY',
      what: 'GetArtifacts, filter_query properties.span.int_value = <a run>',
      op: 'GetArtifacts',
      items: Array.from({ length: OPS }, () => {
        const span = rng.int(0, runs - 1)
        return {
          req: { options: { ...NEWEST_FIRST, filter_query: `properties.span.int_value = ${span}` } },
          floor: {
            sql: `SELECT a.id FROM Artifact a JOIN ArtifactProperty p ON p.artifact_id = a.id AND p.name = 'span' AND p.is_custom_property = 0 WHERE p.int_value = ? ${FLOOR_ORDER}`,
            params: [span],
          },
        }
      }),
    },
  ]
}

interface RunOutput {
  lat_us: number[]
  codes: Record<string, number>
}

interface Row {
  readonly name: string
  readonly what: string
  readonly nodes: number
  readonly targets: Partial<Record<Target, Summary & { codes: Record<string, number> }>>
}

function rotate<T>(values: readonly T[], k: number): T[] {
  return values.map((_, i) => values[(i + k) % values.length] as T)
}

async function measure(w: Workload, nodes: number): Promise<Row> {
  const lat = new Map<Target, number[]>(targets.map((t) => [t, []]))
  const codes = new Map<Target, Record<string, number>>(targets.map((t) => [t, {}]))
  const base = { cmd: 'run' as const, handle: 'pages', op: w.op }
  for (const t of targets) await driver(t).request({ ...base, items: w.items.slice(0, 1) })
  const size = Math.ceil(w.items.length / ROUNDS)
  for (let k = 0; k < ROUNDS; k++) {
    const items = w.items.slice(k * size, (k + 1) * size)
    if (items.length === 0) break
    for (const t of rotate(targets, k)) {
      const r = await driver(t).request<RunOutput>({ ...base, items, deadlineMs: BUDGET_MS / ROUNDS })
      lat.get(t)?.push(...r.lat_us)
      const seen = codes.get(t) as Record<string, number>
      for (const [c, n] of Object.entries(r.codes)) seen[c] = (seen[c] ?? 0) + n
    }
  }
  const row: Row = {
    name: w.name,
    what: w.what,
    nodes,
    targets: Object.fromEntries(
      targets.map((t) => [t, { ...summarize(lat.get(t) ?? []), codes: codes.get(t) ?? {} }]),
    ),
  }
  const failed = targets.filter((t) => Object.keys(row.targets[t]?.codes ?? {}).length > 0)
  if (failed.length > 0) throw new Error(`${w.name}: errors from ${failed.join(', ')}`)
  progress(
    `${w.name.padEnd(16)} @${fmtNodes(nodes)}  ${targets.map((t) => `${t} ${fmtMs(row.targets[t]?.p50_us)}`).join('  ')}`,
  )
  return row
}

function fmtMs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '–'
  const ms = us / 1000
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`
}

function checkpoint(file: string): number {
  const db = new Database(file)
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  return statSync(file).size
}

interface Results {
  readonly meta: {
    readonly date: string
    readonly page: number
    readonly ops: number
    readonly rounds: number
    readonly budget_ms: number
    readonly before: string | null
    readonly targets: Target[]
    readonly machine: { nproc: number; cpu: string | undefined; load_average_at_start: number[] }
    readonly load_average_at_end: number[]
    readonly seconds: number
  }
  readonly sizes: { nodes: number; file_bytes: number; build_s?: number }[]
  readonly rows: Row[]
}

async function measureAll(): Promise<Results> {
  const started = Date.now()
  const loadAtStart = os.loadavg()
  const dir = mkdtempSync(path.join('/dev/shm', 'mlmd-bench-pages-'))
  const rows: Row[] = []
  const sizes: Results['sizes'] = []
  try {
    const rng = new MinStdRand0(Number(args.seed))
    const grown = path.join(dir, 'scale.sqlite')
    let runs = 0
    for (const [i, nodes] of SIZES.entries()) {
      let file: string
      let build: BuildResult | undefined
      if (FILES === undefined) {
        file = grown
        const target = runsFor(nodes)
        progress(`building to ${fmtNodes(nodes)} nodes (${target} pipeline runs)`)
        await driver('ts').request({ cmd: 'open', handle: 'build', spec: { kind: 'ts', db: file } })
        build = await driver('ts').request<BuildResult>({
          cmd: 'build',
          handle: 'build',
          spec: { fromRun: runs, toRun: target },
        })
        await driver('ts').request({ cmd: 'close', handle: 'build' })
        runs = target
      } else {
        // A copy, so that opening it for writing (the TS store adds its lookup indices) leaves
        // the given file alone.
        file = path.join(dir, `given-${i}.sqlite`)
        copyFileSync(FILES[i] as string, file)
      }
      const bytes = checkpoint(file)
      const facts = scaleFacts(file)
      const runCount = contextIdsOfType(file, 'PipelineRun').length
      sizes.push({ nodes: facts.nodes, file_bytes: bytes, ...(build ? { build_s: build.seconds } : {}) })
      progress(`${facts.nodes} nodes, ${(bytes / 2 ** 20).toFixed(0)} MiB`)
      for (const t of targets) {
        const kind = t === 'ts-before' ? 'ts' : t
        await driver(t).request({ cmd: 'open', handle: 'pages', spec: { kind, db: file } })
      }
      for (const w of workloads(file, rng, runCount)) rows.push(await measure(w, facts.nodes))
      for (const t of targets) await driver(t).request({ cmd: 'close', handle: 'pages' })
    }
  } finally {
    for (const d of drivers.values()) await d.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  return {
    meta: {
      date: new Date().toISOString(),
      page: PAGE,
      ops: OPS,
      rounds: ROUNDS,
      budget_ms: BUDGET_MS,
      before: args.before ?? null,
      targets,
      machine: { nproc: os.cpus().length, cpu: os.cpus()[0]?.model, load_average_at_start: loadAtStart },
      load_average_at_end: os.loadavg(),
      seconds: (Date.now() - started) / 1000,
    },
    sizes,
    rows,
  }
}

/** The table: one row per workload and size, one column per target. */
function report(results: Results): string {
  const { meta, rows } = results
  const shown = meta.targets
  const names = [...new Set(rows.map((r) => r.name))]
  const nodesList = [...new Set(rows.map((r) => r.nodes))]
  const lines = [
    `Median latency per call (p50, p99 in brackets), in process, up to ${meta.ops} calls per workload and target (fewer when ${meta.budget_ms} ms ran out), ${meta.rounds} interleaved rounds. ${meta.machine.nproc} cores, load average ${meta.machine.load_average_at_start[0]?.toFixed(2)} at start and ${meta.load_average_at_end[0]?.toFixed(2)} at end; ${meta.seconds.toFixed(0)} s.`,
    '',
    `| page of ${meta.page}, newest first | nodes | ${shown.map((t) => LABELS[t]).join(' | ')} |`,
    `| --- | ---: | ${shown.map(() => '---:').join(' | ')} |`,
    ...names.flatMap((name) =>
      nodesList.map((n) => {
        const row = rows.find((r) => r.name === name && r.nodes === n)
        const cells = shown.map((t) => {
          const s = row?.targets[t]
          return s === undefined ? '–' : `${fmtMs(s.p50_us)} (${fmtMs(s.p99_us)})`
        })
        return `| ${name} | ${fmtNodes(n)} | ${cells.join(' | ')} |`
      }),
    ),
    '',
    ...names.map((name) => `- ${name}: ${rows.find((r) => r.name === name)?.what}`),
    '',
  ]
  return lines.join('\n')
}

const tag = args.tag === undefined ? '' : `-${args.tag}`
if (args.report !== undefined) {
  // Only the table, again, from the results of an earlier run.
  const results = JSON.parse(readFileSync(args.report, 'utf8')) as Results
  writeFileSync(args.report.replace(/\.json$/, '.md'), report(results))
} else {
  const results = await measureAll()
  const out = path.join(ROOT, 'bench', 'results', `pages${tag}`)
  writeFileSync(`${out}.json`, `${JSON.stringify(results, null, 2)}\n`)
  writeFileSync(`${out}.md`, report(results))
  process.stdout.write(report(results))
}
