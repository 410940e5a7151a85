/**
 * Reads a store file directly (read-only, untimed) for what mlmd_bench's SetUp lists through the
 * API: the existing types and nodes that the next workload picks from. Also fingerprints a file
 * so that the run can check every target holds the same rows after each workload.
 */
import Database from 'better-sqlite3'

export type Kind = 'artifact' | 'execution' | 'context'
export const KINDS: readonly Kind[] = ['artifact', 'execution', 'context']

const TYPE_KIND: Record<Kind, number> = { execution: 0, artifact: 1, context: 2 }
const TABLE: Record<Kind, string> = { artifact: 'Artifact', execution: 'Execution', context: 'Context' }

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

function value(row: { int_value: number | null; double_value: number | null; string_value: string | null }) {
  if (row.string_value !== null) return { string_value: row.string_value }
  if (row.int_value !== null) return { int_value: row.int_value }
  if (row.double_value !== null) return { double_value: row.double_value }
  return {}
}

/** Everything a generator may pick from (non-simple types, nodes with their properties, edges). */
export function inspect(file: string): DbState {
  const db = open(file)
  try {
    const types = { artifact: [], execution: [], context: [] } as Record<Kind, TypeInfo[]>
    const byId = new Map<number, TypeInfo>()
    for (const kind of KINDS) {
      const rows = db
        .prepare("SELECT id, name FROM Type WHERE type_kind = ? AND name NOT LIKE 'mlmd.%' ORDER BY id")
        .all(TYPE_KIND[kind]) as { id: number; name: string }[]
      for (const r of rows) {
        const t = { id: r.id, name: r.name, properties: {} }
        types[kind].push(t)
        byId.set(r.id, t)
      }
    }
    for (const p of db
      .prepare('SELECT type_id, name, data_type FROM TypeProperty ORDER BY type_id, name')
      .all() as {
      type_id: number
      name: string
      data_type: number
    }[]) {
      const t = byId.get(p.type_id)
      if (t) t.properties[p.name] = p.data_type
    }
    const nodes = { artifact: [], execution: [], context: [] } as Record<Kind, NodeInfo[]>
    for (const kind of KINDS) {
      const table = TABLE[kind]
      const extra = kind === 'artifact' ? ', uri, state' : kind === 'execution' ? ', last_known_state' : ''
      const rows = db.prepare(`SELECT id, type_id, name${extra} FROM ${table} ORDER BY id`).all() as Record<
        string,
        unknown
      >[]
      const index = new Map<number, NodeInfo>()
      for (const r of rows) {
        const n: NodeInfo = {
          id: r.id as number,
          type_id: r.type_id as number,
          type: byId.get(r.type_id as number)?.name ?? '',
          name: (r.name as string | null) ?? '',
          properties: {},
          custom_properties: {},
        }
        if (kind === 'artifact') {
          if (r.uri !== null) n.uri = r.uri as string
          if (r.state !== null) n.state = r.state as number
        }
        if (kind === 'execution' && r.last_known_state !== null)
          n.last_known_state = r.last_known_state as number
        nodes[kind].push(n)
        index.set(n.id, n)
      }
      const props = db
        .prepare(
          `SELECT ${kind}_id AS node_id, name, is_custom_property, int_value, double_value, string_value
           FROM ${table}Property ORDER BY ${kind}_id, name`,
        )
        .all() as {
        node_id: number
        name: string
        is_custom_property: number
        int_value: number | null
        double_value: number | null
        string_value: string | null
      }[]
      for (const p of props) {
        const n = index.get(p.node_id)
        if (!n) continue
        ;(p.is_custom_property ? n.custom_properties : n.properties)[p.name] = value(p)
      }
    }
    const events = new Set(
      (db.prepare('SELECT artifact_id, execution_id, type FROM Event').all() as Record<string, number>[]).map(
        (e) => `${e.artifact_id}:${e.execution_id}:${e.type}`,
      ),
    )
    const attributions = new Set(
      (db.prepare('SELECT context_id, artifact_id FROM Attribution').all() as Record<string, number>[]).map(
        (e) => `${e.context_id}:${e.artifact_id}`,
      ),
    )
    const associations = new Set(
      (db.prepare('SELECT context_id, execution_id FROM Association').all() as Record<string, number>[]).map(
        (e) => `${e.context_id}:${e.execution_id}`,
      ),
    )
    return { types, nodes, events, attributions, associations }
  } finally {
    db.close()
  }
}

const FINGERPRINT_TABLES = [
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
