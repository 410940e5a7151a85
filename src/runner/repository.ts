/**
 * The repository: what the pipeline runner recorded, read back by name. Pipelines, their runs
 * newest first (status, steps, cache hits, time saved) and a run's outputs by node and key,
 * loaded from the artifact store and checked against their fingerprints.
 *
 * It reads the records TFX's launcher writes (and our runner does, see `tfx-records.ts`):
 * a `pipeline` context per pipeline, a `pipeline_run` child context per run, one execution
 * per step and run linked to the `node` context `<pipeline>.<node id>`, and OUTPUT events
 * with `[key, index]` paths. Everything goes through {@link AsyncMetadataStore}, so it works
 * the same on an in-process file and through `mlmd-ts serve`.
 *
 * @example
 * ```ts
 * const repo = await openRepository({ store, root: 's3://ml/pipelines' })
 * for (const p of await repo.pipelines()) console.log(p.name, p.runCount)
 * const [latest] = await repo.runs('seed-a', { limit: 1 })
 * console.log(latest.status, latest.cacheHits, latest.savedMs)
 * const model = await latest.output(train.outputs.model) // typed by the node's output
 * const json = await readFile(path.join(model.dir, 'model.json'), 'utf8')
 * repo.close()
 * ```
 */
import { Code, MlmdError } from '../errors.js'
import {
  type Artifact,
  Artifact_State,
  type Context,
  type Event,
  Event_Type,
  type Execution,
  Execution_State,
  type Value,
} from '../proto/messages.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { type ArtifactStore, type OpenArtifactStoreOptions, openArtifactStore } from './artifact-store.js'
import { type ArtifactType, valueToPlain } from './artifact-type.js'
import { executionsOfContext } from './cache-lookup.js'
import type { ListOutputRef, OutputRef } from './pipeline.js'
import type { NodeOutput } from './pipeline-runner.js'
import type { InputArtifact } from './step.js'
import { CONTEXT_TYPE, CUSTOM_PROPERTY } from './tfx-records.js'

/** Options of {@link openRepository}. */
export interface RepositoryOptions {
  /** The metadata store the runs were recorded in: in-process or a gRPC client. */
  readonly store: AsyncMetadataStore
  /**
   * The pipeline root the runs published to (a folder or `s3://bucket/prefix`), to load
   * outputs from. Ignored when `artifactStore` is given.
   */
  readonly root?: string
  /** An artifact store to load outputs with, instead of opening one for `root`. */
  readonly artifactStore?: ArtifactStore
  /** For an `s3://` root: this machine's download folder and the S3 connection. */
  readonly artifactStoreOptions?: OpenArtifactStoreOptions
}

/** A pipeline as the store knows it. */
export interface PipelineSummary {
  readonly name: string
  /** The id of its `pipeline` context. */
  readonly contextId: bigint
  /** When its first run was recorded. */
  readonly createdAt: Date | undefined
  readonly runCount: number
  /** The newest run's id and start, if any. */
  readonly latestRun: { readonly runId: string; readonly startedAt: Date | undefined } | undefined
}

/**
 * What became of a step in a run: `ran` (COMPLETE), `cached` (CACHED), `failed` (FAILED),
 * `canceled` (CANCELED), or `running` (RUNNING, NEW or no state: still running, or its
 * process died before it recorded an outcome).
 */
export type RunStepStatus = 'ran' | 'cached' | 'failed' | 'canceled' | 'running'

/** One step of a recorded run. */
export interface RunStep {
  readonly nodeId: string
  readonly status: RunStepStatus
  readonly executionId: bigint
  /** The execution record, as the store returned it. */
  readonly execution: Execution
  /** From the execution's registration to its last update. */
  readonly durationMs: number | undefined
  /** The step's output artifacts by key, in index order. */
  readonly outputs: Readonly<Record<string, readonly NodeOutput[]>>
  /**
   * For `cached`: the COMPLETE execution that produced the reused outputs (a run's
   * `NodeResult.reusedExecutionId` may name an intermediate CACHED one instead).
   */
  readonly producerExecutionId?: bigint
  /** For `cached`: how long that execution took, so the time this run saved. */
  readonly savedMs?: number
}

/**
 * The status of a recorded run: `FAILED` if a step failed or was canceled, else `RUNNING`
 * if a step has no outcome yet (a run in progress, or one whose process died), else
 * `COMPLETE`. Steps skipped after a failure leave no record.
 */
export type RunStatus = 'COMPLETE' | 'FAILED' | 'RUNNING'

