/**
 * The TS driver: runs work items against mlmd-ts in-process (`ts`) or against the bare
 * better-sqlite3 floor (`floor`), timing each call, and answers on stdout (protocol.ts).
 *
 * Run by bench/run.ts as `node --import tsx bench/drivers/ts-driver.ts`.
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
import type { Command, MemResult, Reply, RunResult, WorkItem } from '../lib/protocol.js'
import { reviveInt64 } from '../lib/protocol.js'
import { buildRuns } from '../lib/scale.js'
import { Floor } from './floor.js'

type Handle = { kind: 'ts'; store: OwnedMetadataStore } | { kind: 'floor'; floor: Floor }

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
function callOnce(h: Handle, method: string, op: string, item: WorkItem): string | undefined {
  try {
    if (h.kind === 'ts') {
      ;(h.store as unknown as Record<string, (r: unknown) => unknown>)[method]?.(item.req)
    } else {
      h.floor.call(op, item.req, item.floor)
    }
    return undefined
  } catch (error) {
    if (error instanceof MlmdError) return codeToString(error.code).toUpperCase()
    if (error instanceof Database.SqliteError) {
      return error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED')
        ? codeToString(Code.Aborted).toUpperCase()
        : `SQLITE:${error.code}`
    }
    throw error
  }
}

function run(cmd: Extract<Command, { cmd: 'run' }>): RunResult {
  const h = handle(cmd.handle)
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

function execute(cmd: Command): unknown {
  switch (cmd.cmd) {
    case 'open': {
      const { spec } = cmd
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
      if (h.kind !== 'ts') throw new Error('build needs a ts handle')
      return buildRuns(h.store, cmd.spec, (done) => send({ progress: `${done} runs` }))
    }
    case 'close': {
      const h = handles.get(cmd.handle)
      if (h?.kind === 'ts') h.store.close()
      if (h?.kind === 'floor') h.floor.close()
      handles.delete(cmd.handle)
      return undefined
    }
    case 'mem':
      return memory()
    case 'exit':
      for (const name of [...handles.keys()]) execute({ seq: 0, cmd: 'close', handle: name })
      process.exit(0)
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
lines.on('line', (line) => {
  if (line.trim() === '') return
  // Requests are revived (int64 as bigint) here, before any timing starts.
  const cmd = JSON.parse(line, reviveInt64) as Command
  try {
    send({ seq: cmd.seq, ok: true, result: execute(cmd) })
  } catch (error) {
    send({
      seq: cmd.seq,
      ok: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    })
  }
})
lines.on('close', () => process.exit(0))
