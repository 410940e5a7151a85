/**
 * Schema setup and the version check on a MySQL database, after MLMD's
 * `InitMetadataStoreIfNotExists`: an empty database gets schema v10 and the simple types; a v10
 * database (the real MLMD's, or ours) is used as it is; an older one (back to version 0, which
 * has no `MLMDEnv`) is upgraded when the options allow it (`migrations/mysql.ts`), or
 * downgraded on request; anything else is refused with a message that says what was found,
 * before anything is written. Replicas starting at the same moment take turns (a named lock).
 *
 * MySQL commits each DDL statement by itself, so a migration is not atomic: an interrupted one
 * leaves the database at the version of its last completed step, with part of the next step
 * applied, as MLMD's own MySQL migrations do. Unlike MLMD's, the next run skips what that part
 * did and finishes the migration (`migrations/mysql.ts`). Back the database up before
 * upgrading it.
 */
import type mysql from 'mysql2/promise'
import { failedPrecondition } from '../../errors.js'
import type { MysqlSource } from '../mysql-source.js'
import { type MigrationPlan, missingFromShape, type ServerMigrationConnection } from './migrate.js'
import type { Catalog, SchemaShape } from './migrations/migration-scheme.js'
import { MYSQL_MIGRATIONS } from './migrations/mysql.js'
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
import { MYSQL_LOOKUP_INDICES, MYSQL_TABLES } from './v10-mysql.js'

const INIT_LOCK = 'mlmd_ts_init'
const MLMD_TABLES = new Map(MYSQL_TABLES.map((t) => [t.name.toLowerCase(), t.name]))

/** Options of {@link initMysqlStore}. */
export interface MysqlInitOptions extends ServerMigrationOptions {
  /** Create MLMD's tables even though the database holds tables MLMD does not know. */
  readonly allowForeignTables?: boolean
}

/**
 * Creates the schema in an empty database, or checks the version of an existing one and
 * migrates it as the options say.
 * @throws FailedPrecondition for a database newer than 10, an older one without
 *   `enableUpgradeMigration`, one with only part of MLMD's tables, or one that holds other
 *   tables (without `allowForeignTables`).
 * @throws Cancelled after a requested downgrade (the store does not open).
 * @throws InvalidArgument for a downgrade target above 10 or on an empty database.
 */
export async function initMysqlStore(source: MysqlSource, options: MysqlInitOptions = {}): Promise<void> {
  const downgradedTo = await source.execute(async (connection) => {
    await connection.query('SELECT GET_LOCK(?, 30)', [INIT_LOCK])
    try {
      return await initLocked(source, connection, options)
    } finally {
      await connection.query('DO RELEASE_LOCK(?)', [INIT_LOCK])
    }
  })
  if (downgradedTo !== undefined) throw downgradedError(source.description, downgradedTo)
}

async function initLocked(
  source: MysqlSource,
  connection: mysql.PoolConnection,
  options: MysqlInitOptions,
): Promise<number | undefined> {
  const tables = await tablesOf(connection)
  const ours = tables.filter((t) => MLMD_TABLES.has(t.toLowerCase()))
  const foreign = tables.filter((t) => !MLMD_TABLES.has(t.toLowerCase()))
  if (ours.length === 0) {
    if (downgradeTarget(options) !== undefined) throw emptyDowngradeError()
    if (foreign.length > 0 && options.allowForeignTables !== true) {
      throw failedPrecondition(
        `The database ${source.description} holds tables that are not MLMD's (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); refusing to add MLMD's tables to it. Use an empty database.`,
      )
    }
    // MySQL commits DDL as it goes; the seeding below runs in one transaction.
    for (const table of MYSQL_TABLES) await connection.query(table.ddl)
    for (const index of MYSQL_LOOKUP_INDICES) await connection.query(index.ddl)
    await connection.query('START TRANSACTION')
    for (const type of SIMPLE_TYPES) {
      await connection.query('INSERT INTO `Type`(`name`, `type_kind`) VALUES(?, ?)', [type.name, type.kind])
    }
    await connection.query('INSERT INTO `MLMDEnv`(`schema_version`) VALUES(?)', [SCHEMA_VERSION])
    await connection.query('COMMIT')
    return undefined
  }
  const migrating = migrationConnection(connection)
  const version = await readVersion(connection, tables, source.description)
  const downgraded = await migrateOnOpen(migrating, MYSQL_MIGRATIONS, version, source.description, options)
  if (downgraded !== undefined) return downgraded
  const now = version === SCHEMA_VERSION ? tables : await tablesOf(connection)
  const missing = [...MLMD_TABLES.values()].filter(
    (t) => !now.some((have) => have.toLowerCase() === t.toLowerCase()),
  )
  if (missing.length > 0) {
    throw failedPrecondition(
      `The database ${source.description} says it is at schema version ${SCHEMA_VERSION} but lacks the tables ${missing.join(', ')}.`,
    )
  }
  const [indices] = await connection.query<mysql.RowDataPacket[]>(
    'SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE()',
  )
  const present = new Set(indices.map((row) => String(row.name)))
  for (const index of MYSQL_LOOKUP_INDICES) {
    if (!present.has(index.name)) await connection.query(index.ddl)
  }
  return undefined
}

