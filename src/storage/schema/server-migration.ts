/**
 * What PostgreSQL and MySQL share when a store opens on a database of another schema version:
 * MLMD's `MigrationOptions` (upgrade on open, downgrade on request) and the decision they lead
 * to, after MLMD's `InitMetadataStoreIfNotExists` and `DowngradeMetadataSource`.
 */
import { Code, failedPrecondition, MlmdError } from '../../errors.js'
import {
  checkServerMigrationStart,
  type MigrationPlan,
  type MigrationProgress,
  planMigration,
  runServerMigration,
  type ServerMigrationConnection,
} from './migrate.js'
import type { ServerEngineMigrations } from './migrations/migration-scheme.js'
import { SCHEMA_VERSION } from './v10.js'

/** MLMD's `MigrationOptions`, for a database on a server engine. */
export interface ServerMigrationOptions {
  /**
   * Upgrade a database an older MLMD wrote (schema < 10) in place when the store opens (MLMD's
   * `--enable_database_upgrade`, which Kubeflow always passes).
   */
  readonly enableUpgradeMigration?: boolean
  /**
   * Downgrade the database to this schema version and stop: the open fails with CANCELLED after
   * the downgrade, as MLMD's does. A negative value (MLMD's default, -1) does nothing.
   */
  readonly downgradeToSchemaVersion?: number
  /** MLMD's `MigrationOptions` message; its fields are used where the two above are unset. */
  readonly migrationOptions?: {
    readonly enable_upgrade_migration?: boolean
    readonly downgrade_to_schema_version?: number | bigint
  }
  /** Told the plan of a migration before it runs. */
  readonly onMigrationPlan?: (plan: MigrationPlan) => void
}

function upgradeEnabled(options: ServerMigrationOptions): boolean {
  return options.enableUpgradeMigration ?? options.migrationOptions?.enable_upgrade_migration ?? false
}

/** The requested downgrade target, or undefined. */
export function downgradeTarget(options: ServerMigrationOptions): number | undefined {
  const target = options.downgradeToSchemaVersion ?? options.migrationOptions?.downgrade_to_schema_version
  if (target === undefined || target < 0) return undefined
  return Number(target)
}

/** The answer to an open that asked for a downgrade on an empty database. */
export function emptyDowngradeError(): MlmdError {
  return new MlmdError(Code.InvalidArgument, 'Empty database is given. Downgrade operation is not needed.')
}

/**
 * Brings a database at `version` where the options say: down to the requested version, up to
 * 10 with the upgrade enabled, or nowhere (refused). Runs on the caller's connection, inside
 * its transaction on PostgreSQL.
 * @returns the version downgraded to, or undefined when the store may open (the database is
 *   at version 10 now).
 * @throws FailedPrecondition for a database newer than 10, or older without the upgrade enabled
 *   (nothing is touched); InvalidArgument for a downgrade target the engine does not have.
 */
export async function migrateOnOpen(
  connection: ServerMigrationConnection,
  migrations: ServerEngineMigrations,
  version: number,
  description: string,
  options: ServerMigrationOptions,
): Promise<number | undefined> {
  const target = downgradeTarget(options)
  if (version > SCHEMA_VERSION) throw newerError(description, version)
  if (target !== undefined) {
    if (target > SCHEMA_VERSION) {
      throw new MlmdError(
        Code.InvalidArgument,
        `MLMD cannot be downgraded to schema_version: ${target}. The target version should be greater or equal to ${migrations.oldest}, and the current library version: ${SCHEMA_VERSION} needs to be greater than the target version.`,
      )
    }
    const plan = planMigration(migrations, version, target)
    options.onMigrationPlan?.(plan)
    await runServerMigration(connection, migrations, plan)
    return target
  }
  if (version === SCHEMA_VERSION) return undefined
  if (!upgradeEnabled(options)) {
    throw failedPrecondition(
      `The database ${description} is at schema version ${version}, older than this mlmd-ts release's ${SCHEMA_VERSION}. ` +
        'Schema migration is disabled: open it with enableUpgradeMigration (server flag --enable_database_upgrade) to upgrade it in place.',
    )
  }
  const plan = planMigration(migrations, version, SCHEMA_VERSION)
  options.onMigrationPlan?.(plan)
  await runServerMigration(connection, migrations, plan)
  return undefined
}

/** An explicit migration of a server database (`mlmd-ts migrate --db URL`). */
export interface ServerMigrationRequest {
  /** The schema version to reach, up or down. */
  readonly to: number
  /** Check and plan only; change nothing. */
  readonly dryRun?: boolean
  /** Told the plan once the database is checked, before anything changes. */
  readonly onPlan?: (plan: MigrationPlan) => void
  /** Told after each statement; the migration waits for what it returns. */
  readonly onProgress?: (progress: MigrationProgress) => void | Promise<void>
}

function newerError(description: string, version: number): MlmdError {
  return failedPrecondition(
    `The database ${description} is at schema version ${version}, newer than this mlmd-ts release reads (${SCHEMA_VERSION}); use the MLMD release that wrote it.`,
  )
}

/**
 * Migrates a database at `version` to `request.to` (either direction), or on a dry run only
 * checks that it could: the starting shape is checked and the plan told before anything
 * changes. Runs on the caller's connection, inside its transaction on PostgreSQL.
 * @returns the plan (no steps when the database is at `to` already).
 * @throws FailedPrecondition for a database newer than 10 or without the shape of its version;
 *   InvalidArgument for a target the engine does not have.
 */
export async function migrateOnRequest(
  connection: ServerMigrationConnection,
  migrations: ServerEngineMigrations,
  version: number,
  description: string,
  request: ServerMigrationRequest,
): Promise<MigrationPlan> {
  if (version > SCHEMA_VERSION) throw newerError(description, version)
  const plan = planMigration(migrations, version, request.to)
  if (plan.steps.length === 0) {
    request.onPlan?.(plan)
    return plan
  }
  await checkServerMigrationStart(connection, migrations, plan)
  request.onPlan?.(plan)
  if (request.dryRun !== true) await runServerMigration(connection, migrations, plan, request.onProgress)
  return plan
}

/** The answer to an explicit migration of a database that holds none of MLMD's tables. */
export function notMlmdError(description: string, tables: readonly string[]): MlmdError {
  const what =
    tables.length === 0
      ? 'it is empty'
      : `it holds only other tables (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''})`
  return failedPrecondition(
    `The database ${description} is not an MLMD database: ${what}. There is no schema to migrate.`,
  )
}

/** The CANCELLED answer after a requested downgrade, as MLMD gives it. */
export function downgradedError(description: string, version: number): MlmdError {
  return new MlmdError(
    Code.Cancelled,
    `Downgrade migration was performed. Connection to the downgraded database is Cancelled. Now the database ${description} is at schema version ${version}. Use an older library to connect to it.`,
  )
}
