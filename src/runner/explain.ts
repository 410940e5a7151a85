/**
 * Why a step ran instead of reusing cached outputs: {@link explainCacheMiss} compares the cache
 * key ingredients recorded on an execution (`tsrunner_cache_key_ingredients`) with those of
 * the closest earlier successful execution of the same node id (in any pipeline sharing the
 * node id, so a copied pipeline is compared with its origin), and reports which ingredients
 * differ: the pipeline's cache scope, the step type, its code, a parameter, an input artifact,
 * the declared outputs or the key definition itself.
 *
 * When nothing differs the key was the same, and the reason lies in the lookup, which the
 * runner records as `tsrunner_cache_miss`: caching off, or the earlier outputs were not
 * reusable (lost, changed, not LIVE).
 *
 * It reads the store only, through the {@link AsyncMetadataStore} interface, so the CLI and the
 * web explorer share it.
 *
 * @example
 * ```ts
 * const explanation = await explainCacheMiss(store, result.nodes[2].executionId)
 * for (const line of formatCacheMissExplanation(explanation)) console.log(line)
 * // train: differs from execution 7 (seed-a.train) in the step code: sha256:1f3a… → sha256:9c0e…
 * ```
 */
import { type Execution, Execution_State } from '../proto/messages.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { executionsOfContext } from './cache-lookup.js'
import { canonicalJson } from './canonical-json.js'
import { CONTEXT_TYPE, CUSTOM_PROPERTY } from './tfx-records.js'

/** One ingredient of the cache key that differs between two executions. */
export interface IngredientDifference {
  /** `pipeline`, `step type`, `step code`, `parameter <name>`, `input <key>`, `outputs`, `key version`. */
  readonly ingredient: string
  /** What it was in the earlier execution, and what it is now (human-readable). */
  readonly before: string
  readonly after: string
}

/** The answer of {@link explainCacheMiss}. */
export interface CacheMissExplanation {
  readonly executionId: bigint
  /** The node id from the recorded ingredients, if any were recorded. */
  readonly nodeId: string | undefined
  /** Why the cache lookup found nothing reusable, as the runner recorded it. */
  readonly lookup: string | undefined
  /** The closest earlier execution, if there is one. */
  readonly comparedWith?: { readonly executionId: bigint; readonly nodeContext: string }
  /** Empty when the keys were equal (see `lookup`) or there is nothing to compare with. */
  readonly differences: readonly IngredientDifference[]
  /** One line saying it all. */
  readonly summary: string
}

type Document = Record<string, unknown>

interface InputRecord {
  readonly id?: string | number
  readonly type?: string
  readonly record_sha256?: string
}

const text = (value: unknown): string => (value === undefined ? '(none)' : canonicalJson(value as never))
const short = (fingerprint: unknown): string =>
  typeof fingerprint === 'string'
    ? fingerprint.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]+$/, '$1$2…')
    : text(fingerprint)

function ingredientsOf(execution: Execution): Document | undefined {
  const json = execution.custom_properties?.[CUSTOM_PROPERTY.cacheKeyIngredients]?.string_value
  if (json === undefined) return undefined
  try {
    return JSON.parse(json) as Document
  } catch {
    return undefined
  }
}

const field = (document: Document, ...path: string[]): unknown =>
  path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], document)

function describeInputs(list: unknown): string {
  if (!Array.isArray(list)) return '(none)'
  return list.map((a: InputRecord) => `artifact ${a.id}`).join(', ') || '(none)'
}

/**
 * The ingredients that differ between an earlier document and a later one, in the order of
 * the key document. Pure.
 */
export function diffCacheKeyIngredients(before: Document, after: Document): IngredientDifference[] {
  const out: IngredientDifference[] = []
  const compare = (ingredient: string, a: unknown, b: unknown, show: (v: unknown) => string = text): void => {
    if (text(a) !== text(b)) out.push({ ingredient, before: show(a), after: show(b) })
  }
  compare('key version', before.key_version, after.key_version)
  compare('pipeline', field(before, 'pipeline_info', 'id'), field(after, 'pipeline_info', 'id'))
  compare('step type', field(before, 'node_info', 'type'), field(after, 'node_info', 'type'))
  compare(
    'step code',
    field(before, 'executor_spec', 'code_fingerprint'),
    field(after, 'executor_spec', 'code_fingerprint'),
    short,
  )
  const paramsBefore = (before.parameters ?? {}) as Record<string, unknown>
  const paramsAfter = (after.parameters ?? {}) as Record<string, unknown>
  for (const name of [...new Set([...Object.keys(paramsBefore), ...Object.keys(paramsAfter)])].sort()) {
    compare(`parameter ${name}`, paramsBefore[name], paramsAfter[name])
  }
  const inputsBefore = (before.inputs ?? {}) as Record<string, InputRecord[]>
  const inputsAfter = (after.inputs ?? {}) as Record<string, InputRecord[]>
  for (const key of [...new Set([...Object.keys(inputsBefore), ...Object.keys(inputsAfter)])].sort()) {
    const a = inputsBefore[key]
    const b = inputsAfter[key]
    if (text(a) === text(b)) continue
    const sameIds = text(a?.map((x) => x.id)) === text(b?.map((x) => x.id))
    out.push(
      sameIds
        ? {
            ingredient: `input ${key}`,
            before: `${describeInputs(a)} as recorded then`,
            after: 'its record changed since',
          }
        : { ingredient: `input ${key}`, before: describeInputs(a), after: describeInputs(b) },
    )
  }
  compare('outputs', before.outputs, after.outputs)
  return out
}

