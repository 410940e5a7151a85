/**
 * Statements on artifacts, executions and contexts and their property tables (MLMD's
 * QueryConfig `select_artifact_by_id`, `insert_artifact`, `update_artifact_property`, … and
 * their execution and context twins), one builder for the three kinds.
 */
import type { Dialect } from '../storage/dialect.js'
import type { NodeTables } from '../storage/schema/v10.js'
import type { Query, SqlValue } from '../storage/transaction-executor.js'
import type { PropertyColumns } from '../storage/value-codec.js'
import { MAX_ROWS_PER_STATEMENT, q, rowCountKeys, textOf, textOfKind } from './query-builder.js'

/** The columns only some node kinds have, named as their proto fields. */
export type KindColumn = 'uri' | 'state' | 'last_known_state'

/** What the builders need to know about a node kind. */
export interface NodeShape {
  readonly name: 'artifact' | 'execution' | 'context'
  readonly tables: NodeTables
  readonly kindColumns: readonly KindColumn[]
}

/** The stored columns a node write sets, in statement order. */
export function writableColumns(kind: NodeShape): string[] {
  return ['type_id', 'name', 'external_id', ...kind.kindColumns]
}

/**
 * Nodes by id with their type's name (`select_<kind>_by_id`). Binds the ids as one list.
 * Columns: id, type_id, name, external_id, create/last-update times, the kind's own columns, type.
 */
export function selectNodesByIds(d: Dialect, kind: NodeShape, ids: Iterable<bigint>): Query {
  const sql = textOfKind(d, 'node-by-ids', kind, () => {
    const extra = kind.kindColumns.map((c) => `, n.${d.id(c)}`).join('')
    return `SELECT n.id, n.type_id, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch${extra}, t.name AS type FROM ${d.id(kind.tables.node)} AS n LEFT JOIN ${d.id('Type')} AS t ON t.id = n.type_id WHERE ${d.inList('n.id')} ORDER BY n.id`
  })
  return q(sql, d.bindIds(ids))
}

/**
 * About how many bytes each of these nodes takes in a response (our own statement, for the
 * response-size cap): the bytes of its text columns and property values, plus a fixed allowance
 * per node and per property for ids, times and field tags. Rows `{ id, bytes }`, by id.
 */
export function selectNodeSizesByIds(d: Dialect, kind: NodeShape, ids: Iterable<bigint>): Query {
  const sql = textOfKind(
    d,
    'node-sizes-by-ids',
    kind,
    () =>
      `SELECT n.id, ${nodeBytes(d, kind)} AS bytes FROM ${d.id(kind.tables.node)} AS n WHERE ${d.inList('n.id')} ORDER BY n.id`,
  )
  return q(sql, d.bindIds(ids))
}

/**
 * {@link selectNodesByIds} with each node's size in a response as `bytes` (see
 * {@link selectNodeSizesByIds}), so that a read limited by size needs no statement of its own
 * to measure.
 */
export function selectSizedNodesByIds(d: Dialect, kind: NodeShape, ids: Iterable<bigint>): Query {
  const sql = textOfKind(d, 'sized-nodes-by-ids', kind, () => {
    const extra = kind.kindColumns.map((c) => `, n.${d.id(c)}`).join('')
    return `SELECT n.id, n.type_id, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch${extra}, t.name AS type, ${nodeBytes(d, kind)} AS bytes FROM ${d.id(kind.tables.node)} AS n LEFT JOIN ${d.id('Type')} AS t ON t.id = n.type_id WHERE ${d.inList('n.id')} ORDER BY n.id`
  })
  return q(sql, d.bindIds(ids))
}

// The size of node `n` in a response, as an SQL expression.
function nodeBytes(d: Dialect, kind: NodeShape): string {
  const { property, propertyNodeColumn: owner } = kind.tables
  return `${ownBytes(d, kind)} + coalesce((SELECT sum(${propertyBytes()}) FROM ${d.id(property)} AS p WHERE p.${d.id(owner)} = n.id), 0)`
}

// The size of node `n` without its properties, as an SQL expression.
function ownBytes(d: Dialect, kind: NodeShape): string {
  const own = ['n.name', 'n.external_id', ...(kind.kindColumns.includes('uri') ? [`n.${d.id('uri')}`] : [])]
    .map(octets)
    .join(' + ')
  return `${NODE_ALLOWANCE_BYTES} + ${own}`
}

// The size of property row `p` in a response, as an SQL expression.
function propertyBytes(): string {
  const values = ['p.name', 'p.string_value', 'p.proto_value', 'p.byte_value'].map(octets).join(' + ')
  return `${PROPERTY_ALLOWANCE_BYTES} + ${values}`
}

