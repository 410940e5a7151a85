/**
 * `node --import tsx bench/call-cost.ts [--clients 2] [--calls 3000] [--rounds 5]
 * [--servers in-thread,workers,point-reads-main,default] [--op by-id|empty|page] [--root DIR …]`:
 * the CPU time `mlmd-ts serve` spends per small call, split by thread, read from `/proc` (so it
 * does not depend on how busy the rest of the machine is, unlike latency).
 *
 * Each round, every server kind (rotated, so none always goes first) gets `--calls` calls from
 * each of `--clients` official Python clients (one process each) at once; the server's CPU time
 * before and after, per thread, gives the cost per call: the main thread (gRPC, and the store
 * too with `--read_workers 0`) and the others (store workers, GC, libuv).
 *
 * `--root` (repeatable) compares checkouts: each server kind is started from each root (another
 * `git worktree` with its own node_modules), so a change can be measured before and after in
 * one interleaved run. Writes bench/results/call-cost.json and call-cost.md.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createMetadataStore } from '../src/store/metadata-store.js'
import { type Driver, extraNodeArgs, pyDriver, ROOT, Server } from './lib/processes.js'
import type { WorkItem } from './lib/protocol.js'
import { MinStdRand0 } from './lib/rng.js'
import { percentile } from './lib/stats.js'

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '2' },
    calls: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' },
    artifacts: { type: 'string', default: '10000' },
    servers: { type: 'string', default: 'in-thread,workers,point-reads-main' },
    op: { type: 'string', default: 'by-id' },
    root: { type: 'string', multiple: true },
    out: { type: 'string', default: 'call-cost' },
  },
  strict: true,
})
const CLIENTS = Number(args.clients)
const CALLS = Number(args.calls)
const ROUNDS = Number(args.rounds)
const ARTIFACTS = Number(args.artifacts)
const ROOTS = (args.root ?? [ROOT]).map((r) => path.resolve(r))

// How each server kind is started (flags after `serve --db FILE --port 0`); `default` is
// whatever this checkout's serve does without flags.
const SERVER_FLAGS: Record<string, readonly string[]> = {
  'in-thread': ['--read_workers', '0'],
  workers: ['--point_reads', 'workers'],
  'point-reads-main': ['--point_reads', 'main'],
  default: [],
}
const KINDS = (args.servers ?? '').split(',').map((name) => {
  if (!(name in SERVER_FLAGS)) throw new Error(`--servers: no server kind "${name}"`)
  return name
})

const OPS: Record<string, { op: string; items: (rng: MinStdRand0, n: number) => WorkItem[] }> = {
  'by-id': {
    op: 'GetArtifactsByID',
    items: (rng, n) =>
      Array.from({ length: n }, () => ({
        req: { artifact_ids: Array.from({ length: rng.int(1, 10) }, () => rng.int(1, ARTIFACTS)) },
      })),
  },
  empty: {
    op: 'GetContextTypesByID',
    items: (_rng, n) => Array.from({ length: n }, () => ({ req: { type_ids: [] } })),
  },
  // The first page of 100 artifacts (5 properties each), in id order: a listing, so it runs on
  // a store worker unless the server has none.
  page: {
    op: 'GetArtifacts',
    items: (_rng, n) =>
      Array.from({ length: n }, () => ({
        req: { options: { max_result_size: 100, order_by_field: { field: 3, is_asc: true } } },
      })),
  },
}
const chosenOp = OPS[args.op ?? '']
if (chosenOp === undefined) throw new Error(`--op: one of ${Object.keys(OPS).join(', ')}`)
const OP = chosenOp

// Linux's USER_HZ, which /proc counts CPU time in.
const CLOCK_TICKS_PER_S = 100

interface ThreadCpu {
  /** The main thread (its id is the process id): gRPC, and the store too with `--read_workers 0`. */
  main: number
  /** Every other thread: the store workers, V8's helpers (GC, compiler), libuv's pool. */
  other: number
}

// CPU ms of process `pid`'s main thread and of its other threads. Node gives all its threads
// the same name, so the store workers cannot be told apart from V8's helper threads here.
function threadCpuMs(pid: number): ThreadCpu {
  const result: ThreadCpu = { main: 0, other: 0 }
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S
    if (Number(tid) === pid) result.main += ms
    else result.other += ms
  }
  return result
}

