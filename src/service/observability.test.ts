import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../client/metadata-store-client.js'
import { Code, MlmdError } from '../errors.js'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import { createGrpcServer, type GrpcServer } from './grpc-server.js'
import {
  callLogger,
  createServerLogger,
  type MetricsServer,
  ServerMetrics,
  startMetricsServer,
} from './observability.js'

// 60,017 characters: two LIKE literals under the filter's own 50,000-byte limit each, whose
// concatenation SQLite refuses as "pattern too complex".
const LONG_LIKE_FILTER = `uri LIKE '%${'x'.repeat(29_998)}%' || '%${'x'.repeat(29_998)}%'`

let dir: string
let store: OwnedMetadataStore
let server: GrpcServer
let metricsServer: MetricsServer
let client: MetadataStoreClient
const logLines: Record<string, unknown>[] = []

async function failure(call: Promise<unknown>): Promise<MlmdError> {
  try {
    await call
  } catch (error) {
    if (error instanceof MlmdError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${metricsServer.port}/metrics`)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return response.text()
}

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-observe-'))
  const databaseFile = path.join(dir, 'mlmd.sqlite')
  store = createMetadataStore({ filename: databaseFile })
  const logger = createServerLogger('debug', (line) =>
    logLines.push(JSON.parse(line) as Record<string, unknown>),
  )
  const metrics = new ServerMetrics({ databaseFile })
  server = await createGrpcServer({
    store,
    port: 0,
    onUnexpectedError: () => {},
    observers: [callLogger(logger), metrics],
  })
  metricsServer = await startMetricsServer(metrics, '127.0.0.1', 0)
  client = createMetadataStoreClient({ port: server.port, retry: { maxAttempts: 1 } })
})

afterAll(async () => {
  client?.close()
  await server?.shutdown()
  await metricsServer?.close()
  store?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('logs and metrics of a running server', () => {
  let likeError: MlmdError
  let tokenError: MlmdError

  beforeAll(async () => {
    const { type_id } = await client.putArtifactType({ artifact_type: { name: 'Model' } })
    await client.putArtifactType({ artifact_type: { name: 'Model' } })
    await client.putArtifacts({
      artifacts: [
        { type_id, uri: 's3://a' },
        { type_id, uri: 's3://b' },
      ],
    })
    await client.getArtifacts({ options: { max_result_size: 1 } })
    await failure(client.getArtifactType({ type_name: 'Nothing' }))
    likeError = await failure(client.getArtifacts({ options: { filter_query: LONG_LIKE_FILTER } }))
    tokenError = await failure(
      client.getArtifacts({ options: { max_result_size: 1, next_page_token: 'A'.repeat(100_000) } }),
    )
  })

  it('answers an over-long LIKE pattern INVALID_ARGUMENT, with a request id and no SQL', () => {
    expect(LONG_LIKE_FILTER).toHaveLength(60_017)
    expect(likeError.code).toBe(Code.InvalidArgument)
    expect(likeError.rawMessage).toMatch(
      /^A LIKE pattern in filter_query is too long: SQLite takes at most 50,000 bytes \(request id [0-9a-f]{16}\)$/,
    )
  })

  it('logs the fault with the same request id, and the SQL beside its cause', () => {
    const requestId = /request id ([0-9a-f]{16})/.exec(likeError.rawMessage)?.[1]
    const line = logLines.find((l) => l.request_id === requestId)
    expect(line).toMatchObject({
      level: 'warn',
      msg: 'call failed',
      rpc: 'GetArtifacts',
      code: 'INVALID_ARGUMENT',
      error: { cause: { code: 'SQLITE_ERROR', message: 'LIKE or GLOB pattern too complex' } },
    })
    expect((line?.error as { cause?: { sql?: string } } | undefined)?.cause?.sql).toMatch(/^SELECT .* LIKE /s)
  })

  it("answers a garbage page token INVALID_ARGUMENT, as MLMD's parser does", () => {
    expect(tokenError.code).toBe(Code.InvalidArgument)
    expect(tokenError.rawMessage).toBe(
      'Invalid next_page_token: Failed to parse decoded next page token into ListOperationNextPageToken proto message',
    )
  })

  it('logs one debug line per call with RPC, code, duration and request id', () => {
    const calls = logLines.filter((l) => l.msg === 'call')
    expect(calls.map((l) => `${l.rpc} ${l.code}`)).toEqual([
      'PutArtifactType OK',
      'PutArtifactType OK',
      'PutArtifacts OK',
      'GetArtifacts OK',
      'GetArtifactType NOT_FOUND',
      'GetArtifacts INVALID_ARGUMENT',
    ])
    for (const line of calls) {
      expect(line).toMatchObject({ level: 'debug', duration_ms: expect.any(Number) })
      expect(line.request_id).toMatch(/^[0-9a-f]{16}$/)
      expect(typeof line.time).toBe('string')
    }
    expect(new Set(logLines.map((l) => l.request_id)).size).toBe(logLines.length)
  })

  it('counts calls and latencies per RPC and code, in flight, and file sizes', async () => {
    const text = await scrape()
    const count = (rpc: string, code: string) =>
      sample(text, 'mlmd_rpc_calls_total', `{rpc="${rpc}",code="${code}"}`)
    expect(count('PutArtifactType', 'OK')).toBe(2)
    expect(count('PutArtifacts', 'OK')).toBe(1)
    expect(count('GetArtifacts', 'OK')).toBe(1)
    expect(count('GetArtifacts', 'INVALID_ARGUMENT')).toBe(2)
    expect(count('GetArtifactType', 'NOT_FOUND')).toBe(1)
    expect(sample(text, 'mlmd_rpc_duration_seconds_count', '{rpc="PutArtifactType",code="OK"}')).toBe(2)
    expect(
      sample(
        text,
        'mlmd_rpc_duration_seconds_bucket',
        '{le="+Inf",rpc="GetArtifacts",code="INVALID_ARGUMENT"}',
      ),
    ).toBe(2)
    expect(sample(text, 'mlmd_rpc_in_flight', '{rpc="PutArtifacts"}')).toBe(0)
    expect(sample(text, 'mlmd_database_size_bytes')).toBeGreaterThan(0)
    expect(sample(text, 'mlmd_database_wal_size_bytes')).toBeGreaterThan(0)
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  it('answers 404 off /metrics', async () => {
    const response = await fetch(`http://127.0.0.1:${metricsServer.port}/`)
    expect(response.status).toBe(404)
  })
})