/** One recorded run of a pipeline, with its steps; its outputs load on demand. */
export interface PipelineRun {
  readonly pipelineName: string
  /** The run id (the `pipeline_run` context's name). */
  readonly runId: string
  /** The id of its `pipeline_run` context. */
  readonly contextId: bigint
  readonly status: RunStatus
  readonly startedAt: Date | undefined
  /** From the run's start to the last update of any of its steps. */
  readonly durationMs: number | undefined
  /** Its steps in the order they were registered. */
  readonly steps: readonly RunStep[]
  /** How many steps reused cached outputs. */
  readonly cacheHits: number
  /** The step time the cache hits saved: the sum of the reused executions' durations. */
  readonly savedMs: number
  /** The step of node `nodeId`, if it was recorded in this run. */
  step(nodeId: string): RunStep | undefined
  /**
   * The one artifact under a step's output key, its payload loaded: `dir` is a local path
   * holding it (the artifact's own folder under a local root, a verified download under an
   * S3 root), the same view a step gets of its inputs. Pass the node's output reference
   * (`trainNode.outputs.model`) or an artifact type to get it typed and its type checked.
   * @throws NotFound if the run has no such step, or the step no such output (it failed).
   * @throws InvalidArgument if the output holds another artifact type than asked for.
   * @throws FailedPrecondition if the output holds several artifacts (use `outputs`), or the
   *   artifact is not LIVE (marked by `mlmd-ts verify --mark`, deleted…).
   * @throws DataLoss if the payload is missing or no longer matches its fingerprint.
   */
  output<T extends ArtifactType>(ref: OutputRef<T>): Promise<InputArtifact<T>>
  output<T extends ArtifactType>(nodeId: string, key: string, type: T): Promise<InputArtifact<T>>
  output(nodeId: string, key: string): Promise<InputArtifact>
  /**
   * Every artifact under a step's output key, in index order, payloads loaded (see `output`):
   * a list output's items, or a single output as a list of one.
   * @throws as `output`, except that several artifacts are what it is for.
   */
  outputs<T extends ArtifactType>(ref: OutputRef<T> | ListOutputRef<T>): Promise<readonly InputArtifact<T>[]>
  outputs<T extends ArtifactType>(nodeId: string, key: string, type: T): Promise<readonly InputArtifact<T>[]>
  outputs(nodeId: string, key: string): Promise<readonly InputArtifact[]>
}

/** Which runs {@link Repository.runs} returns. */
export interface RunsQuery {
  /** At most this many, newest first; default 20. */
  readonly limit?: number
}

/** Pipelines, runs and outputs recorded in one metadata store. */
export interface Repository {
  /** Every pipeline with at least one recorded run (a `pipeline` context), by name. */
  pipelines(): Promise<readonly PipelineSummary[]>
  /**
   * The pipeline's runs, newest first.
   * @throws NotFound if no pipeline has this name.
   * @throws InvalidArgument if `limit` is not a positive integer.
   */
  runs(pipelineName: string, query?: RunsQuery): Promise<readonly PipelineRun[]>
  /**
   * One run by its id.
   * @throws NotFound if the pipeline has no run with this id.
   */
  run(pipelineName: string, runId: string): Promise<PipelineRun>
  /**
   * The pipeline's newest run.
   * @throws NotFound if there is no such pipeline, or it has no run.
   */
  latestRun(pipelineName: string): Promise<PipelineRun>
  /** Releases the artifact store it opened (not the metadata store, which the caller owns). */
  close(): void
}

const notFound = (message: string): MlmdError => new MlmdError(Code.NotFound, message)

const time = (ms: bigint | undefined): Date | undefined =>
  ms === undefined ? undefined : new Date(Number(ms))

function durationOf(e: Execution): number | undefined {
  if (e.create_time_since_epoch === undefined || e.last_update_time_since_epoch === undefined)
    return undefined
  return Number(e.last_update_time_since_epoch - e.create_time_since_epoch)
}

function stepStatus(state: Execution_State | undefined): RunStepStatus {
  switch (state) {
    case Execution_State.COMPLETE:
      return 'ran'
    case Execution_State.CACHED:
      return 'cached'
    case Execution_State.FAILED:
      return 'failed'
    case Execution_State.CANCELED:
      return 'canceled'
    default:
      return 'running'
  }
}

