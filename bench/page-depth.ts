/**
 * Does a page cost the same deep in a listing as at its start? Walks every page of an unfiltered
 * artifact listing (GetArtifacts, following next_page_token to the end) in each time order and
 * in id order, in process, for one or more checkouts side by side, and reports the CPU time of
 * the pages near the start, in the middle and near the end, and of the whole walk.
 *
 *   node --import tsx bench/page-depth.ts [--artifacts 50000] [--page 100] [--rounds 3] [ROOT …]
 *
 * Each ROOT is a checkout with its own node_modules (default: this one); each gets its own store
 * on tmpfs, filled the same way (the store's clock gives many artifacts the same create time, as
 * a batch write does in production). Each round walks every order on every checkout, in a
 * rotated order; a page's figure is the least CPU time over rounds. Every walk must return each
 * artifact exactly once, or the run stops. Writes bench/results/page-depth.json and .md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from './lib/processes.js'

const { values: args, positionals } = parseArgs({
  options: {
    artifacts: { type: 'string', default: '50000' },
    page: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
  allowPositionals: true,
  strict: true,
})
const ARTIFACTS = Number(args.artifacts)
const PAGE = Number(args.page)
const ROUNDS = Number(args.rounds)
const roots = (positionals.length === 0 ? [ROOT] : positionals).map((r) => path.resolve(r))

type Call = (request: unknown) => Record<string, unknown>
interface Store {
  putArtifactType: Call
  putArtifacts: Call
  getArtifacts: Call
  close(): void
}

const ORDERS = [
  { name: 'create time, newest first', field: 1, is_asc: false },
  { name: 'create time, oldest first', field: 1, is_asc: true },
  { name: 'last update time, newest first', field: 2, is_asc: false },
  { name: 'id, ascending', field: 3, is_asc: true },
] as const

function fill(store: Store): void {
  const { type_id } = store.putArtifactType({
    artifact_type: { name: 'Examples', properties: { span: 1 } },
  }) as { type_id: bigint }
  for (let start = 0; start < ARTIFACTS; start += 1000) {
    const artifacts = []
    for (let i = start; i < Math.min(start + 1000, ARTIFACTS); i++) {
      artifacts.push({
        type_id,
        uri: `s3://bucket/examples/${i}`,
        properties: { span: { int_value: BigInt(i) } },
      })
    }
    store.putArtifacts({ artifacts })
  }
}

/** CPU µs of each page of one whole walk, in walk order. */
function walk(store: Store, order: (typeof ORDERS)[number]): number[] {
  const micros: number[] = []
  const seen = new Set<bigint>()
  let token: string | undefined
  do {
    const options = {
      max_result_size: PAGE,
      order_by_field: { field: order.field, is_asc: order.is_asc },
      ...(token === undefined ? {} : { next_page_token: token }),
    }
    const start = process.cpuUsage()
    const answer = store.getArtifacts({ options }) as {
      artifacts: { id: bigint }[]
      next_page_token?: string
    }
    const used = process.cpuUsage(start)
    micros.push(used.user + used.system)
    for (const a of answer.artifacts) {
      if (seen.has(a.id)) throw new Error(`${order.name}: artifact ${a.id} listed twice`)
      seen.add(a.id)
    }
    token = answer.next_page_token || undefined
  } while (token !== undefined)
  if (seen.size !== ARTIFACTS) throw new Error(`${order.name}: the walk listed ${seen.size} of ${ARTIFACTS}`)
  return micros
}

interface Target {
  readonly root: string
  readonly store: Store
  readonly dir: string
}
const targets: Target[] = []
for (const root of roots) {
  const module = (await import(path.join(root, 'src/index.ts'))) as {
    createMetadataStore(options: { filename: string }): Store
  }
  const dir = mkdtempSync('/dev/shm/mlmd-page-depth-')
  const store = module.createMetadataStore({ filename: path.join(dir, 'p.sqlite') })
  fill(store)
  targets.push({ root, store, dir })
}

// best[order][target][page]: the least CPU µs of that page over rounds.
const best = ORDERS.map(() => targets.map(() => [] as number[]))
for (let round = 0; round < ROUNDS; round++) {
  ORDERS.forEach((order, o) => {
    for (let k = 0; k < targets.length; k++) {
      const index = (k + round) % targets.length
      const pages = walk((targets[index] as Target).store, order)
      const kept = best[o]?.[index] as number[]
      pages.forEach((us, p) => {
        kept[p] = Math.min(kept[p] ?? Infinity, us)
      })
    }
  })
}
for (const t of targets) {
  t.store.close()
  rmSync(t.dir, { recursive: true, force: true })
}

// The median page of a tenth of the walk (first, middle or last).
function tenth(pages: readonly number[], where: 'first' | 'middle' | 'last'): number {
  const n = Math.max(1, Math.floor(pages.length / 10))
  const from =
    where === 'first' ? 0 : where === 'last' ? pages.length - n : Math.floor((pages.length - n) / 2)
  const sorted = pages.slice(from, from + n).sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

const label = (root: string) => (root === ROOT ? 'this checkout' : path.basename(root))
const rows = ORDERS.flatMap((order, o) =>
  targets.map((t, i) => {
    const pages = best[o]?.[i] as number[]
    return {
      order: order.name,
      root: t.root,
      pages: pages.length,
      firstTenthUs: tenth(pages, 'first'),
      middleTenthUs: tenth(pages, 'middle'),
      lastTenthUs: tenth(pages, 'last'),
      walkMs: pages.reduce((a, b) => a + b, 0) / 1000,
    }
  }),
)
const load = os.loadavg()[0]?.toFixed(2) ?? '?'
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const lines = [
  `Pages of ${PAGE} over ${ARTIFACTS.toLocaleString('en-US')} artifacts, in process: CPU µs per page (median of the pages in that tenth of the walk, each the least of ${ROUNDS} rounds) and the whole walk.`,
  '',
  '| order | checkout | pages | first tenth | middle | last tenth | whole walk (ms) |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.order} | ${label(r.root)} | ${r.pages} | ${fmt(r.firstTenthUs)} | ${fmt(r.middleTenthUs)} | ${fmt(r.lastTenthUs)} | ${fmt(r.walkMs)} |`,
  ),
  '',
  `machine: ${os.cpus().length} cores, load average ${load}; Node ${process.version}`,
]
console.log(lines.join('\n'))
const out = path.join(ROOT, 'bench', 'results')
mkdirSync(out, { recursive: true })
writeFileSync(path.join(out, 'page-depth.md'), `${lines.join('\n')}\n`)
writeFileSync(
  path.join(out, 'page-depth.json'),
  `${JSON.stringify({ artifacts: ARTIFACTS, page: PAGE, rounds: ROUNDS, loadAverage: Number(load), node: process.version, roots, rows }, null, 2)}\n`,
)
