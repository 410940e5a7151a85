// GetLineageSubgraph checked against the real MLMD 1.16 (conformance/python/lineage_oracle.py):
// graphs with chains, fan-out/fan-in, diamonds, cycles, self-loops, parallel events and contexts
// shared across components are written by mlmd-ts into a file, then both engines answer the
// same requests on that file. GetLineageGraph (UNIMPLEMENTED in MLMD ≥ 1.15) is checked against
// the contract's MLMD 1.14 semantics.
//
// Deliberate differences (README), and how they are compared here:
// - MLMD answers id-only nodes, we answer whole nodes: nodes are compared by id.
// - MLMD starts from at most 101 nodes, we from at most 100 (lowest ids): its own tests below.
// - Events, nodes and links come in hash order from MLMD: everything is compared sorted.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWithMlmd, PYTHON_DIR, runPython } from '../../conformance/python/venv.js'
import { Code, codeToString, MlmdError } from '../errors.js'
import type * as m from '../proto/messages.js'
import { MAX_GRAPH_HOPS, MAX_STARTING_NODES, MAX_SUBGRAPH_HOPS } from './lineage-operations.js'
import { createMetadataStore, type OwnedMetadataStore } from './metadata-store.js'

const ORACLE = path.join(PYTHON_DIR, 'lineage_oracle.py')

// Event types and directions, by number.
const UNKNOWN = 0
const DECLARED_OUTPUT = 1
const DECLARED_INPUT = 2
const INPUT = 3
const OUTPUT = 4
const INTERNAL_INPUT = 5
const INTERNAL_OUTPUT = 6
const PENDING_OUTPUT = 7
const UNSPECIFIED = 0
const UPSTREAM = 1
const DOWNSTREAM = 2
const BIDIRECTIONAL = 3

// --- the graph ---------------------------------------------------------------------------------

interface GraphSpec {
  readonly artifacts: { name: string; type: 'Data' | 'Bulk'; state?: number }[]
  readonly executions: { name: string; state?: number }[]
  readonly contexts: { name: string; type: 'Pipeline' | 'Run' }[]
  readonly events: [artifact: string, execution: string, type: number, path?: m.Event_Path][]
  readonly attributions: [context: string, artifact: string][]
  readonly associations: [context: string, execution: string][]
  readonly parents: [child: string, parent: string][]
}

const CHAIN = 8 // c_a0 → c_e0 → c_a1 → … → c_e7 → c_a8
const LONG_CHAIN = 60 // x_a0 → x_e0 → … → x_e59 → x_a60: 120 hops, past MLMD's cap of 100
const BULK = 105 // more starting nodes than either engine takes

function graphSpec(): GraphSpec {
  const spec: GraphSpec = {
    artifacts: [],
    executions: [],
    contexts: [],
    events: [],
    attributions: [],
    associations: [],
    parents: [],
  }
  const art = (name: string, state?: number) => spec.artifacts.push({ name, type: 'Data', state })
  const exe = (name: string, state?: number) => spec.executions.push({ name, state })
  const ev = (a: string, e: string, type: number, path?: m.Event_Path) => spec.events.push([a, e, type, path])

  // A chain (hop limits), and a chain longer than MLMD's 100-hop cap.
  for (let i = 0; i <= CHAIN; i++) art(`c_a${i}`, i % 2 === 0 ? 2 : undefined)
  for (let i = 0; i < CHAIN; i++) {
    exe(`c_e${i}`, i < 4 ? 3 : 4)
    ev(`c_a${i}`, `c_e${i}`, INPUT)
    ev(`c_a${i + 1}`, `c_e${i}`, OUTPUT, { steps: [{ key: 'out' }, { index: BigInt(i) }] })
  }
  for (let i = 0; i <= LONG_CHAIN; i++) art(`x_a${i}`)
  for (let i = 0; i < LONG_CHAIN; i++) {
    exe(`x_e${i}`)
    ev(`x_a${i}`, `x_e${i}`, INPUT)
    ev(`x_a${i + 1}`, `x_e${i}`, OUTPUT)
  }
  // Fan-out then fan-in, with a shortcut f_a1 → f_join.
  art('f_in')
  exe('f_src', 3)
  ev('f_in', 'f_src', INPUT)
  exe('f_join', 3)
  for (let i = 1; i <= 4; i++) {
    art(`f_a${i}`)
    exe(`f_e${i}`, i === 3 ? 4 : 3)
    art(`f_b${i}`)
    ev(`f_a${i}`, 'f_src', OUTPUT)
    ev(`f_a${i}`, `f_e${i}`, INPUT)
    ev(`f_b${i}`, `f_e${i}`, OUTPUT)
    ev(`f_b${i}`, 'f_join', INPUT)
  }
  ev('f_a1', 'f_join', INPUT)
  art('f_z')
  ev('f_z', 'f_join', OUTPUT)
  // A diamond whose source also feeds the sink directly (MLMD's own directional example).
  for (const name of ['d_a', 'd_b', 'd_c', 'd_d']) art(name)
  for (const name of ['d_e1', 'd_e2', 'd_e3']) exe(name)
  ev('d_a', 'd_e1', INPUT)
  ev('d_a', 'd_e2', INPUT)
  ev('d_a', 'd_e3', INPUT)
  ev('d_b', 'd_e1', OUTPUT)
  ev('d_c', 'd_e2', OUTPUT)
  ev('d_b', 'd_e3', INPUT)
  ev('d_c', 'd_e3', DECLARED_INPUT)
  ev('d_d', 'd_e3', OUTPUT)
  // A cycle y_a1 → y_e1 → y_a2 → y_e2 → y_a1, and a self-loop s_a → s_e → s_a.
  art('y_a1')
  art('y_a2')
  exe('y_e1')
  exe('y_e2')
  ev('y_a1', 'y_e1', INPUT)
  ev('y_a2', 'y_e1', OUTPUT)
  ev('y_a2', 'y_e2', INPUT)
  ev('y_a1', 'y_e2', OUTPUT)
  art('s_a')
  art('s_b')
  exe('s_e')
  ev('s_a', 's_e', INPUT)
  ev('s_a', 's_e', OUTPUT)
  ev('s_b', 's_e', OUTPUT)
  // Parallel events of several types between the same pair, and an UNKNOWN-typed event that
  // only bidirectional walks cross.
  for (const name of ['m_a', 'm_b', 'm_c', 'm_d', 'm_u', 'm_f']) art(name)
  exe('m_e')
  exe('m_e2')
  ev('m_a', 'm_e', INPUT)
  ev('m_a', 'm_e', DECLARED_INPUT, { steps: [{ key: 'in' }, { index: 0n }] })
  ev('m_b', 'm_e', OUTPUT, { steps: [{ key: 'out' }] })
  ev('m_b', 'm_e', INTERNAL_OUTPUT)
  ev('m_c', 'm_e', PENDING_OUTPUT)
  ev('m_d', 'm_e', DECLARED_OUTPUT)
  // m_u ↔ m_e is an UNKNOWN-typed event: MLMD's API refuses to write one, so writeGraphFile adds it
  // with SQL (files from other writers can hold one).
  ev('m_u', 'm_e2', INTERNAL_INPUT)
  ev('m_f', 'm_e2', OUTPUT)
  // Nodes without events.
  art('i_a')
  exe('i_e')
  // g_a → g_e, plus events to nodes that do not exist (writeGraphFile adds them with SQL:
  // MLMD's PutExecution stores such dangling events, mlmd-ts refuses to).
  art('g_a')
  exe('g_e')
  ev('g_a', 'g_e', INPUT)
  // More starting nodes than either engine takes, all read by one execution.
  exe('bulk_e')
  for (let i = 0; i < BULK; i++) {
    const name = `bulk_${String(i).padStart(3, '0')}`
    spec.artifacts.push({ name, type: 'Bulk' })
    ev(name, 'bulk_e', INPUT)
  }
  art('bulk_out')
  ev('bulk_out', 'bulk_e', OUTPUT)

  // Contexts shared across components, so that contexts reach beyond the lineage returned.
  spec.contexts.push(
    { name: 'pipe', type: 'Pipeline' },
    { name: 'run1', type: 'Run' },
    { name: 'run2', type: 'Run' },
    { name: 'shared', type: 'Run' },
    { name: 'bulkctx', type: 'Pipeline' },
    { name: 'lonely', type: 'Run' },
  )
  for (let i = 0; i <= CHAIN; i++) spec.attributions.push(['pipe', `c_a${i}`])
  for (let i = 0; i < CHAIN; i++) spec.associations.push(['pipe', `c_e${i}`])
  spec.attributions.push(['pipe', 'd_d'], ['run1', 'd_a'], ['run1', 'f_z'], ['run1', 'c_a4'])
  for (let i = 0; i < 4; i++) spec.associations.push(['run1', `c_e${i}`])
  spec.associations.push(['run1', 'd_e1'], ['run2', 'f_join'], ['run2', 'y_e1'], ['run2', 'm_e'])
  spec.attributions.push(['run2', 'c_a8'], ['run2', 'y_a2'])
  for (const name of ['y_a1', 's_a', 'm_a', 'i_a', 'f_in']) spec.attributions.push(['shared', name])
  for (const name of ['i_e', 'f_src', 's_e']) spec.associations.push(['shared', name])
  for (const a of spec.artifacts) if (a.type === 'Bulk') spec.attributions.push(['bulkctx', a.name])
  spec.associations.push(['bulkctx', 'bulk_e'])
  spec.parents.push(['run1', 'pipe'], ['run2', 'pipe'])
  return spec
}

