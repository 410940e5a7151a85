// Starts a real SeaweedFS (S3-compatible) server on loopback ports for the S3 tests, and stops
// it. The binary comes from scripts/seaweedfs.sh: built there (once, cached outside the
// repository) when CI=true, used only if already built otherwise, so a local run without it
// skips with a message while CI fails loudly.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/seaweedfs.sh')

/** A running SeaweedFS with one bucket. */
export interface SeaweedFs {
  readonly endpoint: string
  readonly bucket: string
  /** Dummy credentials: the server runs without an identity configuration and accepts any. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string }
  /** The environment a child process needs to reach it through the standard AWS variables. */
  readonly env: Readonly<Record<string, string>>
  readonly client: S3Client
  stop(): Promise<void>
}

/** The weed binary, or why there is none. Builds it when CI=true. */
export async function findWeed(): Promise<{ path: string } | { missing: string }> {
  const ci = process.env.CI === 'true'
  try {
    const { stdout } = await promisify(execFile)('bash', ci ? [SCRIPT] : [SCRIPT, '--check'], {
      maxBuffer: 64 * 1024 * 1024,
    })
    return { path: stdout.trim().split('\n').at(-1) as string }
  } catch (error) {
    if (ci) throw new Error(`CI=true but SeaweedFS could not be built by scripts/seaweedfs.sh: ${error}`)
    return { missing: 'SeaweedFS is not built; run `bash scripts/seaweedfs.sh` (about 5 minutes, once)' }
  }
}

// A free port p whose p + 10000 is free too: SeaweedFS serves gRPC on port + 10000.
async function freePortPair(taken: Set<number>): Promise<number> {
  const free = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    if (taken.has(port) || taken.has(port + 10_000)) continue
    if ((await free(port)) && (await free(port + 10_000))) {
      taken.add(port).add(port + 10_000)
      return port
    }
  }
  throw new Error('no free loopback port pair for SeaweedFS')
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  // weed does not always stop on the first SIGTERM at once.
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** Starts `weed server` with S3 on loopback ports and creates `bucket`. */
export async function startSeaweedFs(weed: string, bucket = 'artifacts'): Promise<SeaweedFs> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-seaweedfs-'))
  const taken = new Set<number>()
  const [master, volume, filer, s3] = [
    await freePortPair(taken),
    await freePortPair(taken),
    await freePortPair(taken),
    await freePortPair(taken),
  ]
  let log = ''
  const child = spawn(
    weed,
    [
      'server',
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-dir=${dir}`,
      `-master.port=${master}`,
      `-volume.port=${volume}`,
      `-filer.port=${filer}`,
      '-s3',
      `-s3.port=${s3}`,
      // Extra listeners with fixed default ports would collide with other servers on the machine.
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      '-master.volumeSizeLimitMB=64',
      '-volume.max=20',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const endpoint = `http://127.0.0.1:${s3}`
  const credentials = { accessKeyId: 'mlmd-ts-test', secretAccessKey: 'mlmd-ts-test-secret' }
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials })
  const stop = async (): Promise<void> => {
    client.destroy()
    await stopProcess(child)
    await rm(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`weed server exited with ${child.exitCode}:\n${log}`)
    }
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }))
      break
    } catch (error) {
      if ((error as { name?: string }).name === 'BucketAlreadyOwnedByYou') break
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`SeaweedFS S3 on ${endpoint} did not come up: ${error}\n${log}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  }
  return { endpoint, bucket, credentials, env, client, stop }
}
