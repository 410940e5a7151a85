/**
 * `npm run bench:encode [-- --rounds 15]`: the cost of encoding responses, per returned node,
 * with the protobufjs-based codec (`createMessageCodec`, the server's encoder before) and the
 * generated encoder (`createMessageEncoder`, the server's encoder now), in one run.
 *
 * The answers are real store answers: GetArtifactsByType over 2,000 artifacts with 5
 * properties each (int, double, two strings, a Struct), all at once and as a page of 100. Both
 * encoders must give the same bytes, or the run stops. Each round times both encoders, in
 * alternating order, for a fixed number of encodes; the figure is the median over rounds of
 * the process's CPU time per node.
 *
 * Prints a table and writes bench/results/encode.json and bench/results/encode.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { messageType } from '../src/proto/load-root.js'
import type { GetArtifactsByTypeResponse } from '../src/proto/messages.js'
import { PropertyType } from '../src/proto/messages.js'
import { createMetadataStore } from '../src/store/metadata-store.js'
import { createMessageEncoder } from '../src/wire/message-encoder.js'
import { createMessageCodec } from '../src/wire/wire-codec.js'
import { ROOT } from './lib/processes.js'
import { percentile } from './lib/stats.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    artifacts: { type: 'string', default: '2000' },
  },
  strict: true,
})
const ROUNDS = Number(args.rounds)
const ARTIFACTS = Number(args.artifacts)
/** Nodes encoded per timed batch, so that one batch takes some milliseconds. */
const NODES_PER_BATCH = 20_000

function storeAnswers(): { name: string; response: GetArtifactsByTypeResponse }[] {
  const store = createMetadataStore({ filename: ':memory:' })
  try {
    const { type_id } = store.putArtifactType({
      artifact_type: {
        name: 'Examples',
        properties: {
          span: PropertyType.INT,
          accuracy: PropertyType.DOUBLE,
          split: PropertyType.STRING,
          version: PropertyType.STRING,
          schema: PropertyType.STRUCT,
        },
      },
    })
    for (let start = 0; start < ARTIFACTS; start += 500) {
      const artifacts = []
      for (let i = start; i < Math.min(start + 500, ARTIFACTS); i++) {
        artifacts.push({
          type_id,
          name: `examples-${i}`,
          uri: `s3://bucket/pipelines/train/examples/${i}`,
          state: 2 as const,
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
    return [
      {
        name: `GetArtifactsByType, ${ARTIFACTS} artifacts`,
        response: store.getArtifactsByType({ type_name: 'Examples' }),
      },
      {
        name: 'GetArtifactsByType, a page of 100',
        response: store.getArtifactsByType({ type_name: 'Examples', options: { max_result_size: 100 } }),
      },
    ]
  } finally {
    store.close()
  }
}

/**
 * Milliseconds of CPU time (user and system, all threads, so garbage collection counts) that
 * `times` calls of `encode` take. CPU time, not wall time: on a shared machine a process waits
 * for a core, and that wait is not the encoder's cost.
 */
function time(encode: () => Uint8Array, times: number): number {
  const start = process.cpuUsage()
  for (let i = 0; i < times; i++) encode()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

interface Row {
  readonly workload: string
  readonly nodes: number
  readonly bytes: number
  readonly oldMicrosPerNode: number
  readonly newMicrosPerNode: number
  readonly speedup: number
}

const type = messageType('ml_metadata.GetArtifactsByTypeResponse')
const codec = createMessageCodec<GetArtifactsByTypeResponse>(type)
const encoder = createMessageEncoder<GetArtifactsByTypeResponse>(type)

const rows: Row[] = []
for (const { name, response } of storeAnswers()) {
  const nodes = response.artifacts.length
  const before = Buffer.from(codec.encode(response))
  const after = encoder(response)
  if (!before.equals(after)) throw new Error(`${name}: the encoders wrote different bytes`)
  const times = Math.max(1, Math.round(NODES_PER_BATCH / nodes))
  const encoders = { old: () => codec.encode(response), new: () => encoder(response) }
  // Warm-up: both functions optimized before the first timed batch.
  time(encoders.old, times)
  time(encoders.new, times)
  const samples: Record<'old' | 'new', number[]> = { old: [], new: [] }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const)
    for (const which of order) samples[which].push((time(encoders[which], times) * 1000) / (times * nodes))
  }
  const oldMicros = percentile(
    [...samples.old].sort((a, b) => a - b),
    50,
  )
  const newMicros = percentile(
    [...samples.new].sort((a, b) => a - b),
    50,
  )
  rows.push({
    workload: name,
    nodes,
    bytes: before.length,
    oldMicrosPerNode: oldMicros,
    newMicrosPerNode: newMicros,
    speedup: oldMicros / newMicros,
  })
}

const load = os.loadavg()[0]?.toFixed(2) ?? '?'
const lines = [
  '| workload | nodes | bytes | protobufjs codec (µs/node) | generated encoder (µs/node) | speed-up |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.workload} | ${r.nodes} | ${r.bytes} | ${r.oldMicrosPerNode.toFixed(2)} | ${r.newMicrosPerNode.toFixed(2)} | ${r.speedup.toFixed(1)}× |`,
  ),
  '',
  `machine: ${os.cpus().length} cores, load average ${load}; CPU time, median of ${ROUNDS} interleaved rounds, Node ${process.version}`,
]
console.log(lines.join('\n'))
const out = path.join(ROOT, 'bench', 'results')
mkdirSync(out, { recursive: true })
writeFileSync(path.join(out, 'encode.md'), `${lines.join('\n')}\n`)
writeFileSync(
  path.join(out, 'encode.json'),
  `${JSON.stringify({ rounds: ROUNDS, loadAverage: Number(load), node: process.version, rows }, null, 2)}\n`,
)
