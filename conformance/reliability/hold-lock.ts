/**
 * Holds the write lock of a database file, as a long transaction of another process would:
 * `BEGIN IMMEDIATE`, then `COMMIT` once a line arrives on stdin or `--ms` have passed.
 * Prints `locked` and `released`.
 *
 *   node --import tsx hold-lock.ts --db FILE --ms 15000
 */
import { writeSync } from 'node:fs'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'

const { values } = parseArgs({
  options: { db: { type: 'string' }, ms: { type: 'string', default: '15000' } },
})
const db = new Database(values.db as string, { timeout: 30_000 })
db.exec('BEGIN IMMEDIATE')
writeSync(1, 'locked\n')
await new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, Number(values.ms))
  process.stdin.once('data', () => {
    clearTimeout(timer)
    resolve()
  })
})
db.exec('COMMIT')
db.close()
writeSync(1, 'released\n')
process.exit(0)
