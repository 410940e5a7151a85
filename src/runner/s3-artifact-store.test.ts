// The S3 artifact store against a real SeaweedFS started here on loopback ports (see
// seaweedfs.test-support.ts); "machines" are separate processes with their own local folders
// sharing the bucket and one `mlmd-ts serve`.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../client/index.js'
import { Artifact_State, Execution_State } from '../proto/messages.js'
import { createMetadataStore, toAsyncMetadataStore } from '../store/metadata-store.js'
import { contentFingerprint } from './artifact-store.js'
import { defineArtifactType, listOf } from './artifact-type.js'
import { createPipeline, node } from './pipeline.js'
import { runPipeline } from './pipeline-runner.js'
import { openRepository, type PipelineRun } from './repository.js'
import { createS3ArtifactStore } from './s3-artifact-store.js'
import { findWeed, type SeaweedFs, startSeaweedFs } from './seaweedfs.test-support.js'
import { defineStep } from './step.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSX = createRequire(import.meta.url).resolve('tsx')
const MACHINE = path.join(ROOT, 'examples', 's3-machine.ts')
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')

const weed = await findWeed()
if ('missing' in weed) console.warn(`s3-artifact-store.test.ts skipped: ${weed.missing}`)

let s3: SeaweedFs
let work: string

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }),
    )
    keys.push(...(page.Contents ?? []).map((o) => o.Key as string))
    token = page.NextContinuationToken
  } while (token !== undefined)
  return keys.sort()
}

const Text = defineArtifactType({ name: 'Text' })
const writeText = defineStep({
  type: 'tsrunner.test.s3.WriteText',
  outputs: { text: Text },
  parameters: { text: 'hello' },
  async run({ outputs, parameters }) {
    await mkdir(path.join(outputs.text.dir, 'sub'))
    await writeFile(path.join(outputs.text.dir, 'sub', 'text.txt'), parameters.text)
  },
})
const shout = defineStep({
  type: 'tsrunner.test.s3.Shout',
  inputs: { text: Text },
  outputs: { text: Text },
  async run({ inputs, outputs }) {
    const text = await readFile(path.join(inputs.text.dir, 'sub', 'text.txt'), 'utf8')
    await writeFile(path.join(outputs.text.dir, 'loud.txt'), text.toUpperCase())
  },
})

const Part = defineArtifactType({ name: 'Part' })
const writeParts = defineStep({
  type: 'tsrunner.test.s3.WriteParts',
  outputs: { parts: listOf(Part) },
  async run({ outputs }) {
    for (const word of ['alpha', 'beta', 'gamma']) {
      const part = await outputs.parts.add()
      await writeFile(path.join(part.dir, 'word.txt'), word)
    }
  },
})
const joinParts = defineStep({
  type: 'tsrunner.test.s3.JoinParts',
  inputs: { parts: listOf(Part) },
  outputs: { text: Text },
  async run({ inputs, outputs }) {
    const words = await Promise.all(inputs.parts.map((p) => readFile(path.join(p.dir, 'word.txt'), 'utf8')))
    await writeFile(path.join(outputs.text.dir, 'joined.txt'), words.join(' '))
  },
})

interface MachineResult {
  status: string
  durationMs: number
  nodes: {
    nodeId: string
    status: string
    durationMs: number
    savedMs?: number
    cacheMiss?: string
    uri?: string
  }[]
}

