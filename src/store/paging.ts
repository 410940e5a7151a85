/**
 * One page of a listing with `ListOperationOptions`, and MLMD's page token.
 *
 * Order: `ORDER BY <field> <dir>, id <dir>`. Tokens are MLMD's own format (unpadded URL-safe
 * base64 of a `ListOperationNextPageToken`), so a token from either server continues on the
 * other. We page by the pair (field, id), which never skips or repeats a row; MLMD's own
 * predicates can do both (see the contract's paging quirks).
 */

import protobuf from 'protobufjs'
import type { NodeKind } from '../access/node-access.js'
import { IN_LIST, idList, q } from '../access/sql.js'
import { invalidArgument } from '../errors.js'
import { type CompiledFilter, compileFilterQuery } from '../filter/index.js'
import { messageType } from '../proto/load-root.js'
import type { ListOperationNextPageToken, ListOperationOptions } from '../proto/messages.js'
import type { SqlValue, Tx } from '../storage/transaction-executor.js'
import type { Candidates, IdPage } from './list-operation.js'

/** MLMD's page size when options are present but `max_result_size` is not. */
export const DEFAULT_PAGE_SIZE = 20
/**
 * The largest page served. MLMD answers larger requests with 101 rows and no token, leaving the
 * rest unreachable; we serve 100 and a token.
 */
export const MAX_PAGE_SIZE = 100

const ORDER_COLUMNS: Record<number, string> = {
  1: 'create_time_since_epoch',
  2: 'last_update_time_since_epoch',
  3: 'id',
}
const FIELD_ID = 3
const FIELD_LAST_UPDATE_TIME = 2

function tokenCodec() {
  return messageType('ml_metadata.ListOperationNextPageToken')
}

/** Encodes a token as MLMD does: URL-safe base64 without padding. */
export function encodePageToken(token: ListOperationNextPageToken): string {
  const codec = tokenCodec()
  return Buffer.from(codec.encode(codec.fromObject(token)).finish()).toString('base64url')
}

/**
 * Decodes a token.
 * @throws InvalidArgument when it is not base64 of a `ListOperationNextPageToken`.
 */
export function decodePageToken(text: string): ListOperationNextPageToken {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) throw invalidArgument('Invalid next_page_token: not base64.')
  const bytes = Buffer.from(text, 'base64url')
  try {
    // protobufjs skips fields numbered 0, so a run of zero bytes ('AAAA…') would decode as an
    // empty token and restart the listing; protobuf's own parser, which MLMD uses, refuses them.
    const reader = protobuf.Reader.create(bytes)
    while (reader.pos < reader.len) {
      const tag = reader.uint32()
      if (tag >>> 3 === 0) throw new Error('field number 0')
      reader.skipType(tag & 7)
    }
  } catch {
    throw invalidArgument(
      'Invalid next_page_token: Failed to parse decoded next page token into ListOperationNextPageToken proto message',
    )
  }
  try {
    const codec = tokenCodec()
    const decoded = codec.toObject(codec.decode(bytes), {
      longs: String,
      arrays: true,
      defaults: false,
    }) as Record<string, unknown>
    const token: ListOperationNextPageToken = {}
    if (decoded.id_offset !== undefined) token.id_offset = BigInt(decoded.id_offset as string)
    if (decoded.field_offset !== undefined) token.field_offset = BigInt(decoded.field_offset as string)
    if (decoded.set_options !== undefined) token.set_options = decoded.set_options as ListOperationOptions
    token.listed_ids = ((decoded.listed_ids as string[] | undefined) ?? []).map((id) => BigInt(id))
    return token
  } catch (error) {
    throw invalidArgument(`Invalid next_page_token: ${(error as Error).message}`)
  }
}

/**
 * The condition `id IN (<matching ids>)` for a filter query, or `undefined` for none. Only the
 * empty string means "no filter"; a blank query is a syntax error, as in MLMD.
 * @throws InvalidArgument for an invalid query.
 */
export function filterCondition(
  kind: NodeKind,
  filterQuery: string | undefined | null,
): { sql: string; params: SqlValue[] } | undefined {
  if (filterQuery === undefined || filterQuery === null || filterQuery === '') return undefined
  const compiled = compileFilterQuery(kind.name, filterQuery)
  return { sql: `id IN (${compiled.sql})`, params: compiled.params }
}

