/**
 * The seed scenario, end to end:
 *
 *   npm run example -- [--db FILE | --grpc HOST:PORT] [--root DIR | --root s3://bucket/prefix] [--rows N]
 *
 * Runs Pipeline A (ingest → preprocess → train → evaluate) and then Pipeline B, A's copy with
 * another trainer, against one MLMD SQLite file. B reuses A's ingest and preprocess outputs
 * from the cache and runs train and evaluate. Run it again and every step is cached.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createMetadataStoreClient } from '../src/client/index.js'
import {
  type ArtifactStore,
  type NodeResult,
  openArtifactStore,
  type Pipeline,
  type PipelineRunResult,
  runPipeline,
} from '../src/runner/index.js'
import { createMetadataStore, toAsyncMetadataStore } from '../src/store/metadata-store.js'
import type { AsyncMetadataStore } from '../src/store/metadata-store-api.js'
import { seedPipelines } from './seed-steps.js'

const USAGE = `usage: npm run example -- [--db FILE | --grpc HOST:PORT] [--root DIR|s3://bucket/prefix] [--rows N]

  --db FILE          MLMD SQLite file (default ./example-mlmd.sqlite)
  --grpc HOST:PORT   an MLMD server (mlmd-ts serve) instead of --db
  --root URI         pipeline root for the artifacts: a folder (default
                     ./example-pipeline-root) or s3://bucket/prefix (endpoint and
                     credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …)
  --local-dir DIR    for s3:// roots: this machine's scratch and download folder
  --rows N           rows of the generated data set (default 100000)`

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

function describe(result: NodeResult): string {
  switch (result.status) {
    case 'ran':
      return `ran in ${seconds(result.durationMs)} (execution ${result.executionId})`
    case 'cached':
      return `cached: reused execution ${result.reusedExecutionId}, saved ${seconds(result.savedMs ?? 0)}`
    case 'failed':
      return `FAILED: ${result.error instanceof Error ? result.error.message : String(result.error)}`
    case 'skipped':
      return `skipped (${result.blockedBy} did not succeed)`
  }
}

async function run(
  store: AsyncMetadataStore,
  pipeline: Pipeline,
  artifacts: ArtifactStore,
): Promise<PipelineRunResult> {
  const width = Math.max(...pipeline.nodes.map((n) => n.id.length))
  const label = (id: string): string => id.padEnd(width)
  return runPipeline(pipeline, {
    store,
    artifactStore: artifacts,
    onEvent: (event) => {
      switch (event.kind) {
        case 'run-started':
          console.log(`\n${event.pipelineName} · run ${event.runId}`)
          break
        case 'node-started':
          console.log(`  … ${label(event.nodeId)}  started (cache key ${event.cacheKey.slice(0, 12)}…)`)
          break
        case 'node-log':
          console.log(`    ${label(event.nodeId)}  ${event.message}`)
          break
        case 'node-finished': {
          const mark = { ran: '✓', cached: '↺', failed: '✗', skipped: '-' }[event.result.status]
          console.log(`  ${mark} ${label(event.result.nodeId)}  ${describe(event.result)}`)
          break
        }
        case 'run-finished':
          break
      }
    },
  })
}

async function metricsOf(result: PipelineRunResult, artifacts: ArtifactStore): Promise<string> {
  const output = (nodeId: string, key: string): string | undefined =>
    result.nodes.find((n) => n.nodeId === nodeId)?.outputs[key]?.[0]?.uri
  const modelOutput = output('train', 'model')
  const evaluationOutput = output('evaluate', 'evaluation')
  if (modelOutput === undefined || evaluationOutput === undefined) return 'no evaluation'
  // Under an s3:// root the payloads are fetched (and verified) into the local folder.
  const modelUri = await artifacts.localPath(modelOutput, undefined)
  const evaluationUri = await artifacts.localPath(evaluationOutput, undefined)
  const model = JSON.parse(await readFile(path.join(modelUri, 'model.json'), 'utf8')) as { trainer: string }
  const metrics = JSON.parse(await readFile(path.join(evaluationUri, 'metrics.json'), 'utf8')) as {
    rmse: number
    r2: number
  }
  return `${model.trainer} model, eval rmse ${metrics.rmse.toFixed(4)}, r² ${metrics.r2.toFixed(4)}`
}

function summary(results: readonly PipelineRunResult[]): string {
  const lines = ['', 'Summary', '']
  const header = ['pipeline', 'step', 'status', 'time', 'saved']
  const rows = results.flatMap((r) =>
    r.nodes.map((n) => [
      r.pipelineName,
      n.nodeId,
      n.status,
      seconds(n.durationMs),
      n.status === 'cached' ? seconds(n.savedMs ?? 0) : '',
    ]),
  )
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)))
  for (const row of [header, ...rows]) {
    lines.push(`  ${row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ')}`.trimEnd())
  }
  return lines.join('\n')
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: './example-mlmd.sqlite' },
      grpc: { type: 'string' },
      root: { type: 'string', default: './example-pipeline-root' },
      'local-dir': { type: 'string' },
      rows: { type: 'string', default: '100000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const rows = Number(values.rows)
  if (!Number.isSafeInteger(rows) || rows < 10) {
    console.error(`--rows must be an integer ≥ 10\n\n${USAGE}`)
    return 2
  }
  const root = values.root.startsWith('s3://') ? values.root : path.resolve(values.root)
  let store: AsyncMetadataStore
  let closeStore: () => void
  if (values.grpc !== undefined) {
    const [host, port] = values.grpc.split(/:(?=\d+$)/)
    const client = createMetadataStoreClient({ host, port: Number(port) })
    ;[store, closeStore] = [client, () => client.close()]
    console.log(`MLMD server ${values.grpc}\npipeline root ${root}`)
  } else {
    const db = path.resolve(values.db)
    const owned = createMetadataStore({ filename: db })
    ;[store, closeStore] = [toAsyncMetadataStore(owned), () => owned.close()]
    console.log(`MLMD store ${db}\npipeline root ${root}`)
  }
  const artifacts = await openArtifactStore(
    root,
    values['local-dir'] === undefined ? {} : { localDir: path.resolve(values['local-dir']) },
  )

  try {
    const { a, b } = seedPipelines(rows)
    const results: PipelineRunResult[] = []
    for (const pipeline of [a, b]) {
      const result = await run(store, pipeline, artifacts)
      results.push(result)
      console.log(
        `  ${pipeline.name}: ${result.status} in ${seconds(result.durationMs)}; ${await metricsOf(result, artifacts)}`,
      )
      if (result.status !== 'COMPLETE') return 1
    }
    console.log(summary(results))
    console.log('\nReused from the cache')
    for (const result of results) {
      const saved = result.nodes.reduce((sum, n) => sum + (n.savedMs ?? 0), 0)
      const cached = result.nodes.filter((n) => n.status === 'cached').length
      console.log(
        `  ${result.pipelineName}: ${cached} of ${result.nodes.length} steps, ${seconds(saved)} of step time saved`,
      )
    }
    return 0
  } finally {
    artifacts.close?.()
    closeStore()
  }
}

process.exitCode = await main()