const octets = (expr: string): string => `coalesce(octet_length(${expr}), 0)`

/**
 * SQLite only: the size in a response of all the nodes with these ids (distinct) together: the
 * sum of {@link selectNodeSizesByIds} over them, as one row `{ total }`, for the message of a
 * read refused past the cap (which stops reading at the cap). Two flat sums (the nodes, then
 * their property rows) instead of a sum per node; the property rows are found from the ids
 * alone, by their key, and the ids are joined rather than tested with IN (which builds a
 * temporary index of them first).
 */
export function selectTotalNodeBytesByIds(d: Dialect, kind: NodeShape, ids: Iterable<bigint>): Query {
  const sql = textOfKind(d, 'total-node-bytes-by-ids', kind, () => {
    const { node, property, propertyNodeColumn: owner } = kind.tables
    return `SELECT coalesce((SELECT sum(${ownBytes(d, kind)}) FROM json_each(?) AS j JOIN ${d.id(node)} AS n ON n.id = j.value), 0) + coalesce((SELECT sum(${propertyBytes()}) FROM json_each(?) AS j JOIN ${d.id(property)} AS p ON p.${d.id(owner)} = j.value), 0) AS total`
  })
  const bound = d.bindIds(ids)
  return q(sql, bound, bound)
}

/**
 * SQLite only: nodes with these ids, in the order of the list (unknown ids skipped), each as
 * one JSON document holding its columns, its type's name and its property rows, so that a read
 * hands one string per node to the driver (read with `column` or `cursor`) instead of a row
 * object per node and per property (materialising rows was most of the time of larger reads).
 * See `nodeFromDocument` in node-access for the layout.
 *
 * With `sized`, each document also carries the node's size in a response (as
 * {@link selectNodeSizesByIds}), summed in the same pass over its property rows: a read capped
 * by size then needs no statement of its own to measure, and can stop reading at the cap.
 */
export function selectNodeDocumentsByIds(
  d: Dialect,
  kind: NodeShape,
  ids: Iterable<bigint>,
  sized = false,
): Query {
  const sql = textOfKind(
    d,
    sized ? 'sized-node-documents-by-ids' : 'node-documents-by-ids',
    kind,
    () =>
      `SELECT ${nodeDocument(d, kind, sized)} AS doc FROM json_each(?) AS j JOIN ${d.id(kind.tables.node)} AS n ON n.id = j.value LEFT JOIN ${d.id('Type')} AS t ON t.id = n.type_id ORDER BY j.key`,
  )
  return q(sql, d.bindIds(ids))
}

// Node `n` (its type `t`) as a JSON array: [1, id, type_id, name, external_id, create time,
// last update time, type name, properties, ...the kind's own columns], ids and times as text
// (JSON numbers would lose int64 precision in JS); `sized`, the properties are [size, properties].
// A node with a column of another storage class than our codec writes (JSON cannot hold a
// BLOB, and a TEXT id would read differently) is only [0, id] ([0, id, size] when sized), and is
// read the generic way. Each property is [name, is_custom, tag, value] (see propertyDocument)
// in the order of the property table's key (node, name, is_custom), as the generic read returns
// them.
function nodeDocument(d: Dialect, kind: NodeShape, sized: boolean): string {
  const { property, propertyNodeColumn: owner } = kind.tables
  const checks = [
    `typeof(n.type_id) = 'integer'`,
    `typeof(n.name) IN ('text', 'null')`,
    `typeof(n.external_id) IN ('text', 'null')`,
    `typeof(n.create_time_since_epoch) = 'integer'`,
    `typeof(n.last_update_time_since_epoch) = 'integer'`,
    `typeof(t.name) IN ('text', 'null')`,
    ...kind.kindColumns.map((c) => `typeof(n.${d.id(c)}) IN ('${c === 'uri' ? 'text' : 'integer'}', 'null')`),
  ]
  const kindColumns = kind.kindColumns.map((c) => `, n.${d.id(c)}`).join('')
  // The subquery's array keeps its JSON subtype into the outer json_array, which embeds it as
  // it is; wrapping it in json() parsed it again (about 1 µs per node). An aggregate without
  // GROUP BY gives its one row even for a node without properties.
  const rows = `FROM ${d.id(property)} AS p WHERE p.${d.id(owner)} = n.id`
  const listed = `json_group_array(${propertyDocument()})`
  const properties = sized
    ? `(SELECT json_array(${ownBytes(d, kind)} + coalesce(sum(${propertyBytes()}), 0), ${listed}) ${rows})`
    : `(SELECT ${listed} ${rows})`
  const odd = sized
    ? `json_array(0, CAST(n.id AS TEXT), ${nodeBytes(d, kind)})`
    : 'json_array(0, CAST(n.id AS TEXT))'
  return `iif(${checks.join(' AND ')}, json_array(1, CAST(n.id AS TEXT), CAST(n.type_id AS TEXT), n.name, n.external_id, CAST(n.create_time_since_epoch AS TEXT), CAST(n.last_update_time_since_epoch AS TEXT), t.name, ${properties}${kindColumns}), ${odd})`
}

