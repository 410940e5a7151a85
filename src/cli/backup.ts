/**
 * `mlmd-ts backup`: a consistent copy of a store file, taken with SQLite's online backup API
 * while servers (ours or MLMD's) keep reading and writing it. Copying the file with `cp` is not
 * safe while it is in use: the `-wal` file holds recent commits, and a copy taken mid-write can
 * be torn.
 */
import { existsSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Code, MlmdError } from '../errors.js'
import { MetadataSource } from '../storage/metadata-source.js'
import { readSchemaVersion } from '../storage/schema/mlmd-env.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'

/** Usage text of `mlmd-ts backup`. */
export const BACKUP_USAGE = `Usage: mlmd-ts backup --db PATH --out FILE

Copies an MLMD SQLite file to FILE with SQLite's online backup API: one consistent
snapshot, safe while mlmd-ts serve (or MLMD) reads and writes the file. The copy is
checked (PRAGMA integrity_check, schema version) and written as a single file (no -wal)
before it appears under its name.

Options:
  --db PATH      the store to back up (default: ./mlmd.sqlite); it must exist
  --out FILE     where to write the copy; it must not exist
  -h, --help     show this help`

/** What `backup` was asked to do. */
export interface BackupSettings {
  /** Absolute path of the store file. */
  readonly db: string
  /** Absolute path of the copy. */
  readonly out: string
}

/**
 * Reads the command line of `backup`.
 * @throws InvalidArgument for unknown options, a missing `--out`, or `:memory:`.
 */
export function parseBackupArgs(args: readonly string[], cwd: string): BackupSettings {
  let values: { db?: string | undefined; out?: string | undefined }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: { db: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (error) {
    throw usageError((error as Error).message)
  }
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`)
  if (values.out === undefined || values.out === '') throw usageError('--out FILE is required')
  const db = values.db ?? 'mlmd.sqlite'
  if (db === ':memory:' || db === '')
    throw usageError('--db must name a file; :memory: has nothing to back up')
  return { db: path.resolve(cwd, db), out: path.resolve(cwd, values.out) }
}

/**
 * Backs up the store: copies it to a temporary file beside `--out`, checks the copy, and
 * renames it into place, so `--out` never names a partial copy.
 * @throws FailedPrecondition when the store cannot be opened, `--out` exists, or the copy
 *   fails its checks.
 */
export async function backup(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(BACKUP_USAGE)
    return 0
  }
  const settings = parseBackupArgs(args, io.cwd)
  if (existsSync(settings.out)) {
    throw new MlmdError(Code.FailedPrecondition, `${settings.out} exists; backup never overwrites a file`)
  }
  const partial = `${settings.out}.partial-${process.pid}`
  // Read-only: the backup must not change the store (not even its journal mode).
  const source = MetadataSource.open({ filename: settings.db, readonly: true })
  try {
    const started = Date.now()
    const { pages } = await source.backup(partial)
    const version = checkCopy(partial)
    renameSync(partial, settings.out)
    io.out(
      `mlmd-ts: backed up ${settings.db} to ${settings.out} (${pages} pages, schema version ${version}, ` +
        `integrity ok, ${Date.now() - started} ms)`,
    )
    return 0
  } catch (error) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${partial}${suffix}`, { force: true })
    throw error
  } finally {
    source.close()
  }
}

// Checks the copy and makes it a single self-contained file (rollback journal instead of WAL,
// so copying FILE alone copies everything); returns its schema version.
function checkCopy(file: string): number {
  const copy = MetadataSource.open({ filename: file, mustExist: true })
  try {
    copy.exec('PRAGMA journal_mode = DELETE')
    return copy.execute('read', (tx) => {
      const problems = tx
        .all<{ integrity_check: string }>({ sql: 'PRAGMA integrity_check', params: [] })
        .map((row) => row.integrity_check)
      if (problems.join() !== 'ok') {
        throw new MlmdError(Code.DataLoss, `the copy fails PRAGMA integrity_check: ${problems.join('; ')}`)
      }
      const state = readSchemaVersion(tx)
      if (state.kind !== 'versioned') {
        throw new MlmdError(Code.FailedPrecondition, 'the database holds no MLMD schema')
      }
      return state.version
    })
  } finally {
    copy.close()
  }
}
