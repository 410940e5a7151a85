/**
 * Schema setup and the version check on a MySQL database, after MLMD's
 * `InitMetadataStoreIfNotExists`: an empty database gets schema v10 and the simple types; a v10
 * database (the real MLMD's, or ours) is used as it is; anything else is refused with a message
 * that says what was found. Replicas starting at the same moment take turns (a named lock).
 */
import type mysql from 'mysql2/promise'
import { failedPrecondition } from '../../errors.js'
import type { MysqlSource } from '../mysql-source.js'
import { SCHEMA_VERSION, SIMPLE_TYPES } from './v10.js'
import { MYSQL_LOOKUP_INDICES, MYSQL_TABLES } from './v10-mysql.js'

const INIT_LOCK = 'mlmd_ts_init'
const MLMD_TABLES = new Map(MYSQL_TABLES.map((t) => [t.name.toLowerCase(), t.name]))

/** Options of {@link initMysqlStore}. */
export interface MysqlInitOptions {
  /** Create MLMD's tables even though the database holds tables MLMD does not know. */
  readonly allowForeignTables?: boolean
}

/**
 * Creates the schema in an empty database, or checks the version of an existing one.
 * @throws FailedPrecondition for a database at another schema version, one with only part of
 *   MLMD's tables, or one that holds other tables (without `allowForeignTables`).
 */
export async function initMysqlStore(source: MysqlSource, options: MysqlInitOptions = {}): Promise<void> {
  await source.execute(async (connection) => {
    await connection.query('SELECT GET_LOCK(?, 30)', [INIT_LOCK])
    try {
      await initLocked(source, connection, options)
    } finally {
      await connection.query('DO RELEASE_LOCK(?)', [INIT_LOCK])
    }
  })
}

async function initLocked(
  source: MysqlSource,
  connection: mysql.PoolConnection,
  options: MysqlInitOptions,
): Promise<void> {
  const [rows] = await connection.query<mysql.RowDataPacket[]>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
  )
  const tables = rows.map((row) => String(row.name))
  const ours = tables.filter((t) => MLMD_TABLES.has(t.toLowerCase()))
  const foreign = tables.filter((t) => !MLMD_TABLES.has(t.toLowerCase()))
  if (ours.length === 0) {
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
    return
  }
  if (!tables.some((t) => t.toLowerCase() === 'mlmdenv')) {
    throw failedPrecondition(
      `The database ${source.description} has some of MLMD's tables but no MLMDEnv table: it is not an MLMD database, or one whose creation was interrupted.`,
    )
  }
  const [versions] = await connection.query<mysql.RowDataPacket[]>('SELECT `schema_version` FROM `MLMDEnv`')
  if (versions.length !== 1) {
    throw failedPrecondition(
      `MLMDEnv of ${source.description} holds ${versions.length} rows instead of one; the database's schema version is unknown.`,
    )
  }
  const version = Number(versions[0]?.schema_version)
  if (version !== SCHEMA_VERSION) {
    throw failedPrecondition(
      version > SCHEMA_VERSION
        ? `The database ${source.description} is at schema version ${version}, newer than this mlmd-ts release reads (${SCHEMA_VERSION}).`
        : `The database ${source.description} is at schema version ${version}; this mlmd-ts release reads version ${SCHEMA_VERSION} and does not upgrade MySQL databases yet. Upgrade it with MLMD 1.16's server (--enable_database_upgrade).`,
    )
  }
  const missing = [...MLMD_TABLES.values()].filter(
    (t) => !tables.some((have) => have.toLowerCase() === t.toLowerCase()),
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
}
