import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createGrpcServer, type GrpcServer } from '../service/grpc-server.js'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import { parseRunArgs } from './run.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
const TSX = createRequire(import.meta.url).resolve('tsx')
const RUNNER = path.join(ROOT, 'src', 'runner', 'index.ts')

// A pipeline module as a user would write it; N sets a parameter, FAIL=1 breaks the last step.
const MODULE = `
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createPipeline, defineArtifactType, defineStep, node } from ${JSON.stringify(RUNNER)}

const Text = defineArtifactType({ name: 'Text' })
const make = defineStep({
  type: 'tsrunner.test.cli.Make',
  outputs: { text: Text },
  parameters: { n: 1 },
  async run({ outputs, parameters }) {
    await writeFile(path.join(outputs.text.dir, 't.txt'), 'x'.repeat(parameters.n))
  },
})
const check = defineStep({
  type: 'tsrunner.test.cli.Check',
  inputs: { text: Text },
  outputs: { text: Text },
  enableCache: process.env.FAIL !== '1',
  async run({ outputs }) {
    if (process.env.FAIL === '1') throw new Error('check refused the text')
    await writeFile(path.join(outputs.text.dir, 'ok'), 'ok')
  },
})
const m = node('make', make, { parameters: { n: Number(process.env.N ?? 1) } })
export const first = createPipeline('cli-first', [m, node('check', check, { inputs: { text: m.outputs.text } })])
export const notAPipeline = { name: 'x' }
`

interface Outcome {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'run', ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString()
  })
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString()
  })
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-cli-run-'))
  await writeFile(path.join(dir, 'pipelines.ts'), MODULE)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

// Each case starts the CLI from the sources (a few seconds per start on a busy machine).
describe('mlmd-ts run', { timeout: 180_000 }, () => {
  it('runs the exported pipelines with plain progress, then reuses them, explaining each miss', async () => {
    const first = await cli(['pipelines.ts', '--db', 'm.sqlite', '--root', 'root'])
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(/^cli-first · run \S+ · 2 steps$/m)
    expect(first.stderr).toMatch(/^ {2}✓ make {3}ran in/m)
    expect(first.stderr).toMatch(/^cli-first: COMPLETE in \d+\.\d\d s \(2 ran\)$/m)
    expect(first.stdout).toBe('')

    const again = await cli(['pipelines.ts', '--db', 'm.sqlite', '--root', 'root', '--explain'])
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/^ {2}↺ make {3}cached: reused execution 1/m)
    expect(again.stdout).toBe("Why cli-first's steps ran:\n  every step came from the cache\n")

    const changed = await cli(['pipelines.ts', '--db', 'm.sqlite', '--root', 'root', '--explain'], { N: '5' })
    expect(changed.code).toBe(0)
    expect(changed.stdout.split('\n')).toEqual([
      "Why cli-first's steps ran:",
      '  make: differs from execution 3 (cli-first.make) in parameter n',
      '      parameter n: 1 → 5',
      '  check: differs from execution 4 (cli-first.check) in input text',
      '      input text: artifact 1 → artifact 3',
      '',
    ])
  })

  it('exits 1 when a run fails, and says why the failed step ran', async () => {
    const failed = await cli(['pipelines.ts', '--db', 'm.sqlite', '--root', 'root', '--explain'], {
      FAIL: '1',
    })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^ {2}✗ check {2}FAILED: check refused the text$/m)
    expect(failed.stderr).toMatch(/^cli-first: FAILED in .*\(1 ran, 1 failed\)$/m)
    expect(failed.stdout).toContain('  check: first run of node check')
  })

  describe('against a server', () => {
    let served: OwnedMetadataStore
    let server: GrpcServer
    beforeEach(async () => {
      served = createMetadataStore({ filename: path.join(dir, 'served.sqlite') })
      server = await createGrpcServer({ store: served, host: '127.0.0.1', port: 0 })
    })
    afterEach(async () => {
      await server.shutdown()
      served.close()
    })

    it('records through --grpc what a later --db run of the same file reuses', async () => {
      const viaServer = await cli(['pipelines.ts', '--grpc', `127.0.0.1:${server.port}`, '--root', 'root'])
      expect(viaServer.code).toBe(0)
      expect(viaServer.stderr).toContain('(2 ran)')
      const inProcess = await cli(['pipelines.ts', '--db', 'served.sqlite', '--root', 'root'])
      expect(inProcess.code).toBe(0)
      expect(inProcess.stderr).toContain('(2 cached,')
    })
  })

  it('rejects bad command lines with exit code 2', async () => {
    const outcome = await cli(['pipelines.ts', '--db', 'a', '--grpc', 'h:1'])
    expect(outcome.code).toBe(2)
    expect(outcome.stderr).toContain('--db and --grpc exclude each other')
    expect(() => parseRunArgs(['x.ts', '--grpc', 'nohost'], '/')).toThrow('--grpc takes HOST:PORT')
    expect(parseRunArgs(['x.ts', '--root', 's3://b/p'], '/w')).toMatchObject({
      file: '/w/x.ts',
      db: '/w/mlmd.sqlite',
      root: 's3://b/p',
      enableCache: true,
    })
  })

  it('fails with exit code 1 for a module without pipelines', async () => {
    await writeFile(path.join(dir, 'empty.ts'), 'export const x = 1\n')
    const outcome = await cli(['empty.ts'])
    expect(outcome.code).toBe(1)
    expect(outcome.stderr).toContain('exports no pipeline')
  })
})
