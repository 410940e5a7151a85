/**
 * The targets every conformance area runs against, MLMD's `MetadataStoreContainerFactory` for
 * mlmd-ts: each is an `AsyncMetadataStore`, reached only through the package's public entry
 * points.
 *
 * - `in-process`: `toAsyncMetadataStore(createMetadataStore({ filename: ':memory:' }))`, a fresh
 *   store for every test (so these tests may assume an empty store, as MLMD's C++ suite does).
 * - `grpc-serve`: `mlmd-ts serve` started as a child process on a free loopback port over a fresh
 *   temp file, one server per area file, reached with our gRPC client. Tests share the store and
 *   isolate themselves with unique names.
 * - `grpc-target`: only when `MLMD_TARGET=host:port` is set: any MLMD endpoint (the real MLMD
 *   server, or ours running elsewhere). `MLMD_TARGET_IMPL=mlmd-ts` says the endpoint is mlmd-ts,
 *   so the cases expect mlmd-ts's documented deliberate differences instead of MLMD's behaviour.
 *   The store is shared across area files, so the config runs files one at a time then.
 *
 * Every target's store is wrapped in a recorder: which RPCs each case called goes to
 * `conformance/results/ts-<target>.<area>.json`, read by `conformance/matrix.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../src/client/index.js'
import {
  type AsyncMetadataStore,
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../src/index.js'
import { freshDatabase, type ServerEngine } from '../src/storage/engine-servers.test-support.js'
import { SIMPLE_TYPES } from '../src/storage/schema/v10.js'
import { openMetadataStore } from '../src/store/server-engine-store.js'

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
/** Where each run writes which RPCs it exercised. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'conformance', 'results')

/** Whose behaviour a target is expected to show where mlmd-ts deliberately differs from MLMD. */
export type Implementation = 'mlmd' | 'mlmd-ts'

/** The stable key of a target: results file names and matrix columns use it. */
export type TargetKey =
  | 'in-process'
  | 'grpc-serve'
  | 'postgresql'
  | 'grpc-serve-postgresql'
  | 'mysql'
  | 'grpc-serve-mysql'
  | 'grpc-target'

/** What a test sees of the target it runs against. */
export interface Target {
  readonly key: TargetKey
  /** Human-readable name, used in the describe title. */
  readonly name: string
  /** Whose behaviour to expect where the README lists a deliberate difference. */
  readonly impl: Implementation
  /** Each test starts from an empty store (only then may a test count everything). */
  readonly fresh: boolean
  /**
   * The engine holding the store, where MLMD's own behaviour differs per engine (MySQL and
   * PostgreSQL store `int_value` and ids in 32 bits); `sqlite` for a target of unknown engine.
   */
  readonly engine: 'sqlite' | 'postgresql' | 'mysql'
  /** `host:port` when requests travel over gRPC (raw wire checks are possible). */
  readonly address: string | undefined
  /** The store of the current test. Call it inside a test, not while collecting. */
  store(): AsyncMetadataStore
}

interface TargetDefinition {
  readonly key: TargetKey
  readonly name: string
  readonly impl: Implementation
  readonly fresh: boolean
  readonly engine?: Target['engine']
  /** Starts what the area file needs; returns the per-test store factory and a stopper. */
  start(): Promise<Session>
}

interface Session {
  /** Why the target cannot run here (its engine is not installed locally): its cases skip. */
  readonly skipped?: string
  readonly address: string | undefined
  /** A store for the next test (the same one for shared targets). */
  next(): AsyncMetadataStore
  /** Called after each test. */
  release(): void
  stop(): Promise<void>
}

const TSX = createRequire(import.meta.url).resolve('tsx')
const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts')

const inProcess: TargetDefinition = {
  key: 'in-process',
  name: 'in-process',
  impl: 'mlmd-ts',
  fresh: true,
  start: async () => {
    let current: OwnedMetadataStore | undefined
    return {
      address: undefined,
      next: () => {
        current?.close()
        current = createMetadataStore({ filename: ':memory:' })
        return toAsyncMetadataStore(current)
      },
      release: () => {
        current?.close()
        current = undefined
      },
      stop: async () => {
        current?.close()
      },
    }
  },
}

// Every MLMD table of the PostgreSQL schema, emptied between the cases of the in-process target
// (a new database per case would take far longer), with the simple types seeded again.
const POSTGRESQL_TABLE_NAMES = [
  'type',
  'parenttype',
  'typeproperty',
  'artifact',
  'artifactproperty',
  'execution',
  'executionproperty',
  'context',
  'contextproperty',
  'parentcontext',
  'event',
  'eventpath',
  'association',
  'attribution',
]

// MySQL's names of the same tables.
const MYSQL_TABLE_NAMES = new Map(
  [
    'Type',
    'ParentType',
    'TypeProperty',
    'Artifact',
    'ArtifactProperty',
    'Execution',
    'ExecutionProperty',
    'Context',
    'ContextProperty',
    'ParentContext',
    'Event',
    'EventPath',
    'Association',
    'Attribution',
  ].map((name) => [name.toLowerCase(), name]),
)

