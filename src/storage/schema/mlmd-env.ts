/**
 * Schema setup, version checks and migrations on open, after MLMD's
 * `InitMetadataStoreIfNotExists`: an empty file gets schema v10 and the simple types; a v10 file
 * is used as is (missing simple types are added); an older file is upgraded when asked to
 * (`enableUpgradeMigration`), a file is downgraded when asked to (`downgradeToSchemaVersion`),
 * and anything else is refused with a message that says what to do.
 *
 * Every check that can refuse a file runs in {@link checkBeforeWrite}, which
 * `MetadataSource.open` calls before it writes anything, so a refused file is left byte for
 * byte as it was.
 */
import { Code, failedPrecondition, MlmdError } from '../../errors.js'
import type { MetadataSource } from '../metadata-source.js'
import type { DirectTx } from '../transaction-executor.js'
import {
  checkShape,
  type MigrationPlan,
  type MigrationProgress,
  planMigration,
  runMigration,
} from './migrate.js'
import { SQLITE_MIGRATIONS } from './migrations/sqlite.js'
import { INDICES, LOOKUP_INDICES, SCHEMA_VERSION, SIMPLE_TYPES, TABLES } from './v10.js'

/** What happens while a file is migrated on open (for progress output and logs). */
export type MigrationEvent =
  | { readonly kind: 'plan'; readonly plan: MigrationPlan }
  | { readonly kind: 'backup'; readonly path: string }
  | { readonly kind: 'progress'; readonly progress: MigrationProgress }
  | { readonly kind: 'done'; readonly plan: MigrationPlan; readonly backupPath: string | undefined }

/** Options for {@link initMetadataStore}; MLMD's `MigrationOptions` and a few of our own. */
export interface InitOptions {
  /**
   * Allow an in-place upgrade of a file written by an older MLMD (schema < 10). MLMD's server
   * flag for this is `--enable_database_upgrade`.
   */
  readonly enableUpgradeMigration?: boolean
  /**
   * Downgrade the file to this schema version (0 … 10) and stop: the open then fails with
   * CANCELLED, as MLMD's does, after the downgrade has been committed. A negative value (MLMD's
   * default, -1) does nothing.
   */
  readonly downgradeToSchemaVersion?: number
  /** MLMD's `MigrationOptions` message; its fields are used where the two above are unset. */
  readonly migrationOptions?: {
    readonly enable_upgrade_migration?: boolean
    readonly downgrade_to_schema_version?: number | bigint
  }
  /**
   * Open a file that holds tables MLMD does not know (another application's database, or an
   * MLMD file someone added tables to). Without it such a file is refused, so that MLMD's
   * tables are never added to an unrelated database by mistake.
   */
  readonly allowForeignTables?: boolean
  /**
   * Where to write the copy of the file taken before a migration (a new file). The default is
   * `<file>.schema-v<version>-<UTC time>.bak` beside the file; `false` takes no copy.
   */
  readonly migrationBackupPath?: string | false
  /** Told the plan, the backup path and each statement of a migration as it runs. */
  readonly onMigration?: (event: MigrationEvent) => void
}

function upgradeEnabled(options: InitOptions): boolean {
  return options.enableUpgradeMigration ?? options.migrationOptions?.enable_upgrade_migration ?? false
}

/** The requested downgrade target, or undefined. */
function downgradeTarget(options: InitOptions): number | undefined {
  const target = options.downgradeToSchemaVersion ?? options.migrationOptions?.downgrade_to_schema_version
  if (target === undefined || target < 0) return undefined
  return Number(target)
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
  // MLMD 0.13.2 files have no MLMDEnv, and their Type table still has `is_artifact_type`
  // (MLMD probes that column): that is schema version 0. Any other file without MLMDEnv is
  // treated as empty; MLMD tables without MLMDEnv are then a partial schema.
  if (tables.has('type')) {
    const isArtifactType = tx.get({
      sql: "SELECT 1 FROM pragma_table_info('Type') WHERE name = 'is_artifact_type'",
      params: [],
    })
    if (isArtifactType !== undefined) return { kind: 'versioned', version: 0 }
  }
  return { kind: 'empty' }
}

// Every table name any MLMD schema version has, plus SQLite's own.
const MLMD_TABLES = new Set(
  [...SQLITE_MIGRATIONS.schemes.values()].flatMap((scheme) => Object.keys(scheme.shape.tables)),
)

/**
 * Every check that can refuse a file, run before anything writes to it (pass it to
 * `MetadataSource.open`). Runs in one read transaction.
 * @throws FailedPrecondition for tables that are not MLMD's (without `allowForeignTables`), a
 *   newer schema version, an older one without `enableUpgradeMigration`, a file whose tables
 *   do not match its version, an empty file opened read-only, or an older file opened read-only.
 * @throws InvalidArgument for a downgrade of an empty file or to a version outside 0 … 10.
 * @throws Aborted when `MLMDEnv` is empty or the schema is partial (MLMD: retry).
 * @throws DataLoss when `MLMDEnv` holds more than one row.
 */
