/**
 * `mlmd-ts run FILE`: runs the pipelines a module exports, against a store file in process or
 * a server over gRPC, with live progress, and exits non-zero when a run fails.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createMetadataStoreClient } from '../client/index.js'
import { Code, MlmdError } from '../errors.js'
import {
  createProgressReporter,
  explainCacheMiss,
  formatCacheMissExplanation,
  openArtifactStore,
  type Pipeline,
  type ProgressStream,
  runPipeline,
} from '../runner/index.js'
import { createMetadataStore, toAsyncMetadataStore } from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'

/** Usage text of `mlmd-ts run`. */
export const RUN_USAGE = `Usage: mlmd-ts run FILE [options]

Runs the pipelines that the module FILE exports (every exported pipeline, or
array of pipelines, in export order), with step caching, and prints progress.
Exits 1 if a run fails. A TypeScript FILE needs the tsx package installed.

Options:
  --db PATH            MLMD SQLite file, used in process (default: ./mlmd.sqlite)
  --grpc HOST:PORT     an MLMD server (mlmd-ts serve, or MLMD's) instead of --db
  --root URI           pipeline root: a folder or s3://bucket/prefix
                       (default: ./pipeline-root)
  --local-dir DIR      for s3:// roots: this machine's scratch and download folder
  --s3-endpoint URL    for s3:// roots: the S3 endpoint (default: AWS_ENDPOINT_URL_S3,
                       AWS_ENDPOINT_URL, or AWS itself)
  --pipeline NAME      run only this pipeline (repeatable)
  --no-cache           run every step, reusing nothing (results are still cached)
  --explain            for each step that ran, say why it missed the cache
  -h, --help           show this help`

/** What `run` was asked to do. */
export interface RunSettings {
  readonly file: string
  readonly db: string | undefined
  readonly grpc: { readonly host: string; readonly port: number } | undefined
  readonly root: string
  readonly localDir: string | undefined
  readonly s3Endpoint: string | undefined
  readonly pipelines: readonly string[]
  readonly enableCache: boolean
  readonly explain: boolean
}

/**
 * Reads the command line of `run`.
 * @throws InvalidArgument for unknown options, a missing FILE, or both --db and --grpc.
 */
export function parseRunArgs(args: readonly string[], cwd: string): RunSettings | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw usageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help === true) return 'help'
  if (positionals.length !== 1) throw usageError('run takes exactly one FILE')
  if (values.db !== undefined && values.grpc !== undefined)
    throw usageError('--db and --grpc exclude each other')
  let grpc: RunSettings['grpc']
  if (values.grpc !== undefined) {
    const match = /^(.+):(\d+)$/.exec(values.grpc)
    const port = Number(match?.[2])
    if (match === null || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw usageError(`--grpc takes HOST:PORT, not "${values.grpc}"`)
    }
    grpc = { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port }
  }
  const root = values.root ?? 'pipeline-root'
  return {
    file: path.resolve(cwd, positionals[0] as string),
    db: grpc === undefined ? path.resolve(cwd, values.db ?? 'mlmd.sqlite') : undefined,
    grpc,
    root: root.startsWith('s3://') ? root : path.resolve(cwd, root),
    localDir: values['local-dir'] === undefined ? undefined : path.resolve(cwd, values['local-dir']),
    s3Endpoint: values['s3-endpoint'],
    pipelines: values.pipeline ?? [],
    enableCache: values['no-cache'] !== true,
    explain: values.explain === true,
  }
}

const OPTIONS = {
  db: { type: 'string' },
  grpc: { type: 'string' },
  root: { type: 'string' },
  'local-dir': { type: 'string' },
  's3-endpoint': { type: 'string' },
  pipeline: { type: 'string', multiple: true },
  'no-cache': { type: 'boolean' },
  explain: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Whether `value` is a pipeline made by `createPipeline`. */
function isPipeline(value: unknown): value is Pipeline {
  const v = value as Partial<Pipeline> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    typeof v.cacheScope === 'string' &&
    Array.isArray(v.nodes) &&
    typeof v.upstreamOf === 'function'
  )
}

