/**
 * Statements of listings (MLMD's `list_operation_*` queries): which nodes a listing draws from,
 * one page of them in the listing's order, and the continuation of a page token. Every
 * condition is on the node row aliased `table_0`, the alias filter queries compile against.
 */
import type { Dialect } from '../storage/dialect.js'
import type { Query, SqlValue } from '../storage/transaction-executor.js'
import type { NodeShape } from './node-queries.js'
import { q } from './query-builder.js'

/**
 * The nodes a listing draws from: all of the kind, a type's, a context's (attributed artifacts,
 * associated executions), or a set of ids. Each is a condition in SQL, never a list of loaded
 * ids, so a page costs the same however many nodes the type or context has.
 */
export type Candidates =
  | { readonly kind: 'all' }
  | { readonly kind: 'type'; readonly typeId: bigint }
  | { readonly kind: 'context'; readonly contextId: bigint }
  | { readonly kind: 'ids'; readonly ids: readonly bigint[] }

/** Conditions on `table_0`, joined with AND, and their parameters in order. */
export interface Conditions {
  readonly sql: readonly string[]
  readonly params: readonly SqlValue[]
}

/** No condition. */
export const NO_CONDITIONS: Conditions = { sql: [], params: [] }

/** Both sets of conditions. */
export function and(a: Conditions, b: Conditions): Conditions {
  return { sql: [...a.sql, ...b.sql], params: [...a.params, ...b.params] }
}

// The link table of a context's nodes, and the link's column naming the node.
const CONTEXT_LINKS: Record<NodeShape['name'], { table: string; column: string } | undefined> = {
  artifact: { table: 'Attribution', column: 'artifact_id' },
  execution: { table: 'Association', column: 'execution_id' },
  context: undefined,
}

/** The condition selecting `candidates` among the nodes of `kind`. */
export function candidateConditions(d: Dialect, kind: NodeShape, candidates: Candidates): Conditions {
  switch (candidates.kind) {
    case 'all':
      return NO_CONDITIONS
    case 'type':
      return { sql: ['table_0.type_id = ?'], params: [candidates.typeId] }
    case 'context': {
      const link = CONTEXT_LINKS[kind.name]
      if (link === undefined) throw new Error(`${kind.name}s are not linked to contexts`)
      return {
        sql: [`table_0.id IN (SELECT ${d.id(link.column)} FROM ${d.id(link.table)} WHERE context_id = ?)`],
        params: [candidates.contextId],
      }
    }
    case 'ids':
      return { sql: [d.inList('table_0.id')], params: [d.bindIds(candidates.ids)] }
  }
}

/**
 * A set of nodes in the two forms a page can use: `set` selects their ids (column `id`) through
 * the set's own index, `row` tests one node row `table_0`. Which form is fast depends on how
 * many nodes the set holds (see the store's windowed pages).
 */
export interface Selection {
  readonly set: Query
  readonly row: Conditions
  /**
   * Whether a walk testing `row` must check the call's time budget on every row: a filter's
   * test can be arbitrarily expensive; a type's or a context's is one index probe, and a walk
   * visits a bounded number of rows.
   */
  readonly rowNeedsBudget: boolean
  /**
   * Whether a page should walk its first window before counting the set: true where matches
   * are usually common (a type's nodes are a large share of their kind, as a pipeline writes
   * few types) and the row test is one column, so the walk fills the page after a few rows and
   * costs little when it does not.
   */
  readonly walkFirst: boolean
}

/**
 * Up to `limit` nodes of a context in id order (ascending or not), read along the link's unique
 * (context, node) index, which holds a context's nodes sorted by id: a page costs its own rows
 * however large the context. Only ids beyond `beyondId` in that order, and only nodes meeting
 * `where`. Each row is its id and the column of `order` (`field`).
 */
export function selectContextNodesById(
  d: Dialect,
  kind: NodeShape,
  contextId: bigint,
  order: PageOrder,
  idAscending: boolean,
  beyondId: bigint | undefined,
  where: Conditions,
  limit: number,
): Query {
  const link = CONTEXT_LINKS[kind.name]
  if (link === undefined) throw new Error(`${kind.name}s are not linked to contexts`)
  const nodeColumn = `link.${d.id(link.column)}`
  // The id bound is on the link's column, so that the link index (an equality on its first
  // column, a range on its second) drives the statement rather than the node table.
  const conditions = and(
    { sql: ['link.context_id = ?'], params: [contextId] },
    and(
      beyondId === undefined
        ? NO_CONDITIONS
        : { sql: [`${nodeColumn} ${idAscending ? '>' : '<'} ?`], params: [beyondId] },
      where,
    ),
  )
  return q(
    `SELECT table_0.id AS id, table_0.${d.id(order.column)} AS field FROM ${d.id(link.table)} AS link JOIN ${d.id(kind.tables.node)} AS table_0 ON table_0.id = ${nodeColumn}${whereOf(conditions)} ORDER BY ${nodeColumn} ${idAscending ? 'ASC' : 'DESC'} LIMIT ?`,
    ...conditions.params,
    BigInt(limit),
  )
}

