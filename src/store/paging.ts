/**
 * One page of a listing with `ListOperationOptions`, and MLMD's page token.
 *
 * Order: `ORDER BY <field> <dir>, id <dir>`. Tokens are MLMD's own format (unpadded URL-safe
 * base64 of a `ListOperationNextPageToken`), so a token from either server continues on the
 * other. We page by the pair (field, id), which never skips or repeats a row; MLMD's own
 * predicates can do both (see the contract's paging quirks).
 */
import protobuf from 'protobufjs'
import {
  after,
  afterListed,
  amongMatches,
  and,
  type Candidates,
  type Conditions,
  candidateConditions,
  candidateSelection,
  countUpTo,
  meetingCondition,
  NO_CONDITIONS,
  outsideIds,
  type PageOrder,
  type PagePosition,
  type Selection,
  selectContextNodesById,
  selectPage,
  upTo,
  withinBudget,
} from '../access/listing-queries.js'
import type { NodeKind } from '../access/node-access.js'
import { invalidArgument } from '../errors.js'
import { type CompiledFilter, compileFilterQuery } from '../filter/index.js'
import { messageType } from '../proto/load-root.js'
import {
  type ListOperationNextPageToken,
  type ListOperationOptions,
  ListOperationOptions_OrderByField_Field as OrderField,
} from '../proto/messages.js'
import type { Dialect } from '../storage/dialect.js'
import { all, column, get, type Op, type Tx } from '../storage/transaction-executor.js'
import type { IdPage } from './list-operation.js'
import { countFitting } from './response-size.js'

/** MLMD's page size when options are present but `max_result_size` is not. */
export const DEFAULT_PAGE_SIZE = 20
/**
 * The largest page served. MLMD answers larger requests with 101 rows and no token, leaving the
 * rest unreachable; we serve 100 and a token.
 */
export const MAX_PAGE_SIZE = 100

const ORDER_COLUMNS: Record<number, PageOrder['column']> = {
  [OrderField.CREATE_TIME]: 'create_time_since_epoch',
  [OrderField.LAST_UPDATE_TIME]: 'last_update_time_since_epoch',
  [OrderField.ID]: 'id',
}

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
export function filterConditions(
  d: Dialect,
  kind: NodeKind,
  filterQuery: string | undefined | null,
): Conditions | undefined {
  if (filterQuery === undefined || filterQuery === null || filterQuery === '') return undefined
  const compiled = compileFilter(d, kind, filterQuery)
  return amongMatches(compiled.sql, compiled.params)
}

// A filter whose match set checks the call's time budget on every row it visits.
function compileFilter(d: Dialect, kind: NodeKind, filterQuery: string): CompiledFilter {
  return compileFilterQuery(kind.name, filterQuery, { rowGuard: d.withinBudget('table_0.id'), dialect: d })
}

/**
 * How many nodes a filtered page may examine one by one, per row of the page, before the
 * listing computes the filter's whole match set instead (see `windowedPage`).
 */
export const FILTER_WINDOW_PER_ROW = 20

type PageRow = { id: bigint; field: bigint }

function* page(tx: Tx, kind: NodeKind, order: PageOrder, where: Conditions, limit: number, offset = 0) {
  const query = selectPage(tx.dialect, kind, order, where, limit, offset)
  if (order.column !== 'id') return yield* all<PageRow>(query)
  // In id order the field is the id: read the first column alone, as better-sqlite3 then builds
  // no object per row (about 0.7 µs a row).
  return (yield* column<bigint>(query)).map((id): PageRow => ({ id, field: id }))
}

/**
 * The first `limit` rows, in page order, of the nodes that satisfy `base` and a selection (a
 * filter with joins, or a type's or a context's nodes). Which plan is fast depends on how many nodes match, which SQLite cannot know without
 * statistics, so the listing finds out, spending at most `window` steps on each attempt:
 * 1. count up to `window` matches through the filter's own joins and indices; fewer means
 *    that was all of them (a context by name, a property value), and the page is read from
 *    the whole match set, which is small;
 * 2. else many nodes match (a type): walk the first `window` nodes in page order, testing
 *    each, which fills the page after a few steps when matches are common;
 * 3. else, when the window held matches, walk on as far as their density says the page reaches
 *    (a few windows at most);
 * 4. else (the matches lie further on) compute the whole match set and sort it.
 * A selection that says it should walk first (a type) first walks a short window
 * (`FIRST_WALK_PER_ROW`) in id order, which fills the page of a common type at once: counting
 * a large type up to the window, or sorting a type just under it, cost more than the page.
 * Each step returns exactly the rows the last one would, so the choice affects only the time.
 */