export function checkBeforeWrite(source: MetadataSource, options: InitOptions = {}): void {
  source.execute('read', (tx) => {
    if (options.allowForeignTables !== true) checkNoForeignTables(tx)
    const state = readSchemaVersion(tx)
    checkVersion(state, options, source.readonly)
    if (state.kind === 'empty') {
      checkNoPartialSchema(tx)
      return
    }
    if (state.version === SCHEMA_VERSION) checkTablesPresent(tx)
    checkShape(tx, SQLITE_MIGRATIONS, state.version, 'The file says it is at its schema version, but')
    // Read the pages the open reads later (the types), so that a corrupt file fails here.
    tx.all({ sql: 'SELECT * FROM `Type`', params: [] })
  })
}

/**
 * Creates the schema in an empty file, checks the version of an existing one, upgrades or
 * downgrades it when asked to, and makes sure the simple types exist.
 *
 * A migration first copies the file (see {@link InitOptions.migrationBackupPath}), then runs
 * in one write transaction, so a failed or interrupted one leaves the file at its old version.
 * @throws FailedPrecondition when the file's schema is newer than 10, or older without
 *   `enableUpgradeMigration`, or does not match its version.
 * @throws Cancelled after a requested downgrade was done (as MLMD: the store does not open).
 * @throws Aborted when the file is half-initialised by a concurrent process (retry).
 */
export function initMetadataStore(source: MetadataSource, options: InitOptions = {}): void {
  const downgradeTo = downgradeTarget(options)
  if (downgradeTo !== undefined) {
    const done = migrateSchema(source, downgradeTo, options)
    throw new MlmdError(
      Code.Cancelled,
      `Downgrade migration was performed. Connection to the downgraded database is Cancelled. Now the database is at schema version ${downgradeTo}.` +
        (done.backupPath === undefined
          ? ''
          : ` The file before the downgrade was copied to ${done.backupPath}.`) +
        ' Use an older library (or mlmd-ts migrate) to connect to it.',
    )
  }
  if (source.readonly) {
    source.execute('read', (tx) => checkVersion(readSchemaVersion(tx), options, true))
    return
  }
  const state = source.execute('read', readSchemaVersion)
  if (state.kind === 'versioned' && state.version < SCHEMA_VERSION && upgradeEnabled(options)) {
    migrateSchema(source, SCHEMA_VERSION, options)
  }
  source.execute('write', (tx) => {
    const state = readSchemaVersion(tx)
    checkVersion(state, options, false)
    if (state.kind === 'empty') {
      checkNoPartialSchema(tx)
      createSchema(tx)
    } else checkTablesPresent(tx)
    for (const index of LOOKUP_INDICES) tx.run({ sql: index, params: [] })
    upsertSimpleTypes(tx)
  })
}

/** What {@link migrateSchema} did. */
export interface MigrationResult {
  readonly plan: MigrationPlan
  /** The copy taken before the migration; undefined when none was (no steps, memory, or off). */
  readonly backupPath: string | undefined
}

/**
 * Migrates the schema of an open, writable store file to version `to` (up or down), as
 * {@link initMetadataStore} does on open, and as `mlmd-ts migrate` does: plan, copy the file,
 * then every step in one write transaction.
 * @throws InvalidArgument for a target outside 0 … 10, or an empty file.
 * @throws FailedPrecondition for a read-only source, a file newer than 10, or one whose tables
 *   do not match its version.
 * @throws Aborted when another process changed the version between the plan and the migration.
 */
export function migrateSchema(
  source: MetadataSource,
  to: number,
  options: InitOptions = {},
): MigrationResult {
  if (source.readonly) throw failedPrecondition('A read-only store cannot be migrated; open it writable.')
  const state = source.execute('read', readSchemaVersion)
  const version = migratableVersion(state, 'Empty database is given. A migration is not needed.')
  const plan = planMigration(SQLITE_MIGRATIONS, version, to)
  options.onMigration?.({ kind: 'plan', plan })
  if (plan.steps.length === 0) return { plan, backupPath: undefined }
  let backupPath: string | undefined
  if (options.migrationBackupPath !== false && source.filename !== ':memory:') {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    backupPath = options.migrationBackupPath ?? `${source.filename}.schema-v${version}-${stamp}.bak`
    source.copyTo(backupPath)
    options.onMigration?.({ kind: 'backup', path: backupPath })
  }
  source.execute('write', (tx) => {
    const now = readSchemaVersion(tx)
    if (now.kind !== 'versioned' || now.version !== version) {
      throw new MlmdError(
        Code.Aborted,
        `The schema version changed from ${version} while preparing the migration; another process is migrating the file. Retry.`,
      )
    }
    runMigration(tx, SQLITE_MIGRATIONS, plan, (progress) =>
      options.onMigration?.({ kind: 'progress', progress }),
    )
  })
  options.onMigration?.({ kind: 'done', plan, backupPath })
  return { plan, backupPath }
}