interface Ids {
  readonly artifact: Map<string, bigint>
  readonly execution: Map<string, bigint>
  readonly context: Map<string, bigint>
}

function writeGraph(store: OwnedMetadataStore, spec: GraphSpec): Ids {
  const types = store.putTypes({
    artifact_types: [{ name: 'Data' }, { name: 'Bulk' }],
    execution_types: [{ name: 'Step' }],
    context_types: [{ name: 'Pipeline' }, { name: 'Run' }],
  })
  const [data, bulk] = types.artifact_type_ids as bigint[]
  const [step] = types.execution_type_ids as bigint[]
  const [pipeline, run] = types.context_type_ids as bigint[]
  const artifactIds = store.putArtifacts({
    artifacts: spec.artifacts.map((a) => ({
      type_id: a.type === 'Data' ? data : bulk,
      name: a.name,
      uri: `uri://${a.name}`,
      ...(a.state === undefined ? {} : { state: a.state as m.Artifact_State }),
    })),
  }).artifact_ids as bigint[]
  const executionIds = store.putExecutions({
    executions: spec.executions.map((e) => ({
      type_id: step,
      name: e.name,
      ...(e.state === undefined ? {} : { last_known_state: e.state as m.Execution_State }),
    })),
  }).execution_ids as bigint[]
  const contextIds = store.putContexts({
    contexts: spec.contexts.map((c) => ({ type_id: c.type === 'Pipeline' ? pipeline : run, name: c.name })),
  }).context_ids as bigint[]
  const ids: Ids = {
    artifact: new Map(spec.artifacts.map((a, i) => [a.name, artifactIds[i] as bigint])),
    execution: new Map(spec.executions.map((e, i) => [e.name, executionIds[i] as bigint])),
    context: new Map(spec.contexts.map((c, i) => [c.name, contextIds[i] as bigint])),
  }
  const id = (map: Map<string, bigint>, name: string): bigint => {
    const found = map.get(name)
    if (found === undefined) throw new Error(`no node ${name}`)
    return found
  }
  store.putEvents({
    events: spec.events.map(([a, e, type, eventPath], i) => ({
      artifact_id: id(ids.artifact, a),
      execution_id: id(ids.execution, e),
      type: type as m.Event_Type,
      milliseconds_since_epoch: 1_700_000_000_000n + BigInt(i),
      ...(eventPath === undefined ? {} : { path: eventPath }),
    })),
  })
  store.putAttributionsAndAssociations({
    attributions: spec.attributions.map(([c, a]) => ({
      context_id: id(ids.context, c),
      artifact_id: id(ids.artifact, a),
    })),
    associations: spec.associations.map(([c, e]) => ({
      context_id: id(ids.context, c),
      execution_id: id(ids.execution, e),
    })),
  })
  store.putParentContexts({
    parent_contexts: spec.parents.map(([child, parent]) => ({
      child_id: id(ids.context, child),
      parent_id: id(ids.context, parent),
    })),
  })
  return ids
}

/** Ids of an artifact and an execution that do not exist, named by dangling events. */
const GHOST_ARTIFACT = 900_000n
const GHOST_EXECUTION = 900_001n

/**
 * Writes the graph with mlmd-ts into `<dir>/lineage.sqlite`, adds with SQL the UNKNOWN-typed
 * event m_u ↔ m_e and dangling events from g_e and g_a, and returns the file and the ids by name.
 */
function writeGraphFile(dir: string): { filename: string; ids: Ids } {
  const filename = path.join(dir, 'lineage.sqlite')
  const writer = createMetadataStore({ filename })
  const ids = writeGraph(writer, graphSpec())
  writer.close()
  const db = new Database(filename)
  try {
    const insert = db.prepare(
      'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?, ?, ?, ?)',
    )
    insert.run(ids.artifact.get('m_u'), ids.execution.get('m_e'), UNKNOWN, 1_700_000_009_999n)
    insert.run(GHOST_ARTIFACT, ids.execution.get('g_e'), OUTPUT, 1_700_000_009_998n)
    insert.run(ids.artifact.get('g_a'), GHOST_EXECUTION, OUTPUT, 1_700_000_009_997n)
  } finally {
    db.close()
  }
  return { filename, ids }
}

// --- answers in one comparable shape -------------------------------------------------------------

interface GraphAnswer {
  artifacts: string[]
  executions: string[]
  contexts: string[]
  events: [string, string, number, string][]
  attributions: [string, string][]
  associations: [string, string][]
  artifact_types: string[]
  execution_types: string[]
  context_types: string[]
  parent_contexts: number
}
type Answer = GraphAnswer | { error: string }

const byNumber = (a: string, b: string): number => {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}
function byTuple(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    if (/^-?\d+$/.test(String(x)) && /^-?\d+$/.test(String(y))) return byNumber(String(x), String(y))
    return String(x) < String(y) ? -1 : 1
  }
  return 0
}

/** Sorts every list the same way, whichever engine the answer came from. */
function canonical(answer: Answer): Answer {
  if ('error' in answer) return { error: answer.error }
  return {
    artifacts: [...answer.artifacts].sort(byNumber),
    executions: [...answer.executions].sort(byNumber),
    contexts: [...answer.contexts].sort(byNumber),
    events: [...answer.events].sort(byTuple),
    attributions: [...answer.attributions].sort(byTuple),
    associations: [...answer.associations].sort(byTuple),
    artifact_types: [...answer.artifact_types].sort(byNumber),
    execution_types: [...answer.execution_types].sort(byNumber),
    context_types: [...answer.context_types].sort(byNumber),
    parent_contexts: answer.parent_contexts,
  }
}

function pathJson(eventPath: m.Event_Path | undefined): string {
  const steps = eventPath?.steps ?? []
  if (steps.length === 0) return '{}'
  return JSON.stringify({
    steps: steps.map((s) => (s.key !== undefined ? { key: s.key } : { index: String(s.index) })),
  })
}

const idsOf = (nodes: readonly { id?: bigint }[] | undefined): string[] =>
  (nodes ?? []).map((n) => String(n.id))

function answerOf(graph: m.LineageGraph): GraphAnswer {
  return {
    artifacts: idsOf(graph.artifacts),
    executions: idsOf(graph.executions),
    contexts: idsOf(graph.contexts),
    events: (graph.events ?? []).map((e) => [
      String(e.artifact_id),
      String(e.execution_id),
      e.type ?? 0,
      pathJson(e.path),
    ]),
    attributions: (graph.attributions ?? []).map((a) => [String(a.artifact_id), String(a.context_id)]),
    associations: (graph.associations ?? []).map((a) => [String(a.execution_id), String(a.context_id)]),
    artifact_types: idsOf(graph.artifact_types),
    execution_types: idsOf(graph.execution_types),
    context_types: idsOf(graph.context_types),
    parent_contexts: (graph.parent_contexts ?? []).length,
  }
}