/**
 * How many nodes a filtered page may examine one by one, per row of the page, before the
 * listing computes the filter's whole match set instead (see `filteredPage`).
 */
export const FILTER_WINDOW_PER_ROW = 20

/** The `WHERE` of a page query under construction: conditions on the node row `table_0`. */
interface Conditions {
  readonly sql: string[]
  readonly params: SqlValue[]
}

const and = (a: Conditions, b: Conditions): Conditions => ({
  sql: [...a.sql, ...b.sql],
  params: [...a.params, ...b.params],
})

/** The order of a listing: its column, and whether it runs ascending. */
interface PageOrder {
  readonly field: number
  readonly column: string
  readonly ascending: boolean
}

function orderBy(order: PageOrder): string {
  const dir = order.ascending ? 'ASC' : 'DESC'
  return order.field === FIELD_ID
    ? `table_0.id ${dir}`
    : `table_0.\`${order.column}\` ${dir}, table_0.id ${dir}`
}

type PageRow = { id: bigint; field: bigint }

function selectPage(
  tx: Tx,
  kind: NodeKind,
  order: PageOrder,
  where: Conditions,
  limit: number,
  offset = 0,
): PageRow[] {
  const whereSql = where.sql.length > 0 ? ` WHERE ${where.sql.join(' AND ')}` : ''
  return tx.all<PageRow>(
    q(
      `SELECT table_0.id AS id, table_0.\`${order.column}\` AS field FROM \`${kind.tables.node}\` AS table_0${whereSql} ORDER BY ${orderBy(order)} LIMIT ? OFFSET ?`,
      ...where.params,
      BigInt(limit),
      BigInt(offset),
    ),
  )
}

/**
 * The first `limit` rows, in page order, of the nodes that satisfy `base` and a filter with
 * joins. Which plan is fast depends on how many nodes match, which SQLite cannot know without
 * statistics, so the listing finds out, spending at most `window` steps on each attempt:
 * 1. count up to `window` matches through the filter's own joins and indices; fewer means
 *    that was all of them (a context by name, a property value), and the page is read from
 *    the whole match set, which is small;
 * 2. else many nodes match (a type): walk the first `window` nodes in page order, testing
 *    each, which fills the page after a few steps when matches are common;
 * 3. else (the matches lie further on) compute the whole match set and sort it.
 * Each step returns exactly the rows the last one would, so the choice affects only the time.
 */
function filteredPage(
  tx: Tx,
  kind: NodeKind,
  order: PageOrder,
  base: Conditions,
  filter: CompiledFilter,
  limit: number,
): PageRow[] {
  const window = FILTER_WINDOW_PER_ROW * limit
  const inMatches: Conditions = { sql: [`table_0.id IN (${filter.sql})`], params: filter.params }
  const counted = tx.get<{ n: bigint }>(
    q(`SELECT count(*) AS n FROM (${filter.sql} LIMIT ?)`, ...filter.params, BigInt(window)),
  )
  if ((counted?.n ?? 0n) < BigInt(window)) return selectPage(tx, kind, order, and(base, inMatches), limit)
  // The last node of the window (none when fewer nodes remain).
  const [last] = selectPage(tx, kind, order, base, 1, window - 1)
  const probed = selectPage(
    tx,
    kind,
    order,
    and(and(base, last === undefined ? { sql: [], params: [] } : upTo(order, last)), {
      sql: [filter.condition],
      params: filter.conditionParams,
    }),
    limit,
  )
  // Without a last window row the walk covered every node, so its rows are all there are.
  if (probed.length === limit || last === undefined) return probed
  return selectPage(tx, kind, order, and(base, inMatches), limit)
}

/** Nodes up to and including `last` in page order (written so SQLite can range-scan the order's index). */
function upTo(order: PageOrder, last: PageRow): Conditions {
  const [lt, le] = order.ascending ? ['<', '<='] : ['>', '>=']
  if (order.field === FIELD_ID) return { sql: [`table_0.id ${le} ?`], params: [last.id] }
  const c = `table_0.\`${order.column}\``
  return {
    sql: [`${c} ${le} ? AND (${c} ${lt} ? OR table_0.id ${le} ?)`],
    params: [last.field, last.field, last.id],
  }
}

