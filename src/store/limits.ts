/**
 * Size limits on requests, checked before an operation opens its transaction, so that no single
 * call can keep the store (and, in a server, every other caller) busy for minutes. MLMD has no
 * such limits; the numbers are far above what pipelines send (TFX and Kubeflow put and fetch
 * tens to thousands of nodes per call), and a request over them fails whole with
 * INVALID_ARGUMENT naming the field and the limit, so the caller can split it.
 *
 * Other limits live where they apply: page size (`paging.ts`, at most 100 per page), lineage
 * hops and starting nodes (`lineage-operations.ts`), filter length, nesting, joins and literals
 * (`filter/`), and the gRPC message size (the server's channel arguments).
 */
import { invalidArgument } from '../errors.js'
import { findUnknownField } from '../proto/request-fields.js'

/** The most ids (or external ids, or uris) one read request may name in one list. */
export const MAX_IDS_PER_REQUEST = 100_000

/**
 * The most entries one write request may carry in one list: nodes, types, events, links,
 * PutExecution's artifact/event pairs, PutLineageSubgraph's edges.
 */
export const MAX_ITEMS_PER_PUT = 10_000

// Top-level repeated fields of the request messages, by limit. Requests carry no other long
// lists (nested ones, like an event's path, are bounded by the message size).
const ID_FIELDS = [
  'artifact_ids',
  'execution_ids',
  'context_ids',
  'type_ids',
  'external_ids',
  'uris',
] as const
const PUT_FIELDS = [
  'artifacts',
  'executions',
  'contexts',
  'events',
  'artifact_types',
  'execution_types',
  'context_types',
  'attributions',
  'associations',
  'parent_contexts',
  'artifact_event_pairs',
  'event_edges',
] as const

type Limit = { readonly max: number; readonly what: string }
const LIMITS: ReadonlyMap<string, Limit> = new Map<string, Limit>([
  ...ID_FIELDS.map((field): [string, Limit] => [field, { max: MAX_IDS_PER_REQUEST, what: 'ids' }]),
  ...PUT_FIELDS.map((field): [string, Limit] => [field, { max: MAX_ITEMS_PER_PUT, what: 'entries' }]),
])

/**
 * Checks the list lengths of a request against {@link MAX_IDS_PER_REQUEST} and
 * {@link MAX_ITEMS_PER_PUT}.
 * @throws InvalidArgument naming the first list over its limit.
 */
export function checkRequestLimits(request: unknown): void {
  if (typeof request !== 'object' || request === null) return
  // for…in, not Object.entries: every call passes here, and most requests hold no list.
  for (const field in request) {
    const value: unknown = (request as Record<string, unknown>)[field]
    if (!Array.isArray(value)) continue
    const limit = LIMITS.get(field)
    if (limit !== undefined && value.length > limit.max) {
      throw invalidArgument(
        `Too many ${limit.what} in ${field}: ${value.length}; at most ${limit.max} are accepted in one request. Split the request.`,
      )
    }
  }
}

// Built once per operation: every call checks its request.
const requestTypeNames = new Map<string, string>()

/**
 * Refuses a request with a field its message does not define (a misspelling would otherwise be
 * ignored, and `putArtifacts({ artifact: [...] })` store nothing).
 * @throws InvalidArgument naming the field.
 */
export function checkRequestFields(operation: string, request: unknown): void {
  let typeName = requestTypeNames.get(operation)
  if (typeName === undefined) {
    typeName = `ml_metadata.${operation.charAt(0).toUpperCase()}${operation.slice(1)}Request`
    requestTypeNames.set(operation, typeName)
  }
  const unknown = findUnknownField(typeName, request)
  if (unknown === undefined) return
  const hint = unknown.suggestion === undefined ? '' : ` (did you mean "${unknown.suggestion}"?)`
  throw invalidArgument(`Unknown field "${unknown.path}": ${unknown.typeName} has no such field${hint}.`)
}
