/**
 * Statements on the edges between nodes (MLMD's QueryConfig `insert_event`,
 * `select_event_by_artifact_ids`, `insert_event_path`, `insert_attribution`,
 * `insert_association`, `insert_parent_context`, …).
 */
import type { Dialect } from '../storage/dialect.js'
import type { Query } from '../storage/transaction-executor.js'
import { q, textOf } from './query-builder.js'

const selectEvent = (d: Dialect): string =>
  `SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM ${d.id('Event')}`

/** Events of these executions, by execution then insertion (`select_event_by_execution_ids`). */
export function selectEventsByExecutionIds(d: Dialect, ids: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'events-by-execution-ids',
    () => `${selectEvent(d)} WHERE ${d.inList('execution_id')} ORDER BY execution_id, id`,
  )
  return q(sql, d.bindIds(ids))
}

/** Events of these artifacts, in the order of MLMD's unique index (`select_event_by_artifact_ids`). */
export function selectEventsByArtifactIds(d: Dialect, ids: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'events-by-artifact-ids',
    () => `${selectEvent(d)} WHERE ${d.inList('artifact_id')} ORDER BY artifact_id, execution_id, type`,
  )
  return q(sql, d.bindIds(ids))
}

/** Path steps of these events, in the order they were stored (`select_event_path_by_event_ids`). */
export function selectEventPathsByEventIds(d: Dialect, eventIds: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'event-paths-by-event-ids',
    () =>
      `SELECT event_id, is_index_step, step_index, step_key FROM ${d.id('EventPath')} WHERE ${d.inList('event_id')} ORDER BY ${d.insertionOrder}`,
  )
  return q(sql, d.bindIds(eventIds))
}

/** Inserts an event (`insert_event`), returning its id. */
export function insertEvent(
  d: Dialect,
  artifactId: bigint | null,
  executionId: bigint | null,
  type: bigint,
  milliseconds: bigint,
): Query {
  const sql = textOf(d, 'insert-event', () =>
    d.insertReturningId('Event', ['artifact_id', 'execution_id', 'type', 'milliseconds_since_epoch']),
  )
  return q(sql, artifactId, executionId, type, milliseconds)
}

/** Inserts an index step of an event's path (`insert_event_path`). */
export function insertEventPathIndex(d: Dialect, eventId: bigint, index: bigint): Query {
  const sql = textOf(d, 'insert-event-path-index', () =>
    d.insert('EventPath', ['event_id', 'is_index_step', 'step_index']),
  )
  return q(sql, eventId, 1n, index)
}

/** Inserts a key step of an event's path (`insert_event_path`). */
export function insertEventPathKey(d: Dialect, eventId: bigint, key: string): Query {
  const sql = textOf(d, 'insert-event-path-key', () =>
    d.insert('EventPath', ['event_id', 'is_index_step', 'step_key']),
  )
  return q(sql, eventId, 0n, key)
}

/** Links an artifact to a context unless linked (`insert_attribution`). */
export function insertAttributionIfAbsent(d: Dialect, contextId: bigint, artifactId: bigint): Query {
  const sql = textOf(d, 'insert-attribution', () =>
    d.insertIfAbsent('Attribution', ['context_id', 'artifact_id']),
  )
  return q(sql, contextId, artifactId)
}

/** Links an execution to a context unless linked (`insert_association`). */
export function insertAssociationIfAbsent(d: Dialect, contextId: bigint, executionId: bigint): Query {
  const sql = textOf(d, 'insert-association', () =>
    d.insertIfAbsent('Association', ['context_id', 'execution_id']),
  )
  return q(sql, contextId, executionId)
}

/** Ids of the contexts an artifact is attributed to, ascending (`select_attribution_by_artifact_id`). */
export function selectContextIdsByArtifact(d: Dialect, artifactId: bigint): Query {
  const sql = textOf(
    d,
    'context-ids-by-artifact',
    () => `SELECT context_id AS id FROM ${d.id('Attribution')} WHERE artifact_id = ? ORDER BY context_id`,
  )
  return q(sql, artifactId)
}