/** Nodes whose id lies outside [`low`, `high`]; an absent bound is open (no id beyond it). */
export function outsideIds(low: bigint | undefined, high: bigint | undefined): Conditions {
  const sides = [
    ...(low === undefined ? [] : [{ sql: 'table_0.id < ?', param: low }]),
    ...(high === undefined ? [] : [{ sql: 'table_0.id > ?', param: high }]),
  ]
  if (sides.length === 0) return { sql: ['1 = 0'], params: [] }
  return { sql: [`(${sides.map((s) => s.sql).join(' OR ')})`], params: sides.map((s) => s.param) }
}

/**
 * The candidates of a type or a context as a {@link Selection}; `undefined` for all nodes or a
 * list of ids, which a page reads directly.
 */
export function candidateSelection(
  d: Dialect,
  kind: NodeShape,
  candidates: Candidates,
): Selection | undefined {
  switch (candidates.kind) {
    // The row forms are tested on the nodes a page walks in its order: written so the planner
    // does not look nodes up by type or by link instead, which would visit the whole set.
    case 'type':
      return {
        set: q(`SELECT id FROM ${d.id(kind.tables.node)} WHERE type_id = ?`, candidates.typeId),
        row: { sql: [`${d.unindexed('table_0.type_id')} = ?`], params: [candidates.typeId] },
        rowNeedsBudget: false,
        walkFirst: true,
      }
    case 'context': {
      const link = CONTEXT_LINKS[kind.name]
      if (link === undefined) throw new Error(`${kind.name}s are not linked to contexts`)
      return {
        set: q(
          `SELECT ${d.id(link.column)} AS id FROM ${d.id(link.table)} WHERE context_id = ?`,
          candidates.contextId,
        ),
        // A probe of the link's unique (context, node) index per row walked. `id IN (SELECT …)`
        // would read the whole context into a temporary index first, on every page: a page of
        // a large context then cost O(context) however early it filled.
        row: {
          sql: [
            `EXISTS (SELECT 1 FROM ${d.id(link.table)} AS link WHERE link.context_id = ? AND link.${d.id(link.column)} = table_0.id)`,
          ],
          params: [candidates.contextId],
        },
        rowNeedsBudget: false,
        walkFirst: false,
      }
    }
    default:
      return undefined
  }
}

/**
 * One row when `candidates` holds any node. MLMD answers a listing over an empty type or
 * context before it reads the options, which this lets the store do without loading ids.
 */
export function selectAnyCandidate(d: Dialect, kind: NodeShape, candidates: Candidates): Query {
  const link = candidates.kind === 'context' ? CONTEXT_LINKS[kind.name] : undefined
  if (candidates.kind === 'context' && link !== undefined) {
    // From the link's (context, node) index: `id IN (SELECT …)` would read the whole context
    // first. The join keeps a link to a node that no longer exists from counting.
    return q(
      `SELECT 1 AS found FROM ${d.id(link.table)} AS link JOIN ${d.id(kind.tables.node)} AS table_0 ON table_0.id = link.${d.id(link.column)} WHERE link.context_id = ? LIMIT 1`,
      candidates.contextId,
    )
  }
  const where = candidateConditions(d, kind, candidates)
  return q(
    `SELECT 1 AS found FROM ${d.id(kind.tables.node)} AS table_0${whereOf(where)} LIMIT 1`,
    ...where.params,
  )
}

function whereOf(where: Conditions): string {
  return where.sql.length > 0 ? ` WHERE ${where.sql.join(' AND ')}` : ''
}

/** Ids of the nodes meeting `where`, ascending; the lowest `limit` when given. */
export function selectNodeIds(d: Dialect, kind: NodeShape, where: Conditions, limit?: number): Query {
  const sql = `SELECT table_0.id AS id FROM ${d.id(kind.tables.node)} AS table_0${whereOf(where)} ORDER BY table_0.id`
  return limit === undefined ? q(sql, ...where.params) : q(`${sql} LIMIT ?`, ...where.params, BigInt(limit))
}

