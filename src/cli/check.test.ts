import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStore } from '../store/metadata-store.js'
import { writeCorruptStore } from './corrupt-file.test-support.js'
import type { CliIo } from './io.js'
import { main } from './main.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-check-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function run(args: string[]) {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    cwd: dir,
    waitForSignal: () => new Promise(() => {}),
  }
  return main(['check', ...args], io).then((code) => ({ code, out, err }))
}

describe('mlmd-ts check', () => {
  it('exits 0 and says ok for an intact store', async () => {
    const file = path.join(dir, 'good.sqlite')
    const store = createMetadataStore({ filename: file })
    store.putArtifactType({ artifact_type: { name: 'Model' } })
    store.close()
    const result = await run(['--db', 'good.sqlite'])
    expect(result).toEqual({
      code: 0,
      out: [`${file}: ok (SQLite's integrity check found no problems)`],
      err: [],
    })
  })

  it('exits 1 and lists what SQLite finds in a store with a smashed page', async () => {
    const file = path.join(dir, 'bad.sqlite')
    writeCorruptStore(file)
    const result = await run(['--db', file])
    expect(result.code).toBe(1)
    expect(result.out[0]).toBe(`${file}: damaged; SQLite's integrity check found:`)
    expect(result.out.length).toBeGreaterThan(2)
    const findings = result.out.slice(1, -1)
    expect(findings).toContainEqual(
      expect.stringMatching(/^ {2}Tree \d+ page \d+: btreeInitPage\(\) returns error code 11$/),
    )
    expect(findings).toContain('  wrong # of entries in index idx_artifact_uri')
    expect(result.out.at(-1)).toMatch(/^Restore the file from a backup/)
  })

  it('exits 1 for a file that does not exist, and 2 for :memory:', async () => {
    const missing = await run(['--db', 'missing.sqlite'])
    expect(missing.code).toBe(1)
    expect(missing.err).toEqual([`mlmd-ts: ${path.join(dir, 'missing.sqlite')} does not exist`])
    expect((await run(['--db', ':memory:'])).code).toBe(2)
  })
})
