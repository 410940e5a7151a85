/**
 * Concurrency: one `mlmd-ts serve` with 8 gRPC clients writing and reading at once, while two
 * other processes write to the same SQLite file: our in-process store, and the real MLMD
 * (Python `ml-metadata`, in process). Then a phase where another process holds the write lock
 * longer than the server's busy timeout, so contention must surface as ABORTED and be retried.
 *
 * Shown: no call fails with INTERNAL (SQLITE_BUSY never escapes as anything but ABORTED), every
 * ABORTED is retried, every acknowledged write is whole afterwards, and every read (one
 * GetLineageSubgraph, one transaction) sees a write whole or not at all.
 */

import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../../src/client/index.js'
import { Code, MlmdError } from '../../src/index.js'
import { describeWithMlmd, VENV_PYTHON } from '../python/venv.js'
import {
  auditStore,
  collect,
  EXECUTION_TYPE,
  HERE,
  integrityCheck,
  putExecutionRequest,
  report,
  type ServeProcess,
  seededRandom,
  spawnScript,
  startServe,
  stopChild,
  tempDir,
  type WorkloadTypes,
  workloadTypes,
} from './support.js'

const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 100_000)
const CLIENTS = 8
const OPS_PER_CLIENT = 24 // alternating writes and reads
const MAX_OPS_PER_CLIENT = 160
const OUTPUTS = 2

interface Tally {
  writes: number
  reads: number
  aborted: number
  readsAbsent: number
  failures: string[]
}

/**
 * Reads write `name` in one transaction (GetLineageSubgraph from its execution, one hop) and
 * checks it is whole; returns false when it is absent.
 */
async function readWhole(client: MetadataStoreClient, name: string): Promise<boolean> {
  let graph: Awaited<ReturnType<MetadataStoreClient['getLineageSubgraph']>>['lineage_subgraph']
  try {
    graph = (
      await client.getLineageSubgraph({
        lineage_subgraph_query_options: {
          starting_executions: { filter_query: `name = '${name}' AND type = '${EXECUTION_TYPE}'` },
          max_num_hops: 1n,
        },
      })
    ).lineage_subgraph
  } catch (error) {
    if (error instanceof MlmdError && error.code === Code.NotFound) return false
    throw error
  }
  const artifacts = (graph?.artifacts ?? []).map((a) => a.name).sort()
  const expected = [`${name}-in`, ...Array.from({ length: OUTPUTS }, (_, k) => `${name}-out-${k}`)].sort()
  expect({ name, artifacts, events: graph?.events?.length }).toEqual({
    name,
    artifacts: expected,
    events: expected.length,
  })
  expect((graph?.contexts ?? []).map((c) => c.name)).toContain(`${name}-ctx`)
  return true
}

let dir: string
let db: string
let server: ServeProcess
let types: WorkloadTypes

