// Real PostgreSQL and MariaDB servers for the server-engine tests. scripts/engine-servers.sh starts
// one server per engine per test run (the first test that asks starts it; every worker reuses it)
// inside the run folder that engine-servers-run.test-support.ts (vitest's global setup) creates,
// and stops them at the end. Each test takes its own empty database from freshDatabase.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import pg from 'pg'

/** The server engines mlmd-ts runs on besides SQLite; `mysql` is served by MariaDB in tests. */
export type ServerEngine = 'postgresql' | 'mysql'

/** An empty database of its own on a test server, reached as an ordinary user with a password. */
export interface TestDatabase {
  readonly engine: ServerEngine
  /** postgres://user:pw@127.0.0.1:PORT/dbname or mysql://user:pw@127.0.0.1:PORT/dbname (user and password percent-encoded). */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly database: string
  /** Drops the database, closing connections still open to it on PostgreSQL. */
  drop(): Promise<void>
}

/** The script that installs, starts and stops the servers. */
export const ENGINE_SERVERS_SCRIPT = path.resolve(import.meta.dirname, '../../scripts/engine-servers.sh')
/** Where the global setup tells workers the run folder is, and which process owns the run. */
export const RUN_DIR_VARIABLE = 'MLMD_TS_ENGINE_RUN_DIR'
export const RUN_OWNER_VARIABLE = 'MLMD_TS_ENGINE_RUN_OWNER'

interface Server {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** The database an ordinary user connects to for CREATE DATABASE ('' on MySQL: none). */
  readonly adminDatabase: string
}

const SERVER_NAME: Record<ServerEngine, string> = { postgresql: 'PostgreSQL', mysql: 'MariaDB' }
// The script exits with 3 when the engine's programs are not installed.
const NOT_INSTALLED = 3

let ownRun: Promise<{ dir: string; owner: number }> | undefined

// Outside vitest's global setup (a script, a benchmark) the run belongs to this process alone:
// the script's watchdog stops its servers when the process exits.
function currentRun(): Promise<{ dir: string; owner: number }> {
  const dir = process.env[RUN_DIR_VARIABLE]
  const owner = Number(process.env[RUN_OWNER_VARIABLE])
  if (dir && Number.isInteger(owner) && owner > 0) return Promise.resolve({ dir, owner })
  ownRun ??= mkdtemp(path.join(tmpdir(), 'mlmd-ts-engines-')).then((made) => ({
    dir: made,
    owner: process.pid,
  }))
  return ownRun
}

function parseServer(stdout: string): Server {
  const values = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const equals = line.indexOf('=')
    if (equals > 0) values.set(line.slice(0, equals), line.slice(equals + 1))
  }
  const value = (key: string): string => {
    const found = values.get(key)
    if (found === undefined) throw new Error(`engine-servers.sh printed no ${key}:\n${stdout}`)
    return found
  }
  return {
    host: value('host'),
    port: Number(value('port')),
    user: value('user'),
    password: value('password'),
    adminDatabase: value('admin_database'),
  }
}

async function startServer(engine: ServerEngine): Promise<Server | undefined> {
  const ci = process.env.CI === 'true'
  const run = await currentRun()
  try {
    const { stdout } = await promisify(execFile)(
      'bash',
      [ENGINE_SERVERS_SCRIPT, 'start', engine, run.dir, String(run.owner)],
      { timeout: 180_000 },
    )
    return parseServer(stdout)
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string }
    if (code === NOT_INSTALLED && !ci) {
      console.warn(
        `${engine} tests skipped: ${SERVER_NAME[engine]} is not installed here ` +
          `(install it with: sudo bash scripts/engine-servers.sh install ${engine})`,
      )
      return undefined
    }
    const why = code === NOT_INSTALLED ? `${SERVER_NAME[engine]} is not installed` : `${stderr ?? error}`
    throw new Error(`${ci ? 'CI=true and ' : ''}the ${engine} test server could not start: ${why}`)
  }
}

const servers = new Map<ServerEngine, Promise<Server | undefined>>()

function server(engine: ServerEngine): Promise<Server | undefined> {
  let started = servers.get(engine)
  if (started === undefined) {
    started = startServer(engine)
    servers.set(engine, started)
  }
  return started
}

// Runs one administrative statement as the test user, on a connection of its own.
async function administer(engine: ServerEngine, server: Server, statement: string): Promise<void> {
  const { host, port, user, password } = server
  if (engine === 'postgresql') {
    const client = new pg.Client({ host, port, user, password, database: server.adminDatabase })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
    return
  }
  const connection = await mysql.createConnection({ host, port, user, password })
  try {
    await connection.query(statement)
  } finally {
    await connection.end()
  }
}

let created = 0

/** A new empty database on a server shared by the whole test run; undefined when the engine
 *  cannot run locally (after printing why); throws when CI=true and it cannot run. */
export async function freshDatabase(engine: ServerEngine): Promise<TestDatabase | undefined> {
  const found = await server(engine)
  if (found === undefined) return undefined
  created += 1
  // Unique across the workers of a run; MariaDB grants the test user only names starting `mlmd_`.
  const database = `mlmd_${process.pid}_${created}_${randomBytes(4).toString('hex')}`
  const quoted = engine === 'postgresql' ? `"${database}"` : `\`${database}\``
  await administer(engine, found, `CREATE DATABASE ${quoted}`)
  const { host, port, user, password } = found
  const scheme = engine === 'postgresql' ? 'postgres' : 'mysql'
  const url = `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${database}`
  return Object.freeze({
    engine,
    url,
    host,
    port,
    user,
    password,
    database,
    drop: () =>
      administer(
        engine,
        found,
        engine === 'postgresql'
          ? `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`
          : `DROP DATABASE IF EXISTS ${quoted}`,
      ),
  })
}