// A property row `p` as [name, is_custom, tag, value]: the first non-null value column in
// MLMD's order (int, double, string, proto, bool), tagged i/d/s/p/b, when it holds the class our
// codec writes (an int as INTEGER, a double as REAL without the -0.0 marker, the rest as TEXT
// or INTEGER); [name, is_custom, 'e'] when all are NULL; else NULL, and the node is read the
// generic way.
function propertyDocument(): string {
  const kinds = [
    ['int_value', `typeof(p.int_value) = 'integer'`, 'i', 'CAST(p.int_value AS TEXT)'],
    ['double_value', `typeof(p.double_value) = 'real' AND p.byte_value IS NULL`, 'd', 'p.double_value'],
    ['string_value', `typeof(p.string_value) = 'text'`, 's', 'p.string_value'],
    ['proto_value', `typeof(p.proto_value) = 'text'`, 'p', 'p.proto_value'],
    ['bool_value', `typeof(p.bool_value) = 'integer'`, 'b', 'p.bool_value'],
  ] as const
  const tagged = kinds
    .map(
      ([column, ok, tag, value]) =>
        ` WHEN p.${column} IS NOT NULL THEN iif(${ok}, json_array(p.name, p.is_custom_property, '${tag}', ${value}), NULL)`,
    )
    .join('')
  return `iif(typeof(p.name) = 'text' AND typeof(p.is_custom_property) = 'integer', CASE${tagged} ELSE json_array(p.name, p.is_custom_property, 'e') END, NULL)`
}

// Generous for what a node's message holds besides its text (id, type id and name, times,
// state, tags and lengths), and a property's besides its name and value (map entry, tags, a
// number); so a response never comes out larger than the sum.
const NODE_ALLOWANCE_BYTES = 128
const PROPERTY_ALLOWANCE_BYTES = 32

/** Property rows of these nodes (`select_<kind>_property_by_<kind>_id`), owner as `node_id`. */
export function selectPropertiesByNodeIds(d: Dialect, kind: NodeShape, ids: Iterable<bigint>): Query {
  const sql = textOfKind(d, 'properties-by-ids', kind, () => {
    const { property, propertyNodeColumn: owner } = kind.tables
    return `SELECT ${d.id(owner)} AS node_id, name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value, byte_value FROM ${d.id(property)} WHERE ${d.inList(d.id(owner))}`
  })
  return q(sql, d.bindIds(ids))
}

/** The node with this type and name (`select_<kind>_by_type_id_and_name`, id only). */
export function selectNodeIdByTypeIdAndName(
  d: Dialect,
  kind: NodeShape,
  typeId: bigint,
  name: string,
): Query {
  const sql = textOfKind(
    d,
    'id-by-type-and-name',
    kind,
    () => `SELECT id FROM ${d.id(kind.tables.node)} WHERE type_id = ? AND name = ?`,
  )
  return q(sql, typeId, name)
}

/** Ids of the nodes with these external ids, ascending (`select_<kind>s_by_external_ids`). */
export function selectNodeIdsByExternalIds(
  d: Dialect,
  kind: NodeShape,
  externalIds: Iterable<string>,
): Query {
  const sql = textOfKind(
    d,
    'ids-by-external-ids',
    kind,
    () => `SELECT id FROM ${d.id(kind.tables.node)} WHERE ${d.inTextList('external_id')} ORDER BY id`,
  )
  return q(sql, d.bindTexts(externalIds))
}

/** Ids of the artifacts with one of these uris, ascending (`select_artifacts_by_uri`). */
export function selectArtifactIdsByUris(d: Dialect, uris: Iterable<string>): Query {
  const sql = textOf(
    d,
    'artifact-ids-by-uris',
    () => `SELECT id FROM ${d.id('Artifact')} WHERE ${d.inTextList('uri')} ORDER BY id`,
  )
  return q(sql, d.bindTexts(uris))
}

/** Which of these ids exist. */
export function selectExistingNodeIds(d: Dialect, kind: NodeShape, ids: Iterable<bigint>): Query {
  const sql = textOfKind(
    d,
    'existing-ids',
    kind,
    () => `SELECT id FROM ${d.id(kind.tables.node)} WHERE ${d.inList('id')}`,
  )
  return q(sql, d.bindIds(ids))
}

