/**
 * How `GetLineageSubgraph` answers its nodes: whole (what mlmd-ts's own client and explorer
 * read), or as bare ids, which is all MLMD's own server ever answers.
 *
 * The official Python client's `get_lineage_subgraph` reads nothing of the nodes in that answer
 * but their ids: it then asks for the nodes and their types again, by id, in five more calls.
 * Whole nodes are wasted on it — the server encodes them, the wire carries them, the client
 * decodes them and throws them away. The ids-only answer saves that work and changes nothing
 * the client returns.
 */
import type { GetLineageSubgraphRequest } from '../proto/messages.js'
import { ID_ONLY_PATHS } from '../store/lineage-operations.js'

/**
 * `auto`: ids only for a request that can only have come from a client that fetches the nodes
 * again ({@link REFETCHING_CLIENT_READ_MASK}), whole nodes otherwise; `whole`: always whole
 * nodes; `ids`: always ids only (MLMD's own answer).
 */
export const LINEAGE_NODES = ['auto', 'whole', 'ids'] as const
export type LineageNodes = (typeof LINEAGE_NODES)[number]

/** What `mlmd-ts serve` answers unless told otherwise. */
export const DEFAULT_LINEAGE_NODES: LineageNodes = 'auto'

/**
 * The read mask the official Python client (ml-metadata 1.16) sends when its caller gives no
 * field mask: every field of `LineageGraph` in declaration order, less the three `*_types`
 * (which it fetches itself). No caller that wants whole nodes has a reason to name
 * `parent_contexts`, which no server fills, while leaving out every type; and were one to send
 * exactly this mask, it would get the answer MLMD's own server gives to every request.
 */
export const REFETCHING_CLIENT_READ_MASK: readonly string[] = [
  'artifacts',
  'executions',
  'contexts',
  'events',
  'attributions',
  'associations',
  'parent_contexts',
]

/** Whether a `GetLineageSubgraph` request is answered with ids-only nodes under `mode`. */
export function answersIdsOnly(request: GetLineageSubgraphRequest, mode: LineageNodes): boolean {
  if (mode !== 'auto') return mode === 'ids'
  const paths = request.read_mask?.paths ?? []
  return (
    paths.length === REFETCHING_CLIENT_READ_MASK.length &&
    paths.every((path, i) => path === REFETCHING_CLIENT_READ_MASK[i])
  )
}

/**
 * `request` asking the store for the same graph with ids-only nodes: each node path of its mask
 * (every path, for an empty mask) becomes the node's `id` sub-path ({@link ID_ONLY_PATHS}), so
 * the store never reads the nodes it would answer.
 */
export function idsOnlyRequest(request: GetLineageSubgraphRequest): GetLineageSubgraphRequest {
  const asked = request.read_mask?.paths ?? []
  const paths = (asked.length > 0 ? asked : LINEAGE_GRAPH_PATHS).map((path) =>
    Object.hasOwn(ID_ONLY_PATHS, path) ? ID_ONLY_PATHS[path as keyof typeof ID_ONLY_PATHS] : path,
  )
  return { ...request, read_mask: { paths } }
}

// Every field of `LineageGraph`: what an empty mask asks for.
const LINEAGE_GRAPH_PATHS: readonly string[] = [
  'artifact_types',
  'execution_types',
  'context_types',
  'artifacts',
  'executions',
  'contexts',
  'events',
  'attributions',
  'associations',
  'parent_contexts',
]

/**
 * Parses a `--lineage_nodes` value.
 * @returns undefined when the text is not one of {@link LINEAGE_NODES}.
 */
export function lineageNodesFrom(text: string): LineageNodes | undefined {
  return (LINEAGE_NODES as readonly string[]).includes(text) ? (text as LineageNodes) : undefined
}
