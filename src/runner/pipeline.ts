/**
 * Pipelines: steps placed as nodes and wired output → input into a DAG. A pipeline is checked
 * when it is created (unknown nodes or outputs, unwired or extra inputs, mismatched artifact
 * types, cycles: all `InvalidArgument` before anything runs) and is immutable afterwards;
 * {@link Pipeline.copy} and {@link Pipeline.replace} return new pipelines.
 *
 * @example
 * ```ts
 * const ingest = node('ingest', ingestStep, { parameters: { rows: 5000 } })
 * const train = node('train', leastSquares, { inputs: { examples: ingest.outputs.examples } })
 * const a = createPipeline('seed-a', [ingest, train])
 * // Pipeline B: A's copy with another trainer. It shares A's cache scope, so its unchanged
 * // nodes reuse A's outputs.
 * const b = a.copy('seed-b').replace(node('train', gradientDescent, { inputs: { examples: ingest.outputs.examples } }))
 * ```
 */
import { invalidArgument } from '../errors.js'
import {
  type ArtifactList,
  type ArtifactSpec,
  type ArtifactType,
  isArtifactList,
  itemTypeOf,
} from './artifact-type.js'
import { checkParameterValue, type Parameters } from './parameters.js'
import {
  type ArtifactSignature,
  type CachePolicy,
  checkName,
  checkRetryPolicy,
  type RetryPolicy,
  type Step,
} from './step.js'

/** A reference to one output of one node, used to wire it into another node's input. */
export interface OutputRef<T extends ArtifactType = ArtifactType> {
  readonly node: string
  readonly key: string
  readonly type: T
  /** Absent (or false): the output is one artifact. */
  readonly list?: false
}

/** A reference to a list output ({@link listOf}) of one node. */
export interface ListOutputRef<T extends ArtifactType = ArtifactType> {
  readonly node: string
  readonly key: string
  /** The type of each artifact of the list. */
  readonly type: T
  readonly list: true
}

/** A reference to an output of either kind. */
export type AnyOutputRef = OutputRef | ListOutputRef

/**
 * What a list input may be wired to: one output, a list output, or several of either,
 * concatenated in the order given (TFX's union of channels under one input key).
 */
export type ListInputRef<T extends ArtifactType = ArtifactType> =
  | OutputRef<T>
  | ListOutputRef<T>
  | readonly (OutputRef<T> | ListOutputRef<T>)[]

/**
 * A reference to an output by node id and key, for wiring a node that is not at hand (the
 * pipeline checks at creation that it exists and has this type). Pass `listOf(T)` for a list
 * output.
 */
export function outputRef<T extends ArtifactType>(
  nodeId: string,
  key: string,
  spec: ArtifactList<T>,
): ListOutputRef<T>
export function outputRef<T extends ArtifactType>(nodeId: string, key: string, type: T): OutputRef<T>
export function outputRef(nodeId: string, key: string, spec: ArtifactSpec): AnyOutputRef {
  return isArtifactList(spec)
    ? Object.freeze({ node: nodeId, key, type: spec.itemType, list: true as const })
    : Object.freeze({ node: nodeId, key, type: spec })
}

/**
 * One output reference per input key of a step: a list input takes {@link ListInputRef}. (The
 * last branch is for signatures not known statically, where a key may hold either kind.)
 */
export type InputRefs<I extends ArtifactSignature> = {
  readonly [K in keyof I]: I[K] extends ArtifactList<infer T>
    ? ListInputRef<T>
    : I[K] extends ArtifactType
      ? OutputRef<I[K]>
      : ListInputRef
}

/** One reference per output key of a step, to wire into other nodes. */
export type OutputRefs<O extends ArtifactSignature> = {
  readonly [K in keyof O]: O[K] extends ArtifactList<infer T>
    ? ListOutputRef<T>
    : O[K] extends ArtifactType
      ? OutputRef<O[K]>
      : AnyOutputRef
}

/** The references wired into one input, in order (a single reference is a list of one). @internal */
export function refsOf(value: ListInputRef | undefined): readonly AnyOutputRef[] {
  if (value === undefined) return []
  return Array.isArray(value) ? (value as readonly AnyOutputRef[]) : [value as AnyOutputRef]
}

/** A step placed in a pipeline under an id, with its inputs wired and parameters set. */
export interface PipelineNode<
  I extends ArtifactSignature = ArtifactSignature,
  O extends ArtifactSignature = ArtifactSignature,
  P extends Parameters = Parameters,
