import { chmod, lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  type Artifact,
  Artifact_State,
  Event_Type,
  type Execution,
  Execution_State,
  type PutExecutionRequest,
} from '../proto/messages.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { contentFingerprint } from './artifact-store.js'
import { defineArtifactType } from './artifact-type.js'
import { cacheKeyIngredientsRecord, computeCacheKey } from './cache-key.js'
import { canonicalJson } from './canonical-json.js'
import { createPipeline, node, type Pipeline, type PipelineNode } from './pipeline.js'
import {
  cacheKeyIngredients,
  type NodeResult,
  type PipelineRunResult,
  type RunEvent,
  type RunOptions,
  runPipeline,
} from './pipeline-runner.js'
import { defineStep, type Empty, type StepContext } from './step.js'
import { RUNNER_VERSION, TFX_VERSION } from './tfx-records.js'

const Numbers = defineArtifactType({ name: 'Numbers', properties: { count: 'INT' }, baseType: 'DATASET' })
const Total = defineArtifactType({ name: 'Total' })

// How often each step body ran, and a switch that makes `flaky` fail.
const calls = new Map<string, number>()
const called = (name: string): void => {
  calls.set(name, (calls.get(name) ?? 0) + 1)
}
let failFlaky = false

const numbersFile = (uri: string): string => path.join(uri, 'numbers.txt')
const readNumbers = async (uri: string): Promise<number[]> =>
  (await readFile(numbersFile(uri), 'utf8')).trim().split('\n').map(Number)

const source = defineStep({
  type: 'tsrunner.test.Source',
  version: '1',
  outputs: { numbers: Numbers },
  parameters: { n: 3 },
  async run({ outputs, parameters, log }) {
    called('source')
    const numbers = Array.from({ length: parameters.n }, (_, i) => i + 1)
    await writeFile(numbersFile(outputs.numbers.dir), `${numbers.join('\n')}\n`)
    outputs.numbers.properties.count = parameters.n
    log(`wrote ${parameters.n} numbers`)
  },
})

const double = defineStep({
  type: 'tsrunner.test.Double',
  version: '1',
  inputs: { numbers: Numbers },
  outputs: { numbers: Numbers },
  async run({ inputs, outputs }) {
    called('double')
    const numbers = (await readNumbers(inputs.numbers.uri)).map((x) => 2 * x)
    await writeFile(numbersFile(outputs.numbers.dir), `${numbers.join('\n')}\n`)
    outputs.numbers.properties.count = numbers.length
  },
})

async function sumInto(context: StepContext<{ numbers: typeof Numbers }, { total: typeof Total }, Empty>) {
  called('sum')
  const total = (await readNumbers(context.inputs.numbers.uri)).reduce((a, b) => a + b, 0)
  await writeFile(path.join(context.outputs.total.dir, 'total.txt'), String(total))
  context.outputs.total.customProperties.total = total
}
const sum = defineStep({
  type: 'tsrunner.test.Sum',
  version: '1',
  inputs: { numbers: Numbers },
  outputs: { total: Total },
  run: sumInto,
})

const flaky = defineStep({
  type: 'tsrunner.test.Flaky',
  version: '1',
  inputs: { numbers: Numbers },
  outputs: { numbers: Numbers },
  async run({ inputs, outputs }) {
    called('flaky')
    await writeFile(numbersFile(outputs.numbers.dir), await readFile(numbersFile(inputs.numbers.uri)))
    if (failFlaky) throw new Error('flaky failed on purpose')
  },
})

/** source → double → sum */
function chain(name = 'chain', options: { n?: number; sourceId?: string } = {}): Pipeline {
  const s = node(options.sourceId ?? 'source', source, { parameters: { n: options.n ?? 3 } })
  const d = node('double', double, { inputs: { numbers: s.outputs.numbers } })
  const t = node('sum', sum, { inputs: { numbers: d.outputs.numbers } })
  return createPipeline(name, [s, d, t])
}

