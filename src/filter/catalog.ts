/**
 * What a filter_query can name, per node kind, as data: the attributes of the listed node, the
 * neighbours reachable by an alias prefix, the property value fields and the enum names. This
 * is the counterpart of the columns MLMD's `FilterQueryAstResolver` registers with ZetaSQL, and
 * of the join templates in its `FilterQueryBuilder`.
 *
 * Table and column names here are constants; nothing from a query ever becomes an identifier.
 */
import { Artifact_State, Event_Type, Execution_State } from '../proto/messages.js'
import { ARTIFACT_TABLES, CONTEXT_TABLES, EXECUTION_TABLES, type NodeTables } from '../storage/schema/v10.js'

/** The node kinds a filter can list. */
export type FilterNodeKind = 'artifact' | 'execution' | 'context'

/** The enums whose names a filter may use; the names are the proto's. */
export type EnumTypeName = 'Artifact.State' | 'Execution.State' | 'Event.Type'

/** ZetaSQL's scalar types as the filter language uses them, plus the three enums. */
export type ValueType = 'INT64' | 'DOUBLE' | 'STRING' | 'BOOL' | 'NULL' | EnumTypeName

/** Writes a type the way ZetaSQL messages do (`INT64`, `ENUM<Artifact.State>`). */
export function typeToString(type: ValueType): string {
  return type.includes('.') ? `ENUM<${type}>` : type
}

export function isEnumType(type: ValueType): type is EnumTypeName {
  return type.includes('.')
}

// The named values of a generated enum, as the bigints filter literals compile to.
function pick<E extends Readonly<Record<string, number>>>(
  values: E,
  names: readonly (keyof E & string)[],
): Readonly<Record<string, bigint>> {
  return Object.fromEntries(names.map((name) => [name, BigInt(values[name] as number)]))
}

/**
 * The enum names a filter may use, with their numbers. MLMD accepts only these subsets: the
 * Artifact states ABANDONED and REFERENCE and the event types UNKNOWN and PENDING_OUTPUT are
 * "Unsupported enum value" there, and so here.
 */
export const ENUM_VALUES: Readonly<Record<EnumTypeName, Readonly<Record<string, bigint>>>> = {
  'Artifact.State': pick(Artifact_State, ['UNKNOWN', 'PENDING', 'LIVE', 'MARKED_FOR_DELETION', 'DELETED']),
  'Execution.State': pick(Execution_State, [
    'UNKNOWN',
    'NEW',
    'RUNNING',
    'COMPLETE',
    'FAILED',
    'CACHED',
    'CANCELED',
  ]),
  'Event.Type': pick(Event_Type, [
    'INPUT',
    'OUTPUT',
    'DECLARED_INPUT',
    'DECLARED_OUTPUT',
    'INTERNAL_INPUT',
    'INTERNAL_OUTPUT',
  ]),
}

/**
 * A field of a node or neighbour: the column it reads and its type. `onType` fields read the
 * `name` of the node's type (a join with `Type`).
 */
export interface Field {
  readonly column: string
  readonly type: ValueType
  readonly onType?: true
}

/** Fields by lower-case name (ZetaSQL names are case-insensitive). */
export type FieldTable = Readonly<Record<string, Field>>

const COMMON_NODE_FIELDS: FieldTable = {
  id: { column: 'id', type: 'INT64' },
  type_id: { column: 'type_id', type: 'INT64' },
  type: { column: 'name', type: 'STRING', onType: true },
  name: { column: 'name', type: 'STRING' },
  external_id: { column: 'external_id', type: 'STRING' },
  create_time_since_epoch: { column: 'create_time_since_epoch', type: 'INT64' },
  last_update_time_since_epoch: { column: 'last_update_time_since_epoch', type: 'INT64' },
}

