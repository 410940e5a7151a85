/**
 * Listing nodes with `ListOperationOptions` (MLMD's `list_operation_*`): which ids a listing
 * returns, in which order, and the token for the next page.
 *
 * Without options a listing returns every candidate by ascending id. With options, a page:
 * see {@link listNodeIds}.
 */
import { findAllNodeIds, type NodeKind } from '../access/node-access.js'
import { IN_LIST, idList, q } from '../access/sql.js'
import type { ListOperationOptions } from '../proto/messages.js'
import type { SqlValue, Tx } from '../storage/transaction-executor.js'
import { filterCondition, listNodeIdsPage } from './paging.js'

/** The nodes a listing draws from: all of the kind, or a candidate set (a type's, a context's). */
export type Candidates = { readonly kind: 'all' } | { readonly kind: 'ids'; readonly ids: readonly bigint[] }

/** A page of ids and the token for the next one (absent on the last page). */
export interface IdPage {
  readonly ids: bigint[]
  readonly nextPageToken?: string
}

/**
 * The ids a listing returns.
 * @throws InvalidArgument for invalid options, tokens or filter queries.
 */
export function listNodeIds(
  tx: Tx,
  kind: NodeKind,
  candidates: Candidates,
  options: ListOperationOptions | undefined,
): IdPage {
  if (options === undefined || options === null) {
    return { ids: candidates.kind === 'all' ? findAllNodeIds(tx, kind) : [...candidates.ids] }
  }
  // MLMD answers a listing over no candidates (an unknown type or context) before it looks at
  // the options, so even invalid options list nothing there.
  if (candidates.kind === 'ids' && candidates.ids.length === 0) return { ids: [] }
  return listNodeIdsPage(tx, kind, candidates, options)
}

/**
 * Ids of the nodes of `kind` matching a filter query, ascending (the lowest `limit` when
 * given); among `candidates` when given. An empty query matches every candidate.
 * @throws InvalidArgument for an invalid query.
 */
export function filterNodeIds(
  tx: Tx,
  kind: NodeKind,
  filterQuery: string,
  candidates?: readonly bigint[],
  limit?: number,
): bigint[] {
  const where: string[] = []
  const params: SqlValue[] = []
  if (candidates !== undefined) {
    where.push(`id IN ${IN_LIST}`)
    params.push(idList(candidates))
  }
  const filter = filterCondition(kind, filterQuery)
  if (filter !== undefined) {
    where.push(filter.sql)
    params.push(...filter.params)
  }
  let sql = `SELECT id FROM \`${kind.tables.node}\`${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`
  if (limit !== undefined) {
    sql += ' LIMIT ?'
    params.push(BigInt(limit))
  }
  return tx.all<{ id: bigint }>(q(sql, ...params)).map((r) => r.id)
}
