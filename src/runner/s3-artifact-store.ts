/**
 * The artifact store on an S3-compatible object store (AWS S3, SeaweedFS, MinIO…), selected
 * by a pipeline root `s3://bucket/prefix`. Several machines that share the bucket and one
 * metadata store reuse each other's step outputs.
 *
 * Layout under the prefix:
 * - `<node>/<key>/<execution id>/manifest.json`: the published output (its artifact's `uri` is
 *   `s3://bucket/prefix/<node>/<key>/<execution id>`). The manifest lists the output's
 *   directories and files, each file with its size, SHA-256 and the object holding its bytes,
 *   and the output's content fingerprint.
 * - `.blobs/<uuid>`: file contents, one object per file and upload.
 *
 * Guarantees, the same as the local store's:
 * - **Atomic publication.** The blobs go up first; the manifest is written last, in one PUT
 *   (which S3 makes visible whole or not at all). Until then nothing exists under the
 *   artifact's uri, so a run killed mid-upload leaves no half output behind a final key, only
 *   unreferenced blobs.
 * - **Write-once keys.** Blob keys are new UUIDs; a manifest is refused if one already exists
 *   under its key (checked just before the PUT), and is never overwritten or deleted.
 * - **Fingerprints checked before reuse.** {@link S3ArtifactStore.outputProblem} reads the
 *   manifest and every blob and recomputes the fingerprint with the same definition as for
 *   local outputs (`fingerprintOf`), so a changed, truncated or deleted object, or a rewritten
 *   manifest, is never reused.
 *
 * Steps still read and write local folders: outputs are written to scratch space under the
 * machine's own `localDir` and uploaded on success; inputs are downloaded into
 * `localDir/objects/<fingerprint>` (verified, then renamed into place) once per machine.
 *
 * Endpoint, region and credentials come from the standard AWS environment (`AWS_ENDPOINT_URL_S3`
 * or `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, profiles)
 * unless given explicitly.
 */
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { lstat, mkdir, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { invalidArgument } from '../errors.js'
import {
  type ArtifactStore,
  contentFingerprint,
  type FingerprintEntry,
  fingerprintOf,
  localEntries,
  localOutputProblem,
  type OpenArtifactStoreOptions,
  type OutputWorkspace,
  type PublishedOutput,
  type PublishedOutputs,
  type S3ConnectionOptions,
} from './artifact-store.js'

/** The manifest format tag; readers refuse any other. */
export const MANIFEST_FORMAT = 'mlmd-ts.output-manifest.v1'

/** A published output's manifest, as stored at `<uri>/manifest.json`. */
export interface OutputManifest {
  readonly format: typeof MANIFEST_FORMAT
  readonly fingerprint: string
  readonly entries: readonly ManifestEntry[]
}

/** One directory or file of an output. */
export type ManifestEntry =
  | { readonly path: string; readonly kind: 'dir' }
  | { readonly path: string; readonly kind: 'file'; readonly size: number; readonly object: string }

/** Test hooks: points in a publication where a test may stop the process. */
export interface S3PublishHooks {
  /** After every blob of an output is uploaded, before its manifest is written. */
  readonly beforeManifest?: (manifestKey: string) => Promise<void> | void
}

/** Options of {@link createS3ArtifactStore}. */
export interface S3ArtifactStoreOptions extends OpenArtifactStoreOptions {
  /** An S3 client to use instead of one built from {@link S3ConnectionOptions}. */
  readonly client?: S3Client
  /** @internal */
  readonly hooks?: S3PublishHooks
}

/** The S3 artifact store: an {@link ArtifactStore} plus reading manifests (for tools). */
export interface S3ArtifactStore extends ArtifactStore {
  readonly bucket: string
  readonly prefix: string
  /** The manifest of the output at `uri`, or `undefined` if none is published there. */
  readManifest(uri: string): Promise<OutputManifest | undefined>
}

/** Splits `s3://bucket/prefix` into bucket and prefix (no leading or trailing slash). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)
  if (match === null || match[1] === undefined) {
    throw invalidArgument(`${uri} is not an s3://bucket/prefix URI.`)
  }
  return { bucket: match[1], key: (match[2] ?? '').replace(/\/+$/, '') }
}

/** An S3 client from explicit options, falling back to the standard AWS environment. */
export function createS3Client(options: S3ConnectionOptions = {}): S3Client {
  const env = process.env
  const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL
  const config: S3ClientConfig = {
    region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // S3-compatible servers on a host name or address of their own serve buckets as paths.
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  }
  return new S3Client(config)
}

const isNotFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } }
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404
}