let dir: string
let root: string
let owned: OwnedMetadataStore
let store: AsyncMetadataStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-runner-'))
  root = path.join(dir, 'root')
  owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
  store = toAsyncMetadataStore(owned)
  calls.clear()
  failFlaky = false
})
afterEach(async () => {
  owned.close()
  await rm(dir, { recursive: true, force: true })
})

const run = (pipeline: Pipeline, options: Partial<RunOptions> = {}): Promise<PipelineRunResult> =>
  runPipeline(pipeline, { store, pipelineRoot: root, progress: false, ...options })

const statuses = (result: PipelineRunResult): Record<string, string> =>
  Object.fromEntries(result.nodes.map((n) => [n.nodeId, n.status]))

const nodeResult = (result: PipelineRunResult, id: string): NodeResult =>
  result.nodes.find((n) => n.nodeId === id) as NodeResult

const execution = (id: bigint | undefined): Execution =>
  owned.getExecutionsByID({ execution_ids: [id as bigint] }).executions?.[0] as Execution

const artifact = (id: bigint | undefined): Artifact =>
  owned.getArtifactsByID({ artifact_ids: [id as bigint] }).artifacts?.[0] as Artifact

const outputId = (result: PipelineRunResult, id: string, key = 'numbers'): bigint =>
  nodeResult(result, id).outputs[key]?.[0]?.id as bigint

function recording(
  target: AsyncMetadataStore,
  log: { name: string; request: unknown }[],
): AsyncMetadataStore {
  return new Proxy(target, {
    get(object, name, receiver) {
      const op = Reflect.get(object, name, receiver) as unknown
      if (typeof op !== 'function' || typeof name !== 'string') return op
      return (request: unknown) => {
        log.push({ name, request })
        return (op as (r: unknown) => unknown).call(object, request)
      }
    },
  })
}