function startServe(db: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '--db', db, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = / on (127\.0\.0\.1:\d+) /.exec(out)
      if (match) resolve({ child, address: match[1] as string })
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.once('exit', (code) => reject(new Error(`mlmd-ts serve exited (${code}):\n${out}`)))
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

function machine(
  env: Record<string, string>,
  onLine?: (line: string, child: ChildProcess) => void,
): {
  child: ChildProcess
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>
} {
  const child = spawn(process.execPath, ['--import', TSX, MACHINE], {
    env: { ...process.env, ...s3.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString()
    stdout += text
    for (const line of text.split('\n')) if (line !== '') onLine?.(line, child)
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  return { child, done }
}

async function runMachine(env: Record<string, string>): Promise<MachineResult> {
  const outcome = await machine(env).done
  if (outcome.code !== 0)
    throw new Error(`machine failed (${outcome.code}):\n${outcome.stdout}\n${outcome.stderr}`)
  return JSON.parse(outcome.stdout.trim().split('\n').at(-1) as string) as MachineResult
}

const statuses = (r: MachineResult): string[] => r.nodes.map((n) => `${n.nodeId}:${n.status}`)

describe.skipIf('missing' in weed)('S3 artifact store on a real SeaweedFS', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    s3 = await startSeaweedFs((weed as { path: string }).path)
    work = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-s3-'))
  }, 180_000)
  afterAll(async () => {
    await s3?.stop()
    if (work !== undefined) await rm(work, { recursive: true, force: true })
  })

  it('publishes an output with its manifest last, under a write-once key, and reads it back verified', async () => {
    const prefix = `unit-${randomUUID()}`
    const seenBeforeManifest: string[][] = []
    const store = createS3ArtifactStore(`s3://${s3.bucket}/${prefix}`, {
      localDir: path.join(work, 'unit'),
      s3: { endpoint: s3.endpoint, credentials: s3.credentials },
      hooks: { beforeManifest: async () => void seenBeforeManifest.push(await keysUnder(`${prefix}/n/`)) },
    })
    try {
      const workspace = await store.createWorkspace('n', 7n, ['out'])
      const dir = workspace.dirs.out as string
      await mkdir(path.join(dir, 'sub'))
      await writeFile(path.join(dir, 'a.txt'), 'alpha')
      await writeFile(path.join(dir, 'sub', 'b.bin'), Buffer.alloc(300_000, 7))
      const expected = await contentFingerprint(dir)
      const published = await workspace.publish()
      const uri = `s3://${s3.bucket}/${prefix}/n/out/7`
      expect(published).toEqual({ out: [{ uri, fingerprint: expected }] })
      expect(seenBeforeManifest).toEqual([[]])
      expect(await keysUnder(`${prefix}/n/`)).toEqual([`${prefix}/n/out/7/manifest.json`])
      expect(await keysUnder(`${prefix}/.blobs/`)).toHaveLength(2)
      expect(await store.outputProblem(uri, expected)).toBeUndefined()
      expect(await store.outputProblem(uri, 'sha256:0')).toMatch(/^content changed: fingerprint sha256:/)

      const local = await store.localPath(uri, expected)
      expect(await readFile(path.join(local, 'a.txt'), 'utf8')).toBe('alpha')
      expect(await contentFingerprint(local)).toBe(expected)

      const again = await store.createWorkspace('n', 7n, ['out'])
      await writeFile(path.join(again.dirs.out as string, 'a.txt'), 'other')
      await expect(again.publish()).rejects.toThrow(`${uri} is already published; outputs are written once`)
      expect((await store.readManifest(uri))?.fingerprint).toBe(expected)
    } finally {
      store.close?.()
    }
  })

  it('publishes a list output as one manifest per item, and another machine reads the list in order', async () => {
    const owned = createMetadataStore({ filename: path.join(work, 'lists.sqlite') })
    const store = toAsyncMetadataStore(owned)
    const prefix = `lists-${randomUUID()}`
    const on = (machineDir: string) => ({
      store,
      pipelineRoot: `s3://${s3.bucket}/${prefix}`,
      artifactStoreOptions: {
        localDir: path.join(work, machineDir),
        s3: { endpoint: s3.endpoint, credentials: s3.credentials },
      },
      progress: false as const,
    })
    const parts = node('parts', writeParts)
    const pipeline = createPipeline('lists', [
      parts,
      node('join', joinParts, { inputs: { parts: parts.outputs.parts } }),
    ])
    try {
      const first = await runPipeline(pipeline, on('lists-1'))
      expect(first.status).toBe('COMPLETE')
      const execution = first.nodes[0]?.executionId as bigint
      expect(await keysUnder(`${prefix}/parts/`)).toEqual(
        [0, 1, 2].map((i) => `${prefix}/parts/parts/${execution}/${i}/manifest.json`),
      )
      // Machine 2 reuses the list and runs the consumer on downloads of every item.
      const again = pipeline.replace(
        node('join', joinParts, { inputs: { parts: parts.outputs.parts }, cache: 'refresh' }),
      )
      const second = await runPipeline(again, on('lists-2'))
      expect(second.nodes.map((n) => n.status)).toEqual(['cached', 'ran'])
      expect(second.nodes[0]?.outputs.parts).toEqual(first.nodes[0]?.outputs.parts)
      // A third machine loads the outputs through the repository API.
      const repo = await openRepository({
        store,
        root: `s3://${s3.bucket}/${prefix}`,
        artifactStoreOptions: {
          localDir: path.join(work, 'lists-3'),
          s3: { endpoint: s3.endpoint, credentials: s3.credentials },
        },
      })
      try {
        const latest = await repo.latestRun('lists')
        expect([latest.runId, latest.cacheHits]).toEqual([second.runId, 1])
        const joined = await latest.output('join', 'text', Text)
        expect(joined.dir.startsWith(path.join(work, 'lists-3'))).toBe(true)
        expect(await readFile(path.join(joined.dir, 'joined.txt'), 'utf8')).toBe('alpha beta gamma')
        const items = await latest.outputs(parts.outputs.parts)
        expect(items.map((i) => i.uri)).toEqual(first.nodes[0]?.outputs.parts?.map((o) => o.uri))
      } finally {
        repo.close()
      }
    } finally {
      owned.close()
    }
  })

  it('never reuses a tampered or deleted object: the step runs again and the record says why', async () => {
    const owned = createMetadataStore({ filename: path.join(work, 'tamper.sqlite') })
    const store = toAsyncMetadataStore(owned)
    const root = `s3://${s3.bucket}/tamper-${randomUUID()}`
    const w = node('write', writeText)
    const pipeline = createPipeline('tamper', [w, node('shout', shout, { inputs: { text: w.outputs.text } })])
    const options = {
      store,
      pipelineRoot: root,
      artifactStoreOptions: {
        localDir: path.join(work, 'tamper'),
        s3: { endpoint: s3.endpoint, credentials: s3.credentials },
      },
      progress: false as const,
    }
    try {
      const first = await runPipeline(pipeline, options)
      expect(first.nodes.map((n) => n.status)).toEqual(['ran', 'ran'])
      expect((await runPipeline(pipeline, options)).nodes.map((n) => n.status)).toEqual(['cached', 'cached'])

      // Someone rewrites the blob behind write's output (bypassing the runner).
      const reader = createS3ArtifactStore(root, {
        s3: { endpoint: s3.endpoint, credentials: s3.credentials },
      })
      const uri = first.nodes[0]?.outputs.text?.[0]?.uri as string
      const manifest = await reader.readManifest(uri)
      const blob = manifest?.entries.find((e) => e.kind === 'file') as { object: string }
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: blob.object, Body: 'HELLO' }))
      const afterTamper = await runPipeline(pipeline, options)
      expect(afterTamper.nodes.map((n) => n.status)).toEqual(['ran', 'ran'])
      const miss = afterTamper.nodes[0]?.cacheMiss as string
      expect(miss).toMatch(
        new RegExp(
          `^no reusable execution with this cache key: execution \\d+: output text \\(artifact \\d+, ${uri}\\): content changed: fingerprint sha256:[0-9a-f]{64}, recorded sha256:[0-9a-f]{64}`,
        ),
      )
      const { executions = [] } = await store.getExecutionsByID({
        execution_ids: [afterTamper.nodes[0]?.executionId as bigint],
      })
      expect(executions[0]?.custom_properties?.tsrunner_cache_miss?.string_value).toBe(miss)
      expect(executions[0]?.last_known_state).toBe(Execution_State.COMPLETE)

      // The newest output's manifest disappears: that execution is passed over, and the one
      // before it is tampered, so the step runs again.
      const newest = afterTamper.nodes[0]?.outputs.text?.[0]?.uri as string
      await s3.client.send(
        new DeleteObjectCommand({
          Bucket: s3.bucket,
          Key: `${newest.replace(`s3://${s3.bucket}/`, '')}/manifest.json`,
        }),
      )
      const afterDelete = await runPipeline(pipeline, options)
      expect(afterDelete.nodes[0]?.status).toBe('ran')
      expect(afterDelete.nodes[0]?.cacheMiss).toContain(
        `(artifact ${afterTamper.nodes[0]?.outputs.text?.[0]?.id}, ${newest}): missing: no manifest at ${newest}/manifest.json`,
      )
      reader.close?.()
    } finally {
      owned.close()
    }
  })

  it('mlmd-ts verify reports changed and lost S3 outputs, and --mark records them', async () => {
    const db = path.join(work, 'verify.sqlite')
    const root = `s3://${s3.bucket}/verify-${randomUUID()}`
    const owned = createMetadataStore({ filename: db })
    const w = node('write', writeText)
    const result = await runPipeline(
      createPipeline('verify', [w, node('shout', shout, { inputs: { text: w.outputs.text } })]),
      {
        store: toAsyncMetadataStore(owned),
        pipelineRoot: root,
        artifactStoreOptions: {
          localDir: path.join(work, 'verify'),
          s3: { endpoint: s3.endpoint, credentials: s3.credentials },
        },
        progress: false,
        concurrency: 1,
      },
    )
    owned.close()
    const cli = async (...args: string[]) => {
      const child = spawn(
        process.execPath,
        ['--import', TSX, MAIN, 'verify', '--db', db, '--root', root, ...args],
        {
          env: { ...process.env, ...s3.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      let out = ''
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString()
      })
      child.stderr?.on('data', (c: Buffer) => {
        out += c.toString()
      })
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
      return { code, out }
    }
    const intact = await cli()
    expect(intact).toMatchObject({ code: 0 })
    expect(intact.out).toContain('2 checked: 2 intact, 0 with problems')

    const [write, loud] = result.nodes.map((n) => n.outputs.text?.[0] as { id: bigint; uri: string })
    const reader = createS3ArtifactStore(root, { s3: { endpoint: s3.endpoint, credentials: s3.credentials } })
    const blob = (await reader.readManifest(write?.uri as string))?.entries.find(
      (e) => e.kind === 'file',
    ) as { object: string }
    reader.close?.()
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: blob.object, Body: 'hellO' }))
    await s3.client.send(
      new DeleteObjectCommand({
        Bucket: s3.bucket,
        Key: `${loud?.uri.replace(`s3://${s3.bucket}/`, '')}/manifest.json`,
      }),
    )
    const broken = await cli('--mark')
    expect(broken.code).toBe(1)
    expect(broken.out).toContain(`changed    artifact ${write?.id}  ${write?.uri}`)
    expect(broken.out).toContain(`lost       artifact ${loud?.id}  ${loud?.uri}`)
    expect(broken.out).toContain(`missing: no manifest at ${loud?.uri}/manifest.json`)
    expect(broken.out).toContain('2 checked: 0 intact, 2 with problems, 2 marked')
    const after = createMetadataStore({ filename: db })
    const { artifacts = [] } = after.getArtifactsByID({
      artifact_ids: [write?.id as bigint, loud?.id as bigint],
    })
    after.close()
    expect(new Set(artifacts.map((a) => a.state))).toEqual(
      new Set([Artifact_State.MARKED_FOR_DELETION, Artifact_State.DELETED]),
    )
  })

  it('two machines sharing the bucket and one mlmd-ts serve reuse each other’s steps', async () => {
    const serve = await startServe(path.join(work, 'shared.sqlite'))
    try {
      const shared = {
        MLMD_GRPC: serve.address,
        ROOT: `s3://${s3.bucket}/shared-${randomUUID()}`,
        ROWS: '20000',
      }
      const one = { ...shared, LOCAL_DIR: path.join(work, 'machine-1') }
      const two = { ...shared, LOCAL_DIR: path.join(work, 'machine-2') }

      const aOnOne = await runMachine({ ...one, PIPELINE: 'a' })
      expect(statuses(aOnOne)).toEqual(['ingest:ran', 'preprocess:ran', 'train:ran', 'evaluate:ran'])
      const bOnTwo = await runMachine({ ...two, PIPELINE: 'b' })
      expect(statuses(bOnTwo)).toEqual(['ingest:cached', 'preprocess:cached', 'train:ran', 'evaluate:ran'])
      const bOnOne = await runMachine({ ...one, PIPELINE: 'b' })
      expect(statuses(bOnOne)).toEqual([
        'ingest:cached',
        'preprocess:cached',
        'train:cached',
        'evaluate:cached',
      ])
      const aOnTwo = await runMachine({ ...two, PIPELINE: 'a' })
      expect(statuses(aOnTwo)).toEqual([
        'ingest:cached',
        'preprocess:cached',
        'train:cached',
        'evaluate:cached',
      ])
      expect(bOnTwo.nodes[0]?.uri).toBe(aOnOne.nodes[0]?.uri)
      expect(aOnOne.nodes[0]?.uri).toMatch(/^s3:\/\//)

      // A third reader sees all four runs through the same `mlmd-ts serve` and loads a model
      // from the bucket.
      const [host, port] = serve.address.split(':')
      const client = createMetadataStoreClient({ host, port: Number(port) })
      const repo = await openRepository({
        store: client,
        root: shared.ROOT,
        artifactStoreOptions: {
          localDir: path.join(work, 'machine-3'),
          s3: { endpoint: s3.endpoint, credentials: s3.credentials },
        },
      })
      try {
        expect((await repo.pipelines()).map((p) => [p.name, p.runCount])).toEqual([
          ['seed-a', 2],
          ['seed-b', 2],
        ])
        const runsA = await repo.runs('seed-a')
        const runsB = await repo.runs('seed-b')
        expect(runsA.map((r) => [r.status, r.cacheHits])).toEqual([
          ['COMPLETE', 4],
          ['COMPLETE', 0],
        ])
        expect(runsB.map((r) => [r.status, r.cacheHits])).toEqual([
          ['COMPLETE', 4],
          ['COMPLETE', 2],
        ])
        expect(runsB[1]?.steps.map((s) => `${s.nodeId}:${s.status}`)).toEqual(statuses(bOnTwo))
        const model = await (runsB[0] as PipelineRun).output('train', 'model')
        expect(model.uri).toBe(runsB[1]?.step('train')?.outputs.model?.[0]?.uri)
        expect(JSON.parse(await readFile(path.join(model.dir, 'model.json'), 'utf8'))).toHaveProperty(
          'trainer',
        )
      } finally {
        repo.close()
        client.close()
      }

      const figure = (label: string, r: MachineResult): string =>
        `${label}: ${r.durationMs} ms; ${r.nodes.map((n) => `${n.nodeId} ${n.status} ${n.durationMs} ms${n.savedMs === undefined ? '' : ` (saved ${n.savedMs} ms)`}`).join(', ')}`
      console.log(
        [
          'two-machine reuse figures (20000 rows):',
          figure('machine 1, A', aOnOne),
          figure('machine 2, B', bOnTwo),
          figure('machine 1, B', bOnOne),
          figure('machine 2, A', aOnTwo),
        ].join('\n  '),
      )
    } finally {
      await stopChild(serve.child)
    }
  })

  it('a run killed mid-upload leaves nothing under a final key, and the next run completes', async () => {
    const serve = await startServe(path.join(work, 'killed.sqlite'))
    const prefix = `killed-${randomUUID()}`
    try {
      const env = {
        MLMD_GRPC: serve.address,
        ROOT: `s3://${s3.bucket}/${prefix}`,
        ROWS: '3000',
        LOCAL_DIR: path.join(work, 'killed'),
        PIPELINE: 'a',
      }
      let announced = ''
      const killed = machine({ ...env, STOP_BEFORE_MANIFEST: '1' }, (line, child) => {
        if (!line.startsWith('BEFORE-MANIFEST ')) return
        announced = line.slice('BEFORE-MANIFEST '.length)
        child.kill('SIGKILL')
      })
      const outcome = await killed.done
      expect(outcome.signal).toBe('SIGKILL')
      expect(announced).toBe(`${prefix}/ingest/examples/1/manifest.json`)
      const keys = await keysUnder(`${prefix}/`)
      expect(keys.length).toBeGreaterThan(0) // the blobs did go up
      expect(keys.filter((k) => !k.startsWith(`${prefix}/.blobs/`))).toEqual([])

      const [host, port] = serve.address.split(':')
      const client = createMetadataStoreClient({ host, port: Number(port) })
      try {
        const { artifacts = [] } = await client.getArtifacts({})
        expect(artifacts).toEqual([])
        const { executions = [] } = await client.getExecutions({})
        expect(executions.map((e) => e.last_known_state)).toEqual([Execution_State.RUNNING])

        const rerun = await runMachine(env)
        expect(statuses(rerun)).toEqual(['ingest:ran', 'preprocess:ran', 'train:ran', 'evaluate:ran'])
        const after = await client.getArtifacts({})
        expect(after.artifacts?.every((a) => a.state === Artifact_State.LIVE)).toBe(true)
        expect(await keysUnder(`${prefix}/ingest/`)).toEqual([`${prefix}/ingest/examples/2/manifest.json`])
      } finally {
        client.close()
      }
    } finally {
      await stopChild(serve.child)
    }
  })
})
