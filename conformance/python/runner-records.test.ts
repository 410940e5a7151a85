// The TS pipeline runner and a TFX-style Python client (ml-metadata 1.16.0 from the venv) share
// step caches through one SQLite file: conformance/python/test_runner_records.py run by pytest.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Examples, ingest, preprocess, seedPipelines } from '../../examples/seed-steps.js'
import {
  cacheKeyIngredients,
  computeCacheKey,
  createPipeline,
  defineArtifactType,
  defineStep,
  listOf,
  node,
  type Pipeline,
  type PipelineRunResult,
  runPipeline,
} from '../../src/runner/index.js'
import { createMetadataStore, toAsyncMetadataStore } from '../../src/store/metadata-store.js'
import { describeWithMlmd, mlmdPython, PYTHON_DIR, REPO_ROOT } from './venv.js'

function pytest(manifest: string): Promise<{ code: number; output: string }> {
  const interpreter = mlmdPython()?.python
  if (interpreter === undefined) throw new Error('no ML Metadata venv')
  const args = [
    '-m',
    'pytest',
    '-q',
    '-p',
    'no:cacheprovider',
    path.join(PYTHON_DIR, 'test_runner_records.py'),
  ]
  return new Promise((resolve) => {
    execFile(
      interpreter,
      args,
      {
        cwd: REPO_ROOT,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', MLMD_TS_RUNNER_MANIFEST: manifest },
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

async function runOn(db: string, root: string, pipelines: readonly Pipeline[]): Promise<PipelineRunResult[]> {
  const owned = createMetadataStore({ filename: db })
  try {
    const store = toAsyncMetadataStore(owned)
    const results: PipelineRunResult[] = []
    for (const p of pipelines) results.push(await runPipeline(p, { store, pipelineRoot: root }))
    return results
  } finally {
    owned.close()
  }
}

const ids = (result: PipelineRunResult['nodes'][number]): Record<string, number[]> =>
  Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.map((o) => Number(o.id))]))

// Pipeline P for the Python-written records: the seed ingest (whose key depends on the
// pipeline alone) and preprocess, which must run on Python's payload.
const ingestNode = node('ingest', ingest, { parameters: { rows: 10 } })
const preprocessNode = node('preprocess', preprocess, { inputs: { examples: ingestNode.outputs.examples } })
const fromPython = createPipeline('seed-python', [ingestNode, preprocessNode])

// A pipeline with a list output and a list input, for TFX's reading of [key, index] paths.
const Part = defineArtifactType({ name: 'Part', properties: { span: 'INT' } })
const split = defineStep({
  type: 'tsrunner.test.python.Split',
  outputs: { parts: listOf(Part), rest: Part },
  async run({ outputs }) {
    for (const span of [0, 1, 2]) {
      const part = await outputs.parts.add()
      await writeFile(path.join(part.dir, 'part.txt'), String(span))
      part.properties.span = span
    }
    await writeFile(path.join(outputs.rest.dir, 'part.txt'), 'rest')
  },
})
const join = defineStep({
  type: 'tsrunner.test.python.Join',
  inputs: { parts: listOf(Part) },
  outputs: { joined: Part },
  async run({ inputs, outputs }) {
    const texts = await Promise.all(inputs.parts.map((p) => readFile(path.join(p.dir, 'part.txt'), 'utf8')))
    await writeFile(path.join(outputs.joined.dir, 'part.txt'), texts.join(','))
  },
})
const splitNode = node('split', split)
const withLists = createPipeline('lists-python', [
  splitNode,
  node('join', join, { inputs: { parts: [splitNode.outputs.rest, splitNode.outputs.parts] } }),
])

const csv = (rows: readonly (readonly number[])[]): string =>
  `x0,x1,y\n${rows.map((r) => r.join(',')).join('\n')}\n`

describeWithMlmd('TFX-style Python client and the TS runner share step caches', () => {
  let dir: string
  let manifestPath: string
  let readRuns: PipelineRunResult[]
  let listRuns: PipelineRunResult[]
  const python = { code: -1, output: '' }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-runner-records-'))
    const readDb = path.join(dir, 'read.sqlite')
    const { a, b } = seedPipelines(500)
    readRuns = await runOn(readDb, path.join(dir, 'read-root'), [a, b])
    // Run twice, so TFX's lookup also meets a CACHED execution of list outputs.
    listRuns = await runOn(readDb, path.join(dir, 'read-root'), [withLists, withLists])
    const pipelines = [a, b, withLists, withLists]
    const manifest = {
      read: {
        db: readDb,
        source_node: 'ingest',
        pipelines: [...readRuns, ...listRuns].map((run, i) => ({
          name: run.pipelineName,
          cache_scope: pipelines[i]?.cacheScope,
          run_id: run.runId,
          nodes: run.nodes.map((n) => ({
            id: n.nodeId,
            status: n.status,
            execution_id: Number(n.executionId),
            cache_key: n.cacheKey,
            outputs: ids(n),
          })),
        })),
      },
      write: {
        db: path.join(dir, 'write.sqlite'),
        root: path.join(dir, 'write-root'),
        pipeline: fromPython.name,
        node: 'ingest',
        step_type: ingest.type,
        output_key: 'examples',
        cache_key: computeCacheKey(cacheKeyIngredients(fromPython, ingestNode)),
        parameters: { rows: 10, features: 4, noise: 0.5, seed: 42 },
        artifact_type: { name: Examples.name, properties: Examples.properties, base_type: Examples.baseType },
        properties: { span: 0, version: 1, split_names: '["train", "eval"]' },
        files: {
          'Split-train/data.csv': csv([
            [1, 2, 3],
            [3, 4, 7],
            [5, 6, 11],
          ]),
          'Split-eval/data.csv': csv([[7, 8, 15]]),
        },
        result_path: path.join(dir, 'python-result.json'),
      },
    }
    manifestPath = path.join(dir, 'manifest.json')
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2))
    Object.assign(python, await pytest(manifestPath))
  })
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('the seed example ran A, then B reusing ingest and preprocess', () => {
    expect(readRuns.map((r) => r.nodes.map((n) => `${n.nodeId}:${n.status}`))).toEqual([
      ['ingest:ran', 'preprocess:ran', 'train:ran', 'evaluate:ran'],
      ['ingest:cached', 'preprocess:cached', 'train:ran', 'evaluate:ran'],
    ])
  })

  it('ran the list pipeline, then reused its lists whole', () => {
    expect(listRuns.map((r) => r.nodes.map((n) => `${n.nodeId}:${n.status}`))).toEqual([
      ['split:ran', 'join:ran'],
      ['split:cached', 'join:cached'],
    ])
    expect(listRuns[0]?.nodes[0]?.outputs.parts).toHaveLength(3)
  })

  it('passes test_runner_records.py (TFX lookup finds our outputs; Python writes TFX records)', () => {
    expect(python.code, python.output).toBe(0)
    expect(python.output).toMatch(/4 passed/)
  })

  it('reuses the outputs of a step Python recorded in TFX shape under a known key', async () => {
    const written = JSON.parse(await readFile(path.join(dir, 'python-result.json'), 'utf8')) as {
      execution_id: number
      artifact_id: number
      uri: string
    }
    const [result] = await runOn(path.join(dir, 'write.sqlite'), path.join(dir, 'write-root'), [fromPython])
    expect(result?.nodes.map((n) => `${n.nodeId}:${n.status}`)).toEqual(['ingest:cached', 'preprocess:ran'])
    const reused = result?.nodes[0]
    expect(reused?.reusedExecutionId).toBe(BigInt(written.execution_id))
    expect(reused?.outputs.examples).toEqual([{ id: BigInt(written.artifact_id), uri: written.uri }])
    // preprocess read Python's payload: the train split's feature means are 3 and 4.
    const graph = result?.nodes[1]?.outputs.transform_graph?.[0]?.uri as string
    const transform = JSON.parse(await readFile(path.join(graph, 'transform.json'), 'utf8')) as {
      mean: number[]
    }
    expect(transform.mean).toEqual([3, 4])
  })
})
