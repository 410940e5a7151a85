/**
 * Reads a store file directly (read-only, untimed) for what mlmd_bench's SetUp lists through the
 * API: the existing types and nodes that the next workload picks from. Also fingerprints a file
 * so that the run can check every target holds the same rows after each workload.
 */
import Database from 'better-sqlite3'

export type Kind = 'artifact' | 'execution' | 'context'
export const KINDS: readonly Kind[] = ['artifact', 'execution', 'context']

const TYPE_KIND: Record<Kind, number> = { execution: 0, artifact: 1, context: 2 }

export interface Value {
  int_value?: number
  double_value?: number
  string_value?: string
}

export interface TypeInfo {
  id: number
  name: string
  /** Property name → PropertyType number. */
  properties: Record<string, number>
}

export interface NodeInfo {
  id: number
  type_id: number
  type: string
  name: string
  uri?: string
  state?: number
  last_known_state?: number
  properties: Record<string, Value>
  custom_properties: Record<string, Value>
}

export interface DbState {
  types: Record<Kind, TypeInfo[]>
  nodes: Record<Kind, NodeInfo[]>
  /** Existing events as `artifact_id:execution_id:type`. */
  events: Set<string>
  /** Existing attributions (`context:artifact`) and associations (`context:execution`). */
  attributions: Set<string>
  associations: Set<string>
}

function open(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true })
}

type Row = Record<string, unknown>

/**
 * The statements whose rows make a {@link DbState}: plain SQL with no parameters that reads the
 * same on SQLite, PostgreSQL (unquoted names fold to MLMD's lowercase tables) and MySQL.
 */
export const STATE_QUERIES = {
  types: "SELECT id, name, type_kind FROM Type WHERE name NOT LIKE 'mlmd.%' ORDER BY id",
  typeProperties: 'SELECT type_id, name, data_type FROM TypeProperty ORDER BY type_id, name',
  artifact: 'SELECT id, type_id, name, uri, state FROM Artifact ORDER BY id',
  execution: 'SELECT id, type_id, name, last_known_state FROM Execution ORDER BY id',
  context: 'SELECT id, type_id, name FROM Context ORDER BY id',
  artifactProperties:
    'SELECT artifact_id AS node_id, name, is_custom_property, int_value, double_value, string_value FROM ArtifactProperty ORDER BY artifact_id, name',
  executionProperties:
    'SELECT execution_id AS node_id, name, is_custom_property, int_value, double_value, string_value FROM ExecutionProperty ORDER BY execution_id, name',
  contextProperties:
    'SELECT context_id AS node_id, name, is_custom_property, int_value, double_value, string_value FROM ContextProperty ORDER BY context_id, name',
  events: 'SELECT artifact_id, execution_id, type FROM Event',
  attributions: 'SELECT context_id, artifact_id FROM Attribution',
  associations: 'SELECT context_id, execution_id FROM Association',
} as const

export type StateRows = Record<keyof typeof STATE_QUERIES, Row[]>

const num = (v: unknown): number => Number(v)
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

function value(row: Row): Value {
  if (row.string_value !== null && row.string_value !== undefined)
    return { string_value: String(row.string_value) }
  if (row.int_value !== null && row.int_value !== undefined) return { int_value: num(row.int_value) }
  if (row.double_value !== null && row.double_value !== undefined)
    return { double_value: num(row.double_value) }
  return {}
}

