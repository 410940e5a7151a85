/**
 * The cap on the size of one response. Without it one listing of large nodes (100 per page, each
 * with megabytes of properties) made the server hold hundreds of megabytes per call, several
 * calls at once gigabytes. Sizes are measured in SQL before a node is loaded, so the memory a
 * call takes stays near the cap:
 * - a page of a listing with options holds the nodes that fit (at least one) and a
 *   `next_page_token` for the rest, as any page does, so MLMD's clients, which follow tokens
 *   until there is none, get every node;
 * - a read that cannot page (by ids, uris or external ids, or a listing without options) is
 *   refused with RESOURCE_EXHAUSTED, the answer gRPC clients get for a response over their own
 *   receive limit, naming the way out.
 */
import { findNodeSizes, findNodesFitting, type Node, type NodeKind } from '../access/node-access.js'
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
 * The nodes `ids` by ascending id (unknown ids skipped, duplicates collapsed), when they fit in
 * one response; measured and read in the same statements.
 * @throws ResourceExhausted when they do not (a single node is always served).
 */
export function* readNodesFitting<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  ids: readonly bigint[],
  pageable: boolean,
): Op<N[]> {
  const wanted = ascendingUnique(ids)
  const read = yield* findNodesFitting<N>(tx, kind, wanted, {
    cap: maxResponseBytes(tx),
    whole: true,
    asked: ids.length,
  })
  if (!read.fits) throw tooLarge(tx, kind, ids.length, read.bytes, pageable)
  return read.nodes
}

/**
 * The nodes of a page, in page order, as many from the first as fit in one response (at
 * least one).
 */
export function* readPageFitting<N extends Node>(tx: Tx, kind: NodeKind, ids: readonly bigint[]): Op<N[]> {
  const read = yield* findNodesFitting<N>(tx, kind, ids, {
    cap: maxResponseBytes(tx),
    whole: false,
    asked: ids.length,
  })
  return read.nodes
}

function ascendingUnique(ids: readonly bigint[]): bigint[] {
  const sorted = Array.from(new Set(ids)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return sorted
}

function tooLarge(tx: Tx, kind: NodeKind, count: number, total: number, pageable: boolean): MlmdError {
  const way = pageable
    ? 'page the listing with options (max_result_size, next_page_token)'
    : 'ask for fewer ids at a time'
  return new MlmdError(
    Code.ResourceExhausted,
    `The response would hold ${count} ${kind.name}s of about ${total} bytes, over the server's limit of ${maxResponseBytes(tx)} bytes per response; ${way}.`,
  )
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
  throw tooLarge(tx, kind, ids.length, total, pageable)
}
