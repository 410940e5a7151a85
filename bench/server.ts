/**
 * `npm run bench:server`: what `mlmd-ts serve` itself costs per call and per returned node, as
 * the official Python client sees it. Each workload is sent, in interleaved rounds, to
 *
 *   mlmd-ts      `mlmd-ts serve` on a file (default settings: store worker threads, and
 *                ids-only lineage nodes for this client's `get_lineage_subgraph`);
 *   floor        a bare grpc-js server answering every call with the bytes mlmd-ts answered it
 *                (recorded through a proxy before the rounds, replayed by request bytes): the
 *                transport and the client, with no server work at all;
 *   mlmd-grpc    MLMD 1.16's C++ store behind a Python gRPC server (bench/drivers/mlmd_grpc_server.py);
 *   mlmd         MLMD 1.16 in the client's process, on a SQLite `ConnectionConfig`;
 *
 * all through the same client code (`MetadataStore._call`; lineage is the public
 * `get_lineage_subgraph`, six RPCs). The lineage call is also sent to a second `mlmd-ts serve`
 * on the same file with `--lineage_nodes whole`, and to that server's own replay floor.
 *
 * mlmd-ts − floor (medians) is the server's own time per call: decoding the request, the store,
 * encoding the answer, its share of grpc-js. Divided by the nodes the call returns, it is the
 * server's cost per node.
 *
 *   node --import tsx bench/server.ts [--rounds 6] [--quick] [--no-mlmd-grpc] [--in-thread] [--keep]
 *                                     [--lineage-only]
 *
 * `--in-thread` adds a fifth target: a second `mlmd-ts serve` on the same file with
 * `--read_workers 0` (every call on the server's main thread, no hop to a store worker).
 *
 * `--lineage-only` measures only the lineage call (after the same fill), and writes
 * bench/results/server-lineage.*.
 *
 * Writes bench/results/server.json and server.md (server-quick.* with --quick).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import {
  Client,
  credentials,
  Server as GrpcJsServer,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js'
import { messageType } from '../src/proto/load-root.js'
import { RPC_NAMES } from '../src/proto/messages.js'
import { fingerprint } from './lib/inspect.js'
import { type Driver, pyDriver, pythonPath, ROOT, Server } from './lib/processes.js'
import type { RunResult, WorkItem } from './lib/protocol.js'
import { type Summary, summarize } from './lib/stats.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'no-mlmd-grpc': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'in-thread': { type: 'boolean', default: false },
    'lineage-only': { type: 'boolean', default: false },
  },
  strict: true,
})
const QUICK = args.quick === true
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 6))
const WITH_MLMD_GRPC = args['no-mlmd-grpc'] !== true
const WITH_IN_THREAD = args['in-thread'] === true
// A quick run does not replace the results of a full one.
const LINEAGE_ONLY = args['lineage-only'] === true
const RESULTS_NAME = LINEAGE_ONLY ? 'server-lineage' : QUICK ? 'server-quick' : 'server'
const SERVICE_PATH = '/ml_metadata.MetadataStoreService/'

// -- the data: the same requests fill every store, so ids agree -------------------------------

// A fresh store holds MLMD's nine seeded simple types (ids 1–9), so the first type is id 10.
const DATASET_TYPE = 10
const TRAINER_TYPE = 11
const RUN_TYPE = 12
const MODEL_TYPE = 13
const DATASETS = 2000
const CHAIN_STEPS = 10
const MODELS_PER_STEP = 3
const SEED_ARTIFACT = DATASETS + 1
const INT = 1
const DOUBLE = 2
const STRING = 3

function datasetArtifact(i: number): Record<string, unknown> {
  return {
    type_id: DATASET_TYPE,
    uri: `s3://bench-bucket/datasets/2026-12-01/run-${i >> 4}/part-${String(i).padStart(5, '0')}.tfrecord.gz`,
    name: `dataset-${i}`,
    state: 2,
    properties: {
      span: { int_value: i },
      split: { string_value: i % 10 === 0 ? 'eval' : 'train' },
      score: { double_value: (i % 997) / 997 },
      owner: { string_value: 'team-ml-platform@example.com' },
      version: { int_value: 3 },
    },
  }
}

function modelArtifact(step: number, k: number): Record<string, unknown> {
  return {
    type_id: MODEL_TYPE,
    uri: `s3://bench-bucket/models/step-${step}/out-${k}`,
    properties: {
      step: { int_value: step },
      slot: { string_value: `out-${k}` },
      loss: { double_value: 1 / (step + k + 2) },
      framework: { string_value: 'tensorflow' },
      version: { int_value: 1 },
    },
  }
}

/** The fill, as (RPC, requests) steps; executed by the Python client on every target. */
function fillSteps(): { op: string; items: WorkItem[] }[] {
  const props = (names: Record<string, number>) => names
  const steps: { op: string; items: WorkItem[] }[] = [
    {
      op: 'PutArtifactType',
      items: [
        {
          req: {
            artifact_type: {
              name: 'Dataset',
              properties: props({ span: INT, split: STRING, score: DOUBLE, owner: STRING, version: INT }),
            },
          },
        },
      ],
    },
    {
      op: 'PutExecutionType',
      items: [
        { req: { execution_type: { name: 'Trainer', properties: props({ steps: INT, lr: DOUBLE }) } } },
      ],
    },
    {
      op: 'PutContextType',
      items: [{ req: { context_type: { name: 'PipelineRun', properties: props({ note: STRING }) } } }],
    },
    {
      op: 'PutArtifactType',
      items: [
        {
          req: {
            artifact_type: {
              name: 'Model',
              properties: props({ step: INT, slot: STRING, loss: DOUBLE, framework: STRING, version: INT }),
            },
          },
        },
      ],
    },
  ]
  const batches: WorkItem[] = []
  for (let start = 1; start <= DATASETS; start += 100) {
    batches.push({
      req: { artifacts: Array.from({ length: 100 }, (_, k) => datasetArtifact(start + k)) },
    })
  }
  steps.push({ op: 'PutArtifacts', items: batches })
  steps.push({ op: 'PutArtifacts', items: [{ req: { artifacts: [modelArtifact(-1, 0)] } }] })
  // A pipeline run of chained steps: step s reads the previous step's outputs (the seed artifact
  // for step 0) and writes three models; every step is in one run context.
  const executions: WorkItem[] = []
  const inputs: WorkItem[] = []
  for (let step = 0; step < CHAIN_STEPS; step++) {
    executions.push({
      req: {
        execution: {
          type_id: TRAINER_TYPE,
          name: `train-${step}`,
          last_known_state: 3,
          properties: { steps: { int_value: 1000 * (step + 1) }, lr: { double_value: 0.001 } },
        },
        artifact_event_pairs: Array.from({ length: MODELS_PER_STEP }, (_, k) => ({
          artifact: modelArtifact(step, k),
          event: { type: 4, path: { steps: [{ key: 'model' }, { index: k }] } },
        })),
        contexts: [{ type_id: RUN_TYPE, name: 'run-1', properties: { note: { string_value: 'bench' } } }],
        options: { reuse_context_if_already_exist: true },
      },
    })
    const execution = step + 1
    const previous =
      step === 0
        ? [SEED_ARTIFACT]
        : Array.from(
            { length: MODELS_PER_STEP },
            (_, k) => SEED_ARTIFACT + 1 + (step - 1) * MODELS_PER_STEP + k,
          )
    inputs.push({
      req: { events: previous.map((artifact_id) => ({ artifact_id, execution_id: execution, type: 3 })) },
    })
  }
  steps.push({ op: 'PutExecution', items: executions })
  steps.push({ op: 'PutEvents', items: inputs })
  return steps
}

