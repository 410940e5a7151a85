/**
 * `mlmd-ts migrate`: upgrades or downgrades the schema of an MLMD SQLite file, or of a
 * PostgreSQL or MySQL database, explicitly, printing the plan and each statement as it runs.
 * The same migrations run on open with `--enable_database_upgrade` /
 * `--downgrade_db_schema_version`; this command does only the migration, and `--dry-run`
 * shows it without changing anything.
 */
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { MetadataSource } from '../storage/metadata-source.js'
import { MysqlSource } from '../storage/mysql-source.js'
import { PostgresqlSource } from '../storage/postgresql-source.js'
import type { MigrationPlan, MigrationProgress } from '../storage/schema/migrate.js'
import { type InitOptions, migrateSchema, planSchemaMigration } from '../storage/schema/mlmd-env.js'
import { migrateMysqlSchema } from '../storage/schema/mysql-env.js'
import { migratePostgresqlSchema } from '../storage/schema/postgresql-env.js'
import type { ServerMigrationRequest } from '../storage/schema/server-migration.js'
import { SCHEMA_VERSION } from '../storage/schema/v10.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'

/** Usage text of `mlmd-ts migrate`. */
export const MIGRATE_USAGE = `Usage: mlmd-ts migrate --db FILE|URL [--to N] [--dry-run] [options]

Migrates an MLMD database from its schema version (0 for ml-metadata 0.13.2 up to 10 for
1.11-1.16) to version N, up or down, with the steps MLMD's own migrations take. Downgrades
lose what the older schema cannot hold.
- A SQLite file is copied first; all steps run in one transaction, so a failed or
  interrupted migration leaves the file at its old version.
- A PostgreSQL database (versions 1-${SCHEMA_VERSION}) migrates in one transaction too: an interrupted
  migration leaves it at its old version. No copy is taken (use pg_dump).
- A MySQL database commits each DDL statement by itself: the version is recorded after each
  step, an interrupted migration leaves it at the last recorded version, and running the
  command again finishes the migration. No copy is taken (use mysqldump).

Options:
  --db FILE|URL            the store file (it must exist), or postgres://USER:PASSWORD@HOST:PORT/DB,
                           mysql://… or mariadb://… (the database must exist; the password is
                           never printed)
  --to N                   the schema version to reach, 0-${SCHEMA_VERSION} (default: ${SCHEMA_VERSION})
  --dry-run                check the database, print the plan and its SQL; change nothing
  --backup FILE            where to copy the file first (SQLite)
                           (default: FILE.schema-v<version>-<UTC time>.bak beside it)
  --no-backup              do not copy the file first
  --allow_foreign_tables   migrate a SQLite file that also holds tables MLMD does not know
  -h, --help               show this help`

/** What `migrate` was asked to do. */
export interface MigrateSettings {
  /** The absolute path of a SQLite file, or a server database's URL as given. */
  readonly db: string
  /** Where the database is: a SQLite file or a server engine (`mariadb://` is `mysql`). */
  readonly engine: 'sqlite' | 'postgresql' | 'mysql'
  readonly to: number
  readonly dryRun: boolean
  /** Absolute path of the copy, `false` for none, undefined for the default name. */
  readonly backup: string | false | undefined
  readonly allowForeignTables: boolean
}

