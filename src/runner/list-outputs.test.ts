import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { type Context, Event_Type, Execution_State } from '../proto/messages.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { contentFingerprint } from './artifact-store.js'
import { defineArtifactType, listOf } from './artifact-type.js'
import { computeCacheKey } from './cache-key.js'
import { lookUpCache } from './cache-lookup.js'
import { createPipeline, node, outputRef } from './pipeline.js'
import {
  cacheKeyIngredients,
  type NodeResult,
  outputSkeletons,
  type RunOptions,
  runPipeline,
} from './pipeline-runner.js'
import { defineStep } from './step.js'

const Shard = defineArtifactType({ name: 'Shard', properties: { span: 'INT' } })
const Total = defineArtifactType({ name: 'Total' })

const bodies: string[] = []

const split = defineStep({
  type: 'tsrunner.test.Split',
  version: '1',
  outputs: { shards: listOf(Shard) },
  parameters: { shards: 3 },
  async run({ outputs, parameters }) {
    bodies.push('split')
    for (let i = 0; i < parameters.shards; i++) {
      const shard = await outputs.shards.add()
      await writeFile(path.join(shard.dir, 'n.txt'), String(10 * (i + 1)))
      shard.properties.span = i
    }
  },
})

const single = defineStep({
  type: 'tsrunner.test.Single',
  version: '1',
  outputs: { shard: Shard },
  async run({ outputs }) {
    bodies.push('single')
    await writeFile(path.join(outputs.shard.dir, 'n.txt'), '1000')
  },
})

const sum = defineStep({
  type: 'tsrunner.test.SumShards',
  version: '1',
  inputs: { shards: listOf(Shard) },
  outputs: { total: Total },
  async run({ inputs, outputs }) {
    bodies.push('sum')
    const values: string[] = []
    for (const shard of inputs.shards) values.push(await readFile(path.join(shard.dir, 'n.txt'), 'utf8'))
    await writeFile(path.join(outputs.total.dir, 'total.txt'), values.join('+'))
  },
})

const takesOne = defineStep({
  type: 'tsrunner.test.TakesOne',
  inputs: { shard: Shard },
  outputs: { total: Total },
  async run({ inputs, outputs }) {
    await writeFile(
      path.join(outputs.total.dir, 'total.txt'),
      await readFile(path.join(inputs.shard.dir, 'n.txt')),
    )
  },
})

let dir: string
let owned: OwnedMetadataStore
let store: AsyncMetadataStore
let options: RunOptions

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-lists-'))
  owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
  store = toAsyncMetadataStore(owned)
  options = { store, pipelineRoot: path.join(dir, 'root'), progress: false }
  bodies.length = 0
})

afterEach(async () => {
  owned.close()
  await rm(dir, { recursive: true, force: true })
})

const splitNode = node('split', split)
const sumNode = node('sum', sum, { inputs: { shards: splitNode.outputs.shards } })
const pipeline = createPipeline('lists', [splitNode, sumNode])

async function totalOf(uri: string): Promise<string> {
  return readFile(path.join(uri, 'total.txt'), 'utf8')
}