/** See `listNodeIds`: one page of ids of `kind` among the candidates. */
export function listNodeIdsPage(
  tx: Tx,
  kind: NodeKind,
  candidates: Candidates,
  options: ListOperationOptions,
): IdPage {
  const size = options.max_result_size ?? DEFAULT_PAGE_SIZE
  if (!Number.isInteger(size) || size <= 0) {
    throw invalidArgument(`max_result_size must be positive; got ${String(options.max_result_size)}.`)
  }
  const pageSize = Math.min(size, MAX_PAGE_SIZE)
  const field = options.order_by_field?.field ?? FIELD_ID
  const column = ORDER_COLUMNS[field]
  if (column === undefined) throw invalidArgument(`Unsupported field ${String(field)} in order_by_field.`)
  const ascending = options.order_by_field?.is_asc ?? true
  const order: PageOrder = { field, column, ascending }
  const where: string[] = []
  const params: SqlValue[] = []
  if (candidates.kind === 'ids') {
    where.push(`table_0.id IN ${IN_LIST}`)
    params.push(idList(candidates.ids))
  }
  const filter =
    options.filter_query === undefined || options.filter_query === null || options.filter_query === ''
      ? undefined
      : compileFilterQuery(kind.name, options.filter_query)
  const tokenText = options.next_page_token
  if (tokenText !== undefined && tokenText !== null && tokenText !== '') {
    const token = decodePageToken(tokenText)
    const set = token.set_options?.order_by_field
    if ((set?.field ?? FIELD_ID) !== field || (set?.is_asc ?? true) !== ascending) {
      throw invalidArgument(
        'ListOperationOptions mismatch: the order of the request differs from the page token.',
      )
    }
    const cmp = ascending ? '>' : '<'
    if (field === FIELD_ID) {
      // MLMD continues an ID page from field_offset (it writes the same id into both fields).
      where.push(`table_0.id ${cmp} ?`)
      params.push(token.field_offset ?? 0n)
    } else if (token.id_offset !== undefined || field !== FIELD_LAST_UPDATE_TIME) {
      where.push(`(table_0.\`${column}\` ${cmp} ? OR (table_0.\`${column}\` = ? AND table_0.id ${cmp} ?))`)
      params.push(token.field_offset ?? 0n, token.field_offset ?? 0n, token.id_offset ?? 0n)
    } else {
      // A LAST_UPDATE_TIME token written by MLMD: the ids already listed at the boundary time.
      if ((token.listed_ids ?? []).length === 0) {
        throw invalidArgument('Invalid next_page_token: listed_ids field should not be empty.')
      }
      where.push(`table_0.\`${column}\` ${cmp}= ? AND table_0.id NOT IN ${IN_LIST}`)
      params.push(token.field_offset ?? 0n, idList(token.listed_ids ?? []))
    }
  }
  const base: Conditions = { sql: where, params }
  const limit = pageSize + 1
  const rows =
    filter === undefined
      ? selectPage(tx, kind, order, base, limit)
      : filter.joins === 0
        ? // A condition on the node's own columns: SQLite weighs its indices against the order's.
          selectPage(
            tx,
            kind,
            order,
            and(base, { sql: [filter.condition], params: filter.conditionParams }),
            limit,
          )
        : filteredPage(tx, kind, order, base, filter, limit)
  const page = rows.slice(0, pageSize)
  const last = page[page.length - 1]
  if (rows.length <= pageSize || last === undefined) return { ids: page.map((r) => r.id) }

  const setOptions: ListOperationOptions = { ...options }
  delete setOptions.next_page_token
  const token: ListOperationNextPageToken = {
    id_offset: last.id,
    field_offset: last.field,
    set_options: setOptions,
  }
  if (field === FIELD_LAST_UPDATE_TIME) {
    // MLMD continues LAST_UPDATE_TIME pages from the ids listed at the boundary time; write them
    // too, so that MLMD can continue our token.
    token.listed_ids = page
      .filter((r) => r.field === last.field)
      .map((r) => r.id)
      .reverse()
  }
  return { ids: page.map((r) => r.id), nextPageToken: encodePageToken(token) }
}
