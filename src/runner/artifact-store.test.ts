import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { contentFingerprint, createArtifactStore, outputIsIntact } from './artifact-store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-artifact-store-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function tree(root: string, files: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true })
    await writeFile(path.join(root, name), text)
  }
  return root
}

describe('artifact-store', () => {
  describe('contentFingerprint', () => {
    it('hashes the documented entry stream (golden)', async () => {
      const root = await tree(path.join(dir, 'out'), { 'b.txt': 'bee', 'a/x.csv': '1,2\n' })
      // Computed independently (Python hashlib) over: D\0a\0, F\0a/x.csv\04\0 + "1,2\n", F\0b.txt\03\0 + "bee"
      expect(await contentFingerprint(root)).toBe(
        'sha256:b7c4327fe3b8d8931153b338daa70229da0876df913154577bbc76678a725548',
      )
    })

    it('does not depend on creation order or file times', async () => {
      const one = await tree(path.join(dir, 'one'), { 'a/x': '1', b: '2', c: '3' })
      const two = await tree(path.join(dir, 'two'), { c: '3', b: '2', 'a/x': '1' })
      expect(await contentFingerprint(one)).toBe(await contentFingerprint(two))
    })

    it.each<[string, (root: string) => Promise<unknown>]>([
      ['a changed byte', (root) => writeFile(path.join(root, 'b'), '3')],
      ['an appended byte', (root) => writeFile(path.join(root, 'b'), '22')],
      [
        'a renamed file',
        async (root) => {
          await rm(path.join(root, 'b'))
          await writeFile(path.join(root, 'bb'), '2')
        },
      ],
      ['a new empty directory', (root) => mkdir(path.join(root, 'empty'))],
      ['a removed file', (root) => rm(path.join(root, 'a/x'))],
    ])('changes with %s', async (_name, change) => {
      const root = await tree(path.join(dir, 'out'), { 'a/x': '1', b: '2' })
      const before = await contentFingerprint(root)
      await change(root)
      expect(await contentFingerprint(root)).not.toBe(before)
    })

    it('fingerprints a single file', async () => {
      await writeFile(path.join(dir, 'f'), 'x')
      expect(await contentFingerprint(path.join(dir, 'f'))).toMatch(/^sha256:[0-9a-f]{64}$/)
    })

    it('refuses symbolic links', async () => {
      const root = await tree(path.join(dir, 'out'), { a: '1' })
      await symlink(path.join(root, 'a'), path.join(root, 'link'))
      await expect(contentFingerprint(root)).rejects.toThrow(/only contain regular files/)
    })
  })

  describe('outputIsIntact', () => {
    it('is true for the recorded fingerprint and false after any change, loss or empty uri', async () => {
      const root = await tree(path.join(dir, 'out'), { a: '1' })
      const fingerprint = await contentFingerprint(root)
      expect(await outputIsIntact(root, fingerprint)).toBe(true)
      expect(await outputIsIntact(root, undefined)).toBe(true)
      await writeFile(path.join(root, 'a'), '2')
      expect(await outputIsIntact(root, fingerprint)).toBe(false)
      await rm(root, { recursive: true })
      expect(await outputIsIntact(root, undefined)).toBe(false)
      expect(await outputIsIntact('', undefined)).toBe(false)
    })
  })

  describe('createWorkspace', () => {
    it('publishes each output at <root>/<node>/<key>/<execution id>, read-only, and cleans up', async () => {
      const store = createArtifactStore(path.join(dir, 'root'))
      const workspace = await store.createWorkspace('train', 42n, ['model', 'report'])
      expect(workspace.dirs.model).toBe(
        path.join(dir, 'root', 'train', '.system', 'executor_execution', '42', '.temp', 'model'),
      )
      await writeFile(path.join(workspace.dirs.model as string, 'model.json'), '{}')
      const published = await workspace.publish()
      expect(published.model?.[0]?.uri).toBe(path.join(dir, 'root', 'train', 'model', '42'))
      expect(published.report?.[0]?.uri).toBe(store.outputUri('train', 'report', 42n))
      expect(published.model?.[0]?.fingerprint).toBe(
        await contentFingerprint(published.model?.[0]?.uri as string),
      )
      expect(await readFile(path.join(published.model?.[0]?.uri as string, 'model.json'), 'utf8')).toBe('{}')
      expect((await lstat(path.join(published.model?.[0]?.uri as string, 'model.json'))).mode & 0o222).toBe(0)
      expect(await readdir(path.join(dir, 'root', 'train', '.system', 'executor_execution'))).toEqual([])
    })

    it('discard removes temporary and already published outputs', async () => {
      const store = createArtifactStore(path.join(dir, 'root'))
      const workspace = await store.createWorkspace('n', 1n, ['out'])
      await writeFile(path.join(workspace.dirs.out as string, 'partial'), 'x')
      await workspace.discard()
      await expect(lstat(workspace.dirs.out as string)).rejects.toThrow(/ENOENT/)

      const again = await store.createWorkspace('n', 2n, ['out'])
      const published = await again.publish()
      await again.discard()
      await expect(lstat(published.out?.[0]?.uri as string)).rejects.toThrow(/ENOENT/)
    })

    it('never replaces an existing output, and undoes a partial publish', async () => {
      const store = createArtifactStore(path.join(dir, 'root'))
      await mkdir(store.outputUri('n', 'b', 7n), { recursive: true })
      const workspace = await store.createWorkspace('n', 7n, ['a', 'b'])
      await expect(workspace.publish()).rejects.toThrow(/already exists/)
      await expect(lstat(store.outputUri('n', 'a', 7n))).rejects.toThrow(/ENOENT/)
      expect(await readdir(store.outputUri('n', 'b', 7n))).toEqual([])
    })

    it('publishes the items of a list output at <root>/<node>/<key>/<execution id>/<index>, in the order added', async () => {
      const store = createArtifactStore(path.join(dir, 'root'))
      const workspace = await store.createWorkspace('split', 5n, ['report'], 1, ['shards'])
      expect(workspace.dirs.shards).toBeUndefined()
      const first = await workspace.addItem('shards')
      const second = await workspace.addItem('shards')
      await writeFile(path.join(first, 'data.csv'), 'a')
      await writeFile(path.join(second, 'data.csv'), 'bb')
      await expect(workspace.addItem('report')).rejects.toThrow('output report is not a list')
      const published = await workspace.publish()
      expect(published.shards?.map((p) => p.uri)).toEqual([
        path.join(dir, 'root', 'split', 'shards', '5', '0'),
        store.outputUri('split', 'shards', 5n, 1),
      ])
      expect(published.report?.map((p) => p.uri)).toEqual([store.outputUri('split', 'report', 5n)])
      expect(await readFile(path.join(published.shards?.[1]?.uri as string, 'data.csv'), 'utf8')).toBe('bb')
      expect(published.shards?.[0]?.fingerprint).toBe(
        await contentFingerprint(published.shards?.[0]?.uri as string),
      )
      expect(published.shards?.[0]?.fingerprint).not.toBe(published.shards?.[1]?.fingerprint)
    })

    it('undoes every published list item when one cannot be placed', async () => {
      const store = createArtifactStore(path.join(dir, 'root'))
      await mkdir(store.outputUri('n', 'parts', 9n, 1), { recursive: true })
      await writeFile(path.join(store.outputUri('n', 'parts', 9n, 1), 'theirs'), 'x')
      const workspace = await store.createWorkspace('n', 9n, [], 1, ['parts'])
      await workspace.addItem('parts')
      await workspace.addItem('parts')
      await expect(workspace.publish()).rejects.toThrow(/already exists/)
      expect(await readdir(store.outputUri('n', 'parts', 9n))).toEqual(['1'])
    })
  })
})