function parseMigrateFlags(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      backup: { type: 'string' },
      'no-backup': { type: 'boolean' },
      allow_foreign_tables: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

/**
 * Reads the command line of `migrate`.
 * @throws InvalidArgument for unknown options, a missing `--db`, or a bad `--to`.
 */
export function parseMigrateArgs(args: readonly string[], cwd: string): MigrateSettings {
  let parsed: ReturnType<typeof parseMigrateFlags>
  try {
    parsed = parseMigrateFlags(args)
  } catch (error) {
    // node:util reports unknown or malformed options as TypeErrors.
    throw usageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`)
  if (values.db === undefined || values.db === '' || values.db === ':memory:') {
    throw usageError('--db FILE is required (a store file; :memory: has nothing to migrate)')
  }
  const engine = /^postgres(ql)?:\/\//i.test(values.db)
    ? 'postgresql'
    : /^(mysql|mariadb):\/\//i.test(values.db)
      ? 'mysql'
      : 'sqlite'
  if (engine !== 'sqlite') {
    if (values.backup !== undefined) {
      throw usageError(
        `--backup copies SQLite files; back a ${engine === 'postgresql' ? 'PostgreSQL' : 'MySQL'} database up with ${engine === 'postgresql' ? 'pg_dump' : 'mysqldump'}`,
      )
    }
    if (values.allow_foreign_tables === true) {
      throw usageError(
        '--allow_foreign_tables is for SQLite files; a server database is migrated beside other tables',
      )
    }
  }
  const toText = values.to ?? String(SCHEMA_VERSION)
  if (!/^[0-9]+$/.test(toText) || Number(toText) > SCHEMA_VERSION) {
    throw usageError(`--to must be a schema version from 0 to ${SCHEMA_VERSION}, not "${toText}"`)
  }
  if (values.backup !== undefined && values['no-backup'] === true) {
    throw usageError('--backup and --no-backup cannot be used together')
  }
  return {
    db: engine === 'sqlite' ? path.resolve(cwd, values.db) : values.db,
    engine,
    to: Number(toText),
    dryRun: values['dry-run'] === true,
    backup:
      values['no-backup'] === true
        ? false
        : values.backup === undefined
          ? undefined
          : path.resolve(cwd, values.backup),
    allowForeignTables: values.allow_foreign_tables === true,
  }
}

// A statement on one line, shortened for progress output.
function oneLine(sql: string, width = 96): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`
}

/**
 * Runs `mlmd-ts migrate`.
 * @throws FailedPrecondition, InvalidArgument, Aborted, DataLoss as {@link planSchemaMigration}
 *   and {@link migrateSchema} do; the file is left as it was.
 */
export async function migrate(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(MIGRATE_USAGE)
    return 0
  }
  const settings = parseMigrateArgs(args, io.cwd)
  if (settings.engine !== 'sqlite') return migrateServer(settings, io)
  const options: InitOptions = {
    allowForeignTables: settings.allowForeignTables,
    ...(settings.backup === undefined ? {} : { migrationBackupPath: settings.backup }),
  }
  // A dry run opens read-only; a real one plans before the connection writes anything, so a
  // file it refuses is left as it was.
  const planned: { plan?: MigrationPlan } = {}
  const source = MetadataSource.open(
    { filename: settings.db, mustExist: true, readonly: settings.dryRun },
    (opened) => {
      planned.plan = planSchemaMigration(opened, settings.to, options)
    },
  )
  try {
    const { plan } = planned
    if (plan === undefined) throw new Error('migrate: the plan was not made')
    const { from, to, steps } = plan
    if (steps.length === 0) {
      io.out(`${settings.db} is at schema version ${from}; nothing to do.`)
      return 0
    }
    const count = steps.reduce((n, step) => n + step.statements.length, 0)
    io.out(
      `${settings.db}: schema version ${from} -> ${to} (${to > from ? 'upgrade' : 'downgrade'}), ${steps.length} step(s), ${count} statements, one transaction`,
    )
    for (const step of steps) {
      io.out(`  ${step.from} -> ${step.to}: ${step.statements.length} statements`)
      if (settings.dryRun) for (const sql of step.statements) io.out(`    ${oneLine(sql, 2000)};`)
    }
    if (settings.dryRun) {
      io.out('Dry run: nothing was changed.')
      return 0
    }
    const started = Date.now()
    const result = migrateSchema(source, to, {
      ...options,
      onMigration: (event) => {
        if (event.kind === 'backup') io.out(`Copied the file as it was to ${event.path}`)
        if (event.kind === 'progress') {
          const { step, statement, sql } = event.progress
          io.out(`  [${step.from} -> ${step.to}] ${statement}/${step.statements.length} ${oneLine(sql)}`)
        }
      },
    })
    io.out(
      `Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${settings.db} is at schema version ${result.plan.to}.` +
        (result.backupPath === undefined ? '' : ` The copy taken before is ${result.backupPath}.`),
    )
    return 0
  } finally {
    source.close()
  }
}

/**
 * A server database's URL as it may be printed: the password (in the user part, or a
 * `password` parameter) replaced by `****`.
 */
export function maskedUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Not a URL the drivers could read either; print only its scheme.
    return `${text.split(':')[0]}://…`
  }
  if (url.password !== '') url.password = '****'
  for (const key of [...url.searchParams.keys()]) {
    if (/pass/i.test(key)) url.searchParams.set(key, '****')
  }
  return url.toString()
}