/** The pipelines a module exports, in export order, each once. */
export function pipelinesOf(module: Readonly<Record<string, unknown>>): Pipeline[] {
  const found: Pipeline[] = []
  for (const value of Object.values(module)) {
    for (const candidate of Array.isArray(value) ? value : [value]) {
      if (isPipeline(candidate) && !found.includes(candidate)) found.push(candidate)
    }
  }
  return found
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href
  try {
    return (await import(url)) as Record<string, unknown>
  } catch (error) {
    // Node 20 cannot import TypeScript by itself; tsx's loader can, when it is installed. It is
    // registered only when needed: under tsx already, a second loader would stack on the first.
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error
  }
  try {
    const api = (await import('tsx/esm/api')) as { register: () => unknown }
    api.register()
  } catch {
    throw new MlmdError(
      Code.FailedPrecondition,
      `${file} is TypeScript: install tsx (npm i -D tsx) or compile it to JavaScript first`,
    )
  }
  // A failed import stays cached under its URL; a query makes it a new one.
  return (await import(`${url}?tsx`)) as Record<string, unknown>
}

/**
 * Runs `mlmd-ts run`. Progress goes to `progress` (by default the process's standard error,
 * which is the one stream that can tell whether it is a terminal); results and `--explain`
 * to standard output. Resolves with 0 when every run completed, 1 when one failed.
 */
export async function run(args: readonly string[], io: CliIo, progress?: ProgressStream): Promise<number> {
  const settings = parseRunArgs(args, io.cwd)
  if (settings === 'help') {
    io.out(RUN_USAGE)
    return 0
  }
  const module = await importModule(settings.file)
  let pipelines = pipelinesOf(module)
  if (settings.pipelines.length > 0) {
    const unknown = settings.pipelines.filter((name) => !pipelines.some((p) => p.name === name))
    if (unknown.length > 0)
      throw usageError(`${settings.file} exports no pipeline named ${unknown.join(', ')}`)
    pipelines = pipelines.filter((p) => settings.pipelines.includes(p.name))
  }
  if (pipelines.length === 0) {
    throw new MlmdError(Code.FailedPrecondition, `${settings.file} exports no pipeline`)
  }

  let store: AsyncMetadataStore
  let close: () => void
  if (settings.grpc !== undefined) {
    const client = createMetadataStoreClient({ host: settings.grpc.host, port: settings.grpc.port })
    store = client
    close = () => client.close()
  } else {
    const owned = createMetadataStore({ filename: settings.db as string })
    store = toAsyncMetadataStore(owned)
    close = () => owned.close()
  }
  const artifacts = await openArtifactStore(settings.root, {
    ...(settings.localDir === undefined ? {} : { localDir: settings.localDir }),
    ...(settings.s3Endpoint === undefined ? {} : { s3: { endpoint: settings.s3Endpoint } }),
  })
  const onEvent = createProgressReporter(progress ?? process.stderr)
  let failed = false
  try {
    for (const pipeline of pipelines) {
      const result = await runPipeline(pipeline, {
        store,
        artifactStore: artifacts,
        enableCache: settings.enableCache,
        onEvent,
      })
      if (result.status !== 'COMPLETE') failed = true
      if (!settings.explain) continue
      io.out(`Why ${pipeline.name}'s steps ran:`)
      const ran = result.nodes.filter((n) => n.executionId !== undefined && n.status !== 'cached')
      if (ran.length === 0) io.out('  every step came from the cache')
      for (const n of ran) {
        const explanation = await explainCacheMiss(store, n.executionId as bigint)
        for (const line of formatCacheMissExplanation(explanation)) io.out(`  ${line}`)
      }
    }
  } finally {
    artifacts.close?.()
    close()
  }
  return failed ? 1 : 0
}