interface Workload {
  readonly name: string
  readonly op: string
  readonly req: Record<string, unknown>
  /** The client's public method (lineage), rather than the one RPC. */
  readonly pyPublic?: boolean
  /** Calls per target per round. */
  readonly calls: number
  /** Runs before the store is filled. */
  readonly empty?: boolean
}

const scaleCalls = (n: number) => Math.max(2, Math.round(QUICK ? n / 2 : n))
const WORKLOADS: readonly Workload[] = [
  {
    name: 'GetArtifactTypes, empty store',
    op: 'GetArtifactTypes',
    req: {},
    calls: scaleCalls(300),
    empty: true,
  },
  {
    name: 'GetArtifactsByID, 10 artifacts × 5 properties',
    op: 'GetArtifactsByID',
    req: { artifact_ids: Array.from({ length: 10 }, (_, k) => 5 + 100 * k) },
    calls: scaleCalls(200),
  },
  {
    name: 'GetArtifacts, page of 100',
    op: 'GetArtifacts',
    req: { options: { max_result_size: 100, order_by_field: { field: 3, is_asc: true } } },
    calls: scaleCalls(60),
  },
  {
    name: `GetArtifactsByType, ${DATASETS.toLocaleString('en-US')} artifacts`,
    op: 'GetArtifactsByType',
    req: { type_name: 'Dataset' },
    calls: scaleCalls(6),
  },
  {
    name: `get_lineage_subgraph (6 RPCs), ${CHAIN_STEPS} steps`,
    op: 'GetLineageSubgraph',
    req: {
      lineage_subgraph_query_options: { starting_artifacts: { filter_query: `id = ${SEED_ARTIFACT}` } },
    },
    pyPublic: true,
    calls: scaleCalls(60),
  },
]
const LINEAGE = WORKLOADS.at(-1) as Workload
const MEASURED = LINEAGE_ONLY ? [LINEAGE] : WORKLOADS

