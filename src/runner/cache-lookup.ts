/**
 * The cache lookup: which earlier execution's outputs a step run may reuse. It is TFX's
 * `cache_utils.get_cached_outputs` (conventions §2.4), plus two checks of our own:
 *
 * 1. the executions associated with the cache context;
 * 2. only COMPLETE or CACHED ones, newest first by `create_time_since_epoch` (ties: higher id);
 * 3. for each candidate, its OUTPUT events (event type OUTPUT only) and their artifacts; the
 *    candidate is rejected if any artifact is not LIVE, or its `uri` is empty or gone (TFX's
 *    `verify_artifacts`);
 * 4. ours: an artifact that carries `tsrunner_content_fingerprint` must still have that
 *    content, so a tampered or truncated output is recomputed, never served (artifacts written
 *    by TFX carry no fingerprint and get TFX's existence check only);
 * 5. ours: the candidate must have exactly the outputs the step declares, each key with
 *    artifacts of the declared type at indices 0..n-1, one artifact unless the output is a
 *    list, so an empty, partial or foreign record cannot satisfy a step. Every artifact of a
 *    list is checked as in 3 and 4, and the list is reused whole, in index order, or not at all.
 *
 * The first candidate that passes is the hit.
 */
import {
  type Artifact,
  Artifact_State,
  type Event,
  Event_Type,
  type Execution,
  Execution_State,
} from '../proto/messages.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { localOutputProblem } from './artifact-store.js'
import type { OutputSkeleton } from './cache-key.js'
import { CUSTOM_PROPERTY } from './tfx-records.js'

/** Why an output cannot be reused (`undefined`: it can); see `ArtifactStore.outputProblem`. */
export type OutputCheck = (uri: string, fingerprint: string | undefined) => Promise<string | undefined>

/** A cache hit: the execution whose outputs are reused, and those outputs by key, in index order. */
export interface CachedOutputs {
  readonly execution: Execution
  readonly outputs: Readonly<Record<string, readonly Artifact[]>>
}

/** Every execution associated with a context, following page tokens if the store pages. */
export async function executionsOfContext(
  store: AsyncMetadataStore,
  contextId: bigint,
): Promise<Execution[]> {
  const executions: Execution[] = []
  let pageToken: string | undefined
  do {
    const response = await store.getExecutionsByContext({
      context_id: contextId,
      ...(pageToken === undefined ? {} : { options: { next_page_token: pageToken } }),
    })
    executions.push(...(response.executions ?? []))
    pageToken = response.next_page_token === '' ? undefined : response.next_page_token
  } while (pageToken !== undefined)
  return executions
}

/** Candidates in TFX's order: COMPLETE or CACHED, newest created first. */
export function cacheCandidates(executions: readonly Execution[]): Execution[] {
  return executions
    .filter(
      (e) => e.last_known_state === Execution_State.COMPLETE || e.last_known_state === Execution_State.CACHED,
    )
    .sort((a, b) => {
      const byTime = Number((b.create_time_since_epoch ?? 0n) - (a.create_time_since_epoch ?? 0n))
      return byTime !== 0 ? byTime : Number((b.id ?? 0n) - (a.id ?? 0n))
    })
}

// The output key and index of an OUTPUT event: the first [key, index] pair of its path.
function keyAndIndex(event: Event): { key: string; index: number } | undefined {
  const [first, second] = event.path?.steps ?? []
  if (first?.key === undefined) return undefined
  return { key: first.key, index: second?.index === undefined ? 0 : Number(second.index) }
}

