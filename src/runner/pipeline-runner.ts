/**
 * Runs a pipeline locally: nodes in dependency order, independent nodes concurrently up to a
 * limit, each node either reusing cached outputs or running its step, everything recorded in
 * the store as TFX records it (see `tfx-records.ts`).
 *
 * Per node:
 * 1. read its input artifacts from the store (the records upstream nodes published or reused);
 * 2. compute its cache key ({@link computeCacheKey}) from them;
 * 3. register a RUNNING execution with INPUT events;
 * 4. unless caching is off for the run or the node, look for reusable outputs
 *    ({@link findCachedOutputs}); on a hit, record the execution CACHED with OUTPUT events to
 *    them, and stop;
 * 5. otherwise run the step into temporary directories, publish the outputs (fingerprint,
 *    atomic rename) and record the execution COMPLETE with the new LIVE artifacts;
 * 6. if anything in 5 fails, discard the outputs and record the execution FAILED with the
 *    error. Nodes downstream of a failed node do not run (they are `skipped`); independent
 *    nodes still do. The next run retries the failed node: FAILED executions never qualify for
 *    the cache.
 *
 * A step failure is a result, not an exception: {@link runPipeline} resolves with status
 * `FAILED` and the error on the node.
 *
 * @example
 * ```ts
 * const store = toAsyncMetadataStore(createMetadataStore({ filename: 'mlmd.sqlite' }))
 * const result = await runPipeline(pipeline, { store, pipelineRoot: './pipeline-root' })
 * for (const n of result.nodes) console.log(n.nodeId, n.status)
 * ```
 */
import { performance } from 'node:perf_hooks'
import { Code, invalidArgument, MlmdError } from '../errors.js'
import { entryOf, setEntry } from '../proto/map-entries.js'
import type { Artifact, Value } from '../proto/messages.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import {
  type ArtifactStore,
  type OpenArtifactStoreOptions,
  type OutputWorkspace,
  openArtifactStore,
  type PublishedOutput,
} from './artifact-store.js'
import {
  type ArtifactSpec,
  customToValue,
  isArtifactList,
  itemTypeOf,
  propertyToValue,
  valueToPlain,
} from './artifact-type.js'
import {
  type CacheKeyIngredients,
  cacheKeyIngredientsRecord,
  computeCacheKey,
  type OutputSkeleton,
} from './cache-key.js'
import { type CachedOutputs, lookUpCache, producerDurationMs } from './cache-lookup.js'
import { canonicalJson } from './canonical-json.js'
import type { Parameters } from './parameters.js'
import { type ListInputRef, type Pipeline, type PipelineNode, refsOf } from './pipeline.js'
import { createProgressReporter, type ProgressStream } from './progress.js'
import type {
  ArtifactSignature,
  InputArtifact,
  OutputArtifact,
  OutputArtifactList,
  StepContext,
} from './step.js'
import {
  CONTEXT_TYPE,
  CUSTOM_PROPERTY,
  createRunContexts,
  createTypeRegistry,
  findContext,
  type KeyedArtifact,
  type NewOutput,
  nodeContextName,
  publishCachedExecution,
  publishFailedExecution,
  publishSucceededExecution,
  type RegisteredExecution,
  type RunContexts,
  registerExecution,
  type TypeRegistry,
} from './tfx-records.js'