const codeName = (code: Code): string => codeToString(code).toUpperCase()

/** Our answer; an error's message is kept apart, in `messages`. */
function ours(store: OwnedMetadataStore, request: m.GetLineageSubgraphRequest, messages?: string[]): Answer {
  try {
    return canonical(answerOf(store.getLineageSubgraph(request).lineage_subgraph ?? {}))
  } catch (error) {
    if (!(error instanceof MlmdError)) throw error
    messages?.push(error.rawMessage)
    return { error: codeName(error.code) }
  }
}

const toJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))

type OracleAnswer = (GraphAnswer & { artifact_fields: string[][] }) | { error: string; message: string }

/** Runs the queries (lineage_oracle.py's ops) through the real MLMD on `filename`. */
function askMlmd(filename: string, queries: readonly unknown[]): OracleAnswer[] {
  return JSON.parse(runPython(ORACLE, [filename], { input: toJson(queries) })) as OracleAnswer[]
}

// --- the requests --------------------------------------------------------------------------------

interface Start {
  readonly label: string
  readonly from: 'artifacts' | 'executions'
  readonly filter: string
  /** Hop limits to try (undefined: unset). */
  readonly hops: readonly (bigint | undefined)[]
  /** Also try DIRECTION_UNSPECIFIED (0), besides unset, UPSTREAM, DOWNSTREAM and BIDIRECTIONAL. */
  readonly zero?: true
}

const SHORT_HOPS = [0n, 1n, 2n, 3n, 4n, 5n, 6n, undefined] as const
const CHAIN_HOPS = [...SHORT_HOPS, 7n, 9n, 15n, 16n, 17n, 100n, 101n, 1000n] as const
const LONG_HOPS = [0n, 1n, 50n, 99n, 100n, 101n, 1000n, undefined] as const

const STARTS: readonly Start[] = [
  { label: 'chain head', from: 'artifacts', filter: "name = 'c_a0'", hops: CHAIN_HOPS },
  { label: 'chain middle', from: 'artifacts', filter: "name = 'c_a4'", hops: CHAIN_HOPS, zero: true },
  { label: 'chain tail', from: 'artifacts', filter: "name = 'c_a8'", hops: CHAIN_HOPS },
  { label: 'chain head execution', from: 'executions', filter: "name = 'c_e0'", hops: CHAIN_HOPS },
  {
    label: 'chain middle execution',
    from: 'executions',
    filter: "name = 'c_e4'",
    hops: CHAIN_HOPS,
    zero: true,
  },
  { label: 'long chain head (100-hop cap)', from: 'artifacts', filter: "name = 'x_a0'", hops: LONG_HOPS },
  { label: 'long chain tail', from: 'artifacts', filter: "name = 'x_a60'", hops: LONG_HOPS },
  { label: 'long chain middle execution', from: 'executions', filter: "name = 'x_e30'", hops: LONG_HOPS },
  { label: 'fan source input', from: 'artifacts', filter: "name = 'f_in'", hops: SHORT_HOPS },
  { label: 'fan branch', from: 'artifacts', filter: "name = 'f_a2'", hops: SHORT_HOPS },
  { label: 'fan shortcut branch', from: 'artifacts', filter: "name = 'f_a1'", hops: SHORT_HOPS },
  { label: 'fan sink', from: 'artifacts', filter: "name = 'f_z'", hops: SHORT_HOPS },
  { label: 'fan-out execution', from: 'executions', filter: "name = 'f_src'", hops: SHORT_HOPS, zero: true },
  { label: 'fan-in execution', from: 'executions', filter: "name = 'f_join'", hops: SHORT_HOPS },
  { label: 'diamond source', from: 'artifacts', filter: "name = 'd_a'", hops: SHORT_HOPS, zero: true },
  { label: 'diamond sink', from: 'artifacts', filter: "name = 'd_d'", hops: SHORT_HOPS },
  { label: 'diamond join execution', from: 'executions', filter: "name = 'd_e3'", hops: SHORT_HOPS },
  { label: 'cycle artifact', from: 'artifacts', filter: "name = 'y_a1'", hops: SHORT_HOPS, zero: true },
  { label: 'cycle execution', from: 'executions', filter: "name = 'y_e2'", hops: SHORT_HOPS },
  { label: 'self-loop artifact', from: 'artifacts', filter: "name = 's_a'", hops: SHORT_HOPS },
  { label: 'self-loop execution', from: 'executions', filter: "name = 's_e'", hops: SHORT_HOPS },
  { label: 'parallel events source', from: 'artifacts', filter: "name = 'm_a'", hops: SHORT_HOPS },
  {
    label: 'UNKNOWN-event artifact',
    from: 'artifacts',
    filter: "name = 'm_u'",
    hops: SHORT_HOPS,
    zero: true,
  },
  { label: 'parallel events execution', from: 'executions', filter: "name = 'm_e'", hops: SHORT_HOPS },
  {
    label: 'dangling events, from the artifact',
    from: 'artifacts',
    filter: "name = 'g_a'",
    hops: SHORT_HOPS,
  },
  {
    label: 'dangling events, from the execution',
    from: 'executions',
    filter: "name = 'g_e'",
    hops: SHORT_HOPS,
  },
  { label: 'isolated artifact', from: 'artifacts', filter: "name = 'i_a'", hops: [0n, 1n, 2n, undefined] },
  { label: 'isolated execution', from: 'executions', filter: "name = 'i_e'", hops: [0n, 1n, 2n, undefined] },
  {
    label: 'three components at once',
    from: 'artifacts',
    filter: "name IN ('c_a2', 'd_b', 'y_a2')",
    hops: SHORT_HOPS,
  },
  {
    label: 'several starts on one chain',
    from: 'artifacts',
    filter: "name = 'c_a1' OR name = 'c_a6'",
    hops: SHORT_HOPS,
  },
  {
    label: 'artifacts of a context',
    from: 'artifacts',
    filter: "contexts_r.name = 'run1'",
    hops: SHORT_HOPS,
    zero: true,
  },
  {
    label: 'artifacts of either context (a join each)',
    from: 'artifacts',
    filter: "contexts_0.name = 'shared' OR contexts_1.name = 'run2'",
    hops: SHORT_HOPS,
  },
  {
    label: 'executions of a context',
    from: 'executions',
    filter: "contexts_r.name = 'run1'",
    hops: SHORT_HOPS,
  },
  {
    label: 'executions by state',
    from: 'executions',
    filter: 'last_known_state = FAILED',
    hops: SHORT_HOPS,
  },
  {
    label: 'artifacts by state and event',
    from: 'artifacts',
    filter: "state = LIVE AND events_0.type = OUTPUT AND uri LIKE 'uri://c_%'",
    hops: [0n, 1n, 2n, undefined],
  },
]

const DIRECTIONS: readonly (number | undefined)[] = [undefined, UPSTREAM, DOWNSTREAM, BIDIRECTIONAL]
const DIRECTION_NAMES = ['DIRECTION_UNSPECIFIED', 'UPSTREAM', 'DOWNSTREAM', 'BIDIRECTIONAL']
const directionName = (d: number | undefined): string =>
  d === undefined ? 'unset' : (DIRECTION_NAMES[d] ?? String(d))

function options(
  start: { from: 'artifacts' | 'executions'; filter: string },
  hops: bigint | undefined,
  direction: number | undefined,
): m.LineageSubgraphQueryOptions {
  return {
    [start.from === 'artifacts' ? 'starting_artifacts' : 'starting_executions']: {
      filter_query: start.filter,
    },
    ...(hops === undefined ? {} : { max_num_hops: hops }),
    ...(direction === undefined ? {} : { direction: direction as m.LineageSubgraphQueryOptions_Direction }),
  }
}