// Every row but the simple types (ids 1–9, seeded when the database was created). Ids are not
// restarted: a fresh store's cases may count rows, never assume ids; DELETE on tables this small
// takes milliseconds where TRUNCATE and restarting ids take hundreds.
const POSTGRESQL_RESET = [
  'BEGIN',
  ...POSTGRESQL_TABLE_NAMES.filter((t) => t !== 'type').map((table) => `DELETE FROM ${table}`),
  `DELETE FROM type WHERE id > ${SIMPLE_TYPES.length}`,
  'COMMIT',
].join('; ')

const MYSQL_RESET = [
  ...POSTGRESQL_TABLE_NAMES.filter((t) => t !== 'type').map(
    (table) => `DELETE FROM \`${MYSQL_TABLE_NAMES.get(table)}\``,
  ),
  `DELETE FROM \`Type\` WHERE id > ${SIMPLE_TYPES.length}`,
].join('; ')

const SKIPPED_SESSION = (why: string): Session => ({
  skipped: why,
  address: undefined,
  next: () => {
    throw new Error(why)
  },
  release: () => {},
  stop: async () => {},
})

// Empties a store between the cases of an in-process target (a new database per case would take
// far longer), keeping the simple types MLMD seeds.
async function resetter(
  engine: ServerEngine,
  url: string,
): Promise<{ reset(): Promise<void>; end(): Promise<void> }> {
  if (engine === 'postgresql') {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    return { reset: async () => void (await admin.query(POSTGRESQL_RESET)), end: () => admin.end() }
  }
  const admin = await mysql.createConnection({ uri: url, multipleStatements: true })
  return { reset: async () => void (await admin.query(MYSQL_RESET)), end: () => admin.end() }
}

const ENGINE_NAME: Record<ServerEngine, string> = { postgresql: 'PostgreSQL', mysql: 'MySQL (MariaDB)' }

function inProcessOn(engine: ServerEngine): TargetDefinition {
  return {
    key: engine,
    name: `in-process on ${ENGINE_NAME[engine]}`,
    impl: 'mlmd-ts',
    fresh: true,
    engine,
    start: async () => {
      const database = await freshDatabase(engine)
      if (database === undefined) return SKIPPED_SESSION(`${ENGINE_NAME[engine]} is not installed here`)
      const store = await openMetadataStore(database.url)
      const admin = await resetter(engine, database.url)
      let dirty = false
      return {
        address: undefined,
        next: () => {
          if (!dirty) {
            dirty = true
            return store
          }
          // Empty the store before the case runs: the case's first call waits for it.
          const emptied = admin.reset()
          return new Proxy(store, {
            get(target, name, receiver) {
              const value = Reflect.get(target, name, receiver) as unknown
              if (typeof value !== 'function') return value
              return async (...args: unknown[]) => {
                await emptied
                return (value as (...a: unknown[]) => unknown).apply(target, args)
              }
            },
          })
        },
        release: () => {},
        stop: async () => {
          await store.close()
          await admin.end()
          await database.drop()
        },
      }
    },
  }
}

function serveOn(engine: ServerEngine): TargetDefinition {
  return {
    key: `grpc-serve-${engine}`,
    name: `mlmd-ts serve on ${ENGINE_NAME[engine]} over gRPC`,
    impl: 'mlmd-ts',
    fresh: false,
    engine,
    start: async () => {
      const database = await freshDatabase(engine)
      if (database === undefined) return SKIPPED_SESSION(`${ENGINE_NAME[engine]} is not installed here`)
      let child: ChildProcess | undefined
      let client: MetadataStoreClient | undefined
      try {
        const started = await startServe(database.url)
        child = started.child
        client = createMetadataStoreClient({ host: '127.0.0.1', port: started.port })
      } catch (error) {
        if (child !== undefined) await stopChild(child)
        await database.drop()
        throw error
      }
      const shared = client
      const server = child
      return {
        address: shared.address,
        next: () => shared,
        release: () => {},
        stop: async () => {
          shared.close()
          await stopChild(server)
          await database.drop()
        },
      }
    },
  }
}

/** `mlmd-ts serve` as a child process; resolves once it prints the port it bound. */
async function startServe(db: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', TSX, CLI, 'serve', '--db', db, '--host', '127.0.0.1', '--port', '0'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mlmd-ts serve did not start in 60 s:\n${stderr}`)),
      60_000,
    )
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = / on 127\.0\.0\.1:(\d+) /.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`mlmd-ts serve exited (${code}) before serving:\n${stdout}\n${stderr}`))
    })
  })
  return { child, port }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