// -- the replay floor -------------------------------------------------------------------------

const raw = (b: Buffer) => b

/** One recorded call: the RPC and the bytes mlmd-ts answered. */
interface Recorded {
  readonly rpc: string
  readonly workload: string
  readonly response: Buffer
}

/**
 * A bare grpc-js server for every RPC of the service with raw-bytes handlers. While `recording`,
 * it forwards each call to `upstream` and keeps the answer under the request's bytes; otherwise
 * it answers from what it kept (UNIMPLEMENTED for a request it never saw).
 */
class ReplayServer {
  readonly recorded = new Map<string, Recorded>()
  recording: string | undefined
  misses = 0
  readonly #server = new GrpcJsServer()
  readonly #upstream: Client
  port = 0

  constructor(upstreamPort: number) {
    this.#upstream = new Client(`127.0.0.1:${upstreamPort}`, credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
    })
    const definition: Record<string, object> = {}
    const implementation: Record<
      string,
      (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => void
    > = {}
    for (const rpc of RPC_NAMES) {
      definition[rpc] = {
        path: `${SERVICE_PATH}${rpc}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      }
      implementation[rpc] = (call, done) => this.#answer(rpc, call.request, done)
    }
    this.#server.addService(definition as never, implementation as never)
  }

  #answer(rpc: string, request: Buffer, done: sendUnaryData<Buffer>): void {
    const key = `${rpc}:${request.toString('latin1')}`
    const workload = this.recording
    if (workload === undefined) {
      const hit = this.recorded.get(key)
      if (hit !== undefined) {
        done(null, hit.response)
        return
      }
      this.misses++
      done({ code: status.UNIMPLEMENTED, details: `no recorded answer for this ${rpc} request` })
      return
    }
    this.#upstream.makeUnaryRequest(`${SERVICE_PATH}${rpc}`, raw, raw, request, (error, response) => {
      if (error !== null || response === undefined) {
        done(error)
        return
      }
      this.recorded.set(key, { rpc, workload, response })
      done(null, response)
    })
  }

  async start(): Promise<void> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    )
  }

  /** The answers recorded for `workload`. */
  answersOf(workload: string): Recorded[] {
    return [...this.recorded.values()].filter((r) => r.workload === workload)
  }

  stop(): void {
    this.#server.forceShutdown()
    this.#upstream.close()
  }
}

/** MLMD's C++ store behind a Python gRPC server (bench/drivers/mlmd_grpc_server.py). */
async function startMlmdGrpc(db: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    pythonPath(),
    [path.join(ROOT, 'bench/drivers/mlmd_grpc_server.py'), db],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = /^port (\d+)$/.exec(line)
      if (m) resolve(Number(m[1]))
    })
    void exited.then(() => reject(new Error(`mlmd_grpc_server.py exited before serving:\n${stderr}`)))
  })
  return {
    port,
    stop: async () => {
      child.stdin?.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

// -- counting what an answer holds --------------------------------------------------------------

interface Decoded {
  artifacts?: unknown[]
  executions?: unknown[]
  contexts?: unknown[]
  artifact_types?: unknown[]
  lineage_subgraph?: { artifacts?: unknown[]; executions?: unknown[]; contexts?: unknown[] }
}

/**
 * Nodes (artifacts, executions, contexts) an answer returns. For the lineage call, the nodes of
 * the graph the client returns: those of its hydrating calls (the first answer's nodes, whole or
 * ids only, are the same nodes).
 */
function nodesIn(answers: readonly Recorded[]): number {
  let nodes = 0
  for (const { rpc, response } of answers) {
    if (rpc === 'GetLineageSubgraph') continue
    const message = messageType(`ml_metadata.${rpc}Response`).decode(response) as unknown as Decoded
    nodes +=
      (message.artifacts?.length ?? 0) + (message.executions?.length ?? 0) + (message.contexts?.length ?? 0)
  }
  return nodes
}

// -- the run ------------------------------------------------------------------------------------

type Target =
  | 'mlmd-ts'
  | 'floor'
  | 'mlmd-grpc'
  | 'mlmd'
  | 'mlmd-ts in-thread'
  | 'mlmd-ts whole'
  | 'floor whole'

const TARGET_LABELS: Record<Target, string> = {
  'mlmd-ts': 'mlmd-ts serve',
  floor: 'bare grpc-js, same bytes',
  'mlmd-grpc': 'MLMD behind Python gRPC',
  mlmd: 'MLMD in process',
  'mlmd-ts in-thread': 'mlmd-ts serve --read_workers 0',
  'mlmd-ts whole': 'mlmd-ts serve --lineage_nodes whole',
  'floor whole': 'bare grpc-js, same bytes as --lineage_nodes whole',
}

interface Row {
  readonly workload: string
  readonly op: string
  readonly nodes: number
  /** Bytes of the answers of one call (all six for lineage), as mlmd-ts sent them. */
  readonly bytes: number
  readonly rpcs: number
  readonly targets: Partial<Record<Target, Summary>>
  readonly ownUsPerCall: number
  readonly ownUsPerNode: number | null
  readonly ratioToFloor: number
}

const log = (text: string) => process.stderr.write(`${text}\n`)
const started = Date.now()
const loadAtStart = os.loadavg()[0] ?? Number.NaN
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlmd-bench-server-'))
const files = {
  ts: path.join(dir, 'ts.sqlite'),
  mlmd: path.join(dir, 'mlmd.sqlite'),
  grpc: path.join(dir, 'grpc.sqlite'),
}
const stops: (() => unknown)[] = []
const driver: Driver = pyDriver('py')
stops.push(() => driver.stop())

async function run(
  handle: string,
  workload: Pick<Workload, 'op' | 'req' | 'pyPublic'>,
  calls: number,
): Promise<RunResult> {
  const items = Array.from({ length: calls }, () => ({ req: workload.req }))
  const result = await driver.request<RunResult>({
    cmd: 'run',
    handle,
    op: workload.op,
    items,
    ...(workload.pyPublic === true ? { pyPublic: true } : {}),
  })
  const errors = Object.entries(result.codes)
  if (errors.length > 0) throw new Error(`${handle} ${workload.op}: errors ${JSON.stringify(result.codes)}`)
  return result
}

async function measure(workload: Workload, targets: readonly Target[], handles: Record<Target, string>) {
  const latencies = Object.fromEntries(targets.map((t) => [t, [] as number[]])) as Record<Target, number[]>
  // Warm every target (connections, statement caches) before the timed rounds.
  for (const target of targets) await run(handles[target], workload, Math.min(10, workload.calls))
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(round + i) % targets.length] as Target
      const result = await run(handles[target], workload, workload.calls)
      latencies[target].push(...result.lat_us)
    }
  }
  return Object.fromEntries(targets.map((t) => [t, summarize(latencies[t])])) as Partial<
    Record<Target, Summary>
  >
}

try {
  const serve = await Server.start(files.ts)
  stops.push(() => serve.stop())
  const replay = new ReplayServer(serve.port)
  await replay.start()
  stops.push(() => replay.stop())
  const mlmdGrpc = WITH_MLMD_GRPC ? await startMlmdGrpc(files.grpc) : undefined
  if (mlmdGrpc !== undefined) stops.push(() => mlmdGrpc.stop())
  const inThread = WITH_IN_THREAD
    ? await Server.start(files.ts, undefined, undefined, ['--read_workers', '0'])
    : undefined
  if (inThread !== undefined) stops.push(() => inThread.stop())

  const handles: Record<Target, string> = {
    'mlmd-ts': 'ts',
    floor: 'floor',
    'mlmd-grpc': 'mlmd-grpc',
    mlmd: 'mlmd',
    'mlmd-ts in-thread': 'ts-in-thread',
    'mlmd-ts whole': 'ts-whole',
    'floor whole': 'floor-whole',
  }
  await driver.request({ cmd: 'open', handle: 'ts', spec: { kind: 'grpc', port: serve.port } })
  await driver.request({ cmd: 'open', handle: 'record', spec: { kind: 'grpc', port: replay.port } })
  await driver.request({ cmd: 'open', handle: 'floor', spec: { kind: 'grpc', port: replay.port } })
  await driver.request({ cmd: 'open', handle: 'mlmd', spec: { kind: 'mlmd', db: files.mlmd } })
  if (mlmdGrpc !== undefined) {
    await driver.request({ cmd: 'open', handle: 'mlmd-grpc', spec: { kind: 'grpc', port: mlmdGrpc.port } })
  }
  if (inThread !== undefined) {
    await driver.request({ cmd: 'open', handle: 'ts-in-thread', spec: { kind: 'grpc', port: inThread.port } })
  }
  const base: Target[] = [
    'mlmd-ts',
    'floor',
    ...(mlmdGrpc === undefined ? [] : ['mlmd-grpc' as const]),
    'mlmd',
    ...(inThread === undefined ? [] : ['mlmd-ts in-thread' as const]),
  ]
  const rows: Row[] = []

  const recordOn = async (server: ReplayServer, handle: string, workload: Workload) => {
    server.recording = workload.name
    try {
      await run(handle, workload, 1)
    } finally {
      server.recording = undefined
    }
  }
  const rowOf = (
    workload: Workload,
    targets: Partial<Record<Target, Summary>>,
    answers: Recorded[],
    ours: Target,
    floor: Target,
  ): Row => {
    const nodes = nodesIn(answers)
    const own = (targets[ours]?.p50_us ?? Number.NaN) - (targets[floor]?.p50_us ?? Number.NaN)
    return {
      workload: workload.name,
      op: workload.op,
      nodes,
      bytes: answers.reduce((sum, a) => sum + a.response.length, 0),
      rpcs: answers.length,
      targets,
      ownUsPerCall: own,
      ownUsPerNode: nodes > 0 ? own / nodes : null,
      ratioToFloor: (targets[ours]?.p50_us ?? Number.NaN) / (targets[floor]?.p50_us ?? Number.NaN),
    }
  }
  const measureAndReport = async (workload: Workload) => {
    log(`${workload.name}: ${ROUNDS} rounds of ${workload.calls} calls on ${base.join(', ')}`)
    await recordOn(replay, 'record', workload)
    const summaries = await measure(workload, base, handles)
    rows.push(rowOf(workload, summaries, replay.answersOf(workload.name), 'mlmd-ts', 'floor'))
  }

  for (const workload of MEASURED.filter((w) => w.empty === true)) await measureAndReport(workload)

  log(`filling every store: ${DATASETS} datasets, a run of ${CHAIN_STEPS} steps`)
  for (const step of fillSteps()) {
    for (const handle of ['ts', 'mlmd', ...(mlmdGrpc === undefined ? [] : ['mlmd-grpc'])]) {
      const result = await driver.request<RunResult>({ cmd: 'run', handle, op: step.op, items: step.items })
      if (Object.keys(result.codes).length > 0) {
        throw new Error(`filling ${handle}: ${step.op} answered ${JSON.stringify(result.codes)}`)
      }
    }
  }
  const prints = Object.entries(files)
    .filter(([name]) => name !== 'grpc' || mlmdGrpc !== undefined)
    .map(([name, file]) => [name, fingerprint(file)] as const)
  if (new Set(prints.map(([, p]) => p)).size !== 1) {
    throw new Error(`the stores differ after the fill:\n${prints.map(([n, p]) => `  ${n}: ${p}`).join('\n')}`)
  }

  for (const workload of MEASURED.filter((w) => w.empty !== true)) await measureAndReport(workload)

  // The lineage call again, against a server that answers the first call with whole nodes.
  const whole = await Server.start(files.ts, undefined, undefined, ['--lineage_nodes', 'whole'])
  stops.push(() => whole.stop())
  const wholeReplay = new ReplayServer(whole.port)
  await wholeReplay.start()
  stops.push(() => wholeReplay.stop())
  await driver.request({ cmd: 'open', handle: 'ts-whole', spec: { kind: 'grpc', port: whole.port } })
  await driver.request({
    cmd: 'open',
    handle: 'record-whole',
    spec: { kind: 'grpc', port: wholeReplay.port },
  })
  await driver.request({ cmd: 'open', handle: 'floor-whole', spec: { kind: 'grpc', port: wholeReplay.port } })
  const lineageWhole: Workload = { ...LINEAGE, name: `${LINEAGE.name}, --lineage_nodes whole` }
  log(`${lineageWhole.name}: ${ROUNDS} rounds of ${LINEAGE.calls} calls`)
  await recordOn(wholeReplay, 'record-whole', lineageWhole)
  await recordOn(replay, 'record', lineageWhole)
  const pair = await measure(lineageWhole, ['mlmd-ts', 'floor', 'mlmd-ts whole', 'floor whole'], handles)
  rows.push(
    rowOf(
      lineageWhole,
      { 'mlmd-ts': pair['mlmd-ts whole'], floor: pair['floor whole'] },
      wholeReplay.answersOf(lineageWhole.name),
      'mlmd-ts',
      'floor',
    ),
  )
  rows.push(
    rowOf(
      { ...LINEAGE, name: `${LINEAGE.name}, ids-only first answer (same rounds)` },
      { 'mlmd-ts': pair['mlmd-ts'], floor: pair.floor },
      replay.answersOf(lineageWhole.name),
      'mlmd-ts',
      'floor',
    ),
  )
  if (replay.misses + wholeReplay.misses > 0)
    throw new Error('the floor was asked a request it never recorded')

  // -- report --------------------------------------------------------------------------------
  const us = (v: number | undefined) =>
    v === undefined || !Number.isFinite(v)
      ? '–'
      : v >= 10_000
        ? `${(v / 1000).toFixed(1)} ms`
        : `${Math.round(v).toLocaleString('en-US')}`
  const cell = (s: Summary | undefined) => (s === undefined ? '–' : `${us(s.p50_us)} (${us(s.p99_us)})`)
  const threadColumns = inThread === undefined ? '' : ' --read_workers 0 | its own µs/call |'
  const header = [
    `| call | nodes | answer bytes | mlmd-ts | floor | MLMD behind gRPC | MLMD in process | mlmd-ts ÷ floor | own µs/call | own µs/node |${threadColumns}`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${inThread === undefined ? '' : ' ---: | ---: |'}`,
  ]
  const threadCells = (r: Row) => {
    if (inThread === undefined) return ''
    const own =
      (r.targets['mlmd-ts in-thread']?.p50_us ?? Number.NaN) - (r.targets.floor?.p50_us ?? Number.NaN)
    return ` ${cell(r.targets['mlmd-ts in-thread'])} | ${us(own)} |`
  }
  const lines = rows.map(
    (r) =>
      `| ${r.workload} | ${r.nodes.toLocaleString('en-US')} | ${r.bytes.toLocaleString('en-US')} | ${cell(r.targets['mlmd-ts'])} | ${cell(r.targets.floor)} | ${cell(r.targets['mlmd-grpc'])} | ${cell(r.targets.mlmd)} | ${r.ratioToFloor.toFixed(2)}× | ${us(r.ownUsPerCall)} | ${r.ownUsPerNode === null ? '–' : r.ownUsPerNode.toFixed(1)} |${threadCells(r)}`,
  )
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}), load average ${loadAtStart.toFixed(2)} at start and ${(os.loadavg()[0] ?? Number.NaN).toFixed(2)} at end; Node ${process.version}; ${Math.round((Date.now() - started) / 1000)} s`
  const md = [
    '# Server cost per call and per node: `npm run bench:server`',
    '',
    `Per call through the official Python client, µs: median (p99) of ${ROUNDS} interleaved rounds. ${machine}.`,
    '',
    ...header,
    ...lines,
    '',
    '- **floor**: a bare grpc-js server answering each request with the bytes mlmd-ts answered it (recorded first, replayed by request bytes).',
    '- **own µs/call** = mlmd-ts − floor (medians); **own µs/node** divides it by the nodes the call returns (for lineage, the nodes of the graph the client returns).',
    '- **answer bytes**: all answers of one call as mlmd-ts sent them (lineage: six RPCs).',
    '- The last two rows come from one set of rounds of the lineage call against two servers on the same file, `--lineage_nodes whole` and the default, each with its own floor.',
    '',
  ].join('\n')
  process.stdout.write(`${md}\n`)
  const outDir = path.join(ROOT, 'bench', 'results')
  mkdirSync(outDir, { recursive: true })
  writeFileSync(path.join(outDir, `${RESULTS_NAME}.md`), md)
  const jsonFile = path.join(outDir, `${RESULTS_NAME}.json`)
  writeFileSync(
    jsonFile,
    `${JSON.stringify(
      {
        machine: {
          cores: os.cpus().length,
          model: os.cpus()[0]?.model.trim(),
          node: process.version,
          loadavg_start: loadAtStart,
          loadavg_end: os.loadavg()[0],
        },
        rounds: ROUNDS,
        quick: QUICK,
        targets: TARGET_LABELS,
        workloads: MEASURED.map(({ name, op, req, calls, pyPublic }) => ({
          name,
          op,
          req,
          calls,
          pyPublic,
        })),
        rows,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      null,
      2,
    )}\n`,
  )
  // Formatted as the repository's formatter wants it, so that `npm run check` stays green.
  try {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', jsonFile], {
      stdio: 'ignore',
    })
  } catch {
    // an unformatted file is still a valid result
  }
} finally {
  for (const stop of stops.reverse()) await stop()
  if (args.keep === true) log(`kept the store files in ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}
