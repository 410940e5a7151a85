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
import type { Int64 } from '../proto/int64.js'
import type {
  GetLineageSubgraphRequest,
  GetLineageSubgraphResponse,
  LineageGraph,
} from '../proto/messages.js'

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

/** `response` with every artifact, execution and context cut down to its id (edges and types kept). */
export function withIdsOnlyNodes(response: GetLineageSubgraphResponse): GetLineageSubgraphResponse {
  const graph = response.lineage_subgraph
  if (graph === undefined) return response
  // Empty property maps, as the store gives a node it has no row for.
  const idOnly = (node: { id?: Int64 }) => ({ id: node.id, properties: {}, custom_properties: {} })
  const slim: LineageGraph = {
    ...graph,
    artifacts: (graph.artifacts ?? []).map(idOnly),
    executions: (graph.executions ?? []).map(idOnly),
    contexts: (graph.contexts ?? []).map(idOnly),
  }
  return { ...response, lineage_subgraph: slim }
}

/**
 * Parses a `--lineage_nodes` value.
 * @returns undefined when the text is not one of {@link LINEAGE_NODES}.
 */
export function lineageNodesFrom(text: string): LineageNodes | undefined {
  return (LINEAGE_NODES as readonly string[]).includes(text) ? (text as LineageNodes) : undefined
}
