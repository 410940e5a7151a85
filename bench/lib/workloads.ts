/**
 * The work items of each workload: mlmd_bench's eight (ported from its `*_workload.cc` SetUp
 * functions, which build every request up front, untimed) and the ones it lacked. A generator
 * reads the current contents of a store (inspect.ts) and returns the requests every target runs.
 *
 * Deviations from mlmd_bench, each forced or deliberate:
 * - mlmd_bench's by-id reads (ReadTypes *_BY_ID, ReadNodesByProperties *_BY_ID and BY_URI,
 *   ReadEvents) re-create the request inside the per-id loop, so every request carries one id
 *   whatever `num_of_parameters` says. We send the number of ids the parameter asks for.
 * - FillEvents INPUT draws (artifact, execution) pairs again when the pair already has an INPUT
 *   event: schema v10 has a unique (artifact, execution, type) index that 2020's schema lacked,
 *   so duplicates would fail with ALREADY_EXISTS on every target.
 */
import type { DbState, Kind, NodeInfo, TypeInfo, Value } from './inspect.js'
import type { WorkItem } from './protocol.js'
import { dirichletCategorical, type MinStdRand0, zipf } from './rng.js'

export interface Range {
  readonly minimum: number
  readonly maximum: number
}

/** A workload: what to call, with which requests, and how mlmd_bench would name it. */
export interface Workload {
  /** mlmd_bench's name (e.g. `FILL_ARTIFACT(UPDATE)`), or ours for the additions. */
  readonly name: string
  readonly group: 'fill' | 'read' | 'extra' | 'baseline'
  /** The RPC. */
  readonly op: string
  readonly items: WorkItem[]
  /** The workload config, as mlmd_bench's `WorkloadConfig` would carry it. */
  readonly config: Record<string, unknown>
  /** Error codes that are answers, not failures (e.g. NOT_FOUND for a node without contexts). */
  readonly accept?: readonly string[]
}

const STRING = 3
const CAP: Record<Kind, string> = { artifact: 'Artifact', execution: 'Execution', context: 'Context' }
const SPEC: Record<Kind, string> = { artifact: 'ARTIFACT', execution: 'EXECUTION', context: 'CONTEXT' }
const PLURAL: Record<Kind, string> = { artifact: 'artifacts', execution: 'executions', context: 'contexts' }

const uniform = (rng: MinStdRand0, r: Range) => rng.int(r.minimum, r.maximum)

// ---------------------------------------------------------------------------------------------
// FillTypes

