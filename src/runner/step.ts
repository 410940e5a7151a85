/**
 * Steps: TypeScript functions with named, typed input and output artifacts, parameters and a
 * code fingerprint. A step is a reusable definition; a pipeline places it as a node (see
 * `pipeline.ts`).
 *
 * @example
 * ```ts
 * const train = defineStep({
 *   type: 'tsrunner.examples.LeastSquaresTrainer',
 *   baseType: 'TRAIN',
 *   version: '1',
 *   inputs: { examples: Examples },
 *   outputs: { model: Model },
 *   parameters: { l2: 0 },
 *   async run({ inputs, outputs, parameters }) {
 *     const rows = await readFile(path.join(inputs.examples.dir, 'Split-train', 'data.csv'), 'utf8')
 *     await writeFile(path.join(outputs.model.dir, 'model.json'), fit(rows, parameters.l2))
 *   },
 * })
 * ```
 */
import { createHash } from 'node:crypto'
import { invalidArgument } from '../errors.js'
import type { Artifact, ExecutionType_SystemDefinedBaseType } from '../proto/messages.js'
import { FINGERPRINT_PREFIX } from './artifact-store.js'
import type {
  ArtifactList,
  ArtifactSpec,
  ArtifactType,
  CustomValue,
  PropertyValues,
} from './artifact-type.js'
import { checkParameterValue, type Parameters } from './parameters.js'

/** No inputs, outputs or parameters. */
export type Empty = Record<never, never>

/**
 * Parameter types as a step's `run` sees them. TypeScript keeps `false` as the literal type
 * `false` when it infers parameter defaults; a node must be able to override it with `true`.
 */
export type WidenParameters<T> = T extends boolean
  ? boolean
  : T extends readonly (infer E)[]
    ? readonly WidenParameters<E>[]
    : T extends object
      ? { readonly [K in keyof T]: WidenParameters<T[K]> }
      : T

/** Named artifact types of a step's inputs or outputs: one artifact, or a {@link listOf} list. */
export type ArtifactSignature = Readonly<Record<string, ArtifactSpec>>

/** MLMD's system base types for executions. */
export type ExecutionBaseType = Exclude<keyof typeof ExecutionType_SystemDefinedBaseType, 'UNSET'>

/** An input artifact as a step sees it: a published, read-only snapshot. */
export interface InputArtifact<T extends ArtifactType = ArtifactType> {
  readonly id: bigint
  /** The artifact's URI: an absolute path under a local root, `s3://…` under an S3 root. */
  readonly uri: string
  /**
   * A local path holding the payload (a directory for outputs of this runner): the uri
   * itself under a local root, a verified download under an S3 root. Read inputs from here.
   */
  readonly dir: string
  readonly type: T['name']
  readonly properties: Readonly<PropertyValues<T['properties']>>
  readonly customProperties: Readonly<Record<string, unknown>>
  /** The MLMD record, as the store returned it. */
  readonly record: Artifact
}

/** An output a step is producing: write the payload into `dir`, set properties as needed. */
export interface OutputArtifact<T extends ArtifactType = ArtifactType> {
  /** A private, empty directory; it is moved into place after the step succeeds. */
  readonly dir: string
  readonly properties: PropertyValues<T['properties']>
  readonly customProperties: Record<string, CustomValue>
}

/**
 * A list output a step is producing ({@link listOf}): it adds artifacts one by one, each with
 * its own directory, recorded under the output key at indices 0, 1, … in the order added. A
 * list output must hold at least one artifact when the step returns.
 */
export interface OutputArtifactList<T extends ArtifactType = ArtifactType> {
  /** Adds the next artifact: a private, empty directory and properties to set. */
  add(): Promise<OutputArtifact<T>>
  /** The artifacts added so far, in order. */
  readonly items: readonly OutputArtifact<T>[]
}

