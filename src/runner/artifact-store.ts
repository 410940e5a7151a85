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
import { chmod, lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises'
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

/** One entry of an output's tree, as the fingerprint sees it. */
export interface FingerprintEntry {
  /** `/`-separated path below the output's root; `""` for an output that is a single file. */
  readonly relative: string
  readonly kind: 'file' | 'dir'
  /** For files: the byte length. */
  readonly size?: number
}

/**
 * The fingerprint of a tree given its entries and a way to read each file's bytes: the one
 * definition {@link contentFingerprint} applies to local outputs and the S3 store applies to
 * objects, so the same payload has the same fingerprint wherever it is kept.
 * @throws Error if a file's bytes do not add up to its recorded size.
 */
export async function fingerprintOf(
  entries: readonly FingerprintEntry[],
  read: (entry: FingerprintEntry) => AsyncIterable<Uint8Array>,
): Promise<string> {
  const hash = createHash('sha256')
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.relative, b.relative))
  for (const entry of sorted) {
    if (entry.kind === 'dir') {
      hash.update(`D\0${entry.relative}\0`, 'utf8')
      continue
    }
    hash.update(`F\0${entry.relative}\0${entry.size ?? 0}\0`, 'utf8')
    let length = 0
    for await (const chunk of read(entry)) {
      hash.update(chunk)
      length += chunk.byteLength
    }
    // A file that changed size while being read must not get the fingerprint of either version.
    if (length !== entry.size)
      throw new Error(`${entry.relative}: ${length} bytes read, ${entry.size} expected`)
  }
  return `${FINGERPRINT_PREFIX}${hash.digest('hex')}`
}

/** The entries of a local output (a file or a directory tree), with their absolute paths. */
export async function localEntries(
  uri: string,
): Promise<(FingerprintEntry & { readonly absolute: string })[]> {
  const stat = await lstat(uri)
  const entries: Entry[] = []
  if (stat.isFile()) entries.push({ relative: '', absolute: uri, kind: 'file' })
  else if (stat.isDirectory()) await walk(uri, '', entries)
  else throw new Error(`${uri}: an output must be a regular file or a directory`)
  const out: (FingerprintEntry & { readonly absolute: string })[] = []
  for (const entry of entries) {
    out.push(entry.kind === 'file' ? { ...entry, size: (await lstat(entry.absolute)).size } : entry)
  }
  return out
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
  const entries = await localEntries(uri)
  const byPath = new Map(entries.map((e) => [e.relative, e.absolute]))
  return fingerprintOf(entries, (entry) => createReadStream(byPath.get(entry.relative) as string))
}

/**
 * Why the local output at `uri` cannot be reused, or `undefined` when it exists and, if
 * `expected` is given, still has that fingerprint. Never throws.
 */
export async function localOutputProblem(
  uri: string,
  expected: string | undefined,
): Promise<string | undefined> {
  if (uri === '') return 'the artifact has no uri'
  let actual: string
  try {
    actual = await contentFingerprint(uri)
  } catch (error) {
    return `missing or unreadable: ${error instanceof Error ? error.message : String(error)}`
  }
  if (expected !== undefined && actual !== expected) {
    return `content changed: fingerprint ${actual}, recorded ${expected}`
  }
  return undefined
}

/**
 * Whether the output at `uri` still exists and, when `expected` is given, still has that
 * fingerprint. Never throws: anything unreadable counts as changed.
 */
