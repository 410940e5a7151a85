/**
 * The writer thread leaves the write lock free between writes once another connection has held
 * it (see `LockSharing` in worker-pool.ts), on a real file with a real second connection.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { type Access, WorkerPool } from './worker-pool.js'

const YIELD_MS = 60

let dir: string
let file: string
let pool: WorkerPool
const waits: { access: Access; ms: number }[] = []

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-lock-sharing-'))
  file = path.join(dir, 'shared.sqlite')
  createMetadataStore({ filename: file }).close()
  pool = await WorkerPool.start({
    store: { filename: file, mustExist: true, busyTimeoutMs: 10 },
    readWorkers: 1,
    lockSharing: {
      yieldFactor: 1,
      minYieldMs: YIELD_MS,
      maxYieldMs: YIELD_MS,
      contendedForMs: 60_000,
    },
    onQueueWait: (access, ms) => waits.push({ access, ms }),
  })
}, 60_000)
afterAll(async () => {
  await pool?.close(0)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const putType = (name: string) => pool.run('PutArtifactType', { artifact_type: { name } })

describe('WorkerPool lock sharing', () => {
  it('after meeting another connection on the lock, keeps each next write back for the yield time', async () => {
    await putType('Alone')
    const other = new Database(file)
    other.exec('BEGIN IMMEDIATE')
    await expect(putType('Blocked')).rejects.toMatchObject({ code: Code.Aborted })
    other.exec('COMMIT')
    other.close()

    waits.length = 0
    // Queued together: each waits out the pause after the write before it.
    await Promise.all([putType('A'), putType('B'), putType('C')])
    const writeWaits = waits.filter((w) => w.access === 'write').map((w) => w.ms)
    expect(writeWaits).toHaveLength(3)
    // Timers may fire up to a millisecond early.
    expect(writeWaits[1]).toBeGreaterThanOrEqual(YIELD_MS - 1)
    expect(writeWaits[2]).toBeGreaterThanOrEqual(2 * (YIELD_MS - 1))
  })

  it('never keeps reads back', async () => {
    waits.length = 0
    await Promise.all([putType('D'), pool.run('GetArtifactTypes', {})])
    expect(waits.find((w) => w.access === 'read')?.ms).toBeLessThan(YIELD_MS)
  })
})
