/**
 * The scale dataset: pipeline runs, each a context with a chain of executions that read the
 * previous execution's outputs, built with batched PutArtifacts (each run's source examples)
 * and one PutExecution per execution (inputs by id, new outputs, the run context reused).
 * Everything is derived from the run index, so the build is the same on every machine.
 */
import {
  Artifact_State,
  type AsyncMetadataStore,
  Event_Type,
  Execution_State,
  type MetadataStore,
  PropertyType,
  type PutExecutionRequest_ArtifactAndEvent,
  type Value,
} from '../../src/index.js'

/** Executions per run (the chain length). */
export const CHAIN = 8
/** New artifacts written by each execution. */
export const OUTPUTS = 4
/** Inputs each execution (but the first) reads from its predecessor's outputs. */
export const INPUTS = 2
/** Nodes per run: the context, the source artifact, the executions and their outputs. */
export const NODES_PER_RUN = 1 + 1 + CHAIN + CHAIN * OUTPUTS
/** Source artifacts per PutArtifacts call. */
const SOURCE_BATCH = 500

const OUTPUT_TYPES = ['Model', 'Metrics', 'Examples', 'Model'] as const
const EXECUTION_TYPES = ['Transform', 'Trainer', 'Evaluator'] as const

/** A build step: runs [fromRun, toRun). */
export interface BuildStep {
  readonly fromRun: number
  readonly toRun: number
}

export interface BuildResult {
  readonly putExecutions: number
  readonly putArtifacts: number
  readonly seconds: number
}

export function runsFor(nodes: number): number {
  return Math.ceil(nodes / NODES_PER_RUN)
}

interface ScaleTypes {
  readonly artifact: Record<string, bigint>
  readonly execution: Record<string, bigint>
  readonly run: bigint
  readonly pipeline: bigint
}

/** Pipelines the runs are spread over; each pipeline's context grows with the store. */
export const PIPELINES = 20

/** One store call of the build: the operation's method name and its request. */
interface BuildCall {
  readonly method: string
  readonly req: unknown
}

// The build as a sequence of calls, each fed the answer to the previous one, so that the same
// steps drive a synchronous store and an asynchronous one (a server engine) alike.
type BuildSteps<T> = Generator<BuildCall, T, unknown>

function* ensureTypes(): BuildSteps<ScaleTypes> {
  const { STRING, INT, DOUBLE } = PropertyType
  const typeId = (answer: unknown) => (answer as { type_id: bigint }).type_id
  function* a(name: string, properties: Record<string, PropertyType>): BuildSteps<bigint> {
    return typeId(yield { method: 'putArtifactType', req: { artifact_type: { name, properties } } })
  }
  const artifact: Record<string, bigint> = {
    Examples: yield* a('Examples', { span: INT, split: STRING }),
    Model: yield* a('Model', { accuracy: DOUBLE, framework: STRING }),
    Metrics: yield* a('Metrics', { accuracy: DOUBLE }),
  }
  const execution: Record<string, bigint> = {}
  for (const name of EXECUTION_TYPES) {
    execution[name] = typeId(
      yield { method: 'putExecutionType', req: { execution_type: { name, properties: { step: INT } } } },
    )
  }
  const run = typeId(
    yield {
      method: 'putContextType',
      req: { context_type: { name: 'PipelineRun', properties: { pipeline: STRING } } },
    },
  )
  const pipeline = typeId(yield { method: 'putContextType', req: { context_type: { name: 'Pipeline' } } })
  return { artifact, execution, run, pipeline }
}

function outputArtifact(types: ScaleTypes, run: number, step: number, j: number) {
  const typeName = OUTPUT_TYPES[j % OUTPUT_TYPES.length] as string
  const name = `r${run}-s${step}-o${j}`
  const properties: Record<string, Value> =
    typeName === 'Examples'
      ? { span: { int_value: BigInt(run) }, split: { string_value: j % 2 === 0 ? 'train' : 'eval' } }
      : typeName === 'Model'
        ? {
            accuracy: { double_value: ((run * 7 + step * 3 + j) % 1000) / 1000 },
            framework: { string_value: 'tf' },
          }
        : { accuracy: { double_value: ((run * 13 + step) % 1000) / 1000 } }
  return {
    type_id: types.artifact[typeName] as bigint,
    name,
    uri: `/pipelines/p${run % PIPELINES}/run-${run}/step-${step}/out-${j}`,
    state: Artifact_State.LIVE,
    properties,
  }
}

