/**
 * `node --import tsx bench/pool-hop.ts [--calls 20000] [--concurrency 2] [--rounds 5]
 * [--read-workers 2] [--op by-id|empty]`:
 * what the hop to a store worker thread costs a small read, without gRPC: the same calls run
 * in this thread (store operation, then encoding, as `serve --read_workers 0` does) and through
 * a {@link WorkerPool} (as `serve` does by default), interleaved round by round, `--concurrency`
 * calls in flight. The figure is the CPU time of the whole process (every thread) per call,
 * from `process.cpuUsage()`, so it holds up on a loaded machine better than wall time.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { WorkerPool } from '../src/service/worker-pool.js'
import { createMetadataStore } from '../src/store/metadata-store.js'
import { metadataStoreServiceDefinition, responseCodec } from '../src/wire/service-definition.js'
import { MinStdRand0 } from './lib/rng.js'
import { percentile } from './lib/stats.js'

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    'read-workers': { type: 'string', default: '2' },
    artifacts: { type: 'string', default: '10000' },
    op: { type: 'string', default: 'by-id' },
  },
  strict: true,
})
const CALLS = Number(args.calls)
const CONCURRENCY = Number(args.concurrency)
const ROUNDS = Number(args.rounds)
const ARTIFACTS = Number(args.artifacts)
const RPC = args.op === 'empty' ? 'GetContextTypesByID' : 'GetArtifactsByID'

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-bench-hop-'))
const file = path.join(dir, 'hop.sqlite')
const store = createMetadataStore({ filename: file })
const { type_id } = store.putArtifactType({
  artifact_type: { name: 'Data', properties: { span: 1, split: 3 } },
})
store.putArtifacts({
  artifacts: Array.from({ length: ARTIFACTS }, (_, k) => ({
    type_id,
    name: `data-${k}`,
    uri: `s3://bucket/data/${k}`,
    properties: { span: { int_value: BigInt(k) }, split: { string_value: k % 2 ? 'train' : 'eval' } },
  })),
})

// Requests as the server gets them: decoded from protobuf bytes by the service definition.
const definition = metadataStoreServiceDefinition()[RPC]
const rng = new MinStdRand0(99)
const requests = Array.from({ length: 1000 }, () => {
  const plain =
    RPC === 'GetArtifactsByID'
      ? { artifact_ids: Array.from({ length: rng.int(1, 10) }, () => BigInt(rng.int(1, ARTIFACTS))) }
      : { type_ids: [] }
  return definition.requestDeserialize(definition.requestSerialize(plain as never)) as object
})
const encode = responseCodec(RPC).encode
const operation = (store as unknown as Record<string, (r: object) => object>)[
  RPC === 'GetArtifactsByID' ? 'getArtifactsByID' : 'getContextTypesByID'
] as (r: object) => object

const pool = await WorkerPool.start({
  store: { filename: file },
  readWorkers: Number(args['read-workers']),
})

type Way = 'in-thread' | 'workers'
const runOne: Record<Way, (request: object) => Promise<Uint8Array> | Uint8Array> = {
  'in-thread': (request) => encode(operation.call(store, request)),
  workers: (request) => pool.run(RPC, request),
}

// CPU ns of this process's main thread and of all its other threads, from the scheduler's
// counters (nanoseconds, unlike the clock ticks of /proc/PID/stat).
function threadNs(): { main: number; other: number } {
  const times = { main: 0, other: 0 }
  for (const tid of readdirSync('/proc/self/task')) {
    let ns: number
    try {
      ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      continue
    }
    if (Number(tid) === process.pid) times.main += ns
    else times.other += ns
  }
  return times
}

async function round(way: Way): Promise<{ cpuUs: number; wallUs: number; mainUs: number; otherUs: number }> {
  let next = 0
  const cpu = process.cpuUsage()
  const threads = threadNs()
  const started = performance.now()
  const lane = async () => {
    while (next < CALLS) {
      const request = requests[next++ % requests.length] as object
      await runOne[way](request)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  const used = process.cpuUsage(cpu)
  const after = threadNs()
  return {
    cpuUs: (used.user + used.system) / CALLS,
    wallUs: ((performance.now() - started) * 1000) / CALLS,
    mainUs: (after.main - threads.main) / 1000 / CALLS,
    otherUs: (after.other - threads.other) / 1000 / CALLS,
  }
}

const samples: Record<Way, { cpu: number[]; wall: number[]; main: number[]; other: number[] }> = {
  'in-thread': { cpu: [], wall: [], main: [], other: [] },
  workers: { cpu: [], wall: [], main: [], other: [] },
}
try {
  for (const way of ['in-thread', 'workers'] as const) await round(way) // warm up
  for (let r = 0; r < ROUNDS; r++) {
    for (const way of r % 2 === 0
      ? (['in-thread', 'workers'] as const)
      : (['workers', 'in-thread'] as const)) {
      const s = await round(way)
      samples[way].cpu.push(s.cpuUs)
      samples[way].wall.push(s.wallUs)
      samples[way].main.push(s.mainUs)
      samples[way].other.push(s.otherUs)
    }
  }
} finally {
  await pool.close(0)
  store.close()
  rmSync(dir, { recursive: true, force: true })
}
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  )
process.stdout.write(
  `${RPC}, ${CALLS} calls × ${ROUNDS} rounds, ${CONCURRENCY} in flight; medians; load average ${os.loadavg()[0]?.toFixed(2)}\n` +
    (['in-thread', 'workers'] as const)
      .map(
        (way) =>
          `${way.padEnd(10)} CPU ${median(samples[way].cpu).toFixed(1)} µs/call (main thread ${median(samples[way].main).toFixed(1)}, other threads ${median(samples[way].other).toFixed(1)}), wall ${median(samples[way].wall).toFixed(1)} µs/call`,
      )
      .join('\n') +
    `\nhop: +${(median(samples.workers.cpu) - median(samples['in-thread'].cpu)).toFixed(1)} µs CPU per call\n`,
)