function* windowedPage(
  tx: Tx,
  kind: NodeKind,
  order: PageOrder,
  base: Conditions,
  selection: Selection,
  limit: number,
): Op<PageRow[]> {
  const d = tx.dialect
  const window = FILTER_WINDOW_PER_ROW * limit
  const inMatches = amongMatches(selection.set.sql, selection.set.params)
  const budget = selection.rowNeedsBudget ? withinBudget(d) : NO_CONDITIONS
  // The matches among the first `size` nodes in page order, and the last of those nodes (none
  // when fewer nodes remain, and then the walk covered every node: its rows are all there are).
  const walk = function* (size: number) {
    const [last] = yield* page(tx, kind, order, base, 1, size - 1)
    const end = last === undefined ? NO_CONDITIONS : upTo(d, order, last)
    const rows = yield* page(tx, kind, order, and(and(and(base, budget), end), selection.row), limit)
    return { rows, last, done: rows.length === limit || last === undefined }
  }
  // In id order only: a walk in a time order looks up each node it passes through the time
  // index, which made a sparse type's page cost more than the count it would save.
  if (selection.walkFirst && order.column === 'id') {
    const early = yield* walk(FIRST_WALK_PER_ROW * limit)
    if (early.done) return early.rows
  }
  const counted = yield* get<{ n: bigint }>(countUpTo(selection.set, window))
  if ((counted?.n ?? 0n) < BigInt(window)) return yield* page(tx, kind, order, and(base, inMatches), limit)
  const { rows: probed, last, done } = yield* walk(window)
  if (done || last === undefined) return probed
  // The window held some matches but not a page: a set about as dense as one node in
  // FILTER_WINDOW_PER_ROW (a pipeline's context among all artifacts). Walking on costs what the
  // page needs, whatever the set's size; sorting the whole set costs its size. Walk on when the
  // window's density says the page ends within a few more windows: at least one more window,
  // as matches come in clusters (a run's outputs are written together).
  const found = probed.length
  if (found > 0) {
    const expected = Math.ceil((((limit - found) * window) / found) * 2)
    if (expected <= FURTHER_WINDOWS * window) {
      const further = Math.max(window, expected)
      const [end] = yield* page(tx, kind, order, base, 1, window + further - 1)
      const more = yield* page(
        tx,
        kind,
        order,
        and(
          and(
            and(and(base, withinBudget(d)), after(d, order, last)),
            end === undefined ? NO_CONDITIONS : upTo(d, order, end),
          ),
          selection.row,
        ),
        limit - found,
      )
      if (found + more.length === limit || end === undefined) return [...probed, ...more]
    }
  }
  return yield* page(tx, kind, order, and(base, inMatches), limit)
}

/**
 * How many nodes of the kind, per row of the page, the first walk of a selection that walks
 * first examines (see `windowedPage`): a page fills from it when about a third of the nodes or
 * more match, and a sparse type pays for a few hundred rows more.
 */
const FIRST_WALK_PER_ROW = 4

/** How many windows further a page may walk on after its first window (see `windowedPage`). */
const FURTHER_WINDOWS = 8

/**
 * How many nodes of the kind, per row of the page, a context page read in id order may examine
 * to show that it holds the right rows (see `contextPageById`) before the windowed walk takes over.
 */
export const CONTEXT_CHECK_PER_ROW = 80

/** Rows in page order: by field, then id, in the order's direction. */
function sortedForPage(rows: readonly PageRow[], order: PageOrder): PageRow[] {
  const sign = order.ascending ? 1 : -1
  return [...rows].sort((x, y) => {
    if (x.field !== y.field) return x.field < y.field ? -sign : sign
    return x.id === y.id ? 0 : x.id < y.id ? -sign : sign
  })
}