// Newest first: by creation time, then by id (two runs may start in the same millisecond).
function newestFirst(a: Context, b: Context): number {
  const at = a.create_time_since_epoch ?? 0n
  const bt = b.create_time_since_epoch ?? 0n
  if (at !== bt) return at > bt ? -1 : 1
  return (a.id ?? 0n) > (b.id ?? 0n) ? -1 : 1
}

// The output key and index of an OUTPUT event: the first [key, index] pair of its path.
function keyAndIndex(event: Event): { key: string; index: number } | undefined {
  const [first, second] = event.path?.steps ?? []
  if (first?.key === undefined) return undefined
  return { key: first.key, index: second?.index === undefined ? 0 : Number(second.index) }
}

function plainMap(values: Readonly<Record<string, Value>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(values ?? {})) out[key] = valueToPlain(value)
  return out
}

/**
 * Opens the repository over a metadata store and the artifact store of `root`.
 * @throws InvalidArgument if neither `root` nor `artifactStore` is given.
 */
export async function openRepository(options: RepositoryOptions): Promise<Repository> {
  const { store } = options
  if (options.artifactStore === undefined && options.root === undefined) {
    throw new MlmdError(Code.InvalidArgument, 'openRepository needs a root or an artifactStore.')
  }
  const artifacts =
    options.artifactStore ?? (await openArtifactStore(options.root as string, options.artifactStoreOptions))
  const ownsArtifacts = options.artifactStore === undefined

  async function pipelineContext(name: string): Promise<Context> {
    const { context } = await store.getContextByTypeAndName({
      type_name: CONTEXT_TYPE.pipeline,
      context_name: name,
    })
    if (context?.id === undefined) throw notFound(`No pipeline named ${name}.`)
    return context
  }

  async function runContexts(pipeline: Context): Promise<Context[]> {
    const { contexts } = await store.getChildrenContextsByContext({ context_id: pipeline.id as bigint })
    return contexts.filter((c) => c.type === CONTEXT_TYPE.pipelineRun).sort(newestFirst)
  }

  // Loads the artifacts under one output of one step: checks, then a local path per payload.
  async function load(
    run: { pipelineName: string; runId: string; steps: readonly RunStep[] },
    nodeId: string,
    key: string,
    type: ArtifactType | undefined,
  ): Promise<InputArtifact[]> {
    const step = run.steps.find((s) => s.nodeId === nodeId)
    if (step === undefined) {
      throw notFound(`Run ${run.runId} of pipeline ${run.pipelineName} has no step ${nodeId}.`)
    }
    const outputs = step.outputs[key]
    if (outputs === undefined) {
      const keys = Object.keys(step.outputs)
      throw notFound(
        `Step ${nodeId} of run ${run.runId} has no output ${key} (it ${step.status === 'ran' ? 'ran' : `is ${step.status}`}; outputs: ${keys.length === 0 ? 'none' : keys.join(', ')}).`,
      )
    }
    const { artifacts: records } = await store.getArtifactsByID({ artifact_ids: outputs.map((o) => o.id) })
    const byId = new Map(records.map((a) => [a.id as bigint, a]))
    const loaded: InputArtifact[] = []
    for (const output of outputs) {
      const artifact = byId.get(output.id)
      const where = `Output ${nodeId}.${key} of run ${run.runId} (artifact ${output.id}, ${output.uri})`
      if (artifact === undefined) throw notFound(`${where} is no longer in the store.`)
      if (type !== undefined && artifact.type !== type.name) {
        throw new MlmdError(Code.InvalidArgument, `${where} is a ${artifact.type}, not a ${type.name}.`)
      }
      if (artifact.state !== Artifact_State.LIVE) {
        const state = Object.entries(Artifact_State).find(([, v]) => v === artifact.state)?.[0] ?? 'UNKNOWN'
        throw new MlmdError(Code.FailedPrecondition, `${where} is ${state}, not LIVE.`)
      }
      loaded.push(await payloadOf(artifact, where))
    }
    return loaded
  }

  async function payloadOf(artifact: Artifact, where: string): Promise<InputArtifact> {
    const uri = artifact.uri ?? ''
    const fingerprint = artifact.custom_properties?.[CUSTOM_PROPERTY.contentFingerprint]?.string_value
    let dir: string
    try {
      // A remote payload is verified while it is downloaded; a local one is used in place, so
      // it is checked here.
      if (!uri.startsWith('s3://')) {
        const problem = await artifacts.outputProblem(uri, fingerprint)
        if (problem !== undefined) throw new Error(problem)
      }
      dir = await artifacts.localPath(uri, fingerprint)
    } catch (error) {
      throw new MlmdError(
        Code.DataLoss,
        `${where}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    }
    return Object.freeze({
      id: artifact.id as bigint,
      uri,
      dir,
      type: artifact.type ?? '',
      properties: Object.freeze(plainMap(artifact.properties)) as InputArtifact['properties'],
      customProperties: Object.freeze(plainMap(artifact.custom_properties)),
      record: artifact,
    })
  }

  // One run's steps and totals: a fixed number of reads plus one per step (its node context).
  async function summarize(pipelineName: string, context: Context): Promise<PipelineRun> {
    const executions = (await executionsOfContext(store, context.id as bigint)).sort((a, b) =>
      (a.id as bigint) < (b.id as bigint) ? -1 : 1,
    )
    const ids = executions.map((e) => e.id as bigint)
    const [contextsOf, { events }] = await Promise.all([
      Promise.all(ids.map(async (id) => (await store.getContextsByExecution({ execution_id: id })).contexts)),
      ids.length === 0 ? { events: [] as Event[] } : store.getEventsByExecutionIDs({ execution_ids: ids }),
    ])
    const outputsOf = new Map<bigint, Record<string, { index: number; id: bigint }[]>>()
    for (const event of events) {
      const place = event.type === Event_Type.OUTPUT ? keyAndIndex(event) : undefined
      if (place === undefined) continue
      const byKey = outputsOf.get(event.execution_id as bigint) ?? {}
      const list = byKey[place.key] ?? []
      list.push({ index: place.index, id: event.artifact_id as bigint })
      byKey[place.key] = list
      outputsOf.set(event.execution_id as bigint, byKey)
    }
    const artifactIds = [
      ...new Set(events.filter((e) => e.type === Event_Type.OUTPUT).map((e) => e.artifact_id as bigint)),
    ]
    const { artifacts: outputArtifacts } =
      artifactIds.length === 0
        ? { artifacts: [] as Artifact[] }
        : await store.getArtifactsByID({ artifact_ids: artifactIds })
    const uriOf = new Map(outputArtifacts.map((a) => [a.id as bigint, a.uri ?? '']))
    const producers = await producersOf(
      executions.filter((e) => e.last_known_state === Execution_State.CACHED),
      outputsOf,
    )

    const prefix = `${pipelineName}.`
    const steps: RunStep[] = executions.map((execution, i) => {
      const nodeName = contextsOf[i]?.find((c) => c.type === CONTEXT_TYPE.node)?.name
      const nodeId =
        nodeName === undefined
          ? `execution ${execution.id}`
          : nodeName.startsWith(prefix)
            ? nodeName.slice(prefix.length)
            : nodeName
      const outputs: Record<string, NodeOutput[]> = {}
      for (const [key, list] of Object.entries(outputsOf.get(execution.id as bigint) ?? {})) {
        outputs[key] = list
          .sort((a, b) => a.index - b.index)
          .map((o) => ({ id: o.id, uri: uriOf.get(o.id) ?? '' }))
      }
      const producer = producers.get(execution.id as bigint)
      const saved = producer === undefined ? undefined : durationOf(producer)
      return {
        nodeId,
        status: stepStatus(execution.last_known_state),
        executionId: execution.id as bigint,
        execution,
        durationMs: durationOf(execution),
        outputs,
        ...(producer === undefined ? {} : { producerExecutionId: producer.id as bigint }),
        ...(saved === undefined ? {} : { savedMs: saved }),
      }
    })

    const ends = executions.flatMap((e) =>
      e.last_update_time_since_epoch === undefined ? [] : [Number(e.last_update_time_since_epoch)],
    )
    const started = context.create_time_since_epoch
    const status: RunStatus = steps.some((s) => s.status === 'failed' || s.status === 'canceled')
      ? 'FAILED'
      : steps.some((s) => s.status === 'running')
        ? 'RUNNING'
        : 'COMPLETE'
    const runId = context.name ?? ''
    const base = { pipelineName, runId, steps }
    const run: PipelineRun = {
      pipelineName,
      runId,
      contextId: context.id as bigint,
      status,
      startedAt: time(started),
      durationMs:
        started === undefined || ends.length === 0 ? undefined : Math.max(...ends) - Number(started),
      steps,
      cacheHits: steps.filter((s) => s.status === 'cached').length,
      savedMs: steps.reduce((sum, s) => sum + (s.savedMs ?? 0), 0),
      step: (nodeId) => steps.find((s) => s.nodeId === nodeId),
      output: (async (first: string | OutputRef, key?: string, type?: ArtifactType) => {
        const [nodeId, outputKey, wanted] =
          typeof first === 'string' ? [first, key as string, type] : [first.node, first.key, first.type]
        const loaded = await load(base, nodeId, outputKey, wanted)
        if (loaded.length !== 1) {
          throw new MlmdError(
            Code.FailedPrecondition,
            `Output ${nodeId}.${outputKey} of run ${runId} holds ${loaded.length} artifacts; load them with outputs().`,
          )
        }
        return loaded[0]
      }) as PipelineRun['output'],
      outputs: (async (first: string | OutputRef | ListOutputRef, key?: string, type?: ArtifactType) => {
        const [nodeId, outputKey, wanted] =
          typeof first === 'string' ? [first, key as string, type] : [first.node, first.key, first.type]
        return Object.freeze(await load(base, nodeId, outputKey, wanted))
      }) as PipelineRun['outputs'],
    }
    return Object.freeze(run)
  }

  // For each cached execution, the COMPLETE execution that produced the outputs it reused (the
  // producer of its first output artifact): three reads for any number of cached steps.
  async function producersOf(
    cached: readonly Execution[],
    outputsOf: ReadonlyMap<bigint, Record<string, { index: number; id: bigint }[]>>,
  ): Promise<Map<bigint, Execution>> {
    const firstOutput = new Map<bigint, bigint>()
    for (const e of cached) {
      const ids = Object.values(outputsOf.get(e.id as bigint) ?? {}).flatMap((list) => list.map((o) => o.id))
      if (ids.length > 0)
        firstOutput.set(e.id as bigint, [...ids].sort((a, b) => (a < b ? -1 : 1))[0] as bigint)
    }
    const found = new Map<bigint, Execution>()
    if (firstOutput.size === 0) return found
    const { events } = await store.getEventsByArtifactIDs({
      artifact_ids: [...new Set(firstOutput.values())],
    })
    const outputEvents = events.filter((e) => e.type === Event_Type.OUTPUT)
    const { executions } = await store.getExecutionsByID({
      execution_ids: [...new Set(outputEvents.map((e) => e.execution_id as bigint))],
    })
    const complete = new Map(
      executions
        .filter((e) => e.last_known_state === Execution_State.COMPLETE)
        .map((e) => [e.id as bigint, e]),
    )
    for (const [executionId, artifactId] of firstOutput) {
      const producer = outputEvents
        .filter((e) => e.artifact_id === artifactId)
        .map((e) => complete.get(e.execution_id as bigint))
        .find((e) => e !== undefined)
      if (producer !== undefined) found.set(executionId, producer)
    }
    return found
  }

  return {
    async pipelines() {
      const { contexts } = await store.getContextsByType({ type_name: CONTEXT_TYPE.pipeline })
      const sorted = [...contexts].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1))
      return Promise.all(
        sorted.map(async (pipeline) => {
          const runs = await runContexts(pipeline)
          const newest = runs[0]
          return Object.freeze({
            name: pipeline.name ?? '',
            contextId: pipeline.id as bigint,
            createdAt: time(pipeline.create_time_since_epoch),
            runCount: runs.length,
            latestRun:
              newest === undefined
                ? undefined
                : { runId: newest.name ?? '', startedAt: time(newest.create_time_since_epoch) },
          })
        }),
      )
    },
    async runs(pipelineName, query = {}) {
      const limit = query.limit ?? 20
      if (!Number.isInteger(limit) || limit < 1) {
        throw new MlmdError(Code.InvalidArgument, `limit must be a positive integer, not ${limit}.`)
      }
      const runs = await runContexts(await pipelineContext(pipelineName))
      return Promise.all(runs.slice(0, limit).map((r) => summarize(pipelineName, r)))
    },
    async run(pipelineName, runId) {
      const runs = await runContexts(await pipelineContext(pipelineName))
      const context = runs.find((r) => r.name === runId)
      if (context === undefined) throw notFound(`Pipeline ${pipelineName} has no run ${runId}.`)
      return summarize(pipelineName, context)
    },
    async latestRun(pipelineName) {
      const [newest] = await runContexts(await pipelineContext(pipelineName))
      if (newest === undefined) throw notFound(`Pipeline ${pipelineName} has no run.`)
      return summarize(pipelineName, newest)
    },
    close() {
      if (ownsArtifacts) artifacts.close?.()
    },
  }
}
