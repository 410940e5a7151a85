/**
 * Crash safety: SIGKILL in the middle of acknowledged writes, then restart and audit.
 *
 * 1. `mlmd-ts serve` killed while clients stream PutExecutions: every write the server
 *    acknowledged is present and whole after the restart; writes in flight at the kill are whole
 *    or absent; `PRAGMA integrity_check` is ok.
 * 2. The in-process store in a child process killed while it writes large PutExecutions (so the
 *    kill lands inside a transaction): the same guarantees.
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../../src/client/index.js'
import { createMetadataStore, MlmdError, toAsyncMetadataStore } from '../../src/index.js'
import {
  auditStore,
  integrityCheck,
  isAbsent,
  putExecutionRequest,
  report,
  seededRandom,
  spawnScript,
  startServe,
  tempDir,
  workloadTypes,
} from './support.js'

const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 100_000)
const ROUNDS = 5
const WRITERS = 4

let dir: string
beforeAll(() => {
  dir = tempDir('crash')
  report('crash', `seed ${SEED} (set RELIABILITY_SEED to replay)`)
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('crash safety', () => {
  it(`mlmd-ts serve killed with SIGKILL mid-stream ${ROUNDS} times loses no acknowledged write`, {
    timeout: 120_000,
  }, async () => {
    const random = seededRandom(SEED)
    const db = path.join(dir, 'served.sqlite')
    const acknowledged = new Set<string>()
    const figures: string[] = []
    let totalInFlight = 0
    let totalCommittedInFlight = 0

    // Each restart after a kill serves the next round, so there are ROUNDS + 1 servers.
    let server = await startServe(db)
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const client = createMetadataStoreClient({ port: server.port, retry: { maxAttempts: 1 } })
        const types = await workloadTypes(client)
        const killAfter = 10 + Math.floor(random() * 30)
        const inFlight = new Set<string>()
        let acked = 0
        let next = 0
        let killed = false
        const victim = server
        const writer = async (w: number) => {
          while (!killed) {
            const name = `r${round}-w${w}-${next++}`
            inFlight.add(name)
            try {
              await client.putExecution(putExecutionRequest(types, name, 1 + Math.floor(random() * 4)))
            } catch (error) {
              // The server died with this write in flight: it is whole or absent, checked below.
              if (!(error instanceof MlmdError)) throw error
              return
            }
            inFlight.delete(name)
            acknowledged.add(name)
            if (++acked === killAfter && !killed) {
              killed = true
              victim.child.kill('SIGKILL')
            }
          }
        }
        await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
        client.close()
        await victim.exited
        expect(victim.child.signalCode).toBe('SIGKILL')
        expect(integrityCheck(db)).toBe('ok')

        // Restart on the same file and audit everything written so far.
        server = await startServe(db)
        const after = createMetadataStoreClient({ port: server.port, retry: { maxAttempts: 1 } })
        try {
          const audit = await auditStore(after)
          expect(audit.torn).toEqual([])
          const lost = [...acknowledged].filter((name) => !audit.whole.has(name))
          expect(lost).toEqual([])
          let committed = 0
          for (const name of inFlight) {
            if (audit.whole.has(name)) committed++
            else expect(await isAbsent(after, name)).toBe(true)
          }
          totalInFlight += inFlight.size
          totalCommittedInFlight += committed
          figures.push(
            `round ${round}: ${acked} acknowledged, 0 lost; ${inFlight.size} in flight at the kill ` +
              `(${committed} committed whole, ${inFlight.size - committed} absent); torn 0`,
          )
        } finally {
          after.close()
        }
      }
    } finally {
      server.child.kill('SIGKILL')
      await server.exited
    }
    for (const line of figures) report('crash', `serve ${line}`)
    report(
      'crash',
      `serve total: ${acknowledged.size} acknowledged writes across ${ROUNDS} SIGKILLs, 0 lost, ` +
        `${totalInFlight} in flight (${totalCommittedInFlight} whole, ${totalInFlight - totalCommittedInFlight} absent), ` +
        `integrity_check ok`,
    )
  })

  it(`the in-process store killed mid-transaction ${ROUNDS} times never shows a half-written PutExecution`, {
    timeout: 120_000,
  }, async () => {
    const random = seededRandom(SEED + 1)
    const db = path.join(dir, 'in-process.sqlite')
    const acknowledged = new Set<string>()
    let midTransaction = 0
    let committedUnacked = 0
    for (let round = 1; round <= ROUNDS; round++) {
      // 150 outputs per PutExecution: each transaction writes ~750 rows, so it takes long
      // enough that the kill usually lands inside one.
      const writer = spawnScript('store-writer.ts', [
        '--db',
        db,
        '--prefix',
        `k${round}`,
        '--count',
        '0',
        '--outputs',
        '150',
      ])
      const killAfter = 2 + Math.floor(random() * 4)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no acks in 30 s: ${writer.stderr()}`)), 30_000)
        writer.child.stdout?.on('data', () => {
          if (writer.lines.filter((l) => l.startsWith('ack ')).length >= killAfter) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      // Kill a random moment later, inside or between transactions.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)))
      writer.child.kill('SIGKILL')
      await writer.exited
      const started = writer.lines.filter((l) => l.startsWith('start ')).map((l) => l.slice(6))
      const acked = new Set(writer.lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4)))
      for (const name of acked) acknowledged.add(name)
      const pending = started.filter((name) => !acked.has(name))
      expect(pending.length).toBeLessThanOrEqual(1)

      expect(integrityCheck(db)).toBe('ok')
      const store = createMetadataStore({ filename: db })
      try {
        const view = toAsyncMetadataStore(store)
        const audit = await auditStore(view)
        expect(audit.torn).toEqual([])
        expect([...acknowledged].filter((name) => !audit.whole.has(name))).toEqual([])
        for (const name of pending) {
          if (audit.whole.has(name)) committedUnacked++
          else {
            expect(await isAbsent(view, name)).toBe(true)
            midTransaction++
          }
        }
      } finally {
        store.close()
      }
    }
    report(
      'crash',
      `in-process: ${acknowledged.size} acknowledged PutExecutions (151 artifacts each) across ${ROUNDS} SIGKILLs, 0 lost, ` +
        `${midTransaction} kills inside a transaction (rolled back, absent), ${committedUnacked} after a commit ` +
        `before its ack (whole), ${ROUNDS - midTransaction - committedUnacked} between writes; torn 0, integrity_check ok`,
    )
  })
})
