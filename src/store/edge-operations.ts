/**
 * Events, attributions, associations and parent contexts.
 */
import {
  findChildLinks,
  findEventsByArtifactIds,
  findEventsByExecutionIds,
  findParentLinks,
  insertAssociationIfNotExists,
  insertAttributionIfNotExists,
  insertEvent,
  insertParentContext,
  isSelfOrAncestor,
} from '../access/edge-access.js'
import {
  ARTIFACT,
  CONTEXT,
  EXECUTION,
  findExistingNodeIds,
  findNodesByIds,
  type NodeKind,
} from '../access/node-access.js'
import { alreadyExists, Code, invalidArgument, MlmdError } from '../errors.js'
import type * as m from '../proto/messages.js'
import type { Association, Attribution, Context, Event, ParentContext } from '../proto/messages.js'
import { Event_Type } from '../proto/messages.js'
import type { Op, Tx } from '../storage/transaction-executor.js'
import { nowMillis } from './node-operations.js'
import { list, type Operations } from './operation.js'

const EVENT_TYPE_MAX = Math.max(...Object.values(Event_Type))

/** Checks an event's own fields (not the existence of its nodes). @throws InvalidArgument. */
export function validateEvent(event: Event): void {
  if (event.artifact_id === undefined || event.artifact_id === null)
    throw invalidArgument('No artifact id is specified.')
  if (event.execution_id === undefined || event.execution_id === null) {
    throw invalidArgument('No execution id is specified.')
  }
  if (event.type === undefined || event.type === null || event.type === Event_Type.UNKNOWN) {
    throw invalidArgument('No event type is specified.')
  }
  if (!Number.isInteger(event.type) || event.type < 0 || event.type > EVENT_TYPE_MAX) {
    throw invalidArgument(`Unknown event type ${String(event.type)}.`)
  }
}

/**
 * Checks that every id exists as a node of `kind`, in one query.
 * @throws InvalidArgument naming the first missing id.
 */
export function* requireNodesExist(
  tx: Tx,
  kind: NodeKind,
  ids: readonly bigint[],
  what = kind.name,
): Op<void> {
  if (ids.length === 0) return
  const existing = yield* findExistingNodeIds(tx, kind, ids)
  const missing = ids.find((id) => !existing.has(id))
  if (missing !== undefined) throw invalidArgument(`No ${what} with the given id ${missing}`)
}

/**
 * Inserts events after checking their fields and that their nodes exist.
 * @throws InvalidArgument, AlreadyExists — see `putEvents`.
 */
export function* putEventsChecked(tx: Tx, events: readonly Event[]): Op<void> {
  for (const event of events) validateEvent(event)
  yield* requireNodesExist(
    tx,
    ARTIFACT,
    events.map((e) => e.artifact_id as bigint),
  )
  yield* requireNodesExist(
    tx,
    EXECUTION,
    events.map((e) => e.execution_id as bigint),
  )
  yield* insertEvents(tx, events)
}

/** Inserts already validated events. A duplicate (artifact, execution, type) is ALREADY_EXISTS. */
export function* insertEvents(tx: Tx, events: readonly Event[]): Op<void> {
  const now = nowMillis()
  for (const event of events) {
    try {
      yield* insertEvent(tx, event, event.milliseconds_since_epoch ?? now)
    } catch (error) {
      if (error instanceof MlmdError && error.code === Code.AlreadyExists) {
        throw alreadyExists(
          `Given event already exists: artifact_id ${event.artifact_id}, execution_id ${event.execution_id}, type ${event.type}`,
        )
      }
      throw error
    }
  }
}

/**
 * Inserts attributions and associations that do not exist yet.
 * @throws InvalidArgument if an id is missing or names no node.
 */
export function* putAttributionsAndAssociations(
  tx: Tx,
  attributions: readonly Attribution[],
  associations: readonly Association[],
): Op<void> {
  for (const a of attributions) {
    if (a.artifact_id == null || a.context_id == null)
      throw invalidArgument('Attribution must have artifact_id and context_id.')
  }
  for (const a of associations) {
    if (a.execution_id == null || a.context_id == null) {
      throw invalidArgument('Association must have execution_id and context_id.')
    }
  }
  yield* requireNodesExist(
    tx,
    CONTEXT,
    [...attributions, ...associations].map((a) => a.context_id as bigint),
    'context',
  )
  yield* requireNodesExist(
    tx,
    ARTIFACT,
    attributions.map((a) => a.artifact_id as bigint),
  )
  yield* requireNodesExist(
    tx,
    EXECUTION,
    associations.map((a) => a.execution_id as bigint),
  )
  for (const a of attributions) {
    yield* insertAttributionIfNotExists(tx, a.context_id as bigint, a.artifact_id as bigint)
  }
  for (const a of associations) {
    yield* insertAssociationIfNotExists(tx, a.context_id as bigint, a.execution_id as bigint)
  }
}

/**
 * Inserts child → parent links, in request order, each checked against the links before it.
 * @throws InvalidArgument, AlreadyExists — see `putParentContexts`.
 */