/** Options of {@link runPipeline}. */
export interface RunOptions {
  /** The metadata store: in-process (`toAsyncMetadataStore`) or a gRPC client. */
  readonly store: AsyncMetadataStore
  /**
   * Where outputs are published: a directory (created if needed) or `s3://bucket/prefix`
   * (see `s3-artifact-store.ts`). Ignored when `artifactStore` is given.
   */
  readonly pipelineRoot?: string
  /** An artifact store to use instead of opening one for `pipelineRoot`. */
  readonly artifactStore?: ArtifactStore
  /** For an `s3://` root: this machine's local folder and the S3 connection. */
  readonly artifactStoreOptions?: OpenArtifactStoreOptions
  /** Names the run's `pipeline_run` context; must be new. Default: LocalDagRunner's ISO form. */
  readonly runId?: string
  /** How many nodes may run at once; default 4. */
  readonly concurrency?: number
  /** False turns cache lookups off for every node of this run (outputs are still filed). */
  readonly enableCache?: boolean
  /** Progress: called synchronously for each event; exceptions it throws are ignored. */
  readonly onEvent?: (event: RunEvent) => void
  /**
   * Where the default progress output goes when there is no `onEvent`: default
   * `process.stderr` (live lines on a terminal, plain lines otherwise); `false` for none.
   */
  readonly progress?: ProgressStream | false
}

/** How a node ended: ran its step, reused cached outputs, failed, or did not run. */
export type NodeStatus = 'ran' | 'cached' | 'failed' | 'skipped'

/** An output artifact a node produced or reused. */
export interface NodeOutput {
  readonly id: bigint
  readonly uri: string
}

/** The outcome of one node. */
export interface NodeResult {
  readonly nodeId: string
  readonly status: NodeStatus
  /** The node's execution in this run (absent when skipped, or when registration failed). */
  readonly executionId?: bigint
  readonly cacheKey?: string
  /** Wall time spent on the node in this run. */
  readonly durationMs: number
  /** For `cached`: the execution whose outputs were reused. */
  readonly reusedExecutionId?: bigint
  /** For `cached`: how long the step run that produced the reused outputs took. */
  readonly savedMs?: number
  readonly outputs: Readonly<Record<string, readonly NodeOutput[]>>
  /** For `ran` and `failed`: how many times the step was run (retries + 1 at most). */
  readonly attempts?: number
  /** For `ran` and `failed`: why no cached outputs were reused (also recorded on the execution). */
  readonly cacheMiss?: string
  /** For `failed`: what went wrong. */
  readonly error?: unknown
  /** For `skipped`: the upstream node that failed or was skipped. */
  readonly blockedBy?: string
}

/** The outcome of a run. */
export interface PipelineRunResult {
  readonly pipelineName: string
  readonly runId: string
  readonly status: 'COMPLETE' | 'FAILED'
  /** Per node, in the pipeline's dependency order. */
  readonly nodes: readonly NodeResult[]
  readonly durationMs: number
}

/** Progress of a run, in the order things happen. */
export type RunEvent =
  | {
      readonly kind: 'run-started'
      readonly pipelineName: string
      readonly runId: string
      readonly nodeIds: readonly string[]
    }
  | {
      readonly kind: 'node-started'
      readonly pipelineName: string
      readonly runId: string
      readonly nodeId: string
      readonly executionId: bigint
      readonly cacheKey: string
    }
  | {
      readonly kind: 'node-log'
      readonly pipelineName: string
      readonly runId: string
      readonly nodeId: string
      readonly message: string
    }
  | { readonly kind: 'node-finished'; readonly pipelineName: string; readonly result: NodeResult }
  | { readonly kind: 'run-finished'; readonly result: PipelineRunResult }

const DEFAULT_CONCURRENCY = 4

/** The output skeletons of a node: its step's declared output types. */
export function outputSkeletons(n: PipelineNode): Record<string, OutputSkeleton> {
  const skeletons: Record<string, OutputSkeleton> = {}
  for (const [key, spec] of Object.entries(n.step.outputs)) {
    const type = itemTypeOf(spec)
    skeletons[key] = {
      type: type.name,
      properties: type.properties,
      baseType: type.baseType,
      ...(isArtifactList(spec) ? { list: true } : {}),
    }
  }
  return skeletons
}

/**
 * The ingredients of a node's cache key, given its input artifacts as the store returned them.
 * With no inputs the key depends on the pipeline alone, so it can be known before any run.
 */
