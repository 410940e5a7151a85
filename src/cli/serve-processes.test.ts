// `mlmd-ts serve --processes 2` as real processes (the supervisor and two children sharing one
// port) on a SQLite file, PostgreSQL and MariaDB. Which child served a call is read from the
// server's debug log: each client tags its calls with an x-request-id, and each child's log lines
// carry its process number.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../client/index.js'
import { Code, MlmdError } from '../errors.js'
import { Event_Type, PropertyType } from '../proto/messages.js'
import { freshDatabase, type ServerEngine } from '../storage/engine-servers.test-support.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { check } from './check.js'
import type { CliIo } from './io.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSX = createRequire(import.meta.url).resolve('tsx')
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
// A loaded 2-core machine starts three tsx processes slowly.
const START_TIMEOUT_MS = 90_000

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

// Whatever a failed test left running is stopped here (the children stop by themselves once
// their supervisor is gone).
const running: ChildProcess[] = []
afterEach(() => {
  for (const supervisor of running.splice(0)) {
    if (supervisor.exitCode !== null || supervisor.signalCode !== null) continue
    for (const pid of servingChildren(supervisor.pid as number)) process.kill(pid, 'SIGKILL')
    supervisor.kill('SIGKILL')
  }
})

function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-processes-'))
  dirs.push(dir)
  return path.join(dir, 'mlmd.sqlite')
}

interface Cluster {
  readonly supervisor: ChildProcess
  readonly port: number
  readonly metricsPort: number | undefined
  /** Children's pids, as the supervisor logged them at start. */
  readonly pids: number[]
  stdout(): string
  stderr(): string
  /** Resolves with the supervisor's exit code (or signal name). */
  readonly exited: Promise<number | string>
}

