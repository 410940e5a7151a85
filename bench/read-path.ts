/**
 * The in-process store's CPU time per returned node on larger reads, for one or more checkouts
 * side by side: GetArtifactsByType over 2,000 artifacts with 5 properties each (int, double,
 * two strings, a Struct; the dataset of bench/encode.ts), the same type as a page of 100, and
 * GetArtifactsByID of 10 of them.
 *
 *   node --import tsx bench/read-path.ts [--rounds 15] [--statistic median|min] [ROOT …]
 *
 * Each ROOT is a checkout with its own node_modules (default: this one). Each round times every
 * checkout on every read, in a rotated order; the figure is the median (or the minimum) over
 * rounds of the process's CPU time per node (CPU time, so that waiting for a core on a busy machine does not
 * count). Every checkout must give the same answers (compared as protobuf bytes), or the run
 * stops. Prints a table and writes bench/results/read-path.json and read-path.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { messageType } from '../src/proto/load-root.js'
import { ROOT } from './lib/processes.js'
import { percentile } from './lib/stats.js'

const { values: args, positionals } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, statistic: { type: 'string', default: 'median' } },
  allowPositionals: true,
  strict: true,
})
const ROUNDS = Number(args.rounds)
// `min`: the least CPU time of any round. Other processes only ever add to a round's time (cache
// misses, a core shared), so on a busy machine the minimum moves less between runs than the median.
const STATISTIC = args.statistic === 'min' ? 'min' : 'median'
const ARTIFACTS = 2000
/** Nodes read per timed batch, so that one batch takes some milliseconds. */
const NODES_PER_BATCH = 10_000
const roots = (positionals.length === 0 ? [ROOT] : positionals).map((r) => path.resolve(r))

type Call = (request: unknown) => Record<string, unknown>
interface Store {
  putArtifactType: Call
  putArtifacts: Call
  getArtifactsByType: Call
  getArtifactsByID: Call
  close(): void
}

function fill(store: Store): void {
  const { type_id } = store.putArtifactType({
    artifact_type: {
      name: 'Examples',
      properties: { span: 1, accuracy: 2, split: 3, version: 3, schema: 4 },
    },
  }) as { type_id: bigint }
  for (let start = 0; start < ARTIFACTS; start += 500) {
    const artifacts = []
    for (let i = start; i < Math.min(start + 500, ARTIFACTS); i++) {
      artifacts.push({
        type_id,
        name: `examples-${i}`,
        uri: `s3://bucket/pipelines/train/examples/${i}`,
        state: 2,
        properties: {
          span: { int_value: BigInt(i) },
          accuracy: { double_value: i / 7 },
          split: { string_value: i % 5 === 0 ? 'eval' : 'train' },
          version: { string_value: `v1.${i % 13}` },
          schema: {
            struct_value: {
              fields: { rows: { number_value: i * 100 }, format: { string_value: 'tfrecord' } },
            },
          },
        },
      })
    }
    store.putArtifacts({ artifacts })
  }
}

const READS: { name: string; nodes: number; read: (s: Store) => Record<string, unknown>; message: string }[] =
  [
    {
      name: `GetArtifactsByType, ${ARTIFACTS} artifacts`,
      nodes: ARTIFACTS,
      read: (s) => s.getArtifactsByType({ type_name: 'Examples' }),
      message: 'GetArtifactsByTypeResponse',
    },
    {
      name: 'GetArtifactsByType, a page of 100',
      nodes: 100,
      read: (s) => s.getArtifactsByType({ type_name: 'Examples', options: { max_result_size: 100 } }),
      message: 'GetArtifactsByTypeResponse',
    },
    {
      name: 'GetArtifactsByID, 10 artifacts',
      nodes: 10,
      read: (s) =>
        s.getArtifactsByID({ artifact_ids: [3n, 50n, 51n, 400n, 777n, 1000n, 1500n, 1501n, 1999n, 2000n] }),
      message: 'GetArtifactsByIDResponse',
    },
  ]

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
  const dir = mkdtempSync('/dev/shm/mlmd-read-path-')
  const store = module.createMetadataStore({ filename: path.join(dir, 'r.sqlite') })
  fill(store)
  targets.push({ root, store, dir })
}

// The same answers from every checkout, byte for byte (but for the times, which are each
// store's own clock).
const timeless = (answer: Record<string, unknown>) => ({
  ...answer,
  artifacts: (answer.artifacts as Record<string, unknown>[]).map((a) => ({
    ...a,
    create_time_since_epoch: 0n,
    last_update_time_since_epoch: 0n,
  })),
})
for (const read of READS) {
  const codec = messageType(`ml_metadata.${read.message}`)
  const bytes = targets.map((t) =>
    Buffer.from(codec.encode(codec.fromObject(timeless(read.read(t.store)))).finish()),
  )
  for (const [i, b] of bytes.entries()) {
    if (!b.equals(bytes[0] as Buffer))
      throw new Error(`${read.name}: ${targets[i]?.root} answers differently`)
  }
}

function cpuMicros(f: () => unknown, times: number): number {
  const start = process.cpuUsage()
  for (let i = 0; i < times; i++) f()
  const used = process.cpuUsage(start)
  return used.user + used.system
}

const results: { read: string; nodes: number; microsPerNode: Record<string, number> }[] = []
for (const read of READS) {
  const times = Math.max(1, Math.round(NODES_PER_BATCH / read.nodes))
  for (const t of targets) cpuMicros(() => read.read(t.store), times)
  const samples = targets.map(() => [] as number[])
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < targets.length; k++) {
      const index = (k + round) % targets.length
      const t = targets[index] as Target
      samples[index]?.push(cpuMicros(() => read.read(t.store), times) / (times * read.nodes))
    }
  }
  const microsPerNode: Record<string, number> = {}
  targets.forEach((t, i) => {
    const sorted = [...(samples[i] as number[])].sort((a, b) => a - b)
    microsPerNode[t.root] = STATISTIC === 'min' ? (sorted[0] as number) : percentile(sorted, 50)
  })
  results.push({ read: read.name, nodes: read.nodes, microsPerNode })
}
for (const t of targets) {
  t.store.close()
  rmSync(t.dir, { recursive: true, force: true })
}

const label = (root: string) => (root === ROOT ? 'this checkout' : path.basename(root))
const load = os.loadavg()[0]?.toFixed(2) ?? '?'
const lines = [
  `| read | nodes | ${targets.map((t) => `${label(t.root)} (µs/node)`).join(' | ')} |`,
  `| --- | ---: | ${targets.map(() => '---:').join(' | ')} |`,
  ...results.map(
    (r) =>
      `| ${r.read} | ${r.nodes} | ${targets.map((t) => (r.microsPerNode[t.root] as number).toFixed(2)).join(' | ')} |`,
  ),
  '',
  `machine: ${os.cpus().length} cores, load average ${load}; CPU time, ${STATISTIC} of ${ROUNDS} interleaved rounds, Node ${process.version}`,
]
console.log(lines.join('\n'))
const out = path.join(ROOT, 'bench', 'results')
mkdirSync(out, { recursive: true })
writeFileSync(path.join(out, 'read-path.md'), `${lines.join('\n')}\n`)
writeFileSync(
  path.join(out, 'read-path.json'),
  `${JSON.stringify({ rounds: ROUNDS, statistic: STATISTIC, loadAverage: Number(load), node: process.version, roots, results }, null, 2)}\n`,
)
