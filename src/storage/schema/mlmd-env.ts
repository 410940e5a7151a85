/**
 * Schema setup and version checks on open, after MLMD's `InitMetadataStoreIfNotExists`:
 * an empty file gets schema v10 and the simple types; a v10 file is used as is (missing simple
 * types are added); anything else is refused with a message that says what to do.
 */
import { Code, failedPrecondition, MlmdError } from '../../errors.js'
import type { MetadataSource } from '../metadata-source.js'
import type { DirectTx } from '../transaction-executor.js'
import { INDICES, LOOKUP_INDICES, SCHEMA_VERSION, SIMPLE_TYPES, TABLES } from './v10.js'

/** Options for {@link initMetadataStore}. */
export interface InitOptions {
  /**
   * Allow an in-place upgrade of a file written by an older MLMD (schema < 10). MLMD's server
   * flag for this is `--enable_database_upgrade`.
   */
  readonly enableUpgradeMigration?: boolean
}

/** What {@link readSchemaVersion} found. */
export type SchemaState =
  | { readonly kind: 'empty' }
  | { readonly kind: 'versioned'; readonly version: number }

/**
 * Reads the schema version of an open file.
 * @throws Aborted when `MLMDEnv` exists but is empty (another process is initialising it).
 * @throws DataLoss when `MLMDEnv` holds more than one row.
 */
export function readSchemaVersion(tx: DirectTx): SchemaState {
  const tables = new Set(
    tx
      .all<{ name: string }>({
        sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        params: [],
      })
      .map((r) => r.name.toLowerCase()),
  )
  if (tables.has('mlmdenv')) {
    const rows = tx.all<{ schema_version: bigint }>({ sql: 'SELECT schema_version FROM MLMDEnv', params: [] })
    if (rows.length === 0) {
      throw new MlmdError(
        Code.Aborted,
        'MLMDEnv has no schema version yet; another process may be initialising it. Retry.',
      )
    }
    if (rows.length > 1) {
      throw new MlmdError(
        Code.DataLoss,
        `MLMDEnv holds ${rows.length} schema versions; expected exactly one.`,
      )
    }
    return { kind: 'versioned', version: Number(rows[0]?.schema_version) }
  }
  // MLMD 0.13.2 files have the node tables but no MLMDEnv: that is schema version 0.
  if (tables.has('type') && tables.has('artifact')) return { kind: 'versioned', version: 0 }
  return { kind: 'empty' }
}

/**
 * Creates the schema in an empty file, checks the version of an existing one, and makes sure
 * the simple types exist. Runs in one write transaction.
 * @throws FailedPrecondition when the file's schema is newer than 10, or older without
 *   `enableUpgradeMigration`, or older and needs a migration mlmd-ts does not have yet.
 * @throws Aborted when the file is half-initialised by a concurrent process (retry).
 */
export function initMetadataStore(source: MetadataSource, options: InitOptions = {}): void {
  if (source.readonly) {
    source.execute('read', (tx) => checkVersion(readSchemaVersion(tx), options, true))
    return
  }
  source.execute('write', (tx) => {
    const state = readSchemaVersion(tx)
    checkVersion(state, options, false)
    if (state.kind === 'empty') createSchema(tx)
    else checkTablesPresent(tx)
    for (const index of LOOKUP_INDICES) tx.run({ sql: index, params: [] })
    upsertSimpleTypes(tx)
  })
}

function checkVersion(state: SchemaState, options: InitOptions, readonly: boolean): void {
  if (state.kind === 'empty') {
    if (readonly)
      throw failedPrecondition(
        'The store file is empty and was opened read-only; open it writable once to create the schema.',
      )
    return
  }
  const { version } = state
  if (version === SCHEMA_VERSION) return
  if (version > SCHEMA_VERSION) {
    throw failedPrecondition(
      `MLMD database version ${version} is greater than library version ${SCHEMA_VERSION}. ` +
        'The file was written by a newer MLMD; use a newer mlmd-ts, or downgrade the file with the MLMD release that wrote it.',
    )
  }
  if (options.enableUpgradeMigration !== true) {
    throw failedPrecondition(
      `MLMD database version ${version} is older than library version ${SCHEMA_VERSION}. ` +
        'Schema migration is disabled. Back up the file, then open it with enableUpgradeMigration ' +
        '(server flag --enable_database_upgrade) to upgrade it in place.',
    )
  }
  throw failedPrecondition(
    `Upgrading an MLMD database from schema version ${version} to ${SCHEMA_VERSION} is not supported by this ` +
      'mlmd-ts release yet. Upgrade the file with ml-metadata 1.16.0 (enable_upgrade_migration), then open it here.',
  )
}

function createSchema(tx: DirectTx): void {
  for (const table of TABLES) tx.run({ sql: table.ddl, params: [] })
  for (const index of INDICES) tx.run({ sql: index, params: [] })
  tx.run({ sql: 'INSERT INTO `MLMDEnv`(`schema_version`) VALUES(?)', params: [BigInt(SCHEMA_VERSION)] })
}

// MLMD probes every table of the schema; a partial schema means a concurrent initialisation.
function checkTablesPresent(tx: DirectTx): void {
  const present = new Set(
    tx
      .all<{ name: string }>({ sql: "SELECT name FROM sqlite_master WHERE type = 'table'", params: [] })
      .map((r) => r.name),
  )
  const missing = TABLES.filter((t) => !present.has(t.name)).map((t) => t.name)
  if (missing.length > 0) {
    throw new MlmdError(
      Code.Aborted,
      `The MLMD schema is incomplete (missing ${missing.join(', ')}); it may be being created concurrently. Retry.`,
    )
  }
}

// MLMD upserts the simple types on every connection, by (name, kind) with no version.
function upsertSimpleTypes(tx: DirectTx): void {
  for (const simple of SIMPLE_TYPES) {
    const found = tx.get({
      sql: 'SELECT id FROM `Type` WHERE name = ? AND type_kind = ? AND version IS NULL',
      params: [simple.name, BigInt(simple.kind)],
    })
    if (found !== undefined) continue
    tx.forgetMemo()
    tx.run({
      sql: 'INSERT INTO `Type`(`name`, `type_kind`, `version`, `description`, `external_id`) VALUES(?, ?, NULL, NULL, NULL)',
      params: [simple.name, BigInt(simple.kind)],
    })
  }
}