interface Case {
  readonly group: string
  readonly label: string
  readonly request: m.GetLineageSubgraphRequest
}

function matrixCases(): Case[] {
  const cases: Case[] = []
  for (const start of STARTS) {
    for (const hops of start.hops) {
      for (const direction of start.zero ? [...DIRECTIONS, UNSPECIFIED] : DIRECTIONS) {
        cases.push({
          group: `matrix: ${start.label}`,
          label: `hops=${hops ?? 'unset'} direction=${directionName(direction)}`,
          request: { lineage_subgraph_query_options: options(start, hops, direction) },
        })
      }
    }
  }
  return cases
}

// Ending filters: names spread over every component, so each start meets some of them.
const ENDING_ARTIFACTS = "name IN ('c_a2', 'c_a6', 'd_b', 'f_a1', 'f_b2', 'y_a2', 'm_b', 's_b', 'x_a3')"
const ENDING_EXECUTIONS = "name IN ('c_e2', 'c_e5', 'd_e2', 'f_e3', 'f_join', 'y_e1', 'm_e2', 'x_e5')"

function endingCases(): Case[] {
  const starts = [
    { from: 'artifacts', filter: "name = 'c_a0'" },
    { from: 'artifacts', filter: "name = 'c_a4'" },
    { from: 'artifacts', filter: "name = 'c_a2'" }, // a starting node that is also an ending node
    { from: 'artifacts', filter: "name = 'f_in'" },
    { from: 'artifacts', filter: "name = 'd_a'" },
    { from: 'artifacts', filter: "name = 'y_a1'" },
    { from: 'artifacts', filter: "name = 'm_a'" },
    { from: 'artifacts', filter: "name IN ('c_a2', 'c_a3', 'd_b')" },
    { from: 'executions', filter: "name = 'c_e4'" },
    { from: 'executions', filter: "name = 'c_e2'" }, // a starting execution that is an ending one
    { from: 'executions', filter: "name = 'f_src'" },
    { from: 'executions', filter: "name = 'd_e3'" },
    { from: 'executions', filter: "contexts_r.name = 'run1'" },
    { from: 'executions', filter: "name = 'bulk_e'" }, // 106 candidates: MLMD filters in batches of 100
  ] as const
  const endings: [string, Partial<m.LineageSubgraphQueryOptions>][] = [
    ['artifacts', { ending_artifacts: { filter_query: ENDING_ARTIFACTS } }],
    [
      'artifacts, included',
      { ending_artifacts: { filter_query: ENDING_ARTIFACTS, include_ending_nodes: true } },
    ],
    ['executions', { ending_executions: { filter_query: ENDING_EXECUTIONS } }],
    [
      'executions, included',
      { ending_executions: { filter_query: ENDING_EXECUTIONS, include_ending_nodes: true } },
    ],
    [
      'both, artifacts included',
      {
        ending_artifacts: { filter_query: ENDING_ARTIFACTS, include_ending_nodes: true },
        ending_executions: { filter_query: ENDING_EXECUTIONS },
      },
    ],
    [
      'both included',
      {
        ending_artifacts: { filter_query: ENDING_ARTIFACTS, include_ending_nodes: true },
        ending_executions: { filter_query: ENDING_EXECUTIONS, include_ending_nodes: true },
      },
    ],
    ['artifacts by a neighbour', { ending_artifacts: { filter_query: "contexts_p.name = 'pipe'" } }],
    [
      'bulk artifacts, included',
      { ending_artifacts: { filter_query: "name LIKE 'bulk_0%'", include_ending_nodes: true } },
    ],
    ['artifacts set but empty', { ending_artifacts: { filter_query: '' } }],
    [
      'artifacts set but empty, included',
      { ending_artifacts: { filter_query: '', include_ending_nodes: true } },
    ],
    ['executions set but empty', { ending_executions: { filter_query: '' } }],
    [
      'executions set but empty, included',
      { ending_executions: { filter_query: '', include_ending_nodes: true } },
    ],
    ['artifacts without a filter, included', { ending_artifacts: { include_ending_nodes: true } }],
    ['executions matching nothing', { ending_executions: { filter_query: "name = 'nothing'" } }],
  ]
  const cases: Case[] = []
  for (const start of starts) {
    for (const [endingLabel, ending] of endings) {
      for (const hops of [2n, undefined]) {
        for (const direction of [undefined, UPSTREAM, DOWNSTREAM]) {
          cases.push({
            group: `ending nodes: ${endingLabel}`,
            label: `from ${start.from} ${start.filter}, hops=${hops ?? 'unset'} direction=${directionName(direction)}`,
            request: { lineage_subgraph_query_options: { ...options(start, hops, direction), ...ending } },
          })
        }
      }
    }
  }
  return cases
}

const READ_MASKS: readonly (readonly string[])[] = [
  [],
  ['artifacts'],
  ['executions'],
  ['contexts'],
  ['events'],
  ['attributions'],
  ['associations'],
  ['artifact_types'],
  ['execution_types', 'context_types'],
  ['artifacts', 'contexts', 'events'],
  ['parent_contexts'],
  ['unknown_path'],
  ['artifacts', 'unknown_path', 'artifacts'],
  [
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
  ],
]

function readMaskCases(): Case[] {
  const cases: Case[] = []
  for (const start of [
    { from: 'artifacts', filter: "name = 'c_a4'" },
    { from: 'executions', filter: "name = 'f_src'" },
    { from: 'artifacts', filter: "name = 'd_a'" },
  ] as const) {
    for (const paths of READ_MASKS) {
      cases.push({
        group: 'read_mask',
        label: `[${paths.join(', ')}] from ${start.filter}`,
        request: {
          lineage_subgraph_query_options: options(start, 3n, undefined),
          read_mask: { paths: [...paths] },
        },
      })
    }
  }
  return cases
}

const BAD = 'invalid syntax ('

function errorCases(): Case[] {
  const cases: [string, m.GetLineageSubgraphRequest][] = [
    ['no options', {}],
    ['no starting nodes', { lineage_subgraph_query_options: {} }],
    ['no starting nodes, hops set', { lineage_subgraph_query_options: { max_num_hops: 1n } }],
    ['starting artifacts without a filter', { lineage_subgraph_query_options: { starting_artifacts: {} } }],
    [
      'starting executions with an empty filter',
      { lineage_subgraph_query_options: { starting_executions: { filter_query: '' } } },
    ],
    [
      'starting artifacts with a bad filter',
      { lineage_subgraph_query_options: { starting_artifacts: { filter_query: BAD } } },
    ],
    [
      'starting executions with an artifact-only attribute',
      { lineage_subgraph_query_options: { starting_executions: { filter_query: 'state = LIVE' } } },
    ],
    [
      'starting artifacts with a bad enum name',
      { lineage_subgraph_query_options: { starting_artifacts: { filter_query: 'state = RUNNING' } } },
    ],
    [
      'negative hops',
      {
        lineage_subgraph_query_options: options(
          { from: 'artifacts', filter: "name = 'c_a0'" },
          -1n,
          undefined,
        ),
      },
    ],
    [
      'negative hops and a bad filter',
      { lineage_subgraph_query_options: options({ from: 'artifacts', filter: BAD }, -5n, undefined) },
    ],
    [
      'negative hops and no match',
      {
        lineage_subgraph_query_options: options(
          { from: 'executions', filter: "name = 'nope'" },
          -1n,
          undefined,
        ),
      },
    ],
    [
      'starting artifacts match nothing',
      {
        lineage_subgraph_query_options: options(
          { from: 'artifacts', filter: "name = 'nope'" },
          2n,
          undefined,
        ),
      },
    ],
    [
      'starting executions match nothing',
      {
        lineage_subgraph_query_options: options(
          { from: 'executions', filter: 'id < 0' },
          undefined,
          DOWNSTREAM,
        ),
      },
    ],
    [
      'starting artifacts match nothing, read_mask set',
      {
        lineage_subgraph_query_options: options({ from: 'artifacts', filter: "uri = 'nope'" }, 0n, undefined),
        read_mask: { paths: ['events'] },
      },
    ],
    [
      'bad ending filter on the starting kind',
      {
        lineage_subgraph_query_options: {
          ...options({ from: 'artifacts', filter: "name = 'c_a0'" }, 0n, undefined),
          ending_artifacts: { filter_query: BAD },
        },
      },
    ],
    [
      'bad ending filter on executions, never evaluated at 0 hops',
      {
        lineage_subgraph_query_options: {
          ...options({ from: 'artifacts', filter: "name = 'c_a0'" }, 0n, undefined),
          ending_executions: { filter_query: BAD },
        },
      },
    ],
    [
      'bad ending filter on executions, evaluated at 1 hop',
      {
        lineage_subgraph_query_options: {
          ...options({ from: 'artifacts', filter: "name = 'c_a0'" }, 1n, undefined),
          ending_executions: { filter_query: BAD },
        },
      },
    ],
    [
      'bad ending filter on executions, no candidates from an isolated artifact',
      {
        lineage_subgraph_query_options: {
          ...options({ from: 'artifacts', filter: "name = 'i_a'" }, 5n, undefined),
          ending_executions: { filter_query: BAD },
        },
      },
    ],
    [
      'bad ending filter on artifacts, only candidates upstream',
      {
        lineage_subgraph_query_options: {
          ...options({ from: 'executions', filter: "name = 'c_e0'" }, 3n, DOWNSTREAM),
          ending_artifacts: { filter_query: 'uri = 1' },
        },
      },
    ],
  ]
  return cases.map(([label, request]) => ({ group: 'errors', label, request }))
}