/** Ids of the contexts an execution is associated with, ascending. */
export function selectContextIdsByExecution(d: Dialect, executionId: bigint): Query {
  const sql = textOf(
    d,
    'context-ids-by-execution',
    () => `SELECT context_id AS id FROM ${d.id('Association')} WHERE execution_id = ? ORDER BY context_id`,
  )
  return q(sql, executionId)
}

/** Inserts a child → parent link (`insert_parent_context`). */
export function insertParentContext(d: Dialect, childId: bigint, parentId: bigint): Query {
  const sql = textOf(d, 'insert-parent-context', () =>
    d.insert('ParentContext', ['context_id', 'parent_context_id']),
  )
  return q(sql, childId, parentId)
}

/** Parent links of these children as (child, parent) (`select_parent_context_by_context_ids`). */
export function selectParentLinks(d: Dialect, childIds: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'parent-links',
    () =>
      `SELECT context_id AS child, parent_context_id AS parent FROM ${d.id('ParentContext')} WHERE ${d.inList('context_id')} ORDER BY context_id, parent_context_id`,
  )
  return q(sql, d.bindIds(childIds))
}

/** Child links of these parents as (parent, child) (`select_parent_context_by_parent_context_ids`). */
export function selectChildLinks(d: Dialect, parentIds: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'child-links',
    () =>
      `SELECT parent_context_id AS parent, context_id AS child FROM ${d.id('ParentContext')} WHERE ${d.inList('parent_context_id')} ORDER BY parent_context_id, context_id`,
  )
  return q(sql, d.bindIds(parentIds))
}

/** One row when `ancestorId` is an ancestor of `contextId` (one recursive query). */
export function selectIsAncestor(d: Dialect, contextId: bigint, ancestorId: bigint): Query {
  const sql = textOf(d, 'is-ancestor', () => {
    const links = d.id('ParentContext')
    return `WITH RECURSIVE ancestors(id) AS (SELECT parent_context_id FROM ${links} WHERE context_id = ? UNION SELECT p.parent_context_id FROM ${links} AS p JOIN ancestors AS a ON p.context_id = a.id) SELECT 1 AS found FROM ancestors WHERE id = ? LIMIT 1`
  })
  return q(sql, contextId, ancestorId)
}

/** Attributions of these artifacts, by artifact then context (`select_attributions_by_artifact_ids`). */
export function selectAttributionsByArtifactIds(d: Dialect, artifactIds: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'attributions-by-artifact-ids',
    () =>
      `SELECT artifact_id, context_id FROM ${d.id('Attribution')} WHERE ${d.inList('artifact_id')} ORDER BY artifact_id, context_id`,
  )
  return q(sql, d.bindIds(artifactIds))
}

/** Associations of these executions, by execution then context (`select_associations_by_execution_ids`). */
export function selectAssociationsByExecutionIds(d: Dialect, executionIds: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'associations-by-execution-ids',
    () =>
      `SELECT execution_id, context_id FROM ${d.id('Association')} WHERE ${d.inList('execution_id')} ORDER BY execution_id, context_id`,
  )
  return q(sql, d.bindIds(executionIds))
}

/** The event types a directed lineage walk follows out of each side of an event. */
export interface WalkDirection {
  readonly fromArtifacts: readonly number[]
  readonly fromExecutions: readonly number[]
}

/**
 * The whole breadth-first lineage walk in one statement (SQLite): every node reached from
 * `startIds` within `maxHops` hops as (hop, id), by hop then id; a node's hop is its distance
 * from the nearest starting node. Hop 0 holds the starting nodes, which are artifacts when
 * `startParity` is 0 and executions when it is 1; kinds alternate from there. `direction`
 * `null` follows every event both ways.
 *
 * Each row of the recursive table is one hop, its frontier a JSON array, so a node is expanded
 * once, at its first hop, and a hop's events are read with one index lookup per frontier node,
 * as a walk in code would read them. (A recursive table of single nodes cannot remember what
 * it has visited, and would revisit every node at every later hop of its parity.) What a hop
 * reaches, less what was seen before, is the next frontier:
 * - walking both ways, a node one event away from a node at hop h is at hop h - 1 or h + 1, so
 *   "seen before" is the previous frontier alone;
 * - walking one way, an event may lead back to a node of any earlier hop, so the row also
 *   carries every node seen so far of either kind.
 */
