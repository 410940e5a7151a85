/**
 * Migrations on real PostgreSQL and MariaDB servers, without MLMD (engine-migrate.test.ts
 * compares with MLMD): what a failed upgrade leaves behind on each engine, the refusal without
 * the upgrade flag, bad downgrade targets, and `mlmd-ts serve --downgrade_db_schema_version`.
 */
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../cli/main.js'
import { Code, MlmdError } from '../../errors.js'
import {
  type OwnedAsyncMetadataStore,
  openMysqlStore,
  openPostgresqlStore,
} from '../../store/server-engine-store.js'
import { freshDatabase, type ServerEngine, type TestDatabase } from '../engine-servers.test-support.js'
import type { ServerMigrationOptions } from './server-migration.js'

const login = (db: TestDatabase) => ({
  host: db.host,
  port: db.port,
  user: db.user,
  password: db.password,
  database: db.database,
})

// One SQL statement on its own connection; rows as plain objects.
async function sql(db: TestDatabase, text: string): Promise<Record<string, unknown>[]> {
  if (db.engine === 'postgresql') {
    const client = new pg.Client(login(db))
    await client.connect()
    try {
      return (await client.query(text)).rows
    } finally {
      await client.end()
    }
  }
  const connection = await mysql.createConnection(login(db))
  try {
    const [rows] = await connection.query(text)
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []
  } finally {
    await connection.end()
  }
}

const version = async (db: TestDatabase) =>
  Number((await sql(db, 'SELECT schema_version AS v FROM MLMDEnv'))[0]?.v)
const columns = async (db: TestDatabase, table: string) =>
  (
    await sql(
      db,
      `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = ${db.engine === 'postgresql' ? 'current_schema()' : 'DATABASE()'} AND lower(table_name) = '${table.toLowerCase()}'`,
    )
  ).map((row) => String(row.c ?? row.C))

function open(db: TestDatabase, options: ServerMigrationOptions = {}): Promise<OwnedAsyncMetadataStore> {
  return db.engine === 'postgresql'
    ? openPostgresqlStore({ url: db.url, ...options })
    : openMysqlStore({ url: db.url, ...options })
}

async function failureOf(promise: Promise<OwnedAsyncMetadataStore>): Promise<MlmdError> {
  const outcome = await promise.then(
    async (store) => {
      await store.close()
      return undefined
    },
    (error: unknown) => error,
  )
  if (!(outcome instanceof MlmdError)) throw new Error(`expected an MlmdError, got ${String(outcome)}`)
  return outcome
}

// A v10 database with a few records, written by mlmd-ts.
async function filled(db: TestDatabase): Promise<void> {
  const store = await open(db)
  try {
    const { type_id } = await store.putArtifactType({
      artifact_type: { name: 'Dataset', properties: { span: 1 } },
    })
    await store.putArtifacts({
      artifacts: [
        { type_id, uri: '/a', name: 'a', properties: { span: { int_value: 1n } } },
        { type_id, uri: '/b', custom_properties: { note: { string_value: 'b' } } },
      ],
    })
  } finally {
    await store.close()
  }
}