/**
 * The first `limit` nodes of a context after `position`, in page order, read from the link's
 * (context, node) index, which lists a context's nodes by id: O(page) however large the
 * context and however thinly it is spread over the store. `undefined` when the page cannot be
 * shown right at a bounded cost; the caller then walks the page order instead.
 *
 * In id order the index order is the page order. In a time order it is not, but nodes are
 * written in id order with the clock's time, so the nodes next in id order are usually the
 * nodes next in time. The page is taken from them (the candidates), then checked: a node that
 * belongs in the page but is not a candidate lies in time between the position and the last
 * candidate in page order, with an id the candidate scan did not reach. One range of the time
 * index, testing ids first (no table read), finds every such node; when nodes are written in
 * id order it finds none. The range is bounded (`CONTEXT_CHECK_PER_ROW`), so a page whose times
 * run against its ids costs at most that before the walk takes over. Either way the rows are
 * exactly those of the page order.
 */
function* contextPageById(
  tx: Tx,
  kind: NodeKind,
  contextId: bigint,
  selection: Selection,
  order: PageOrder,
  base: Conditions,
  position: PagePosition | undefined,
  limit: number,
): Op<PageRow[] | undefined> {
  const d = tx.dialect
  if (order.column === 'id') {
    // An id token carries its id in field_offset (see `after`).
    return yield* all<PageRow>(
      selectContextNodesById(
        d,
        kind,
        contextId,
        order,
        order.ascending,
        position?.field,
        NO_CONDITIONS,
        limit,
      ),
    )
  }
  // A small context is sorted whole (at most a window of nodes), as in `windowedPage`: its
  // nodes are usually spread over the store, so the check below would read far.
  const window = FILTER_WINDOW_PER_ROW * limit
  const counted = yield* get<{ n: bigint }>(countUpTo(selection.set, window))
  if ((counted?.n ?? 0n) < BigInt(window)) {
    return yield* page(
      tx,
      kind,
      order,
      and(base, amongMatches(selection.set.sql, selection.set.params)),
      limit,
    )
  }
  const afterPosition = position === undefined ? NO_CONDITIONS : after(d, order, position)
  const candidates = yield* all<PageRow>(
    selectContextNodesById(d, kind, contextId, order, order.ascending, position?.id, afterPosition, limit),
  )
  const full = candidates.length === limit
  const sorted = sortedForPage(candidates, order)
  // Fewer candidates than asked for, with no position: that is every node of the context.
  if (!full && position === undefined) return sorted
  // The ids the candidate scan went through: from the position's id (or the end) to the last
  // candidate in id order (or all the way, when it ran out).
  const scannedTo = full ? candidates[candidates.length - 1]?.id : undefined
  const low = order.ascending ? (position === undefined ? undefined : position.id + 1n) : scannedTo
  const high = order.ascending ? scannedTo : position === undefined ? undefined : position.id - 1n
  const last = full ? sorted[sorted.length - 1] : undefined
  const range = and(afterPosition, last === undefined ? NO_CONDITIONS : upTo(d, order, last))
  const [beyondBound] = yield* page(tx, kind, order, range, 1, CONTEXT_CHECK_PER_ROW * limit)
  if (beyondBound !== undefined) return undefined
  const missed = yield* page(tx, kind, order, and(and(range, outsideIds(low, high)), selection.row), limit)
  if (missed.length === 0) return sorted
  const byId = new Map<bigint, PageRow>()
  for (const row of [...sorted, ...missed]) byId.set(row.id, row)
  return sortedForPage([...byId.values()], order).slice(0, limit)
}

/** See `listNodeIds`: one page of ids of `kind` among the candidates. */
export function* listNodeIdsPage(
  tx: Tx,
  kind: NodeKind,
  candidates: Candidates,
  options: ListOperationOptions,
): Op<IdPage> {
  const page = yield* selectPageIds(tx, kind, candidates, options)
  // A page of large nodes ends early, where the response would pass its size cap; its token
  // continues after the last node served, as any page's does.
  const served = yield* countFitting(tx, kind, page.ids)
  const token = page.tokenAfter(served)
  const ids = page.ids.slice(0, served)
  return token === undefined ? { ids } : { ids, nextPageToken: token }
}

/**
 * The ids of one page before its cut to the response-size cap, and the token for the page that
 * follows the first `served` of them (none when they are all there is).
 */
export interface UncutPage {
  readonly ids: bigint[]
  tokenAfter(served: number): string | undefined
}

/**
 * One page of ids of `kind` among the candidates, for a caller that cuts it to the response
 * size itself (reading the nodes and measuring them in the same statements).
 * @throws InvalidArgument for invalid options, tokens or filter queries.
 */