> {
  readonly id: string
  readonly step: Step<I, O, P>
  readonly inputs: InputRefs<I>
  /** The step's defaults with this node's overrides applied. */
  readonly parameters: P
  /** Whether this node may reuse cached outputs (`cache` is `use`). */
  readonly enableCache: boolean
  /** The node's cache policy (the step's unless overridden). */
  readonly cache: CachePolicy
  /** Retries, backoff and time limit of each run (the step's, with this node's overrides). */
  readonly retry: RetryPolicy
  /** References to this node's outputs, to wire into other nodes. */
  readonly outputs: OutputRefs<O>
}

/** Options of {@link node}. */
export interface NodeOptions<I extends ArtifactSignature, P extends Parameters> {
  readonly inputs?: InputRefs<I>
  readonly parameters?: Partial<P>
  /** Overrides the step's `enableCache` (false means the `refresh` policy). */
  readonly enableCache?: boolean
  /** Overrides the step's cache policy. */
  readonly cache?: CachePolicy
  /** Overrides fields of the step's retry policy. */
  readonly retry?: RetryPolicy
}

// Inputs are required exactly when the step declares some.
type NodeOptionsArgument<I extends ArtifactSignature, P extends Parameters> = keyof I extends never
  ? [options?: NodeOptions<I, P>]
  : [options: NodeOptions<I, P> & { readonly inputs: InputRefs<I> }]

/**
 * Places `step` as node `id`.
 * @throws InvalidArgument if the id is not a plain name, or a parameter is unknown to the step
 *   or not a parameter value.
 */
export function node<I extends ArtifactSignature, O extends ArtifactSignature, P extends Parameters>(
  id: string,
  step: Step<I, O, P>,
  ...[options]: NodeOptionsArgument<I, P>
): PipelineNode<I, O, P> {
  checkName(id, 'node id')
  const overrides = (options?.parameters ?? {}) as Parameters
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in step.parameters)) {
      throw invalidArgument(`Node ${id}: step ${step.type} has no parameter ${key}.`)
    }
    checkParameterValue(value, `node ${id}: parameter ${key}`)
  }
  const outputs: Record<string, AnyOutputRef> = {}
  for (const [key, spec] of Object.entries(step.outputs)) {
    outputs[key] = isArtifactList(spec) ? outputRef(id, key, spec) : outputRef(id, key, spec)
  }
  const cache: CachePolicy =
    options?.cache ??
    (options?.enableCache === undefined ? step.cache : options.enableCache ? 'use' : 'refresh')
  return Object.freeze({
    id,
    step,
    inputs: Object.freeze({ ...(options?.inputs ?? {}) }) as InputRefs<I>,
    parameters: Object.freeze({ ...step.parameters, ...overrides }) as P,
    enableCache: cache === 'use',
    cache,
    retry: checkRetryPolicy({ ...step.retry, ...(options?.retry ?? {}) }, `node ${id}`),
    outputs: Object.freeze(outputs) as PipelineNode<I, O, P>['outputs'],
  })
}

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /**
   * The pipeline id in cache keys. Defaults to the pipeline's name; copies inherit their
   * origin's, so a copy reuses its origin's cached outputs for unchanged nodes.
   */
  readonly cacheScope?: string
}

/** An immutable, checked pipeline. */
export interface Pipeline {
  /** Names the `pipeline` context, and prefixes the `node` contexts (`<name>.<node id>`). */
  readonly name: string
  /** The pipeline id in cache keys (see {@link PipelineOptions.cacheScope}). */
  readonly cacheScope: string
  /** The nodes in a dependency order (declaration order among independent nodes). */
  readonly nodes: readonly PipelineNode[]
  /** The node with this id. */
  node(id: string): PipelineNode | undefined
  /** Ids of the nodes whose outputs `id` consumes, in input-key order without repeats. */
  upstreamOf(id: string): readonly string[]
  /**
   * The same nodes under another name. The copy keeps this pipeline's cache scope unless
   * `options.cacheScope` says otherwise.
   * @throws InvalidArgument if the name is empty.
   */
  copy(name: string, options?: PipelineOptions): Pipeline
  /**
   * A pipeline with `replacement` in place of the node with the same id.
   * @throws InvalidArgument if there is no such node, or the result is not a valid pipeline.
   */
  replace(replacement: PipelineNode): Pipeline
}

function upstream(n: PipelineNode): string[] {
  const wired = Object.values(n.inputs as Record<string, ListInputRef>)
  return [...new Set(wired.flatMap(refsOf).map((ref) => ref.node))]
}