/** A listing's order: the column it sorts by (`id` or a time), and its direction. */
export interface PageOrder {
  readonly column: 'id' | 'create_time_since_epoch' | 'last_update_time_since_epoch'
  readonly ascending: boolean
}

function orderBy(d: Dialect, order: PageOrder): string {
  const dir = order.ascending ? 'ASC' : 'DESC'
  return order.column === 'id'
    ? `table_0.id ${dir}`
    : `table_0.${d.id(order.column)} ${dir}, table_0.id ${dir}`
}

/**
 * Rows `offset` … `offset + limit - 1` of the nodes meeting `where`, in page order, each as its
 * id and its order column (`field`).
 */
export function selectPage(
  d: Dialect,
  kind: NodeShape,
  order: PageOrder,
  where: Conditions,
  limit: number,
  offset = 0,
): Query {
  return q(
    `SELECT table_0.id AS id, table_0.${d.id(order.column)} AS field FROM ${d.id(kind.tables.node)} AS table_0${whereOf(where)} ORDER BY ${orderBy(d, order)} LIMIT ? OFFSET ?`,
    ...where.params,
    BigInt(limit),
    BigInt(offset),
  )
}

/** How many rows `subquery` yields, counting at most `atMost` (its column `n`). */
export function countUpTo(subquery: Query, atMost: number): Query {
  return q(
    `SELECT count(*) AS n FROM (${subquery.sql} LIMIT ?) AS matches`,
    ...subquery.params,
    BigInt(atMost),
  )
}

/** The position of a page's last row: its order field and id. */
export interface PagePosition {
  readonly field: bigint
  readonly id: bigint
}

/**
 * Nodes after `position` in page order. The bound on the order's column alone comes first so
 * the engine seeks to the position in the order's index: SQLite reads the bare disjunction
 * `c > f OR (c = f AND id > i)` by scanning the index from its start, which made each page of a
 * time-ordered listing cost in proportion to the rows before it (10 ms near the end of 200k
 * rows, 70 µs with the bound).
 */
export function after(d: Dialect, order: PageOrder, position: PagePosition): Conditions {
  const cmp = order.ascending ? '>' : '<'
  if (order.column === 'id') return { sql: [`table_0.id ${cmp} ?`], params: [position.field] }
  const c = `table_0.${d.id(order.column)}`
  return {
    sql: [`${c} ${cmp}= ? AND (${c} ${cmp} ? OR table_0.id ${cmp} ?)`],
    params: [position.field, position.field, position.id],
  }
}

/**
 * Nodes at or after the boundary time of an MLMD LAST_UPDATE_TIME token, except the ids it
 * lists as already returned at that time.
 */
export function afterListed(
  d: Dialect,
  order: PageOrder,
  field: bigint,
  listed: readonly bigint[],
): Conditions {
  const cmp = order.ascending ? '>' : '<'
  return {
    sql: [`table_0.${d.id(order.column)} ${cmp}= ? AND NOT ${d.inList('table_0.id')}`],
    params: [field, d.bindIds(listed)],
  }
}

/** Nodes up to and including `last` in page order (a range the order's index can scan). */
export function upTo(d: Dialect, order: PageOrder, last: PagePosition): Conditions {
  const [lt, le] = order.ascending ? ['<', '<='] : ['>', '>=']
  if (order.column === 'id') return { sql: [`table_0.id ${le} ?`], params: [last.id] }
  const c = `table_0.${d.id(order.column)}`
  return {
    sql: [`${c} ${le} ? AND (${c} ${lt} ? OR table_0.id ${le} ?)`],
    params: [last.field, last.field, last.id],
  }
}

/**
 * The nodes among the matches of a compiled filter query: `sql` selects their ids
 * (`SELECT DISTINCT table_0.id …`), `params` its values.
 */
export function amongMatches(sql: string, params: readonly SqlValue[]): Conditions {
  return { sql: [`table_0.id IN (${sql})`], params }
}

/** A compiled filter's condition on the row `table_0` itself (a bare or EXISTS form). */
export function meetingCondition(condition: string, params: readonly SqlValue[]): Conditions {
  return { sql: [`(${condition})`], params }
}

/**
 * The condition that stops a long scan once the call's time is spent (see
 * `Dialect.withinBudget`), or no condition where the engine times statements itself.
 */
export function withinBudget(d: Dialect): Conditions {
  const check = d.withinBudget('table_0.id')
  return check === undefined ? NO_CONDITIONS : { sql: [check], params: [] }
}
