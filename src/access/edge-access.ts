/**
 * Reads and writes of the edges between nodes: events (with their paths), attributions,
 * associations and parent contexts. Statements come from `edge-queries.ts`.
 */
import type { Association, Attribution, Event, Event_Path_Step } from '../proto/messages.js'
import { all, column, get, type Op, run, type Tx } from '../storage/transaction-executor.js'
import * as queries from './edge-queries.js'

/** An event as its row holds it: its path steps are read separately (`withPaths`). */
export interface StoredEvent {
  id: bigint
  artifact_id: bigint
  execution_id: bigint
  type: bigint
  milliseconds_since_epoch: bigint | null
}

interface PathRow {
  event_id: bigint
  is_index_step: bigint
  step_index: bigint | null
  step_key: string | null
}

/** The events of these rows with their path steps, in the order of `rows`. */
export function* withPaths(tx: Tx, rows: readonly StoredEvent[]): Op<Event[]> {
  if (rows.length === 0) return []
  const paths = new Map<bigint, Event_Path_Step[]>()
  const pathRows = yield* all<PathRow>(
    queries.selectEventPathsByEventIds(
      tx.dialect,
      rows.map((r) => r.id),
    ),
  )
  for (const p of pathRows) {
    let steps = paths.get(p.event_id)
    if (steps === undefined) {
      steps = []
      paths.set(p.event_id, steps)
    }
    if (p.is_index_step) steps.push({ index: p.step_index ?? 0n })
    else steps.push({ key: p.step_key ?? '' })
  }
  return rows.map((r) => {
    const event: Event = {
      artifact_id: r.artifact_id,
      execution_id: r.execution_id,
      type: Number(r.type) as Event['type'],
    }
    const steps = paths.get(r.id)
    if (steps !== undefined) event.path = { steps }
    if (r.milliseconds_since_epoch !== null) event.milliseconds_since_epoch = r.milliseconds_since_epoch
    return event
  })
}

/** Events of these executions, by execution id then insertion order. */
export function* findEventsByExecutionIds(tx: Tx, ids: readonly bigint[]): Op<Event[]> {
  return yield* withPaths(tx, yield* findStoredEventsByExecutionIds(tx, ids))
}

/** Events of these artifacts, by artifact, execution and type (the order of MLMD's unique index). */
export function* findEventsByArtifactIds(tx: Tx, ids: readonly bigint[]): Op<Event[]> {
  return yield* withPaths(tx, yield* findStoredEventsByArtifactIds(tx, ids))
}

/** `findEventsByExecutionIds` without the path steps: for walks that keep only some events. */
export function* findStoredEventsByExecutionIds(tx: Tx, ids: readonly bigint[]): Op<StoredEvent[]> {
  if (ids.length === 0) return []
  return yield* all<StoredEvent>(queries.selectEventsByExecutionIds(tx.dialect, ids))
}

/** `findEventsByArtifactIds` without the path steps: for walks that keep only some events. */
export function* findStoredEventsByArtifactIds(tx: Tx, ids: readonly bigint[]): Op<StoredEvent[]> {
  if (ids.length === 0) return []
  return yield* all<StoredEvent>(queries.selectEventsByArtifactIds(tx.dialect, ids))
}

/** A node a lineage walk reached: its hop (distance from the nearest starting node) and id. */
export interface WalkedNode {
  hop: bigint
  id: bigint
}

/**
 * Every node within `maxHops` hops of `startIds` (artifacts when `startParity` is 0, executions
 * when 1; kinds alternate by hop), following the events of `direction` out of each side (every
 * event both ways for `null`), by hop then id, in one statement. SQLite only (see
 * `selectLineageWalk`).
 */
export function walkLineage(
  tx: Tx,
  startIds: readonly bigint[],
  startParity: 0 | 1,
  maxHops: bigint,
  direction: queries.WalkDirection | null,
): Op<WalkedNode[]> {
  return all<WalkedNode>(queries.selectLineageWalk(tx.dialect, startIds, startParity, maxHops, direction))
}

