/**
 * Schema setup and the version check on a PostgreSQL database, after MLMD's
 * `InitMetadataStoreIfNotExists`: an empty database gets schema v10 and the simple types; a v10
 * database (the real MLMD's, or ours) is used as it is; an older one is upgraded when the
 * options allow it (`migrations/postgresql.ts`), or downgraded on request; anything else is
 * refused with a message that says what was found, before anything is written. Replicas
 * starting at the same moment take turns (an advisory lock), so the schema is created or
 * migrated once. Everything runs in one transaction: PostgreSQL's DDL is transactional, so a
 * failed or interrupted migration leaves the database as it was.
 */
import type pg from 'pg'
import { failedPrecondition } from '../../errors.js'
import type { PostgresqlSource } from '../postgresql-source.js'
import type { MigrationPlan, ServerMigrationConnection } from './migrate.js'
import type { SchemaShape } from './migrations/migration-scheme.js'
import { POSTGRESQL_MIGRATIONS } from './migrations/postgresql.js'
import {
  downgradedError,
  downgradeTarget,
  emptyDowngradeError,
  migrateOnOpen,
  migrateOnRequest,
  notMlmdError,
  type ServerMigrationOptions,
  type ServerMigrationRequest,
} from './server-migration.js'
import { SCHEMA_VERSION, SIMPLE_TYPES } from './v10.js'
import { POSTGRESQL_INDICES, POSTGRESQL_LOOKUP_INDICES, POSTGRESQL_TABLES } from './v10-postgresql.js'

// Taken by every mlmd-ts process while it checks or creates the schema ('mlmi').
const INIT_LOCK_KEY = 0x6d6c6d69

const MLMD_TABLES = new Set(POSTGRESQL_TABLES.map((t) => t.name))

/** Options of {@link initPostgresqlStore}. */
export interface PostgresqlInitOptions extends ServerMigrationOptions {
  /** Create MLMD's tables even though the database holds tables MLMD does not know. */
  readonly allowForeignTables?: boolean
}

/**
 * Creates the schema in an empty database, or checks the version of an existing one and
 * migrates it as the options say.
 * @throws FailedPrecondition for a database newer than 10, an older one without
 *   `enableUpgradeMigration`, one with only part of MLMD's tables, or one that holds other
 *   tables (without `allowForeignTables`).
 * @throws Cancelled after a requested downgrade was committed (the store does not open).
 * @throws InvalidArgument for a downgrade target outside 1 … 10 or on an empty database.
 */
export async function initPostgresqlStore(
  source: PostgresqlSource,
  options: PostgresqlInitOptions = {},
): Promise<void> {
  const downgradedTo = await source.execute(async (client): Promise<number | undefined> => {
    await client.query(`SELECT pg_advisory_xact_lock(${INIT_LOCK_KEY})`)
    const tables = await tablesOf(client)
    const ours = tables.filter((t) => MLMD_TABLES.has(t))
    const foreign = tables.filter((t) => !MLMD_TABLES.has(t))
    if (ours.length === 0) {
      if (downgradeTarget(options) !== undefined) throw emptyDowngradeError()
      if (foreign.length > 0 && options.allowForeignTables !== true) {
        throw failedPrecondition(
          `The database ${source.description} holds tables that are not MLMD's (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); refusing to add MLMD's tables to it. Use an empty database.`,
        )
      }
      await createSchema(client)
      return undefined
    }
    const version = await readVersion(client, tables, source.description)
    const downgraded = await migrateOnOpen(
      migrationConnection(client),
      POSTGRESQL_MIGRATIONS,
      version,
      source.description,
      options,
    )
    if (downgraded !== undefined) return downgraded
    const now = version === SCHEMA_VERSION ? tables : await tablesOf(client)
    const missing = [...MLMD_TABLES].filter((t) => !now.includes(t))
    if (missing.length > 0) {
      throw failedPrecondition(
        `The database ${source.description} says it is at schema version ${SCHEMA_VERSION} but lacks the tables ${missing.join(', ')}.`,
      )
    }
    for (const index of POSTGRESQL_LOOKUP_INDICES) await client.query(index)
    return undefined
  })
  if (downgradedTo !== undefined) throw downgradedError(source.description, downgradedTo)
}

/**
 * Migrates the schema of an existing MLMD database to `request.to`, up or down, in one
 * transaction (a failure or a killed process leaves it as it was), or on a dry run checks and
 * plans without changing anything (in a read-only transaction).
 * @throws FailedPrecondition for a database that holds none of MLMD's tables, one newer than
 *   10, or one that is not what its version says; InvalidArgument for a target outside 1 … 10.
 */
export function migratePostgresqlSchema(
  source: PostgresqlSource,
  request: ServerMigrationRequest,
): Promise<MigrationPlan> {
  return source.execute(async (client) => {
    if (request.dryRun === true) await client.query('SET TRANSACTION READ ONLY')
    await client.query(`SELECT pg_advisory_xact_lock(${INIT_LOCK_KEY})`)
    const tables = await tablesOf(client)
    if (!tables.some((t) => MLMD_TABLES.has(t))) throw notMlmdError(source.description, tables)
    const version = await readVersion(client, tables, source.description)
    return migrateOnRequest(
      migrationConnection(client),
      POSTGRESQL_MIGRATIONS,
      version,
      source.description,
      request,
    )
  })
}

// The schema version MLMDEnv holds, in a database that has some of MLMD's tables.
async function readVersion(client: pg.PoolClient, tables: readonly string[], description: string) {
  if (!tables.includes('mlmdenv')) {
    throw failedPrecondition(
      `The database ${description} has some of MLMD's tables but no MLMDEnv table: it is not an MLMD database, or one whose creation was interrupted.`,
    )
  }
  const versions = await client.query<{ schema_version: bigint }>('SELECT schema_version FROM mlmdenv')
  if (versions.rows.length !== 1) {
    throw failedPrecondition(
      `MLMDEnv of ${description} holds ${versions.rows.length} rows instead of one; the database's schema version is unknown.`,
    )
  }
  return Number(versions.rows[0]?.schema_version)
}

/** The migration runner's view of a connection inside the init transaction. */
function migrationConnection(client: pg.PoolClient): ServerMigrationConnection {
  return {
    run: async (sql, params) => {
      await client.query(sql, params === undefined ? [] : [...params])
    },
    readShape: async (): Promise<SchemaShape> => {
      const result = await client.query<{ table_name: string; column_name: string }>(
        'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ' +
          'ORDER BY table_name, ordinal_position',
      )
      const tables: Record<string, string[]> = {}
      for (const row of result.rows) {
        tables[row.table_name] = [...(tables[row.table_name] ?? []), row.column_name]
      }
      return { tables, indices: [] }
    },
  }
}

async function tablesOf(client: pg.PoolClient): Promise<string[]> {
  const result = await client.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  )
  return result.rows.map((row) => row.table_name)
}

async function createSchema(client: pg.PoolClient): Promise<void> {
  for (const table of POSTGRESQL_TABLES) await client.query(table.ddl)
  for (const index of [...POSTGRESQL_INDICES, ...POSTGRESQL_LOOKUP_INDICES]) await client.query(index)
  for (const type of SIMPLE_TYPES) {
    await client.query('INSERT INTO type(name, type_kind) VALUES($1, $2)', [type.name, type.kind])
  }
  await client.query('INSERT INTO mlmdenv(schema_version) VALUES($1)', [SCHEMA_VERSION])
}
