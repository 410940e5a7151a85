import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../client/metadata-store-client.js'
import { createMetadataStore } from '../store/metadata-store.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
const TSX = createRequire(import.meta.url).resolve('tsx')

/** Starts `mlmd-ts` from the sources and resolves with the port from its start line. */
function startCli(args: string[]): {
  child: ChildProcess
  port: Promise<number>
  exit: Promise<number | null>
  stderr: () => string
} {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const port = new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const match = / on 127\.0\.0\.1:(\d+) /.exec(stdout)
      if (match) resolve(Number(match[1]))
    })
    child.once('exit', (code) =>
      reject(new Error(`mlmd-ts exited (${code}) before serving:\n${stdout}\n${stderr}`)),
    )
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, port, exit, stderr: () => stderr }
}

describe('mlmd-ts (spawned)', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-bin-'))
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'shuts down on %s with exit code 0 and the file intact',
    async (signal) => {
      const db = path.join(dir, `${signal}.sqlite`)
      const cli = startCli(['serve', '--port', '0', '--db', db])
      try {
        const port = await cli.port
        const client = createMetadataStoreClient({ port })
        const { type_id } = await client.putArtifactType({ artifact_type: { name: 'Survivor' } })
        await client.putArtifacts({ artifacts: [{ type_id, uri: 's3://kept' }] })
        client.close()
        cli.child.kill(signal)
        expect(await cli.exit).toBe(0)
        expect(cli.stderr()).toMatch(/stopped/)
      } finally {
        cli.child.kill('SIGKILL')
      }
      const store = createMetadataStore({ filename: db })
      try {
        expect(store.getArtifacts({}).artifacts?.map((a) => a.uri)).toEqual(['s3://kept'])
      } finally {
        store.close()
      }
    },
  )

  it('runs from bin/mlmd-ts.js once built', () => {
    // dist/ is built by `npm install` (prepare); without it the bin says how to build.
    const bin = path.join(ROOT, 'bin', 'mlmd-ts.js')
    if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
      expect(() => execFileSync(process.execPath, [bin, '--version'], { stdio: 'pipe' })).toThrow(
        /npm run build/,
      )
      return
    }
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toMatch(
      /^\d+\.\d+\.\d+/,
    )
  })
})
