/**
 * Type operations: upsert with MLMD's evolution rules, and the type reads.
 */
import {
  findSimpleTypeId,
  findTypeByNameAndVersion,
  findTypesByExternalIds,
  findTypesByIds,
  findTypesByKind,
  insertParentType,
  insertType,
  insertTypeProperties,
  type NewType,
  type TypeRecord,
  updateTypeExternalId,
} from '../access/type-access.js'
import { alreadyExists, Code, invalidArgument, MlmdError, notFound, unimplemented } from '../errors.js'
import { entryOf } from '../proto/map-entries.js'
import type * as m from '../proto/messages.js'
import type { ArtifactType, ContextType, ExecutionType } from '../proto/messages.js'
import { ArtifactType_SystemDefinedBaseType, PropertyType } from '../proto/messages.js'
import { TypeKind } from '../storage/schema/v10.js'
import type { Op, Tx } from '../storage/transaction-executor.js'
import { list, type Operations } from './operation.js'

/** Any of the three type messages. */
export type AnyType = ArtifactType | ExecutionType | ContextType

/** The evolution flags of a type put. */
export interface TypeEvolution {
  readonly canAddFields: boolean
  readonly canOmitFields: boolean
}

const KIND_LABEL: Record<TypeKind, string> = {
  [TypeKind.ARTIFACT]: 'artifact',
  [TypeKind.EXECUTION]: 'execution',
  [TypeKind.CONTEXT]: 'context',
}

/** `PropertyType` numbers a property may be declared as (UNKNOWN excluded). */
const DECLARABLE_PROPERTY_TYPES: ReadonlySet<number> = new Set(
  Object.values(PropertyType).filter((value) => value !== PropertyType.UNKNOWN),
)

/** Converts a stored type into the message of its kind. */
export function typeToMessage(record: TypeRecord): AnyType {
  const message: Record<string, unknown> = { id: record.id, name: record.name }
  if (record.version !== undefined) message.version = record.version
  if (record.description !== undefined) message.description = record.description
  if (record.external_id !== undefined) message.external_id = record.external_id
  message.properties = { ...record.properties }
  if (record.kind === TypeKind.EXECUTION) {
    // Copies: the record may be memoised, and the message is the caller's to change.
    if (record.input_type !== undefined) message.input_type = structuredClone(record.input_type)
    if (record.output_type !== undefined) message.output_type = structuredClone(record.output_type)
  }
  if (record.base_type !== undefined && record.kind !== TypeKind.CONTEXT) message.base_type = record.base_type
  return message as AnyType
}

// An empty version is the same as no version, for storage and for lookups.
function normalizeVersion(version: string | undefined | null): string | undefined {
  return version === undefined || version === null || version === '' ? undefined : version
}

