/**
 * Reads and writes of types (MLMD's `MetadataAccessObject` type methods). Every function runs
 * inside the caller's transaction and issues a constant number of statements (none for a
 * memoised type), built by `type-queries.ts`.
 */
import { setEntry } from '../proto/map-entries.js'
import type { ArtifactStructType } from '../proto/messages.js'
import { fromProto3Json, toProto3Json } from '../storage/proto-json.js'
import { SIMPLE_TYPES, type TypeKind } from '../storage/schema/v10.js'
import { all, get, type Op, run, type Tx } from '../storage/transaction-executor.js'
import { MAX_ROWS_PER_STATEMENT } from './query-builder.js'
import * as queries from './type-queries.js'

/** A type as stored, independent of its kind. `base_type` is the enum number, when linked. */
export interface TypeRecord {
  id: bigint
  name: string
  kind: TypeKind
  version?: string
  description?: string
  external_id?: string
  input_type?: ArtifactStructType
  output_type?: ArtifactStructType
  properties: Record<string, number>
  base_type?: number
}

interface TypeRow {
  id: bigint
  name: string
  version: string | null
  type_kind: bigint
  description: string | null
  input_type: string | null
  output_type: string | null
  external_id: string | null
}

const STRUCT_TYPE = 'ml_metadata.ArtifactStructType'

// Hydrates rows with their properties and base types: two statements for any number of rows.
function* hydrate(tx: Tx, rows: TypeRow[]): Op<TypeRecord[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const records = new Map<bigint, TypeRecord>()
  for (const row of rows) {
    const record: TypeRecord = {
      id: row.id,
      name: row.name,
      kind: Number(row.type_kind) as TypeKind,
      properties: {},
    }
    if (row.version !== null) record.version = row.version
    if (row.description !== null) record.description = row.description
    if (row.external_id !== null) record.external_id = row.external_id
    if (row.input_type !== null) record.input_type = fromProto3Json(STRUCT_TYPE, row.input_type)
    if (row.output_type !== null) record.output_type = fromProto3Json(STRUCT_TYPE, row.output_type)
    records.set(row.id, record)
  }
  const properties = yield* all<{ type_id: bigint; name: string; data_type: bigint | null }>(
    queries.selectTypePropertiesByTypeIds(tx.dialect, ids),
  )
  for (const p of properties) {
    const record = records.get(p.type_id)
    if (record !== undefined) setEntry(record.properties, p.name, Number(p.data_type ?? 0n))
  }
  const parents = yield* all<{ type_id: bigint; name: string; type_kind: bigint }>(
    queries.selectParentTypesByTypeIds(tx.dialect, ids),
  )
  for (const p of parents) {
    const record = records.get(p.type_id)
    const simple = SIMPLE_TYPES.find((s) => s.name === p.name && BigInt(s.kind) === p.type_kind)
    if (record !== undefined && simple !== undefined) record.base_type = simple.baseType
  }
  return rows.map((r) => records.get(r.id) as TypeRecord)
}

// Types are memoised across transactions (Tx.memo): nearly every write validates nodes
// against their types, and types change rarely. Records in the memo are frozen; the writers
// below forget the memo.
const byIdKey = (id: bigint): string => `type:${id}`
// Unambiguous without JSON (read on every type put and by-name read): the version is written
// with its length, or as `-` when there is none, and the name takes the rest.
const byNameKey = (kind: TypeKind, name: string, version: string | undefined): string =>
  `type-name:${kind}:${version === undefined ? '-' : `${version.length}:${version}`}:${name}`
const byKindKey = (kind: TypeKind): string => `types-of-kind:${kind}`

function remember(tx: Tx, records: TypeRecord[]): void {
  const memo = tx.memo()
  for (const record of records) {
    Object.freeze(record.properties)
    memo.set(byIdKey(record.id), Object.freeze(record))
  }
}

/** Types of `kind` with these ids, in the order of `ids` (duplicates repeated, unknown skipped). */
export function* findTypesByIds(tx: Tx, kind: TypeKind, ids: readonly bigint[]): Op<TypeRecord[]> {
  if (ids.length === 0) return []
  const memo = tx.memo()
  const missing = ids.filter((id) => !memo.has(byIdKey(id)))
  if (missing.length > 0) {
    // Read regardless of kind, so that a lookup under the wrong kind is memoised too.
    const rows = yield* all<TypeRow>(queries.selectTypesByIds(tx.dialect, missing))
    remember(tx, yield* hydrate(tx, rows))
  }
  return ids.flatMap((id) => {
    const found = memo.get(byIdKey(id)) as TypeRecord | undefined
    return found === undefined || found.kind !== kind ? [] : [found]
  })
}