/**
 * Inserts a node (`insert_<kind>`): the {@link writableColumns} values, then the create and
 * last-update times.
 */
export function insertNode(d: Dialect, kind: NodeShape, values: readonly SqlValue[], now: bigint): Query {
  const sql = textOfKind(d, 'insert', kind, () =>
    d.insertReturningId(kind.tables.node, [
      ...writableColumns(kind),
      'create_time_since_epoch',
      'last_update_time_since_epoch',
    ]),
  )
  return q(sql, ...values, now, now)
}

/** Rewrites a node's {@link writableColumns} and its last-update time (`update_<kind>`). */
export function updateNode(
  d: Dialect,
  kind: NodeShape,
  id: bigint,
  values: readonly SqlValue[],
  now: bigint,
): Query {
  const sql = textOfKind(d, 'update', kind, () => {
    const set = writableColumns(kind).map((c) => `${d.id(c)} = ?`)
    return `UPDATE ${d.id(kind.tables.node)} SET ${set.join(', ')}, ${d.id('last_update_time_since_epoch')} = ? WHERE id = ?`
  })
  return q(sql, ...values, now, id)
}

const VALUE_COLUMNS = [
  'int_value',
  'double_value',
  'string_value',
  'byte_value',
  'proto_value',
  'bool_value',
] as const

/**
 * Inserts a property value or replaces the stored one of the same (node, name, map)
 * (MLMD's `insert_<kind>_property` / `update_<kind>_property` in one statement).
 */
export function upsertProperty(
  d: Dialect,
  kind: NodeShape,
  nodeId: bigint,
  name: string,
  isCustom: boolean,
  value: PropertyColumns,
): Query {
  const sql = textOfKind(d, 'upsert-property', kind, () => {
    const owner = kind.tables.propertyNodeColumn
    return d.upsert(
      kind.tables.property,
      [owner, 'name', 'is_custom_property', ...VALUE_COLUMNS],
      [owner, 'name', 'is_custom_property'],
      VALUE_COLUMNS,
    )
  })
  return q(
    sql,
    nodeId,
    name,
    isCustom ? 1n : 0n,
    value.int_value,
    value.double_value,
    value.string_value,
    value.byte_value,
    value.proto_value,
    value.bool_value,
  )
}

/** One property value to write: its node, name, map and stored columns. */
export interface PropertyWrite {
  readonly nodeId: bigint
  readonly name: string
  readonly isCustom: boolean
  readonly value: PropertyColumns
}

const UPSERT_PROPERTIES_KEYS = rowCountKeys('upsert-properties')

/**
 * As {@link upsertProperty}, for 1 to {@link MAX_ROWS_PER_STATEMENT} values in one statement (no
 * two for the same node, name and map): one statement per node write instead of one per value.
 */
export function upsertProperties(d: Dialect, kind: NodeShape, writes: readonly PropertyWrite[]): Query {
  const rows = writes.length
  if (rows < 1 || rows > MAX_ROWS_PER_STATEMENT) {
    throw new Error(`upsertProperties: ${rows} rows, not 1 to ${MAX_ROWS_PER_STATEMENT}`)
  }
  const sql = textOfKind(d, UPSERT_PROPERTIES_KEYS[rows] as string, kind, () => {
    const owner = kind.tables.propertyNodeColumn
    return d.upsert(
      kind.tables.property,
      [owner, 'name', 'is_custom_property', ...VALUE_COLUMNS],
      [owner, 'name', 'is_custom_property'],
      VALUE_COLUMNS,
      rows,
    )
  })
  const params: SqlValue[] = []
  for (const { nodeId, name, isCustom, value } of writes) {
    params.push(
      nodeId,
      name,
      isCustom ? 1n : 0n,
      value.int_value,
      value.double_value,
      value.string_value,
      value.byte_value,
      value.proto_value,
      value.bool_value,
    )
  }
  return { sql, params }
}

/**
 * Deletes one property value (`delete_<kind>_property`), scoped to its own map: unlike MLMD,
 * removing custom property `k` leaves a declared property `k` in place.
 */
export function deleteProperty(
  d: Dialect,
  kind: NodeShape,
  nodeId: bigint,
  name: string,
  isCustom: boolean,
): Query {
  const sql = textOfKind(d, 'delete-property', kind, () => {
    const owner = kind.tables.propertyNodeColumn
    return `DELETE FROM ${d.id(kind.tables.property)} WHERE ${d.id(owner)} = ? AND name = ? AND is_custom_property = ?`
  })
  return q(sql, nodeId, name, isCustom ? 1n : 0n)
}