describe.each(['postgresql', 'mysql'] as const)('migrations on %s', (engine: ServerEngine) => {
  const made: TestDatabase[] = []
  const fresh = async (skip: (note: string) => never): Promise<TestDatabase> => {
    const db = await freshDatabase(engine)
    if (db === undefined) skip(`${engine} is not installed here`)
    made.push(db as TestDatabase)
    await filled(db as TestDatabase)
    return db as TestDatabase
  }
  afterAll(async () => {
    for (const db of made) await db.drop()
  })

  it('downgrades on request, answers CANCELLED, and refuses the older database without the upgrade flag, untouched', async ({
    skip,
  }) => {
    const db = await fresh(skip)
    const cancelled = await failureOf(open(db, { downgradeToSchemaVersion: 8 }))
    expect(cancelled.code).toBe(Code.Cancelled)
    expect(cancelled.message).toMatch(/Downgrade migration was performed.*schema version 8/)
    expect(await version(db)).toBe(8)
    expect(await columns(db, 'Artifact')).not.toContain('external_id')
    const before = await columns(db, 'ArtifactProperty')

    const refused = await failureOf(open(db))
    expect(refused.code).toBe(Code.FailedPrecondition)
    expect(refused.message).toMatch(/schema version 8.*--enable_database_upgrade/)
    expect(await version(db)).toBe(8)
    expect(await columns(db, 'ArtifactProperty')).toEqual(before)

    const store = await open(db, { migrationOptions: { enable_upgrade_migration: true } })
    try {
      const { artifacts } = await store.getArtifacts({})
      expect(artifacts.map((a) => a.uri)).toEqual(['/a', '/b'])
      expect(artifacts[0]?.properties?.span?.int_value).toBe(1n)
      expect(artifacts[1]?.custom_properties?.note?.string_value).toBe('b')
      // The id sequences survived the migration: a new artifact gets the next id.
      const put = await store.putArtifacts({ artifacts: [{ type_id: artifacts[0]?.type_id, uri: '/c' }] })
      expect(put.artifact_ids).toEqual([3n])
    } finally {
      await store.close()
    }
    expect(await version(db)).toBe(10)
  })

  it('refuses downgrade targets the engine does not have, and a downgrade of an empty database', async ({
    skip,
  }) => {
    const db = await fresh(skip)
    expect((await failureOf(open(db, { downgradeToSchemaVersion: 11 }))).code).toBe(Code.InvalidArgument)
    if (engine === 'postgresql') {
      // MLMD's PostgreSQL schema starts at version 1.
      expect((await failureOf(open(db, { downgradeToSchemaVersion: 0 }))).code).toBe(Code.InvalidArgument)
    }
    expect(await version(db)).toBe(10)
    const empty = await freshDatabase(engine)
    if (empty === undefined) return
    made.push(empty)
    expect((await failureOf(open(empty, { downgradeToSchemaVersion: 3 }))).code).toBe(Code.InvalidArgument)
  })

  it(
    engine === 'postgresql'
      ? 'a failing upgrade leaves the database as it was (one transaction)'
      : 'a failing upgrade stops at the last completed step (MySQL commits DDL as it goes)',
    async ({ skip }) => {
      const db = await fresh(skip)
      await failureOf(open(db, { downgradeToSchemaVersion: 7 }))
      // A column the step to 10 adds, already there: that step fails after 8 and 9 succeeded.
      await sql(db, 'ALTER TABLE ContextProperty ADD COLUMN bool_value BOOLEAN')
      const failed = await failureOf(open(db, { enableUpgradeMigration: true }))
      expect(failed).toBeInstanceOf(MlmdError)
      if (engine === 'postgresql') {
        expect(await version(db)).toBe(7)
        expect(await columns(db, 'Type')).not.toContain('external_id')
      } else {
        expect(await version(db)).toBe(9)
        expect(await columns(db, 'Type')).toContain('external_id')
      }
      expect(await sql(db, 'SELECT uri FROM Artifact ORDER BY id')).toEqual([{ uri: '/a' }, { uri: '/b' }])
    },
  )

  it('mlmd-ts serve --downgrade_db_schema_version downgrades the database, prints the result and exits 0', async ({
    skip,
  }) => {
    const db = await fresh(skip)
    const out: string[] = []
    const io = {
      out: (line: string) => out.push(line),
      err: () => undefined,
      cwd: process.cwd(),
      waitForSignal: () => new Promise<void>(() => {}),
    }
    expect(
      await main(['serve', '--db', db.url, '--port', '0', '--downgrade_db_schema_version', '6'], io),
    ).toBe(0)
    expect(out.join('\n')).toMatch(/Downgrade migration was performed.*schema version 6/)
    expect(await version(db)).toBe(6)
  })

  it('mlmd-ts serve --enable_database_upgrade upgrades an older database on open and serves it', async ({
    skip,
  }) => {
    const db = await fresh(skip)
    await failureOf(open(db, { downgradeToSchemaVersion: 5 }))
    const err: string[] = []
    const io = {
      out: () => undefined,
      err: (line: string) => err.push(line),
      cwd: process.cwd(),
      waitForSignal: () => Promise.resolve(),
    }
    expect(await main(['serve', '--db', db.url, '--port', '0', '--enable_database_upgrade'], io)).toBe(0)
    expect(err.join('\n')).toMatch(/migrating the schema of .* from version 5 to 10/)
    expect(await version(db)).toBe(10)
  })
})