/** What a step sees under an input key: one artifact, or the list, in order. */
export type InputOf<S extends ArtifactSpec> =
  S extends ArtifactList<infer T>
    ? readonly InputArtifact<T>[]
    : S extends ArtifactType
      ? InputArtifact<S>
      : InputArtifact | readonly InputArtifact[]

/** What a step writes under an output key: one artifact, or a list it adds to. */
export type OutputOf<S extends ArtifactSpec> =
  S extends ArtifactList<infer T>
    ? OutputArtifactList<T>
    : S extends ArtifactType
      ? OutputArtifact<S>
      : OutputArtifact | OutputArtifactList

/** What a step's `run` receives. */
export interface StepContext<I extends ArtifactSignature, O extends ArtifactSignature, P extends Parameters> {
  readonly inputs: { readonly [K in keyof I]: InputOf<I[K]> }
  readonly outputs: { readonly [K in keyof O]: OutputOf<O[K]> }
  readonly parameters: P
  readonly pipelineName: string
  readonly runId: string
  readonly nodeId: string
  readonly executionId: bigint
  /** Reports progress; the runner forwards it to `onEvent` as a `node-log` event. */
  log(message: string): void
  /** Aborted when the step's attempt times out; long steps should stop when it fires. */
  readonly signal: AbortSignal
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number
}

/**
 * Whether a node reuses and files cached outputs:
 * - `use`: reuse an earlier run's outputs when the key matches, else run and file the outputs;
 * - `refresh`: always run, and file the outputs so later runs reuse them (TFX's behaviour for a
 *   node with caching disabled);
 * - `off`: always run, and do not file the outputs under the cache key (never reused).
 */
export type CachePolicy = 'use' | 'refresh' | 'off'

