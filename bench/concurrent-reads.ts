/**
 * `node --import tsx bench/concurrent-reads.ts [--clients 8] [--rounds 4] [--round-ms 3000]
 * [--processes 2] [--servers in-thread,workers,processes,processes-in-thread]`:
 * small reads from N concurrent clients (the official Python client, one process each) against
 * `mlmd-ts serve` on one file, several ways in one run, interleaved round by round:
 *
 *   in-thread   `--read_workers 0`: every call runs on the server's main thread (the old server)
 *   workers     the default: one process, reads on reader threads (point reads, such as these
 *               small reads by id, on the main thread), writes on one writer thread
 *   processes   `--processes P`: P serving processes on the port, each with the default workers
 *   processes-in-thread  `--processes P --read_workers 0`: P processes, each in-thread
 *
 * Two scenarios: all N clients send small reads (GetArtifactsByID of 1–10 ids); and N−1 do
 * while one client sends an expensive filtered listing in a loop (a scan of the whole store),
 * which in-thread makes every small read wait behind it.
 *
 * Prints a table (calls/s over the round's wall time, p50 and p99 latency per call) and the
 * ratios workers ÷ in-thread; writes bench/results/concurrent-reads.json.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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
    processes: { type: 'string', default: '2' },
    servers: { type: 'string', default: 'in-thread,workers,processes' },
  },
  strict: true,
})
const CLIENTS = Number(args.clients)
const ROUNDS = Number(args.rounds)
const ROUND_MS = Number(args['round-ms'])
const ARTIFACTS = Number(args.artifacts)
const PROCESSES = Number(args.processes)

interface RunResult {
  lat_us: number[]
  codes: Record<string, number>
  start_ms: number
  end_ms: number
}

// How each server kind is started (flags after `serve --db FILE --port 0`).
const SERVER_FLAGS = {
  'in-thread': ['--read_workers', '0'],
  workers: [],
  processes: ['--processes', String(PROCESSES)],
  'processes-in-thread': ['--processes', String(PROCESSES), '--read_workers', '0'],
} as const satisfies Record<string, readonly string[]>
type ServerKind = keyof typeof SERVER_FLAGS
const SERVERS = (args.servers ?? '').split(',').map((name) => {
  if (!(name in SERVER_FLAGS)) throw new Error(`--servers: no server kind "${name}"`)
  return name as ServerKind
})
// The label of a kind in the table.
const label = (kind: ServerKind) => kind.replace('processes', `${PROCESSES} processes`)
const SCENARIOS = ['small reads', 'small reads beside a scan'] as const

// The comparisons printed under the table: [this, against that].
const RATIOS: readonly [ServerKind, ServerKind][] = [
  ['workers', 'in-thread'],
  ['processes', 'workers'],
  ['processes', 'in-thread'],
  ['processes-in-thread', 'in-thread'],
  ['processes-in-thread', 'workers'],
]

// CPU time (user + system, ms) of `pid` and every process below it (the children of
// `serve --processes`), from /proc: what the server spent, whatever else loads the machine.
function treeCpuMs(pid: number): number {
  const parents = new Map<number, number>()
  const cpu = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // The fields after the command name, which may hold spaces: state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    parents.set(Number(entry), Number(fields[1]))
    cpu.set(Number(entry), Number(fields[11]) + Number(fields[12]))
  }
  const tree = new Set([pid])
  for (let grew = true; grew; ) {
    grew = false
    for (const [child, parent] of parents) {
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child)
        grew = true
      }
    }
  }
  const ticks = [...tree].reduce((sum, p) => sum + (cpu.get(p) ?? 0), 0)
  return (ticks * 1000) / CLOCK_TICKS_PER_S
}
// Linux's USER_HZ, which /proc/PID/stat counts in.
const CLOCK_TICKS_PER_S = 100

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

const loadStart = os.loadavg()[0] ?? 0

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-bench-concurrent-'))
  const file = path.join(dir, 'reads.sqlite')
  progress(`building a store of ${ARTIFACTS} artifacts`)
  buildStore(file)
  const servers = {} as Record<ServerKind, Server>
  for (const kind of SERVERS)
    servers[kind] = await Server.start(file, undefined, undefined, SERVER_FLAGS[kind])
  const clients: Driver[] = Array.from({ length: CLIENTS }, (_, i) => pyDriver(`client-${i}`))
  const rng = new MinStdRand0(20200801)
  const samples: Record<
    string,
    {
      lat: number[]
      calls: number
      wallMs: number
      errors: number
      scans: number
      serverCpuMs: number
      clientCpuMs: number
    }
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
        // A different server first in each round, so no kind always follows the same one.
        const order = SERVERS.map((_, i) => SERVERS[(i + round) % SERVERS.length] as ServerKind)
        for (const kind of order) {
          progress(`round ${round + 1}/${ROUNDS}: ${scenario}, ${kind}`)
          const cpuBefore = treeCpuMs(servers[kind].pid)
          const clientsBefore = clients.reduce((sum, c) => sum + treeCpuMs(c.pid), 0)
          const results = await Promise.all(
            clients.map((c, i) => {
              const scanning = scenario === 'small reads beside a scan' && i === 0
              return c.request<RunResult>({
                cmd: 'run',
                handle: kind,
                op: scanning ? 'GetArtifacts' : 'GetArtifactsByID',
                // A few hundred requests sent round and round until the deadline: parsing a whole
                // round's worth in each client first took a good share of the machine.
                items: scanning ? [SCAN] : smallReads(rng, 300),
                cycle: true,
                deadlineMs: ROUND_MS,
              })
            }),
          )
          const cpuAfter = treeCpuMs(servers[kind].pid)
          const clientsAfter = clients.reduce((sum, c) => sum + treeCpuMs(c.pid), 0)
          const key = `${scenario}|${kind}`
          const sample = samples[key] ?? {
            lat: [],
            calls: 0,
            wallMs: 0,
            errors: 0,
            scans: 0,
            serverCpuMs: 0,
            clientCpuMs: 0,
          }
          sample.serverCpuMs += cpuAfter - cpuBefore
          sample.clientCpuMs += clientsAfter - clientsBefore
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
        server: label(kind),
        calls: s.calls,
        calls_per_s: (s.calls / s.wallMs) * 1000,
        p50_us: percentile(sorted, 50),
        p99_us: percentile(sorted, 99),
        errors: s.errors,
        scans: s.scans,
        server_cpu_ms_per_s: (s.serverCpuMs / s.wallMs) * 1000,
        server_cpu_us_per_call: (s.serverCpuMs * 1000) / (s.calls + s.scans),
        // Includes each client's parsing of its round's requests before it starts sending.
        client_cpu_us_per_call: (s.clientCpuMs * 1000) / (s.calls + s.scans),
      }
    }),
  )
  const lines = [
    `| scenario (${CLIENTS} clients) | server | small reads/s | p50 | p99 | scans done | server CPU | server CPU per call | clients' CPU per call |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.server} | ${r.calls_per_s.toFixed(0)} | ${(r.p50_us / 1000).toFixed(2)} ms | ${(r.p99_us / 1000).toFixed(2)} ms | ${r.scenario.includes('scan') ? r.scans : '–'} | ${(r.server_cpu_ms_per_s / 1000).toFixed(2)} cores | ${r.scenario.includes('scan') ? '–' : `${r.server_cpu_us_per_call.toFixed(0)} µs`} | ${r.scenario.includes('scan') ? '–' : `${r.client_cpu_us_per_call.toFixed(0)} µs`} |`,
    ),
    '',
    ...SCENARIOS.flatMap((scenario) =>
      RATIOS.map(([afterKind, beforeKind]) => {
        const [before, after] = [beforeKind, afterKind].map((k) =>
          rows.find((r) => r.scenario === scenario && r.server === label(k)),
        )
        if (before === undefined || after === undefined) return ''
        return `${scenario}: ${after.server} ÷ ${before.server} — throughput ${(after.calls_per_s / before.calls_per_s).toFixed(2)}×, p50 latency ${(before.p50_us / after.p50_us).toFixed(2)}× faster, p99 ${(before.p99_us / after.p99_us).toFixed(2)}× faster`
      }).filter((line) => line !== ''),
    ),
    `machine: ${os.availableParallelism()} cores, load average ${loadStart.toFixed(2)} at start and ${os.loadavg()[0]?.toFixed(2)} at end; ${ROUNDS} rounds of ${ROUND_MS} ms per scenario and server, interleaved`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  const out = path.join(ROOT, 'bench', 'results')
  mkdirSync(out, { recursive: true })
  writeFileSync(path.join(out, 'concurrent-reads.md'), `${lines.join('\n')}\n`)
  writeFileSync(
    path.join(out, 'concurrent-reads.json'),
    `${JSON.stringify({ clients: CLIENTS, rounds: ROUNDS, round_ms: ROUND_MS, artifacts: ARTIFACTS, processes: PROCESSES, servers: SERVERS, nproc: os.availableParallelism(), loadavg_end: os.loadavg(), rows }, null, 2)}\n`,
  )
}

await main()
