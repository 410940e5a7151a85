/**
 * `mlmd-ts check`: runs SQLite's integrity check over a store file, for an operator who saw
 * DATA_LOSS answers (or a server refusing writes because the file is corrupt) and wants to
 * know what is damaged before restoring a backup.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Code, MlmdError } from '../errors.js'
import { MetadataSource } from '../storage/metadata-source.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'

/** Usage text of `mlmd-ts check`. */
export const CHECK_USAGE = `Usage: mlmd-ts check --db PATH

Runs SQLite's integrity check (PRAGMA integrity_check) over a store file, read-only,
and prints what it finds: exit status 0 when the file is intact, 1 when it is damaged
(each problem on a line of its own) or cannot be read. It reads every page of the file,
so it takes as long as a full scan; it is safe while a server uses the file.

Options:
  --db PATH      the store to check (default: ./mlmd.sqlite); it must exist
  -h, --help     show this help`

/**
 * Reads the command line of `check`; resolves the file against `cwd`.
 * @throws InvalidArgument for unknown options or `:memory:`.
 */
export function parseCheckArgs(args: readonly string[], cwd: string): { db: string } {
  let values: { db?: string | undefined }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (error) {
    throw usageError((error as Error).message)
  }
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`)
  const db = values.db ?? 'mlmd.sqlite'
  if (db === ':memory:' || db === '') throw usageError('--db must name a file; :memory: has nothing to check')
  return { db: path.resolve(cwd, db) }
}

/** What the integrity check found: `ok`, or the problems (SQLite's lines). */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly problems: string[] }

/**
 * Checks the file `db` without writing to it.
 * @throws FailedPrecondition when the file does not exist or cannot be opened for a reason
 *   other than damage (permissions).
 */
export function checkStoreFile(db: string): CheckResult {
  if (!existsSync(db)) throw new MlmdError(Code.FailedPrecondition, `${db} does not exist`)
  let source: MetadataSource
  try {
    source = MetadataSource.open({ filename: db, readonly: true, mustExist: true })
  } catch (error) {
    // A damaged header or schema page already fails the open.
    const mapped = MlmdError.from(error)
    const code = (mapped.cause as { code?: unknown } | undefined)?.code
    if (mapped.code === Code.DataLoss || code === 'SQLITE_NOTADB')
      return { ok: false, problems: [mapped.rawMessage] }
    throw mapped
  }
  try {
    const lines = source.integrityCheck()
    return lines.length === 1 && lines[0] === 'ok' ? { ok: true } : { ok: false, problems: lines }
  } catch (error) {
    const mapped = MlmdError.from(error)
    if (mapped.code === Code.DataLoss) return { ok: false, problems: [mapped.rawMessage] }
    throw mapped
  } finally {
    source.close()
  }
}

/** Runs `mlmd-ts check`; resolves with 0 for an intact file, 1 for a damaged one. */
export async function check(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(CHECK_USAGE)
    return 0
  }
  const { db } = parseCheckArgs(args, io.cwd)
  const result = checkStoreFile(db)
  if (result.ok) {
    io.out(`${db}: ok (SQLite's integrity check found no problems)`)
    return 0
  }
  io.out(`${db}: damaged; SQLite's integrity check found:`)
  // SQLite puts some findings on two lines ("*** in database main ***" and the finding).
  for (const problem of result.problems) for (const line of problem.split('\n')) io.out(`  ${line}`)
  io.out('Restore the file from a backup (mlmd-ts backup takes them), or copy out what still reads.')
  return 1
}