// --- the comparison with MLMD ------------------------------------------------------------------------

const tally = { compared: 0, matched: 0 }
let mlmdSeconds = 0

describeWithMlmd('GetLineageSubgraph against MLMD 1.16', () => {
  let dir: string
  let filename: string
  let store: OwnedMetadataStore
  let ids: Ids
  const cases: Case[] = [...matrixCases(), ...endingCases(), ...readMaskCases(), ...errorCases()]
  const bulkRequests: Record<string, m.GetLineageSubgraphRequest> = {
    hops0: {
      lineage_subgraph_query_options: options({ from: 'artifacts', filter: "type = 'Bulk'" }, 0n, undefined),
    },
    downstream1: {
      lineage_subgraph_query_options: options({ from: 'artifacts', filter: "type = 'Bulk'" }, 1n, DOWNSTREAM),
    },
    hops2: {
      lineage_subgraph_query_options: options({ from: 'artifacts', filter: "type = 'Bulk'" }, 2n, undefined),
    },
    shapes: {
      lineage_subgraph_query_options: options({ from: 'artifacts', filter: "name = 'c_a4'" }, 2n, undefined),
    },
  }
  const answers = new Map<Case, OracleAnswer>()
  const bulk: Record<string, OracleAnswer> = {}
  let lineageGraph: OracleAnswer

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-lineage-'))
    ;({ filename, ids } = writeGraphFile(dir))
    const bulkNames = Object.keys(bulkRequests)
    const started = performance.now()
    const queries: unknown[] = [
      ...cases.map((c) => ({ op: 'lineage', request: c.request })),
      ...bulkNames.map((k) => ({ op: 'lineage', request: bulkRequests[k] })),
      { op: 'lineage_graph', request: { options: { artifacts_options: {} } } },
    ]
    const mlmd = askMlmd(filename, queries)
    mlmdSeconds = (performance.now() - started) / 1000
    for (const [i, c] of cases.entries()) answers.set(c, mlmd[i] as OracleAnswer)
    for (const [i, k] of bulkNames.entries()) bulk[k] = mlmd[cases.length + i] as OracleAnswer
    lineageGraph = mlmd[queries.length - 1] as OracleAnswer
    store = createMetadataStore({ filename })
  }, 300_000)
  afterAll(() => {
    store?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    console.info(
      `GetLineageSubgraph: ${tally.matched} of ${tally.compared} requests answered as MLMD 1.16 does (ids, events, links, types); MLMD took ${mlmdSeconds.toFixed(1)} s`,
    )
  })

  const groups = [...new Set(cases.map((c) => c.group))]
  it.each(groups)('%s', (group) => {
    const mismatches: string[] = []
    for (const c of cases.filter((x) => x.group === group)) {
      const mlmd = answers.get(c) as OracleAnswer
      const expected = canonical('error' in mlmd ? { error: mlmd.error } : mlmd)
      const messages: string[] = []
      const actual = ours(store, c.request, messages)
      tally.compared++
      try {
        expect(actual).toEqual(expected)
        // Messages too, except a filter's syntax errors (ZetaSQL's wording differs; README).
        if ('error' in mlmd && !mlmd.message.startsWith('Invalid `filter_query`')) {
          expect(messages).toEqual([mlmd.message])
        }
        tally.matched++
      } catch {
        const why = 'error' in mlmd ? ` (ours: ${messages.join()}; MLMD: ${mlmd.message})` : ''
        mismatches.push(`${c.label}:\n  ours ${toJson(actual)}\n  MLMD ${toJson(expected)}${why}`)
      }
    }
    expect(mismatches, mismatches.join('\n')).toEqual([])
  })

  it('reaches every kind of answer (the table is not vacuous)', () => {
    const answered = [...answers.values()]
    const errors = answered.filter((a) => 'error' in a).map((a) => (a as { error: string }).error)
    expect(new Set(errors)).toEqual(new Set(['INVALID_ARGUMENT', 'NOT_FOUND']))
    const graphs = answered.filter((a): a is GraphAnswer & { artifact_fields: string[][] } => !('error' in a))
    expect(graphs.some((g) => g.artifacts.length > 50)).toBe(true)
    expect(graphs.some((g) => g.events.length > 100)).toBe(true)
    expect(graphs.some((g) => g.contexts.length >= 3)).toBe(true)
    expect(graphs.some((g) => g.attributions.length > 0 && g.associations.length > 0)).toBe(true)
  })

  it('serves GetLineageGraph, which MLMD 1.16 no longer has (deliberate difference)', () => {
    // MLMD's gRPC server answers UNIMPLEMENTED; its in-process library has no such method at all.
    expect(lineageGraph).toMatchObject({ error: 'NO_BINDING' })
    const graph = store.getLineageGraph({ options: { artifacts_options: {} } }).subgraph
    expect(graph?.artifacts).toHaveLength(20)
  })

  it('answers whole nodes where MLMD answers ids only (deliberate difference)', () => {
    const mlmd = bulk.shapes as GraphAnswer & { artifact_fields: string[][] }
    expect(mlmd.artifact_fields.length).toBeGreaterThan(0)
    for (const fields of mlmd.artifact_fields) expect(fields).toEqual(['id'])
    const graph = store.getLineageSubgraph(
      bulkRequests.shapes as m.GetLineageSubgraphRequest,
    ).lineage_subgraph
    const artifactIds = (graph?.artifacts ?? []).map((a) => a.id as bigint)
    expect(graph?.artifacts).toEqual(store.getArtifactsByID({ artifact_ids: artifactIds }).artifacts)
    const executionIds = (graph?.executions ?? []).map((e) => e.id as bigint)
    expect(graph?.executions).toEqual(store.getExecutionsByID({ execution_ids: executionIds }).executions)
    const contextIds = (graph?.contexts ?? []).map((c) => c.id as bigint)
    expect(graph?.contexts).toEqual(store.getContextsByID({ context_ids: contextIds }).contexts)
    // Types: the same ids as MLMD's (every type of the kind, the mlmd.* simple types included).
    const typeNames = (graph?.artifact_types ?? []).map((t) => t.name)
    expect(typeNames).toEqual(expect.arrayContaining(['mlmd.Dataset', 'mlmd.Model', 'Data', 'Bulk']))
  })

  describe('starting nodes: at most 100 here, 101 in MLMD (deliberate difference)', () => {
    const bulkIds = (): string[] =>
      [...ids.artifact.entries()]
        .filter(([name]) => name.startsWith('bulk_') && name !== 'bulk_out')
        .map(([, id]) => String(id))
        .sort(byNumber)

    it('starts from the lowest 100 ids; MLMD from the lowest 101', () => {
      expect(MAX_STARTING_NODES).toBe(100)
      const mlmd = bulk.hops0 as GraphAnswer
      expect(mlmd.artifacts).toEqual(bulkIds().slice(0, 101))
      const actual = ours(store, bulkRequests.hops0 as m.GetLineageSubgraphRequest) as GraphAnswer
      expect(actual.artifacts).toEqual(bulkIds().slice(0, 100))
      // Everything else about the answer agrees.
      expect({ ...actual, artifacts: [], attributions: [] }).toEqual({
        ...canonical(mlmd),
        artifacts: [],
        attributions: [],
      })
      expect(actual.attributions).toEqual(
        bulkIds()
          .slice(0, 100)
          .map((a) => [a, String(ids.context.get('bulkctx'))]),
      )
    })

    it('walks one hop from 100 starting nodes; MLMD from 101', () => {
      const mlmd = canonical(bulk.downstream1 as GraphAnswer) as GraphAnswer
      const actual = ours(store, bulkRequests.downstream1 as m.GetLineageSubgraphRequest) as GraphAnswer
      expect(mlmd.artifacts).toHaveLength(101)
      expect(mlmd.events).toHaveLength(101)
      expect(actual.artifacts).toEqual(mlmd.artifacts.slice(0, 100))
      expect(actual.events).toEqual(mlmd.events.filter(([a]) => actual.artifacts.includes(a)))
      expect(actual.executions).toEqual(mlmd.executions)
      expect(actual.executions).toEqual([String(ids.execution.get('bulk_e'))])
    })

    it('agrees once the walk reaches the remaining starting nodes (two hops)', () => {
      const actual = ours(store, bulkRequests.hops2 as m.GetLineageSubgraphRequest) as GraphAnswer
      expect(actual).toEqual(canonical(bulk.hops2 as GraphAnswer))
      expect(actual.artifacts).toHaveLength(BULK + 1)
    })
  })
})