function describeType(kind: TypeKind, name: string | undefined, version: string | undefined): string {
  return `${KIND_LABEL[kind]} type \`${name ?? ''}\`${version === undefined ? '' : ` version \`${version}\``}`
}

/**
 * Inserts `type`, or checks it against the stored type with the same name and version and adds
 * its new properties. Returns the type's id.
 * @throws InvalidArgument, AlreadyExists, Unimplemented, NotFound — see `putArtifactType`.
 */
export function* upsertType(tx: Tx, kind: TypeKind, type: AnyType, evolution: TypeEvolution): Op<bigint> {
  if (type.name === undefined || type.name === null || type.name === '') {
    throw invalidArgument('No type name is specified.')
  }
  const properties = type.properties ?? {}
  for (const [name, dataType] of Object.entries(properties)) {
    if (dataType === PropertyType.UNKNOWN) throw invalidArgument(`Property ${name} is UNKNOWN.`)
    if (!DECLARABLE_PROPERTY_TYPES.has(dataType)) {
      throw invalidArgument(`Property ${name} has an unknown PropertyType ${String(dataType)}.`)
    }
  }
  const version = normalizeVersion(type.version)
  const stored = yield* findTypeByNameAndVersion(tx, kind, type.name, version)
  let id: bigint
  if (stored === undefined) {
    const externalId =
      typeof type.external_id === 'string' && type.external_id !== '' ? type.external_id : undefined
    // Where a refused insert is not free (PostgreSQL, MySQL: it uses up an id of the sequence),
    // a taken external_id is looked up first, as MLMD does. On SQLite the UNIQUE key answers,
    // which spares every type put with an external_id three statements.
    if (externalId !== undefined && !tx.dialect.refusedInsertIsFree) {
      yield* refuseTakenExternalId(tx, kind, externalId)
    }
    const newType: NewType = {
      name: type.name,
      kind,
      version,
      description: type.description,
      external_id: type.external_id,
      properties,
    }
    if (kind === TypeKind.EXECUTION) {
      newType.input_type = (type as ExecutionType).input_type
      newType.output_type = (type as ExecutionType).output_type
    }
    try {
      id = yield* insertType(tx, newType)
    } catch (error) {
      // On SQLite the key refused the row (its properties cannot collide: they are a map) and
      // the transaction goes on: the same answer as the look-up, naming the holder. A type of
      // another kind holding the external_id leaves the key's own answer, as before.
      if (
        externalId !== undefined &&
        tx.dialect.refusedInsertIsFree &&
        error instanceof MlmdError &&
        error.code === Code.AlreadyExists
      ) {
        yield* refuseTakenExternalId(tx, kind, externalId)
      }
      throw error
    }
  } else {
    id = stored.id
    yield* evolveType(tx, stored, type, properties, evolution)
  }
  yield* upsertBaseTypeLink(tx, kind, id, type, stored)
  return id
}

// ALREADY_EXISTS naming the type of `kind` that holds `externalId`, if there is one.
function* refuseTakenExternalId(tx: Tx, kind: TypeKind, externalId: string): Op<void> {
  const holders = yield* findTypesByExternalIds(tx, kind, [externalId])
  if (holders.length > 0) {
    throw alreadyExists(`Type with external_id ${externalId} already exists: type ${holders[0]?.id}`)
  }
}

// MLMD's CheckFieldsConsistent: conflicting property types are never allowed; omitted and added
// properties only with the matching flag. Failures are ALREADY_EXISTS.
function* evolveType(
  tx: Tx,
  stored: TypeRecord,
  type: AnyType,
  properties: Record<string, number>,
  evolution: TypeEvolution,
): Op<void> {
  const conflict = (reason: string) =>
    alreadyExists(
      `Type already exists with different properties: ${reason} (stored ${describeType(stored.kind, stored.name, stored.version)})`,
    )
  for (const [name, dataType] of Object.entries(stored.properties)) {
    const requested = entryOf(properties, name)
    if (requested !== undefined && requested !== dataType) {
      throw conflict(
        `Conflicting property value type found in stored and given types for property \`${name}\``,
      )
    }
  }
  const omitted = Object.keys(stored.properties).filter((name) => entryOf(properties, name) === undefined)
  if (omitted.length > 0 && !evolution.canOmitFields) {
    throw conflict(`can_omit_fields is false while stored type has more properties (${omitted.join(', ')})`)
  }
  const added = Object.keys(properties).filter((name) => entryOf(stored.properties, name) === undefined)
  if (added.length > 0 && !evolution.canAddFields) {
    throw conflict(`can_add_fields is false while the given type has more properties (${added.join(', ')})`)
  }
  yield* insertTypeProperties(
    tx,
    stored.id,
    added.map((name) => [name, properties[name] as number] as const),
  )
  // A given external id replaces the stored one; an absent one never clears it.
  if (
    type.external_id !== undefined &&
    type.external_id !== null &&
    type.external_id !== stored.external_id
  ) {
    yield* updateTypeExternalId(tx, stored.id, type.external_id)
  }
}