describe('pipeline-runner', () => {
  describe('records', () => {
    it("writes TFX's contexts with the pipeline → run link", async () => {
      const result = await run(chain())
      expect(result.status).toBe('COMPLETE')
      for (const name of ['pipeline', 'pipeline_run', 'node', 'execution_cache']) {
        expect(owned.getContextType({ type_name: name }).context_type?.properties).toEqual({})
      }
      expect(result.runId).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/)
      const pipelineContext = owned.getContextByTypeAndName({
        type_name: 'pipeline',
        context_name: 'chain',
      }).context
      const runContext = owned.getContextByTypeAndName({
        type_name: 'pipeline_run',
        context_name: result.runId,
      }).context
      expect(pipelineContext?.id).toBeDefined()
      expect(
        owned.getParentContextsByContext({ context_id: runContext?.id as bigint }).contexts?.map((c) => c.id),
      ).toEqual([pipelineContext?.id])
      const nodeNames = owned.getContextsByType({ type_name: 'node' }).contexts?.map((c) => c.name)
      expect(nodeNames).toEqual(['chain.source', 'chain.double', 'chain.sum'])
      const cacheNames = owned
        .getContextsByType({ type_name: 'execution_cache' })
        .contexts?.map((c) => c.name)
      expect(cacheNames).toEqual(result.nodes.map((n) => n.cacheKey))
    })

    it('records one execution per node, RUNNING then COMPLETE, each in one PutExecution', async () => {
      const log: { name: string; request: unknown }[] = []
      const result = await runPipeline(chain(), { store: recording(store, log), pipelineRoot: root })
      const puts = log.filter((c) => c.name === 'putExecution').map((c) => c.request as PutExecutionRequest)
      expect(puts).toHaveLength(6)
      for (const n of result.nodes) {
        const mine = puts.filter(
          (p) => p.execution?.id === n.executionId || p.execution?.name === execution(n.executionId).name,
        )
        expect(mine.map((p) => p.execution?.last_known_state)).toEqual([
          Execution_State.RUNNING,
          Execution_State.COMPLETE,
        ])
        expect(mine.map((p) => p.contexts?.length)).toEqual([3, 4])
        expect(mine[0]?.options).toEqual({
          reuse_context_if_already_exist: true,
          reuse_artifact_if_already_exist_by_external_id: true,
          force_reuse_context: true,
        })
      }
      // No other write touches executions, artifacts or events.
      const writes = new Set(log.map((c) => c.name).filter((name) => name.startsWith('put')))
      expect([...writes].sort()).toEqual(
        [
          'putContextType',
          'putContexts',
          'putExecution',
          'putExecutionType',
          'putArtifactType',
          'putParentContexts',
        ].sort(),
      )
    })

    it('fills the execution the way TFX does', async () => {
      const result = await run(chain())
      const e = execution(nodeResult(result, 'source').executionId)
      expect(e.type).toBe('tsrunner.test.Source')
      expect(e.last_known_state).toBe(Execution_State.COMPLETE)
      expect(e.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(e.properties).toEqual({})
      expect(e.custom_properties).toEqual({
        n: { int_value: 3n },
        tsrunner_version: { string_value: RUNNER_VERSION },
        tsrunner_code_fingerprint: { string_value: source.codeFingerprint },
        tsrunner_cache_key_version: { string_value: 'tsrunner-v1' },
        tsrunner_cache_key_mode: { string_value: 'native' },
        tsrunner_cache_key_ingredients: {
          string_value: canonicalJson(
            cacheKeyIngredientsRecord(cacheKeyIngredients(chain(), chain().nodes[0] as PipelineNode)),
          ),
        },
        tsrunner_cache_miss: { string_value: 'no earlier execution has this cache key' },
      })
      const contexts = owned.getContextsByExecution({ execution_id: e.id as bigint }).contexts ?? []
      expect(contexts.map((c) => [c.type, c.name])).toEqual([
        ['pipeline', 'chain'],
        ['pipeline_run', result.runId],
        ['node', 'chain.source'],
        ['execution_cache', nodeResult(result, 'source').cacheKey],
      ])
    })

    it('links inputs and outputs with [key, index] events', async () => {
      const result = await run(chain())
      const doubled = nodeResult(result, 'double')
      const events =
        owned.getEventsByExecutionIDs({ execution_ids: [doubled.executionId as bigint] }).events ?? []
      expect(events.map((e) => ({ artifact_id: e.artifact_id, type: e.type, path: e.path }))).toEqual([
        {
          artifact_id: outputId(result, 'source'),
          type: Event_Type.INPUT,
          path: { steps: [{ key: 'numbers' }, { index: 0n }] },
        },
        {
          artifact_id: outputId(result, 'double'),
          type: Event_Type.OUTPUT,
          path: { steps: [{ key: 'numbers' }, { index: 0n }] },
        },
      ])
    })

    it('merges the event paths of one artifact under several input keys', async () => {
      const pair = defineStep({
        type: 'tsrunner.test.Pair',
        inputs: { left: Numbers, right: Numbers },
        outputs: { total: Total },
        async run({ outputs }) {
          await writeFile(path.join(outputs.total.dir, 't'), '0')
        },
      })
      const s = node('source', source)
      const p = node('pair', pair, { inputs: { left: s.outputs.numbers, right: s.outputs.numbers } })
      const result = await run(createPipeline('pairs', [s, p]))
      expect(result.status).toBe('COMPLETE')
      const events =
        owned.getEventsByExecutionIDs({ execution_ids: [nodeResult(result, 'pair').executionId as bigint] })
          .events ?? []
      expect(events.filter((e) => e.type === Event_Type.INPUT).map((e) => e.path?.steps)).toEqual([
        [{ key: 'left' }, { index: 0n }, { key: 'right' }, { index: 0n }],
      ])
    })

    it('publishes LIVE outputs at <root>/<node>/<key>/<execution id> with the properties TFX readers expect', async () => {
      const result = await run(chain())
      const s = nodeResult(result, 'source')
      const a = artifact(outputId(result, 'source'))
      expect(a.uri).toBe(path.join(root, 'source', 'numbers', String(s.executionId)))
      expect(a.type).toBe('Numbers')
      expect(a.state).toBe(Artifact_State.LIVE)
      expect(a.name).toBeUndefined()
      expect(a.properties).toEqual({ count: { int_value: 3n } })
      expect(a.custom_properties).toEqual({
        tfx_version: { string_value: TFX_VERSION },
        tsrunner_version: { string_value: RUNNER_VERSION },
        tsrunner_content_fingerprint: { string_value: await contentFingerprint(a.uri as string) },
      })
      expect(await readNumbers(a.uri as string)).toEqual([1, 2, 3])
      expect(owned.getArtifactType({ type_name: 'Numbers' }).artifact_type).toMatchObject({
        properties: { count: 1 },
        base_type: 1,
      })
      // Attributed to its producer's four contexts, and (as an input) to its consumer's node.
      const attributed = owned.getContextsByArtifact({ artifact_id: a.id as bigint }).contexts ?? []
      expect(attributed.map((c) => c.name)).toEqual([
        'chain',
        result.runId,
        'chain.source',
        s.cacheKey,
        'chain.double',
      ])
      const total = artifact(outputId(result, 'sum', 'total'))
      expect(total.custom_properties?.total).toEqual({ int_value: 12n })
    })

    it('names the cache context by the key of the inputs as stored', async () => {
      const pipeline = chain()
      const result = await run(pipeline)
      const doubleNode = pipeline.node('double')
      if (doubleNode === undefined) throw new Error('no double')
      const expected = computeCacheKey(
        cacheKeyIngredients(pipeline, doubleNode, { numbers: [artifact(outputId(result, 'source'))] }),
      )
      expect(nodeResult(result, 'double').cacheKey).toBe(expected)
    })

    it('reports progress in order', async () => {
      const events: RunEvent[] = []
      const s = node('source', source)
      const result = await run(createPipeline('one', [s]), { onEvent: (e) => events.push(e) })
      expect(events.map((e) => e.kind)).toEqual([
        'run-started',
        'node-started',
        'node-log',
        'node-finished',
        'run-finished',
      ])
      expect(events[2]).toMatchObject({ nodeId: 'source', message: 'wrote 3 numbers' })
      expect(events[4]).toEqual({ kind: 'run-finished', result })
    })

    it('ignores exceptions thrown by onEvent', async () => {
      const result = await run(chain(), {
        onEvent: () => {
          throw new Error('listener bug')
        },
      })
      expect(result.status).toBe('COMPLETE')
    })

    it('refuses a run id that exists, and names default runs uniquely', async () => {
      const first = await run(chain(), { runId: 'fixed' })
      expect(first.runId).toBe('fixed')
      await expect(run(chain(), { runId: 'fixed' })).rejects.toMatchObject({ code: Code.FailedPrecondition })
      const [a, b] = await Promise.all([run(chain('x')), run(chain('y'))])
      expect(a.runId).not.toBe(b.runId)
    })

    it('refuses a concurrency below 1', async () => {
      await expect(run(chain(), { concurrency: 0 })).rejects.toMatchObject({ code: Code.InvalidArgument })
    })
  })

  describe('caching', () => {
    it('reuses every step on a re-run, recording CACHED executions and creating no artifacts', async () => {
      const first = await run(chain())
      const artifactsBefore = owned.getArtifacts({}).artifacts?.length
      const second = await run(chain())
      expect(statuses(second)).toEqual({ source: 'cached', double: 'cached', sum: 'cached' })
      expect([...calls.entries()]).toEqual([
        ['source', 1],
        ['double', 1],
        ['sum', 1],
      ])
      expect(owned.getArtifacts({}).artifacts?.length).toBe(artifactsBefore)
      for (const n of second.nodes) {
        const previous = nodeResult(first, n.nodeId)
        expect(n.cacheKey).toBe(previous.cacheKey)
        expect(n.reusedExecutionId).toBe(previous.executionId)
        expect(n.outputs).toEqual(previous.outputs)
        expect(n.savedMs).toBeGreaterThanOrEqual(0)
        const e = execution(n.executionId)
        expect(e.last_known_state).toBe(Execution_State.CACHED)
        const events =
          owned.getEventsByExecutionIDs({ execution_ids: [n.executionId as bigint] }).events ?? []
        const outputs = events.filter((ev) => ev.type === Event_Type.OUTPUT)
        expect(outputs.map((ev) => ev.artifact_id)).toEqual(
          Object.values(previous.outputs).map((o) => o[0]?.id),
        )
        expect(outputs.every((ev) => ev.path?.steps?.length === 2)).toBe(true)
        const contexts =
          owned.getContextsByExecution({ execution_id: n.executionId as bigint }).contexts ?? []
        expect(contexts.map((c) => c.name).sort()).toEqual(
          ['chain', second.runId, `chain.${n.nodeId}`, n.cacheKey as string].sort(),
        )
      }
    })

    it('writes OUTPUT events in artifact id order, which TFX zips with GetArtifactsByID', async () => {
      // Declared z before a: a key-sorted write would put a's newer artifact first.
      const split = defineStep({
        type: 'tsrunner.test.Split',
        outputs: { z: Total, a: Total },
        async run({ outputs }) {
          await writeFile(path.join(outputs.z.dir, 'z'), 'z')
          await writeFile(path.join(outputs.a.dir, 'a'), 'a')
        },
      })
      const pipeline = createPipeline('split', [node('split', split)])
      const first = await run(pipeline)
      const second = await run(pipeline)
      expect(statuses(second)).toEqual({ split: 'cached' })
      for (const result of [first, second]) {
        const events = owned.getEventsByExecutionIDs({
          execution_ids: [nodeResult(result, 'split').executionId as bigint],
        }).events
        const ids = events?.map((e) => e.artifact_id as bigint) ?? []
        expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : 1)))
        expect(events?.map((e) => e.path?.steps?.[0]?.key)).toEqual(['z', 'a'])
      }
    })

    it('reuses the newest qualifying execution (a CACHED one after the first re-run)', async () => {
      await run(chain())
      const second = await run(chain())
      const third = await run(chain())
      expect(nodeResult(third, 'sum').reusedExecutionId).toBe(nodeResult(second, 'sum').executionId)
      // Time saved is the producing run's, found through the CACHED execution.
      expect(nodeResult(third, 'sum').savedMs).toBe(nodeResult(second, 'sum').savedMs)
    })

    it('shares the cache with copies, which keep the cache scope', async () => {
      const a = chain('a')
      await run(a)
      expect(statuses(await run(a.copy('b')))).toEqual({ source: 'cached', double: 'cached', sum: 'cached' })
    })

    // One test per ingredient of the key: each change misses where it enters, and downstream
    // nodes miss too because their inputs are new artifacts.
    it('misses on another pipeline id (cache scope)', async () => {
      await run(chain('a'))
      expect(statuses(await run(chain('a').copy('b', { cacheScope: 'b' })))).toEqual({
        source: 'ran',
        double: 'ran',
        sum: 'ran',
      })
    })

    it('misses on another node id', async () => {
      await run(chain())
      const result = await run(chain('chain', { sourceId: 'source2' }))
      expect(statuses(result)).toEqual({ source2: 'ran', double: 'ran', sum: 'ran' })
    })

    it('misses on another step type with the same code', async () => {
      await run(chain())
      const renamed = defineStep({ ...sum, type: 'tsrunner.test.Sum2' })
      const pipeline = chain().replace(
        node('sum', renamed, { inputs: { numbers: chain().node('double')?.outputs.numbers as never } }),
      )
      expect(statuses(await run(pipeline))).toEqual({ source: 'cached', double: 'cached', sum: 'ran' })
    })

    it('misses on another code fingerprint (version)', async () => {
      await run(chain())
      const bumped = defineStep({ ...sum, version: '2' })
      expect(bumped.codeFingerprint).not.toBe(sum.codeFingerprint)
      const pipeline = chain().replace(
        node('sum', bumped, { inputs: { numbers: chain().node('double')?.outputs.numbers as never } }),
      )
      expect(statuses(await run(pipeline))).toEqual({ source: 'cached', double: 'cached', sum: 'ran' })
    })

    it('misses on another code fingerprint (run source)', async () => {
      await run(chain())
      const edited = defineStep({
        ...sum,
        async run(context) {
          await sumInto(context)
          called('edited')
        },
      })
      const pipeline = chain().replace(
        node('sum', edited, { inputs: { numbers: chain().node('double')?.outputs.numbers as never } }),
      )
      expect(statuses(await run(pipeline))).toEqual({ source: 'cached', double: 'cached', sum: 'ran' })
    })

    it('misses on other parameters', async () => {
      await run(chain())
      const result = await run(chain('chain', { n: 4 }))
      expect(statuses(result)).toEqual({ source: 'ran', double: 'ran', sum: 'ran' })
      expect(artifact(outputId(result, 'sum', 'total')).custom_properties?.total).toEqual({ int_value: 20n })
      expect(statuses(await run(chain('chain', { n: 3 })))).toEqual({
        source: 'cached',
        double: 'cached',
        sum: 'cached',
      })
    })

    it('misses on other input artifacts (an upstream step that ran again)', async () => {
      await run(chain())
      const s = node('source', source, { enableCache: false })
      const d = node('double', double, { inputs: { numbers: s.outputs.numbers } })
      const t = node('sum', sum, { inputs: { numbers: d.outputs.numbers } })
      expect(statuses(await run(createPipeline('chain', [s, d, t])))).toEqual({
        source: 'ran',
        double: 'ran',
        sum: 'ran',
      })
    })

    it('misses on an edited input artifact record', async () => {
      const first = await run(chain())
      const input = artifact(outputId(first, 'source'))
      owned.putArtifacts({
        artifacts: [
          { ...input, custom_properties: { ...input.custom_properties, note: { string_value: 'edited' } } },
        ],
      })
      expect(statuses(await run(chain()))).toEqual({ source: 'cached', double: 'ran', sum: 'ran' })
    })

    it('misses on another output skeleton', async () => {
      const Other = defineArtifactType({ name: 'OtherTotal' })
      const first = await run(chain())
      // Same type, version and run function: only the declared output type differs.
      const retyped = defineStep({ ...sum, outputs: { total: Other } as never })
      expect(retyped.codeFingerprint).toBe(sum.codeFingerprint)
      const pipeline = chain().replace(
        node('sum', retyped as never, {
          inputs: { numbers: chain().node('double')?.outputs.numbers as never },
        }),
      )
      const result = await run(pipeline)
      expect(statuses(result)).toEqual({ source: 'cached', double: 'cached', sum: 'ran' })
      expect(nodeResult(result, 'sum').cacheKey).not.toBe(nodeResult(first, 'sum').cacheKey)
    })

    it('can be turned off for a run, which still files its outputs for later runs', async () => {
      const first = await run(chain())
      const uncached = await run(chain(), { enableCache: false })
      expect(statuses(uncached)).toEqual({ source: 'ran', double: 'ran', sum: 'ran' })
      expect(nodeResult(uncached, 'source').cacheKey).toBe(nodeResult(first, 'source').cacheKey)
      const contexts = owned.getContextsByExecution({
        execution_id: nodeResult(uncached, 'source').executionId as bigint,
      })
      expect(contexts.contexts?.map((c) => c.type)).toContain('execution_cache')
      const later = await run(chain())
      expect(nodeResult(later, 'source').reusedExecutionId).toBe(nodeResult(uncached, 'source').executionId)
    })

    it('can be turned off for a node', async () => {
      await run(chain())
      const pipeline = chain().replace(
        node('sum', sum, {
          inputs: { numbers: chain().node('double')?.outputs.numbers as never },
          enableCache: false,
        }),
      )
      expect(statuses(await run(pipeline))).toEqual({ source: 'cached', double: 'cached', sum: 'ran' })
    })

    it('can be turned off for a step', async () => {
      const uncachable = defineStep({ ...sum, enableCache: false })
      const pipeline = chain().replace(
        node('sum', uncachable, { inputs: { numbers: chain().node('double')?.outputs.numbers as never } }),
      )
      await run(pipeline)
      expect(statuses(await run(pipeline))).toEqual({ source: 'cached', double: 'cached', sum: 'ran' })
    })
  })

  describe('invalidation', () => {
    it('recomputes a tampered output instead of serving it', async () => {
      const first = await run(chain())
      const uri = artifact(outputId(first, 'source')).uri as string
      await chmod(numbersFile(uri), 0o644)
      await writeFile(numbersFile(uri), '100\n200\n300\n')
      const second = await run(chain())
      expect(statuses(second)).toEqual({ source: 'ran', double: 'ran', sum: 'ran' })
      expect(artifact(outputId(second, 'sum', 'total')).custom_properties?.total).toEqual({ int_value: 12n })
    })

    it('recomputes a deleted output', async () => {
      const first = await run(chain())
      await rm(artifact(outputId(first, 'double')).uri as string, { recursive: true, force: true })
      expect(statuses(await run(chain()))).toEqual({ source: 'cached', double: 'ran', sum: 'ran' })
    })

    it.each([
      ['MARKED_FOR_DELETION', Artifact_State.MARKED_FOR_DELETION],
      ['DELETED', Artifact_State.DELETED],
      ['ABANDONED', Artifact_State.ABANDONED],
      ['PENDING', Artifact_State.PENDING],
    ])('recomputes an output that is %s', async (_name, state) => {
      const first = await run(chain())
      owned.putArtifacts({ artifacts: [{ ...artifact(outputId(first, 'sum', 'total')), state }] })
      expect(statuses(await run(chain()))).toEqual({ source: 'cached', double: 'cached', sum: 'ran' })
    })

    it('falls back to an older execution when the newest one no longer qualifies', async () => {
      const first = await run(chain())
      const uncached = await run(chain(), { enableCache: false })
      await rm(artifact(outputId(uncached, 'source')).uri as string, { recursive: true, force: true })
      const third = await run(chain())
      expect(nodeResult(third, 'source')).toMatchObject({
        status: 'cached',
        reusedExecutionId: nodeResult(first, 'source').executionId,
      })
    })
  })

  describe('failure', () => {
    function withFlaky(): Pipeline {
      const s = node('source', source)
      const f = node('flaky', flaky, { inputs: { numbers: s.outputs.numbers } })
      const t = node('sum', sum, { inputs: { numbers: f.outputs.numbers } })
      const d = node('double', double, { inputs: { numbers: s.outputs.numbers } })
      return createPipeline('failing', [s, f, t, d])
    }

    it('records FAILED with the error, removes partial outputs and skips downstream steps', async () => {
      failFlaky = true
      const result = await run(withFlaky(), { concurrency: 1 })
      expect(result.status).toBe('FAILED')
      expect(statuses(result)).toEqual({ source: 'ran', flaky: 'failed', sum: 'skipped', double: 'ran' })
      const failed = nodeResult(result, 'flaky')
      expect(failed.error).toBeInstanceOf(Error)
      expect(nodeResult(result, 'sum')).toMatchObject({ blockedBy: 'flaky', outputs: {} })
      expect(calls.get('sum')).toBeUndefined()

      const e = execution(failed.executionId)
      expect(e.last_known_state).toBe(Execution_State.FAILED)
      const recorded = JSON.parse(e.custom_properties?.__execution_result__?.string_value as string)
      expect(recorded).toMatchObject({
        code: Code.Unknown,
        resultMessage: expect.stringContaining('flaky failed on purpose'),
      })
      expect(Object.keys(recorded)).toEqual(['resultMessage', 'code'])
      expect(
        owned.getEventsByExecutionIDs({ execution_ids: [e.id as bigint] }).events?.map((ev) => ev.type),
      ).toEqual([Event_Type.INPUT])
      const contexts = owned.getContextsByExecution({ execution_id: e.id as bigint }).contexts ?? []
      expect(contexts.map((c) => c.name)).toEqual(['failing', result.runId, 'failing.flaky', failed.cacheKey])
      // Nothing of the failed step is left on disk, and nothing was published.
      await expect(lstat(path.join(root, 'flaky', 'numbers'))).rejects.toThrow(/ENOENT/)
      expect(await readdir(path.join(root, 'flaky', '.system', 'executor_execution'))).toEqual([])
      expect(owned.getArtifactsByType({ type_name: 'Numbers' }).artifacts?.length).toBe(2)
    })

    it('retries the failed step on the next run, reusing what succeeded', async () => {
      failFlaky = true
      const failed = await run(withFlaky())
      failFlaky = false
      const retried = await run(withFlaky())
      expect(retried.status).toBe('COMPLETE')
      expect(statuses(retried)).toEqual({ source: 'cached', flaky: 'ran', sum: 'ran', double: 'cached' })
      expect(nodeResult(retried, 'flaky').cacheKey).toBe(nodeResult(failed, 'flaky').cacheKey)
    })

    it('records the code of an MlmdError', async () => {
      const denied = defineStep({
        type: 'tsrunner.test.Denied',
        outputs: { numbers: Numbers },
        run() {
          throw new MlmdError(Code.PermissionDenied, 'no access to the source')
        },
      })
      const result = await run(createPipeline('denied', [node('denied', denied)]))
      const e = execution(nodeResult(result, 'denied').executionId)
      expect(JSON.parse(e.custom_properties?.__execution_result__?.string_value as string)).toMatchObject({
        code: Code.PermissionDenied,
      })
    })

    it('fails a step that sets a property its output type does not declare', async () => {
      const sloppy = defineStep({
        type: 'tsrunner.test.Sloppy',
        outputs: { total: Total },
        run({ outputs }) {
          ;(outputs.total.properties as Record<string, unknown>).undeclared = 1
        },
      })
      const result = await run(createPipeline('sloppy', [node('sloppy', sloppy)]))
      expect(nodeResult(result, 'sloppy')).toMatchObject({
        status: 'failed',
        error: expect.objectContaining({ code: Code.InvalidArgument }),
      })
      await expect(lstat(path.join(root, 'sloppy', 'total'))).rejects.toThrow(/ENOENT/)
    })
  })

  describe('parallelism', () => {
    let active = 0
    let peak = 0
    const order: string[] = []
    const slow = defineStep({
      type: 'tsrunner.test.Slow',
      inputs: {},
      outputs: { numbers: Numbers },
      parameters: { label: '' },
      async run({ outputs, parameters }) {
        active++
        peak = Math.max(peak, active)
        order.push(`start ${parameters.label}`)
        await new Promise((resolve) => setTimeout(resolve, 40))
        await writeFile(numbersFile(outputs.numbers.dir), `${parameters.label.length}\n`)
        order.push(`end ${parameters.label}`)
        active--
      },
    })
    beforeEach(() => {
      active = 0
      peak = 0
      order.length = 0
    })
    const independent = (count: number): Pipeline =>
      createPipeline(
        `wide-${count}`,
        Array.from({ length: count }, (_, i) => node(`n${i}`, slow, { parameters: { label: `n${i}` } })),
      )

    it.each([1, 2, 3])('runs independent steps at most %i at a time', async (limit) => {
      const result = await run(independent(6), { concurrency: limit })
      expect(result.status).toBe('COMPLETE')
      expect(peak).toBe(limit)
    })

    it('defaults to 4 at a time', async () => {
      await run(independent(6))
      expect(peak).toBe(4)
    })

    it('runs a step only after all its inputs are published', async () => {
      const a = node('a', source)
      const b = node('b', double, { inputs: { numbers: a.outputs.numbers } })
      const c = node('c', slow, { parameters: { label: 'c' } })
      const d = node('d', sum, { inputs: { numbers: b.outputs.numbers } })
      const events: string[] = []
      const result = await run(createPipeline('diamond', [a, b, c, d]), {
        concurrency: 2,
        onEvent: (e) => {
          if (e.kind === 'node-started') events.push(`start ${e.nodeId}`)
          if (e.kind === 'node-finished') events.push(`end ${e.result.nodeId}`)
        },
      })
      expect(result.status).toBe('COMPLETE')
      for (const [before, after] of [
        ['end a', 'start b'],
        ['end b', 'start d'],
      ] as const) {
        expect(events.indexOf(before)).toBeLessThan(events.indexOf(after))
      }
      // c is independent and overlaps with the a → b → d chain.
      expect(events.indexOf('start c')).toBeLessThan(events.indexOf('end a'))
    })
  })
})
