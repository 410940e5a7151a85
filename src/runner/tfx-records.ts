/**
 * The MLMD records of pipeline runs, in the shape TFX's portable launcher writes them (TFX's
 * `portable/mlmd/context_lib.py` and `cache_utils.py`), so Python TFX-style readers cannot tell
 * our runs from theirs:
 *
 * - context types `pipeline`, `pipeline_run`, `node`, `execution_cache`, without properties;
 *   contexts named `<pipeline>`, `<run id>`, `<pipeline>.<node id>` and `<cache key>`, and a
 *   ParentContext link pipeline → run;
 * - one execution per node and run, of the step's execution type, named by a random UUID,
 *   RUNNING when registered with its INPUT events and the pipeline, run and node contexts,
 *   then COMPLETE (with new LIVE outputs), CACHED (with OUTPUT events to reused outputs) or
 *   FAILED (with `__execution_result__`), each time together with the cache context;
 * - events with `[key, index]` paths, one event per artifact (several pairs when an artifact
 *   sits under several keys);
 * - every state change is one `PutExecution`, hence one transaction.
 *
 * Everything goes through {@link AsyncMetadataStore}, so it works the same against an
 * in-process file and a remote server.
 */
import { randomUUID } from 'node:crypto'
import { Code, MlmdError } from '../errors.js'
import {
  type Artifact,
  Artifact_State,
  type Context,
  type Event,
  Event_Type,
  type Execution,
  Execution_State,
  ExecutionType_SystemDefinedBaseType,
  type PutExecutionRequest,
  type Value,
} from '../proto/messages.js'
import { interceptStore, type RetryPolicy, retryCalls } from '../store/interceptors.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { type ArtifactType, artifactTypeToMessage } from './artifact-type.js'
import { CACHE_KEY_VERSION } from './cache-key.js'
import { type Parameters, parameterToCustomProperties } from './parameters.js'
import type { Step } from './step.js'

/** TFX's context type names (`tfx/dsl/compiler/constants.py`). */
export const CONTEXT_TYPE = {
  pipeline: 'pipeline',
  pipelineRun: 'pipeline_run',
  node: 'node',
  executionCache: 'execution_cache',
} as const

/**
 * The `tfx_version` recorded on outputs. Python's artifact readers treat an artifact without
 * one as written before TFX 0.29 and look for old payload layouts (`uri/train` instead of
 * `uri/Split-train`), so it must be a PEP 440 version ≥ 0.29: the TFX release whose layouts
 * this runner's examples follow.
 */
export const TFX_VERSION = '1.15.0'

/** This runner's version, recorded separately from `tfx_version` (keep in step with package.json). */
export const RUNNER_VERSION = '0.1.0'

/** Custom property names the runner writes. `__execution_result__` and `tfx_version` are TFX's. */
export const CUSTOM_PROPERTY = {
  tfxVersion: 'tfx_version',
  executionResult: '__execution_result__',
  runnerVersion: 'tsrunner_version',
  codeFingerprint: 'tsrunner_code_fingerprint',
  cacheKeyVersion: 'tsrunner_cache_key_version',
  /** `native`: keys of TS steps, not comparable with TFX-computed keys (conventions §6.5). */
  cacheKeyMode: 'tsrunner_cache_key_mode',
  contentFingerprint: 'tsrunner_content_fingerprint',
  /** What the execution's cache key was made of (canonical JSON, see `cacheKeyIngredientsRecord`). */
  cacheKeyIngredients: 'tsrunner_cache_key_ingredients',
  /** Why an execution that ran did not reuse a cached one (absent on CACHED executions). */
  cacheMiss: 'tsrunner_cache_miss',
  /** Set by `mlmd-ts verify --mark` on an artifact whose payload is lost or changed. */
  verifyProblem: 'tsrunner_verify_problem',
} as const

/** The name of a node's `node` context. */
export const nodeContextName = (pipelineName: string, nodeId: string): string => `${pipelineName}.${nodeId}`

