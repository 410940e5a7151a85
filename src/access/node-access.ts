/**
 * Reads and writes of artifacts, executions and contexts (MLMD's node methods of
 * `MetadataAccessObject`), written once for the three kinds. Reads hydrate nodes with their
 * type name and properties in two statements, whatever the number of nodes.
 */
import type { Artifact, Context, Execution, Value } from '../proto/messages.js'
import { ARTIFACT_TABLES, CONTEXT_TABLES, EXECUTION_TABLES, type NodeTables } from '../storage/schema/v10.js'
import type { SqlValue, Tx } from '../storage/transaction-executor.js'
import { decodeValue, encodeValue } from '../storage/value-codec.js'
import { IN_LIST, idList, q, textList } from './sql.js'

/** Any of the three node messages; they share their common fields. */
export type Node = Artifact | Execution | Context

/** The columns only some node kinds have, named as their proto fields. */
export type KindColumn = 'uri' | 'state' | 'last_known_state'

/** Everything the access layer needs to know about one node kind. */
export interface NodeKind {
  readonly name: 'artifact' | 'execution' | 'context'
  readonly tables: NodeTables
  readonly kindColumns: readonly KindColumn[]
}

export const ARTIFACT: NodeKind = { name: 'artifact', tables: ARTIFACT_TABLES, kindColumns: ['uri', 'state'] }
export const EXECUTION: NodeKind = {
  name: 'execution',
  tables: EXECUTION_TABLES,
  kindColumns: ['last_known_state'],
}
export const CONTEXT: NodeKind = { name: 'context', tables: CONTEXT_TABLES, kindColumns: [] }

/** A node row's stored columns (everything but id, type and times). */
export interface NodeColumns {
  type_id: bigint
  name: string | null
  external_id: string | null
  uri?: string | null
  state?: bigint | null
  last_known_state?: bigint | null
}

// The statements of each kind, built once: the statement cache is keyed by SQL text, and
// reusing one string object spares hashing and comparing a freshly built text on every call.
interface KindStatements {
  readonly selectByIds: string
  readonly selectProperties: string
  readonly insert: string
  readonly update: string
  readonly upsertProperty: string
  readonly deleteProperty: string
  readonly selectExisting: string
}

const statements = new WeakMap<NodeKind, KindStatements>()

function statementsOf(kind: NodeKind): KindStatements {
  let built = statements.get(kind)
  if (built === undefined) {
    built = buildStatements(kind)
    statements.set(kind, built)
  }
  return built
}

function buildStatements(kind: NodeKind): KindStatements {
  const extra = kind.kindColumns.map((c) => `, n.\`${c}\``).join('')
  const { node, property, propertyNodeColumn: owner } = kind.tables
  const names = columnsOf(kind)
  return {
    selectByIds: `SELECT n.id, n.type_id, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch${extra},
    t.name AS type FROM \`${node}\` AS n LEFT JOIN \`Type\` AS t ON t.id = n.type_id WHERE n.id IN ${IN_LIST} ORDER BY n.id`,
    selectProperties: `SELECT \`${owner}\` AS node_id, name, is_custom_property, int_value, double_value, string_value,
        proto_value, bool_value, byte_value FROM \`${property}\` WHERE \`${owner}\` IN ${IN_LIST}`,
    insert: `INSERT INTO \`${node}\`(${names.map((c) => `\`${c}\``).join(', ')},
    \`create_time_since_epoch\`, \`last_update_time_since_epoch\`) VALUES(${names.map(() => '?').join(', ')}, ?, ?)`,
    update: `UPDATE \`${node}\` SET ${names.map((c) => `\`${c}\` = ?`).join(', ')},
    \`last_update_time_since_epoch\` = ? WHERE id = ?`,
    upsertProperty: `INSERT INTO \`${property}\`(\`${owner}\`, \`name\`, \`is_custom_property\`, \`int_value\`, \`double_value\`,
        \`string_value\`, \`byte_value\`, \`proto_value\`, \`bool_value\`) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(\`${owner}\`, \`name\`, \`is_custom_property\`) DO UPDATE SET
        \`int_value\` = excluded.\`int_value\`, \`double_value\` = excluded.\`double_value\`,
        \`string_value\` = excluded.\`string_value\`, \`byte_value\` = excluded.\`byte_value\`,
        \`proto_value\` = excluded.\`proto_value\`, \`bool_value\` = excluded.\`bool_value\``,
    deleteProperty: `DELETE FROM \`${property}\` WHERE \`${owner}\` = ? AND name = ? AND is_custom_property = ?`,
    selectExisting: `SELECT id FROM \`${node}\` WHERE id IN ${IN_LIST}`,
  }
}

interface PropertyRow extends Record<string, SqlValue> {
  node_id: bigint
  name: string
  is_custom_property: bigint
}

/**
 * Nodes with these ids, hydrated, by ascending id. Unknown ids are skipped and duplicates
 * collapse.
 */