/**
 * Migrates the schema of an existing MLMD database to `request.to`, up or down, or on a dry run
 * checks and plans without changing anything. The version is recorded after each step; a
 * killed run leaves the database at the last one recorded and the next run finishes it.
 * @throws FailedPrecondition for a database that holds none of MLMD's tables, one newer than
 *   10, or one that is not what its version says; InvalidArgument for a target above 10.
 */
export function migrateMysqlSchema(
  source: MysqlSource,
  request: ServerMigrationRequest,
): Promise<MigrationPlan> {
  return source.execute(async (connection) => {
    await connection.query('SELECT GET_LOCK(?, 30)', [INIT_LOCK])
    try {
      const tables = await tablesOf(connection)
      if (!tables.some((t) => MLMD_TABLES.has(t.toLowerCase())))
        throw notMlmdError(source.description, tables)
      const version = await readVersion(connection, tables, source.description)
      return await migrateOnRequest(
        migrationConnection(connection),
        MYSQL_MIGRATIONS,
        version,
        source.description,
        request,
      )
    } finally {
      await connection.query('DO RELEASE_LOCK(?)', [INIT_LOCK])
    }
  })
}

// The schema version of a database that has some of MLMD's tables.
async function readVersion(
  connection: mysql.PoolConnection,
  tables: readonly string[],
  description: string,
): Promise<number> {
  if (!tables.some((t) => t.toLowerCase() === 'mlmdenv')) {
    // Version 0 (ml-metadata 0.13.2) had no MLMDEnv: a database with all of its tables is one.
    const v0 = MYSQL_MIGRATIONS.schemes.get(0)?.shape
    if (
      v0 === undefined ||
      missingFromShape(v0, await migrationConnection(connection).readShape()).length > 0
    ) {
      throw failedPrecondition(
        `The database ${description} has some of MLMD's tables but no MLMDEnv table: it is not an MLMD database, or one whose creation was interrupted.`,
      )
    }
    return 0
  }
  const [versions] = await connection.query<mysql.RowDataPacket[]>('SELECT `schema_version` FROM `MLMDEnv`')
  if (versions.length !== 1) {
    throw failedPrecondition(
      `MLMDEnv of ${description} holds ${versions.length} rows instead of one; the database's schema version is unknown.`,
    )
  }
  return Number(versions[0]?.schema_version)
}

async function tablesOf(connection: mysql.PoolConnection): Promise<string[]> {
  const [rows] = await connection.query<mysql.RowDataPacket[]>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
  )
  return rows.map((row) => String(row.name))
}

/** The migration runner's view of the init connection. */
function migrationConnection(connection: mysql.PoolConnection): ServerMigrationConnection {
  return {
    run: async (sql, params) => {
      await connection.query(sql, params === undefined ? [] : [...params])
    },
    readShape: async (): Promise<SchemaShape> => {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        'SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() ' +
          'ORDER BY table_name, ordinal_position',
      )
      const tables: Record<string, string[]> = {}
      for (const row of rows) {
        const table = String(row.t)
        tables[table] = [...(tables[table] ?? []), String(row.c)]
      }
      return { tables, indices: [] }
    },
    readCatalog: async (): Promise<Catalog> => {
      const [columns] = await connection.query<mysql.RowDataPacket[]>(
        'SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE()',
      )
      const [indices] = await connection.query<mysql.RowDataPacket[]>(
        'SELECT DISTINCT table_name AS t, index_name AS i FROM information_schema.statistics WHERE table_schema = DATABASE()',
      )
      const catalog: Record<string, { columns: string[]; indices: string[] }> = {}
      const entry = (table: string) => {
        catalog[table] ??= { columns: [], indices: [] }
        return catalog[table]
      }
      for (const row of columns) entry(String(row.t)).columns.push(String(row.c))
      for (const row of indices) entry(String(row.t)).indices.push(String(row.i))
      return catalog
    },
  }
}