/** The state held in the rows of {@link STATE_QUERIES}, read from any engine. */
export function stateOf(rows: StateRows): DbState {
  const types = { artifact: [], execution: [], context: [] } as Record<Kind, TypeInfo[]>
  const byId = new Map<number, TypeInfo>()
  for (const kind of KINDS) {
    for (const r of rows.types) {
      if (num(r.type_kind) !== TYPE_KIND[kind]) continue
      const t = { id: num(r.id), name: String(r.name), properties: {} }
      types[kind].push(t)
      byId.set(t.id, t)
    }
  }
  for (const p of rows.typeProperties) {
    const t = byId.get(num(p.type_id))
    if (t) t.properties[String(p.name)] = num(p.data_type)
  }
  const nodes = { artifact: [], execution: [], context: [] } as Record<Kind, NodeInfo[]>
  for (const kind of KINDS) {
    const index = new Map<number, NodeInfo>()
    for (const r of rows[kind]) {
      const n: NodeInfo = {
        id: num(r.id),
        type_id: num(r.type_id),
        type: byId.get(num(r.type_id))?.name ?? '',
        name: r.name === null || r.name === undefined ? '' : String(r.name),
        properties: {},
        custom_properties: {},
      }
      if (kind === 'artifact') {
        if (r.uri !== null && r.uri !== undefined) n.uri = String(r.uri)
        const state = numOrNull(r.state)
        if (state !== null) n.state = state
      }
      const lastKnown = kind === 'execution' ? numOrNull(r.last_known_state) : null
      if (lastKnown !== null) n.last_known_state = lastKnown
      nodes[kind].push(n)
      index.set(n.id, n)
    }
    for (const p of rows[`${kind}Properties`]) {
      const n = index.get(num(p.node_id))
      if (!n) continue
      ;(p.is_custom_property ? n.custom_properties : n.properties)[String(p.name)] = value(p)
    }
  }
  const pairs = (list: Row[], ...keys: string[]) =>
    new Set(list.map((r) => keys.map((k) => num(r[k])).join(':')))
  return {
    types,
    nodes,
    events: pairs(rows.events, 'artifact_id', 'execution_id', 'type'),
    attributions: pairs(rows.attributions, 'context_id', 'artifact_id'),
    associations: pairs(rows.associations, 'context_id', 'execution_id'),
  }
}

/** Everything a generator may pick from (non-simple types, nodes with their properties, edges). */
export function inspect(file: string): DbState {
  const db = open(file)
  try {
    const rows = Object.fromEntries(
      Object.entries(STATE_QUERIES).map(([key, sql]) => [key, db.prepare(sql).all() as Row[]]),
    ) as StateRows
    return stateOf(rows)
  } finally {
    db.close()
  }
}

export const FINGERPRINT_TABLES = [
  'Type',
  'TypeProperty',
  'Artifact',
  'ArtifactProperty',
  'Execution',
  'ExecutionProperty',
  'Context',
  'ContextProperty',
  'Event',
  'EventPath',
  'Attribution',
  'Association',
] as const

/** Row counts per table and the largest node ids: equal files give equal fingerprints. */
export function fingerprint(file: string): string {
  const db = open(file)
  try {
    const parts = FINGERPRINT_TABLES.map(
      (t) => `${t}=${(db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n}`,
    )
    for (const t of ['Artifact', 'Execution', 'Context'])
      parts.push(`max(${t})=${(db.prepare(`SELECT max(id) AS m FROM ${t}`).get() as { m: number | null }).m}`)
    return parts.join(' ')
  } finally {
    db.close()
  }
}

/** The journal mode a file is in (`wal` or `delete`), read from its header. */
export function journalMode(file: string): string {
  const db = open(file)
  try {
    return String(db.pragma('journal_mode', { simple: true }))
  } finally {
    db.close()
  }
}

export interface ScaleSample {
  artifactIds: number[]
  contextIds: number[]
  contextNames: string[]
  maxArtifactId: number
  nodes: number
}

/** Random-access facts about a scale file: id ranges and the run contexts. */
export function scaleFacts(file: string): { maxArtifact: number; maxContext: number; nodes: number } {
  const db = open(file)
  try {
    const m = (sql: string) => Number((db.prepare(sql).get() as { v: number | null }).v ?? 0)
    return {
      maxArtifact: m('SELECT max(id) AS v FROM Artifact'),
      maxContext: m('SELECT max(id) AS v FROM Context'),
      nodes:
        m('SELECT count(*) AS v FROM Artifact') +
        m('SELECT count(*) AS v FROM Execution') +
        m('SELECT count(*) AS v FROM Context'),
    }
  } finally {
    db.close()
  }
}

/** Names of these contexts (for filter queries that name a run). */
/** Ids of the contexts of a context type, ascending. */
export function contextIdsOfType(file: string, typeName: string): number[] {
  const db = open(file)
  try {
    const rows = db
      .prepare(
        'SELECT c.id FROM Context c JOIN Type t ON t.id = c.type_id WHERE t.name = ? AND t.type_kind = 2 ORDER BY c.id',
      )
      .all(typeName) as { id: number | bigint }[]
    return rows.map((r) => Number(r.id))
  } finally {
    db.close()
  }
}

export function contextNames(file: string, ids: readonly number[]): string[] {
  const db = open(file)
  try {
    const stmt = db.prepare('SELECT name FROM Context WHERE id = ?')
    return ids.map((id) => (stmt.get(id) as { name: string }).name)
  } finally {
    db.close()
  }
}