/** Events between any of these artifacts and any of these executions, without path steps, unordered. */
export function* findStoredEventsBetween(
  tx: Tx,
  artifactIds: readonly bigint[],
  executionIds: readonly bigint[],
): Op<StoredEvent[]> {
  if (artifactIds.length === 0 || executionIds.length === 0) return []
  return yield* all<StoredEvent>(queries.selectEventsBetween(tx.dialect, artifactIds, executionIds))
}

/**
 * Inserts an event and its path steps (steps with neither index nor key are dropped, as MLMD
 * does). `milliseconds` is the event time to store.
 */
export function* insertEvent(tx: Tx, event: Event, milliseconds: bigint): Op<void> {
  const d = tx.dialect
  const { lastInsertRowid: id } = yield* run(
    queries.insertEvent(
      d,
      event.artifact_id ?? null,
      event.execution_id ?? null,
      BigInt(event.type ?? 0),
      milliseconds,
    ),
  )
  for (const step of event.path?.steps ?? []) {
    if (step.index !== undefined && step.index !== null) {
      yield* run(queries.insertEventPathIndex(d, id, step.index))
    } else if (step.key !== undefined && step.key !== null) {
      yield* run(queries.insertEventPathKey(d, id, step.key))
    }
  }
}

/** Links an artifact to a context; an existing link is left alone. */
export function* insertAttributionIfNotExists(tx: Tx, contextId: bigint, artifactId: bigint): Op<void> {
  yield* run(queries.insertAttributionIfAbsent(tx.dialect, contextId, artifactId))
}

/** Links an execution to a context; an existing link is left alone. */
export function* insertAssociationIfNotExists(tx: Tx, contextId: bigint, executionId: bigint): Op<void> {
  yield* run(queries.insertAssociationIfAbsent(tx.dialect, contextId, executionId))
}

/** Ids of the contexts an artifact is attributed to, ascending. */
export function* findContextIdsByArtifact(tx: Tx, artifactId: bigint): Op<bigint[]> {
  return yield* column<bigint>(queries.selectContextIdsByArtifact(tx.dialect, artifactId))
}

/** Ids of the contexts an execution is associated with, ascending. */
export function* findContextIdsByExecution(tx: Tx, executionId: bigint): Op<bigint[]> {
  return yield* column<bigint>(queries.selectContextIdsByExecution(tx.dialect, executionId))
}

/** Inserts a child → parent link. */
export function* insertParentContext(tx: Tx, childId: bigint, parentId: bigint): Op<void> {
  yield* run(queries.insertParentContext(tx.dialect, childId, parentId))
}

/** Parent links of these children: pairs (child, parent), by child then parent id. */
export function findParentLinks(
  tx: Tx,
  childIds: readonly bigint[],
): Op<{ child: bigint; parent: bigint }[]> {
  return all(queries.selectParentLinks(tx.dialect, childIds))
}

/** Child links of these parents: pairs (parent, child), by parent then child id. */
export function findChildLinks(
  tx: Tx,
  parentIds: readonly bigint[],
): Op<{ parent: bigint; child: bigint }[]> {
  return all(queries.selectChildLinks(tx.dialect, parentIds))
}

/** Whether `ancestorId` is `contextId` itself or one of its ancestors (one recursive query). */
export function* isSelfOrAncestor(tx: Tx, contextId: bigint, ancestorId: bigint): Op<boolean> {
  if (contextId === ancestorId) return true
  return (yield* get(queries.selectIsAncestor(tx.dialect, contextId, ancestorId))) !== undefined
}

/** Attributions of these artifacts, by artifact then context id. */
export function* findAttributionsByArtifacts(tx: Tx, artifactIds: readonly bigint[]): Op<Attribution[]> {
  if (artifactIds.length === 0) return []
  return yield* all<{ artifact_id: bigint; context_id: bigint }>(
    queries.selectAttributionsByArtifactIds(tx.dialect, artifactIds),
  )
}

/** Associations of these executions, by execution then context id. */
export function* findAssociationsByExecutions(tx: Tx, executionIds: readonly bigint[]): Op<Association[]> {
  if (executionIds.length === 0) return []
  return yield* all<{ execution_id: bigint; context_id: bigint }>(
    queries.selectAssociationsByExecutionIds(tx.dialect, executionIds),
  )
}
