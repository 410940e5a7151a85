/**
 * Point reads: the reads whose cost the request bounds, because every key in it finds at most
 * one row through a unique index (ids, external ids, a type's name, a node's type and name),
 * or because they read the types, which the store memoises and MLMD keeps few of.
 *
 * The server answers these on its own thread instead of sending them to a store worker: for a
 * read that takes the store ~0.1 ms, the hop to a worker thread and back (two thread wakeups,
 * two messages, and the worker starting cold after each sleep) cost more CPU than the read
 * itself, and the point of the workers, keeping a long read from holding up the others, does
 * not arise for a read that cannot be long. Listings, filters, lineage, events, URIs and
 * parent/child contexts can match any number of rows and stay on the workers.
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

/** Whether `request` of `rpc` is a point read of at most {@link MAX_POINT_READ_KEYS} keys. */
export function isPointRead(rpc: RpcName, request: object): boolean {
  const keys = POINT_READS[rpc]
  if (keys === undefined) return false
  if (keys === null) return true
  const list = (request as Record<string, unknown>)[keys]
  return list === undefined || (Array.isArray(list) && list.length <= MAX_POINT_READ_KEYS)
}