export function fillTypes(
  rng: MinStdRand0,
  state: DbState,
  kind: Kind,
  opts: { update: boolean; numProperties: Range; ops: number; tag: string },
): Workload {
  const items: WorkItem[] = []
  const existing = state.types[kind]
  for (let i = 0; i < opts.ops; i++) {
    const n = uniform(rng, opts.numProperties)
    let type: Record<string, unknown>
    if (!opts.update) {
      const properties: Record<string, number> = {}
      for (let p = 0; p < n; p++) properties[`p-${p}`] = STRING
      type = { name: `type-${opts.tag}-${i}`, properties }
    } else {
      const base = existing[i]
      if (!base)
        throw new Error(`FillTypes update needs ${opts.ops} existing ${kind} types, has ${existing.length}`)
      const properties: Record<string, number> = { ...base.properties }
      for (let p = 0; p < n; p++) properties[`add_p-${p}`] = STRING
      type = { id: base.id, name: base.name, properties }
    }
    const req: Record<string, unknown> = { [`${kind}_type`]: type }
    if (opts.update) req.can_add_fields = true
    items.push({ req })
  }
  return {
    name: `FILL_${SPEC[kind]}_TYPE${opts.update ? '(UPDATE)' : ''}`,
    group: 'fill',
    op: `Put${CAP[kind]}Type`,
    items,
    config: {
      fill_types_config: {
        update: opts.update,
        specification: `${SPEC[kind]}_TYPE`,
        num_properties: opts.numProperties,
      },
      num_operations: opts.ops,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// FillNodes

function nodeMessage(kind: Kind, node: NodeInfo): Record<string, unknown> {
  const m: Record<string, unknown> = {
    id: node.id,
    type_id: node.type_id,
    name: node.name,
    properties: { ...node.properties },
    custom_properties: { ...node.custom_properties },
  }
  if (kind === 'artifact') {
    if (node.uri !== undefined) m.uri = node.uri
    if (node.state !== undefined) m.state = node.state
  }
  if (kind === 'execution' && node.last_known_state !== undefined) m.last_known_state = node.last_known_state
  return m
}

// mlmd_bench's AddOrUpdateNodeProperties: the type's properties first, then custom ones.
function setProperties(node: Record<string, unknown>, type: TypeInfo, count: number, bytes: number): void {
  const value: Value = { string_value: '*'.repeat(bytes) }
  const properties = node.properties as Record<string, Value>
  const custom = node.custom_properties as Record<string, Value>
  let remaining = count
  for (const name of Object.keys(type.properties).sort()) {
    if (remaining === 0) break
    properties[name] = value
    remaining--
  }
  while (remaining-- > 0) custom[`custom_p-${remaining}`] = value
}

export function fillNodes(
  rng: MinStdRand0,
  state: DbState,
  kind: Kind,
  opts: {
    update: boolean
    numProperties: Range
    stringValueBytes: Range
    numNodes: Range
    ops: number
    tag: string
  },
): Workload {
  const types = state.types[kind]
  if (types.length === 0) throw new Error(`FillNodes needs ${kind} types (FAILED_PRECONDITION in mlmd_bench)`)
  const typesById = new Map(types.map((t) => [t.id, t]))
  const existing = rng.shuffle([...state.nodes[kind]].filter((n) => typesById.has(n.type_id)))
  const items: WorkItem[] = []
  for (let i = 0; i < opts.ops; i++) {
    const numProperties = uniform(rng, opts.numProperties)
    const bytes = uniform(rng, opts.stringValueBytes)
    const count = uniform(rng, opts.numNodes)
    const insertType = rng.pick(types)
    const nodes: Record<string, unknown>[] = []
    for (let j = 0; j < count; j++) {
      let node: Record<string, unknown>
      let type: TypeInfo
      let toSet = numProperties
      if (opts.update) {
        const picked = existing.pop()
        if (!picked) throw new Error(`FillNodes update ran out of existing ${kind}s`)
        node = nodeMessage(kind, picked)
        type = typesById.get(picked.type_id) as TypeInfo
        // ClearSomeProperitesForUpdateNode: drop up to num_properties custom properties.
        const custom = node.custom_properties as Record<string, Value>
        const names = Object.keys(custom).sort()
        const cleared = Math.min(names.length, numProperties)
        for (const name of names.slice(0, cleared)) delete custom[name]
        toSet = numProperties - cleared
      } else {
        type = insertType
        node = {
          name: `nodes-${opts.tag}-${i}_node_${j}`,
          type_id: type.id,
          properties: {},
          custom_properties: {},
        }
        if (kind === 'artifact') {
          node.uri = `nodes-${opts.tag}-${i}_node_${j}_uri`
          node.state = 0
        }
        if (kind === 'execution') node.last_known_state = 0
      }
      if (toSet > 0) setProperties(node, type, toSet, bytes)
      nodes.push(node)
    }
    items.push({ req: { [PLURAL[kind]]: nodes } })
  }
  return {
    name: `FILL_${SPEC[kind]}${opts.update ? '(UPDATE)' : ''}`,
    group: 'fill',
    op: `Put${CAP[kind]}s`,
    items,
    config: {
      fill_nodes_config: {
        update: opts.update,
        specification: SPEC[kind],
        num_properties: opts.numProperties,
        string_value_bytes: opts.stringValueBytes,
        num_nodes: opts.numNodes,
      },
      num_operations: opts.ops,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// FillContextEdges

export function fillContextEdges(
  rng: MinStdRand0,
  state: DbState,
  spec: 'ATTRIBUTION' | 'ASSOCIATION',
  opts: { nonContextAlpha: number; contextAlpha: number; numEdges: Range; ops: number },
): Workload {
  const nonContext = spec === 'ATTRIBUTION' ? state.nodes.artifact : state.nodes.execution
  const contexts = state.nodes.context
  const nonContextDist = dirichletCategorical(rng, nonContext.length, opts.nonContextAlpha)
  const contextDist = dirichletCategorical(rng, contexts.length, opts.contextAlpha)
  const seen = new Set(spec === 'ATTRIBUTION' ? state.attributions : state.associations)
  const capacity = nonContext.length * contexts.length
  const items: WorkItem[] = []
  for (let i = 0; i < opts.ops; i++) {
    const n = uniform(rng, opts.numEdges)
    const edges: Record<string, number>[] = []
    while (edges.length < n && seen.size < capacity) {
      const node = (nonContext[nonContextDist.draw(rng)] as NodeInfo).id
      const context = (contexts[contextDist.draw(rng)] as NodeInfo).id
      const key = `${context}:${node}`
      if (seen.has(key)) continue
      seen.add(key)
      edges.push(
        spec === 'ATTRIBUTION'
          ? { artifact_id: node, context_id: context }
          : { execution_id: node, context_id: context },
      )
    }
    items.push({ req: spec === 'ATTRIBUTION' ? { attributions: edges } : { associations: edges } })
  }
  return {
    name: `FILL_${spec}`,
    group: 'fill',
    op: 'PutAttributionsAndAssociations',
    items,
    config: {
      fill_context_edges_config: {
        specification: spec,
        non_context_node_popularity: { dirichlet_alpha: opts.nonContextAlpha },
        context_node_popularity: { dirichlet_alpha: opts.contextAlpha },
        num_edges: opts.numEdges,
      },
      num_operations: opts.ops,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// FillEvents

export function fillEvents(
  rng: MinStdRand0,
  state: DbState,
  spec: 'INPUT' | 'OUTPUT',
  opts: {
    executionAlpha: number
    artifactAlpha: number
    artifactSkew: number
    numEvents: Range
    ops: number
  },
): Workload {
  const artifacts = state.nodes.artifact
  const executions = state.nodes.execution
  const executionDist = dirichletCategorical(rng, executions.length, opts.executionAlpha)
  const artifactDist =
    spec === 'INPUT'
      ? zipf(rng, artifacts.length, opts.artifactSkew)
      : dirichletCategorical(rng, artifacts.length, opts.artifactAlpha)
  const type = spec === 'INPUT' ? 3 : 4
  const outputted = new Set<number>()
  for (const e of state.events) {
    const [a, , t] = e.split(':')
    if (Number(t) === 4) outputted.add(Number(a))
  }
  const seen = new Set(state.events)
  const items: WorkItem[] = []
  for (let i = 0; i < opts.ops; i++) {
    const n = uniform(rng, opts.numEvents)
    const events: Record<string, unknown>[] = []
    let attempts = 0
    while (events.length < n) {
      if (++attempts > 20_000) break
      const artifact = (artifacts[artifactDist.draw(rng)] as NodeInfo).id
      const execution = (executions[executionDist.draw(rng)] as NodeInfo).id
      if (spec === 'OUTPUT' && outputted.has(artifact)) continue
      const key = `${artifact}:${execution}:${type}`
      if (seen.has(key)) continue
      seen.add(key)
      if (spec === 'OUTPUT') outputted.add(artifact)
      events.push({ artifact_id: artifact, execution_id: execution, type, path: { steps: [{ key: 'foo' }] } })
    }
    // OUTPUT runs out of artifacts that were never an output: stop there (mlmd_bench would spin).
    if (events.length === 0) break
    items.push({ req: { events } })
  }
  return {
    name: `FILL_${spec}_EVENT`,
    group: 'fill',
    op: 'PutEvents',
    items,
    config: {
      fill_events_config: {
        specification: spec,
        execution_node_popularity: { dirichlet_alpha: opts.executionAlpha },
        ...(spec === 'INPUT'
          ? { artifact_node_popularity_zipf: { skew: opts.artifactSkew } }
          : { artifact_node_popularity_categorical: { dirichlet_alpha: opts.artifactAlpha } }),
        num_events: opts.numEvents,
      },
      num_operations: opts.ops,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// PutExecution (not in mlmd_bench): what TFX and KFP call once per step.

export function putExecution(
  rng: MinStdRand0,
  state: DbState,
  opts: { inputs: number; outputs: number; ops: number; tag: string; pipelineContext: string },
): Workload {
  const executionTypes = state.types.execution
  const artifactTypes = state.types.artifact
  const contextType = state.types.context[0]
  if (!contextType || executionTypes.length === 0 || artifactTypes.length === 0) {
    throw new Error('PutExecution needs artifact, execution and context types')
  }
  const artifacts = state.nodes.artifact
  const items: WorkItem[] = []
  const props = (type: TypeInfo, bytes: number) => {
    const out: Record<string, Value> = {}
    for (const name of Object.keys(type.properties).sort().slice(0, 3))
      out[name] = { string_value: '*'.repeat(bytes) }
    return out
  }
  for (let i = 0; i < opts.ops; i++) {
    const executionType = rng.pick(executionTypes)
    const inputs = rng.sample(artifacts, opts.inputs)
    const pairs: Record<string, unknown>[] = inputs.map((a) => ({ event: { artifact_id: a.id, type: 3 } }))
    for (let j = 0; j < opts.outputs; j++) {
      const type = rng.pick(artifactTypes)
      pairs.push({
        artifact: {
          type_id: type.id,
          name: `pe-${opts.tag}-${i}-out-${j}`,
          uri: `/outputs/${opts.tag}/${i}/${j}`,
          state: 2,
          properties: props(type, 8),
        },
        event: { type: 4, path: { steps: [{ key: 'output' }, { index: j }] } },
      })
    }
    items.push({
      req: {
        execution: {
          type_id: executionType.id,
          name: `pe-${opts.tag}-${i}`,
          last_known_state: 3,
          properties: props(executionType, 8),
        },
        artifact_event_pairs: pairs,
        contexts: [
          { type_id: contextType.id, name: opts.pipelineContext },
          { type_id: contextType.id, name: `pe-run-${opts.tag}-${i}` },
        ],
        options: { reuse_context_if_already_exist: true },
      },
    })
  }
  return {
    name: 'PUT_EXECUTION',
    group: 'fill',
    op: 'PutExecution',
    items,
    config: {
      put_execution: { inputs: opts.inputs, outputs: opts.outputs, contexts: 2 },
      num_operations: opts.ops,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// ReadTypes

export type ReadTypesSpec = 'ALL' | 'BY_ID' | 'BY_NAME'

export function readTypes(
  rng: MinStdRand0,
  state: DbState,
  kind: Kind,
  spec: ReadTypesSpec,
  opts: { maybeNumIds: Range; ops: number },
): Workload {
  const types = state.types[kind]
  if (types.length === 0) throw new Error(`ReadTypes needs ${kind} types`)
  const items: WorkItem[] = []
  for (let i = 0; i < opts.ops; i++) {
    if (spec === 'ALL') items.push({ req: {} })
    else if (spec === 'BY_ID') {
      const n = uniform(rng, opts.maybeNumIds)
      items.push({ req: { type_ids: Array.from({ length: n }, () => rng.pick(types).id) } })
    } else items.push({ req: { type_name: rng.pick(types).name } })
  }
  const specName =
    spec === 'ALL'
      ? `ALL_${SPEC[kind]}_TYPES`
      : spec === 'BY_ID'
        ? `${SPEC[kind]}_TYPES_BY_ID`
        : `${SPEC[kind]}_TYPE_BY_NAME`
  const op =
    spec === 'ALL'
      ? `Get${CAP[kind]}Types`
      : spec === 'BY_ID'
        ? `Get${CAP[kind]}TypesByID`
        : `Get${CAP[kind]}Type`
  return {
    name: `READ_${specName}`,
    group: 'read',
    op,
    items,
    config: {
      read_types_config: {
        specification: specName,
        ...(spec === 'BY_ID' ? { maybe_num_ids: opts.maybeNumIds } : {}),
      },
      num_operations: opts.ops,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// ReadNodesByProperties

export type ReadNodesSpec = 'BY_ID' | 'BY_TYPE' | 'BY_TYPE_AND_NAME' | 'BY_URI'

export function readNodesByProperties(
  rng: MinStdRand0,
  state: DbState,
  kind: Kind,
  spec: ReadNodesSpec,
  opts: { numOfParameters: Range; ops: number },
): Workload {
  const nodes = state.nodes[kind].filter((n) => n.type !== '')
  if (nodes.length === 0) throw new Error(`ReadNodesByProperties needs ${kind}s`)
  const items: WorkItem[] = []
  for (let i = 0; i < opts.ops; i++) {
    if (spec === 'BY_ID') {
      const n = uniform(rng, opts.numOfParameters)
      items.push({ req: { [`${kind}_ids`]: Array.from({ length: n }, () => rng.pick(nodes).id) } })
    } else if (spec === 'BY_URI') {
      const n = uniform(rng, opts.numOfParameters)
      items.push({ req: { uris: Array.from({ length: n }, () => rng.pick(nodes).uri ?? '') } })
    } else if (spec === 'BY_TYPE') {
      items.push({ req: { type_name: rng.pick(nodes).type } })
    } else {
      const node = rng.pick(nodes)
      items.push({ req: { type_name: node.type, [`${kind}_name`]: node.name } })
    }
  }
  const specName =
    spec === 'BY_ID'
      ? `${PLURAL[kind].toUpperCase()}_BY_ID`
      : spec === 'BY_TYPE'
        ? `${PLURAL[kind].toUpperCase()}_BY_TYPE`
        : spec === 'BY_URI'
          ? 'ARTIFACTS_BY_URI'
          : `${SPEC[kind]}_BY_TYPE_AND_NAME`
  const op =
    spec === 'BY_ID'
      ? `Get${CAP[kind]}sByID`
      : spec === 'BY_TYPE'
        ? `Get${CAP[kind]}sByType`
        : spec === 'BY_URI'
          ? 'GetArtifactsByURI'
          : `Get${CAP[kind]}ByTypeAndName`
  return {
    name: `READ_${specName}`,
    group: 'read',
    op,
    items,
    config: {
      read_nodes_by_properties_config: {
        specification: specName,
        ...(spec === 'BY_ID' || spec === 'BY_URI' ? { num_of_parameters: opts.numOfParameters } : {}),
      },
      num_operations: opts.ops,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// ReadNodesViaContextEdges

export type ViaContextSpec =
  | 'CONTEXTS_BY_ARTIFACT'
  | 'CONTEXTS_BY_EXECUTION'
  | 'ARTIFACTS_BY_CONTEXT'
  | 'EXECUTIONS_BY_CONTEXT'

export function readNodesViaContextEdges(
  rng: MinStdRand0,
  state: DbState,
  spec: ViaContextSpec,
  opts: { ops: number },
): Workload {
  const from: Kind =
    spec === 'CONTEXTS_BY_ARTIFACT' ? 'artifact' : spec === 'CONTEXTS_BY_EXECUTION' ? 'execution' : 'context'
  const nodes = state.nodes[from]
  const items: WorkItem[] = []
  for (let i = 0; i < opts.ops; i++) items.push({ req: { [`${from}_id`]: rng.pick(nodes).id } })
  const op = {
    CONTEXTS_BY_ARTIFACT: 'GetContextsByArtifact',
    CONTEXTS_BY_EXECUTION: 'GetContextsByExecution',
    ARTIFACTS_BY_CONTEXT: 'GetArtifactsByContext',
    EXECUTIONS_BY_CONTEXT: 'GetExecutionsByContext',
  }[spec]
  return {
    name: `READ_${spec}`,
    group: 'read',
    op,
    items,
    config: { read_nodes_via_context_edges_config: { specification: spec }, num_operations: opts.ops },
    // MLMD answers NOT_FOUND for a node with no context (our store does the same).
    accept: ['NOT_FOUND'],
  }
}

// ---------------------------------------------------------------------------------------------
// ReadEvents

export function readEvents(
  rng: MinStdRand0,
  state: DbState,
  spec: 'EVENTS_BY_ARTIFACT_ID' | 'EVENTS_BY_EXECUTION_ID',
  opts: { numIds: Range; ops: number },
): Workload {
  const kind: Kind = spec === 'EVENTS_BY_ARTIFACT_ID' ? 'artifact' : 'execution'
  const nodes = state.nodes[kind]
  const items: WorkItem[] = []
  for (let i = 0; i < opts.ops; i++) {
    const n = uniform(rng, opts.numIds)
    items.push({ req: { [`${kind}_ids`]: Array.from({ length: n }, () => rng.pick(nodes).id) } })
  }
  return {
    name: `READ_${spec}`,
    group: 'read',
    op: spec === 'EVENTS_BY_ARTIFACT_ID' ? 'GetEventsByArtifactIDs' : 'GetEventsByExecutionIDs',
    items,
    config: { read_events_config: { specification: spec, num_ids: opts.numIds }, num_operations: opts.ops },
  }
}

// ---------------------------------------------------------------------------------------------
// Scale queries (not in mlmd_bench): reads whose cost should not grow with the store.

export interface ScaleQuery {
  readonly name: string
  readonly op: string
  readonly items: WorkItem[]
  /** The Python targets call the client's public method instead of one RPC (see py_driver). */
  readonly pyPublic?: boolean
}

const PAGE = 100
const NEWEST_FIRST = { max_result_size: PAGE, order_by_field: { field: 1, is_asc: false } }
// The floor's version of a filtered first page: ids by the same order, then hydrated.
const FLOOR_ORDER = 'ORDER BY a.create_time_since_epoch DESC, a.id DESC LIMIT 101'

export function scaleQueries(
  rng: MinStdRand0,
  facts: {
    maxArtifact: number
    maxContext: number
    contextNames: (ids: number[]) => string[]
    runs: number
    /** Contexts that grow with the store (a pipeline's, holding a share of every artifact). */
    largeContexts: number[]
  },
  ops: number,
): ScaleQuery[] {
  const artifactId = () => rng.int(1, facts.maxArtifact)
  const contextIds = Array.from({ length: ops }, () => rng.int(1, facts.maxContext))
  const names = facts.contextNames(contextIds)
  const spans = Array.from({ length: ops }, () => rng.int(0, facts.runs - 1))
  const lineage = (hops: number): ScaleQuery => ({
    name: `LINEAGE_${hops}_HOPS`,
    op: 'GetLineageSubgraph',
    pyPublic: true,
    items: Array.from({ length: ops }, () => {
      const id = artifactId()
      return {
        req: {
          lineage_subgraph_query_options: {
            starting_artifacts: { filter_query: `id = ${id}` },
            max_num_hops: hops,
            direction: 3,
          },
        },
        floor: { sql: 'SELECT id FROM Artifact WHERE id = ?', params: [id] },
      }
    }),
  })
  return [
    {
      name: 'ARTIFACTS_BY_ID(5)',
      op: 'GetArtifactsByID',
      items: Array.from({ length: ops }, () => ({
        req: { artifact_ids: Array.from({ length: 5 }, artifactId) },
      })),
    },
    {
      name: 'ARTIFACTS_BY_CONTEXT(page)',
      op: 'GetArtifactsByContext',
      items: contextIds.map((id) => ({ req: { context_id: id, options: NEWEST_FIRST } })),
    },
    {
      // A type with a share of every artifact: the page must not cost more as the type grows.
      name: 'ARTIFACTS_BY_TYPE(page)',
      op: 'GetArtifactsByType',
      items: Array.from({ length: ops }, () => ({ req: { type_name: 'Model', options: NEWEST_FIRST } })),
    },
    {
      name: 'ARTIFACTS_BY_LARGE_CONTEXT(page)',
      op: 'GetArtifactsByContext',
      items: Array.from({ length: ops }, () => ({
        req: {
          context_id: facts.largeContexts[rng.int(0, facts.largeContexts.length - 1)],
          options: NEWEST_FIRST,
        },
      })),
    },
    {
      name: 'FILTER_TYPE(page)',
      op: 'GetArtifacts',
      items: Array.from({ length: ops }, () => ({
        req: { options: { ...NEWEST_FIRST, filter_query: "type = 'Model'" } },
        floor: {
          sql: `SELECT a.id FROM Artifact a JOIN Type t ON t.id = a.type_id WHERE t.name = ? ${FLOOR_ORDER}`,
          params: ['Model'],
        },
      })),
    },
    {
      name: 'FILTER_CONTEXT(page)',
      op: 'GetArtifacts',
      items: names.map((name) => ({
        req: { options: { ...NEWEST_FIRST, filter_query: `contexts_a.name = '${name}'` } },
        floor: {
          sql: `SELECT a.id FROM Artifact a JOIN Attribution at ON at.artifact_id = a.id JOIN Context c ON c.id = at.context_id WHERE c.name = ? ${FLOOR_ORDER}`,
          params: [name],
        },
      })),
    },
    {
      name: 'FILTER_PROPERTY(page)',
      op: 'GetArtifacts',
      items: spans.map((span) => ({
        req: { options: { ...NEWEST_FIRST, filter_query: `properties.span.int_value = ${span}` } },
        floor: {
          sql: `SELECT a.id FROM Artifact a JOIN ArtifactProperty p ON p.artifact_id = a.id AND p.name = 'span' AND p.is_custom_property = 0 WHERE p.int_value = ? ${FLOOR_ORDER}`,
          params: [span],
        },
      })),
    },
    lineage(1),
    lineage(2),
    lineage(3),
    lineage(4),
    lineage(5),
  ]
}
