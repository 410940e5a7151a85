// Several `mlmd-ts serve` replicas on one PostgreSQL or MySQL (MariaDB) database, as real
// deployments run them: writers on every replica creating the same types and contexts at once
// never make a duplicate and never get INTERNAL; and a database restart under load answers
// UNAVAILABLE (or ABORTED) while the database is away and recovers without restarting mlmd-ts.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../client/index.js'
import { Code, MlmdError } from '../errors.js'
import { Event_Type, PropertyType } from '../proto/messages.js'
import {
  ENGINE_SERVERS_SCRIPT,
  freshDatabase,
  type ServerEngine,
} from '../storage/engine-servers.test-support.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSX = createRequire(import.meta.url).resolve('tsx')
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
// How long the writers run; the engine issue asks for 30 s.
const WRITE_SECONDS = Number(process.env.MLMD_TS_REPLICA_SECONDS ?? 30)

interface Replica {
  readonly child: ChildProcess
  readonly port: number
  /** What the process printed so far. */
  readonly output: () => string
}

async function startReplica(url: string): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '--db', url, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line in 60 s:\n${out}`)), 60_000)
    const read = (chunk: Buffer) => {
      out += chunk.toString()
      const match = / on 127\.0\.0\.1:(\d+) /.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`mlmd-ts serve exited (${code}):\n${out}`))
    })
  })
  // The password is in the URL on the command line, never in what serve prints.
  expect(out).not.toContain(new URL(url).password)
  return { child, port, output: () => out }
}

async function stopReplica(replica: Replica): Promise<void> {
  if (replica.child.exitCode !== null) return
  const exited = new Promise((resolve) => replica.child.once('exit', resolve))
  replica.child.kill('SIGTERM')
  const timer = setTimeout(() => replica.child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

function codeName(error: unknown): string {
  return error instanceof MlmdError ? (Code[error.code] as string) : `not an MlmdError: ${String(error)}`
}

describe.each(['postgresql', 'mysql'] as ServerEngine[])('replicas on %s', (engine) => {
  it(
    `3 replicas × 4 writers creating the same types, contexts and PutExecutions for ${WRITE_SECONDS} s: exact counts, no duplicates, no INTERNAL`,
    async (context) => {
      const database = await freshDatabase(engine)
      if (database === undefined) return context.skip()
      const replicas: Replica[] = []
      const clients: MetadataStoreClient[] = []
      try {
        for (let r = 0; r < 3; r++) replicas.push(await startReplica(database.url))
        for (const replica of replicas) {
          for (let w = 0; w < 4; w++)
            clients.push(createMetadataStoreClient({ host: '127.0.0.1', port: replica.port }))
        }
        const typeIds = new Map<string, Set<bigint>>()
        const contextIds = new Map<string, Set<bigint>>()
        const errors = new Map<string, number>()
        let executions = 0
        const until = Date.now() + WRITE_SECONDS * 1000
        const note = (map: Map<string, Set<bigint>>, key: string, id: bigint) => {
          const ids = map.get(key) ?? new Set()
          ids.add(id)
          map.set(key, ids)
        }
        await Promise.all(
          clients.map(async (client, writer) => {
            for (let i = 0; Date.now() < until; i++) {
              try {
                const name = `shared-type-${i % 3}`
                const { type_id } = await client.putArtifactType({
                  artifact_type: { name, properties: { n: PropertyType.INT } },
                })
                note(typeIds, name, type_id as bigint)
                const executionType = await client.putExecutionType({
                  execution_type: { name: 'shared-step' },
                })
                const contextType = await client.putContextType({ context_type: { name: 'shared-run' } })
                const contextName = `shared-context-${i % 5}`
                const done = await client.putExecution({
                  execution: { type_id: executionType.type_id, name: `w${writer}-${i}` },
                  artifact_event_pairs: [
                    {
                      artifact: {
                        type_id,
                        uri: `w${writer}-${i}`,
                        properties: { n: { int_value: BigInt(i) } },
                      },
                      event: { type: Event_Type.OUTPUT },
                    },
                  ],
                  contexts: [{ type_id: contextType.type_id, name: contextName }],
                  options: { reuse_context_if_already_exist: true },
                })
                note(contextIds, contextName, done.context_ids[0] as bigint)
                executions++
              } catch (error) {
                const code = codeName(error)
                errors.set(code, (errors.get(code) ?? 0) + 1)
              }
            }
          }),
        )
        // Every writer saw one id per shared name.
        for (const ids of [...typeIds.values(), ...contextIds.values()]) expect(ids.size).toBe(1)
        expect([...errors.keys()].filter((code) => code !== 'Aborted')).toEqual([])
        const reader = clients[0] as MetadataStoreClient
        const types = (await reader.getArtifactTypes({})).artifact_types.map((t) => t.name)
        expect(types.filter((n) => n?.startsWith('shared-type-')).sort()).toEqual([
          'shared-type-0',
          'shared-type-1',
          'shared-type-2',
        ])
        expect(
          (await reader.getExecutionTypes({})).execution_types.filter((t) => t.name === 'shared-step'),
        ).toHaveLength(1)
        const contexts = (await reader.getContextsByType({ type_name: 'shared-run' })).contexts
        expect(contexts.map((c) => c.name).sort()).toEqual([0, 1, 2, 3, 4].map((k) => `shared-context-${k}`))
        expect((await reader.getExecutionsByType({ type_name: 'shared-step' })).executions).toHaveLength(
          executions,
        )
        let artifacts = 0
        for (let k = 0; k < 3; k++) {
          artifacts += (await reader.getArtifactsByType({ type_name: `shared-type-${k}` })).artifacts.length
        }
        expect(artifacts).toBe(executions)
        let associated = 0
        for (const c of contexts) {
          associated += (await reader.getExecutionsByContext({ context_id: c.id as bigint })).executions
            .length
        }
        expect(associated).toBe(executions)
        expect(executions).toBeGreaterThan(0)
        console.info(
          `${engine}: 3 replicas × 4 writers, ${WRITE_SECONDS} s: ${executions} PutExecutions (${(executions / WRITE_SECONDS).toFixed(0)}/s), ` +
            `ABORTED after retries: ${errors.get('Aborted') ?? 0}, other errors: 0, duplicates: 0`,
        )
      } finally {
        for (const client of clients) client.close()
        await Promise.all(replicas.map(stopReplica))
        await database.drop()
      }
    },
    WRITE_SECONDS * 1000 + 180_000,
  )
})

/** Stops and starts a private test server again at the same address, with its data. */
interface Restartable {
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops what `start` started (the script's own stop knows only the first process). */
  cleanup(): Promise<void>
}

const run = promisify(execFile)

// PostgreSQL: pg_ctl, as the postgres user when root; the address is given again, since what
// `pg_ctl start` is not told it takes from the config.
function postgresqlRestarts(server: Record<string, string>): Restartable {
  const dataDir = path.join(server.socket_dir as string, 'data')
  const pgCtl = path.join(server.bin_dir as string, 'pg_ctl')
  const as = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : []
  const pgCtlRun = async (...args: string[]) => {
    const [command, ...rest] = [...as, pgCtl, '-D', dataDir, ...args]
    await run(command as string, rest)
  }
  const options = `-c listen_addresses=127.0.0.1 -p ${server.port} -c unix_socket_directories=${server.socket_dir} -c fsync=off`
  return {
    stop: () => pgCtlRun('-m', 'fast', '-w', 'stop'),
    start: () =>
      pgCtlRun('-l', path.join(server.socket_dir as string, 'server.log'), '-o', options, '-w', 'start'),
    cleanup: async () => {},
  }
}

// MariaDB: the same command line again, read from the running process.
function mysqlRestarts(server: Record<string, string>): Restartable {
  const dir = path.dirname(server.socket as string)
  let pid = Number(readFileSync(path.join(dir, 'mysqld.pid'), 'utf8').trim())
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((a) => a !== '')
  let restarted: ChildProcess | undefined
  const gone = async (target: number) => {
    for (let i = 0; i < 300; i++) {
      try {
        process.kill(target, 0)
      } catch {
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`mariadbd ${target} did not stop`)
  }
  return {
    stop: async () => {
      process.kill(pid, 'SIGTERM')
      await gone(pid)
    },
    start: async () => {
      restarted = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: 'ignore' })
      pid = restarted.pid as number
      for (let i = 0; i < 300; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const socket = connect(Number(server.port), '127.0.0.1', () => {
            socket.end()
            resolve(true)
          })
          socket.once('error', () => resolve(false))
        })
        if (up) return
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error('mariadbd did not come back')
    },
    cleanup: async () => {
      if (restarted === undefined) return
      try {
        process.kill(pid, 'SIGTERM')
        await gone(pid)
      } catch {}
    },
  }
}

describe.each(['postgresql', 'mysql'] as ServerEngine[])('a %s restart under load', (engine) => {
  it('answers UNAVAILABLE (or ABORTED) while the database is away, then serves again without restarting mlmd-ts', async (context) => {
    // A private server, so the restart touches no other test's database.
    const runDir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-restart-'))
    let server: Record<string, string>
    try {
      const { stdout } = await run(
        'bash',
        [ENGINE_SERVERS_SCRIPT, 'start', engine, runDir, String(process.pid)],
        {
          timeout: 180_000,
        },
      )
      server = Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .map((line) => line.split(/=(.*)/s).slice(0, 2)),
      )
    } catch (error) {
      rmSync(runDir, { recursive: true, force: true })
      if ((error as { code?: unknown }).code === 3 && process.env.CI !== 'true') return context.skip()
      throw error
    }
    const scheme = engine === 'postgresql' ? 'postgres' : 'mysql'
    // (The MariaDB test user may create databases named mlmd_….)
    const url = `${scheme}://${encodeURIComponent(server.user as string)}:${encodeURIComponent(server.password as string)}@127.0.0.1:${server.port}/mlmd_restart_test`
    const restarts = engine === 'postgresql' ? postgresqlRestarts(server) : mysqlRestarts(server)
    let replica: Replica | undefined
    let client: MetadataStoreClient | undefined
    try {
      replica = await startReplica(url)
      client = createMetadataStoreClient({ host: '127.0.0.1', port: replica.port, retry: { maxAttempts: 1 } })
      const { type_id } = await client.putArtifactType({ artifact_type: { name: 'before' } })
      const outcomes: { at: number; code: string; message?: string }[] = []
      let stop = false
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            await client?.putArtifacts(
              { artifacts: [{ type_id, uri: `u${i}` }] },
              { deadline: Date.now() + 5000 },
            )
            await client?.getArtifactsByType({ type_name: 'before' }, { deadline: Date.now() + 5000 })
            outcomes.push({ at: Date.now(), code: 'OK' })
          } catch (error) {
            outcomes.push({ at: Date.now(), code: codeName(error), message: (error as Error).message })
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        }
      })()
      await new Promise((resolve) => setTimeout(resolve, 1000))
      await restarts.stop()
      const stoppedAt = Date.now()
      await new Promise((resolve) => setTimeout(resolve, 2000))
      const startingAt = Date.now()
      await restarts.start()
      const restartedAt = Date.now()
      // The pool reconnects by itself; on a loaded machine that can take a moment. Wait for a run
      // of successes (at most 60 s), then stop the load.
      const recovered = () => outcomes.filter((o) => o.at > restartedAt && o.code === 'OK').length >= 10
      for (let waited = 0; !recovered() && waited < 60_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      stop = true
      await load
      const during = outcomes.filter((o) => o.at > stoppedAt + 200 && o.at < startingAt)
      const firstOk = outcomes.find((o) => o.at > restartedAt && o.code === 'OK')
      expect(during.length).toBeGreaterThan(0)
      expect(new Set(during.map((o) => o.code))).toEqual(new Set(['Unavailable']))
      expect(outcomes.filter((o) => !['OK', 'Unavailable', 'Aborted'].includes(o.code))).toEqual([])
      const lastOutcomes = JSON.stringify(outcomes.filter((o) => o.at > restartedAt).slice(-3))
      expect(replica.child.exitCode, `mlmd-ts serve exited:\n${replica.output().slice(-3000)}`).toBeNull()
      expect(firstOk, lastOutcomes).toBeDefined()
      // Once it serves again, it keeps serving.
      expect(outcomes.filter((o) => o.at > (firstOk?.at ?? 0) && o.code !== 'OK')).toEqual([])
      console.info(
        `${engine}: served again ${(firstOk?.at ?? 0) - restartedAt} ms after the database was back`,
      )
      // What was written before the restart is still there. (A write whose read failed, or
      // whose answer was lost with the connection, may be stored too.)
      const stored = (await client.getArtifactsByType({ type_name: 'before' })).artifacts.length
      expect(stored).toBeGreaterThanOrEqual(outcomes.filter((o) => o.code === 'OK').length)
      expect(stored).toBeLessThanOrEqual(outcomes.length)
    } finally {
      client?.close()
      if (replica !== undefined) await stopReplica(replica)
      await restarts.cleanup()
      await run('bash', [ENGINE_SERVERS_SCRIPT, 'stop', runDir]).catch(() => {})
      rmSync(runDir, { recursive: true, force: true })
    }
  }, 240_000)
})