/** The attributes of the listed node, per kind, as MLMD's filter language names them. */
export const ATTRIBUTES: Readonly<Record<FilterNodeKind, FieldTable>> = {
  artifact: {
    ...COMMON_NODE_FIELDS,
    uri: { column: 'uri', type: 'STRING' },
    state: { column: 'state', type: 'Artifact.State' },
  },
  execution: {
    ...COMMON_NODE_FIELDS,
    last_known_state: { column: 'last_known_state', type: 'Execution.State' },
  },
  context: COMMON_NODE_FIELDS,
}

// What MLMD's analyser gives a context neighbour.
const CONTEXT_NEIGHBOUR_FIELDS: FieldTable = {
  id: { column: 'id', type: 'INT64' },
  name: { column: 'name', type: 'STRING' },
  type: { column: 'name', type: 'STRING', onType: true },
  create_time_since_epoch: { column: 'create_time_since_epoch', type: 'INT64' },
  last_update_time_since_epoch: { column: 'last_update_time_since_epoch', type: 'INT64' },
}

const ARTIFACT_NEIGHBOUR_FIELDS: FieldTable = {
  ...CONTEXT_NEIGHBOUR_FIELDS,
  state: { column: 'state', type: 'Artifact.State' },
  uri: { column: 'uri', type: 'STRING' },
  external_id: { column: 'external_id', type: 'STRING' },
}

const EXECUTION_NEIGHBOUR_FIELDS: FieldTable = {
  ...CONTEXT_NEIGHBOUR_FIELDS,
  last_known_state: { column: 'last_known_state', type: 'Execution.State' },
  external_id: { column: 'external_id', type: 'STRING' },
}

/** The value fields of `properties.<name>` and `custom_properties.<name>`. */
export const PROPERTY_FIELDS: FieldTable = {
  int_value: { column: 'int_value', type: 'INT64' },
  double_value: { column: 'double_value', type: 'DOUBLE' },
  string_value: { column: 'string_value', type: 'STRING' },
  bool_value: { column: 'bool_value', type: 'BOOL' },
}

/**
 * How a neighbour is reached from the listed node (`table_0`): through a link table (`link`,
 * whose `nodeColumn` holds the listed node's id and `otherColumn` the neighbour's), or, for
 * events, directly (`nodeColumn` of `table` holds the listed node's id).
 */
export interface Relation {
  /** The alias prefix: `contexts_`, `parent_contexts_`, … An alias is the prefix plus `[0-9A-Za-z_]+`. */
  readonly prefix: string
  readonly table: string
  readonly fields: FieldTable
  readonly link?: { readonly table: string; readonly nodeColumn: string; readonly otherColumn: string }
  readonly nodeColumn?: string
}

const ATTRIBUTION = 'Attribution'
const ASSOCIATION = 'Association'
const PARENT_CONTEXT = 'ParentContext'
const EVENT = 'Event'

/** The table of types; `type` names come from its `name` column. */
export const TYPE_TABLE = 'Type'