export function* selectPageIds(
  tx: Tx,
  kind: NodeKind,
  candidates: Candidates,
  options: ListOperationOptions,
): Op<UncutPage> {
  const d = tx.dialect
  const size = options.max_result_size ?? DEFAULT_PAGE_SIZE
  if (!Number.isInteger(size) || size <= 0) {
    throw invalidArgument(`max_result_size must be positive; got ${String(options.max_result_size)}.`)
  }
  const pageSize = Math.min(size, MAX_PAGE_SIZE)
  const field = options.order_by_field?.field ?? OrderField.ID
  const column = ORDER_COLUMNS[field]
  if (column === undefined) throw invalidArgument(`Unsupported field ${String(field)} in order_by_field.`)
  const ascending = options.order_by_field?.is_asc ?? true
  const order: PageOrder = { column, ascending }
  const filter =
    options.filter_query === undefined || options.filter_query === null || options.filter_query === ''
      ? undefined
      : compileFilter(d, kind, options.filter_query)
  // A type's or a context's nodes without a filter are a selection of their own, paged by the
  // same plan choice as a filter (a large type sorted whole would cost O(type) per page).
  const selection = filter === undefined ? candidateSelection(d, kind, candidates) : undefined
  let base = selection === undefined ? candidateConditions(d, kind, candidates) : NO_CONDITIONS
  // Where the page starts, when a token gives it as a position in the order.
  let position: PagePosition | undefined
  let listedToken = false
  const tokenText = options.next_page_token
  if (tokenText !== undefined && tokenText !== null && tokenText !== '') {
    const token = decodePageToken(tokenText)
    const set = token.set_options?.order_by_field
    if ((set?.field ?? OrderField.ID) !== field || (set?.is_asc ?? true) !== ascending) {
      throw invalidArgument(
        'ListOperationOptions mismatch: the order of the request differs from the page token.',
      )
    }
    if (field === OrderField.ID || token.id_offset !== undefined || field !== OrderField.LAST_UPDATE_TIME) {
      // MLMD continues an ID page from field_offset (it writes the same id into both fields).
      position = { field: token.field_offset ?? 0n, id: token.id_offset ?? 0n }
      base = and(base, after(d, order, position))
    } else {
      // A LAST_UPDATE_TIME token written by MLMD: the ids already listed at the boundary time.
      if ((token.listed_ids ?? []).length === 0) {
        throw invalidArgument('Invalid next_page_token: listed_ids field should not be empty.')
      }
      base = and(base, afterListed(d, order, token.field_offset ?? 0n, token.listed_ids ?? []))
      listedToken = true
    }
  }
  const limit = pageSize + 1
  const rows =
    filter === undefined
      ? selection === undefined
        ? yield* page(tx, kind, order, base, limit)
        : ((candidates.kind === 'context' && !listedToken
            ? yield* contextPageById(tx, kind, candidates.contextId, selection, order, base, position, limit)
            : undefined) ?? (yield* windowedPage(tx, kind, order, base, selection, limit)))
      : filter.joins === 0
        ? // A condition on the node's own columns: the engine weighs its indices against the order's.
          yield* page(
            tx,
            kind,
            order,
            and(and(base, withinBudget(d)), meetingCondition(filter.condition, filter.conditionParams)),
            limit,
          )
        : yield* windowedPage(
            tx,
            kind,
            order,
            base,
            {
              set: { sql: filter.sql, params: filter.params },
              row: meetingCondition(filter.condition, filter.conditionParams),
              rowNeedsBudget: true,
              walkFirst: false,
            },
            limit,
          )
  const full = rows.slice(0, pageSize)
  return {
    ids: full.map((r) => r.id),
    tokenAfter: (served) => {
      const shown = full.slice(0, served)
      const last = shown[shown.length - 1]
      if (rows.length <= shown.length || last === undefined) return undefined
      const setOptions: ListOperationOptions = { ...options }
      delete setOptions.next_page_token
      const token: ListOperationNextPageToken = {
        id_offset: last.id,
        field_offset: last.field,
        set_options: setOptions,
      }
      if (field === OrderField.LAST_UPDATE_TIME) {
        // MLMD continues LAST_UPDATE_TIME pages from the ids listed at the boundary time; write
        // them too, so that MLMD can continue our token.
        token.listed_ids = shown
          .filter((r) => r.field === last.field)
          .map((r) => r.id)
          .reverse()
      }
      return encodePageToken(token)
    },
  }
}