// --- our own semantics, without MLMD -------------------------------------------------------------------

describe('GetLineageSubgraph: hops and directions on a chain', () => {
  let dir: string
  let store: OwnedMetadataStore
  let ids: Ids
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-lineage-'))
    const written = writeGraphFile(dir)
    ids = written.ids
    store = createMetadataStore({ filename: written.filename })
  })
  afterAll(() => {
    store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const names = (answer: m.LineageGraph, kind: 'artifacts' | 'executions'): string[] => {
    const byId = new Map(
      [...ids[kind === 'artifacts' ? 'artifact' : 'execution'].entries()].map(([n, id]) => [id, n]),
    )
    return (answer[kind] ?? []).map((node) => byId.get(node.id as bigint) as string).sort()
  }
  const walk = (filter: string, hops: bigint | undefined, direction?: number): m.LineageGraph =>
    store.getLineageSubgraph({
      lineage_subgraph_query_options: options({ from: 'artifacts', filter }, hops, direction),
    }).lineage_subgraph ?? {}

  it.each([
    [0n, ['c_a4'], []],
    [1n, ['c_a4'], ['c_e3', 'c_e4']],
    [2n, ['c_a3', 'c_a4', 'c_a5'], ['c_e3', 'c_e4']],
    [3n, ['c_a3', 'c_a4', 'c_a5'], ['c_e2', 'c_e3', 'c_e4', 'c_e5']],
  ] as const)('counts a hop as one event: %s hops from the middle', (hops, artifacts, executions) => {
    const graph = walk("name = 'c_a4'", hops)
    expect(names(graph, 'artifacts')).toEqual(artifacts)
    expect(names(graph, 'executions')).toEqual(executions)
  })

  it('follows output events upstream and input events downstream', () => {
    const up = walk("name = 'c_a4'", 2n, UPSTREAM)
    expect(names(up, 'artifacts')).toEqual(['c_a3', 'c_a4'])
    expect(names(up, 'executions')).toEqual(['c_e3'])
    const down = walk("name = 'c_a4'", 2n, DOWNSTREAM)
    expect(names(down, 'artifacts')).toEqual(['c_a4', 'c_a5'])
    expect(names(down, 'executions')).toEqual(['c_e4'])
  })

  it('caps the walk at 100 hops (unset, 100 and 1000 alike)', () => {
    expect(MAX_SUBGRAPH_HOPS).toBe(100n)
    const unset = walk("name = 'x_a0'", undefined)
    expect(unset.executions).toHaveLength(50)
    expect(unset.artifacts).toHaveLength(51)
    expect(walk("name = 'x_a0'", 1000n)).toEqual(unset)
    expect(walk("name = 'x_a0'", 100n)).toEqual(unset)
    expect(walk("name = 'x_a0'", 99n).artifacts).toHaveLength(50)
  })

  it('crosses UNKNOWN events only when walking both ways', () => {
    expect(names(walk("name = 'm_u'", 1n), 'executions')).toEqual(['m_e', 'm_e2'])
    expect(names(walk("name = 'm_u'", 1n, UPSTREAM), 'executions')).toEqual([])
    expect(names(walk("name = 'm_u'", 1n, DOWNSTREAM), 'executions')).toEqual(['m_e2'])
  })
})

// --- the walk in one statement against the walk hop by hop --------------------------------------

// Ending filters that match no node change nothing in a walk's answer, but send the request down
// the hop-by-hop walk, which evaluates ending filters hop by hop.
const NO_ENDING: Partial<m.LineageSubgraphQueryOptions> = {
  ending_artifacts: { filter_query: 'id < 0' },
  ending_executions: { filter_query: 'id < 0', include_ending_nodes: true },
}

function hopByHop(request: m.GetLineageSubgraphRequest): m.GetLineageSubgraphRequest {
  return {
    ...request,
    lineage_subgraph_query_options: { ...request.lineage_subgraph_query_options, ...NO_ENDING },
  }
}

// The whole answer, in its order, or the error's code and message.
function exactly(store: OwnedMetadataStore, request: m.GetLineageSubgraphRequest): unknown {
  try {
    return store.getLineageSubgraph(request)
  } catch (error) {
    if (!(error instanceof MlmdError)) throw error
    return { code: error.code, message: error.rawMessage }
  }
}

// A small deterministic generator (Park–Miller), so a failing graph can be rebuilt.
function generator(seed: number): (below: number) => number {
  let state = seed
  return (below) => {
    state = (state * 48271) % 2147483647
    return state % below
  }
}