/**
 * The plan that would take the store to schema version `to`, after the checks a migration
 * makes first (the file's tables are MLMD's and match its version). Reads only, so it works
 * on a read-only source, and `MetadataSource.open` can run it before anything is written.
 * @throws InvalidArgument for a target outside 0 … 10, or an empty file.
 * @throws FailedPrecondition for foreign tables (without `allowForeignTables`), a file newer
 *   than 10, or tables that do not match the file's version.
 * @throws Aborted, DataLoss for a bad `MLMDEnv`, as on open.
 */
export function planSchemaMigration(
  source: MetadataSource,
  to: number,
  options: InitOptions = {},
): MigrationPlan {
  return source.execute('read', (tx) => {
    if (options.allowForeignTables !== true) checkNoForeignTables(tx)
    const state = readSchemaVersion(tx)
    const version = migratableVersion(state, 'The file holds no MLMD schema; there is nothing to migrate.')
    const plan = planMigration(SQLITE_MIGRATIONS, version, to)
    checkShape(tx, SQLITE_MIGRATIONS, version, 'The file says it is at its schema version, but')
    return plan
  })
}

function checkNoForeignTables(tx: DirectTx): void {
  const foreign = tx
    .all<{ name: string }>({
      sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      params: [],
    })
    .map((r) => r.name)
    .filter((name) => !MLMD_TABLES.has(name))
  if (foreign.length === 0) return
  const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, … (${foreign.length} in all)` : '')
  throw failedPrecondition(
    `The file holds tables that are not MLMD's (${shown}); it looks like another application's database, ` +
      'and MLMD tables will not be added to it. Point mlmd-ts at a new file, or pass allowForeignTables ' +
      '(flag --allow_foreign_tables) to use this one anyway.',
  )
}

// MLMD tables without MLMDEnv (that is not a 0.13.2 file): MLMD answers ABORTED, since that is
// what a schema being created by another connection looks like.
function checkNoPartialSchema(tx: DirectTx): void {
  const present = tx
    .all<{ name: string }>({ sql: "SELECT name FROM sqlite_master WHERE type = 'table'", params: [] })
    .map((r) => r.name)
    .filter((name) => MLMD_TABLES.has(name))
  if (present.length === 0) return
  const missing = TABLES.filter((t) => !present.includes(t.name)).map((t) => t.name)
  throw new MlmdError(
    Code.Aborted,
    `The MLMD schema is incomplete (missing ${missing.join(', ')}); it may be being created concurrently. Retry.`,
  )
}

function checkVersion(state: SchemaState, options: InitOptions, readonly: boolean): void {
  const downgradeTo = downgradeTarget(options)
  if (downgradeTo !== undefined) {
    if (readonly) throw failedPrecondition('A read-only store cannot be downgraded; open it writable.')
    if (downgradeTo > SCHEMA_VERSION) {
      throw new MlmdError(
        Code.InvalidArgument,
        `MLMD cannot be downgraded to schema_version: ${downgradeTo}. The target version should be greater or equal to 0, and the current library version: ${SCHEMA_VERSION} needs to be greater than the target version.`,
      )
    }
    if (state.kind === 'empty') {
      throw new MlmdError(Code.InvalidArgument, 'Empty database is given. Downgrade operation is not needed.')
    }
    if (state.version > SCHEMA_VERSION) {
      throw failedPrecondition(
        `MLMD database version ${state.version} is greater than library version ${SCHEMA_VERSION}. ` +
          'This library does not know how to downgrade it; use the MLMD release that wrote it.',
      )
    }
    return
  }
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
  if (!upgradeEnabled(options)) {
    throw failedPrecondition(
      `MLMD database version ${version} is older than library version ${SCHEMA_VERSION}. ` +
        'Schema migration is disabled. Open it with enableUpgradeMigration ' +
        '(server flag --enable_database_upgrade, or mlmd-ts migrate) to upgrade it in place; a copy of the file is taken first.',
    )
  }
  if (readonly) {
    throw failedPrecondition(
      `MLMD database version ${version} is older than library version ${SCHEMA_VERSION}, and the file was opened read-only; open it writable to upgrade it.`,
    )
  }
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

// The version a migration starts from.
// @throws InvalidArgument (with `emptyMessage`) for a file without a schema.
// @throws FailedPrecondition for a version newer than this library's.
function migratableVersion(state: SchemaState, emptyMessage: string): number {
  if (state.kind === 'empty') throw new MlmdError(Code.InvalidArgument, emptyMessage)
  if (state.version > SCHEMA_VERSION) {
    throw failedPrecondition(
      `MLMD database version ${state.version} is greater than library version ${SCHEMA_VERSION}. ` +
        'This library does not know how to migrate it; use the MLMD release that wrote it.',
    )
  }
  return state.version
}