/** Retries and time limit of each run of a step. */
export interface RetryPolicy {
  /** Further attempts after a failure; default 0. */
  readonly retries?: number
  /** Wait before the first retry; doubles for each further one. Default 1000 ms. */
  readonly backoffMs?: number
  /** Time limit of one attempt; exceeding it fails the attempt with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number
}

/** The definition {@link defineStep} takes. */
export interface StepDefinition<
  I extends ArtifactSignature,
  O extends ArtifactSignature,
  P extends Parameters,
> {
  /**
   * The step's type name, recorded as its MLMD execution type. Namespace it
   * (`tsrunner.<package>.<Step>`) so it never collides with a TFX component class path.
   */
  readonly type: string
  readonly baseType?: ExecutionBaseType
  /** Bump when behaviour changes in code the fingerprint cannot see (helpers, data files). */
  readonly version?: string
  readonly inputs?: I
  readonly outputs?: O
  /** Parameter defaults; a node may override any of them, and may not add others. */
  readonly parameters?: P
  /** False for steps whose outputs must never be reused (they read the clock, the network…). */
  readonly enableCache?: boolean
  /** The cache policy of nodes of this step (default `use`; `refresh` if `enableCache` is false). */
  readonly cache?: CachePolicy
  /** Retries, backoff and time limit of each run (nodes may override). */
  readonly retry?: RetryPolicy
  /** The step's work. Throwing fails the step: its outputs are discarded. */
  run(context: StepContext<I, O, WidenParameters<P>>): void | Promise<void>
}

/** A defined step. */
export interface Step<
  I extends ArtifactSignature = ArtifactSignature,
  O extends ArtifactSignature = ArtifactSignature,
  P extends Parameters = Parameters,
> {
  readonly type: string
  readonly baseType: ExecutionBaseType | undefined
  readonly version: string
  readonly inputs: I
  readonly outputs: O
  readonly parameters: P
  readonly enableCache: boolean
  readonly cache: CachePolicy
  readonly retry: RetryPolicy
  /**
   * `sha256:` + the hex SHA-256 of `<version>\0<source text of run>`. The source text is what
   * `Function.prototype.toString` returns, so an edit to `run` itself changes the fingerprint
   * (and the cache key); edits to helpers it calls do not: bump `version` for those.
   */
  readonly codeFingerprint: string
  /** The step's work (see {@link StepDefinition.run}). */
  run(context: StepContext<I, O, P>): void | Promise<void>
}

/** The fingerprint {@link Step.codeFingerprint} describes. */
export function codeFingerprintOf(version: string, run: (...args: never[]) => unknown): string {
  const hash = createHash('sha256').update(`${version}\0${run.toString()}`, 'utf8').digest('hex')
  return `${FINGERPRINT_PREFIX}${hash}`
}

/**
 * Defines a step.
 * @throws InvalidArgument if the type name is empty, an input or output key is not a plain name
 *   (it becomes a directory name), a parameter name is reserved (`__…`,
 *   `tsrunner_…`) or a parameter default is not a parameter value.
 */
export function defineStep<
  I extends ArtifactSignature = Empty,
  O extends ArtifactSignature = Empty,
  P extends Parameters = Empty,
>(definition: StepDefinition<I, O, P>): Step<I, O, WidenParameters<P>> {
  if (definition.type === '') throw invalidArgument('A step needs a type name.')
  const inputs = Object.freeze({ ...(definition.inputs ?? {}) }) as I
  const outputs = Object.freeze({ ...(definition.outputs ?? {}) }) as O
  const parameters = Object.freeze({ ...(definition.parameters ?? {}) }) as WidenParameters<P>
  for (const key of [...Object.keys(inputs), ...Object.keys(outputs)])
    checkName(key, `step ${definition.type}`)
  for (const [key, value] of Object.entries(parameters)) {
    // `__…` keys are TFX's internal execution properties, `tsrunner_…` ones the runner's own.
    if (key.startsWith('__') || key.startsWith('tsrunner_')) {
      throw invalidArgument(
        `Step ${definition.type}: parameter names may not start with __ or tsrunner_ (${key}).`,
      )
    }
    checkParameterValue(value, `step ${definition.type}: parameter ${key}`)
  }
  const version = definition.version ?? ''
  // An explicit `enableCache: false` wins over `use` (e.g. `{ ...step, enableCache: false }`).
  const cache: CachePolicy =
    definition.enableCache === false && (definition.cache ?? 'use') === 'use'
      ? 'refresh'
      : (definition.cache ?? 'use')
  return Object.freeze({
    type: definition.type,
    baseType: definition.baseType,
    version,
    inputs,
    outputs,
    parameters,
    enableCache: cache === 'use',
    cache,
    retry: checkRetryPolicy(definition.retry ?? {}, `step ${definition.type}`),
    codeFingerprint: codeFingerprintOf(version, definition.run),
    run: definition.run,
  })
}

/**
 * Checks a retry policy's numbers.
 * @throws InvalidArgument if retries is not a non-negative integer, or a time is negative.
 */
export function checkRetryPolicy(policy: RetryPolicy, where: string): RetryPolicy {
  const { retries = 0, backoffMs = 1000, timeoutMs } = policy
  if (!Number.isInteger(retries) || retries < 0)
    throw invalidArgument(`${where}: retries must be a non-negative integer.`)
  if (!(backoffMs >= 0)) throw invalidArgument(`${where}: backoffMs must be ≥ 0.`)
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw invalidArgument(`${where}: timeoutMs must be > 0.`)
  return Object.freeze({ retries, backoffMs, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/**
 * Checks a node id or artifact key: it becomes a path segment under the pipeline root, so
 * it must start with a letter or digit and hold only letters, digits, `_`, `.` and `-`.
 * @throws InvalidArgument otherwise.
 */
export function checkName(name: string, where: string): void {
  if (!NAME.test(name)) {
    throw invalidArgument(
      `${where}: ${JSON.stringify(name)} is not a valid name (letters, digits, _ . -; starting with a letter or digit).`,
    )
  }
}