// Test-only: `MLMD_TS_TEST_MIGRATION_HOLD=FROM-TO/N` makes a server migration stop for a minute
// after statement N of the step FROM -> TO has run (and been reported), so a test can kill the
// process at that exact point (migrate-engines.test.ts). Unset, nothing waits.
const HOLD_VARIABLE = 'MLMD_TS_TEST_MIGRATION_HOLD'
const HOLD_MS = 60_000

function holdPoint(): ((progress: MigrationProgress) => boolean) | undefined {
  const match = /^(\d+)-(\d+)\/(\d+)$/.exec(process.env[HOLD_VARIABLE] ?? '')
  if (match === null) return undefined
  const [from, to, statement] = match.slice(1).map(Number)
  return (p) => p.step.from === from && p.step.to === to && p.statement === statement
}

// `mlmd-ts migrate --db postgres://…|mysql://…`: the same output as for a SQLite file.
async function migrateServer(settings: MigrateSettings, io: CliIo): Promise<number> {
  const shown = maskedUrl(settings.db)
  const url = settings.db.replace(/^mariadb:/i, 'mysql:')
  // The database must exist: a migration never creates one. One connection does everything.
  const config = { url, skipDbCreation: true, poolSize: 1 }
  const source =
    settings.engine === 'postgresql' ? await PostgresqlSource.open(config) : await MysqlSource.open(config)
  const hold = holdPoint()
  const started = Date.now()
  const request: ServerMigrationRequest = {
    to: settings.to,
    dryRun: settings.dryRun,
    onPlan: ({ from, to, steps }) => {
      if (steps.length === 0) return
      const count = steps.reduce((n, step) => n + step.statements.length, 0)
      const atomicity =
        settings.engine === 'postgresql'
          ? 'one transaction'
          : 'the version recorded after each step (MySQL commits DDL as it goes; a re-run finishes an interrupted one)'
      io.out(
        `${shown}: schema version ${from} -> ${to} (${to > from ? 'upgrade' : 'downgrade'}), ${steps.length} step(s), ${count} statements, ${atomicity}`,
      )
      for (const step of steps) {
        io.out(`  ${step.from} -> ${step.to}: ${step.statements.length} statements`)
        if (settings.dryRun) for (const sql of step.statements) io.out(`    ${oneLine(sql, 2000)};`)
      }
      if (!settings.dryRun) {
        io.out(
          `No copy of the database is taken; ${settings.engine === 'postgresql' ? 'pg_dump' : 'mysqldump'} makes one.`,
        )
      }
    },
    onProgress: async (progress) => {
      const { step, statement, sql, skipped } = progress
      io.out(
        `  [${step.from} -> ${step.to}] ${statement}/${step.statements.length} ${skipped === true ? '(done before, skipped) ' : ''}${oneLine(sql)}`,
      )
      if (hold?.(progress) === true) await sleep(HOLD_MS)
    },
  }
  try {
    const plan =
      source instanceof PostgresqlSource
        ? await migratePostgresqlSchema(source, request)
        : await migrateMysqlSchema(source, request)
    if (plan.steps.length === 0) {
      io.out(`${shown} is at schema version ${plan.from}; nothing to do.`)
    } else if (settings.dryRun) {
      io.out('Dry run: nothing was changed.')
    } else {
      io.out(
        `Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${shown} is at schema version ${plan.to}.`,
      )
    }
    return 0
  } finally {
    await source.close()
  }
}
