import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { parseBackupArgs } from './backup.js'
import type { CliIo } from './io.js'
import { main } from './main.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-backup-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function testIo() {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    cwd: dir,
    waitForSignal: () => new Promise(() => {}),
  }
  return { io, out, err }
}

describe('backup', () => {
  describe('parseBackupArgs', () => {
    it('resolves --db and --out against the working directory', () => {
      expect(parseBackupArgs(['--db', 'a.sqlite', '--out', 'b/c.sqlite'], dir)).toEqual({
        db: path.join(dir, 'a.sqlite'),
        out: path.join(dir, 'b/c.sqlite'),
      })
      expect(parseBackupArgs(['--out=x.sqlite'], dir).db).toBe(path.join(dir, 'mlmd.sqlite'))
    })

    it.each([
      [[], /--out FILE is required/],
      [['--db', ':memory:', '--out', 'x'], /:memory: has nothing to back up/],
      [['--out', 'x', 'extra'], /unexpected argument/],
      [['--out', 'x', '--bogus'], /Unknown option/],
    ])('refuses %j', (args, message) => {
      expect(() => parseBackupArgs(args, dir)).toThrow(message)
      try {
        parseBackupArgs(args, dir)
      } catch (error) {
        expect(error).toMatchObject({ code: Code.InvalidArgument })
      }
    })
  })

  describe('main backup', () => {
    it('copies a store into one checked, self-contained file', async () => {
      const db = path.join(dir, 'source.sqlite')
      const store = createMetadataStore({ filename: db })
      const { type_id } = store.putArtifactType({ artifact_type: { name: 'Backed' } })
      store.putArtifacts({
        artifacts: [
          { type_id, uri: 's3://a' },
          { type_id, uri: 's3://b' },
        ],
      })
      // The store stays open and keeps writing while the backup runs: an online backup.
      const run = testIo()
      const exit = main(['backup', '--db', 'source.sqlite', '--out', 'copy.sqlite'], run.io)
      store.putArtifacts({ artifacts: [{ type_id, uri: 's3://c' }] })
      expect(await exit).toBe(0)
      store.close()
      expect(run.out.join('\n')).toMatch(
        /^mlmd-ts: backed up .*source.sqlite to .*copy.sqlite \(\d+ pages, schema version 10, integrity ok, \d+ ms\)$/,
      )
      // A single file: no -wal beside it, and no partial file left over.
      expect(readdirSync(dir).filter((f) => f.startsWith('copy.sqlite'))).toEqual(['copy.sqlite'])
      const copy = createMetadataStore({ filename: path.join(dir, 'copy.sqlite'), mustExist: true })
      try {
        const uris = copy.getArtifactsByType({ type_name: 'Backed' }).artifacts.map((a) => a.uri)
        expect(uris.slice(0, 2)).toEqual(['s3://a', 's3://b'])
      } finally {
        copy.close()
      }
    })

    it('never overwrites a file, and exits 1', async () => {
      writeFileSync(path.join(dir, 'taken.sqlite'), 'precious')
      createMetadataStore({ filename: path.join(dir, 'other.sqlite') }).close()
      const run = testIo()
      expect(await main(['backup', '--db', 'other.sqlite', '--out', 'taken.sqlite'], run.io)).toBe(1)
      expect(run.err.join('\n')).toMatch(/taken.sqlite exists; backup never overwrites a file/)
    })

    it('exits 1 when the store does not exist or is not an MLMD store, and leaves nothing behind', async () => {
      const missing = testIo()
      expect(await main(['backup', '--db', 'missing.sqlite', '--out', 'm.sqlite'], missing.io)).toBe(1)
      expect(existsSync(path.join(dir, 'missing.sqlite'))).toBe(false)
      writeFileSync(path.join(dir, 'not-a-db.sqlite'), 'text, not SQLite'.repeat(64))
      const garbage = testIo()
      expect(await main(['backup', '--db', 'not-a-db.sqlite', '--out', 'g.sqlite'], garbage.io)).toBe(1)
      expect(readdirSync(dir).filter((f) => f.startsWith('m.sqlite') || f.startsWith('g.sqlite'))).toEqual([])
    })

    it('exits 2 on usage errors, and prints help', async () => {
      const usage = testIo()
      expect(await main(['backup'], usage.io)).toBe(2)
      expect(usage.err.join('\n')).toMatch(/--out FILE is required/)
      const help = testIo()
      expect(await main(['backup', '--help'], help.io)).toBe(0)
      expect(help.out.join('\n')).toMatch(/online backup API/)
    })
  })
})