export function cacheKeyIngredients(
  pipeline: Pipeline,
  n: PipelineNode,
  inputs: Readonly<Record<string, readonly Artifact[]>> = {},
): CacheKeyIngredients {
  return {
    pipelineId: pipeline.cacheScope,
    nodeId: n.id,
    stepType: n.step.type,
    stepBaseType: n.step.baseType,
    codeFingerprint: n.step.codeFingerprint,
    parameters: n.parameters,
    inputs,
    outputs: outputSkeletons(n),
  }
}

function plainMap(values: Readonly<Record<string, Value>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(values ?? {})) out[key] = valueToPlain(value)
  return out
}

function inputView(artifact: Artifact, dir: string): InputArtifact {
  return Object.freeze({
    id: artifact.id as bigint,
    uri: artifact.uri ?? '',
    dir,
    type: artifact.type ?? '',
    properties: Object.freeze(plainMap(artifact.properties)) as InputArtifact['properties'],
    customProperties: Object.freeze(plainMap(artifact.custom_properties)),
    record: artifact,
  })
}

// Converts what a step set on an output into MLMD properties; runner-owned keys are refused.
function outputRecord(n: PipelineNode, key: string, output: OutputArtifact): Omit<Artifact, 'uri'> {
  const spec = n.step.outputs[key]
  if (spec === undefined) throw new Error(`no output ${key}`)
  const type = itemTypeOf(spec)
  const properties: Record<string, Value> = {}
  for (const [name, value] of Object.entries(output.properties)) {
    if (value === undefined) continue
    const kind = entryOf(type.properties, name)
    if (kind === undefined) {
      throw invalidArgument(`Node ${n.id}: output ${key} (${type.name}) declares no property ${name}.`)
    }
    setEntry(properties, name, propertyToValue(kind, value, `node ${n.id}, output ${key}, property ${name}`))
  }
  const custom_properties: Record<string, Value> = {}
  for (const [name, value] of Object.entries(output.customProperties)) {
    if (name === CUSTOM_PROPERTY.tfxVersion || name.startsWith('tsrunner_')) {
      throw invalidArgument(`Node ${n.id}: output ${key}: custom property ${name} is the runner's.`)
    }
    setEntry(custom_properties, name, customToValue(value))
  }
  return { properties, custom_properties }
}

/** Runs `pipeline` once. Resolves when every node has finished or been skipped. */
export async function runPipeline(pipeline: Pipeline, options: RunOptions): Promise<PipelineRunResult> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw invalidArgument(`concurrency must be a positive integer, not ${concurrency}.`)
  }
  const { store } = options
  const runStarted = performance.now()
  const onEvent =
    options.onEvent ??
    (options.progress === false ? undefined : createProgressReporter(options.progress ?? process.stderr))
  const emit = (event: RunEvent): void => {
    try {
      onEvent?.(event)
    } catch {
      // Progress reporting must not break a run whose records are half written.
    }
  }
  const types = createTypeRegistry(store)
  if (options.artifactStore === undefined && options.pipelineRoot === undefined) {
    throw invalidArgument('runPipeline needs a pipelineRoot or an artifactStore.')
  }
  const artifacts =
    options.artifactStore ??
    (await openArtifactStore(options.pipelineRoot as string, options.artifactStoreOptions))
  try {
    return await runNodes(pipeline, options, artifacts, types, emit, runStarted)
  } finally {
    if (options.artifactStore === undefined) artifacts.close?.()
  }
}

