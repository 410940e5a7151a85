/**
 * `mlmd-ts serve` on files and folders it may not write. Permissions do not bind root, so when
 * the tests run as root (CI does) the server runs as the unprivileged user `nobody` instead.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../client/metadata-store-client.js'
import { Code } from '../errors.js'
import { createMetadataStore } from '../store/metadata-store.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
const TSX = createRequire(import.meta.url).resolve('tsx')
const NOBODY = 65534
const asRoot = process.getuid?.() === 0

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-perm-'))
  chmodSync(dir, 0o755)
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A store file in a folder of its own, made by this (possibly root) process, with the given modes. */
function storeIn(name: string, fileMode: number, dirMode: number): string {
  const folder = path.join(dir, name)
  mkdirSync(folder)
  const file = path.join(folder, 'mlmd.sqlite')
  const store = createMetadataStore({ filename: file })
  store.putArtifactType({ artifact_type: { name: 'Model' } })
  store.close()
  chmodSync(file, fileMode)
  chmodSync(folder, dirMode)
  return file
}

/** Runs `mlmd-ts serve` as an unprivileged user; resolves at its start line or its exit. */
function serveUnprivileged(args: string[]) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', TSX, MAIN, 'serve', '--port', '0', ...args],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY, env: { ...process.env, HOME: dir } } : {}),
    },
  )
  let stdout = ''
  let stderr = ''
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const started = new Promise<number | undefined>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const port = /^mlmd-ts serving .* on 127\.0\.0\.1:(\d+) /m.exec(stdout)?.[1]
      if (port !== undefined) resolve(Number(port))
    })
    void exit.then(() => resolve(undefined))
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return { child, exit, started, stdout: () => stdout, stderr: () => stderr }
}

describe('serve on files it may not write', () => {
  it('serves a read-only file read-only, and says so at start', async () => {
    const file = storeIn('read-only-file', 0o444, 0o777)
    const run = serveUnprivileged(['--db', file])
    const port = await run.started
    expect(port, run.stderr()).toBeDefined()
    expect(run.stderr()).toContain(
      `mlmd-ts: notice: ${file} is read-only for this process, so the store is served read-only: reads work, writes answer FAILED_PRECONDITION\n`,
    )
    expect(run.stdout()).toMatch(/store .*mlmd\.sqlite \(read-only\), schema version 10/)
    const warning = run
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.level === 'warn')
    expect(warning).toMatchObject({ file, msg: expect.stringContaining('is read-only for this process') })
    const client = createMetadataStoreClient({ port, retry: { maxAttempts: 1 } })
    try {
      const types = await client.getArtifactTypes({})
      expect(types.artifact_types.map((type) => type.name)).toContain('Model')
      await expect(client.putArtifactType({ artifact_type: { name: 'Data' } })).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        message:
          '[failed_precondition] The store is open read-only, so calls that write are refused (the server may not write its database file, or was started read-only).',
      })
    } finally {
      client.close()
      run.child.kill('SIGTERM')
    }
    expect(await run.exit).toBe(0)
  })

  it('says why it cannot create a database in a read-only folder, and exits 1', async () => {
    const folder = path.join(dir, 'read-only-folder')
    mkdirSync(folder, { mode: 0o555 })
    chmodSync(folder, 0o555)
    const run = serveUnprivileged(['--db', path.join(folder, 'new.sqlite')])
    expect(await run.exit).toBe(1)
    expect(run.stderr()).toBe(
      `mlmd-ts: cannot open ${path.join(folder, 'new.sqlite')}: the folder ${folder} is not writable, so the database cannot be created there\n`,
    )
    expect(existsSync(path.join(folder, 'new.sqlite'))).toBe(false)
  })

  it('says why it cannot open a file it may not read, and exits 1', async () => {
    const file = storeIn('unreadable-file', 0o000, 0o777)
    const run = serveUnprivileged(['--db', file])
    expect(await run.exit).toBe(1)
    expect(run.stderr()).toBe(`mlmd-ts: cannot open ${file}: no permission to read ${file}\n`)
  })

  it('says why a read-only file in a read-only folder cannot be opened, and exits 1', async () => {
    const file = storeIn('read-only-both', 0o444, 0o555)
    const run = serveUnprivileged(['--db', file])
    expect(await run.exit).toBe(1)
    expect(run.stderr()).toBe(
      `mlmd-ts: cannot open ${file}: the file is read-only and its folder ${path.dirname(file)} is not writable, ` +
        'so SQLite cannot create the mlmd.sqlite-shm file its WAL mode needs (make the folder writable, or copy the file to a writable place)\n',
    )
  })
})