describe('GetLineageSubgraph: the walk in one statement answers as the walk hop by hop, in its order', () => {
  let dir: string
  let store: OwnedMetadataStore
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-lineage-walks-'))
    store = createMetadataStore({ filename: writeGraphFile(dir).filename })
  })
  afterAll(() => {
    store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('on every request of the matrix and the read-mask cases', () => {
    const cases = [...matrixCases(), ...readMaskCases()]
    for (const c of cases) {
      expect(exactly(store, c.request), `${c.group} ${c.label}`).toEqual(exactly(store, hopByHop(c.request)))
    }
    expect(cases.length).toBeGreaterThan(100)
  })

  it.each([11, 12, 13, 14, 15, 16])('on random graphs with cycles and parallel events (seed %i)', (seed) => {
    const next = generator(seed)
    const filename = path.join(dir, `random-${seed}.sqlite`)
    const random = createMetadataStore({ filename })
    try {
      const { type_id: artifactType } = random.putArtifactType({ artifact_type: { name: 'A' } })
      const { type_id: executionType } = random.putExecutionType({ execution_type: { name: 'E' } })
      const { type_id: contextType } = random.putContextType({ context_type: { name: 'C' } })
      const artifactCount = 10 + next(30)
      const executionCount = 5 + next(20)
      const { artifact_ids: artifacts } = random.putArtifacts({
        artifacts: Array.from({ length: artifactCount }, () => ({ type_id: artifactType })),
      })
      const { execution_ids: executions } = random.putExecutions({
        executions: Array.from({ length: executionCount }, () => ({ type_id: executionType })),
      })
      const { context_ids: contexts } = random.putContexts({
        contexts: [0, 1, 2].map((i) => ({ type_id: contextType, name: `c${i}` })),
      })
      const pick = <T>(list: readonly T[]): T => list[next(list.length)] as T
      const events = new Map<string, m.Event>()
      for (let i = 0, n = artifactCount * 2 + next(artifactCount * 2); i < n; i++) {
        const event = {
          artifact_id: pick(artifacts),
          execution_id: pick(executions),
          type: (1 + next(7)) as m.Event['type'],
          ...(next(3) === 0 ? { path: { steps: [{ key: `k${i}` }, { index: BigInt(i) }] } } : {}),
        }
        events.set(`${event.artifact_id}/${event.execution_id}/${event.type}`, event)
      }
      random.putEvents({ events: [...events.values()] })
      // UNKNOWN events, which only MLMD's own writers store, and which only a walk both ways follows.
      const db = new Database(filename)
      db.prepare('UPDATE OR IGNORE `Event` SET type = 0 WHERE id % 7 = 3').run()
      db.close()
      random.putAttributionsAndAssociations({
        attributions: artifacts
          .filter(() => next(3) === 0)
          .map((a) => ({ artifact_id: a, context_id: pick(contexts) })),
        associations: executions
          .filter(() => next(2) === 0)
          .map((e) => ({ execution_id: e, context_id: pick(contexts) })),
      })
      for (let i = 0; i < 60; i++) {
        const fromArtifacts = next(2) === 0
        const ids = Array.from({ length: 1 + next(3) }, () => pick(fromArtifacts ? artifacts : executions))
        const request: m.GetLineageSubgraphRequest = {
          lineage_subgraph_query_options: {
            [fromArtifacts ? 'starting_artifacts' : 'starting_executions']: {
              filter_query: `id IN (${ids.join(', ')})`,
            },
            ...(next(4) === 0 ? {} : { max_num_hops: BigInt(next(12)) }),
            ...(next(5) === 0 ? {} : { direction: next(4) as m.LineageSubgraphQueryOptions_Direction }),
          },
        }
        const answer = exactly(random, request)
        expect(
          answer,
          JSON.stringify(request, (_, v) => (typeof v === 'bigint' ? `${v}` : v)),
        ).toEqual(exactly(random, hopByHop(request)))
      }
    } finally {
      random.close()
    }
  })
})

describe('GetLineageSubgraph: ids-only nodes for the `<nodes>.id` mask paths', () => {
  it('answers the nodes of those paths with their ids only, and the rest as asked', () => {
    const store = createMetadataStore({ filename: ':memory:' })
    try {
      const { type_id: artifactType } = store.putArtifactType({ artifact_type: { name: 'A' } })
      const { type_id: executionType } = store.putExecutionType({ execution_type: { name: 'E' } })
      const { type_id: contextType } = store.putContextType({ context_type: { name: 'C' } })
      store.putExecution({
        execution: { type_id: executionType, name: 'e' },
        artifact_event_pairs: [
          { artifact: { type_id: artifactType, uri: 'in' }, event: { type: INPUT } },
          { artifact: { type_id: artifactType, uri: 'out' }, event: { type: OUTPUT } },
        ],
        contexts: [{ type_id: contextType, name: 'run' }],
      })
      const walk = (paths: string[]) =>
        store.getLineageSubgraph({
          lineage_subgraph_query_options: { starting_artifacts: { filter_query: "uri = 'in'" } },
          read_mask: { paths },
        }).lineage_subgraph ?? {}
      const whole = walk(['artifacts', 'executions', 'contexts', 'events', 'attributions', 'associations'])
      const idsOnly = walk([
        'artifacts.id',
        'executions.id',
        'contexts.id',
        'events',
        'attributions',
        'associations',
      ])
      const bare = (node: { id?: bigint | null }) => ({ id: node.id, properties: {}, custom_properties: {} })
      expect(whole.artifacts?.map((a) => a.uri)).toEqual(['in', 'out'])
      expect(idsOnly.artifacts).toEqual(whole.artifacts?.map(bare))
      expect(idsOnly.executions).toEqual(whole.executions?.map(bare))
      expect(idsOnly.contexts).toEqual(whole.contexts?.map(bare))
      expect(idsOnly.contexts).toHaveLength(1)
      expect({ ...idsOnly, artifacts: [], executions: [], contexts: [] }).toEqual({
        ...whole,
        artifacts: [],
        executions: [],
        contexts: [],
      })
      expect(walk(['artifacts', 'artifacts.id']).artifacts).toEqual(whole.artifacts)
      expect(walk(['events']).artifacts).toEqual([])
    } finally {
      store.close()
    }
  })
})