/**
 * Builds runs [fromRun, toRun) into `store`; `progress` is called now and then with the number
 * of runs done.
 */
export function buildRuns(
  store: MetadataStore,
  step: BuildStep,
  progress: (runsDone: number) => void,
): BuildResult {
  const started = performance.now()
  const steps = buildSteps(step, progress)
  const methods = store as unknown as Record<string, (req: unknown) => unknown>
  let next = steps.next()
  while (!next.done) next = steps.next(methods[next.value.method]?.call(store, next.value.req))
  return { ...next.value, seconds: (performance.now() - started) / 1000 }
}

/** {@link buildRuns} on an asynchronous store (a server engine). */
export async function buildRunsAsync(
  store: AsyncMetadataStore,
  step: BuildStep,
  progress: (runsDone: number) => void,
): Promise<BuildResult> {
  const started = performance.now()
  const steps = buildSteps(step, progress)
  const methods = store as unknown as Record<string, (req: unknown) => Promise<unknown>>
  let next = steps.next()
  while (!next.done) next = steps.next(await methods[next.value.method]?.call(store, next.value.req))
  return { ...next.value, seconds: (performance.now() - started) / 1000 }
}

function* buildSteps(
  step: BuildStep,
  progress: (runsDone: number) => void,
): BuildSteps<Omit<BuildResult, 'seconds'>> {
  const types = yield* ensureTypes()
  let putExecutions = 0
  let putArtifacts = 0
  for (let batchStart = step.fromRun; batchStart < step.toRun; batchStart += SOURCE_BATCH) {
    const batchEnd = Math.min(step.toRun, batchStart + SOURCE_BATCH)
    const sourcesAnswer = yield {
      method: 'putArtifacts',
      req: {
        artifacts: Array.from({ length: batchEnd - batchStart }, (_, i) => {
          const run = batchStart + i
          return {
            type_id: types.artifact.Examples as bigint,
            name: `r${run}-source`,
            uri: `/data/source/${run}`,
            state: Artifact_State.LIVE,
            properties: { span: { int_value: BigInt(run) }, split: { string_value: 'train' } },
          }
        }),
      },
    }
    const sources = (sourcesAnswer as { artifact_ids: bigint[] }).artifact_ids
    putArtifacts++
    for (let run = batchStart; run < batchEnd; run++) {
      let previous: bigint[] = [sources[run - batchStart] as bigint]
      for (let s = 0; s < CHAIN; s++) {
        const typeName = EXECUTION_TYPES[s % EXECUTION_TYPES.length] as string
        const inputs = previous.slice(0, INPUTS)
        const pairs: PutExecutionRequest_ArtifactAndEvent[] = [
          ...inputs.map((id) => ({ event: { artifact_id: id, type: Event_Type.INPUT } })),
          ...Array.from({ length: OUTPUTS }, (_, j) => ({
            artifact: outputArtifact(types, run, s, j),
            event: { type: Event_Type.OUTPUT, path: { steps: [{ key: 'out' }, { index: BigInt(j) }] } },
          })),
        ]
        const response = (yield {
          method: 'putExecution',
          req: {
            execution: {
              type_id: types.execution[typeName] as bigint,
              name: `r${run}-s${s}`,
              last_known_state: Execution_State.COMPLETE,
              properties: { step: { int_value: BigInt(s) } },
            },
            artifact_event_pairs: pairs,
            // As TFX does: every execution and its artifacts belong to their run and their pipeline.
            contexts: [
              {
                type_id: types.run,
                name: `run-${run}`,
                properties: { pipeline: { string_value: `p${run % PIPELINES}` } },
              },
              { type_id: types.pipeline, name: `p${run % PIPELINES}` },
            ],
            options: { reuse_context_if_already_exist: true },
          },
        }) as { artifact_ids: bigint[] }
        putExecutions++
        previous = response.artifact_ids.slice(inputs.length) as bigint[]
      }
      if ((run + 1) % 200 === 0) progress(run + 1 - step.fromRun)
    }
  }
  return { putExecutions, putArtifacts }
}
