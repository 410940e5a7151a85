/**
 * The artifact store: where step outputs live on disk, and how they get there.
 *
 * An output of node `n`, key `k`, execution `e` is published at `<root>/<n>/<k>/<e>/`, TFX's
 * `outputs_utils` layout, so a Python reader finds it where TFX would have put it. A step writes
 * into a private temporary directory (`<root>/<n>/.system/executor_execution/<e>/.temp/<k>/`,
 * also TFX's place for scratch space); only after the step succeeded is each output
 * fingerprinted, made read-only and moved to its final place with one `rename`, so no reader
 * ever sees a half-written output, and a failed step leaves nothing behind.
 *
 * The content fingerprint (see {@link contentFingerprint}) is recorded on the artifact, so a
 * later run can tell that a published output was changed or lost.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { compareCodePoints } from './canonical-json.js'

/** Prefix of fingerprints; names the algorithm so it can change without ambiguity. */
export const FINGERPRINT_PREFIX = 'sha256:'

interface Entry {
  readonly relative: string
  readonly absolute: string
  readonly kind: 'file' | 'dir'
}

async function walk(root: string, relative: string, into: Entry[]): Promise<void> {
  const dir = path.join(root, relative)
  for (const dirent of await readdir(dir, { withFileTypes: true })) {
    const childRelative = relative === '' ? dirent.name : `${relative}/${dirent.name}`
    const absolute = path.join(dir, dirent.name)
    if (dirent.isDirectory()) {
      into.push({ relative: childRelative, absolute, kind: 'dir' })
      await walk(root, childRelative, into)
    } else if (dirent.isFile()) {
      into.push({ relative: childRelative, absolute, kind: 'file' })
    } else {
      // Links and devices would make the fingerprint depend on things outside the output.
      throw new Error(`${absolute}: outputs may only contain regular files and directories`)
    }
  }
}

/**
 * The content fingerprint of a published output: `sha256:` and the hex SHA-256 over its
 * entries, sorted by relative path (`/`-separated, Unicode code point order). Each directory
 * below the root contributes `D\0<path>\0`; each regular file `F\0<path>\0<byte length>\0`
 * followed by its bytes. File modes and times do not count. When `uri` is a single file, the
 * fingerprint covers it alone, as the entry with path `""`.
 * @throws Error if `uri` does not exist, or holds anything but files and directories.
 */
export async function contentFingerprint(uri: string): Promise<string> {
  const hash = createHash('sha256')
  const stat = await lstat(uri)
  const entries: Entry[] = []
  if (stat.isFile()) entries.push({ relative: '', absolute: uri, kind: 'file' })
  else if (stat.isDirectory()) await walk(uri, '', entries)
  else throw new Error(`${uri}: an output must be a regular file or a directory`)
  entries.sort((a, b) => compareCodePoints(a.relative, b.relative))
  for (const entry of entries) {
    if (entry.kind === 'dir') {
      hash.update(`D\0${entry.relative}\0`, 'utf8')
      continue
    }
    const { size } = await lstat(entry.absolute)
    hash.update(`F\0${entry.relative}\0${size}\0`, 'utf8')
    for await (const chunk of createReadStream(entry.absolute)) hash.update(chunk as Buffer)
  }
  return `${FINGERPRINT_PREFIX}${hash.digest('hex')}`
}

/**
 * Whether the output at `uri` still exists and, when `expected` is given, still has that
 * fingerprint. Never throws: anything unreadable counts as changed.
 */
export async function outputIsIntact(uri: string, expected: string | undefined): Promise<boolean> {
  if (uri === '') return false
  try {
    const actual = await contentFingerprint(uri)
    return expected === undefined || actual === expected
  } catch {
    return false
  }
}

async function makeReadOnly(target: string): Promise<void> {
  const stat = await lstat(target)
  if (stat.isDirectory()) {
    for (const name of await readdir(target)) await makeReadOnly(path.join(target, name))
  } else {
    await chmod(target, 0o444)
  }
}

/** An output after it was moved into place. */
export interface PublishedOutput {
  readonly uri: string
  readonly fingerprint: string
}

/** The outputs of one execution, from their temporary directories to their final places. */
export interface OutputWorkspace {
  /** Temporary directory per output key; the step writes its payload there. */
  readonly dirs: Readonly<Record<string, string>>
  /**
   * Fingerprints each output, makes its files read-only and renames it to its final place.
   * @throws Error if an output's final place already exists or a rename fails; outputs moved
   *   before the failure are removed again.
   */
  publish(): Promise<Readonly<Record<string, PublishedOutput>>>
  /** Removes the temporary directories and any output already published by this workspace. */
  discard(): Promise<void>
}

/** Where the outputs of a pipeline go. */
export interface ArtifactStore {
  /** The pipeline root, as an absolute path. */
  readonly root: string
  /** The final place of an output: `<root>/<node>/<key>/<execution id>`. */
  outputUri(nodeId: string, key: string, executionId: bigint): string
  /** Creates empty temporary directories for the outputs of one execution. */
  createWorkspace(nodeId: string, executionId: bigint, keys: readonly string[]): Promise<OutputWorkspace>
}

/** An artifact store rooted at `root` (created on first use). */
export function createArtifactStore(root: string): ArtifactStore {
  const absoluteRoot = path.resolve(root)
  const outputUri = (nodeId: string, key: string, executionId: bigint): string =>
    path.join(absoluteRoot, nodeId, key, executionId.toString())

  async function createWorkspace(
    nodeId: string,
    executionId: bigint,
    keys: readonly string[],
  ): Promise<OutputWorkspace> {
    const scratch = path.join(absoluteRoot, nodeId, '.system', 'executor_execution', executionId.toString())
    const dirs: Record<string, string> = {}
    // A leftover from a crashed process with the same execution id cannot exist (ids are never
    // reused), but a stale directory is removed rather than trusted.
    await rm(scratch, { recursive: true, force: true })
    for (const key of keys) {
      const dir = path.join(scratch, '.temp', key)
      await mkdir(dir, { recursive: true })
      dirs[key] = dir
    }
    const moved: string[] = []

    async function publish(): Promise<Readonly<Record<string, PublishedOutput>>> {
      const published: Record<string, PublishedOutput> = {}
      try {
        for (const key of keys) {
          const temporary = dirs[key] as string
          const fingerprint = await contentFingerprint(temporary)
          await makeReadOnly(temporary)
          const uri = outputUri(nodeId, key, executionId)
          await mkdir(path.dirname(uri), { recursive: true })
          // rename() would replace an empty directory silently; an existing output must never be.
          const existing = await lstat(uri).catch(() => undefined)
          if (existing !== undefined) throw new Error(`${uri} already exists`)
          await rename(temporary, uri)
          moved.push(uri)
          published[key] = { uri, fingerprint }
        }
      } catch (error) {
        await discard()
        throw error
      }
      await rm(scratch, { recursive: true, force: true })
      return published
    }

    async function discard(): Promise<void> {
      await rm(scratch, { recursive: true, force: true })
      for (const uri of moved.splice(0)) await rm(uri, { recursive: true, force: true })
    }

    return { dirs, publish, discard }
  }

  return { root: absoluteRoot, outputUri, createWorkspace }
}