// TFX registers every write with these options (conventions §1.6 step 3).
const PUT_OPTIONS: NonNullable<PutExecutionRequest['options']> = {
  reuse_context_if_already_exist: true,
  reuse_artifact_if_already_exist_by_external_id: true,
  force_reuse_context: true,
}

const isCode = (error: unknown, code: Code): boolean => error instanceof MlmdError && error.code === code

/**
 * How the runner retries its `putExecution` writes: answered ABORTED (a concurrent writer
 * created the same context, or held the lock), up to 5 attempts, 10 ms pauses doubling to 40 ms,
 * as MLMD's clients do. The gRPC client retries on its own too; the in-process store does not.
 */
export const PUBLISH_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMs: 10,
  multiplier: 2,
  maxBackoffMs: 40,
  jitter: 'none',
  codes: [Code.Aborted],
}

const publishingStores = new WeakMap<AsyncMetadataStore, AsyncMetadataStore>()

// The store through which the runner registers and publishes executions.
function publishing(store: AsyncMetadataStore): AsyncMetadataStore {
  let retried = publishingStores.get(store)
  if (retried === undefined) {
    retried = interceptStore(store, [retryCalls(PUBLISH_RETRY_POLICY)])
    publishingStores.set(store, retried)
  }
  return retried
}

/**
 * Registers types the way TFX's `register_type_if_not_exist` does: use the stored type of that
 * name if it declares at least our properties with the same kinds, else put ours with
 * `can_add_fields` and `can_omit_fields`. Ids are remembered per registry.
 */
export interface TypeRegistry {
  artifactTypeId(type: ArtifactType): Promise<bigint>
  executionTypeId(step: Step): Promise<bigint>
  contextTypeId(name: string): Promise<bigint>
}

function declares(
  stored: Readonly<Record<string, number>> | undefined,
  wanted: Readonly<Record<string, number>>,
): boolean {
  return Object.entries(wanted).every(([key, kind]) => stored?.[key] === kind)
}

/** A {@link TypeRegistry} over `store`. */
export function createTypeRegistry(store: AsyncMetadataStore): TypeRegistry {
  const ids = new Map<string, Promise<bigint>>()
  const once = (key: string, register: () => Promise<bigint>): Promise<bigint> => {
    let id = ids.get(key)
    if (id === undefined) {
      id = register()
      ids.set(key, id)
      // A failed registration is not remembered, so the next run tries again.
      id.catch(() => ids.delete(key))
    }
    return id
  }
  const stored = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read()
    } catch (error) {
      if (isCode(error, Code.NotFound)) return undefined
      throw error
    }
  }

  return {
    artifactTypeId: (type) =>
      once(`artifact:${type.name}`, async () => {
        const wanted = artifactTypeToMessage(type)
        const existing = (await stored(() => store.getArtifactType({ type_name: type.name })))?.artifact_type
        if (
          existing?.id !== undefined &&
          declares(existing.properties, wanted.properties ?? {}) &&
          (wanted.base_type === undefined || existing.base_type === wanted.base_type)
        ) {
          return existing.id
        }
        const { type_id } = await store.putArtifactType({
          artifact_type: wanted,
          can_add_fields: true,
          can_omit_fields: true,
        })
        return type_id as bigint
      }),
    executionTypeId: (step) =>
      once(`execution:${step.type}`, async () => {
        const baseType =
          step.baseType === undefined ? undefined : ExecutionType_SystemDefinedBaseType[step.baseType]
        const existing = (await stored(() => store.getExecutionType({ type_name: step.type })))
          ?.execution_type
        if (existing?.id !== undefined && (baseType === undefined || existing.base_type === baseType)) {
          return existing.id
        }
        const { type_id } = await store.putExecutionType({
          execution_type: { name: step.type, ...(baseType === undefined ? {} : { base_type: baseType }) },
          can_add_fields: true,
          can_omit_fields: true,
        })
        return type_id as bigint
      }),
    contextTypeId: (name) =>
      once(`context:${name}`, async () => {
        const existing = (await stored(() => store.getContextType({ type_name: name })))?.context_type
        if (existing?.id !== undefined) return existing.id
        const { type_id } = await store.putContextType({
          context_type: { name },
          can_add_fields: true,
          can_omit_fields: true,
        })
        return type_id as bigint
      }),
  }
}