async function runNodes(
  pipeline: Pipeline,
  options: RunOptions,
  artifacts: ArtifactStore,
  types: TypeRegistry,
  emit: (event: RunEvent) => void,
  runStarted: number,
): Promise<PipelineRunResult> {
  const { store } = options
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const contexts = await createRunContexts(store, types, pipeline.name, options.runId)
  const runId = contexts.run.name as string
  emit({ kind: 'run-started', pipelineName: pipeline.name, runId, nodeIds: pipeline.nodes.map((n) => n.id) })

  const results = new Map<string, NodeResult>()
  const finish = (result: NodeResult): void => {
    results.set(result.nodeId, result)
    emit({ kind: 'node-finished', pipelineName: pipeline.name, result })
  }
  const nodeRun: NodeRun = {
    pipeline,
    store,
    types,
    contexts,
    runId,
    results,
    enableCache: options.enableCache ?? true,
    artifacts,
    emit,
  }

  const waiting = [...pipeline.nodes]
  const running = new Map<string, Promise<void>>()
  while (waiting.length > 0 || running.size > 0) {
    // Dependency order means a node's upstream is settled (or running) before it is looked at,
    // so one pass propagates skips down whole branches.
    for (const n of [...waiting]) {
      const blocker = pipeline
        .upstreamOf(n.id)
        .find((id) => ['failed', 'skipped'].includes(results.get(id)?.status ?? ''))
      if (blocker === undefined) continue
      waiting.splice(waiting.indexOf(n), 1)
      finish({ nodeId: n.id, status: 'skipped', durationMs: 0, outputs: {}, blockedBy: blocker })
    }
    for (const n of [...waiting]) {
      if (running.size >= concurrency) break
      if (!pipeline.upstreamOf(n.id).every((id) => results.has(id))) continue
      waiting.splice(waiting.indexOf(n), 1)
      running.set(
        n.id,
        executeNode(nodeRun, n).then((result) => {
          running.delete(n.id)
          finish(result)
        }),
      )
    }
    if (running.size === 0) break // cannot happen in a checked DAG; guards against a spin
    await Promise.race(running.values())
  }

  const nodes = pipeline.nodes.map((n) => results.get(n.id) as NodeResult)
  const result: PipelineRunResult = {
    pipelineName: pipeline.name,
    runId,
    status: nodes.every((r) => r.status === 'ran' || r.status === 'cached') ? 'COMPLETE' : 'FAILED',
    nodes,
    durationMs: performance.now() - runStarted,
  }
  emit({ kind: 'run-finished', result })
  return result
}

interface NodeRun {
  readonly pipeline: Pipeline
  readonly store: AsyncMetadataStore
  readonly types: TypeRegistry
  readonly contexts: RunContexts
  readonly runId: string
  readonly results: ReadonlyMap<string, NodeResult>
  readonly enableCache: boolean
  readonly artifacts: ArtifactStore
  readonly emit: (event: RunEvent) => void
}

// The node's input artifacts, as the store holds them now, per input key.
async function readInputs(run: NodeRun, n: PipelineNode): Promise<Record<string, Artifact[]>> {
  const wired = n.inputs as Readonly<Record<string, ListInputRef>>
  const wanted: Record<string, bigint[]> = {}
  for (const [key, value] of Object.entries(wired)) {
    // Several references under one list input are concatenated in the order wired.
    wanted[key] = refsOf(value).flatMap((ref) =>
      (run.results.get(ref.node)?.outputs[ref.key] ?? []).map((o) => o.id),
    )
  }
  const ids = [...new Set(Object.values(wanted).flat())]
  const { artifacts = [] } =
    ids.length === 0 ? { artifacts: [] } : await run.store.getArtifactsByID({ artifact_ids: ids })
  const byId = new Map(artifacts.map((a) => [a.id as bigint, a]))
  const inputs: Record<string, Artifact[]> = {}
  for (const [key, list] of Object.entries(wanted)) {
    inputs[key] = list.map((id) => {
      const artifact = byId.get(id)
      if (artifact === undefined) throw new Error(`input ${key}: artifact ${id} is not in the store`)
      return artifact
    })
    if (inputs[key].length === 0) throw new Error(`input ${key}: the upstream node produced no artifact`)
  }
  return inputs
}

const keyed = (outputs: Readonly<Record<string, readonly { id?: bigint | undefined }[]>>): KeyedArtifact[] =>
  Object.entries(outputs).flatMap(([key, list]) =>
    list.map((artifact, index) => ({ key, index, artifactId: artifact.id as bigint })),
  )