async function startCluster(db: string, extra: readonly string[] = []): Promise<Cluster> {
  const supervisor = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      MAIN,
      'serve',
      '--db',
      db,
      '--port',
      '0',
      '--processes',
      '2',
      '--log_level',
      'debug',
      ...extra,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  running.push(supervisor)
  let out = ''
  let err = ''
  supervisor.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  supervisor.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exited = new Promise<number | string>((resolve) =>
    supervisor.once('exit', (code, signal) => resolve(code ?? (signal as string))),
  )
  const started = Date.now()
  for (;;) {
    const line = /^mlmd-ts serving .* on 127\.0\.0\.1:(\d+) .*$/m.exec(out)
    const pids = logLines(err).find((l) => Array.isArray(l.pids))?.pids as number[] | undefined
    if (line !== null && pids !== undefined) {
      const metrics = / metrics on 127\.0\.0\.1:(\d+)\/metrics/.exec(line[0])
      return {
        supervisor,
        port: Number(line[1]),
        metricsPort: metrics === null ? undefined : Number(metrics[1]),
        pids,
        stdout: () => out,
        stderr: () => err,
        exited,
      }
    }
    if (supervisor.exitCode !== null || Date.now() - started > START_TIMEOUT_MS) {
      supervisor.kill('SIGKILL')
      throw new Error(`serve --processes 2 did not start (exit ${supervisor.exitCode}):\n${out}\n${err}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function stopCluster(cluster: Cluster): Promise<number | string> {
  if (cluster.supervisor.exitCode === null) cluster.supervisor.kill('SIGTERM')
  const timer = setTimeout(() => cluster.supervisor.kill('SIGKILL'), 30_000)
  const code = await cluster.exited
  clearTimeout(timer)
  return code
}

function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// The serving children of `supervisor` now (not the esbuild helper tsx may start).
function servingChildren(supervisor: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        return parent === supervisor && command.includes(MAIN) ? [Number(entry)] : []
      } catch {
        return []
      }
    })
}

// Every call of the client carries `x-request-id: <tag>`, which the serving child logs.
function taggedClient(port: number, tag: string): MetadataStoreClient {
  const tagging: Interceptor = (options, next) =>
    new InterceptingCall(next(options), {
      start(metadata, listener, start) {
        metadata.set('x-request-id', tag)
        start(metadata, listener)
      },
    })
  return createMetadataStoreClient({
    host: '127.0.0.1',
    port,
    // A connection of its own: grpc-js shares one between the channels of a process otherwise.
    channelOptions: { interceptors: [tagging], 'grpc.use_local_subchannel_pool': 1 },
  })
}

// The child (1 or 2) that served the calls tagged `tag`: one, since a client keeps its connection.
async function servingProcess(cluster: Cluster, tag: string): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const served = new Set(
      logLines(cluster.stderr())
        .filter((l) => l.request_id === tag)
        .map((l) => l.process),
    )
    if (served.size > 1) throw new Error(`calls tagged ${tag} were served by processes ${[...served]}`)
    const [only] = served
    if (typeof only === 'number') return only
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no log line for ${tag}`)
}

// Clients until both children serve at least `each` of them (node:cluster deals connections
// out in turn, so this takes 2 × each clients unless another connection came in between).
async function clientsOnBothProcesses(
  cluster: Cluster,
  each: number,
): Promise<{ client: MetadataStoreClient; process: number }[]> {
  const clients: { client: MetadataStoreClient; process: number }[] = []
  for (let i = 0; i < 4 * each; i++) {
    const tag = `client-${i}`
    const client = taggedClient(cluster.port, tag)
    await client.getArtifactTypes({})
    clients.push({ client, process: await servingProcess(cluster, tag) })
    const counts = [1, 2].map((p) => clients.filter((c) => c.process === p).length)
    if (counts.every((n) => n >= each)) return clients
  }
  throw new Error(`connections did not reach both processes: ${clients.map((c) => c.process)}`)
}

function codeName(error: unknown): string {
  return error instanceof MlmdError ? (Code[error.code] as string) : `not an MlmdError: ${String(error)}`
}

interface Target {
  readonly name: string
  database(): Promise<{ readonly db: string; drop(): Promise<void> } | undefined>
}

const targets: Target[] = [
  { name: 'a SQLite file', database: async () => ({ db: tempFile(), drop: async () => {} }) },
  ...(['postgresql', 'mysql'] as ServerEngine[]).map((engine) => ({
    name: engine,
    database: async () => {
      const database = await freshDatabase(engine)
      return database === undefined ? undefined : { db: database.url, drop: () => database.drop() }
    },
  })),
]

describe.each(targets)('serve --processes 2 on $name', (target) => {
  it('types, type changes and nodes written through one process are read through the other on the next call', async (context) => {
    const database = await target.database()
    if (database === undefined) return context.skip()
    const cluster = await startCluster(database.db)
    const clients: MetadataStoreClient[] = []
    try {
      expect(cluster.stdout()).toMatch(
        /; 2 serving processes(, each with \d+ read workers and 1 write worker)?\n/,
      )
      const both = await clientsOnBothProcesses(cluster, 1)
      clients.push(...both.map((c) => c.client))
      const writer = both.find((c) => c.process === 1)?.client as MetadataStoreClient
      const reader = both.find((c) => c.process === 2)?.client as MetadataStoreClient
      // The reader's process has read (and memoised) the types before each change.
      for (let round = 0; round < 5; round++) {
        const properties: Record<string, PropertyType> = {}
        for (let p = 0; p <= round; p++) properties[`p${p}`] = PropertyType.INT
        expect((await reader.getArtifactTypes({})).artifact_types.length).toBe(round === 0 ? 0 : 1)
        const { type_id } = await writer.putArtifactType({
          artifact_type: { name: 'Evolving', properties },
          can_add_fields: true,
        })
        const seen = await reader.getArtifactType({ type_name: 'Evolving' })
        expect(seen.artifact_type?.id).toBe(type_id)
        expect(Object.keys(seen.artifact_type?.properties ?? {}).sort()).toEqual(
          Object.keys(properties).sort(),
        )
        const { artifact_ids } = await writer.putArtifacts({
          artifacts: [
            {
              type_id,
              uri: `s3://round/${round}`,
              properties: { [`p${round}`]: { int_value: BigInt(round) } },
            },
          ],
        })
        const read = await reader.getArtifactsByID({ artifact_ids })
        expect(read.artifacts.map((a) => a.uri)).toEqual([`s3://round/${round}`])
        expect(read.artifacts[0]?.properties?.[`p${round}`]?.int_value).toBe(BigInt(round))
      }
    } finally {
      for (const client of clients) client.close()
      expect(await stopCluster(cluster)).toBe(0)
      await database.drop()
    }
  }, 180_000)

  it('writers on both processes at once: every acknowledged write stored once, shared names created once', async (context) => {
    const database = await target.database()
    if (database === undefined) return context.skip()
    const cluster = await startCluster(database.db)
    const clients: MetadataStoreClient[] = []
    try {
      const writers = await clientsOnBothProcesses(cluster, 2)
      clients.push(...writers.map((c) => c.client))
      const until = Date.now() + 6_000
      const errors = new Map<string, number>()
      const typeIds = new Set<bigint>()
      const contextIds = new Map<string, Set<bigint>>()
      let executions = 0
      await Promise.all(
        writers.map(async ({ client }, w) => {
          for (let i = 0; Date.now() < until; i++) {
            try {
              const { type_id } = await client.putArtifactType({ artifact_type: { name: 'Shared' } })
              typeIds.add(type_id as bigint)
              const step = await client.putExecutionType({ execution_type: { name: 'shared-step' } })
              const run = await client.putContextType({ context_type: { name: 'shared-run' } })
              const name = `run-${i % 3}`
              const done = await client.putExecution({
                execution: { type_id: step.type_id, name: `w${w}-${i}` },
                artifact_event_pairs: [
                  { artifact: { type_id, uri: `w${w}-${i}` }, event: { type: Event_Type.OUTPUT } },
                ],
                contexts: [{ type_id: run.type_id, name }],
                options: { reuse_context_if_already_exist: true },
              })
              const ids = contextIds.get(name) ?? new Set()
              ids.add(done.context_ids[0] as bigint)
              contextIds.set(name, ids)
              executions++
            } catch (error) {
              const code = codeName(error)
              errors.set(code, (errors.get(code) ?? 0) + 1)
            }
          }
        }),
      )
      expect([...errors.keys()].filter((code) => code !== 'Aborted')).toEqual([])
      expect(executions).toBeGreaterThan(10)
      expect(typeIds.size).toBe(1)
      for (const ids of contextIds.values()) expect(ids.size).toBe(1)
      // Counted through the other process than the one each writer used, and through both.
      for (const { client } of writers.slice(0, 2)) {
        expect((await client.getExecutionsByType({ type_name: 'shared-step' })).executions).toHaveLength(
          executions,
        )
        const artifacts = (await client.getArtifactsByType({ type_name: 'Shared' })).artifacts
        expect(artifacts).toHaveLength(executions)
        expect(new Set(artifacts.map((a) => a.uri)).size).toBe(executions)
        expect((await client.getContextsByType({ type_name: 'shared-run' })).contexts).toHaveLength(3)
      }
    } finally {
      for (const client of clients) client.close()
      expect(await stopCluster(cluster)).toBe(0)
      await database.drop()
    }
  }, 180_000)
})

describe('serve --processes 2 on a SQLite file: lifecycle', () => {
  it('SIGTERM stops the supervisor and both children within seconds, with every write in the file and the file intact', async () => {
    const file = tempFile()
    const cluster = await startCluster(file)
    const clients = await clientsOnBothProcesses(cluster, 1)
    const first = clients[0] as { client: MetadataStoreClient }
    const { type_id } = await first.client.putArtifactType({
      artifact_type: { name: 'Data' },
    })
    // Writes in flight on both processes when the signal comes.
    let acknowledged = 0
    const writing = clients.map(async ({ client }, w) => {
      for (let i = 0; ; i++) {
        try {
          await client.putArtifacts({ artifacts: [{ type_id, uri: `w${w}-${i}` }] })
          acknowledged++
        } catch {
          return
        }
      }
    })
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const signalled = Date.now()
    cluster.supervisor.kill('SIGTERM')
    expect(await cluster.exited).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(10_000)
    await Promise.all(writing)
    for (const client of clients) client.client.close()
    expect(cluster.pids.filter(alive)).toEqual([])
    expect(cluster.stderr()).toContain('mlmd-ts: shutting down 2 serving processes')
    expect(cluster.stderr()).toMatch(/mlmd-ts: stopped\n$/)

    const lines: string[] = []
    const io: CliIo = {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      cwd: ROOT,
      waitForSignal: async () => {},
    }
    expect(await check(['--db', file], io)).toBe(0)
    const store = createMetadataStore({ filename: file })
    try {
      const stored = store.getArtifactsByType({ type_name: 'Data' }).artifacts.length
      // Every answered write is stored; a write whose answer the shutdown cut may be stored too.
      expect(stored).toBeGreaterThanOrEqual(acknowledged)
      expect(stored).toBeLessThanOrEqual(acknowledged + clients.length)
      expect(acknowledged).toBeGreaterThan(0)
    } finally {
      store.close()
    }
  }, 180_000)

  it('a killed child is reported and replaced while the other serves on; metrics add up both children', async () => {
    const cluster = await startCluster(tempFile(), ['--metrics_port', '0'])
    const clients: MetadataStoreClient[] = []
    try {
      const victim = cluster.pids[0] as number
      const survivor = cluster.pids[1] as number
      process.kill(victim, 'SIGKILL')
      for (let waited = 0; !/"msg":"serving process replaced"/.test(cluster.stderr()); waited += 100) {
        if (waited > START_TIMEOUT_MS) throw new Error(`not replaced:\n${cluster.stderr()}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(cluster.stderr()).toContain(
        `mlmd-ts: serving process 1 (pid ${victim}) was killed (SIGKILL); starting another`,
      )
      const replaced = logLines(cluster.stderr()).find((l) => l.msg === 'serving process replaced')
      const replacement = replaced?.pid as number
      expect([alive(victim), alive(survivor), alive(replacement)]).toEqual([false, true, true])
      expect(cluster.supervisor.exitCode).toBe(null)

      // Both children answer again, and the supervisor's metrics count the calls of both.
      const both = await clientsOnBothProcesses(cluster, 1)
      clients.push(...both.map((c) => c.client))
      for (const client of clients) for (let i = 0; i < 5; i++) await client.getArtifactTypes({})
      const text = await (await fetch(`http://127.0.0.1:${cluster.metricsPort}/metrics`)).text()
      const counted = /^mlmd_rpc_calls_total\{rpc="GetArtifactTypes",code="OK"\} (\d+)$/m.exec(text)
      // The killed child had answered nothing: every call so far was answered by the living two.
      expect(Number(counted?.[1])).toBe(clients.length * 6)
      expect(text).toMatch(/^mlmd_pool_workers\{access="write"\} 2$/m)
    } finally {
      for (const client of clients) client.close()
      expect(await stopCluster(cluster)).toBe(0)
    }
  }, 240_000)

  it('children that keep dying: after 6 exits within a minute the supervisor stops and exits with code 1', async () => {
    const cluster = await startCluster(tempFile())
    const supervisor = cluster.supervisor.pid as number
    const killed = new Set<number>()
    const until = Date.now() + START_TIMEOUT_MS
    while (cluster.supervisor.exitCode === null && Date.now() < until) {
      for (const pid of servingChildren(supervisor)) {
        if (killed.has(pid)) continue
        killed.add(pid)
        process.kill(pid, 'SIGKILL')
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await stopCluster(cluster)).toBe(1)
    expect(cluster.stderr()).toMatch(
      /mlmd-ts: serving process [12] \(pid \d+\) was killed \(SIGKILL\); 6 exits within 60 s, stopping\n/,
    )
    expect(cluster.stderr().match(/; starting another\n/g)).toHaveLength(5)
    expect([...killed].filter(alive)).toEqual([])
    expect(servingChildren(supervisor)).toEqual([])
  }, 240_000)

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to every process at once (systemd, a terminal) stops them all gently, exit code 0',
    async (signal) => {
      const cluster = await startCluster(tempFile())
      const everyone = [
        cluster.supervisor.pid as number,
        ...servingChildren(cluster.supervisor.pid as number),
      ]
      expect(everyone).toHaveLength(3)
      const signalled = Date.now()
      for (const pid of everyone) process.kill(pid, signal)
      const timer = setTimeout(() => cluster.supervisor.kill('SIGKILL'), 30_000)
      expect(await cluster.exited).toBe(0)
      clearTimeout(timer)
      expect(Date.now() - signalled).toBeLessThan(10_000)
      expect(everyone.filter(alive)).toEqual([])
      expect(cluster.stderr()).not.toContain('stopping now')
      expect(cluster.stderr()).toMatch(/mlmd-ts: stopped\n$/)
    },
    180_000,
  )

  it('a second signal to the supervisor stops the children at once', async () => {
    const cluster = await startCluster(tempFile())
    const children = servingChildren(cluster.supervisor.pid as number)
    cluster.supervisor.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 20))
    cluster.supervisor.kill('SIGTERM')
    const timer = setTimeout(() => cluster.supervisor.kill('SIGKILL'), 30_000)
    expect(await cluster.exited).toBe(0)
    clearTimeout(timer)
    expect(children.filter(alive)).toEqual([])
    // The supervisor's line, and one from each child still stopping when the stop-now came.
    expect(cluster.stderr().match(/mlmd-ts: stopping now\n/g)?.length).toBeGreaterThanOrEqual(1)
    expect(cluster.stderr()).toMatch(/mlmd-ts: stopped\n$/)
  }, 180_000)
})
