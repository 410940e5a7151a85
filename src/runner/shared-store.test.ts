// One pipeline run against the in-process store on a file and against a real `mlmd-ts` gRPC
// server on 127.0.0.1:0 serving the same file: both see and reuse one cache.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../client/index.js'
import { createGrpcServer, type GrpcServer } from '../service/grpc-server.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { defineArtifactType } from './artifact-type.js'
import { createPipeline, node, type Pipeline } from './pipeline.js'
import { type PipelineRunResult, runPipeline } from './pipeline-runner.js'
import { defineStep } from './step.js'

const Text = defineArtifactType({ name: 'Text', properties: { length: 'INT', words: 'STRING' } })

const write = defineStep({
  type: 'tsrunner.test.Write',
  outputs: { text: Text },
  parameters: { words: ['alpha', 'beta'] as readonly string[], weight: 0.5, loud: false },
  async run({ outputs, parameters }) {
    const text = parameters.words.map((w) => (parameters.loud ? w.toUpperCase() : w)).join(' ')
    await writeFile(path.join(outputs.text.dir, 'text.txt'), text)
    outputs.text.properties.length = text.length
    outputs.text.properties.words = JSON.stringify(parameters.words)
    outputs.text.customProperties.weight = parameters.weight
  },
})

const reverse = defineStep({
  type: 'tsrunner.test.Reverse',
  inputs: { text: Text },
  outputs: { text: Text },
  async run({ inputs, outputs }) {
    const text = [...(await readFile(path.join(inputs.text.uri, 'text.txt'), 'utf8'))].reverse().join('')
    await writeFile(path.join(outputs.text.dir, 'text.txt'), text)
    outputs.text.properties.length = text.length
  },
})

function pipeline(loud = false): Pipeline {
  const w = node('write', write, { parameters: { loud } })
  const r = node('reverse', reverse, { inputs: { text: w.outputs.text } })
  return createPipeline('shared', [w, r])
}

const statuses = (result: PipelineRunResult): string[] => result.nodes.map((n) => `${n.nodeId}:${n.status}`)

describe('runner against one store file, in-process and through a server', () => {
  let dir: string
  let local: OwnedMetadataStore
  let served: OwnedMetadataStore
  let server: GrpcServer
  let client: MetadataStoreClient
  let inProcess: AsyncMetadataStore

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-shared-'))
    const filename = path.join(dir, 'mlmd.sqlite')
    local = createMetadataStore({ filename })
    inProcess = toAsyncMetadataStore(local)
    // The server has its own connection to the same file, as `mlmd-ts serve` would.
    served = createMetadataStore({ filename })
    server = await createGrpcServer({ store: served, host: '127.0.0.1', port: 0 })
    client = createMetadataStoreClient({ host: '127.0.0.1', port: server.port })
  })
  afterEach(async () => {
    client?.close()
    await server?.shutdown()
    served?.close()
    local?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const run = (store: AsyncMetadataStore, p: Pipeline): Promise<PipelineRunResult> =>
    runPipeline(p, { store, pipelineRoot: path.join(dir, 'root'), progress: false })

  it('a run through the server reuses what an in-process run recorded', async () => {
    const first = await run(inProcess, pipeline())
    expect(statuses(first)).toEqual(['write:ran', 'reverse:ran'])
    const second = await run(client, pipeline())
    expect(statuses(second)).toEqual(['write:cached', 'reverse:cached'])
    expect(second.nodes.map((n) => n.cacheKey)).toEqual(first.nodes.map((n) => n.cacheKey))
    expect(second.nodes.map((n) => n.outputs)).toEqual(first.nodes.map((n) => n.outputs))
  })

  it('an in-process run reuses what a run through the server recorded', async () => {
    const first = await run(client, pipeline(true))
    expect(statuses(first)).toEqual(['write:ran', 'reverse:ran'])
    const second = await run(inProcess, pipeline(true))
    expect(statuses(second)).toEqual(['write:cached', 'reverse:cached'])
    expect(second.nodes.map((n) => n.cacheKey)).toEqual(first.nodes.map((n) => n.cacheKey))
  })

  it('computes the same keys from records read either way', async () => {
    // Downstream keys hash the input artifact as the store returns it, so both paths must read
    // back identical records (timestamps, presence, value kinds included).
    const viaServer = await run(client, pipeline())
    const viaFile = await run(inProcess, pipeline())
    const ids = viaServer.nodes.flatMap((n) =>
      Object.values(n.outputs)
        .flat()
        .map((o) => o.id),
    )
    const remote = await client.getArtifactsByID({ artifact_ids: ids })
    const inProc = await inProcess.getArtifactsByID({ artifact_ids: ids })
    expect(remote).toEqual(inProc)
    expect(statuses(viaFile)).toEqual(['write:cached', 'reverse:cached'])
  })

  it('runs two pipelines at once through both paths without clashing', async () => {
    const [a, b] = await Promise.all([run(inProcess, pipeline()), run(client, pipeline(true))])
    expect(a.status).toBe('COMPLETE')
    expect(b.status).toBe('COMPLETE')
    expect(a.runId).not.toBe(b.runId)
    const again = await Promise.all([run(client, pipeline()), run(inProcess, pipeline(true))])
    expect(again.map(statuses)).toEqual([
      ['write:cached', 'reverse:cached'],
      ['write:cached', 'reverse:cached'],
    ])
  })
})