// MLMD's UpsertTypeInheritanceLink: base types can be added, not changed or removed.
function* upsertBaseTypeLink(
  tx: Tx,
  kind: TypeKind,
  id: bigint,
  type: AnyType,
  stored: TypeRecord | undefined,
): Op<void> {
  const baseType = (type as ArtifactType).base_type
  if (baseType === undefined || baseType === null) return
  if (baseType === ArtifactType_SystemDefinedBaseType.UNSET)
    throw unimplemented('base_type deletion is not supported yet')
  if (stored?.base_type !== undefined) {
    if (stored.base_type !== baseType) throw unimplemented('base_type update is not supported yet')
    return
  }
  const parentId = yield* findSimpleTypeId(tx, kind, baseType)
  if (parentId === undefined) {
    if (kind === TypeKind.CONTEXT)
      throw invalidArgument(`Context types have no base type ${String(baseType)}`)
    throw notFound(`No simple type found for base_type ${String(baseType)} of ${KIND_LABEL[kind]} types`)
  }
  yield* insertParentType(tx, id, parentId)
}

/**
 * The type of `kind` with this name and version.
 * @throws NotFound if there is none.
 */
export function* getTypeByName(
  tx: Tx,
  kind: TypeKind,
  name: string | undefined,
  version: string | undefined,
): Op<AnyType> {
  const normalized = normalizeVersion(version)
  const found = yield* findTypeByNameAndVersion(tx, kind, name ?? '', normalized)
  if (found === undefined) {
    throw notFound(
      `No type found for query, name: \`${name ?? ''}\`, version: \`${normalized ?? 'nullopt'}\``,
    )
  }
  return typeToMessage(found)
}

/** Types of `kind` by id, in request order; unknown ids are skipped. */
export function* getTypesByIds(tx: Tx, kind: TypeKind, ids: readonly bigint[] | undefined): Op<AnyType[]> {
  return (yield* findTypesByIds(tx, kind, ids ?? [])).map(typeToMessage)
}

/** All user types of `kind`, by ascending id. */
export function* getTypes(tx: Tx, kind: TypeKind): Op<AnyType[]> {
  return (yield* findTypesByKind(tx, kind, false)).map(typeToMessage)
}

/**
 * Types with these external ids.
 * @throws InvalidArgument if one is empty. @throws NotFound if none exists.
 */
export function* getTypesByExternalIds(
  tx: Tx,
  kind: TypeKind,
  externalIds: readonly string[] | undefined,
): Op<AnyType[]> {
  const ids = externalIds ?? []
  if (ids.length === 0) return []
  if (ids.some((id) => id === '')) throw invalidArgument('external_id cannot be empty.')
  const found = yield* findTypesByExternalIds(tx, kind, ids)
  if (found.length === 0) throw new MlmdError(Code.NotFound, 'No types found for external_ids.')
  return found.map(typeToMessage)
}

/** Checks a put request's deprecated `all_fields_match`, which MLMD requires to stay true. */
export function checkAllFieldsMatch(allFieldsMatch: boolean | undefined): void {
  if (allFieldsMatch === false) throw unimplemented('Must match all fields.')
}

const evolution = (r: { can_add_fields?: boolean; can_omit_fields?: boolean }): TypeEvolution => ({
  canAddFields: r.can_add_fields === true,
  canOmitFields: r.can_omit_fields === true,
})

type TypeOperationName =
  | 'putArtifactType'
  | 'putExecutionType'
  | 'putContextType'
  | 'putTypes'
  | 'getArtifactType'
  | 'getArtifactTypesByID'
  | 'getArtifactTypes'
  | 'getExecutionType'
  | 'getExecutionTypesByID'
  | 'getExecutionTypes'
  | 'getContextType'
  | 'getContextTypesByID'
  | 'getContextTypes'
  | 'getArtifactTypesByExternalIds'
  | 'getExecutionTypesByExternalIds'
  | 'getContextTypesByExternalIds'

