/**
 * Reads and writes of the edges between nodes: events (with their paths), attributions,
 * associations and parent contexts.
 */
import type { Association, Attribution, Event, Event_Path_Step } from '../proto/messages.js'
import type { Tx } from '../storage/transaction-executor.js'
import { IN_LIST, idList, q } from './sql.js'

interface EventRow {
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

function hydrateEvents(tx: Tx, rows: EventRow[]): Event[] {
  if (rows.length === 0) return []
  const paths = new Map<bigint, Event_Path_Step[]>()
  const pathRows = tx.all<PathRow>(
    q(
      `SELECT event_id, is_index_step, step_index, step_key FROM \`EventPath\` WHERE event_id IN ${IN_LIST} ORDER BY rowid`,
      idList(rows.map((r) => r.id)),
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

const SELECT_EVENT = 'SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM `Event`'

/** Events of these executions, by execution id then insertion order. */
export function findEventsByExecutionIds(tx: Tx, ids: readonly bigint[]): Event[] {
  if (ids.length === 0) return []
  const rows = tx.all<EventRow>(
    q(`${SELECT_EVENT} WHERE execution_id IN ${IN_LIST} ORDER BY execution_id, id`, idList(ids)),
  )
  return hydrateEvents(tx, rows)
}

/** Events of these artifacts, by artifact, execution and type (the order of MLMD's unique index). */
export function findEventsByArtifactIds(tx: Tx, ids: readonly bigint[]): Event[] {
  if (ids.length === 0) return []
  const rows = tx.all<EventRow>(
    q(
      `${SELECT_EVENT} WHERE artifact_id IN ${IN_LIST} ORDER BY artifact_id, execution_id, type`,
      idList(ids),
    ),
  )
  return hydrateEvents(tx, rows)
}

/**
 * Inserts an event and its path steps (steps with neither index nor key are dropped, as MLMD
 * does). `milliseconds` is the event time to store.
 */
export function insertEvent(tx: Tx, event: Event, milliseconds: bigint): void {
  const { lastInsertRowid: id } = tx.run(
    q(
      'INSERT INTO `Event`(`artifact_id`, `execution_id`, `type`, `milliseconds_since_epoch`) VALUES(?, ?, ?, ?)',
      event.artifact_id ?? null,
      event.execution_id ?? null,
      BigInt(event.type ?? 0),
      milliseconds,
    ),
  )
  for (const step of event.path?.steps ?? []) {
    if (step.index !== undefined && step.index !== null) {
      tx.run(
        q(
          'INSERT INTO `EventPath`(`event_id`, `is_index_step`, `step_index`) VALUES(?, 1, ?)',
          id,
          step.index,
        ),
      )
    } else if (step.key !== undefined && step.key !== null) {
      tx.run(
        q('INSERT INTO `EventPath`(`event_id`, `is_index_step`, `step_key`) VALUES(?, 0, ?)', id, step.key),
      )
    }
  }
}

/** Links an artifact to a context; an existing link is left alone. */
export function insertAttributionIfNotExists(tx: Tx, contextId: bigint, artifactId: bigint): void {
  tx.run(
    q('INSERT OR IGNORE INTO `Attribution`(`context_id`, `artifact_id`) VALUES(?, ?)', contextId, artifactId),
  )
}

/** Links an execution to a context; an existing link is left alone. */
export function insertAssociationIfNotExists(tx: Tx, contextId: bigint, executionId: bigint): void {
  tx.run(
    q(
      'INSERT OR IGNORE INTO `Association`(`context_id`, `execution_id`) VALUES(?, ?)',
      contextId,
      executionId,
    ),
  )
}

/** Ids of the contexts an artifact is attributed to, ascending. */
export function findContextIdsByArtifact(tx: Tx, artifactId: bigint): bigint[] {
  return tx
    .all<{ id: bigint }>(
      q('SELECT context_id AS id FROM `Attribution` WHERE artifact_id = ? ORDER BY context_id', artifactId),
    )
    .map((r) => r.id)
}

/** Ids of the contexts an execution is associated with, ascending. */
export function findContextIdsByExecution(tx: Tx, executionId: bigint): bigint[] {
  return tx
    .all<{ id: bigint }>(
      q('SELECT context_id AS id FROM `Association` WHERE execution_id = ? ORDER BY context_id', executionId),
    )
    .map((r) => r.id)
}

/** Ids of the artifacts attributed to a context, ascending. */
export function findArtifactIdsByContext(tx: Tx, contextId: bigint): bigint[] {
  return tx
    .all<{ id: bigint }>(
      q('SELECT artifact_id AS id FROM `Attribution` WHERE context_id = ? ORDER BY artifact_id', contextId),
    )
    .map((r) => r.id)
}

/** Ids of the executions associated with a context, ascending. */
export function findExecutionIdsByContext(tx: Tx, contextId: bigint): bigint[] {
  return tx
    .all<{ id: bigint }>(
      q('SELECT execution_id AS id FROM `Association` WHERE context_id = ? ORDER BY execution_id', contextId),
    )
    .map((r) => r.id)
}

/** Inserts a child → parent link. */
export function insertParentContext(tx: Tx, childId: bigint, parentId: bigint): void {
  tx.run(q('INSERT INTO `ParentContext`(`context_id`, `parent_context_id`) VALUES(?, ?)', childId, parentId))
}

/** Parent links of these children: pairs (child, parent), by child then parent id. */
export function findParentLinks(tx: Tx, childIds: readonly bigint[]): { child: bigint; parent: bigint }[] {
  return tx.all<{ child: bigint; parent: bigint }>(
    q(
      `SELECT context_id AS child, parent_context_id AS parent FROM \`ParentContext\`
         WHERE context_id IN ${IN_LIST} ORDER BY context_id, parent_context_id`,
      idList(childIds),
    ),
  )
}

/** Child links of these parents: pairs (parent, child), by parent then child id. */
export function findChildLinks(tx: Tx, parentIds: readonly bigint[]): { parent: bigint; child: bigint }[] {
  return tx.all<{ parent: bigint; child: bigint }>(
    q(
      `SELECT parent_context_id AS parent, context_id AS child FROM \`ParentContext\`
       WHERE parent_context_id IN ${IN_LIST} ORDER BY parent_context_id, context_id`,
      idList(parentIds),
    ),
  )
}

/** Whether `ancestorId` is `contextId` itself or one of its ancestors (one recursive query). */
export function isSelfOrAncestor(tx: Tx, contextId: bigint, ancestorId: bigint): boolean {
  if (contextId === ancestorId) return true
  const row = tx.get(
    q(
      `WITH RECURSIVE ancestors(id) AS (
         SELECT parent_context_id FROM \`ParentContext\` WHERE context_id = ?
         UNION SELECT p.parent_context_id FROM \`ParentContext\` AS p JOIN ancestors AS a ON p.context_id = a.id)
       SELECT 1 AS found FROM ancestors WHERE id = ? LIMIT 1`,
      contextId,
      ancestorId,
    ),
  )
  return row !== undefined
}

/** Attributions of these artifacts, by artifact then context id. */
export function findAttributionsByArtifacts(tx: Tx, artifactIds: readonly bigint[]): Attribution[] {
  if (artifactIds.length === 0) return []
  return tx.all<{ artifact_id: bigint; context_id: bigint }>(
    q(
      `SELECT artifact_id, context_id FROM \`Attribution\` WHERE artifact_id IN ${IN_LIST} ORDER BY artifact_id, context_id`,
      idList(artifactIds),
    ),
  )
}

/** Associations of these executions, by execution then context id. */
export function findAssociationsByExecutions(tx: Tx, executionIds: readonly bigint[]): Association[] {
  if (executionIds.length === 0) return []
  return tx.all<{ execution_id: bigint; context_id: bigint }>(
    q(
      `SELECT execution_id, context_id FROM \`Association\` WHERE execution_id IN ${IN_LIST} ORDER BY execution_id, context_id`,
      idList(executionIds),
    ),
  )
}
