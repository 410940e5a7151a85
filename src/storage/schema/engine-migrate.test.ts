/**
 * Schema migrations on PostgreSQL and MySQL (MariaDB), against the real MLMD 1.16 running in
 * process on the same databases (engine-migrate.oracle.py, one Python process per batch).
 *
 * MLMD fills one v10 database; clones of it are taken for every older version v:
 * - upgrade: MLMD downgrades clone A to v and a twin T is cloned from A; mlmd-ts upgrades A,
 *   MLMD upgrades T; what MLMD reads back from A must equal what it reads back from T.
 * - downgrade: mlmd-ts downgrades clone B to v; MLMD upgrades B; what MLMD reads back from B
 *   must equal what it reads back from T (MLMD's own downgrade then upgrade).
 * Where MLMD cannot upgrade its own database (PostgreSQL from 5 to 8: its step to 9 copies
 * millisecond timestamps into INT columns), the test shows that failure, compares B after an
 * mlmd-ts upgrade with A, and (6 to 8) A with MLMD's upgrade of the v9 twin less external ids.
 *
 * Events are compared as sets: MLMD reads them without ORDER BY, so their order is the table's
 * physical order, which MLMD's PostgreSQL step to 8 reverses (it rebuilds `Event` copying rows
 * in descending id order) and the in-place step here keeps.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { isDeepStrictEqual, promisify } from 'node:util'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../../errors.js'
import { openMysqlStore, openPostgresqlStore } from '../../store/server-engine-store.js'
import { cloneDatabase } from '../engine-dump.test-support.js'
import { freshDatabase, type ServerEngine, type TestDatabase } from '../engine-servers.test-support.js'

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..')
const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python')
const ORACLE = path.join(import.meta.dirname, 'engine-migrate.oracle.py')

const VERSIONS: Record<ServerEngine, readonly number[]> = {
  // MLMD's PostgreSQL support begins at version 1 (it has no migration to or from 0).
  postgresql: [1, 2, 3, 4, 5, 6, 7, 8, 9],
  mysql: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
}
// Versions whose MLMD upgrade fails on PostgreSQL (see the header).
const MLMD_CANNOT_UPGRADE: Record<ServerEngine, ReadonlySet<number>> = {
  postgresql: new Set([5, 6, 7, 8]),
  mysql: new Set(),
}

type Command = readonly [string, ...unknown[]]
type Reads = readonly { rpc: string; request: string; answer: unknown }[]

async function oracle(commands: readonly Command[]): Promise<unknown[]> {
  const run = promisify(execFile)(VENV_PYTHON, [ORACLE, 'batch'], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 600_000,
  })
  run.child.stdin?.end(JSON.stringify(commands))
  const { stdout } = await run
  return JSON.parse(stdout) as unknown[]
}

const where = (db: TestDatabase) => ({
  engine: db.engine,
  host: db.host,
  port: db.port,
  user: db.user,
  password: db.password,
  database: db.database,
})

// Connection settings for the drivers (which take no `engine`).
const login = (db: TestDatabase) => ({
  host: db.host,
  port: db.port,
  user: db.user,
  password: db.password,
  database: db.database,
})

async function schemaVersion(db: TestDatabase): Promise<number> {
  if (db.engine === 'postgresql') {
    const client = new pg.Client(login(db))
    await client.connect()
    try {
      return Number((await client.query('SELECT schema_version FROM mlmdenv')).rows[0]?.schema_version)
    } finally {
      await client.end()
    }
  }
  const connection = await mysql.createConnection(login(db))
  try {
    const [tables] = await connection.query<mysql.RowDataPacket[]>(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'MLMDEnv'",
    )
    if (Number(tables[0]?.n) === 0) return 0
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT schema_version AS v FROM MLMDEnv')
    return Number(rows[0]?.v)
  } finally {
    await connection.end()
  }
}

function open(
  db: TestDatabase,
  options: { enableUpgradeMigration?: boolean; downgradeToSchemaVersion?: number },
) {
  return db.engine === 'postgresql'
    ? openPostgresqlStore({ url: db.url, skipDbCreation: true, ...options })
    : openMysqlStore({ url: db.url, skipDbCreation: true, ...options })
}

/** One row of the versions × engines table. */
interface Outcome {
  upgraded: boolean
  upgradeSame: boolean | string
  downgraded: boolean
  downgradeSame: boolean | 'MLMD cannot upgrade'
}

// `reads` with every list of events in one order (see the header).
function unordered(reads: unknown): unknown {
  if (Array.isArray(reads)) return reads.map(unordered)
  if (reads === null || typeof reads !== 'object') return reads
  return Object.fromEntries(
    Object.entries(reads).map(([key, value]) => [
      key,
      key === 'events' && Array.isArray(value)
        ? value
            .map((e) => JSON.stringify(e))
            .sort()
            .map((e) => JSON.parse(e) as unknown)
        : unordered(value),
    ]),
  )
}

