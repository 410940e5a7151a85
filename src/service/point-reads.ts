/**
 * Point reads: the reads whose cost the request bounds, because every key in it finds at most
 * one row through a unique index (ids, external ids, a type's name, a node's type and name),
 * or because they read the types, which the store memoises and MLMD keeps few of.
 *
 * The server answers these on its own thread instead of sending them to a store worker: for a
 * read that takes the store ~0.1 ms, the hop to a worker thread and back (two thread wakeups,
 * two messages, and the worker starting cold after each sleep) cost more CPU than the read
 * itself, and the point of the workers, keeping a long read from holding up the others, does
 * not arise for a read that cannot be long.
 *
 * A bounded page (one page of all nodes of a kind without a filter: at most 100 nodes, found by
 * seeking to the page's position in the index of its order and reading on) costs the store
 * about ten times a point read. Served on the server's thread it spares the hop when the
 * server is mostly idle, but under many clients' pages it would serialise them on one thread;
 * so the pool runs it here only while no reader is busy and its own thread has time to spare
 * (see `WorkerPool`), and on a reader otherwise. Unpaged listings, pages of a type or a
 * context, filters, lineage, events, URIs and parent/child contexts can cost in proportion to
 * the rows they pass over, and always go to the workers.
 */
import type { RpcName } from '../wire/service-definition.js'

/** At most this many keys in one point read; a request with more goes to a worker. */
export const MAX_POINT_READ_KEYS = 100

// Each point-read RPC, with the request field that lists its keys (null: a single key, or none).
const POINT_READS: Partial<Record<RpcName, string | null>> = {
  GetArtifactsByID: 'artifact_ids',
  GetExecutionsByID: 'execution_ids',
  GetContextsByID: 'context_ids',
  GetArtifactTypesByID: 'type_ids',
  GetExecutionTypesByID: 'type_ids',
  GetContextTypesByID: 'type_ids',
  GetArtifactsByExternalIds: 'external_ids',
  GetExecutionsByExternalIds: 'external_ids',
  GetContextsByExternalIds: 'external_ids',
  GetArtifactTypesByExternalIds: 'external_ids',
  GetExecutionTypesByExternalIds: 'external_ids',
  GetContextTypesByExternalIds: 'external_ids',
  GetArtifactType: null,
  GetExecutionType: null,
  GetContextType: null,
  GetArtifactTypes: null,
  GetExecutionTypes: null,
  GetContextTypes: null,
  GetArtifactByTypeAndName: null,
  GetExecutionByTypeAndName: null,
  GetContextByTypeAndName: null,
}

/**
 * The longest page token a page read on the server's thread may carry. The store's own tokens
 * are some tens of characters; a token written by MLMD for the last-update-time order lists
 * the ids already served at the boundary time, which a client could make as long as it liked.
 */
export const MAX_POINT_READ_TOKEN_CHARS = 512

// Listings that are bounded as a page without a filter (their `options` field).
const PAGES: ReadonlySet<RpcName> = new Set(['GetArtifacts', 'GetExecutions', 'GetContexts'])

/** Whether `request` of `rpc` is a point read of at most {@link MAX_POINT_READ_KEYS} keys. */
export function isPointRead(rpc: RpcName, request: object): boolean {
  const keys = POINT_READS[rpc]
  if (keys === undefined) return false
  if (keys === null) return true
  const list = (request as Record<string, unknown>)[keys]
  return list === undefined || (Array.isArray(list) && list.length <= MAX_POINT_READ_KEYS)
}

/**
 * Whether `request` of `rpc` is a bounded page: a page of all artifacts, executions or contexts
 * (with options: without them the listing is every node) without a filter query, and with a
 * token of at most {@link MAX_POINT_READ_TOKEN_CHARS} characters, if any.
 */
export function isBoundedPage(rpc: RpcName, request: object): boolean {
  if (!PAGES.has(rpc)) return false
  const options = (request as { options?: unknown }).options
  if (typeof options !== 'object' || options === null) return false
  const { filter_query: filter, next_page_token: token } = options as Record<string, unknown>
  if (filter !== undefined && filter !== null && filter !== '') return false
  return (
    token === undefined ||
    token === null ||
    (typeof token === 'string' && token.length <= MAX_POINT_READ_TOKEN_CHARS)
  )
}