function checkInputs(n: PipelineNode, byId: ReadonlyMap<string, PipelineNode>, pipelineName: string): void {
  const where = `Pipeline ${pipelineName}, node ${n.id}`
  const wired = n.inputs as Record<string, ListInputRef>
  for (const key of Object.keys(n.step.inputs)) {
    if (wired[key] === undefined) throw invalidArgument(`${where}: input ${key} is not wired to any output.`)
  }
  for (const [key, value] of Object.entries(wired)) {
    const expected = n.step.inputs[key]
    if (expected === undefined) throw invalidArgument(`${where}: step ${n.step.type} has no input ${key}.`)
    const expectedType = itemTypeOf(expected)
    const refs = refsOf(value)
    if (!isArtifactList(expected) && (Array.isArray(value) || refs[0]?.list === true)) {
      throw invalidArgument(
        `${where}: input ${key} takes one ${expectedType.name}; wire a list only into a listOf(${expectedType.name}) input.`,
      )
    }
    if (refs.length === 0)
      throw invalidArgument(`${where}: input ${key} is wired to an empty list of outputs.`)
    for (const ref of refs) {
      const producer = byId.get(ref.node)
      if (producer === undefined) {
        throw invalidArgument(
          `${where}: input ${key} needs ${ref.node}.${ref.key}, but there is no node ${ref.node}.`,
        )
      }
      const produced = producer.step.outputs[ref.key]
      if (produced === undefined) {
        throw invalidArgument(
          `${where}: input ${key} needs ${ref.node}.${ref.key}, but ${ref.node} has no such output.`,
        )
      }
      const producedType = itemTypeOf(produced)
      if (producedType.name !== expectedType.name || ref.type.name !== producedType.name) {
        throw invalidArgument(
          `${where}: input ${key} takes ${expectedType.name}, but ${ref.node}.${ref.key} is ${producedType.name}.`,
        )
      }
      if ((ref.list === true) !== isArtifactList(produced)) {
        throw invalidArgument(
          `${where}: input ${key} refers to ${ref.node}.${ref.key} as ${ref.list === true ? 'a list' : 'one artifact'}, but it is ${isArtifactList(produced) ? 'a list' : 'one artifact'}.`,
        )
      }
    }
  }
}

// Kahn's algorithm, taking ready nodes in declaration order; what is left over lies on or
// behind a cycle, which a depth-first walk then names.
function dependencyOrder(nodes: readonly PipelineNode[], pipelineName: string): PipelineNode[] {
  const pending = new Map(nodes.map((n) => [n.id, new Set(upstream(n))]))
  const order: PipelineNode[] = []
  while (order.length < nodes.length) {
    const ready = nodes.find((n) => pending.get(n.id)?.size === 0)
    if (ready === undefined) break
    pending.delete(ready.id)
    for (const waiting of pending.values()) waiting.delete(ready.id)
    order.push(ready)
  }
  if (order.length === nodes.length) return order
  const path: string[] = []
  const visit = (id: string): string[] | undefined => {
    const at = path.indexOf(id)
    if (at >= 0) return [...path.slice(at), id]
    path.push(id)
    for (const next of pending.get(id) ?? []) {
      const cycle = visit(next)
      if (cycle !== undefined) return cycle
    }
    path.pop()
    return undefined
  }
  const cycle = visit([...pending.keys()][0] as string) ?? [...pending.keys()]
  throw invalidArgument(`Pipeline ${pipelineName} has a cycle: ${cycle.reverse().join(' → ')}.`)
}

/**
 * Creates a checked, immutable pipeline.
 * @throws InvalidArgument if the name is empty, node ids repeat, an input is unwired, extra,
 *   wired to a missing node or output, or to an output of another artifact type, or the
 *   wiring has a cycle.
 */
export function createPipeline(
  name: string,
  nodes: readonly PipelineNode[],
  options: PipelineOptions = {},
): Pipeline {
  if (name === '') throw invalidArgument('A pipeline needs a name.')
  const cacheScope = options.cacheScope ?? name
  if (cacheScope === '') throw invalidArgument(`Pipeline ${name}: the cache scope cannot be empty.`)
  const byId = new Map<string, PipelineNode>()
  for (const n of nodes) {
    if (byId.has(n.id)) throw invalidArgument(`Pipeline ${name} has two nodes with id ${n.id}.`)
    byId.set(n.id, n)
  }
  for (const n of nodes) checkInputs(n, byId, name)
  const ordered = Object.freeze(dependencyOrder(nodes, name))

  const pipeline: Pipeline = {
    name,
    cacheScope,
    nodes: ordered,
    node: (id) => byId.get(id),
    upstreamOf: (id) => {
      const n = byId.get(id)
      return n === undefined ? [] : upstream(n)
    },
    copy: (copyName, copyOptions = {}) =>
      createPipeline(copyName, nodes, { cacheScope: copyOptions.cacheScope ?? cacheScope }),
    replace: (replacement) => {
      if (!byId.has(replacement.id)) {
        throw invalidArgument(`Pipeline ${name} has no node ${replacement.id} to replace.`)
      }
      return createPipeline(
        name,
        nodes.map((n) => (n.id === replacement.id ? replacement : n)),
        { cacheScope },
      )
    },
  }
  return Object.freeze(pipeline)
}
