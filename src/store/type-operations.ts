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
  insertTypeProperty,
  type NewType,
  type TypeRecord,
  updateTypeExternalId,
} from '../access/type-access.js'
import { alreadyExists, Code, invalidArgument, MlmdError, notFound, unimplemented } from '../errors.js'
import type { ArtifactType, ContextType, ExecutionType } from '../proto/messages.js'
import { TypeKind } from '../storage/schema/v10.js'
import type { Tx } from '../storage/transaction-executor.js'

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
const DECLARABLE_PROPERTY_TYPES = new Set([1, 2, 3, 4, 5, 6])

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
export function upsertType(tx: Tx, kind: TypeKind, type: AnyType, evolution: TypeEvolution): bigint {
  if (type.name === undefined || type.name === null || type.name === '') {
    throw invalidArgument('No type name is specified.')
  }
  const properties = type.properties ?? {}
  for (const [name, dataType] of Object.entries(properties)) {
    if (dataType === 0) throw invalidArgument(`Property ${name} is UNKNOWN.`)
    if (!DECLARABLE_PROPERTY_TYPES.has(dataType)) {
      throw invalidArgument(`Property ${name} has an unknown PropertyType ${String(dataType)}.`)
    }
  }
  const version = normalizeVersion(type.version)
  const stored = findTypeByNameAndVersion(tx, kind, type.name, version)
  let id: bigint
  if (stored === undefined) {
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
    id = insertType(tx, newType)
  } else {
    id = stored.id
    evolveType(tx, stored, type, properties, evolution)
  }
  upsertBaseTypeLink(tx, kind, id, type, stored)
  return id
}

// MLMD's CheckFieldsConsistent: conflicting property types are never allowed; omitted and added
// properties only with the matching flag. Failures are ALREADY_EXISTS.
function evolveType(
  tx: Tx,
  stored: TypeRecord,
  type: AnyType,
  properties: Record<string, number>,
  evolution: TypeEvolution,
): void {
  const conflict = (reason: string) =>
    alreadyExists(
      `Type already exists with different properties: ${reason} (stored ${describeType(stored.kind, stored.name, stored.version)})`,
    )
  for (const [name, dataType] of Object.entries(stored.properties)) {
    const requested = properties[name]
    if (requested !== undefined && requested !== dataType) {
      throw conflict(
        `Conflicting property value type found in stored and given types for property \`${name}\``,
      )
    }
  }
  const omitted = Object.keys(stored.properties).filter((name) => properties[name] === undefined)
  if (omitted.length > 0 && !evolution.canOmitFields) {
    throw conflict(`can_omit_fields is false while stored type has more properties (${omitted.join(', ')})`)
  }
  const added = Object.keys(properties).filter((name) => stored.properties[name] === undefined)
  if (added.length > 0 && !evolution.canAddFields) {
    throw conflict(`can_add_fields is false while the given type has more properties (${added.join(', ')})`)
  }
  for (const name of added) insertTypeProperty(tx, stored.id, name, properties[name] as number)
  // A given external id replaces the stored one; an absent one never clears it.
  if (
    type.external_id !== undefined &&
    type.external_id !== null &&
    type.external_id !== stored.external_id
  ) {
    updateTypeExternalId(tx, stored.id, type.external_id)
  }
}

// MLMD's UpsertTypeInheritanceLink: base types can be added, not changed or removed.
function upsertBaseTypeLink(
  tx: Tx,
  kind: TypeKind,
  id: bigint,
  type: AnyType,
  stored: TypeRecord | undefined,
): void {
  const baseType = (type as ArtifactType).base_type
  if (baseType === undefined || baseType === null) return
  if (baseType === 0) throw unimplemented('base_type deletion is not supported yet')
  if (stored?.base_type !== undefined) {
    if (stored.base_type !== baseType) throw unimplemented('base_type update is not supported yet')
    return
  }
  const parentId = findSimpleTypeId(tx, kind, baseType)
  if (parentId === undefined) {
    if (kind === TypeKind.CONTEXT)
      throw invalidArgument(`Context types have no base type ${String(baseType)}`)
    throw notFound(`No simple type found for base_type ${String(baseType)} of ${KIND_LABEL[kind]} types`)
  }
  insertParentType(tx, id, parentId)
}

/**
 * The type of `kind` with this name and version.
 * @throws NotFound if there is none.
 */
export function getTypeByName(
  tx: Tx,
  kind: TypeKind,
  name: string | undefined,
  version: string | undefined,
): AnyType {
  const normalized = normalizeVersion(version)
  const found = findTypeByNameAndVersion(tx, kind, name ?? '', normalized)
  if (found === undefined) {
    throw notFound(
      `No type found for query, name: \`${name ?? ''}\`, version: \`${normalized ?? 'nullopt'}\``,
    )
  }
  return typeToMessage(found)
}

/** Types of `kind` by id, in request order; unknown ids are skipped. */
export function getTypesByIds(tx: Tx, kind: TypeKind, ids: readonly bigint[] | undefined): AnyType[] {
  return findTypesByIds(tx, kind, ids ?? []).map(typeToMessage)
}

/** All user types of `kind`, by ascending id. */
export function getTypes(tx: Tx, kind: TypeKind): AnyType[] {
  return findTypesByKind(tx, kind, false).map(typeToMessage)
}

/**
 * Types with these external ids.
 * @throws InvalidArgument if one is empty. @throws NotFound if none exists.
 */
export function getTypesByExternalIds(
  tx: Tx,
  kind: TypeKind,
  externalIds: readonly string[] | undefined,
): AnyType[] {
  const ids = externalIds ?? []
  if (ids.length === 0) return []
  if (ids.some((id) => id === '')) throw invalidArgument('external_id cannot be empty.')
  const found = findTypesByExternalIds(tx, kind, ids)
  if (found.length === 0) throw new MlmdError(Code.NotFound, 'No types found for external_ids.')
  return found.map(typeToMessage)
}

/** Checks a put request's deprecated `all_fields_match`, which MLMD requires to stay true. */
export function checkAllFieldsMatch(allFieldsMatch: boolean | undefined): void {
  if (allFieldsMatch === false) throw unimplemented('Must match all fields.')
}