describe('list outputs and inputs', () => {
  it('a list output becomes one artifact per item, with OUTPUT events at [key, index] and one fingerprint each', async () => {
    const result = await runPipeline(pipeline, options)
    expect(result.status).toBe('COMPLETE')
    const [splitResult, sumResult] = result.nodes
    const shards = splitResult?.outputs.shards ?? []
    expect(shards.map((s) => s.uri)).toEqual(
      [0, 1, 2].map((i) =>
        path.join(dir, 'root', 'split', 'shards', String(splitResult?.executionId), String(i)),
      ),
    )
    const { events } = await store.getEventsByExecutionIDs({
      execution_ids: [splitResult?.executionId as bigint],
    })
    expect(
      events
        .filter((e) => e.type === Event_Type.OUTPUT)
        .map((e) => [e.artifact_id, e.path?.steps?.map((s) => s.key ?? s.index)]),
    ).toEqual(shards.map((s, i) => [s.id, ['shards', BigInt(i)]]))
    const { artifacts } = await store.getArtifactsByID({ artifact_ids: shards.map((s) => s.id) })
    expect(artifacts.map((a) => a.properties?.span?.int_value)).toEqual([0n, 1n, 2n])
    for (const artifact of artifacts) {
      expect(artifact.custom_properties?.tsrunner_content_fingerprint?.string_value).toBe(
        await contentFingerprint(artifact.uri as string),
      )
    }
    // The consumer saw the list in order, and recorded one INPUT event per item.
    expect(await totalOf(sumResult?.outputs.total?.[0]?.uri as string)).toBe('10+20+30')
    const inputs = await store.getEventsByExecutionIDs({ execution_ids: [sumResult?.executionId as bigint] })
    expect(
      inputs.events
        .filter((e) => e.type === Event_Type.INPUT)
        .map((e) => e.path?.steps?.map((s) => s.key ?? s.index)),
    ).toEqual([0n, 1n, 2n].map((i) => ['shards', i]))
  })

  it('a later run reuses the whole list in order, and so does its consumer', async () => {
    const first = await runPipeline(pipeline, options)
    const second = await runPipeline(pipeline, options)
    expect(second.nodes.map((n) => n.status)).toEqual(['cached', 'cached'])
    expect(second.nodes[0]?.outputs.shards).toEqual(first.nodes[0]?.outputs.shards)
    expect(bodies).toEqual(['split', 'sum'])
    const { events } = await store.getEventsByExecutionIDs({
      execution_ids: [second.nodes[0]?.executionId as bigint],
    })
    expect(events.filter((e) => e.type === Event_Type.OUTPUT).map((e) => e.artifact_id)).toEqual(
      first.nodes[0]?.outputs.shards?.map((s) => s.id),
    )
  })

  it('one changed item is enough to refuse the list: the step runs again and says which item', async () => {
    const first = await runPipeline(pipeline, options)
    const tampered = first.nodes[0]?.outputs.shards?.[1] as { id: bigint; uri: string }
    const file = path.join(tampered.uri, 'n.txt')
    await chmod(file, 0o644)
    await writeFile(file, '99')
    const second = await runPipeline(pipeline, options)
    expect(second.nodes.map((n) => n.status)).toEqual(['ran', 'ran'])
    expect(second.nodes[0]?.cacheMiss).toMatch(
      new RegExp(
        `^no reusable execution with this cache key: execution \\d+: output shards \\(artifact ${tampered.id}, ${tampered.uri}\\): content changed`,
      ),
    )
    expect(await totalOf(second.nodes[1]?.outputs.total?.[0]?.uri as string)).toBe('10+20+30')
  })

  it('a cache lookup passes over a record whose list has a gap, or a single output holding two', async () => {
    const first = await runPipeline(pipeline, options)
    const [splitRun, sumRun] = first.nodes as [NodeResult, NodeResult]
    const shards = splitRun.outputs.shards?.map((o) => o.id) as bigint[]
    const total = sumRun.outputs.total?.[0]?.id as bigint
    const forge = async (cacheKey: string, typeOf: bigint, events: [string, number, bigint][]) => {
      const { context } = await store.getContextByTypeAndName({
        type_name: 'execution_cache',
        context_name: cacheKey,
      })
      await store.putExecution({
        execution: { type_id: typeOf, last_known_state: Execution_State.COMPLETE },
        artifact_event_pairs: events.map(([key, index, artifact_id]) => ({
          event: {
            artifact_id,
            type: Event_Type.OUTPUT,
            path: { steps: [{ key }, { index: BigInt(index) }] },
          },
        })),
        contexts: [context as Context],
      })
      return context?.id as bigint
    }
    const { executions } = await store.getExecutionsByID({
      execution_ids: [splitRun.executionId as bigint, sumRun.executionId as bigint],
    })
    const splitContext = await forge(splitRun.cacheKey as string, executions[0]?.type_id as bigint, [
      ['shards', 0, shards[0] as bigint],
      ['shards', 2, shards[2] as bigint],
    ])
    const sumContext = await forge(sumRun.cacheKey as string, executions[1]?.type_id as bigint, [
      ['total', 0, total],
      ['total', 1, shards[1] as bigint],
    ])
    const splitLookup = await lookUpCache(store, splitContext, outputSkeletons(splitNode))
    expect(splitLookup.rejected).toEqual([
      expect.stringMatching(/^execution \d+: output shards has indices \[0, 2\], not 0\.\.1$/),
    ])
    expect(splitLookup.hit?.execution.id).toBe(splitRun.executionId)
    expect(splitLookup.hit?.outputs.shards?.map((a) => a.id)).toEqual(shards)
    const sumLookup = await lookUpCache(store, sumContext, outputSkeletons(sumNode))
    expect(sumLookup.rejected).toEqual([
      expect.stringMatching(/^execution \d+: output total holds 2 artifacts, the step declares one$/),
    ])
    expect(sumLookup.hit?.execution.id).toBe(sumRun.executionId)
  })

  it('a list input takes several outputs concatenated in the order wired, and a single output as a list of one', async () => {
    const one = node('one', single)
    const both = node('both', sum, { inputs: { shards: [one.outputs.shard, splitNode.outputs.shards] } })
    const alone = node('alone', sum, { inputs: { shards: one.outputs.shard } })
    const result = await runPipeline(createPipeline('mixed', [splitNode, one, both, alone]), options)
    expect(result.status).toBe('COMPLETE')
    const totals = await Promise.all(
      ['both', 'alone'].map((id) =>
        totalOf(result.nodes.find((n) => n.nodeId === id)?.outputs.total?.[0]?.uri as string),
      ),
    )
    expect(totals).toEqual(['1000+10+20+30', '1000'])
  })

  it('a list output with no item fails the step and publishes nothing', async () => {
    const none = node('split', split, { parameters: { shards: 0 } })
    const result = await runPipeline(
      createPipeline('empty', [none, node('sum', sum, { inputs: { shards: none.outputs.shards } })]),
      options,
    )
    expect(result.nodes.map((n) => n.status)).toEqual(['failed', 'skipped'])
    expect(result.nodes[0]?.error).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: 'Node split: list output shards holds no artifact; add at least one.',
    })
    expect((await store.getArtifacts({})).artifacts).toEqual([])
    const { executions } = await store.getExecutionsByID({
      execution_ids: [result.nodes[0]?.executionId as bigint],
    })
    expect(executions[0]?.last_known_state).toBe(Execution_State.FAILED)
  })

  it('wiring checks lists both ways when the pipeline is created', () => {
    const one = node('one', single)
    // @ts-expect-error a list output cannot feed an input that takes one artifact
    const wrong = node('take', takesOne, { inputs: { shard: splitNode.outputs.shards } })
    expect(() => createPipeline('p', [splitNode, wrong])).toThrow(
      'Pipeline p, node take: input shard takes one Shard; wire a list only into a listOf(Shard) input.',
    )
    const byHand = node('sum', sum, { inputs: { shards: outputRef('one', 'shard', listOf(Shard)) } })
    expect(() => createPipeline('p', [one, byHand])).toThrow(
      'Pipeline p, node sum: input shards refers to one.shard as a list, but it is one artifact.',
    )
    expect(() => createPipeline('p', [node('sum', sum, { inputs: { shards: [] } })])).toThrow(
      'Pipeline p, node sum: input shards is wired to an empty list of outputs.',
    )
  })

  it('declaring an output as a list changes the cache key', () => {
    const asList = cacheKeyIngredients(pipeline, splitNode)
    const asOne = cacheKeyIngredients(createPipeline('lists', [node('split', single)]), node('split', single))
    expect(asList.outputs).toEqual({ shards: { type: 'Shard', properties: { span: 'INT' }, list: true } })
    const relabelled = { ...asList, outputs: { shards: { ...asList.outputs.shards, list: undefined } } }
    expect(computeCacheKey(asList)).not.toBe(computeCacheKey(relabelled as typeof asList))
    expect(asOne.outputs.shard).not.toHaveProperty('list')
  })
})