// Yields the chunks of `stream` while writing them to `file`, so one read both hashes and saves.
async function* teeToFile(stream: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const out = createWriteStream(file)
  try {
    for await (const chunk of stream) {
      if (!out.write(chunk)) await once(out, 'drain')
      yield chunk
    }
  } finally {
    out.end()
    await finished(out)
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** An artifact store on `s3://bucket/prefix`. */
export function createS3ArtifactStore(root: string, options: S3ArtifactStoreOptions = {}): S3ArtifactStore {
  const { bucket, key: prefix } = parseS3Uri(root)
  const client = options.client ?? createS3Client(options.s3)
  const ownsClient = options.client === undefined
  const localDir = path.resolve(options.localDir ?? path.join(tmpdir(), 'mlmd-ts-artifacts'))
  const rootUri = `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`
  const keyOf = (relative: string): string => (prefix === '' ? relative : `${prefix}/${relative}`)
  const outputUri = (nodeId: string, key: string, executionId: bigint, index?: number): string =>
    `${rootUri}/${nodeId}/${key}/${executionId}${index === undefined ? '' : `/${index}`}`
  const manifestKeyOf = (uri: string): { bucket: string; key: string } => {
    const parsed = parseS3Uri(uri)
    return { bucket: parsed.bucket, key: `${parsed.key}/manifest.json` }
  }

  async function head(b: string, key: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await client.send(new HeadObjectCommand({ Bucket: b, Key: key }))
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  async function getStream(b: string, key: string): Promise<Readable> {
    const response = await client.send(new GetObjectCommand({ Bucket: b, Key: key }))
    return response.Body as Readable
  }

  async function readManifest(uri: string): Promise<OutputManifest | undefined> {
    const where = manifestKeyOf(uri)
    let text: string
    try {
      const response = await client.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }))
      text = (await response.Body?.transformToString('utf8')) ?? ''
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
    const manifest = JSON.parse(text) as OutputManifest
    if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.entries)) {
      throw new Error(`s3://${where.bucket}/${where.key} is not a ${MANIFEST_FORMAT} manifest`)
    }
    return manifest
  }

  const entriesOf = (manifest: OutputManifest): FingerprintEntry[] =>
    manifest.entries.map((e) =>
      e.kind === 'dir' ? { relative: e.path, kind: 'dir' } : { relative: e.path, kind: 'file', size: e.size },
    )

  // Streams every blob of the manifest once, through `sink` per file, and returns the
  // fingerprint of what was read.
  async function readBlobs(
    uri: string,
    manifest: OutputManifest,
    sink?: (entry: ManifestEntry, stream: Readable) => Promise<AsyncIterable<Uint8Array>>,
  ): Promise<string> {
    const { bucket: b } = parseS3Uri(uri)
    const byPath = new Map(manifest.entries.map((e) => [e.path, e]))
    return fingerprintOf(entriesOf(manifest), (entry) => {
      const manifestEntry = byPath.get(entry.relative) as ManifestEntry & { object: string }
      return (async function* () {
        const stream = await getStream(b, manifestEntry.object)
        yield* sink === undefined ? stream : await sink(manifestEntry, stream)
      })()
    })
  }

  async function outputProblem(uri: string, expected: string | undefined): Promise<string | undefined> {
    if (!uri.startsWith('s3://')) return localOutputProblem(uri, expected)
    try {
      const manifest = await readManifest(uri)
      if (manifest === undefined) return `missing: no manifest at ${uri}/manifest.json`
      const actual = await readBlobs(uri, manifest)
      if (expected !== undefined && actual !== expected) {
        return `content changed: fingerprint ${actual}, recorded ${expected}`
      }
      if (actual !== manifest.fingerprint) {
        return `content changed: fingerprint ${actual}, manifest says ${manifest.fingerprint}`
      }
      return undefined
    } catch (error) {
      return isNotFound(error)
        ? `missing: an object of ${uri} is gone (${message(error)})`
        : `unreadable: ${message(error)}`
    }
  }

  async function localPath(uri: string, fingerprint: string | undefined): Promise<string> {
    if (!uri.startsWith('s3://')) return uri
    const manifest = await readManifest(uri)
    if (manifest === undefined) throw new Error(`${uri}: no output is published there`)
    const wanted = fingerprint ?? manifest.fingerprint
    const target = path.join(localDir, 'objects', wanted.replace(/^sha256:/, ''))
    if ((await lstat(target).catch(() => undefined)) !== undefined) return target
    const partial = path.join(localDir, 'objects', `.partial-${randomUUID()}`)
    try {
      await mkdir(partial, { recursive: true })
      for (const entry of manifest.entries) {
        if (entry.kind === 'dir') await mkdir(path.join(partial, entry.path), { recursive: true })
      }
      // Each blob is hashed as it is written, so the copy is verified without a second read.
      const actual = await readBlobs(uri, manifest, async (entry, stream) => {
        const file = path.join(partial, entry.path)
        await mkdir(path.dirname(file), { recursive: true })
        return teeToFile(stream, file)
      })
      if (actual !== wanted)
        throw new Error(`${uri}: content changed: fingerprint ${actual}, recorded ${wanted}`)
      await rename(partial, target).catch(async (error: unknown) => {
        // Another process of this machine finished the same download first: keep theirs.
        if ((await lstat(target).catch(() => undefined)) === undefined) throw error
      })
      return target
    } finally {
      await rm(partial, { recursive: true, force: true })
    }
  }

  async function createWorkspace(
    nodeId: string,
    executionId: bigint,
    keys: readonly string[],
    attempt = 1,
    listKeys: readonly string[] = [],
  ): Promise<OutputWorkspace> {
    const scratch = path.join(localDir, 'work', nodeId, `${executionId}-${attempt}`)
    await rm(scratch, { recursive: true, force: true })
    const dirs: Record<string, string> = {}
    for (const key of keys) {
      dirs[key] = path.join(scratch, key)
      await mkdir(dirs[key], { recursive: true })
    }
    const items = new Map<string, string[]>(listKeys.map((key) => [key, []]))

    async function addItem(key: string): Promise<string> {
      const list = items.get(key)
      if (list === undefined) throw new Error(`output ${key} is not a list`)
      const dir = path.join(scratch, key, String(list.length))
      list.push(dir)
      await mkdir(dir, { recursive: true })
      return dir
    }

    async function publishOne(dir: string, uri: string): Promise<PublishedOutput> {
      const fingerprint = await contentFingerprint(dir)
      const manifestKey = manifestKeyOf(uri).key
      const entries: ManifestEntry[] = []
      for (const entry of await localEntries(dir)) {
        if (entry.kind === 'dir') {
          entries.push({ path: entry.relative, kind: 'dir' })
          continue
        }
        const object = keyOf(`.blobs/${randomUUID()}`)
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: object,
            Body: createReadStream(entry.absolute),
            ContentLength: entry.size,
          }),
        )
        entries.push({ path: entry.relative, kind: 'file', size: entry.size as number, object })
      }
      await options.hooks?.beforeManifest?.(manifestKey)
      if ((await head(bucket, manifestKey)) !== undefined) {
        throw new Error(`${uri} is already published; outputs are written once`)
      }
      const manifest: OutputManifest = { format: MANIFEST_FORMAT, fingerprint, entries }
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: manifestKey,
          Body: JSON.stringify(manifest),
          ContentType: 'application/json',
        }),
      )
      // The payload is already on this machine: file it as a verified download.
      const cached = path.join(localDir, 'objects', fingerprint.replace(/^sha256:/, ''))
      await mkdir(path.dirname(cached), { recursive: true })
      await rename(dir, cached).catch(() => undefined)
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
      } finally {
        await rm(scratch, { recursive: true, force: true })
      }
      return published
    }

    // A manifest once written is never deleted (write-once): outputs published before a
    // failure stay as unreferenced objects, which no LIVE artifact points to.
    const discard = (): Promise<void> => rm(scratch, { recursive: true, force: true })

    return { dirs, addItem, publish, discard }
  }

  return {
    root: rootUri,
    bucket,
    prefix,
    outputUri,
    createWorkspace,
    outputProblem,
    localPath,
    readManifest,
    close: () => {
      if (ownsClient) client.destroy()
    },
  }
}