function buildStore(file: string): void {
  const store = createMetadataStore({ filename: file })
  const { type_id } = store.putArtifactType({
    artifact_type: { name: 'Data', properties: { span: 1, split: 3 } },
  })
  for (let start = 0; start < ARTIFACTS; start += 5000) {
    store.putArtifacts({
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
  }
  store.close()
}

interface RunResult {
  lat_us: number[]
  codes: Record<string, number>
}

interface Target {
  readonly name: string
  readonly server: Server
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-bench-call-cost-'))
  const file = path.join(dir, 'calls.sqlite')
  process.stderr.write(`building a store of ${ARTIFACTS} artifacts\n`)
  buildStore(file)
  const targets: Target[] = []
  const clients: Driver[] = Array.from({ length: CLIENTS }, (_, i) => pyDriver(`client-${i}`))
  const rng = new MinStdRand0(4242)
  const samples = new Map<
    string,
    { perCall: number[]; main: number[]; other: number[]; lat: number[]; errors: number }
  >()
  try {
    for (const root of ROOTS) {
      for (const kind of KINDS) {
        const name = ROOTS.length === 1 ? kind : `${kind} @ ${path.basename(root)}`
        targets.push({ name, server: await Server.start(file, extraNodeArgs(), root, SERVER_FLAGS[kind]) })
      }
    }
    for (const t of targets) {
      await Promise.all(
        clients.map((c) =>
          c.request({ cmd: 'open', handle: t.name, spec: { kind: 'grpc', port: t.server.port } }),
        ),
      )
      await Promise.all(
        clients.map((c) => c.request({ cmd: 'run', handle: t.name, op: OP.op, items: OP.items(rng, 200) })),
      )
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target)
      for (const t of order) {
        process.stderr.write(`round ${round + 1}/${ROUNDS}: ${t.name}\n`)
        const items = OP.items(rng, CALLS)
        const before = threadCpuMs(t.server.pid)
        const results = await Promise.all(
          clients.map((c) => c.request<RunResult>({ cmd: 'run', handle: t.name, op: OP.op, items })),
        )
        const after = threadCpuMs(t.server.pid)
        const calls = results.reduce((n, r) => n + r.lat_us.length, 0)
        const s = samples.get(t.name) ?? { perCall: [], main: [], other: [], lat: [], errors: 0 }
        const us = (a: number, b: number) => ((a - b) * 1000) / calls
        s.main.push(us(after.main, before.main))
        s.other.push(us(after.other, before.other))
        s.perCall.push(us(after.main + after.other, before.main + before.other))
        for (const r of results) {
          s.lat.push(...r.lat_us)
          s.errors += Object.values(r.codes).reduce((a, b) => a + b, 0)
        }
        samples.set(t.name, s)
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.stop()))
    await Promise.all(targets.map((t) => t.server.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    )
  const rows = targets.map((t) => {
    const s = samples.get(t.name)
    if (s === undefined) throw new Error(`no sample for ${t.name}`)
    const lat = [...s.lat].sort((a, b) => a - b)
    return {
      server: t.name,
      cpu_us_per_call: median(s.perCall),
      cpu_us_per_call_rounds: s.perCall,
      main_us: median(s.main),
      other_us: median(s.other),
      p50_us: percentile(lat, 50),
      p99_us: percentile(lat, 99),
      errors: s.errors,
    }
  })
  const lines = [
    `| server | CPU µs per call | main thread | other threads (store workers, GC) | p50 | p99 | errors |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.server} | ${r.cpu_us_per_call.toFixed(0)} | ${r.main_us.toFixed(0)} | ${r.other_us.toFixed(0)} | ${r.p50_us.toFixed(0)} µs | ${r.p99_us.toFixed(0)} µs | ${r.errors} |`,
    ),
    '',
    `${OP.op}, ${CLIENTS} Python clients at once, ${CALLS} calls each per round, ${ROUNDS} rounds; medians over rounds. ` +
      `${os.availableParallelism()} cores, load average ${os.loadavg()[0]?.toFixed(2)} at end; Node ${process.version}.`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  const out = path.join(ROOT, 'bench', 'results')
  mkdirSync(out, { recursive: true })
  writeFileSync(path.join(out, `${args.out}.md`), `${lines.join('\n')}\n`)
  writeFileSync(
    path.join(out, `${args.out}.json`),
    `${JSON.stringify({ op: OP.op, clients: CLIENTS, calls: CALLS, rounds: ROUNDS, roots: ROOTS, loadavg_end: os.loadavg(), rows }, null, 2)}\n`,
  )
}

await main()
