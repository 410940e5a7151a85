// The repository API over one store file, read in process and through a real gRPC server on
// 127.0.0.1 serving the same file (what `mlmd-ts serve` runs).
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../client/index.js'
import { Code } from '../errors.js'
import { Artifact_State } from '../proto/messages.js'
import { createGrpcServer, type GrpcServer } from '../service/grpc-server.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { defineArtifactType, listOf } from './artifact-type.js'
import { createPipeline, node } from './pipeline.js'
import { type PipelineRunResult, runPipeline } from './pipeline-runner.js'
import { openRepository, type Repository } from './repository.js'
import { defineStep, type InputArtifact } from './step.js'

const Text = defineArtifactType({ name: 'Text', properties: { length: 'INT' } })
const Word = defineArtifactType({ name: 'Word' })

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let gate: Promise<void> | undefined

const write = defineStep({
  type: 'tsrunner.test.repo.Write',
  outputs: { text: Text },
  parameters: { text: 'alpha beta gamma', fail: false },
  async run({ outputs, parameters }) {
    await pause(40)
    if (parameters.fail) throw new Error('write was told to fail')
    await writeFile(path.join(outputs.text.dir, 'text.txt'), parameters.text)
    outputs.text.properties.length = parameters.text.length
  },
})

const words = defineStep({
  type: 'tsrunner.test.repo.Words',
  inputs: { text: Text },
  outputs: { words: listOf(Word) },
  async run({ inputs, outputs }) {
    await pause(40)
    await gate
    for (const word of (await readFile(path.join(inputs.text.dir, 'text.txt'), 'utf8')).split(' ')) {
      const out = await outputs.words.add()
      await writeFile(path.join(out.dir, 'word.txt'), word)
    }
  },
})

const w = node('write', write)
const ws = node('words', words, { inputs: { text: w.outputs.text } })
const pipelineA = createPipeline('repo-a', [w, ws])
const pipelineB = pipelineA.copy('repo-b').replace(node('write', write, { parameters: { text: 'delta' } }))
const failing = createPipeline('repo-fails', [
  node('write', write, { parameters: { fail: true } }),
  node('words', words, { inputs: { text: w.outputs.text } }),
])

const containers = [
  { name: 'in-process store', viaServer: false },
  { name: 'gRPC server on the same file', viaServer: true },
] as const