/** The type operations of the operation table. */
export const TYPE_OPERATIONS: Operations<TypeOperationName> = {
  putArtifactType: {
    mode: 'write',
    *body(tx, r) {
      checkAllFieldsMatch(r.all_fields_match)
      return { type_id: yield* upsertType(tx, TypeKind.ARTIFACT, r.artifact_type ?? {}, evolution(r)) }
    },
  },
  putExecutionType: {
    mode: 'write',
    *body(tx, r) {
      checkAllFieldsMatch(r.all_fields_match)
      return { type_id: yield* upsertType(tx, TypeKind.EXECUTION, r.execution_type ?? {}, evolution(r)) }
    },
  },
  putContextType: {
    mode: 'write',
    *body(tx, r) {
      checkAllFieldsMatch(r.all_fields_match)
      return { type_id: yield* upsertType(tx, TypeKind.CONTEXT, r.context_type ?? {}, evolution(r)) }
    },
  },
  putTypes: {
    mode: 'write',
    *body(tx, r) {
      checkAllFieldsMatch(r.all_fields_match)
      const flags = evolution(r)
      const ids = {
        artifact_type_ids: [] as bigint[],
        execution_type_ids: [] as bigint[],
        context_type_ids: [] as bigint[],
      }
      for (const t of list(r.artifact_types))
        ids.artifact_type_ids.push(yield* upsertType(tx, TypeKind.ARTIFACT, t, flags))
      for (const t of list(r.execution_types))
        ids.execution_type_ids.push(yield* upsertType(tx, TypeKind.EXECUTION, t, flags))
      for (const t of list(r.context_types))
        ids.context_type_ids.push(yield* upsertType(tx, TypeKind.CONTEXT, t, flags))
      return ids
    },
  },
  getArtifactType: {
    mode: 'read',
    *body(tx, r) {
      return {
        artifact_type: (yield* getTypeByName(
          tx,
          TypeKind.ARTIFACT,
          r.type_name,
          r.type_version,
        )) as m.ArtifactType,
      }
    },
  },
  getArtifactTypesByID: {
    mode: 'read',
    *body(tx, r) {
      return { artifact_types: (yield* getTypesByIds(tx, TypeKind.ARTIFACT, r.type_ids)) as m.ArtifactType[] }
    },
  },
  getArtifactTypes: {
    mode: 'read',
    *body(tx) {
      return { artifact_types: (yield* getTypes(tx, TypeKind.ARTIFACT)) as m.ArtifactType[] }
    },
  },
  getExecutionType: {
    mode: 'read',
    *body(tx, r) {
      return {
        execution_type: (yield* getTypeByName(
          tx,
          TypeKind.EXECUTION,
          r.type_name,
          r.type_version,
        )) as m.ExecutionType,
      }
    },
  },
  getExecutionTypesByID: {
    mode: 'read',
    *body(tx, r) {
      return {
        execution_types: (yield* getTypesByIds(tx, TypeKind.EXECUTION, r.type_ids)) as m.ExecutionType[],
      }
    },
  },
  getExecutionTypes: {
    mode: 'read',
    *body(tx) {
      return { execution_types: (yield* getTypes(tx, TypeKind.EXECUTION)) as m.ExecutionType[] }
    },
  },
  getContextType: {
    mode: 'read',
    *body(tx, r) {
      return {
        context_type: (yield* getTypeByName(
          tx,
          TypeKind.CONTEXT,
          r.type_name,
          r.type_version,
        )) as m.ContextType,
      }
    },
  },
  getContextTypesByID: {
    mode: 'read',
    *body(tx, r) {
      return { context_types: (yield* getTypesByIds(tx, TypeKind.CONTEXT, r.type_ids)) as m.ContextType[] }
    },
  },
  getContextTypes: {
    mode: 'read',
    *body(tx) {
      return { context_types: (yield* getTypes(tx, TypeKind.CONTEXT)) as m.ContextType[] }
    },
  },
  getArtifactTypesByExternalIds: {
    mode: 'read',
    *body(tx, r) {
      return {
        artifact_types: (yield* getTypesByExternalIds(
          tx,
          TypeKind.ARTIFACT,
          r.external_ids,
        )) as m.ArtifactType[],
      }
    },
  },
  getExecutionTypesByExternalIds: {
    mode: 'read',
    *body(tx, r) {
      return {
        execution_types: (yield* getTypesByExternalIds(
          tx,
          TypeKind.EXECUTION,
          r.external_ids,
        )) as m.ExecutionType[],
      }
    },
  },
  getContextTypesByExternalIds: {
    mode: 'read',
    *body(tx, r) {
      return {
        context_types: (yield* getTypesByExternalIds(
          tx,
          TypeKind.CONTEXT,
          r.external_ids,
        )) as m.ContextType[],
      }
    },
  },
}