// Records the hit and reports it; the reused artifacts stay as they are (TFX creates nothing).
async function reuseCachedOutputs(
  run: NodeRun,
  registered: RegisteredExecution,
  cacheKey: string,
  hit: CachedOutputs,
): Promise<Pick<NodeResult, 'outputs' | 'reusedExecutionId' | 'savedMs'>> {
  await publishCachedExecution(run.store, run.types, registered, cacheKey, keyed(hit.outputs))
  // Only for the report: failing to find the producer must not fail a recorded hit.
  const savedMs = await producerDurationMs(run.store, hit).catch(() => undefined)
  const outputs: Record<string, NodeOutput[]> = {}
  for (const [key, list] of Object.entries(hit.outputs)) {
    outputs[key] = list.map((a) => ({ id: a.id as bigint, uri: a.uri ?? '' }))
  }
  return {
    outputs,
    reusedExecutionId: hit.execution.id as bigint,
    ...(savedMs === undefined ? {} : { savedMs }),
  }
}

// Runs the step (with retries and time limit) into a workspace, then publishes its outputs on
// disk and in the store, filed under `filedKey` unless it is undefined. Disk first: an artifact
// must never be LIVE in the store before its payload is in place.
async function runStep(
  run: NodeRun,
  n: PipelineNode,
  registered: RegisteredExecution,
  inputs: Readonly<Record<string, readonly Artifact[]>>,
  current: { workspace?: OutputWorkspace | undefined; attempts: number },
  filedKey: string | undefined,
  cacheMiss: string,
): Promise<Record<string, NodeOutput[]>> {
  const executionId = registered.execution.id as bigint
  const outputs = Object.entries(n.step.outputs)
  const singleKeys = outputs.filter(([, spec]) => !isArtifactList(spec)).map(([key]) => key)
  const listKeys = outputs.filter(([, spec]) => isArtifactList(spec)).map(([key]) => key)
  // A single input is the one artifact its key holds; a list input all of them, in order.
  const inputViews: Record<string, InputArtifact | readonly InputArtifact[]> = {}
  for (const [key, list] of Object.entries(inputs)) {
    const views: InputArtifact[] = []
    for (const artifact of list) {
      const fingerprint = artifact.custom_properties?.[CUSTOM_PROPERTY.contentFingerprint]?.string_value
      views.push(inputView(artifact, await run.artifacts.localPath(artifact.uri ?? '', fingerprint)))
    }
    const spec = n.step.inputs[key]
    inputViews[key] =
      spec !== undefined && isArtifactList(spec) ? Object.freeze(views) : (views[0] as InputArtifact)
  }
  const log = (message: string): void =>
    run.emit({ kind: 'node-log', pipelineName: run.pipeline.name, runId: run.runId, nodeId: n.id, message })
  const { retries = 0, backoffMs = 1000, timeoutMs } = n.retry
  let singles: Record<string, OutputArtifact> = {}
  let lists: Record<string, OutputArtifact[]> = {}
  let workspace: OutputWorkspace
  for (let attempt = 1; ; attempt++) {
    workspace = await run.artifacts.createWorkspace(n.id, executionId, singleKeys, attempt, listKeys)
    const attemptWorkspace = workspace
    current.workspace = workspace
    current.attempts = attempt
    singles = {}
    lists = {}
    const outputViews: Record<string, OutputArtifact | OutputArtifactList> = {}
    for (const key of singleKeys) {
      singles[key] = { dir: workspace.dirs[key] as string, properties: {}, customProperties: {} }
      outputViews[key] = singles[key]
    }
    for (const key of listKeys) {
      const items: OutputArtifact[] = []
      lists[key] = items
      outputViews[key] = Object.freeze({
        items,
        add: async (): Promise<OutputArtifact> => {
          const item: OutputArtifact = {
            dir: await attemptWorkspace.addItem(key),
            properties: {},
            customProperties: {},
          }
          items.push(item)
          return item
        },
      })
    }
    const controller = new AbortController()
    const context: StepContext<ArtifactSignature, ArtifactSignature, Parameters> = {
      inputs: Object.freeze(inputViews) as StepContext<
        ArtifactSignature,
        ArtifactSignature,
        Parameters
      >['inputs'],
      outputs: Object.freeze(outputViews) as StepContext<
        ArtifactSignature,
        ArtifactSignature,
        Parameters
      >['outputs'],
      parameters: n.parameters,
      pipelineName: run.pipeline.name,
      runId: run.runId,
      nodeId: n.id,
      executionId,
      log,
      signal: controller.signal,
      attempt,
    }
    try {
      await withTimeout(
        Promise.resolve().then(() => n.step.run(context)),
        timeoutMs,
        controller,
        n.id,
      )
      break
    } catch (error) {
      if (attempt > retries) throw error
      await workspace.discard()
      const delay = backoffMs * 2 ** (attempt - 1)
      const reason = error instanceof Error ? error.message : String(error)
      log(`attempt ${attempt} of ${retries + 1} failed (${reason.split('\n')[0]}); retrying in ${delay} ms`)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }

  // Everything is checked before anything is moved, so a bad output leaves no trace. An empty
  // list would leave its key without events, and no later run could tell it from a lost output.
  const empty = listKeys.find((key) => lists[key]?.length === 0)
  if (empty !== undefined) {
    throw invalidArgument(`Node ${n.id}: list output ${empty} holds no artifact; add at least one.`)
  }
  const views: [string, OutputArtifact[]][] = outputs.map(([key]) => [
    key,
    singles[key] === undefined ? (lists[key] as OutputArtifact[]) : [singles[key]],
  ])
  const records = views.map(([key, list]) => list.map((view) => outputRecord(n, key, view)))
  const published = await workspace.publish()
  const newOutputs: NewOutput[] = views.flatMap(([key], i) =>
    (records[i] as Omit<Artifact, 'uri'>[]).map((record, index) => {
      const output = published[key]?.[index] as PublishedOutput
      return {
        key,
        index,
        type: itemTypeOf(n.step.outputs[key] as ArtifactSpec) as NewOutput['type'],
        artifact: {
          ...record,
          uri: output.uri,
          custom_properties: {
            ...record.custom_properties,
            [CUSTOM_PROPERTY.contentFingerprint]: { string_value: output.fingerprint },
          },
        },
      }
    }),
  )
  const ids = await publishSucceededExecution(
    run.store,
    run.types,
    registered,
    filedKey,
    newOutputs,
    cacheMiss,
  )
  const result: Record<string, NodeOutput[]> = {}
  for (const [key] of views) {
    result[key] = (published[key] ?? []).map((output, index) => ({
      id: ids[key]?.[index] as bigint,
      uri: output.uri,
    }))
  }
  return result
}

// Runs `work`, failing with DEADLINE_EXCEEDED (and aborting the step's signal) after `timeoutMs`.
// JavaScript cannot stop a running function: a step that ignores its signal keeps running in
// the background, writing only into its own attempt's workspace.
async function withTimeout(
  work: Promise<void>,
  timeoutMs: number | undefined,
  controller: AbortController,
  nodeId: string,
): Promise<void> {
  if (timeoutMs === undefined) return work
  // A step that fails after its deadline has nobody left to tell.
  work.catch(() => undefined)
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new MlmdError(
        Code.DeadlineExceeded,
        `Node ${nodeId}: the step took longer than ${timeoutMs} ms.`,
      )
      controller.abort(error)
      reject(error)
    }, timeoutMs)
  })
  try {
    await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

// One node of one run, as the module comment describes. Never throws: a failure becomes a
// `failed` result, recorded in the store when the execution was registered.
async function executeNode(run: NodeRun, n: PipelineNode): Promise<NodeResult> {
  const started = performance.now()
  let registered: RegisteredExecution | undefined
  let cacheKey: string | undefined
  const current: { workspace?: OutputWorkspace | undefined; attempts: number } = { attempts: 0 }
  let cacheMiss: string | undefined
  // A run with caching off treats `use` nodes as `refresh`; `off` nodes stay off.
  const policy = !run.enableCache && n.cache === 'use' ? 'refresh' : n.cache
  let filedKey: string | undefined
  try {
    const inputs = await readInputs(run, n)
    const ingredients = cacheKeyIngredients(run.pipeline, n, inputs)
    cacheKey = computeCacheKey(ingredients)
    registered = await registerExecution(run.store, run.types, {
      step: n.step,
      parameters: n.parameters,
      contexts: run.contexts,
      nodeContextName: nodeContextName(run.pipeline.name, n.id),
      inputs: keyed(inputs),
      cacheKeyIngredients: canonicalJson(cacheKeyIngredientsRecord(ingredients)),
    })
    const executionId = registered.execution.id as bigint
    run.emit({
      kind: 'node-started',
      pipelineName: run.pipeline.name,
      runId: run.runId,
      nodeId: n.id,
      executionId,
      cacheKey,
    })

    // With caching off the lookup is skipped, but the execution is still filed under its cache
    // context when published, so it can serve later runs (TFX does the same).
    filedKey = policy === 'off' ? undefined : cacheKey
    let hit: CachedOutputs | undefined
    if (!run.enableCache) cacheMiss = 'caching is off for this run'
    else if (policy === 'refresh') cacheMiss = 'the cache policy of this step is refresh'
    else if (policy === 'off') cacheMiss = 'the cache policy of this step is off'
    else {
      const cacheContext = await findContext(run.store, CONTEXT_TYPE.executionCache, cacheKey)
      if (cacheContext?.id === undefined) cacheMiss = 'no earlier execution has this cache key'
      else {
        const lookup = await lookUpCache(
          run.store,
          cacheContext.id,
          outputSkeletons(n),
          run.artifacts.outputProblem,
        )
        hit = lookup.hit
        cacheMiss =
          lookup.rejected.length === 0
            ? 'no successful earlier execution has this cache key'
            : `no reusable execution with this cache key: ${lookup.rejected.join('; ')}`
      }
    }
    if (hit !== undefined) {
      const reused = await reuseCachedOutputs(run, registered, cacheKey, hit)
      return {
        nodeId: n.id,
        status: 'cached',
        executionId,
        cacheKey,
        durationMs: performance.now() - started,
        ...reused,
      }
    }

    const outputs = await runStep(run, n, registered, inputs, current, filedKey, cacheMiss ?? '')
    return {
      nodeId: n.id,
      status: 'ran',
      executionId,
      cacheKey,
      durationMs: performance.now() - started,
      outputs,
      attempts: current.attempts,
      ...(cacheMiss === undefined ? {} : { cacheMiss }),
    }
  } catch (error) {
    // Partial outputs go first, so a FAILED record never points at leftovers.
    await current.workspace?.discard().catch(() => undefined)
    let recordError: unknown
    if (registered !== undefined && cacheKey !== undefined) {
      await publishFailedExecution(run.store, run.types, registered, filedKey, error, cacheMiss).catch(
        (e: unknown) => {
          recordError = e
        },
      )
    }
    return {
      nodeId: n.id,
      status: 'failed',
      ...(registered?.execution.id === undefined ? {} : { executionId: registered.execution.id }),
      ...(cacheKey === undefined ? {} : { cacheKey }),
      ...(cacheMiss === undefined ? {} : { cacheMiss }),
      ...(current.attempts === 0 ? {} : { attempts: current.attempts }),
      durationMs: performance.now() - started,
      outputs: {},
      // If the failure could not be recorded the execution stays RUNNING, which never
      // qualifies for the cache; the caller learns both errors.
      error:
        recordError === undefined
          ? error
          : new AggregateError([error, recordError], 'the step failed, and recording the failure failed too'),
    }
  }
}