export function* putParentContexts(tx: Tx, links: readonly ParentContext[]): Op<void> {
  for (const link of links) {
    if (link.child_id == null || link.parent_id == null) {
      throw invalidArgument('Missing parent / child id in the parent_context.')
    }
  }
  yield* requireNodesExist(
    tx,
    CONTEXT,
    links.flatMap((l) => [l.child_id as bigint, l.parent_id as bigint]),
    'context',
  )
  for (const link of links) {
    const child = link.child_id as bigint
    const parent = link.parent_id as bigint
    // Adding child → parent closes a cycle exactly when the child is the parent or one of its ancestors.
    if (yield* isSelfOrAncestor(tx, parent, child)) {
      throw invalidArgument(
        `There is a cycle detected of the given relationship: child ${child}, parent ${parent}.`,
      )
    }
    try {
      yield* insertParentContext(tx, child, parent)
    } catch (error) {
      if (error instanceof MlmdError && error.code === Code.AlreadyExists) {
        throw alreadyExists(`Given parent_context already exists: child_id ${child}, parent_id ${parent}`)
      }
      throw error
    }
  }
}

/** Parents (or children) of each context, keyed by the context's id; contexts with none are left out. */
export function* getLinkedContextsByContexts(
  tx: Tx,
  contextIds: readonly bigint[] | undefined,
  direction: 'parents' | 'children',
): Op<Map<bigint, Context[]>> {
  const ids = contextIds ?? []
  if (ids.length === 0) throw invalidArgument('context_ids cannot be empty.')
  const links =
    direction === 'parents'
      ? (yield* findParentLinks(tx, ids)).map((l) => ({ from: l.child, to: l.parent }))
      : (yield* findChildLinks(tx, ids)).map((l) => ({ from: l.parent, to: l.child }))
  const linked = yield* findNodesByIds<Context>(
    tx,
    CONTEXT,
    links.map((l) => l.to),
  )
  const contexts = new Map(linked.map((c) => [c.id as bigint, c]))
  const result = new Map<bigint, Context[]>()
  for (const link of links) {
    const context = contexts.get(link.to)
    if (context === undefined) continue
    let list = result.get(link.from)
    if (list === undefined) {
      list = []
      result.set(link.from, list)
    }
    list.push(context)
  }
  return result
}

function* contextsByContexts<K extends string>(
  tx: Tx,
  ids: readonly bigint[] | undefined,
  direction: 'parents' | 'children',
  field: K,
): Op<Record<string, Record<K, m.Context[]>>> {
  const result: Record<string, Record<K, m.Context[]>> = {}
  for (const [id, contexts] of yield* getLinkedContextsByContexts(tx, ids, direction)) {
    result[id.toString()] = { [field]: contexts } as Record<K, m.Context[]>
  }
  return result
}

function* linkedContexts(tx: Tx, id: bigint | undefined, direction: 'parents' | 'children'): Op<m.Context[]> {
  return (yield* getLinkedContextsByContexts(tx, [id ?? 0n], direction)).get(id ?? 0n) ?? []
}

type EdgeOperationName =
  | 'putEvents'
  | 'putAttributionsAndAssociations'
  | 'putParentContexts'
  | 'getEventsByExecutionIDs'
  | 'getEventsByArtifactIDs'
  | 'getParentContextsByContext'
  | 'getChildrenContextsByContext'
  | 'getParentContextsByContexts'
  | 'getChildrenContextsByContexts'

/** The edge operations of the operation table. */
export const EDGE_OPERATIONS: Operations<EdgeOperationName> = {
  putEvents: {
    mode: 'write',
    *body(tx, r) {
      yield* putEventsChecked(tx, list(r.events))
      return {}
    },
  },
  putAttributionsAndAssociations: {
    mode: 'write',
    *body(tx, r) {
      yield* putAttributionsAndAssociations(tx, list(r.attributions), list(r.associations))
      return {}
    },
  },
  putParentContexts: {
    mode: 'write',
    *body(tx, r) {
      yield* putParentContexts(tx, list(r.parent_contexts))
      return {}
    },
  },
  getEventsByExecutionIDs: {
    mode: 'read',
    *body(tx, r) {
      return { events: yield* findEventsByExecutionIds(tx, list(r.execution_ids)) }
    },
  },
  getEventsByArtifactIDs: {
    mode: 'read',
    *body(tx, r) {
      return { events: yield* findEventsByArtifactIds(tx, list(r.artifact_ids)) }
    },
  },
  getParentContextsByContext: {
    mode: 'read',
    *body(tx, r) {
      return { contexts: yield* linkedContexts(tx, r.context_id, 'parents') }
    },
  },
  getChildrenContextsByContext: {
    mode: 'read',
    *body(tx, r) {
      return { contexts: yield* linkedContexts(tx, r.context_id, 'children') }
    },
  },
  getParentContextsByContexts: {
    mode: 'read',
    *body(tx, r) {
      return { contexts: yield* contextsByContexts(tx, r.context_ids, 'parents', 'parent_contexts') }
    },
  },
  getChildrenContextsByContexts: {
    mode: 'read',
    *body(tx, r) {
      return { contexts: yield* contextsByContexts(tx, r.context_ids, 'children', 'children_contexts') }
    },
  },
}