/** The neighbours each kind can filter by, as MLMD's filter language names them, in the order they are tried. */
export const RELATIONS: Readonly<Record<FilterNodeKind, readonly Relation[]>> = {
  artifact: [
    {
      prefix: 'contexts_',
      table: CONTEXT_TABLES.node,
      fields: CONTEXT_NEIGHBOUR_FIELDS,
      link: { table: ATTRIBUTION, nodeColumn: 'artifact_id', otherColumn: 'context_id' },
    },
    {
      prefix: 'events_',
      table: EVENT,
      nodeColumn: 'artifact_id',
      fields: {
        type: { column: 'type', type: 'Event.Type' },
        milliseconds_since_epoch: { column: 'milliseconds_since_epoch', type: 'INT64' },
        execution_id: { column: 'execution_id', type: 'INT64' },
      },
    },
  ],
  execution: [
    {
      prefix: 'contexts_',
      table: CONTEXT_TABLES.node,
      fields: CONTEXT_NEIGHBOUR_FIELDS,
      link: { table: ASSOCIATION, nodeColumn: 'execution_id', otherColumn: 'context_id' },
    },
    {
      prefix: 'events_',
      table: EVENT,
      nodeColumn: 'execution_id',
      fields: {
        type: { column: 'type', type: 'Event.Type' },
        milliseconds_since_epoch: { column: 'milliseconds_since_epoch', type: 'INT64' },
        artifact_id: { column: 'artifact_id', type: 'INT64' },
      },
    },
  ],
  context: [
    {
      prefix: 'artifacts_',
      table: ARTIFACT_TABLES.node,
      fields: ARTIFACT_NEIGHBOUR_FIELDS,
      link: { table: ATTRIBUTION, nodeColumn: 'context_id', otherColumn: 'artifact_id' },
    },
    {
      prefix: 'executions_',
      table: EXECUTION_TABLES.node,
      fields: EXECUTION_NEIGHBOUR_FIELDS,
      link: { table: ASSOCIATION, nodeColumn: 'context_id', otherColumn: 'execution_id' },
    },
    // A parent of the listed context: ParentContext(context_id = listed, parent_context_id = alias).
    {
      prefix: 'parent_contexts_',
      table: CONTEXT_TABLES.node,
      fields: CONTEXT_NEIGHBOUR_FIELDS,
      link: { table: PARENT_CONTEXT, nodeColumn: 'context_id', otherColumn: 'parent_context_id' },
    },
    // A child of the listed context: ParentContext(parent_context_id = listed, context_id = alias).
    {
      prefix: 'child_contexts_',
      table: CONTEXT_TABLES.node,
      fields: CONTEXT_NEIGHBOUR_FIELDS,
      link: { table: PARENT_CONTEXT, nodeColumn: 'parent_context_id', otherColumn: 'context_id' },
    },
  ],
}

/** Every alias prefix of the language, with the kinds that have it (for the "… only" hint). */
export const PREFIX_KINDS: Readonly<Record<string, readonly FilterNodeKind[]>> = (() => {
  const kinds: Record<string, FilterNodeKind[]> = {}
  for (const kind of ['artifact', 'execution', 'context'] as const) {
    for (const relation of RELATIONS[kind]) kinds[relation.prefix] = [...(kinds[relation.prefix] ?? []), kind]
  }
  return kinds
})()

/** The node and property tables of each kind (from the schema). */
export const NODE_TABLES: Readonly<Record<FilterNodeKind, NodeTables>> = {
  artifact: ARTIFACT_TABLES,
  execution: EXECUTION_TABLES,
  context: CONTEXT_TABLES,
}

/** A scalar function a filter may call: its SQLite name and its signatures. */
export interface FunctionSignature {
  readonly args: readonly ValueType[]
  readonly result: ValueType
}
export interface FilterFunction {
  readonly sqlName: string
  readonly signatures: readonly FunctionSignature[]
}

/**
 * The ZetaSQL functions supported, by upper-case name. These are the ones whose SQLite
 * namesakes compute the same thing on the values MLMD stores (ASCII case mapping aside, which
 * is what MLMD on SQLite does too) and cannot fail at run time. ABS is left out: SQLite raises
 * "integer overflow" on the smallest int64 where ZetaSQL reports an error too, and a filter
 * must not fail half way through a listing.
 */
export const FUNCTIONS: Readonly<Record<string, FilterFunction>> = {
  LOWER: { sqlName: 'lower', signatures: [{ args: ['STRING'], result: 'STRING' }] },
  UPPER: { sqlName: 'upper', signatures: [{ args: ['STRING'], result: 'STRING' }] },
  LENGTH: { sqlName: 'length', signatures: [{ args: ['STRING'], result: 'INT64' }] },
  TRIM: { sqlName: 'trim', signatures: [{ args: ['STRING'], result: 'STRING' }] },
  LTRIM: { sqlName: 'ltrim', signatures: [{ args: ['STRING'], result: 'STRING' }] },
  RTRIM: { sqlName: 'rtrim', signatures: [{ args: ['STRING'], result: 'STRING' }] },
}
