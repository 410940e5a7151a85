/**
 * `mlmd-ts serve` on damaged files and full disks: real servers on real ports over real files.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../client/metadata-store-client.js'
import { Code } from '../errors.js'
import { fromSqliteError } from '../storage/metadata-source.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { writeCorruptStore } from './corrupt-file.test-support.js'
import type { CliIo } from './io.js'
import { main } from './main.js'
import { explainOpenFailure } from './serve.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-faults-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Runs `mlmd-ts serve` in this process; `port` resolves at the start line. */
function startServe(args: string[]) {
  const out: string[] = []
  const err: string[] = []
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  let started: (port: number) => void = () => {}
  const port = new Promise<number>((resolve) => {
    started = resolve
  })
  const io: CliIo = {
    out: (line) => {
      out.push(line)
      const bound = /^mlmd-ts serving .* on 127\.0\.0\.1:(\d+) /.exec(line)?.[1]
      if (bound !== undefined) started(Number(bound))
    },
    err: (line) => err.push(line),
    cwd: dir,
    waitForSignal: () => stopped,
  }
  const exit = main(['serve', '--port', '0', ...args], io)
  return { out, err, stop, port: Promise.race([port, exit.then(() => undefined)]), exit }
}

const logLines = (err: string[]) =>
  err.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>)

describe('serve on a corrupt file', () => {
  it('answers DATA_LOSS where reads meet the damage, then refuses every write; logs the discovery once', async () => {
    const file = path.join(dir, 'corrupt.sqlite')
    writeCorruptStore(file)
    const run = startServe(['--db', file, '--read_workers', '2'])
    const port = await run.port
    expect(port, run.err.join('\n')).toBeDefined()
    const client = createMetadataStoreClient({ port: port as number, retry: { maxAttempts: 1 } })
    try {
      // The writer's connection has not met the damage: writes work until a reader does.
      await client.putArtifactType({ artifact_type: { name: 'Before' } })
      for (let i = 0; i < 2; i++) {
        await expect(client.getArtifacts({})).rejects.toMatchObject({
          code: Code.DataLoss,
          message: expect.stringMatching(
            /^\[data_loss\] The database file is corrupt: database disk image is malformed \(request id \w+\)$/,
          ),
        })
      }
      await expect(client.putArtifactType({ artifact_type: { name: 'After' } })).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringContaining(
          'Writes are refused: an earlier call found the database file corrupt ("The database file is corrupt: database disk image is malformed',
        ),
      })
      const types = await client.getArtifactTypes({})
      expect(types.artifact_types.map((t) => t.name)).toEqual(expect.arrayContaining(['Model', 'Before']))
      expect(types.artifact_types.map((t) => t.name)).not.toContain('After')
    } finally {
      client.close()
      run.stop()
    }
    expect(await run.exit).toBe(0)
    const discoveries = logLines(run.err).filter((line) =>
      String(line.msg).startsWith('the database file is corrupt'),
    )
    expect(discoveries).toEqual([expect.objectContaining({ level: 'error', rpc: 'GetArtifacts', file })])
  })
})

// A full disk, for real: a small tmpfs of our own, filled up. Mounting needs root on Linux with
// the right to mount (CI runs as root); a probe mount finds out.
function probeMount(): boolean {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return false
  const probe = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-mount-probe-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0
  if (mounted) spawnSync('umount', [probe])
  rmSync(probe, { recursive: true, force: true })
  return mounted
}
const canMount = probeMount()
if (!canMount) {
  if (process.env.CI === 'true')
    throw new Error('serve-faults: CI must be able to mount a tmpfs (run as root)')
  console.warn('serve-faults: cannot mount a tmpfs here (not root?), so the full-disk tests are skipped')
}

/** Mounts a tmpfs of `kib` KiB at a fresh folder; returns it. */
function mountSmallDisk(kib: number): string {
  const mount = path.join(dir, `disk-${Math.random().toString(36).slice(2)}`)
  mkdirSync(mount)
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', mount], {
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`mount failed: ${result.stderr}`)
  mounted.push(mount)
  return mount
}

/** Writes a file that takes every free byte of the disk holding `folder`. */
function fillDisk(folder: string): string {
  const file = path.join(folder, 'filler')
  const chunk = Buffer.alloc(4096, 1)
  const parts: Buffer[] = []
  for (;;) {
    try {
      parts.push(chunk)
      writeFileSync(file, Buffer.concat(parts))
    } catch {
      return file
    }
  }
}

const mounted: string[] = []
afterAll(() => {
  for (const mount of mounted) spawnSync('umount', ['-l', mount])
})

describe.skipIf(!canMount)('serve on a full disk', () => {
  it('says the disk is full, and which, when it cannot create the store; leaves no file behind', async () => {
    const disk = mountSmallDisk(256)
    fillDisk(disk)
    const file = path.join(disk, 'new.sqlite')
    const run = startServe(['--db', file])
    expect(await run.exit).toBe(1)
    expect(run.err).toEqual([
      `mlmd-ts: cannot open ${file}: the disk holding ${disk} is full (0 bytes free): free some space, or choose another --db path`,
    ])
    expect(readdirSync(disk)).toEqual(['filler'])
  })

  it('answers a write that does not fit RESOURCE_EXHAUSTED in plain words, and takes it once space is freed', async () => {
    const disk = mountSmallDisk(1024)
    const file = path.join(disk, 'mlmd.sqlite')
    createMetadataStore({ filename: file }).close()
    const run = startServe(['--db', file])
    const port = await run.port
    expect(port, run.err.join('\n')).toBeDefined()
    const client = createMetadataStoreClient({ port: port as number, retry: { maxAttempts: 1 } })
    try {
      const { type_id } = await client.putArtifactType({ artifact_type: { name: 'Model' } })
      const filler = fillDisk(disk)
      const big = {
        type_id,
        uri: 's3://big',
        custom_properties: { blob: { string_value: 'b'.repeat(300_000) } },
      }
      await expect(client.putArtifacts({ artifacts: [big] })).rejects.toMatchObject({
        code: Code.ResourceExhausted,
        message: expect.stringMatching(
          /^\[resource_exhausted\] The disk holding the database file is full; nothing of this call was written\. Free space on the server and retry\. \(request id \w+\)$/,
        ),
      })
      expect((await client.getArtifacts({})).artifacts).toEqual([])
      rmSync(filler)
      const { artifact_ids } = await client.putArtifacts({ artifacts: [big] })
      expect(artifact_ids).toHaveLength(1)
    } finally {
      client.close()
      run.stop()
    }
    expect(await run.exit).toBe(0)
    expect(existsSync(file)).toBe(true)
  })
})

describe('explainOpenFailure', () => {
  it("names the file and SQLite's code for an I/O error on a disk with room", () => {
    const file = path.join(dir, 'io.sqlite')
    const error = fromSqliteError(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'))
    expect(explainOpenFailure(file, false, error)).toBe(
      `the disk or file system holding ${file} failed to read or write it (SQLite's SQLITE_IOERR_WRITE); check the disk, then try again`,
    )
  })
})