describeWithMlmd('concurrency', () => {
  beforeAll(async () => {
    dir = tempDir('concurrency')
    db = path.join(dir, 'shared.sqlite')
    server = await startServe(db)
    const setup = createMetadataStoreClient({ port: server.port })
    types = await workloadTypes(setup)
    setup.close()
    report('concurrency', `seed ${SEED}`)
  })
  afterAll(async () => {
    if (server) await stopChild(server.child)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it(`${CLIENTS} gRPC clients, our in-process store and the real MLMD write one file; nothing is lost or torn`, {
    timeout: 120_000,
  }, async () => {
    const random = seededRandom(SEED)
    const tally: Tally = { writes: 0, reads: 0, aborted: 0, readsAbsent: 0, failures: [] }
    const acked = new Set<string>()
    const inFlight = new Set<string>()

    // The other processes on the same file.
    const ours = spawnScript('store-writer.ts', [
      '--db',
      db,
      '--prefix',
      'proc',
      '--count',
      '30',
      '--outputs',
      `${OUTPUTS}`,
    ])
    const mlmd = collect(
      spawn(VENV_PYTHON, [path.join(HERE, 'mlmd_writer.py'), db, 'py', '15', `${OUTPUTS}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    )

    const clients = Array.from({ length: CLIENTS }, () =>
      createMetadataStoreClient({
        port: server.port,
        retry: { initialBackoffMs: 50, maxAttempts: 8 },
        onRetry: () => {
          tally.aborted++
        },
      }),
    )
    // Each client goes on until both other processes are done (so they overlap), at least
    // OPS_PER_CLIENT and at most MAX_OPS_PER_CLIENT operations.
    let othersRunning = 2
    let overlapping = 0
    void ours.exited.then(() => othersRunning--)
    void mlmd.exited.then(() => othersRunning--)
    const worker = async (c: number) => {
      const client = clients[c] as MetadataStoreClient
      for (let op = 0; op < MAX_OPS_PER_CLIENT && (op < OPS_PER_CLIENT || othersRunning > 0); op++) {
        if (othersRunning === 2) overlapping++
        try {
          if (op % 2 === 0) {
            const name = `c${c}-${op / 2}`
            inFlight.add(name)
            await client.putExecution(putExecutionRequest(types, name, OUTPUTS))
            inFlight.delete(name)
            acked.add(name)
            tally.writes++
          } else {
            // Read a write that is acknowledged, or one still in flight on another client,
            // or one of the other processes' writes (whichever state it is in).
            const pool = [
              ...acked,
              ...inFlight,
              ...ours.lines.filter((l) => l.startsWith('start ')).map((l) => l.slice(6)),
              ...mlmd.lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4)),
            ]
            const name = pool[Math.floor(random() * pool.length)] ?? 'none'
            // Only a write acknowledged before the read began must be found: one in flight may
            // commit, and be acknowledged, while the read is under way.
            const ackedBeforeRead = acked.has(name)
            const present = await readWhole(client, name)
            if (!present) {
              tally.readsAbsent++
              expect(ackedBeforeRead).toBe(false)
            }
            tally.reads++
          }
        } catch (error) {
          tally.failures.push(`client ${c} op ${op}: ${(error as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => worker(c)))
    await Promise.all([ours.exited, mlmd.exited])
    for (const client of clients) client.close()

    const oursAcked = ours.lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4))
    const oursRetries = ours.lines.filter((l) => l.startsWith('retry ')).length
    const oursFailed = ours.lines.filter((l) => l.startsWith('fail '))
    const mlmdAcked = mlmd.lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4))
    const mlmdSummary = JSON.parse(mlmd.lines.at(-1) ?? '{}') as { aborted?: number; failed?: number }
    const mlmdFailed = mlmd.lines.filter((l) => l.startsWith('fail '))

    const check = createMetadataStoreClient({ port: server.port })
    const audit = await auditStore(check)
    check.close()
    const lost = [...acked, ...oursAcked, ...mlmdAcked].filter((name) => !audit.whole.has(name))

    report(
      'concurrency',
      `phase 1: ${CLIENTS} gRPC clients: ${tally.writes} PutExecutions + ${tally.reads} ` +
        `GetLineageSubgraph reads (${tally.readsAbsent} found a write not yet committed, none torn); ` +
        `${tally.aborted} ABORTED retried by our client; ${tally.failures.length} failures; ` +
        `${overlapping} operations ran while both other processes were running`,
    )
    report(
      'concurrency',
      `phase 1: second process (in-process store): ${oursAcked.length} writes, ${oursRetries} ABORTED retried, ` +
        `${oursFailed.length} failed; real MLMD in-process: ${mlmdAcked.length} writes, ` +
        `${mlmdSummary.aborted ?? '?'} ABORTED retried, ${mlmdFailed.length} failed`,
    )
    report(
      'concurrency',
      `phase 1: ${audit.whole.size} writes whole in the file, ${lost.length} lost, ${audit.torn.length} torn`,
    )

    expect(tally.failures).toEqual([])
    expect(oursFailed).toEqual([])
    expect(ours.stderr()).toBe('')
    expect(mlmdFailed).toEqual([])
    expect(oursAcked).toHaveLength(30)
    expect(mlmdAcked).toHaveLength(15)
    expect(audit.torn).toEqual([])
    expect(lost).toEqual([])
    expect(server.output()).not.toMatch(/INTERNAL/)
  })

  it('a lock held past the busy timeout surfaces as ABORTED only, which clients retry', {
    timeout: 120_000,
  }, async () => {
    // Held until the first ABORTED reaches a client (at most 15 s): longer than the server's
    // 5 s busy timeout however loaded the machine is.
    const holder = spawnScript('hold-lock.ts', ['--db', db, '--ms', '15000'], { stdin: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no lock in 30 s: ${holder.stderr()}`)), 30_000)
      holder.child.stdout?.on('data', () => {
        if (holder.lines.includes('locked')) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    const aborted: string[] = []
    const failures: string[] = []
    const clients = Array.from({ length: CLIENTS }, () =>
      createMetadataStoreClient({
        port: server.port,
        retry: { initialBackoffMs: 200, maxAttempts: 8 },
        onRetry: (rpc, _attempt, error) => {
          aborted.push(`${rpc}: ${error.rawMessage}`)
          if (aborted.length === 1) holder.child.stdin?.end('release\n')
        },
      }),
    )
    // The server keeps answering while it waits for the lock (its retries are timers).
    const reader = createMetadataStoreClient({ port: server.port, retry: { maxAttempts: 1 } })
    let readsWhileLocked = 0
    const reading = (async () => {
      while (!holder.lines.includes('released') && holder.child.exitCode === null) {
        await reader.getArtifactTypes({})
        if (!holder.lines.includes('released')) readsWhileLocked++
      }
    })()
    const names = clients.map((_, c) => `lock-${c}`)
    const writer = spawnScript('store-writer.ts', [
      '--db',
      db,
      '--prefix',
      'lockproc',
      '--count',
      '3',
      '--outputs',
      `${OUTPUTS}`,
    ])
    await Promise.all(
      clients.map(async (client, c) => {
        try {
          await client.putExecution(putExecutionRequest(types, names[c] as string, OUTPUTS))
        } catch (error) {
          failures.push(`${names[c]}: ${(error as Error).message}`)
        }
      }),
    )
    await Promise.all([holder.exited, writer.exited, reading])
    reader.close()
    const check = createMetadataStoreClient({ port: server.port })
    const audit = await auditStore(check)
    check.close()
    for (const client of clients) client.close()
    const writerRetries = writer.lines.filter((l) => l.startsWith('retry ')).length
    report(
      'concurrency',
      `phase 2 (another process holds the write lock until a client gets ABORTED, after the server's 5 s of retries): ${CLIENTS} PutExecutions, ` +
        `${aborted.length} ABORTED retried by our client, second process ${writerRetries} ABORTED retried, ` +
        `${failures.length} failures, ${names.filter((n) => !audit.whole.has(n)).length} lost; ` +
        `${readsWhileLocked} reads served while the lock was held`,
    )
    expect(failures).toEqual([])
    expect(readsWhileLocked).toBeGreaterThan(0)
    expect(aborted.length).toBeGreaterThan(0)
    expect(aborted.every((line) => /Concurrent writes aborted/.test(line))).toBe(true)
    expect(names.filter((n) => !audit.whole.has(n))).toEqual([])
    expect(writer.lines.filter((l) => l.startsWith('ack '))).toHaveLength(3)
    expect(audit.torn).toEqual([])
    expect(server.output()).not.toMatch(/INTERNAL/)
    expect(integrityCheck(db)).toBe('ok')
  })
})