/** The context of this type and name, if it exists. */
export async function findContext(
  store: AsyncMetadataStore,
  typeName: string,
  name: string,
): Promise<Context | undefined> {
  const { context } = await store.getContextByTypeAndName({ type_name: typeName, context_name: name })
  return context
}

/**
 * Gets or creates a context, as TFX's `register_context_if_not_exists`: get, else put, and on
 * AlreadyExists (a concurrent creator) get again.
 */
export async function getOrCreateContext(
  store: AsyncMetadataStore,
  types: TypeRegistry,
  typeName: string,
  name: string,
): Promise<Context> {
  const found = await findContext(store, typeName, name)
  if (found !== undefined) return found
  const type_id = await types.contextTypeId(typeName)
  try {
    const { context_ids } = await store.putContexts({ contexts: [{ type_id, name }] })
    return { id: context_ids?.[0] as bigint, type_id, name, type: typeName }
  } catch (error) {
    if (!isCode(error, Code.AlreadyExists)) throw error
    const raced = await findContext(store, typeName, name)
    if (raced === undefined) throw error
    return raced
  }
}

/** A run id in the form TFX's LocalDagRunner uses: local time, ISO 8601, microseconds, no zone. */
export function localRunId(now: Date = new Date()): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0')
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
  const time = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`
  return `${date}T${time}.${pad(now.getMilliseconds() * 1000, 6)}`
}

/** The pipeline and run contexts of one run. */
export interface RunContexts {
  readonly pipeline: Context
  readonly run: Context
}

/**
 * Gets or creates the pipeline context, creates the run context and links pipeline → run.
 * Without `runId` the run is named by {@link localRunId}, moving on to the next millisecond if
 * that name is taken (run names are unique across all pipelines).
 * @throws FailedPrecondition if `runId` names an existing run: each run is recorded once.
 */
export async function createRunContexts(
  store: AsyncMetadataStore,
  types: TypeRegistry,
  pipelineName: string,
  runId: string | undefined,
): Promise<RunContexts> {
  const pipeline = await getOrCreateContext(store, types, CONTEXT_TYPE.pipeline, pipelineName)
  const runTypeId = await types.contextTypeId(CONTEXT_TYPE.pipelineRun)
  let run: Context | undefined
  for (let attempt = 0; run === undefined; attempt++) {
    const name = runId ?? localRunId()
    try {
      const { context_ids } = await store.putContexts({ contexts: [{ type_id: runTypeId, name }] })
      run = { id: context_ids?.[0] as bigint, type_id: runTypeId, name, type: CONTEXT_TYPE.pipelineRun }
    } catch (error) {
      if (!isCode(error, Code.AlreadyExists)) throw error
      if (runId !== undefined) {
        throw new MlmdError(Code.FailedPrecondition, `Run ${runId} already exists; a run id names one run.`)
      }
      if (attempt >= 100) throw error
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
  await store.putParentContexts({
    parent_contexts: [{ child_id: run.id as bigint, parent_id: pipeline.id as bigint }],
  })
  return { pipeline, run }
}

/** An artifact under a key at an index: one `[key, index]` event path pair. */
export interface KeyedArtifact {
  readonly key: string
  readonly index: number
  readonly artifactId: bigint
}

/**
 * Event-only pairs for existing artifacts: one event per artifact, whose path lists every
 * `[key, index]` it sits at (TFX's `add_event_path`; MLMD allows one event per artifact,
 * execution and type), in ascending artifact id.
 */
function eventPairs(
  artifacts: readonly KeyedArtifact[],
  type: Event_Type,
): NonNullable<PutExecutionRequest['artifact_event_pairs']> {
  const events = new Map<bigint, Event>()
  for (const { key, index, artifactId } of artifacts) {
    let event = events.get(artifactId)
    if (event === undefined) {
      event = { artifact_id: artifactId, type, path: { steps: [] } }
      events.set(artifactId, event)
    }
    event.path?.steps?.push({ key }, { index: BigInt(index) })
  }
  // In ascending artifact id: TFX's cache lookup zips a candidate's OUTPUT events (in event id
  // order) with GetArtifactsByID (in artifact id order) by position, so any other order makes
  // Python read our outputs under each other's keys.
  return [...events.values()]
    .sort((a, b) => ((a.artifact_id as bigint) < (b.artifact_id as bigint) ? -1 : 1))
    .map((event) => ({ event }))
}

/** What {@link registerExecution} needs about one node run. */
export interface ExecutionRegistration {
  readonly step: Step
  readonly parameters: Parameters
  readonly contexts: RunContexts
  readonly nodeContextName: string
  readonly inputs: readonly KeyedArtifact[]
  /** Canonical JSON of the cache key's ingredients, kept for explaining cache misses. */
  readonly cacheKeyIngredients?: string
}

/** A registered execution and the contexts it is associated with. */
export interface RegisteredExecution {
  readonly execution: Execution
  /** Pipeline, run and node contexts, with ids. */
  readonly contexts: readonly Context[]
}

/**
 * Registers a RUNNING execution with its INPUT events, associated with the pipeline, run and
 * node contexts (the node context is created here if needed), in one PutExecution.
 */
export async function registerExecution(
  store: AsyncMetadataStore,
  types: TypeRegistry,
  registration: ExecutionRegistration,
): Promise<RegisteredExecution> {
  const { step } = registration
  const custom_properties: Record<string, Value> = {}
  for (const [key, value] of Object.entries(registration.parameters)) {
    Object.assign(custom_properties, parameterToCustomProperties(key, value))
  }
  custom_properties[CUSTOM_PROPERTY.runnerVersion] = { string_value: RUNNER_VERSION }
  custom_properties[CUSTOM_PROPERTY.codeFingerprint] = { string_value: step.codeFingerprint }
  custom_properties[CUSTOM_PROPERTY.cacheKeyVersion] = { string_value: CACHE_KEY_VERSION }
  custom_properties[CUSTOM_PROPERTY.cacheKeyMode] = { string_value: 'native' }
  if (registration.cacheKeyIngredients !== undefined) {
    custom_properties[CUSTOM_PROPERTY.cacheKeyIngredients] = {
      string_value: registration.cacheKeyIngredients,
    }
  }
  const execution: Execution = {
    type_id: await types.executionTypeId(step),
    name: randomUUID(),
    last_known_state: Execution_State.RUNNING,
    custom_properties,
  }
  const nodeContext: Context = {
    type_id: await types.contextTypeId(CONTEXT_TYPE.node),
    name: registration.nodeContextName,
  }
  const contexts = [registration.contexts.pipeline, registration.contexts.run, nodeContext]
  const response = await publishing(store).putExecution({
    execution,
    artifact_event_pairs: eventPairs(registration.inputs, Event_Type.INPUT),
    contexts,
    options: PUT_OPTIONS,
  })
  const nodeId = response.context_ids?.[2]
  return {
    execution: { ...execution, id: response.execution_id as bigint },
    contexts: [contexts[0] as Context, contexts[1] as Context, { ...nodeContext, id: nodeId as bigint }],
  }
}

// The cache context goes in by name: created if it does not exist, reused if it does.
// Without a key (cache policy `off`) the execution stays out of every cache context.
async function withCacheContext(
  types: TypeRegistry,
  registered: RegisteredExecution,
  cacheKey: string | undefined,
): Promise<Context[]> {
  if (cacheKey === undefined) return [...registered.contexts]
  const type_id = await types.contextTypeId(CONTEXT_TYPE.executionCache)
  return [...registered.contexts, { type_id, name: cacheKey }]
}

/**
 * Records a cache hit: the execution becomes CACHED, gets OUTPUT events to the reused
 * artifacts (nothing new is created) and is filed under the cache context.
 */
export async function publishCachedExecution(
  store: AsyncMetadataStore,
  types: TypeRegistry,
  registered: RegisteredExecution,
  cacheKey: string,
  outputs: readonly KeyedArtifact[],
): Promise<Execution> {
  const execution: Execution = { ...registered.execution, last_known_state: Execution_State.CACHED }
  await publishing(store).putExecution({
    execution,
    artifact_event_pairs: eventPairs(outputs, Event_Type.OUTPUT),
    contexts: await withCacheContext(types, registered, cacheKey),
    options: PUT_OPTIONS,
  })
  return execution
}

function withCacheMiss(execution: Execution, cacheMiss: string | undefined): Record<string, Value> {
  const properties = { ...execution.custom_properties }
  if (cacheMiss !== undefined) properties[CUSTOM_PROPERTY.cacheMiss] = { string_value: cacheMiss }
  return properties
}

/** A new output artifact to publish under `key` at `index` (0 for a single-artifact output). */
export interface NewOutput {
  readonly key: string
  readonly index: number
  readonly type: ArtifactType
  readonly artifact: Omit<Artifact, 'type_id' | 'state'>
}

/**
 * Records a success: the execution becomes COMPLETE and its outputs are created LIVE, with
 * `tfx_version` and `tsrunner_version`, linked by OUTPUT events and attributed to all four
 * contexts. Returns the new artifact ids per output key, in index order.
 */
export async function publishSucceededExecution(
  store: AsyncMetadataStore,
  types: TypeRegistry,
  registered: RegisteredExecution,
  cacheKey: string | undefined,
  outputs: readonly NewOutput[],
  cacheMiss?: string,
): Promise<Readonly<Record<string, readonly bigint[]>>> {
  const execution: Execution = {
    ...registered.execution,
    last_known_state: Execution_State.COMPLETE,
    custom_properties: withCacheMiss(registered.execution, cacheMiss),
  }
  const pairs: NonNullable<PutExecutionRequest['artifact_event_pairs']> = []
  for (const output of outputs) {
    pairs.push({
      artifact: {
        ...output.artifact,
        type_id: await types.artifactTypeId(output.type),
        state: Artifact_State.LIVE,
        custom_properties: {
          ...output.artifact.custom_properties,
          [CUSTOM_PROPERTY.tfxVersion]: { string_value: TFX_VERSION },
          [CUSTOM_PROPERTY.runnerVersion]: { string_value: RUNNER_VERSION },
        },
      },
      event: {
        type: Event_Type.OUTPUT,
        path: { steps: [{ key: output.key }, { index: BigInt(output.index) }] },
      },
    })
  }
  const response = await publishing(store).putExecution({
    execution,
    artifact_event_pairs: pairs,
    contexts: await withCacheContext(types, registered, cacheKey),
    options: PUT_OPTIONS,
  })
  const ids: Record<string, bigint[]> = {}
  outputs.forEach((output, i) => {
    const list = ids[output.key] ?? []
    list[output.index] = response.artifact_ids?.[i] as bigint
    ids[output.key] = list
  })
  return ids
}

/**
 * `__execution_result__` as TFX writes it: `json_format.MessageToJson` of an ExecutionResult,
 * i.e. camelCase names in field-number order (result_message = 1, code = 3), two-space indent.
 * The code is the error's gRPC code when it is an {@link MlmdError}, else UNKNOWN (2).
 */
export function executionResultJson(error: unknown): string {
  const message = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
  const code = error instanceof MlmdError ? error.code : Code.Unknown
  return JSON.stringify({ resultMessage: message, code }, null, 2)
}

/**
 * Records a failure: the execution becomes FAILED with the error in `__execution_result__`,
 * filed under the cache context (so the attempt is visible there), without events.
 */
export async function publishFailedExecution(
  store: AsyncMetadataStore,
  types: TypeRegistry,
  registered: RegisteredExecution,
  cacheKey: string | undefined,
  error: unknown,
  cacheMiss?: string,
): Promise<Execution> {
  const execution: Execution = {
    ...registered.execution,
    last_known_state: Execution_State.FAILED,
    custom_properties: {
      ...withCacheMiss(registered.execution, cacheMiss),
      [CUSTOM_PROPERTY.executionResult]: { string_value: executionResultJson(error) },
    },
  }
  await publishing(store).putExecution({
    execution,
    contexts: await withCacheContext(types, registered, cacheKey),
    options: PUT_OPTIONS,
  })
  return execution
}