// The candidate's outputs, or why they cannot be reused.
async function outputsOf(
  store: AsyncMetadataStore,
  execution: Execution,
  expected: Readonly<Record<string, OutputSkeleton>>,
  check: OutputCheck,
): Promise<Record<string, Artifact[]> | string> {
  const { events = [] } = await store.getEventsByExecutionIDs({ execution_ids: [execution.id as bigint] })
  const outputEvents = events.filter((e) => e.type === Event_Type.OUTPUT)
  const ids = [...new Set(outputEvents.map((e) => e.artifact_id as bigint))]
  const { artifacts = [] } =
    ids.length === 0 ? { artifacts: [] } : await store.getArtifactsByID({ artifact_ids: ids })
  const byId = new Map(artifacts.map((a) => [a.id as bigint, a]))
  if (byId.size !== ids.length) return 'an output artifact is no longer in the store'
  const notLive = artifacts.find((a) => a.state !== Artifact_State.LIVE)
  if (notLive !== undefined) {
    const state = Object.entries(Artifact_State).find(([, v]) => v === notLive.state)?.[0] ?? 'UNKNOWN'
    return `output artifact ${notLive.id} is ${state}, not LIVE`
  }

  const placed: Record<string, { index: number; artifact: Artifact }[]> = {}
  for (const event of outputEvents) {
    const where = keyAndIndex(event)
    if (where === undefined) return 'an OUTPUT event has no [key, index] path'
    const list = placed[where.key] ?? []
    list.push({ index: where.index, artifact: byId.get(event.artifact_id as bigint) as Artifact })
    placed[where.key] = list
  }
  const wantedKeys = Object.keys(expected).sort()
  const haveKeys = Object.keys(placed).sort()
  if (haveKeys.join('\0') !== wantedKeys.join('\0')) {
    return `its outputs are [${haveKeys.join(', ')}], the step declares [${wantedKeys.join(', ')}]`
  }
  const outputs: Record<string, Artifact[]> = {}
  for (const key of wantedKeys) {
    const sorted = (placed[key] ?? []).sort((a, b) => a.index - b.index)
    // TFX reads a key's artifacts at indices exactly 0..n-1; anything else is not a whole list.
    if (sorted.some((p, i) => p.index !== i)) {
      return `output ${key} has indices [${sorted.map((p) => p.index).join(', ')}], not 0..${sorted.length - 1}`
    }
    const list = sorted.map((p) => p.artifact)
    if (expected[key]?.list !== true && list.length !== 1) {
      return `output ${key} holds ${list.length} artifacts, the step declares one`
    }
    const foreign = list.find((a) => a.type !== expected[key]?.type)
    if (foreign !== undefined)
      return `output ${key} is a ${foreign.type}, the step declares ${expected[key]?.type}`
    outputs[key] = list
  }
  for (const [key, list] of Object.entries(outputs)) {
    for (const artifact of list) {
      const fingerprint = artifact.custom_properties?.[CUSTOM_PROPERTY.contentFingerprint]?.string_value
      const problem = await check(artifact.uri ?? '', fingerprint)
      if (problem !== undefined) return `output ${key} (artifact ${artifact.id}, ${artifact.uri}): ${problem}`
    }
  }
  return outputs
}

/** What a cache lookup found: a hit, and why each newer candidate was passed over. */
export interface CacheLookup {
  readonly hit: CachedOutputs | undefined
  /** One line per rejected candidate, newest first: `execution 7: output model (…): missing…`. */
  readonly rejected: readonly string[]
}

/**
 * Looks for reusable outputs in the cache context `cacheContextId` for a step declaring
 * `expected` outputs; `check` tells whether a payload is intact (the artifact store's
 * `outputProblem`; default: local files only).
 */
export async function lookUpCache(
  store: AsyncMetadataStore,
  cacheContextId: bigint,
  expected: Readonly<Record<string, OutputSkeleton>>,
  check: OutputCheck = localOutputProblem,
): Promise<CacheLookup> {
  const rejected: string[] = []
  for (const execution of cacheCandidates(await executionsOfContext(store, cacheContextId))) {
    const outputs = await outputsOf(store, execution, expected, check)
    if (typeof outputs !== 'string') return { hit: { execution, outputs }, rejected }
    rejected.push(`execution ${execution.id}: ${outputs}`)
  }
  return { hit: undefined, rejected }
}

/**
 * Finds reusable outputs in the cache context `cacheContextId` for a step declaring
 * `expected` outputs, or `undefined` when no earlier execution qualifies.
 */
export async function findCachedOutputs(
  store: AsyncMetadataStore,
  cacheContextId: bigint,
  expected: Readonly<Record<string, OutputSkeleton>>,
  check: OutputCheck = localOutputProblem,
): Promise<CachedOutputs | undefined> {
  return (await lookUpCache(store, cacheContextId, expected, check)).hit
}

/**
 * How long the step run took that produced a hit's outputs: the COMPLETE execution with
 * OUTPUT events to them (the hit itself, or the one a CACHED hit reused), from its creation
 * (registration, RUNNING) to its last update (publication). `undefined` if it cannot be found.
 */
export async function producerDurationMs(
  store: AsyncMetadataStore,
  hit: CachedOutputs,
): Promise<number | undefined> {
  const duration = (e: Execution): number | undefined =>
    e.create_time_since_epoch === undefined || e.last_update_time_since_epoch === undefined
      ? undefined
      : Number(e.last_update_time_since_epoch - e.create_time_since_epoch)
  if (hit.execution.last_known_state === Execution_State.COMPLETE) return duration(hit.execution)
  const first = Object.values(hit.outputs)[0]?.[0]
  if (first?.id === undefined) return undefined
  const { events = [] } = await store.getEventsByArtifactIDs({ artifact_ids: [first.id] })
  const producers = events.filter((e) => e.type === Event_Type.OUTPUT).map((e) => e.execution_id as bigint)
  if (producers.length === 0) return undefined
  const { executions = [] } = await store.getExecutionsByID({ execution_ids: producers })
  const producer = executions.find((e) => e.last_known_state === Execution_State.COMPLETE)
  return producer === undefined ? undefined : duration(producer)
}
