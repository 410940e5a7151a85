/**
 * Statements on types (MLMD's QueryConfig `select_type_by_id`, `select_type_by_name`,
 * `insert_type`, `insert_type_property`, `insert_parent_type`, …).
 */
import type { Dialect } from '../storage/dialect.js'
import type { TypeKind } from '../storage/schema/v10.js'
import type { Query, SqlValue } from '../storage/transaction-executor.js'
import { MAX_ROWS_PER_STATEMENT, q, rowCountKeys, textOf } from './query-builder.js'

const selectType = (d: Dialect): string =>
  `SELECT id, name, version, type_kind, description, input_type, output_type, external_id FROM ${d.id('Type')}`

/** Types with these ids, of any kind (`select_types_by_id`). */
export function selectTypesByIds(d: Dialect, ids: Iterable<bigint>): Query {
  return q(
    textOf(d, 'types-by-ids', () => `${selectType(d)} WHERE ${d.inList('id')}`),
    d.bindIds(ids),
  )
}

/**
 * The type of a kind with this name (`select_type_by_name`: without a version) or name and
 * version (`select_type_by_name_and_version`).
 */
export function selectTypeByName(
  d: Dialect,
  kind: TypeKind,
  name: string,
  version: string | undefined,
): Query {
  if (version === undefined) {
    const sql = textOf(
      d,
      'type-by-name',
      () => `${selectType(d)} WHERE type_kind = ? AND name = ? AND version IS NULL`,
    )
    return q(sql, BigInt(kind), name)
  }
  const sql = textOf(
    d,
    'type-by-name-and-version',
    () => `${selectType(d)} WHERE type_kind = ? AND name = ? AND version = ?`,
  )
  return q(sql, BigInt(kind), name, version)
}

/** Every type of a kind, ascending (`select_all_types`). */
export function selectTypesByKind(d: Dialect, kind: TypeKind): Query {
  return q(
    textOf(d, 'types-of-kind', () => `${selectType(d)} WHERE type_kind = ? ORDER BY id`),
    BigInt(kind),
  )
}

/** Types of a kind with these external ids, ascending (`select_types_by_external_ids`). */
export function selectTypesByExternalIds(d: Dialect, kind: TypeKind, externalIds: Iterable<string>): Query {
  const sql = textOf(
    d,
    'types-by-external-ids',
    () => `${selectType(d)} WHERE type_kind = ? AND ${d.inTextList('external_id')} ORDER BY id`,
  )
  return q(sql, BigInt(kind), d.bindTexts(externalIds))
}

/** The id of the type of a kind with this name and no version. */
export function selectTypeIdByName(d: Dialect, kind: TypeKind, name: string): Query {
  const sql = textOf(
    d,
    'type-id-by-name',
    () => `SELECT id FROM ${d.id('Type')} WHERE type_kind = ? AND name = ? AND version IS NULL`,
  )
  return q(sql, BigInt(kind), name)
}

/** Property declarations of these types (`select_property_by_type_id`). */
export function selectTypePropertiesByTypeIds(d: Dialect, typeIds: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'type-properties-by-ids',
    () => `SELECT type_id, name, data_type FROM ${d.id('TypeProperty')} WHERE ${d.inList('type_id')}`,
  )
  return q(sql, d.bindIds(typeIds))
}

/** Base-type links of these types with the base type's name and kind (`select_parent_type_by_type_id`). */
export function selectParentTypesByTypeIds(d: Dialect, typeIds: Iterable<bigint>): Query {
  const sql = textOf(
    d,
    'parent-types-by-ids',
    () =>
      `SELECT p.type_id, t.name, t.type_kind FROM ${d.id('ParentType')} AS p JOIN ${d.id('Type')} AS t ON t.id = p.parent_type_id WHERE ${d.inList('p.type_id')}`,
  )
  return q(sql, d.bindIds(typeIds))
}

/** The values {@link insertType} stores, in its column order. */
export interface TypeColumns {
  readonly name: string
  readonly type_kind: bigint
  readonly version: string | null
  readonly description: string | null
  readonly input_type: string | null
  readonly output_type: string | null
  readonly external_id: string | null
}

const TYPE_COLUMNS = [
  'name',
  'type_kind',
  'version',
  'description',
  'input_type',
  'output_type',
  'external_id',
] as const

/** Inserts a type (`insert_artifact_type` and its twins), returning its id. */
export function insertType(d: Dialect, type: TypeColumns): Query {
  const sql = textOf(d, 'insert-type', () => d.insertReturningId('Type', TYPE_COLUMNS))
  return q(sql, ...TYPE_COLUMNS.map((c): SqlValue => type[c]))
}

/** Declares one property of a type (`insert_type_property`). */
export function insertTypeProperty(d: Dialect, typeId: bigint, name: string, dataType: number): Query {
  const sql = textOf(d, 'insert-type-property', () =>
    d.insert('TypeProperty', ['type_id', 'name', 'data_type']),
  )
  return q(sql, typeId, name, BigInt(dataType))
}

const INSERT_TYPE_PROPERTIES_KEYS = rowCountKeys('insert-type-properties')

/**
 * Declares 1 to {@link MAX_ROWS_PER_STATEMENT} properties of a type in one statement (as
 * {@link insertTypeProperty}, one row per `[name, data type]`, names distinct).
 */
export function insertTypeProperties(
  d: Dialect,
  typeId: bigint,
  properties: readonly (readonly [string, number])[],
): Query {
  const rows = properties.length
  if (rows < 1 || rows > MAX_ROWS_PER_STATEMENT) {
    throw new Error(`insertTypeProperties: ${rows} rows, not 1 to ${MAX_ROWS_PER_STATEMENT}`)
  }
  const sql = textOf(d, INSERT_TYPE_PROPERTIES_KEYS[rows] as string, () =>
    d.insert('TypeProperty', ['type_id', 'name', 'data_type'], rows),
  )
  const params: SqlValue[] = []
  for (const [name, dataType] of properties) params.push(typeId, name, BigInt(dataType))
  return { sql, params }
}

/** Sets a type's external id. */
export function updateTypeExternalId(d: Dialect, typeId: bigint, externalId: string): Query {
  const sql = textOf(
    d,
    'update-type-external-id',
    () => `UPDATE ${d.id('Type')} SET ${d.id('external_id')} = ? WHERE id = ?`,
  )
  return q(sql, externalId, typeId)
}

/** Links a type to its base type (`insert_parent_type`). */
export function insertParentType(d: Dialect, typeId: bigint, parentTypeId: bigint): Query {
  const sql = textOf(d, 'insert-parent-type', () => d.insert('ParentType', ['type_id', 'parent_type_id']))
  return q(sql, typeId, parentTypeId)
}