describe('GetLineageGraph (MLMD 1.14 semantics; MLMD 1.16 answers UNIMPLEMENTED)', () => {
  let dir: string
  let store: OwnedMetadataStore
  let ids: Ids
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-lineage-'))
    const written = writeGraphFile(dir)
    ids = written.ids
    store = createMetadataStore({ filename: written.filename })
  })
  afterAll(() => {
    store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const nameOf = (kind: 'artifact' | 'execution', id: bigint | undefined): string =>
    [...ids[kind].entries()].find(([, v]) => v === id)?.[0] ?? `?${id}`
  const chain = (prefix: string, from: number, to: number): string[] =>
    Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`)
  const graph = (o: m.LineageGraphQueryOptions) => {
    const subgraph = store.getLineageGraph({ options: o }).subgraph ?? {}
    return {
      subgraph,
      artifacts: (subgraph.artifacts ?? []).map((a) => nameOf('artifact', a.id)),
      executions: (subgraph.executions ?? []).map((e) => nameOf('execution', e.id)),
      events: (subgraph.events ?? []).map(
        (e) => `${nameOf('artifact', e.artifact_id)}-${nameOf('execution', e.execution_id)}`,
      ),
    }
  }
  const codeOf = (body: () => unknown): Code | 'ok' => {
    try {
      body()
      return 'ok'
    } catch (error) {
      if (error instanceof MlmdError) return error.code
      throw error
    }
  }

  it('walks 20 hops by default, and caps larger limits at 20', () => {
    expect(MAX_GRAPH_HOPS).toBe(20n)
    const query = { artifacts_options: { filter_query: "name = 'x_a0'" }, max_node_size: 0n }
    const unset = graph(query)
    // 20 hops from x_a0: x_e0 … x_e9 (odd hops) and x_a0 … x_a10 (even hops).
    expect(unset.artifacts.sort()).toEqual(chain('x_a', 0, 10).sort())
    expect(unset.executions.sort()).toEqual(chain('x_e', 0, 9).sort())
    expect(unset.events).toHaveLength(20)
    expect(graph({ ...query, stop_conditions: { max_num_hops: 25n } }).artifacts.sort()).toEqual(
      unset.artifacts.sort(),
    )
    expect(graph({ ...query, stop_conditions: { max_num_hops: 20n } }).executions.sort()).toEqual(
      unset.executions.sort(),
    )
    const three = graph({ ...query, stop_conditions: { max_num_hops: 3n } })
    expect(three.artifacts).toEqual(['x_a0', 'x_a1'])
    expect(three.executions).toEqual(['x_e0', 'x_e1'])
    expect(three.events.sort()).toEqual(['x_a0-x_e0', 'x_a1-x_e0', 'x_a1-x_e1'])
    const zero = graph({ ...query, stop_conditions: { max_num_hops: 0n } })
    expect(zero.artifacts).toEqual(['x_a0'])
    expect(zero.executions).toEqual([])
    expect(zero.events).toEqual([])
  })

  it('walks both ways from the query nodes', () => {
    const both = graph({
      artifacts_options: { filter_query: "name = 'c_a4'" },
      stop_conditions: { max_num_hops: 2n },
    })
    expect(both.artifacts.sort()).toEqual(['c_a3', 'c_a4', 'c_a5'])
    expect(both.executions.sort()).toEqual(['c_e3', 'c_e4'])
    // Cycles and self-loops end: nodes are visited once.
    const cycle = graph({ artifacts_options: { filter_query: "name = 'y_a1'" } })
    expect(cycle.artifacts.sort()).toEqual(['y_a1', 'y_a2'])
    expect(cycle.executions.sort()).toEqual(['y_e1', 'y_e2'])
    expect(cycle.events).toHaveLength(4)
    const loop = graph({ artifacts_options: { filter_query: "name = 's_a'" } })
    expect(loop.artifacts.sort()).toEqual(['s_a', 's_b'])
    expect(loop.executions).toEqual(['s_e'])
    expect(loop.events.sort()).toEqual(['s_a-s_e', 's_a-s_e', 's_b-s_e'])
  })

  it('stops at max_node_size nodes (default 20), keeping the lowest ids', () => {
    // Default 20: x_a0 plus 19 more, one per hop: x_e0 … x_e9 and x_a1 … x_a9.
    const capped = graph({ artifacts_options: { filter_query: "name = 'x_a0'" } })
    expect(capped.artifacts.length + capped.executions.length).toBe(20)
    expect(capped.artifacts.sort()).toEqual(chain('x_a', 0, 9).sort())
    expect(capped.executions.sort()).toEqual(chain('x_e', 0, 9).sort())
    // A fan-out past the quota keeps the lowest ids, and only their events.
    const fan = graph({ artifacts_options: { filter_query: "name = 'f_in'" }, max_node_size: 3n })
    expect(fan.artifacts).toEqual(['f_in', 'f_a1'])
    expect(fan.executions).toEqual(['f_src'])
    expect(fan.events.sort()).toEqual(['f_a1-f_src', 'f_in-f_src'])
    // Negative or zero: no limit.
    const unlimited = graph({ artifacts_options: { filter_query: "name = 'f_in'" }, max_node_size: -1n })
    expect(unlimited.artifacts).toHaveLength(10)
    expect(unlimited.executions).toHaveLength(6)
  })

  it('takes one page of artifacts as the query nodes, truncated to max_node_size', () => {
    // artifacts_options is a listing: a page of 20 by default.
    const page = graph({
      artifacts_options: { filter_query: "type = 'Bulk'" },
      stop_conditions: { max_num_hops: 0n },
      max_node_size: 0n,
    })
    expect(page.artifacts).toEqual(
      chain('bulk_', 0, 19).map((n) => n.replace(/\d+$/, (d) => d.padStart(3, '0'))),
    )
    const ordered = graph({
      artifacts_options: {
        filter_query: "type = 'Bulk'",
        max_result_size: 5,
        order_by_field: { field: 3, is_asc: false },
      },
      stop_conditions: { max_num_hops: 0n },
    })
    expect(ordered.artifacts).toEqual(['bulk_104', 'bulk_103', 'bulk_102', 'bulk_101', 'bulk_100'])
    const truncated = graph({
      artifacts_options: { filter_query: "type = 'Bulk'", max_result_size: 50 },
      max_node_size: 10n,
    })
    expect(truncated.artifacts).toHaveLength(10)
    expect(truncated.executions).toEqual([])
    // With room to grow, the page's nodes expand: bulk_e, then the rest of its inputs and its output.
    const grown = graph({ artifacts_options: { filter_query: "type = 'Bulk'" }, max_node_size: 0n })
    expect(grown.executions).toEqual(['bulk_e'])
    expect(grown.artifacts).toHaveLength(BULK + 1)
  })

  it('enters only the nodes the boundary filters accept', () => {
    const diamond = { artifacts_options: { filter_query: "name = 'd_a'" }, max_node_size: 0n }
    const all = graph(diamond)
    expect(all.executions.sort()).toEqual(['d_e1', 'd_e2', 'd_e3'])
    const noE2 = graph({ ...diamond, stop_conditions: { boundary_executions: "name != 'd_e2'" } })
    expect(noE2.executions.sort()).toEqual(['d_e1', 'd_e3'])
    expect(noE2.artifacts.sort()).toEqual(['d_a', 'd_b', 'd_c', 'd_d'])
    expect(noE2.events.some((e) => e.endsWith('-d_e2'))).toBe(false)
    const noC = graph({ ...diamond, stop_conditions: { boundary_artifacts: "name != 'd_c'" } })
    expect(noC.artifacts.sort()).toEqual(['d_a', 'd_b', 'd_d'])
    expect(noC.events.some((e) => e.startsWith('d_c-'))).toBe(false)
    // A boundary on a neighbour: only executions of run1.
    const chainRun1 = graph({
      artifacts_options: { filter_query: "name = 'c_a0'" },
      max_node_size: 0n,
      stop_conditions: { boundary_executions: "contexts_r.name = 'run1'" },
    })
    expect(chainRun1.executions.sort()).toEqual(['c_e0', 'c_e1', 'c_e2', 'c_e3'])
    expect(chainRun1.artifacts.sort()).toEqual(chain('c_a', 0, 4))
    // An empty boundary filter means none.
    expect(graph({ ...diamond, stop_conditions: { boundary_artifacts: '' } }).artifacts.sort()).toEqual(
      all.artifacts.sort(),
    )
  })

  it('answers full nodes, events, user types and all context types; no contexts or links', () => {
    const { subgraph } = graph({ artifacts_options: { filter_query: "name = 'm_a'" } })
    const artifactIds = (subgraph.artifacts ?? []).map((a) => a.id as bigint)
    expect(subgraph.artifacts?.length).toBeGreaterThan(0)
    for (const artifact of subgraph.artifacts ?? []) {
      expect(artifact).toEqual(
        store.getArtifactsByID({ artifact_ids: [artifact.id as bigint] }).artifacts?.[0],
      )
    }
    expect(artifactIds).toContain(ids.artifact.get('m_a'))
    const eventPaths = (subgraph.events ?? []).filter((e) => (e.path?.steps ?? []).length > 0)
    expect(eventPaths.length).toBeGreaterThan(0)
    expect((subgraph.artifact_types ?? []).map((t) => t.name).sort()).toEqual(['Bulk', 'Data'])
    expect((subgraph.execution_types ?? []).map((t) => t.name)).toEqual(['Step'])
    expect((subgraph.context_types ?? []).map((t) => t.name).sort()).toEqual(['Pipeline', 'Run'])
    expect(subgraph.contexts ?? []).toEqual([])
    expect(subgraph.attributions ?? []).toEqual([])
    expect(subgraph.associations ?? []).toEqual([])
    expect(subgraph.parent_contexts ?? []).toEqual([])
  })

  it.each([
    ['nothing matches', { artifacts_options: { filter_query: "name = 'nope'" } }, Code.NotFound],
    ['no artifacts_options', {}, Code.InvalidArgument],
    [
      'no artifacts_options, other options set',
      { max_node_size: 5n, stop_conditions: { max_num_hops: 2n } },
      Code.InvalidArgument,
    ],
    [
      'negative hops',
      { artifacts_options: {}, stop_conditions: { max_num_hops: -1n } },
      Code.InvalidArgument,
    ],
    [
      'negative hops before nothing matches',
      { artifacts_options: { filter_query: "name = 'nope'" }, stop_conditions: { max_num_hops: -3n } },
      Code.InvalidArgument,
    ],
    ['a bad query filter', { artifacts_options: { filter_query: BAD } }, Code.InvalidArgument],
    ['a bad page size', { artifacts_options: { max_result_size: 0 } }, Code.InvalidArgument],
    [
      'a bad boundary filter with candidates',
      { artifacts_options: { filter_query: "name = 'c_a0'" }, stop_conditions: { boundary_executions: BAD } },
      Code.InvalidArgument,
    ],
    [
      'a bad boundary filter without candidates',
      { artifacts_options: { filter_query: "name = 'i_a'" }, stop_conditions: { boundary_executions: BAD } },
      'ok',
    ],
    ['every artifact (a page of 20)', { artifacts_options: {} }, 'ok'],
  ] as const)('%s', (_label, o, expected) => {
    expect(codeOf(() => store.getLineageGraph({ options: o as m.LineageGraphQueryOptions }))).toBe(expected)
  })
})
