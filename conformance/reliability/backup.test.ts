/**
 * `mlmd-ts backup` while `mlmd-ts serve` writes the same file: the copy is one consistent
 * snapshot (every write in it whole), holds everything acknowledged before the backup started,
 * passes `PRAGMA integrity_check`, and opens as a store.
 */
import { existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../../src/client/index.js'
import { createMetadataStore, toAsyncMetadataStore } from '../../src/index.js'
import {
  auditStore,
  integrityCheck,
  putExecutionRequest,
  report,
  spawnCli,
  startServe,
  stopChild,
  tempDir,
  workloadTypes,
} from './support.js'

let dir: string
beforeAll(() => {
  dir = tempDir('backup')
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('mlmd-ts backup takes a consistent copy while the server writes', { timeout: 120_000 }, async () => {
  const db = path.join(dir, 'live.sqlite')
  const copy = path.join(dir, 'copy.sqlite')
  const server = await startServe(db)
  const client = createMetadataStoreClient({ port: server.port })
  try {
    const types = await workloadTypes(client)
    const acked: string[] = []
    let stop = false
    let next = 0
    const writer = async () => {
      while (!stop) {
        const name = `b-${next++}`
        await client.putExecution(putExecutionRequest(types, name, 3))
        acked.push(name)
      }
    }
    const writers = Array.from({ length: 3 }, () => writer())
    while (acked.length < 30) await new Promise((resolve) => setTimeout(resolve, 10))

    const before = new Set(acked)
    const backup = spawnCli(['backup', '--db', db, '--out', copy])
    const exit = await backup.exited
    const during = acked.length - before.size
    stop = true
    await Promise.all(writers)
    expect({ exit, stderr: backup.stderr() }).toEqual({ exit: 0, stderr: '' })
    expect(backup.lines.join('\n')).toMatch(
      /backed up .* \(\d+ pages, schema version 10, integrity ok, \d+ ms\)/,
    )
    expect(existsSync(`${copy}-wal`)).toBe(false)

    expect(integrityCheck(copy)).toBe('ok')
    const store = createMetadataStore({ filename: copy, mustExist: true })
    try {
      const audit = await auditStore(toAsyncMetadataStore(store))
      expect(audit.torn).toEqual([])
      expect([...before].filter((name) => !audit.whole.has(name))).toEqual([])
      report(
        'backup',
        `copy taken while 3 clients wrote: ${before.size} writes acknowledged before it started, ${during} during it; ` +
          `the copy holds ${audit.whole.size} whole writes (all ${before.size} earlier ones), 0 torn, integrity_check ok`,
      )
    } finally {
      store.close()
    }
  } finally {
    client.close()
    await stopChild(server.child)
  }
})