async function nodeContextsFor(
  store: AsyncMetadataStore,
  nodeId: string,
): Promise<{ id: bigint; name: string }[]> {
  const found: { id: bigint; name: string }[] = []
  let pageToken: string | undefined
  do {
    const response = await store.getContextsByType({
      type_name: CONTEXT_TYPE.node,
      ...(pageToken === undefined ? {} : { options: { next_page_token: pageToken } }),
    })
    for (const context of response.contexts ?? []) {
      if (context.id !== undefined && context.name?.endsWith(`.${nodeId}`)) {
        found.push({ id: context.id, name: context.name })
      }
    }
    pageToken = response.next_page_token === '' ? undefined : response.next_page_token
  } while (pageToken !== undefined)
  return found
}

/**
 * Explains why execution `executionId` missed the cache.
 * @throws NotFound (from the store) if there is no such execution.
 */
export async function explainCacheMiss(
  store: AsyncMetadataStore,
  executionId: bigint,
): Promise<CacheMissExplanation> {
  const { executions = [] } = await store.getExecutionsByID({ execution_ids: [executionId] })
  const execution = executions[0]
  if (execution === undefined) {
    return {
      executionId,
      nodeId: undefined,
      lookup: undefined,
      differences: [],
      summary: `no execution ${executionId}`,
    }
  }
  const lookup = execution.custom_properties?.[CUSTOM_PROPERTY.cacheMiss]?.string_value
  const mine = ingredientsOf(execution)
  const nodeId = mine === undefined ? undefined : (field(mine, 'node_info', 'id') as string | undefined)
  if (mine === undefined || nodeId === undefined) {
    return {
      executionId,
      nodeId,
      lookup,
      differences: [],
      summary: 'the execution records no cache key ingredients (not written by this runner)',
    }
  }
  if (execution.last_known_state === Execution_State.CACHED) {
    return {
      executionId,
      nodeId,
      lookup,
      differences: [],
      summary: 'it did not miss: its outputs came from the cache',
    }
  }

  let best: { execution: Execution; nodeContext: string; differences: IngredientDifference[] } | undefined
  for (const context of await nodeContextsFor(store, nodeId)) {
    for (const candidate of await executionsOfContext(store, context.id)) {
      if (candidate.id === undefined || candidate.id >= executionId) continue
      if (
        candidate.last_known_state !== Execution_State.COMPLETE &&
        candidate.last_known_state !== Execution_State.CACHED
      ) {
        continue
      }
      const theirs = ingredientsOf(candidate)
      if (theirs === undefined || field(theirs, 'node_info', 'id') !== nodeId) continue
      const differences = diffCacheKeyIngredients(theirs, mine)
      const better =
        best === undefined ||
        differences.length < best.differences.length ||
        (differences.length === best.differences.length && candidate.id > (best.execution.id as bigint))
      if (better) best = { execution: candidate, nodeContext: context.name, differences }
    }
  }
  if (best === undefined) {
    return {
      executionId,
      nodeId,
      lookup,
      differences: [],
      summary: `first run of node ${nodeId}: no earlier successful execution to compare with`,
    }
  }
  const comparedWith = { executionId: best.execution.id as bigint, nodeContext: best.nodeContext }
  const against = `execution ${comparedWith.executionId} (${comparedWith.nodeContext})`
  const summary =
    best.differences.length === 0
      ? `same cache key as ${against}; ${lookup ?? 'the lookup reason was not recorded'}`
      : `differs from ${against} in ${best.differences.map((d) => d.ingredient).join(', ')}`
  return { executionId, nodeId, lookup, comparedWith, differences: best.differences, summary }
}

/** An explanation as indented lines for a terminal: the summary, then one line per difference. */
export function formatCacheMissExplanation(explanation: CacheMissExplanation): string[] {
  const lines = [`${explanation.nodeId ?? `execution ${explanation.executionId}`}: ${explanation.summary}`]
  for (const d of explanation.differences) lines.push(`    ${d.ingredient}: ${d.before} → ${d.after}`)
  return lines
}
