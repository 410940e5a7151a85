/**
 * The cap on the size of one response. Without it one listing of large nodes (100 per page, each
 * with megabytes of properties) made the server hold hundreds of megabytes per call, several
 * calls at once gigabytes. Sizes are measured in SQL before any node is loaded, so the memory a
 * call takes stays near the cap:
 * - a page of a listing with options holds the nodes that fit (at least one) and a
 *   `next_page_token` for the rest, as any page does, so MLMD's clients, which follow tokens
 *   until there is none, get every node;
 * - a read that cannot page (by ids, uris or external ids, or a listing without options) is
 *   refused with RESOURCE_EXHAUSTED, the answer gRPC clients get for a response over their own
 *   receive limit, naming the way out.
 */
import { findNodeSizes, type NodeKind } from '../access/node-access.js'
import { Code, MlmdError } from '../errors.js'
import type { Op, Tx } from '../storage/transaction-executor.js'

/**
 * The default cap: just under 4 MiB, gRPC's default receive limit (MLMD's Python client, grpc-js,
 * Go), so that every response fits the client that asked for it.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 4_000_000

/** The cap in force for this transaction's connection. */
export function maxResponseBytes(tx: Tx): number {
  return tx.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
}

/** How many of `ids`, from the first, fit in one response: at least one. */
export function* countFitting(tx: Tx, kind: NodeKind, ids: readonly bigint[]): Op<number> {
  const cap = maxResponseBytes(tx)
  if (ids.length <= 1 || !Number.isFinite(cap)) return ids.length
  const sizes = yield* findNodeSizes(tx, kind, ids)
  let total = 0
  for (let i = 0; i < ids.length; i++) {
    total += sizes.get(ids[i] as bigint) ?? 0
    if (total > cap) return Math.max(1, i)
  }
  return ids.length
}

/**
 * Checks that the nodes `ids` fit in one response.
 * @throws ResourceExhausted when they do not (a single node is always served).
 */
export function* checkFits(tx: Tx, kind: NodeKind, ids: readonly bigint[], pageable: boolean): Op<void> {
  const cap = maxResponseBytes(tx)
  if (ids.length <= 1 || !Number.isFinite(cap)) return
  const sizes = yield* findNodeSizes(tx, kind, ids)
  let total = 0
  for (const size of sizes.values()) total += size
  if (total <= cap) return
  const way = pageable
    ? 'page the listing with options (max_result_size, next_page_token)'
    : 'ask for fewer ids at a time'
  throw new MlmdError(
    Code.ResourceExhausted,
    `The response would hold ${ids.length} ${kind.name}s of about ${total} bytes, over the server's limit of ${cap} bytes per response; ${way}.`,
  )
}