// `reads` as a database below version 9 can hold them: no external ids, and no reads by them.
function withoutExternalIds(reads: unknown): unknown {
  if (Array.isArray(reads)) {
    return reads
      .filter(
        (r) =>
          !(typeof r === 'object' && r !== null && /ExternalIds$/.test(String((r as Reads[number]).rpc))),
      )
      .map(withoutExternalIds)
  }
  if (reads === null || typeof reads !== 'object') return reads
  return Object.fromEntries(
    Object.entries(reads)
      .filter(([key]) => key !== 'external_id')
      .map(([key, value]) => [key, withoutExternalIds(value)]),
  )
}
// Versions whose downgrade from 9 loses nothing but the external ids (on PostgreSQL, MLMD's steps
// below 9 drop only indices, byte values and over-long strings, none of which the content has),
// so with MLMD unable to upgrade them, MLMD's upgrade of the v9 twin stands in.
const SAME_AS_V9_TWIN: Record<ServerEngine, ReadonlySet<number>> = {
  postgresql: new Set([6, 7, 8]),
  mysql: new Set(),
}

const table: string[] = []

describe.each(['postgresql', 'mysql'] as const)('schema migrations on %s against the real MLMD', (engine) => {
  const made: TestDatabase[] = []
  const versions = VERSIONS[engine]
  const outcomes = new Map<number, Outcome>()
  const failures = new Map<number, string[]>()
  let unavailable: string | undefined
  const reads = new Map<string, Reads | { error: string }>()
  const mlmdUpgrade = new Map<string, unknown>()
  let base: TestDatabase | undefined
  const A = new Map<number, TestDatabase>()
  const B = new Map<number, TestDatabase>()
  const T = new Map<number, TestDatabase>()

  beforeAll(async () => {
    if (!existsSync(VENV_PYTHON)) {
      if (process.env.CI === 'true') throw new Error(`CI=true and the real MLMD is missing: ${VENV_PYTHON}`)
      unavailable = `the real MLMD is missing (${VENV_PYTHON}); run bash scripts/python-env.sh`
      return
    }
    const first = await freshDatabase(engine)
    if (first === undefined) {
      unavailable = `${engine} is not installed here`
      return
    }
    base = first
    made.push(first)
    const [filled] = await oracle([['fill', where(first)]])
    expect(filled).toEqual({ refused: [] })
    for (const v of versions) {
      const a = await cloneDatabase(first)
      const b = await cloneDatabase(first)
      made.push(a, b)
      A.set(v, a)
      B.set(v, b)
    }
    const downgraded = await oracle(versions.map((v) => ['downgrade', where(A.get(v) as TestDatabase), v]))
    expect(downgraded).toEqual(versions)
    for (const v of versions) {
      const t = await cloneDatabase(A.get(v) as TestDatabase)
      made.push(t)
      T.set(v, t)
    }
    // mlmd-ts: downgrade B, upgrade A.
    for (const v of versions) {
      const b = B.get(v) as TestDatabase
      const refusal = await open(b, { downgradeToSchemaVersion: v }).then(
        async (store) => {
          await store.close()
          return undefined
        },
        (error: unknown) => error,
      )
      const problems: string[] = []
      if (!(refusal instanceof MlmdError && refusal.code === Code.Cancelled)) {
        problems.push(`downgrade to ${v} did not end in CANCELLED: ${String(refusal)}`)
      }
      const bVersion = await schemaVersion(b)
      if (bVersion !== v) problems.push(`after the mlmd-ts downgrade B is at ${bVersion}`)
      const a = A.get(v) as TestDatabase
      const aBefore = await schemaVersion(a)
      if (aBefore !== v) problems.push(`after the MLMD downgrade A is at ${aBefore}`)
      // Without the flag the older database is refused, untouched.
      const refused = await open(a, {}).then(
        async (store) => {
          await store.close()
          return undefined
        },
        (error: unknown) => error,
      )
      if (!(refused instanceof MlmdError && refused.code === Code.FailedPrecondition)) {
        problems.push(`opening v${v} without the upgrade flag was not refused: ${String(refused)}`)
      }
      if ((await schemaVersion(a)) !== v) problems.push('the refused open changed the version')
      try {
        const store = await open(a, { enableUpgradeMigration: true })
        await store.close()
      } catch (error) {
        problems.push(`mlmd-ts upgrade from ${v} failed: ${String(error)}`)
      }
      failures.set(v, problems)
    }
    // MLMD: upgrade T and B, then read A, B, T. Where MLMD cannot upgrade B, mlmd-ts does.
    const commands: Command[] = []
    for (const v of versions) {
      commands.push(['upgrade', where(T.get(v) as TestDatabase)])
      commands.push(['upgrade', where(B.get(v) as TestDatabase)])
    }
    const upgrades = await oracle(commands)
    versions.forEach((v, i) => {
      mlmdUpgrade.set(`T${v}`, upgrades[2 * i])
      mlmdUpgrade.set(`B${v}`, upgrades[2 * i + 1])
    })
    for (const v of versions) {
      if (mlmdUpgrade.get(`B${v}`) !== 10) {
        const store = await open(B.get(v) as TestDatabase, { enableUpgradeMigration: true })
        await store.close()
      }
    }
    const readCommands: Command[] = []
    for (const v of versions) {
      for (const db of [A.get(v), B.get(v), T.get(v)]) readCommands.push(['read', where(db as TestDatabase)])
    }
    const answers = await oracle(readCommands)
    versions.forEach((v, i) => {
      reads.set(`A${v}`, unordered(answers[3 * i]) as Reads)
      reads.set(`B${v}`, unordered(answers[3 * i + 1]) as Reads)
      reads.set(`T${v}`, unordered(answers[3 * i + 2]) as Reads)
    })
    for (const v of versions) {
      const a = reads.get(`A${v}`)
      const b = reads.get(`B${v}`)
      const t = reads.get(`T${v}`)
      const twin = mlmdUpgrade.get(`T${v}`) === 10
      outcomes.set(v, {
        upgraded: (failures.get(v) ?? []).every((p) => !p.startsWith('mlmd-ts upgrade')),
        upgradeSame: twin
          ? isDeepStrictEqual(a, t)
          : SAME_AS_V9_TWIN[engine].has(v)
            ? isDeepStrictEqual(withoutExternalIds(a), withoutExternalIds(reads.get('T9')))
              ? 'yes (= v9 twin less external ids)'
              : false
            : 'no MLMD twin',
        downgraded: (failures.get(v) ?? []).every((p) => !/downgrade|B is at/.test(p)),
        downgradeSame: twin ? isDeepStrictEqual(b, t) : 'MLMD cannot upgrade',
      })
    }
  }, 900_000)

  afterAll(async () => {
    for (const v of versions) {
      const o = outcomes.get(v)
      if (o === undefined) continue
      const cell = (x: boolean | string) => (x === true ? 'yes' : x === false ? 'NO' : x)
      table.push(
        `| ${engine} | ${v} | ${cell(o.upgraded)} | ${cell(o.upgradeSame)} | ${cell(o.downgraded)} | ${cell(o.downgradeSame)} |`,
      )
    }
    if (engine === 'mysql' && table.length > 0) {
      console.log(
        [
          '| engine | from/to v | mlmd-ts upgrade | read-back = MLMD-upgraded twin | mlmd-ts downgrade | read-back after MLMD upgrade = twin |',
          '| --- | --- | --- | --- | --- | --- |',
          ...table,
        ].join('\n'),
      )
    }
    for (const db of made) await db.drop().catch(() => undefined)
  }, 120_000)

  it.for(versions)('upgrades v%i to 10 as MLMD does, and refuses it without the flag', (v, { skip }) => {
    if (unavailable !== undefined) skip(unavailable)
    expect(base).toBeDefined()
    expect(failures.get(v)?.filter((p) => !/downgrade|B is at/.test(p))).toEqual([])
    const a = reads.get(`A${v}`)
    expect(a).not.toHaveProperty('error')
    expect(Array.isArray(a) && a.length > 40).toBe(true)
    if (MLMD_CANNOT_UPGRADE[engine].has(v)) {
      expect(String((mlmdUpgrade.get(`T${v}`) as { error?: string }).error)).toMatch(/integer out of range/)
      if (SAME_AS_V9_TWIN[engine].has(v)) {
        expect(mlmdUpgrade.get('T9')).toBe(10)
        expect(withoutExternalIds(a)).toEqual(withoutExternalIds(reads.get('T9')))
      }
      return
    }
    expect(mlmdUpgrade.get(`T${v}`)).toBe(10)
    expect(a).toEqual(reads.get(`T${v}`))
  })

  it.for(versions)(
    'downgrades 10 to v%i as MLMD does (MLMD upgrades the result and reads the same)',
    (v, { skip }) => {
      if (unavailable !== undefined) skip(unavailable)
      expect(failures.get(v)?.filter((p) => /downgrade|B is at/.test(p))).toEqual([])
      if (MLMD_CANNOT_UPGRADE[engine].has(v)) {
        // MLMD fails on its own downgrade too; after an mlmd-ts upgrade, B holds what A holds.
        expect(String((mlmdUpgrade.get(`B${v}`) as { error?: string }).error)).toMatch(/integer out of range/)
        expect(reads.get(`B${v}`)).toEqual(reads.get(`A${v}`))
        return
      }
      expect(mlmdUpgrade.get(`B${v}`)).toBe(10)
      expect(reads.get(`B${v}`)).toEqual(reads.get(`T${v}`))
    },
  )
})
