/**
 * The TS driver: runs work items against mlmd-ts in-process (`ts`) or against the bare
 * better-sqlite3 floor (`floor`), timing each call, and answers on stdout (protocol.ts).
 *
 * With a server database in the open spec, `ts` is the asynchronous store on PostgreSQL or
 * MySQL (openMetadataStore), timed around each awaited call.
 *
 * Run by bench/run.ts and bench/engines.ts as `node --import tsx bench/drivers/ts-driver.ts`.
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import Database from 'better-sqlite3'
import {
  Code,
  codeToString,
  createMetadataStore,
  MlmdError,
  type OwnedMetadataStore,
} from '../../src/index.js'
import { type OwnedAsyncMetadataStore, openMetadataStore } from '../../src/store/server-engine-store.js'
import type { Command, MemResult, Reply, RunResult, WorkItem } from '../lib/protocol.js'
import { reviveInt64 } from '../lib/protocol.js'
import { buildRuns, buildRunsAsync } from '../lib/scale.js'
import { Floor } from './floor.js'

type Handle =
  | { kind: 'ts'; store: OwnedMetadataStore }
  | { kind: 'floor'; floor: Floor }
  | { kind: 'server'; store: OwnedAsyncMetadataStore }

const handles = new Map<string, Handle>()

function send(reply: Reply): void {
  process.stdout.write(`${JSON.stringify(reply)}\n`)
}

export function memory(): MemResult {
  const status = readFileSync('/proc/self/status', 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
  return { hwm_kb: kb('VmHWM'), rss_kb: kb('VmRSS') }
}

function handle(name: string): Handle {
  const h = handles.get(name)
  if (!h) throw new Error(`no open handle ${name}`)
  return h
}

const lowerFirst = (op: string) => `${op.charAt(0).toLowerCase()}${op.slice(1)}`

// One call; returns the gRPC code name of a failure, or undefined on success.
function callOnce(
  h: Exclude<Handle, { kind: 'server' }>,
  method: string,
  op: string,
  item: WorkItem,
): string | undefined {
  try {
    if (h.kind === 'ts') {
      ;(h.store as unknown as Record<string, (r: unknown) => unknown>)[method]?.(item.req)
    } else {
      h.floor.call(op, item.req, item.floor)
    }
    return undefined
  } catch (error) {
    return failureCode(error)
  }
}

// The gRPC code name of a failed call; anything that is not a store error stops the run.
function failureCode(error: unknown): string {
  if (error instanceof MlmdError) return codeToString(error.code).toUpperCase()
  if (error instanceof Database.SqliteError) {
    return error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED')
      ? codeToString(Code.Aborted).toUpperCase()
      : `SQLITE:${error.code}`
  }
  throw error
}

async function callServer(
  h: Extract<Handle, { kind: 'server' }>,
  method: string,
  item: WorkItem,
): Promise<string | undefined> {
  try {
    await (h.store as unknown as Record<string, (r: unknown) => Promise<unknown>>)[method]?.(item.req)
    return undefined
  } catch (error) {
    return failureCode(error)
  }
}

async function runServer(
  h: Extract<Handle, { kind: 'server' }>,
  cmd: Extract<Command, { cmd: 'run' }>,
): Promise<RunResult> {
  const method = lowerFirst(cmd.op)
  if (typeof (h.store as unknown as Record<string, unknown>)[method] !== 'function') {
    throw new Error(`the store has no ${method}`)
  }
  const lat: number[] = []
  const codes: Record<string, number> = {}
  let aborted = 0
  const deadline = cmd.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + cmd.deadlineMs
  const start = Date.now()
  for (const item of cmd.items) {
    if (Date.now() >= deadline) break
    const t0 = process.hrtime.bigint()
    let code = await callServer(h, method, item)
    while (code === 'ABORTED' && cmd.retryAborted) {
      aborted++
      code = await callServer(h, method, item)
    }
    const t1 = process.hrtime.bigint()
    lat.push(Number(t1 - t0) / 1000)
    if (code !== undefined) codes[code] = (codes[code] ?? 0) + 1
  }
  return { lat_us: lat, codes, aborted, start_ms: start, end_ms: Date.now() }
}

function run(cmd: Extract<Command, { cmd: 'run' }>): RunResult | Promise<RunResult> {
  const h = handle(cmd.handle)
  if (h.kind === 'server') return runServer(h, cmd)
  const method = lowerFirst(cmd.op)
  if (h.kind === 'ts' && typeof (h.store as unknown as Record<string, unknown>)[method] !== 'function') {
    throw new Error(`the store has no ${method}`)
  }
  const items = cmd.items
  const lat: number[] = []
  const codes: Record<string, number> = {}
  let aborted = 0
  const deadline = cmd.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + cmd.deadlineMs
  const start = Date.now()
  for (const item of items) {
    if (Date.now() >= deadline) break
    const t0 = process.hrtime.bigint()
    let code = callOnce(h, method, cmd.op, item)
    while (code === 'ABORTED' && cmd.retryAborted) {
      aborted++
      code = callOnce(h, method, cmd.op, item)
    }
    const t1 = process.hrtime.bigint()
    lat.push(Number(t1 - t0) / 1000)
    if (code !== undefined) codes[code] = (codes[code] ?? 0) + 1
  }
  return { lat_us: lat, codes, aborted, start_ms: start, end_ms: Date.now() }
}

async function openServer(name: string, url: string): Promise<undefined> {
  handles.set(name, { kind: 'server', store: await openMetadataStore(url) })
  return undefined
}

function execute(cmd: Command): unknown {
  switch (cmd.cmd) {
    case 'open': {
      const { spec } = cmd
      if (spec.server !== undefined) {
        if (spec.kind !== 'ts') throw new Error(`the TS driver cannot open ${spec.kind} on a server`)
        return openServer(cmd.handle, spec.server.url)
      }
      if (!spec.db) throw new Error('open needs a db')
      if (spec.kind === 'ts')
        handles.set(cmd.handle, { kind: 'ts', store: createMetadataStore({ filename: spec.db }) })
      else if (spec.kind === 'floor') {
        // The schema comes from our store; after that, only bare statements touch the file.
        createMetadataStore({ filename: spec.db }).close()
        handles.set(cmd.handle, { kind: 'floor', floor: new Floor(spec.db) })
      } else throw new Error(`the TS driver cannot open ${spec.kind}`)
      return undefined
    }
    case 'run':
      return run(cmd)
    case 'build': {
      const h = handle(cmd.handle)
      if (h.kind === 'server')
        return buildRunsAsync(h.store, cmd.spec, (done) => send({ progress: `${done} runs` }))
      if (h.kind !== 'ts') throw new Error('build needs a ts handle')
      return buildRuns(h.store, cmd.spec, (done) => send({ progress: `${done} runs` }))
    }
    case 'close': {
      const h = handles.get(cmd.handle)
      handles.delete(cmd.handle)
      if (h?.kind === 'ts') h.store.close()
      if (h?.kind === 'floor') h.floor.close()
      if (h?.kind === 'server') return h.store.close().then(() => undefined)
      return undefined
    }
    case 'mem':
      return memory()
    case 'exit':
      return Promise.all(
        [...handles.keys()].map((name) => execute({ seq: 0, cmd: 'close', handle: name })),
      ).then(() => process.exit(0))
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
lines.on('line', (line) => {
  if (line.trim() === '') return
  // Requests are revived (int64 as bigint) here, before any timing starts.
  const cmd = JSON.parse(line, reviveInt64) as Command
  const fail = (error: unknown) =>
    send({
      seq: cmd.seq,
      ok: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    })
  try {
    const result = execute(cmd)
    // Server stores answer later; in-process ones (timed synchronously) answer at once.
    if (result instanceof Promise)
      result.then((value) => send({ seq: cmd.seq, ok: true, result: value }), fail)
    else send({ seq: cmd.seq, ok: true, result })
  } catch (error) {
    fail(error)
  }
})
// Server stores hold pooled connections that would keep the process alive: close them first.
lines.on('close', () => {
  Promise.all(
    [...handles.entries()].map(([, h]) => (h.kind === 'server' ? h.store.close() : undefined)),
  ).finally(() => process.exit(0))
})
