/**
 * `mlmd-ts migrate`: upgrades or downgrades the schema of an MLMD SQLite file explicitly,
 * printing the plan and each statement as it runs. The same migrations run on open with
 * `--enable_database_upgrade` / `--downgrade_db_schema_version`; this command does only the
 * migration, and `--dry-run` shows it without changing anything.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { MetadataSource } from '../storage/metadata-source.js'
import type { MigrationPlan } from '../storage/schema/migrate.js'
import { type InitOptions, migrateSchema, planSchemaMigration } from '../storage/schema/mlmd-env.js'
import { SCHEMA_VERSION } from '../storage/schema/v10.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'

/** Usage text of `mlmd-ts migrate`. */
export const MIGRATE_USAGE = `Usage: mlmd-ts migrate --db FILE [--to N] [--dry-run] [options]

Migrates an MLMD SQLite file from its schema version (0 for ml-metadata 0.13.2 up to 10 for
1.11-1.16) to version N, up or down, with the steps MLMD's own migrations take. The file is
copied first; all steps run in one transaction, so a failed or interrupted migration leaves
the file at its old version. Downgrades lose what the older schema cannot hold.

Options:
  --db FILE                the store file; it must exist
  --to N                   the schema version to reach, 0-${SCHEMA_VERSION} (default: ${SCHEMA_VERSION})
  --dry-run                print the plan and its SQL; change nothing
  --backup FILE            where to copy the file first
                           (default: FILE.schema-v<version>-<UTC time>.bak beside it)
  --no-backup              do not copy the file first
  --allow_foreign_tables   migrate a file that also holds tables MLMD does not know
  -h, --help               show this help`

/** What `migrate` was asked to do. */
export interface MigrateSettings {
  readonly db: string
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
  if (/^(postgres|postgresql|mysql|mariadb):\/\//i.test(values.db)) {
    // The server engines migrate on open (in one transaction on PostgreSQL), as MLMD's server does.
    throw usageError(
      '--db takes a SQLite file here; a PostgreSQL or MySQL database is upgraded by ' +
        '`mlmd-ts serve --db URL --enable_database_upgrade` and downgraded by `--downgrade_db_schema_version N`',
    )
  }
  const toText = values.to ?? String(SCHEMA_VERSION)
  if (!/^[0-9]+$/.test(toText) || Number(toText) > SCHEMA_VERSION) {
    throw usageError(`--to must be a schema version from 0 to ${SCHEMA_VERSION}, not "${toText}"`)
  }
  if (values.backup !== undefined && values['no-backup'] === true) {
    throw usageError('--backup and --no-backup cannot be used together')
  }
  return {
    db: path.resolve(cwd, values.db),
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
