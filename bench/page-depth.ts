/**
 * Does a page cost the same deep in a listing as at its start? Walks every page of four artifact
 * listings (following next_page_token to the end): all of them (GetArtifacts), a type's
 * (GetArtifactsByType, half of them), a context's (GetArtifactsByContext, half of them, across
 * both types) and a filter query's (`type = 'Examples'`), each in both time orders and in id
 * order, in process, for one or more checkouts side by side; reports the CPU time of the pages
 * near the start, in the middle and near the end, and of the whole walk.
 *
 *   node --import tsx bench/page-depth.ts [--artifacts 50000] [--page 100] [--rounds 3] [ROOT …]
 *
 * Each ROOT is a checkout with its own node_modules (default: this one); each gets its own store
 * on tmpfs, filled the same way (the store's clock gives many artifacts the same create time, as
 * a batch write does in production). Each round walks every listing in every order on every
 * checkout, in a rotated order; a page's figure is the least CPU time over rounds. Every walk
 * must return each artifact of its listing exactly once, or the run stops. Writes bench/results/page-depth.json and .md.
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
  putContextType: Call
  putContexts: Call
  putAttributionsAndAssociations: Call
  getArtifacts: Call
  getArtifactsByType: Call
  getArtifactsByContext: Call
  close(): void
}

const ORDERS = [
  { name: 'create time, newest first', field: 1, is_asc: false },
  { name: 'create time, oldest first', field: 1, is_asc: true },
  { name: 'last update time, newest first', field: 2, is_asc: false },
  { name: 'id, ascending', field: 3, is_asc: true },
] as const
type Order = (typeof ORDERS)[number]

interface Listing {
  readonly name: string
  /** How many artifacts a whole walk lists. */
  readonly size: number
  page(store: Store, contextId: bigint, options: object): Record<string, unknown>
}
const HALF = Math.ceil(ARTIFACTS / 2)
const LISTINGS: Listing[] = [
  { name: 'all', size: ARTIFACTS, page: (s, _, options) => s.getArtifacts({ options }) },
  {
    name: 'a type',
    size: HALF,
    page: (s, _, options) => s.getArtifactsByType({ type_name: 'Examples', options }),
  },
  {
    name: 'a context',
    size: HALF,
    page: (s, context_id, options) => s.getArtifactsByContext({ context_id, options }),
  },
  {
    name: 'a filter',
    size: HALF,
    page: (s, _, options) => s.getArtifacts({ options: { ...options, filter_query: "type = 'Examples'" } }),
  },
]

/**
 * Artifacts alternating between two types, half of them (of both types) attributed to one
 * context. Returns the context's id.
 */
function fill(store: Store): bigint {
  const types = ['Examples', 'Model'].map(
    (name) =>
      (store.putArtifactType({ artifact_type: { name, properties: { span: 1 } } }) as { type_id: bigint })
        .type_id,
  )
  const contextType = store.putContextType({ context_type: { name: 'run' } }) as { type_id: bigint }
  const { context_ids } = store.putContexts({
    contexts: [{ type_id: contextType.type_id, name: 'run-1' }],
  }) as {
    context_ids: bigint[]
  }
  const contextId = context_ids[0] as bigint
  for (let start = 0; start < ARTIFACTS; start += 1000) {
    const artifacts = []
    for (let i = start; i < Math.min(start + 1000, ARTIFACTS); i++) {
      artifacts.push({
        type_id: types[i % 2],
        uri: `s3://bucket/examples/${i}`,
        properties: { span: { int_value: BigInt(i) } },
      })
    }
    const { artifact_ids } = store.putArtifacts({ artifacts }) as { artifact_ids: bigint[] }
    // Positions 0, 1, 4, 5, 8, 9, …: half of the artifacts, of both types.
    const attributions = artifact_ids
      .filter((_, k) => (start + k) % 4 < 2)
      .map((artifact_id) => ({ artifact_id, context_id: contextId }))
    store.putAttributionsAndAssociations({ attributions })
  }
  return contextId
}

/** CPU µs of each page of one whole walk, in walk order. */
function walk(store: Store, contextId: bigint, listing: Listing, order: Order): number[] {
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
    const answer = listing.page(store, contextId, options) as {
      artifacts: { id: bigint }[]
      next_page_token?: string
    }
    const used = process.cpuUsage(start)
    micros.push(used.user + used.system)
    for (const a of answer.artifacts) {
      if (seen.has(a.id)) throw new Error(`${listing.name}, ${order.name}: artifact ${a.id} listed twice`)
      seen.add(a.id)
    }
    token = answer.next_page_token || undefined
  } while (token !== undefined)
  if (seen.size !== listing.size) {
    throw new Error(`${listing.name}, ${order.name}: the walk listed ${seen.size} of ${listing.size}`)
  }
  return micros
}

interface Target {
  readonly root: string
  readonly store: Store
  readonly contextId: bigint
  readonly dir: string
}
const targets: Target[] = []
for (const root of roots) {
  const module = (await import(path.join(root, 'src/index.ts'))) as {
    createMetadataStore(options: { filename: string }): Store
  }
  const dir = mkdtempSync('/dev/shm/mlmd-page-depth-')
  const store = module.createMetadataStore({ filename: path.join(dir, 'p.sqlite') })
  targets.push({ root, store, contextId: fill(store), dir })
}

const WALKS = LISTINGS.flatMap((listing) => ORDERS.map((order) => ({ listing, order })))
// best[walk][target][page]: the least CPU µs of that page over rounds.
const best = WALKS.map(() => targets.map(() => [] as number[]))
for (let round = 0; round < ROUNDS; round++) {
  WALKS.forEach(({ listing, order }, w) => {
    for (let k = 0; k < targets.length; k++) {
      const index = (k + round) % targets.length
      const t = targets[index] as Target
      const pages = walk(t.store, t.contextId, listing, order)
      const kept = best[w]?.[index] as number[]
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
const rows = WALKS.flatMap(({ listing, order }, w) =>
  targets.map((t, i) => {
    const pages = best[w]?.[i] as number[]
    return {
      listing: listing.name,
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
  `Pages of ${PAGE} of listings over ${ARTIFACTS.toLocaleString('en-US')} artifacts, in process: CPU µs per page (median of the pages in that tenth of the walk, each the least of ${ROUNDS} rounds) and the whole walk.`,
  '',
  '| listing | order | checkout | pages | first tenth | middle | last tenth | whole walk (ms) |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.listing} | ${r.order} | ${label(r.root)} | ${r.pages} | ${fmt(r.firstTenthUs)} | ${fmt(r.middleTenthUs)} | ${fmt(r.lastTenthUs)} | ${fmt(r.walkMs)} |`,
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