/** The type of `kind` with this name and version (`undefined` version: none stored). */
export function* findTypeByNameAndVersion(
  tx: Tx,
  kind: TypeKind,
  name: string,
  version: string | undefined,
): Op<TypeRecord | undefined> {
  const memo = tx.memo()
  const key = byNameKey(kind, name, version)
  const memoised = memo.get(key) as TypeRecord | undefined
  if (memoised !== undefined) return memoised
  const rows = yield* all<TypeRow>(queries.selectTypeByName(tx.dialect, kind, name, version))
  const [found] = yield* hydrate(tx, rows.slice(0, 1))
  if (found !== undefined) {
    remember(tx, [found])
    memo.set(key, found)
  }
  return found
}

/** Every type of `kind`, by ascending id; `withSimpleTypes: false` leaves out MLMD's `mlmd.*` types. */
export function* findTypesByKind(tx: Tx, kind: TypeKind, withSimpleTypes: boolean): Op<TypeRecord[]> {
  const memo = tx.memo()
  let ofKind = memo.get(byKindKey(kind)) as readonly TypeRecord[] | undefined
  if (ofKind === undefined) {
    const records = yield* hydrate(tx, yield* all<TypeRow>(queries.selectTypesByKind(tx.dialect, kind)))
    remember(tx, records)
    ofKind = Object.freeze(records)
    memo.set(byKindKey(kind), ofKind)
  }
  const simpleNames = new Set(SIMPLE_TYPES.filter((s) => s.kind === kind).map((s) => s.name))
  // MLMD hides the simple types by name alone, so a user type named `mlmd.Dataset` is hidden too.
  return withSimpleTypes ? [...ofKind] : ofKind.filter((r) => !simpleNames.has(r.name))
}

/** Types of `kind` with these external ids, by ascending id. */
export function* findTypesByExternalIds(
  tx: Tx,
  kind: TypeKind,
  externalIds: readonly string[],
): Op<TypeRecord[]> {
  const rows = yield* all<TypeRow>(queries.selectTypesByExternalIds(tx.dialect, kind, externalIds))
  return yield* hydrate(tx, rows)
}

/** The id of the `mlmd.*` simple type standing for `baseType` in `kind`, if it exists. */
export function* findSimpleTypeId(tx: Tx, kind: TypeKind, baseType: number): Op<bigint | undefined> {
  const simple = SIMPLE_TYPES.find((s) => s.kind === kind && s.baseType === baseType)
  if (simple === undefined) return undefined
  const row = yield* get<{ id: bigint }>(queries.selectTypeIdByName(tx.dialect, kind, simple.name))
  return row?.id
}

/** What {@link insertType} stores. */
export interface NewType {
  name: string
  kind: TypeKind
  version?: string | undefined
  description?: string | undefined
  external_id?: string | undefined
  input_type?: ArtifactStructType | undefined
  output_type?: ArtifactStructType | undefined
  properties: Record<string, number>
}

/** Inserts a type with its properties; returns its id. */
export function* insertType(tx: Tx, type: NewType): Op<bigint> {
  tx.forgetMemo()
  const { lastInsertRowid: id } = yield* run(
    queries.insertType(tx.dialect, {
      name: type.name,
      type_kind: BigInt(type.kind),
      version: type.version ?? null,
      description: type.description ?? null,
      input_type: type.input_type === undefined ? null : toProto3Json(STRUCT_TYPE, type.input_type),
      output_type: type.output_type === undefined ? null : toProto3Json(STRUCT_TYPE, type.output_type),
      external_id: type.external_id ?? null,
    }),
  )
  yield* insertTypeProperties(tx, id, Object.entries(type.properties))
  return id
}

/**
 * Adds property declarations to a type (distinct names), in one statement per
 * {@link MAX_ROWS_PER_STATEMENT} of them rather than one per property.
 */
export function* insertTypeProperties(
  tx: Tx,
  typeId: bigint,
  properties: readonly (readonly [string, number])[],
): Op<void> {
  if (properties.length === 0) return
  tx.forgetMemo()
  for (let start = 0; start < properties.length; start += MAX_ROWS_PER_STATEMENT) {
    const rows = properties.slice(start, start + MAX_ROWS_PER_STATEMENT)
    yield* run(queries.insertTypeProperties(tx.dialect, typeId, rows))
  }
}

/** Adds one property declaration to a type. */
export function* insertTypeProperty(tx: Tx, typeId: bigint, name: string, dataType: number): Op<void> {
  tx.forgetMemo()
  yield* run(queries.insertTypeProperty(tx.dialect, typeId, name, dataType))
}

/** Sets a type's external id. */
export function* updateTypeExternalId(tx: Tx, typeId: bigint, externalId: string): Op<void> {
  tx.forgetMemo()
  yield* run(queries.updateTypeExternalId(tx.dialect, typeId, externalId))
}

/** Links a type to its base (parent) type. */
export function* insertParentType(tx: Tx, typeId: bigint, parentTypeId: bigint): Op<void> {
  tx.forgetMemo()
  yield* run(queries.insertParentType(tx.dialect, typeId, parentTypeId))
}
