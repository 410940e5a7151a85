/**
 * The pool and lock figures of the metrics endpoint, scraped from a real server with store
 * worker threads on a real file, while another connection holds the file's write lock.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../client/metadata-store-client.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { createGrpcServer, type GrpcServer } from './grpc-server.js'
import { type MetricsServer, ServerMetrics, startMetricsServer } from './observability.js'

let dir: string
let file: string
let server: GrpcServer
let metricsServer: MetricsServer
let client: MetadataStoreClient

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${metricsServer.port}/metrics`)
  return response.text()
}

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-pool-metrics-'))
  file = path.join(dir, 'mlmd.sqlite')
  createMetadataStore({ filename: file }).close()
  const metrics = new ServerMetrics({ databaseFile: file })
  server = await createGrpcServer({
    workers: { store: { filename: file, mustExist: true, busyTimeoutMs: 10 }, readWorkers: 1 },
    port: 0,
    abortedRetryMs: 5_000,
    observers: [metrics],
  })
  metrics.watchPool(() => server.poolStats())
  metricsServer = await startMetricsServer(metrics, '127.0.0.1', 0)
  client = createMetadataStoreClient({ port: server.port, retry: { maxAttempts: 1 } })
})
afterAll(async () => {
  client?.close()
  await server?.shutdown(1_000)
  await metricsServer?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('metrics of a server with store workers', () => {
  it('reports its worker threads, and the queue wait of every call that ran', async () => {
    const before = await scrape()
    expect(sample(before, 'mlmd_pool_workers', '{access="read"}')).toBe(1)
    expect(sample(before, 'mlmd_pool_workers', '{access="write"}')).toBe(1)
    expect(sample(before, 'mlmd_pool_queue_depth', '{access="write"}')).toBe(0)
    expect(sample(before, 'mlmd_pool_busy_workers', '{access="write"}')).toBe(0)
    const walBefore = sample(before, 'mlmd_database_wal_size_bytes') as number
    const writesBefore = sample(before, 'mlmd_pool_queue_wait_seconds_count', '{access="write"}') ?? 0

    const { type_id } = await client.putArtifactType({ artifact_type: { name: 'Model' } })
    // Ten writes at once queue for the one writer thread.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client.putArtifacts({
          artifacts: [
            { type_id, uri: `s3://m/${i}`, custom_properties: { n: { string_value: 'x'.repeat(5000) } } },
          ],
        }),
      ),
    )
    await client.getArtifacts({})

    const after = await scrape()
    expect(sample(after, 'mlmd_pool_queue_wait_seconds_count', '{access="write"}')).toBe(writesBefore + 11)
    expect(sample(after, 'mlmd_pool_queue_wait_seconds_count', '{access="read"}')).toBeGreaterThanOrEqual(1)
    expect(sample(after, 'mlmd_pool_queue_wait_seconds_sum', '{access="write"}')).toBeGreaterThan(0)
    expect(sample(after, 'mlmd_database_wal_size_bytes')).toBeGreaterThan(walBefore)
    expect(sample(after, 'mlmd_database_size_bytes')).toBeGreaterThan(0)
  })

  it('counts the retries and the time a write waited for another connection to release the write lock', async () => {
    const text = await scrape()
    const retriesBefore = sample(text, 'mlmd_lock_busy_retries_total', '{rpc="PutArtifactType"}') ?? 0
    const waitBefore = sample(text, 'mlmd_lock_wait_seconds_total', '{rpc="PutArtifactType"}') ?? 0

    const other = new Database(file)
    other.exec('BEGIN IMMEDIATE')
    const write = client.putArtifactType({ artifact_type: { name: 'Blocked' } })
    await new Promise((resolve) => setTimeout(resolve, 400))
    other.exec('COMMIT')
    other.close()
    expect((await write).type_id).toBeDefined()

    const after = await scrape()
    expect(sample(after, 'mlmd_lock_busy_retries_total', '{rpc="PutArtifactType"}')).toBeGreaterThanOrEqual(
      retriesBefore + 2,
    )
    // At least the first two pauses (10 ms, then 20 ms) were spent waiting.
    expect(sample(after, 'mlmd_lock_wait_seconds_total', '{rpc="PutArtifactType"}')).toBeGreaterThanOrEqual(
      waitBefore + 0.03,
    )
  })
})
