/**
 * What one call costs the official Python client before any store is involved: the same empty
 * request (`GetContextTypesByID` with no ids) sent, in interleaved rounds, to
 *
 *   echo   a bare grpc-js server on loopback that answers every call with an empty message;
 *   grpc   `mlmd-ts serve` on a fresh file;
 *   mlmd   the real MLMD 1.16 in-process (no transport at all), for reference.
 *
 * `echo` is the floor of any gRPC server on this machine through this client, so it bounds how
 * close `mlmd-ts serve` can come to MLMD in-process on small reads.
 *
 *   node --import tsx bench/transport.ts [CALLS_PER_ROUND] [ROUNDS]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Server as GrpcJsServer, ServerCredentials } from '@grpc/grpc-js'
import { pyDriver, Server } from './lib/processes.js'
import type { RunResult } from './lib/protocol.js'
import { summarize } from './lib/stats.js'

const CALLS = Number(process.argv[2] ?? 2000)
const ROUNDS = Number(process.argv[3] ?? 4)
const METHOD = 'GetContextTypesByID'

async function startEcho(): Promise<{ port: number; stop: () => void }> {
  const server = new GrpcJsServer()
  const bytes = (b: Buffer) => b
  server.addService(
    {
      [METHOD]: {
        path: `/ml_metadata.MetadataStoreService/${METHOD}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: bytes,
        requestDeserialize: bytes,
        responseSerialize: bytes,
        responseDeserialize: bytes,
      },
    },
    { [METHOD]: (_call: unknown, done: (error: null, reply: Buffer) => void) => done(null, Buffer.alloc(0)) },
  )
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  )
  return { port, stop: () => server.forceShutdown() }
}

const dir = mkdtempSync(path.join(tmpdir(), 'mlmd-bench-transport-'))
const echo = await startEcho()
const serve = await Server.start(path.join(dir, 'served.sqlite'))
const driver = pyDriver('py')
try {
  await driver.request({ cmd: 'open', handle: 'echo', spec: { kind: 'grpc', port: echo.port } })
  await driver.request({ cmd: 'open', handle: 'grpc', spec: { kind: 'grpc', port: serve.port } })
  await driver.request({
    cmd: 'open',
    handle: 'mlmd',
    spec: { kind: 'mlmd', db: path.join(dir, 'mlmd.sqlite') },
  })
  const handles = ['echo', 'grpc', 'mlmd'] as const
  const latencies: Record<(typeof handles)[number], number[]> = { echo: [], grpc: [], mlmd: [] }
  const items = Array.from({ length: CALLS }, () => ({ req: { type_ids: [] } }))
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < handles.length; i++) {
      const handle = handles[(round + i) % handles.length] as (typeof handles)[number]
      const result = await driver.request<RunResult>({ cmd: 'run', handle, op: METHOD, items })
      latencies[handle].push(...result.lat_us.slice(round === 0 ? 50 : 0))
    }
  }
  const rows = handles.map((h) => ({ h, s: summarize(latencies[h]) }))
  process.stdout.write(
    `empty call through the official Python client, ${ROUNDS} interleaved rounds of ${CALLS}\n`,
  )
  for (const { h, s } of rows) {
    process.stdout.write(
      `  ${h.padEnd(5)} p50 ${s.p50_us.toFixed(0).padStart(5)} µs  p99 ${s.p99_us.toFixed(0).padStart(6)} µs\n`,
    )
  }
  const p50 = Object.fromEntries(rows.map(({ h, s }) => [h, s.p50_us]))
  process.stdout.write(
    `  mlmd-ts serve adds ${((p50.grpc ?? 0) - (p50.echo ?? 0)).toFixed(0)} µs to the bare transport's ${(p50.echo ?? 0).toFixed(0)} µs\n`,
  )
} finally {
  await driver.stop()
  await serve.stop()
  echo.stop()
  rmSync(dir, { recursive: true, force: true })
}
