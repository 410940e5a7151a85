/**
 * Artifact types as the runner declares them: a name, typed properties and an optional MLMD
 * base type, mirroring how TFX's Python artifact classes declare `TYPE_NAME`, `PROPERTIES` and
 * `TYPE_ANNOTATION`. A step's inputs and outputs are typed by these, so wiring a `Model` output
 * into an `Examples` input fails to compile.
 *
 * @example
 * ```ts
 * const Examples = defineArtifactType({
 *   name: 'Examples',
 *   properties: { span: 'INT', version: 'INT', split_names: 'STRING' },
 *   baseType: 'DATASET',
 * })
 * ```
 */

import { invalidArgument } from '../errors.js'
import { setEntry } from '../proto/map-entries.js'
import {
  ArtifactType_SystemDefinedBaseType,
  type ArtifactType as ArtifactTypeMessage,
  PropertyType,
  type Value,
} from '../proto/messages.js'

/** The property kinds a runner artifact type may declare (MLMD `PropertyType` names). */
export const PROPERTY_KINDS = ['INT', 'DOUBLE', 'STRING', 'BOOLEAN'] as const
/** One of {@link PROPERTY_KINDS}. */
export type PropertyKind = (typeof PROPERTY_KINDS)[number]

/** MLMD's system base types for artifacts (`ArtifactType.SystemDefinedBaseType` names). */
export type ArtifactBaseType = Exclude<keyof typeof ArtifactType_SystemDefinedBaseType, 'UNSET'>

/** Declared properties: name → kind. */
export type PropertySchema = Readonly<Record<string, PropertyKind>>

/** The TypeScript value of a property of kind `K`. INT accepts `bigint` for the full int64 range. */
export type PropertyValueOf<K extends PropertyKind> = K extends 'INT'
  ? number | bigint
  : K extends 'DOUBLE'
    ? number
    : K extends 'STRING'
      ? string
      : boolean

/** Values of declared properties; every property is optional, as in MLMD. */
export type PropertyValues<P extends PropertySchema> = { -readonly [K in keyof P]?: PropertyValueOf<P[K]> }

/** A custom property value: integers become `int_value`, other numbers `double_value`. */
export type CustomValue = string | number | bigint | boolean

/** An artifact type: MLMD type name, declared properties and optional base type. */
export interface ArtifactType<Name extends string = string, Props extends PropertySchema = PropertySchema> {
  readonly name: Name
  readonly properties: Props
  readonly baseType?: ArtifactBaseType | undefined
}

/**
 * Declares an artifact type. Use TFX's names (`Examples`, `Model`, …) and properties where the
 * payload follows TFX's layout, so Python readers deserialize it with the right class.
 * @throws InvalidArgument if the name is empty or a property kind is unknown.
 */
export function defineArtifactType<
  const Name extends string,
  const Props extends PropertySchema = Record<never, never>,
>(spec: {
  readonly name: Name
  readonly properties?: Props
  readonly baseType?: ArtifactBaseType
}): ArtifactType<Name, Props> {
  if (spec.name === '') throw invalidArgument('An artifact type needs a name.')
  const properties = { ...(spec.properties ?? {}) } as Props
  for (const [key, kind] of Object.entries(properties)) {
    if (!(PROPERTY_KINDS as readonly string[]).includes(kind)) {
      throw invalidArgument(`Artifact type ${spec.name}: property ${key} has unknown kind ${String(kind)}.`)
    }
  }
  return Object.freeze({
    name: spec.name,
    properties: Object.freeze(properties),
    ...(spec.baseType === undefined ? {} : { baseType: spec.baseType }),
  })
}

/**
 * Several artifacts of one type under one input or output key, in order: TFX's channels of
 * artifact lists, where each artifact's events carry the key and its index in the list.
 * Declare it with {@link listOf}.
 */
export interface ArtifactList<T extends ArtifactType = ArtifactType> {
  readonly itemType: T
}

/** What a step declares under an input or output key: one artifact, or a list of them. */
export type ArtifactSpec = ArtifactType | ArtifactList

/**
 * Declares a list of artifacts of `type` for a step input or output.
 *
 * @example
 * ```ts
 * const split = defineStep({
 *   type: 'tsrunner.examples.Split',
 *   inputs: { examples: Examples },
 *   outputs: { shards: listOf(Examples) },
 *   parameters: { shards: 4 },
 *   async run({ outputs, parameters }) {
 *     for (let i = 0; i < parameters.shards; i++) {
 *       const shard = await outputs.shards.add()
 *       await writeFile(path.join(shard.dir, 'data.csv'), rowsOfShard(i))
 *       shard.properties.span = i
 *     }
 *   },
 * })
 * ```
 */
export function listOf<T extends ArtifactType>(type: T): ArtifactList<T> {
  return Object.freeze({ itemType: type })
}

/** Whether `spec` declares a list of artifacts. */
export function isArtifactList(spec: ArtifactSpec): spec is ArtifactList {
  return 'itemType' in spec
}

/** The artifact type of one artifact under `spec`. */
export function itemTypeOf(spec: ArtifactSpec): ArtifactType {
  return isArtifactList(spec) ? spec.itemType : spec
}

/** The MLMD message registering `type` (properties declared, base type if any). */
export function artifactTypeToMessage(type: ArtifactType): ArtifactTypeMessage {
  const properties: Record<string, PropertyType> = {}
  for (const [key, kind] of Object.entries(type.properties)) setEntry(properties, key, PropertyType[kind])
  return {
    name: type.name,
    properties,
    ...(type.baseType === undefined ? {} : { base_type: ArtifactType_SystemDefinedBaseType[type.baseType] }),
  }
}

/**
 * The MLMD value of a declared property.
 * @throws InvalidArgument if `value` does not fit `kind` (a fraction for INT, a non-finite INT…).
 */
export function propertyToValue(kind: PropertyKind, value: unknown, where: string): Value {
  switch (kind) {
    case 'INT':
      if (typeof value === 'bigint') return { int_value: BigInt.asIntN(64, value) }
      if (typeof value === 'number' && Number.isSafeInteger(value)) return { int_value: BigInt(value) }
      break
    case 'DOUBLE':
      if (typeof value === 'number') return { double_value: value }
      break
    case 'STRING':
      if (typeof value === 'string') return { string_value: value }
      break
    case 'BOOLEAN':
      if (typeof value === 'boolean') return { bool_value: value }
      break
  }
  throw invalidArgument(`${where}: ${String(value)} is not a valid ${kind} value.`)
}

/**
 * The MLMD value of a custom property: safe integers and bigints as `int_value`, other numbers
 * as `double_value`, strings and booleans as themselves.
 */
export function customToValue(value: CustomValue): Value {
  if (typeof value === 'bigint') return { int_value: BigInt.asIntN(64, value) }
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { int_value: BigInt(value) } : { double_value: value }
  }
  if (typeof value === 'string') return { string_value: value }
  return { bool_value: value }
}

/**
 * The plain value of an MLMD value (what steps see on their inputs): int64 as `bigint` unless it
 * is a safe integer, structs and protos as their message objects.
 */
export function valueToPlain(value: Value): unknown {
  if (value.int_value !== undefined) {
    const n = value.int_value
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
  }
  if (value.double_value !== undefined) return value.double_value
  if (value.string_value !== undefined) return value.string_value
  if (value.bool_value !== undefined) return value.bool_value
  if (value.struct_value !== undefined) return value.struct_value
  return value.proto_value
}
