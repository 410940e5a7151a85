import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { defineArtifactType } from './artifact-type.js'
import { diffCacheKeyIngredients, explainCacheMiss, formatCacheMissExplanation } from './explain.js'
import { createPipeline, node, type Pipeline } from './pipeline.js'
import { type PipelineRunResult, runPipeline } from './pipeline-runner.js'
import { defineStep } from './step.js'

const Text = defineArtifactType({ name: 'Text' })

const writeStep = (version: string) =>
  defineStep({
    type: 'tsrunner.test.explain.Write',
    version,
    outputs: { text: Text },
    parameters: { words: 2, shout: false },
    async run({ outputs, parameters }) {
      await writeFile(path.join(outputs.text.dir, 't.txt'), 'word '.repeat(parameters.words))
    },
  })

const count = defineStep({
  type: 'tsrunner.test.explain.Count',
  inputs: { text: Text },
  outputs: { text: Text },
  async run({ outputs }) {
    await writeFile(path.join(outputs.text.dir, 'n.txt'), '1')
  },
})

function pipeline(options: { words?: number; version?: string; name?: string } = {}): Pipeline {
  const w = node('write', writeStep(options.version ?? '1'), { parameters: { words: options.words ?? 2 } })
  const c = node('count', count, { inputs: { text: w.outputs.text } })
  return createPipeline(options.name ?? 'explain', [w, c])
}

let dir: string
let owned: OwnedMetadataStore
let store: AsyncMetadataStore
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-explain-'))
  owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
  store = toAsyncMetadataStore(owned)
})
afterEach(async () => {
  owned.close()
  await rm(dir, { recursive: true, force: true }).catch(() => undefined)
})

const run = (p: Pipeline): Promise<PipelineRunResult> =>
  runPipeline(p, { store, pipelineRoot: path.join(dir, 'root'), progress: false })
const executionOf = (result: PipelineRunResult, nodeId: string): bigint =>
  result.nodes.find((n) => n.nodeId === nodeId)?.executionId as bigint

describe('explainCacheMiss', () => {
  it('says a first run has nothing to compare with', async () => {
    const first = await run(pipeline())
    const explanation = await explainCacheMiss(store, executionOf(first, 'write'))
    expect(explanation.summary).toBe(
      'first run of node write: no earlier successful execution to compare with',
    )
    expect(explanation.lookup).toBe('no earlier execution has this cache key')
  })

  it('names a changed parameter, and the new upstream artifact it caused downstream', async () => {
    const first = await run(pipeline())
    const second = await run(pipeline({ words: 3 }))
    const write = await explainCacheMiss(store, executionOf(second, 'write'))
    expect(write.comparedWith?.executionId).toBe(executionOf(first, 'write'))
    expect(write.differences).toEqual([{ ingredient: 'parameter words', before: '2', after: '3' }])
    const countMiss = await explainCacheMiss(store, executionOf(second, 'count'))
    const firstOutput = first.nodes[0]?.outputs.text?.[0]?.id
    const secondOutput = second.nodes[0]?.outputs.text?.[0]?.id
    expect(countMiss.differences).toEqual([
      { ingredient: 'input text', before: `artifact ${firstOutput}`, after: `artifact ${secondOutput}` },
    ])
    expect(formatCacheMissExplanation(countMiss)).toEqual([
      `count: differs from execution ${executionOf(first, 'count')} (explain.count) in input text`,
      `    input text: artifact ${firstOutput} → artifact ${secondOutput}`,
    ])
  })

  it('names a changed step version as a step code change', async () => {
    await run(pipeline())
    const second = await run(pipeline({ version: '2' }))
    const write = await explainCacheMiss(store, executionOf(second, 'write'))
    expect(write.differences.map((d) => d.ingredient)).toEqual(['step code'])
  })

  it('compares a copied pipeline with its origin and names the cache scope when it differs', async () => {
    await run(pipeline())
    const other = await run(pipeline({ name: 'elsewhere' }))
    const write = await explainCacheMiss(store, executionOf(other, 'write'))
    expect(write.comparedWith?.nodeContext).toBe('explain.write')
    expect(write.differences).toEqual([{ ingredient: 'pipeline', before: '"explain"', after: '"elsewhere"' }])
  })

  it('gives the lookup reason when the key was equal but the cached output was tampered with', async () => {
    const first = await run(pipeline())
    const uri = first.nodes[0]?.outputs.text?.[0]?.uri as string
    const file = path.join(uri, (await readdir(uri))[0] as string)
    await chmod(file, 0o644)
    await writeFile(file, 'tampered')
    const second = await run(pipeline())
    expect(second.nodes.map((n) => n.status)).toEqual(['ran', 'ran'])
    const write = await explainCacheMiss(store, executionOf(second, 'write'))
    expect(write.differences).toEqual([])
    expect(write.summary).toMatch(
      new RegExp(
        `^same cache key as execution ${executionOf(first, 'write')} \\(explain.write\\); no reusable execution with this cache key: execution ${executionOf(first, 'write')}: output text \\(artifact \\d+, .*\\): content changed: fingerprint sha256:[0-9a-f]{64}, recorded sha256:[0-9a-f]{64}$`,
      ),
    )
  })

  it('says a cached execution did not miss', async () => {
    await run(pipeline())
    const second = await run(pipeline())
    const write = await explainCacheMiss(store, executionOf(second, 'write'))
    expect(write.summary).toBe('it did not miss: its outputs came from the cache')
  })
})

describe('diffCacheKeyIngredients', () => {
  it('reports parameters added and removed, and a changed input record with the same ids', () => {
    const before = { parameters: { a: 1 }, inputs: { x: [{ id: 1, record_sha256: 'aa' }] } }
    const after = { parameters: { b: true }, inputs: { x: [{ id: 1, record_sha256: 'bb' }] } }
    expect(diffCacheKeyIngredients(before, after)).toEqual([
      { ingredient: 'parameter a', before: '1', after: '(none)' },
      { ingredient: 'parameter b', before: '(none)', after: 'true' },
      { ingredient: 'input x', before: 'artifact 1 as recorded then', after: 'its record changed since' },
    ])
  })
})