const grpcServe: TargetDefinition = {
  key: 'grpc-serve',
  name: 'mlmd-ts serve over gRPC',
  impl: 'mlmd-ts',
  fresh: false,
  start: async () => {
    // A RAM-backed temp dir where there is one: every write RPC commits (and syncs) the file.
    const dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'mlmd-ts-conformance-'))
    let child: ChildProcess | undefined
    let client: MetadataStoreClient | undefined
    try {
      const started = await startServe(path.join(dir, 'mlmd.sqlite'))
      child = started.child
      client = createMetadataStoreClient({ host: '127.0.0.1', port: started.port })
    } catch (error) {
      if (child !== undefined) await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
    const shared = client
    const server = child
    return {
      address: shared.address,
      next: () => shared,
      release: () => {},
      stop: async () => {
        shared.close()
        await stopChild(server)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}

function mlmdTarget(spec: string): TargetDefinition {
  const match = /^(.*):(\d+)$/.exec(spec.trim())
  if (match === null) throw new Error(`MLMD_TARGET must be host:port, not "${spec}"`)
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '')
  const port = Number(match[2])
  const impl: Implementation = process.env.MLMD_TARGET_IMPL === 'mlmd-ts' ? 'mlmd-ts' : 'mlmd'
  return {
    key: 'grpc-target',
    name: `MLMD_TARGET ${spec} (${impl})`,
    impl,
    fresh: false,
    start: async () => {
      const client = createMetadataStoreClient({ host, port })
      return {
        address: client.address,
        next: () => client,
        release: () => {},
        stop: async () => client.close(),
      }
    },
  }
}

/** The targets of this run. */
export const TARGETS: readonly TargetDefinition[] = [
  inProcess,
  grpcServe,
  inProcessOn('postgresql'),
  serveOn('postgresql'),
  inProcessOn('mysql'),
  serveOn('mysql'),
  ...(process.env.MLMD_TARGET ? [mlmdTarget(process.env.MLMD_TARGET)] : []),
]

/** RPC name (`GetArtifactsByID`) of a store operation (`getArtifactsByID`). */
function rpcName(operation: string): string {
  return `${operation.charAt(0).toUpperCase()}${operation.slice(1)}`
}

/** Wraps a store so each call is recorded under the running test's name. */
function recording(store: AsyncMetadataStore, calls: Map<string, Set<string>>): AsyncMetadataStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown
      if (typeof value !== 'function' || typeof name !== 'string' || name === 'close') return value
      return (request: unknown) => {
        const rpc = rpcName(name)
        // currentTestName is "<area> on <target> > <case>"; keep the case.
        const full = expect.getState().currentTestName ?? '(outside a test)'
        const test = full.includes(' > ') ? full.slice(full.indexOf(' > ') + 3) : full
        let cases = calls.get(rpc)
        if (cases === undefined) {
          cases = new Set()
          calls.set(rpc, cases)
        }
        cases.add(test)
        return (value as (r: unknown) => unknown).call(target, request)
      }
    },
  })
}

/** The JSON a TS run writes per target and area (the matrix reads `rpcs`). */
export interface TsResults {
  readonly suite: `ts-${TargetKey}`
  readonly target: string
  readonly area: string
  /** RPC names called by at least one case, sorted. */
  readonly rpcs: string[]
  /** Per RPC, the cases that called it. */
  readonly cases: Record<string, string[]>
}

function writeResults(definition: TargetDefinition, area: string, calls: Map<string, Set<string>>): void {
  const rpcs = [...calls.keys()].sort()
  const results: TsResults = {
    suite: `ts-${definition.key}`,
    target: definition.name,
    area,
    rpcs,
    cases: Object.fromEntries(rpcs.map((rpc) => [rpc, [...(calls.get(rpc) ?? [])].sort()])),
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(resultsFile(definition, area), `${JSON.stringify(results, null, 2)}\n`)
}

function resultsFile(definition: TargetDefinition, area: string): string {
  return path.join(RESULTS_DIR, `ts-${definition.key}.${area}.json`)
}

/**
 * Declares one conformance area, run once per target (`describe.each` over {@link TARGETS}).
 * `body` declares the cases; each reaches its store through `t.store()`.
 */
export function describeTargets(area: string, body: (t: Target) => void): void {
  describe.each(TARGETS.map((definition) => ({ definition, name: definition.name })))(
    `${area} on $name`,
    ({ definition }) => {
      const calls = new Map<string, Set<string>>()
      let session: Session | undefined
      let current: AsyncMetadataStore | undefined
      const target: Target = {
        key: definition.key,
        name: definition.name,
        impl: definition.impl,
        fresh: definition.fresh,
        engine: definition.engine ?? 'sqlite',
        get address() {
          return session?.address
        },
        store: () => {
          if (current === undefined) throw new Error('Target.store() is only available inside a test')
          return current
        },
      }
      beforeAll(async () => {
        session = await definition.start()
      }, 90_000)
      beforeEach((context) => {
        if (session === undefined) throw new Error(`${definition.name} did not start`)
        if (session.skipped !== undefined) {
          context.skip(session.skipped)
          return
        }
        current = recording(session.next(), calls)
      })
      afterEach(() => {
        session?.release()
        current = undefined
      })
      afterAll(async () => {
        await session?.stop()
        if (calls.size > 0) writeResults(definition, area, calls)
      }, 30_000)
      body(target)
    },
  )
}