export function selectLineageWalk(
  d: Dialect,
  startIds: Iterable<bigint>,
  startParity: 0 | 1,
  maxHops: bigint,
  direction: WalkDirection | null,
): Query {
  const build = (directed: boolean) => {
    const event = d.id('Event')
    // Nodes of the kind `other` reached over events from the frontier's kind `from`.
    const step = (parity: 0 | 1, from: string, other: string) =>
      `SELECT e.${other} AS id FROM json_each(w.frontier) AS f JOIN ${event} AS e ON e.${from} = f.value WHERE (w.hop + ?) % 2 = ${parity}${directed ? ' AND e.type IN (SELECT value FROM json_each(?))' : ''} AND ${d.withinBudget('e.id')}`
    const reached = `${step(0, 'artifact_id', 'execution_id')} UNION ${step(1, 'execution_id', 'artifact_id')}`
    if (!directed) {
      const next = `(SELECT json_group_array(x.id) FROM (${reached} EXCEPT SELECT value FROM json_each(w.previous)) AS x)`
      return `WITH RECURSIVE walk(hop, frontier, previous) AS (SELECT 0, ?, '[]' UNION ALL SELECT w.hop + 1, ${next}, w.frontier FROM walk AS w WHERE w.hop < ? AND w.frontier <> '[]') SELECT w.hop AS hop, j.value AS id FROM walk AS w, json_each(w.frontier) AS j ORDER BY w.hop, j.value`
    }
    // seen_same: the nodes of the frontier's kind seen at earlier hops; seen_other: those of the
    // other kind. The frontier joins its kind's (disjoint arrays, so concatenated).
    const next = `(SELECT json_group_array(x.id) FROM (${reached} EXCEPT SELECT value FROM json_each(w.seen_other)) AS x)`
    const seenWithFrontier = `CASE WHEN w.seen_same = '[]' THEN w.frontier ELSE substr(w.seen_same, 1, length(w.seen_same) - 1) || ',' || substr(w.frontier, 2) END`
    return `WITH RECURSIVE walk(hop, frontier, seen_same, seen_other) AS (SELECT 0, ?, '[]', '[]' UNION ALL SELECT w.hop + 1, ${next}, w.seen_other, ${seenWithFrontier} FROM walk AS w WHERE w.hop < ? AND w.frontier <> '[]') SELECT w.hop AS hop, j.value AS id FROM walk AS w, json_each(w.frontier) AS j ORDER BY w.hop, j.value`
  }
  const parity = BigInt(startParity)
  if (direction === null) {
    return q(
      textOf(d, 'lineage-walk-both-ways', () => build(false)),
      d.bindIds(startIds),
      parity,
      parity,
      maxHops,
    )
  }
  return q(
    textOf(d, 'lineage-walk-one-way', () => build(true)),
    d.bindIds(startIds),
    parity,
    JSON.stringify(direction.fromArtifacts),
    parity,
    JSON.stringify(direction.fromExecutions),
    maxHops,
  )
}

/**
 * Events between any of these artifacts and any of these executions, in no particular order.
 * The events are looked up by artifact and tested for their execution: a lookup of every pair
 * (the plan SQLite picks by itself) grows with the product of the two lists.
 */
export function selectEventsBetween(
  d: Dialect,
  artifactIds: Iterable<bigint>,
  executionIds: Iterable<bigint>,
): Query {
  const sql = textOf(
    d,
    'events-between',
    () => `${selectEvent(d)} WHERE ${d.inList('artifact_id')} AND ${d.inList(d.unindexed('execution_id'))}`,
  )
  return q(sql, d.bindIds(artifactIds), d.bindIds(executionIds))
}