describe.each(containers)('repository over the $name', ({ viaServer }) => {
  let dir: string
  let writer: OwnedMetadataStore
  let served: OwnedMetadataStore | undefined
  let server: GrpcServer | undefined
  let client: MetadataStoreClient | undefined
  let reader: AsyncMetadataStore
  let repo: Repository
  let root: string

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-repo-'))
    root = path.join(dir, 'root')
    const filename = path.join(dir, 'mlmd.sqlite')
    writer = createMetadataStore({ filename })
    if (viaServer) {
      served = createMetadataStore({ filename })
      server = await createGrpcServer({ store: served, host: '127.0.0.1', port: 0 })
      client = createMetadataStoreClient({ host: '127.0.0.1', port: server.port })
      reader = client
    } else {
      reader = toAsyncMetadataStore(writer)
    }
    repo = await openRepository({ store: reader, root })
  })
  afterEach(async () => {
    repo?.close()
    client?.close()
    await server?.shutdown()
    served?.close()
    writer.close()
    gate = undefined
    await rm(dir, { recursive: true, force: true })
  })

  const run = (p: typeof pipelineA, runId?: string): Promise<PipelineRunResult> =>
    runPipeline(p, {
      store: toAsyncMetadataStore(writer),
      pipelineRoot: root,
      progress: false,
      ...(runId === undefined ? {} : { runId }),
    })

  it('lists pipelines by name and their runs newest first, with status, cache hits and time saved', async () => {
    const first = await run(pipelineA, 'a-1')
    const second = await run(pipelineA, 'a-2')
    const third = await run(pipelineB, 'b-1')
    expect(second.nodes.map((n) => n.status)).toEqual(['cached', 'cached'])

    const pipelines = await repo.pipelines()
    expect(pipelines.map((p) => [p.name, p.runCount, p.latestRun?.runId])).toEqual([
      ['repo-a', 2, 'a-2'],
      ['repo-b', 1, 'b-1'],
    ])

    const runs = await repo.runs('repo-a')
    expect(runs.map((r) => [r.runId, r.status, r.cacheHits])).toEqual([
      ['a-2', 'COMPLETE', 2],
      ['a-1', 'COMPLETE', 0],
    ])
    const [newest, oldest] = runs as [(typeof runs)[0], (typeof runs)[0]]
    expect(oldest.steps.map((s) => [s.nodeId, s.status, s.executionId])).toEqual(
      first.nodes.map((n) => [n.nodeId, n.status, n.executionId]),
    )
    expect(newest.steps.map((s) => s.producerExecutionId)).toEqual(oldest.steps.map((s) => s.executionId))
    expect(newest.steps.map((s) => s.savedMs)).toEqual(oldest.steps.map((s) => s.durationMs))
    expect(newest.savedMs).toBe(oldest.steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0))
    expect(newest.savedMs).toBeGreaterThanOrEqual(80)
    expect(oldest.savedMs).toBe(0)
    expect(newest.steps.map((s) => s.outputs)).toEqual(second.nodes.map((n) => n.outputs))
    expect(oldest.durationMs).toBeGreaterThanOrEqual(80)
    expect(oldest.startedAt?.getTime()).toBeLessThanOrEqual(newest.startedAt?.getTime() as number)

    const b = await repo.latestRun('repo-b')
    expect(b.steps.map((s) => `${s.nodeId}:${s.status}`)).toEqual(['write:ran', 'words:ran'])
    expect(b.runId).toBe(third.runId)
    expect((await repo.runs('repo-a', { limit: 1 })).map((r) => r.runId)).toEqual(['a-2'])
    expect((await repo.run('repo-a', 'a-1')).steps).toEqual(oldest.steps)
  })

  it('credits a hit of a hit to the execution that did the work', async () => {
    const first = await run(pipelineA, 'x-1')
    await run(pipelineA, 'x-2')
    const third = await run(pipelineA, 'x-3')
    // The runner's lookup takes the newest qualifying execution, x-2's CACHED one…
    expect(third.nodes.map((n) => n.reusedExecutionId)).not.toEqual(first.nodes.map((n) => n.executionId))
    // …while the repository names the COMPLETE execution behind it, and its duration.
    const x3 = await repo.run('repo-a', 'x-3')
    const x1 = await repo.run('repo-a', 'x-1')
    expect(x3.steps.map((s) => s.producerExecutionId)).toEqual(first.nodes.map((n) => n.executionId))
    expect(x3.savedMs).toBe(x1.steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0))
  })

  it('loads a run’s outputs by node and key, typed by the node’s output, lists in order', async () => {
    await run(pipelineA)
    await run(pipelineB)
    const a = await repo.latestRun('repo-a')
    const text: InputArtifact<typeof Text> = await a.output(w.outputs.text)
    expect(await readFile(path.join(text.dir, 'text.txt'), 'utf8')).toBe('alpha beta gamma')
    expect(text.properties.length).toBe(16)
    // @ts-expect-error Text declares no property `size`
    expect(text.properties.size).toBeUndefined()
    const byName = await a.output('write', 'text')
    expect(byName.id).toBe(text.id)

    const list = await a.outputs(ws.outputs.words)
    expect(await Promise.all(list.map((x) => readFile(path.join(x.dir, 'word.txt'), 'utf8')))).toEqual([
      'alpha',
      'beta',
      'gamma',
    ])
    expect((await a.outputs('write', 'text')).map((x) => x.id)).toEqual([text.id])
    const b = await repo.latestRun('repo-b')
    expect(await readFile(path.join((await b.output(w.outputs.text)).dir, 'text.txt'), 'utf8')).toBe('delta')
  })

  it('answers with clear errors: unknown names, wrong types, several artifacts, failed steps', async () => {
    await run(pipelineA, 'ok')
    const failed = await run(failing, 'bad')
    expect(failed.status).toBe('FAILED')
    await expect(repo.runs('nope')).rejects.toMatchObject({
      code: Code.NotFound,
      rawMessage: 'No pipeline named nope.',
    })
    await expect(repo.run('repo-a', 'missing')).rejects.toMatchObject({ code: Code.NotFound })
    await expect(repo.runs('repo-a', { limit: 0 })).rejects.toMatchObject({ code: Code.InvalidArgument })
    const ok = await repo.run('repo-a', 'ok')
    await expect(ok.output('train', 'model')).rejects.toMatchObject({
      code: Code.NotFound,
      rawMessage: 'Run ok of pipeline repo-a has no step train.',
    })
    await expect(ok.output('write', 'text', Word)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(
        /^Output write\.text of run ok \(artifact \d+, .*\) is a Text, not a Word\.$/,
      ),
    })
    await expect(ok.output('words', 'words')).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: 'Output words.words of run ok holds 3 artifacts; load them with outputs().',
    })

    const bad = await repo.latestRun('repo-fails')
    expect(bad.status).toBe('FAILED')
    expect(bad.steps.map((s) => `${s.nodeId}:${s.status}`)).toEqual(['write:failed'])
    await expect(bad.output('write', 'text')).rejects.toMatchObject({
      code: Code.NotFound,
      rawMessage: 'Step write of run bad has no output text (it is failed; outputs: none).',
    })
  })

  it('refuses a payload that changed or an artifact marked bad', async () => {
    const result = await run(pipelineA, 'r')
    const textOutput = result.nodes[0]?.outputs.text?.[0] as { id: bigint; uri: string }
    const file = path.join(textOutput.uri, 'text.txt')
    await chmod(file, 0o644)
    await writeFile(file, 'tampered')
    const r = await repo.run('repo-a', 'r')
    await expect(r.output(w.outputs.text)).rejects.toMatchObject({
      code: Code.DataLoss,
      rawMessage: expect.stringContaining(`(artifact ${textOutput.id}, ${textOutput.uri}): content changed`),
    })

    const word = result.nodes[1]?.outputs.words?.[0]?.id as bigint
    const { artifacts } = writer.getArtifactsByID({ artifact_ids: [word] })
    writer.putArtifacts({
      artifacts: [{ ...(artifacts[0] as object), state: Artifact_State.MARKED_FOR_DELETION }],
    })
    await expect(r.outputs(ws.outputs.words)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: expect.stringMatching(/is MARKED_FOR_DELETION, not LIVE\.$/),
    })
  })

  it('shows a run in progress as RUNNING', async () => {
    let release = (): void => undefined
    gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let started!: () => void
    const wordsStarted = new Promise<void>((resolve) => {
      started = resolve
    })
    const running = runPipeline(pipelineA, {
      store: toAsyncMetadataStore(writer),
      pipelineRoot: root,
      runId: 'live',
      onEvent: (event) => {
        if (event.kind === 'node-started' && event.nodeId === 'words') started()
      },
    })
    await wordsStarted
    const live = await repo.latestRun('repo-a')
    expect([live.runId, live.status]).toEqual(['live', 'RUNNING'])
    expect(live.steps.map((s) => `${s.nodeId}:${s.status}`)).toEqual(['write:ran', 'words:running'])
    release()
    expect((await running).status).toBe('COMPLETE')
    expect((await repo.latestRun('repo-a')).status).toBe('COMPLETE')
  })
})
