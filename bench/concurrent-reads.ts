/**
 * `node --import tsx bench/concurrent-reads.ts [--clients 8] [--rounds 4] [--round-ms 3000]`:
 * small reads from N concurrent clients (the official Python client, one process each) against
 * `mlmd-ts serve` on one file, two ways in one run, interleaved round by round:
 *
 *   in-thread  `--read_workers 0`: every call runs on the server's main thread (the old server)
 *   workers    the default: reads on reader threads, writes on one writer thread
 *
 * Two scenarios: all N clients send small reads (GetArtifactsByID of 1–10 ids); and N−1 do
 * while one client sends an expensive filtered listing in a loop (a scan of the whole store),
 * which in-thread makes every small read wait behind it.
 *
 * Prints a table (calls/s over the round's wall time, p50 and p99 latency per call) and the
 * ratios workers ÷ in-thread; writes bench/results/concurrent-reads.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createMetadataStore } from '../src/store/metadata-store.js'
import { type Driver, pyDriver, ROOT, Server } from './lib/processes.js'
import type { WorkItem } from './lib/protocol.js'
import { MinStdRand0 } from './lib/rng.js'
import { percentile } from './lib/stats.js'

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '4' },
    'round-ms': { type: 'string', default: '3000' },
    artifacts: { type: 'string', default: '100000' },
  },
  strict: true,
})
const CLIENTS = Number(args.clients)
const ROUNDS = Number(args.rounds)
const ROUND_MS = Number(args['round-ms'])
const ARTIFACTS = Number(args.artifacts)

interface RunResult {
  lat_us: number[]
  codes: Record<string, number>
  start_ms: number
  end_ms: number
}

const SERVERS = ['in-thread', 'workers'] as const
type ServerKind = (typeof SERVERS)[number]
const SCENARIOS = ['small reads', 'small reads beside a scan'] as const

function progress(text: string): void {
  process.stderr.write(`${text}\n`)
}

// A store of ARTIFACTS artifacts with a few properties each, in one context per 100.
function buildStore(file: string): void {
  const store = createMetadataStore({ filename: file })
  const { type_id } = store.putArtifactType({
    artifact_type: { name: 'Data', properties: { span: 1, split: 3 } },
  })
  const { type_id: ctxType } = store.putContextType({ context_type: { name: 'Run' } })
  for (let start = 0; start < ARTIFACTS; start += 5000) {
    const { artifact_ids } = store.putArtifacts({
      artifacts: Array.from({ length: Math.min(5000, ARTIFACTS - start) }, (_, k) => ({
        type_id,
        name: `data-${start + k}`,
        uri: `s3://bucket/data/${start + k}`,
        properties: {
          span: { int_value: BigInt(start + k) },
          split: { string_value: k % 2 ? 'train' : 'eval' },
        },
      })),
    })
    const { context_ids } = store.putContexts({
      contexts: Array.from({ length: Math.ceil(artifact_ids.length / 100) }, (_, c) => ({
        type_id: ctxType,
        name: `run-${start / 100 + c}`,
      })),
    })
    store.putAttributionsAndAssociations({
      attributions: artifact_ids.map((id, k) => ({
        artifact_id: id,
        context_id: context_ids[Math.floor(k / 100)],
      })),
      associations: [],
    })
  }
  store.close()
}

function smallReads(rng: MinStdRand0, n: number): WorkItem[] {
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: rng.int(1, 10) }, () => rng.int(1, ARTIFACTS))
    return { req: { artifact_ids: ids } }
  })
}

// A filtered first page that must look at every artifact: no index serves a LIKE with a
// leading wildcard, and nothing matches, so the page never fills early.
const SCAN: WorkItem = {
  req: { options: { max_result_size: 10, filter_query: "uri LIKE '%/nothing-%'" } },
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-bench-concurrent-'))
  const file = path.join(dir, 'reads.sqlite')
  progress(`building a store of ${ARTIFACTS} artifacts`)
  buildStore(file)
  const servers: Record<ServerKind, Server> = {
    'in-thread': await Server.start(file, undefined, undefined, ['--read_workers', '0']),
    workers: await Server.start(file),
  }
  const clients: Driver[] = Array.from({ length: CLIENTS }, (_, i) => pyDriver(`client-${i}`))
  const rng = new MinStdRand0(20200801)
  const samples: Record<
    string,
    { lat: number[]; calls: number; wallMs: number; errors: number; scans: number }
  > = {}
  try {
    for (const kind of SERVERS) {
      await Promise.all(
        clients.map((c) =>
          c.request({ cmd: 'open', handle: kind, spec: { kind: 'grpc', port: servers[kind].port } }),
        ),
      )
      // Warm up: connections, prepared statements, page cache.
      await Promise.all(
        clients.map((c) =>
          c.request({ cmd: 'run', handle: kind, op: 'GetArtifactsByID', items: smallReads(rng, 50) }),
        ),
      )
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of SCENARIOS) {
        const order = round % 2 === 0 ? SERVERS : [...SERVERS].reverse()
        for (const kind of order) {
          progress(`round ${round + 1}/${ROUNDS}: ${scenario}, ${kind}`)
          const results = await Promise.all(
            clients.map((c, i) => {
              const scanning = scenario === 'small reads beside a scan' && i === 0
              return c.request<RunResult>({
                cmd: 'run',
                handle: kind,
                op: scanning ? 'GetArtifacts' : 'GetArtifactsByID',
                items: scanning ? Array.from({ length: 500 }, () => SCAN) : smallReads(rng, 6000),
                deadlineMs: ROUND_MS,
              })
            }),
          )
          const key = `${scenario}|${kind}`
          const sample = samples[key] ?? { lat: [], calls: 0, wallMs: 0, errors: 0, scans: 0 }
          samples[key] = sample
          const readers = scenario === 'small reads beside a scan' ? results.slice(1) : results
          for (const r of readers) {
            sample.lat.push(...r.lat_us)
            sample.errors += Object.values(r.codes).reduce((a, b) => a + b, 0)
          }
          if (scenario === 'small reads beside a scan') sample.scans += results[0]?.lat_us.length ?? 0
          sample.calls += readers.reduce((n, r) => n + r.lat_us.length, 0)
          sample.wallMs +=
            Math.max(...results.map((r) => r.end_ms)) - Math.min(...results.map((r) => r.start_ms))
        }
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.stop()))
    await Promise.all(Object.values(servers).map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }

  const rows = SCENARIOS.flatMap((scenario) =>
    SERVERS.map((kind) => {
      const s = samples[`${scenario}|${kind}`]
      if (s === undefined) throw new Error(`no sample for ${scenario} ${kind}`)
      const sorted = [...s.lat].sort((a, b) => a - b)
      return {
        scenario,
        server: kind,
        calls: s.calls,
        calls_per_s: (s.calls / s.wallMs) * 1000,
        p50_us: percentile(sorted, 50),
        p99_us: percentile(sorted, 99),
        errors: s.errors,
        scans: s.scans,
      }
    }),
  )
  const lines = [
    `| scenario (${CLIENTS} clients) | server | small reads/s | p50 | p99 | scans done |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.server} | ${r.calls_per_s.toFixed(0)} | ${(r.p50_us / 1000).toFixed(2)} ms | ${(r.p99_us / 1000).toFixed(2)} ms | ${r.scenario.includes('scan') ? r.scans : '–'} |`,
    ),
    '',
    ...SCENARIOS.map((scenario) => {
      const [before, after] = SERVERS.map((k) => rows.find((r) => r.scenario === scenario && r.server === k))
      if (before === undefined || after === undefined) return ''
      return `${scenario}: workers ÷ in-thread — throughput ${(after.calls_per_s / before.calls_per_s).toFixed(2)}×, p50 latency ${(before.p50_us / after.p50_us).toFixed(2)}× faster, p99 ${(before.p99_us / after.p99_us).toFixed(2)}× faster`
    }),
    `machine: ${os.availableParallelism()} cores, load average ${os.loadavg()[0]?.toFixed(2)} at end; ${ROUNDS} rounds of ${ROUND_MS} ms per scenario and server, interleaved`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  const out = path.join(ROOT, 'bench', 'results')
  mkdirSync(out, { recursive: true })
  writeFileSync(
    path.join(out, 'concurrent-reads.json'),
    `${JSON.stringify({ clients: CLIENTS, rounds: ROUNDS, round_ms: ROUND_MS, artifacts: ARTIFACTS, nproc: os.availableParallelism(), loadavg_end: os.loadavg(), rows }, null, 2)}\n`,
  )
}

await main()