export async function outputIsIntact(uri: string, expected: string | undefined): Promise<boolean> {
  return (await localOutputProblem(uri, expected)) === undefined
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

/** Published outputs per output key, in index order (one entry for a single-artifact output). */
export type PublishedOutputs = Readonly<Record<string, readonly PublishedOutput[]>>

/** The outputs of one execution, from their temporary directories to their final places. */
export interface OutputWorkspace {
  /** Temporary directory per single-artifact output key; the step writes its payload there. */
  readonly dirs: Readonly<Record<string, string>>
  /**
   * Creates the temporary directory of the next artifact of list output `key` (indices 0, 1, …
   * in call order) and returns it.
   * @throws Error if `key` is not one of the workspace's list keys.
   */
  addItem(key: string): Promise<string>
  /**
   * Fingerprints each output, makes its files read-only and moves it to its final place:
   * single outputs to `outputUri(node, key, execution)`, list items to
   * `outputUri(node, key, execution, index)`.
   * @throws Error if an output's final place already exists or a move fails; outputs moved
   *   before the failure are removed again (local store).
   */
  publish(): Promise<PublishedOutputs>
  /** Removes the temporary directories and any output already published by this workspace. */
  discard(): Promise<void>
}

/** Where the outputs of a pipeline go, and how a step gets at its inputs. */
export interface ArtifactStore {
  /** The pipeline root: an absolute path, or an `s3://bucket/prefix` URI. */
  readonly root: string
  /**
   * The final place of an output: `<root>/<node>/<key>/<execution id>`, and for the artifact
   * at `index` of a list output `<root>/<node>/<key>/<execution id>/<index>`.
   */
  outputUri(nodeId: string, key: string, executionId: bigint, index?: number): string
  /**
   * Creates empty temporary directories for the outputs of one execution: one per key of
   * `keys` (single-artifact outputs), and for `listKeys` one per artifact the step adds
   * ({@link OutputWorkspace.addItem}). Each `attempt` (of a retried step) gets its own, so a
   * timed-out attempt still writing cannot touch the next.
   */
  createWorkspace(
    nodeId: string,
    executionId: bigint,
    keys: readonly string[],
    attempt?: number,
    listKeys?: readonly string[],
  ): Promise<OutputWorkspace>
  /**
   * Why the payload at `uri` must not be reused (missing, unreadable, or its content differs
   * from the recorded fingerprint `expected`), or `undefined` when it is intact. Never throws.
   */
  outputProblem(uri: string, expected: string | undefined): Promise<string | undefined>
  /**
   * A local path holding the payload of `uri`, for a step to read: the path itself for local
   * outputs, a verified download for remote ones.
   * @throws Error if the payload cannot be fetched or does not match `fingerprint`.
   */
  localPath(uri: string, fingerprint: string | undefined): Promise<string>
  /** Releases connections; the store is unusable afterwards. */
  close?(): void
}

/** An artifact store rooted at `root` (created on first use). */
export function createArtifactStore(root: string): ArtifactStore {
  const absoluteRoot = path.resolve(root)
  const outputUri = (nodeId: string, key: string, executionId: bigint, index?: number): string =>
    index === undefined
      ? path.join(absoluteRoot, nodeId, key, executionId.toString())
      : path.join(absoluteRoot, nodeId, key, executionId.toString(), String(index))

  async function createWorkspace(
    nodeId: string,
    executionId: bigint,
    keys: readonly string[],
    attempt = 1,
    listKeys: readonly string[] = [],
  ): Promise<OutputWorkspace> {
    const name = attempt === 1 ? executionId.toString() : `${executionId}-attempt-${attempt}`
    const scratch = path.join(absoluteRoot, nodeId, '.system', 'executor_execution', name)
    const dirs: Record<string, string> = {}
    const items = new Map<string, string[]>(listKeys.map((key) => [key, []]))
    // A leftover from a crashed process with the same execution id cannot exist (ids are never
    // reused), but a stale directory is removed rather than trusted.
    await rm(scratch, { recursive: true, force: true })
    for (const key of keys) {
      const dir = path.join(scratch, '.temp', key)
      await mkdir(dir, { recursive: true })
      dirs[key] = dir
    }
    for (const key of listKeys) await mkdir(path.join(scratch, '.temp', key), { recursive: true })
    const moved: string[] = []

    async function addItem(key: string): Promise<string> {
      const list = items.get(key)
      if (list === undefined) throw new Error(`output ${key} is not a list`)
      const dir = path.join(scratch, '.temp', key, String(list.length))
      list.push(dir)
      await mkdir(dir)
      return dir
    }

    // Fingerprints the temporary output, seals it and renames it to `uri`.
    async function publishOne(temporary: string, uri: string): Promise<PublishedOutput> {
      const fingerprint = await contentFingerprint(temporary)
      await makeReadOnly(temporary)
      await mkdir(path.dirname(uri), { recursive: true })
      // rename() would replace an empty directory silently; an existing output must never be.
      const existing = await lstat(uri).catch(() => undefined)
      if (existing !== undefined) throw new Error(`${uri} already exists`)
      await rename(temporary, uri)
      moved.push(uri)
      return { uri, fingerprint }
    }

    async function publish(): Promise<PublishedOutputs> {
      const published: Record<string, PublishedOutput[]> = {}
      try {
        for (const key of keys) {
          published[key] = [await publishOne(dirs[key] as string, outputUri(nodeId, key, executionId))]
        }
        for (const [key, list] of items) {
          published[key] = []
          for (const [index, dir] of list.entries()) {
            published[key].push(await publishOne(dir, outputUri(nodeId, key, executionId, index)))
          }
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
      // The folders list items were moved into; a folder someone else filled stays.
      for (const key of listKeys) {
        await rmdir(outputUri(nodeId, key, executionId)).catch(() => undefined)
      }
    }

    return { dirs, addItem, publish, discard }
  }

  return {
    root: absoluteRoot,
    outputUri,
    createWorkspace,
    outputProblem: (uri, expected) =>
      uri.startsWith('s3://')
        ? Promise.resolve('an s3:// artifact is not reachable from a local pipeline root')
        : localOutputProblem(uri, expected),
    localPath: async (uri) => uri,
  }
}

/** Options of {@link openArtifactStore}. */
export interface OpenArtifactStoreOptions {
  /**
   * For an `s3://` root: the machine's own folder for step scratch space and downloaded
   * inputs (default: `mlmd-ts-artifacts` in the system temp folder).
   */
  readonly localDir?: string
  /** For an `s3://` root: endpoint, region and credentials (default: the AWS environment). */
  readonly s3?: S3ConnectionOptions
}

/** How to reach an S3-compatible server; unset fields come from the standard AWS environment. */
export interface S3ConnectionOptions {
  /** e.g. `http://127.0.0.1:8333`; also `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`. */
  readonly endpoint?: string
  /** Default `AWS_REGION`, else `us-east-1`. */
  readonly region?: string
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string }
  /** Path-style bucket addressing; default true when an endpoint is set (S3-compatible servers). */
  readonly forcePathStyle?: boolean
}

/**
 * The artifact store for a pipeline root: a local folder, or an S3-compatible bucket when the
 * root is `s3://bucket/prefix`. The S3 client is loaded only for S3 roots.
 */
export async function openArtifactStore(
  root: string,
  options: OpenArtifactStoreOptions = {},
): Promise<ArtifactStore> {
  if (!root.startsWith('s3://')) return createArtifactStore(root)
  const { createS3ArtifactStore } = await import('./s3-artifact-store.js')
  return createS3ArtifactStore(root, options)
}
