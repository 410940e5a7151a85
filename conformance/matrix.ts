/**
 * The compatibility matrix: for each of the 52 RPCs of `ml_metadata.MetadataStoreService`, which
 * suites exercised it in the last runs. Reads the results files the suites write under
 * `conformance/results/`:
 *
 * - `ts-in-process.<area>.json`, `ts-grpc-serve.<area>.json` (conformance/targets.ts): `rpcs`
 *   and, per RPC, the `cases` that called it (the cells show the number of cases);
 * - `python-<suite>.json` (conformance/python/): `suite` (`python-client`, `python-differential`,
 *   `python-interchange`, …) and `rpcs`. Missing files leave their column empty.
 *
 * `ts-grpc-target.*` (runs against `MLMD_TARGET`, another server) are not mlmd-ts coverage and are
 * left out.
 *
 * Writes the table to `conformance/results/compat-matrix.md` and into README.md between
 * `<!-- compat-matrix:start -->` and `<!-- compat-matrix:end -->` (printed instead when the
 * markers are missing). Run after the suites: `npm run conformance && npm run conformance:matrix`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RPC_NAMES } from '../src/index.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const RESULTS = path.join(ROOT, 'conformance', 'results')
const README = path.join(ROOT, 'README.md')
const START = '<!-- compat-matrix:start -->'
const END = '<!-- compat-matrix:end -->'

const COLUMNS = [
  'TS in-process',
  'TS over gRPC',
  'Python client',
  'differential',
  'interchange',
  'TS on PostgreSQL',
  'TS on MySQL',
  'MLMD on PostgreSQL',
  'MLMD on MySQL',
] as const
type Column = (typeof COLUMNS)[number]

interface ResultsFile {
  readonly suite?: string
  readonly rpcs?: string[]
  readonly cases?: Record<string, string[]>
}

/** Which column a results file feeds, from its `suite` (or its file name). */
function columnOf(file: string, suite: string | undefined): Column | undefined {
  const name = suite ?? file
  // The server engines' runs (TS targets in process and over gRPC; Python suites against the
  // real MLMD on the same engine) each get a column of their own.
  for (const [engine, label] of [
    ['postgresql', 'PostgreSQL'],
    ['mysql', 'MySQL'],
  ] as const) {
    if (name.includes(engine)) return name.startsWith('ts-') ? `TS on ${label}` : `MLMD on ${label}`
  }
  if (name.startsWith('ts-in-process')) return 'TS in-process'
  if (name.startsWith('ts-grpc-serve')) return 'TS over gRPC'
  if (!name.startsWith('python')) return undefined
  if (/differential/.test(name)) return 'differential'
  if (/interchange/.test(name)) return 'interchange'
  if (/client/.test(name)) return 'Python client'
  return undefined
}

interface Cell {
  /** Case names (TS suites) or, without case detail, just a mark. */
  readonly cases: Set<string>
  exercised: boolean
}

function collect(): { cells: Map<Column, Map<string, Cell>>; sources: Map<Column, string[]> } {
  const cells = new Map<Column, Map<string, Cell>>(COLUMNS.map((c) => [c, new Map()]))
  const sources = new Map<Column, string[]>(COLUMNS.map((c) => [c, []]))
  const files = existsSync(RESULTS)
    ? readdirSync(RESULTS)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : []
  for (const file of files) {
    let body: ResultsFile
    try {
      body = JSON.parse(readFileSync(path.join(RESULTS, file), 'utf8')) as ResultsFile
    } catch (error) {
      console.warn(`conformance:matrix: skipping ${file}: ${(error as Error).message}`)
      continue
    }
    const column = columnOf(file, body.suite)
    if (column === undefined) continue
    sources.get(column)?.push(file)
    const byRpc = cells.get(column) as Map<string, Cell>
    for (const rpc of body.rpcs ?? []) {
      const cell = byRpc.get(rpc) ?? { cases: new Set<string>(), exercised: false }
      cell.exercised = true
      const area = file.replace(/^ts-[a-z-]+\.|\.json$/g, '')
      for (const name of body.cases?.[rpc] ?? []) cell.cases.add(`${area}: ${name}`)
      byRpc.set(rpc, cell)
    }
  }
  return { cells, sources }
}

/** The markdown table. */
export function renderMatrix(): string {
  const { cells, sources } = collect()
  const mark = (column: Column, rpc: string): string => {
    const cell = cells.get(column)?.get(rpc)
    if (cell === undefined || !cell.exercised) return ''
    return cell.cases.size > 0 ? `✓ ${cell.cases.size}` : '✓'
  }
  const lines = [
    `| RPC | ${COLUMNS.join(' | ')} |`,
    `| --- | ${COLUMNS.map(() => ':---:').join(' | ')} |`,
    ...RPC_NAMES.map((rpc) => `| \`${rpc}\` | ${COLUMNS.map((c) => mark(c, rpc)).join(' | ')} |`),
  ]
  const totals = COLUMNS.map((column) => {
    const exercised = RPC_NAMES.filter((rpc) => cells.get(column)?.get(rpc)?.exercised).length
    return sources.get(column)?.length
      ? `${column} ${exercised}/${RPC_NAMES.length}`
      : `${column}: no results`
  })
  lines.push(
    '',
    `RPCs exercised: ${totals.join(' · ')}. A number is how many TS conformance cases called the RPC ` +
      '(`conformance/*.test.ts`, one run per target; the engine columns merge the in-process and gRPC ' +
      'targets on that engine); ✓ marks an RPC a Python suite exercised (the MLMD columns: the ' +
      'differential and interchange suites against the real MLMD on the same engine) ' +
      '(`conformance/python/`). Generated by `npm run conformance:matrix` from `conformance/results/`.',
  )
  return lines.join('\n')
}

function main(): void {
  const table = renderMatrix()
  mkdirSync(RESULTS, { recursive: true })
  writeFileSync(path.join(RESULTS, 'compat-matrix.md'), `${table}\n`)
  const readme = existsSync(README) ? readFileSync(README, 'utf8') : ''
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) {
    console.log(table)
    console.log(
      `\n(README.md has no ${START} … ${END} markers; table printed, and written to conformance/results/compat-matrix.md)`,
    )
    return
  }
  const updated = `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`
  if (updated !== readme) writeFileSync(README, updated)
  console.log(`conformance:matrix: README.md and conformance/results/compat-matrix.md updated`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main()