export function findNodesByIds<N extends Node>(tx: Tx, kind: NodeKind, ids: readonly bigint[]): N[] {
  if (ids.length === 0) return []
  const sql = statementsOf(kind)
  const rows = tx.all<Record<string, SqlValue>>(q(sql.selectByIds, idList(ids)))
  if (rows.length === 0) return []
  const nodes = new Map<bigint, Node>()
  for (const row of rows) {
    const node: Record<string, unknown> = { id: row.id, type_id: row.type_id }
    if (row.type !== null) node.type = row.type
    if (row.name !== null) node.name = row.name
    if (row.external_id !== null) node.external_id = row.external_id
    for (const column of kind.kindColumns) {
      const value = row[column]
      if (value === null || value === undefined) continue
      node[column] = column === 'uri' ? value : Number(value)
    }
    node.create_time_since_epoch = row.create_time_since_epoch
    node.last_update_time_since_epoch = row.last_update_time_since_epoch
    node.properties = {}
    node.custom_properties = {}
    nodes.set(row.id as bigint, node as Node)
  }
  const properties = tx.all<PropertyRow>(q(sql.selectProperties, idList(nodes.keys())))
  for (const p of properties) {
    const node = nodes.get(p.node_id)
    if (node === undefined) continue
    const map = p.is_custom_property ? node.custom_properties : node.properties
    ;(map as Record<string, Value>)[p.name] = decodeValue(p)
  }
  return Array.from(nodes.values()) as N[]
}

/** Ids of every node of this kind, ascending. */
export function findAllNodeIds(tx: Tx, kind: NodeKind): bigint[] {
  return tx.all<{ id: bigint }>(q(`SELECT id FROM \`${kind.tables.node}\` ORDER BY id`)).map((r) => r.id)
}

/** Ids of the nodes of one type, ascending. */
export function findNodeIdsByTypeId(tx: Tx, kind: NodeKind, typeId: bigint): bigint[] {
  return tx
    .all<{ id: bigint }>(q(`SELECT id FROM \`${kind.tables.node}\` WHERE type_id = ? ORDER BY id`, typeId))
    .map((r) => r.id)
}

/** The id of the node with this type and name. */
export function findNodeIdByTypeIdAndName(
  tx: Tx,
  kind: NodeKind,
  typeId: bigint,
  name: string,
): bigint | undefined {
  return tx.get<{ id: bigint }>(
    q(`SELECT id FROM \`${kind.tables.node}\` WHERE type_id = ? AND name = ?`, typeId, name),
  )?.id
}

/** Ids of the nodes with these external ids, ascending. */
export function findNodeIdsByExternalIds(tx: Tx, kind: NodeKind, externalIds: readonly string[]): bigint[] {
  return tx
    .all<{ id: bigint }>(
      q(
        `SELECT id FROM \`${kind.tables.node}\` WHERE external_id IN ${IN_LIST} ORDER BY id`,
        textList(externalIds),
      ),
    )
    .map((r) => r.id)
}

/** Ids of the artifacts with one of these uris, ascending. */
export function findArtifactIdsByUris(tx: Tx, uris: readonly string[]): bigint[] {
  return tx
    .all<{ id: bigint }>(q(`SELECT id FROM \`Artifact\` WHERE uri IN ${IN_LIST} ORDER BY id`, textList(uris)))
    .map((r) => r.id)
}

/** Which of these ids exist. */
export function findExistingNodeIds(tx: Tx, kind: NodeKind, ids: Iterable<bigint>): Set<bigint> {
  const list = idList(ids)
  return new Set(tx.all<{ id: bigint }>(q(statementsOf(kind).selectExisting, list)).map((r) => r.id))
}

function columnsOf(kind: NodeKind): string[] {
  return ['type_id', 'name', 'external_id', ...kind.kindColumns]
}

function valuesOf(kind: NodeKind, columns: NodeColumns): SqlValue[] {
  return columnsOf(kind).map((c) => (columns as unknown as Record<string, SqlValue | undefined>)[c] ?? null)
}

/** Inserts a node row; both timestamps are `now`. Returns the new id. */
export function insertNode(tx: Tx, kind: NodeKind, columns: NodeColumns, now: bigint): bigint {
  return tx.run(q(statementsOf(kind).insert, ...valuesOf(kind, columns), now, now)).lastInsertRowid
}

/** Rewrites a node row's columns and its last-update time. */
export function updateNode(tx: Tx, kind: NodeKind, id: bigint, columns: NodeColumns, now: bigint): void {
  tx.run(q(statementsOf(kind).update, ...valuesOf(kind, columns), now, id))
}

/** Inserts or replaces one property value of a node. */
export function upsertProperty(
  tx: Tx,
  kind: NodeKind,
  nodeId: bigint,
  name: string,
  isCustom: boolean,
  value: Value,
): void {
  const c = encodeValue(value)
  tx.run(
    q(
      statementsOf(kind).upsertProperty,
      nodeId,
      name,
      isCustom ? 1n : 0n,
      c.int_value,
      c.double_value,
      c.string_value,
      c.byte_value,
      c.proto_value,
      c.bool_value,
    ),
  )
}

/**
 * Deletes one property value of a node. Unlike MLMD, the delete is scoped to the property's
 * own map, so removing custom property `k` leaves a declared property `k` in place.
 */
export function deleteProperty(
  tx: Tx,
  kind: NodeKind,
  nodeId: bigint,
  name: string,
  isCustom: boolean,
): void {
  tx.run(q(statementsOf(kind).deleteProperty, nodeId, name, isCustom ? 1n : 0n))
}
