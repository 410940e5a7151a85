/**
 * Messages as JSON by protobuf's JSON mapping: lowerCamelCase names, int64 as decimal strings
 * (so `JSON.stringify` works on results that hold bigints, and no id loses digits), enums by
 * name, bytes as base64, `Struct` as a plain JSON object, unset fields left out.
 *
 * @example
 * ```ts
 * const { artifacts } = store.getArtifactsByID({ artifact_ids: [1n] })
 * const text = JSON.stringify(toJson('Artifact', artifacts[0]))   // {"id":"1","typeId":"4",…}
 * const artifact = fromJson<Artifact>('Artifact', JSON.parse(text)) // id: 1n again
 * ```
 */
import protobuf from 'protobufjs'
import { Code, MlmdError } from '../errors.js'
import { messageType } from './load-root.js'

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

type Plain = Record<string, unknown>

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])

function lookup(typeName: string): protobuf.Type {
  const fullName = typeName.includes('.') ? typeName : `ml_metadata.${typeName}`
  try {
    return messageType(fullName)
  } catch {
    throw new MlmdError(Code.InvalidArgument, `Unknown message type ${typeName}`)
  }
}

function jsonName(field: protobuf.Field): string {
  return field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function structValueToJson(value: Plain): JsonValue {
  if (value.struct_value !== undefined) return structToJson(value.struct_value as Plain)
  if (value.list_value !== undefined) {
    return ((value.list_value as Plain).values as Plain[] | undefined)?.map(structValueToJson) ?? []
  }
  if (value.number_value !== undefined) return numberToJson(value.number_value as number)
  if (value.string_value !== undefined) return value.string_value as string
  if (value.bool_value !== undefined) return value.bool_value as boolean
  return null
}

function structToJson(struct: Plain): JsonValue {
  const fields = (struct.fields ?? {}) as Record<string, Plain>
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, structValueToJson(v)]))
}

function numberToJson(value: number): JsonValue {
  if (Number.isFinite(value)) return value
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
}

function valueToJson(field: protobuf.Field, value: unknown): JsonValue {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? (value as number)
  if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === '.google.protobuf.Struct') return structToJson(value as Plain)
    if (resolved.fullName === '.google.protobuf.Value') return structValueToJson(value as Plain)
    return messageToJson(resolved, value as Plain)
  }
  if (INT64.has(field.type)) return String(value)
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64')
  if (typeof value === 'number') return numberToJson(value)
  return value as JsonValue
}

function messageToJson(type: protobuf.Type, message: Plain): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {}
  for (const field of type.fieldsArray) {
    const value = message[field.name]
    if (value === undefined || value === null) continue
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(value as Plain)
      if (entries.length > 0)
        out[jsonName(field)] = Object.fromEntries(entries.map(([k, v]) => [k, valueToJson(field, v)]))
    } else if (field.repeated) {
      const items = value as unknown[]
      if (items.length > 0) out[jsonName(field)] = items.map((item) => valueToJson(field, item))
    } else {
      out[jsonName(field)] = valueToJson(field, value)
    }
  }
  return out
}

function invalid(where: string, what: string): MlmdError {
  return new MlmdError(Code.InvalidArgument, `Invalid JSON at ${where}: ${what}`)
}

function structValueFromJson(json: JsonValue): Plain {
  if (json === null) return { null_value: 0 }
  if (typeof json === 'number') return { number_value: json }
  if (typeof json === 'string') return { string_value: json }
  if (typeof json === 'boolean') return { bool_value: json }
  if (Array.isArray(json)) return { list_value: { values: json.map(structValueFromJson) } }
  return { struct_value: structFromJson(json) }
}

function structFromJson(json: { [key: string]: JsonValue }): Plain {
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, structValueFromJson(v)])) }
}

function valueFromJson(field: protobuf.Field, json: JsonValue, where: string): unknown {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) {
    if (typeof json === 'number') return json
    const number = resolved.values[String(json)]
    if (number === undefined)
      throw invalid(where, `${JSON.stringify(json)} is not a value of ${resolved.name}`)
    return number
  }
  if (resolved instanceof protobuf.Type) {
    if (resolved.fullName === '.google.protobuf.Value') return structValueFromJson(json)
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw invalid(where, 'expected an object')
    if (resolved.fullName === '.google.protobuf.Struct') return structFromJson(json)
    return messageFromJson(resolved, json, where)
  }
  if (INT64.has(field.type)) {
    if ((typeof json !== 'string' && typeof json !== 'number') || !/^-?\d+$/.test(String(json))) {
      throw invalid(where, `${JSON.stringify(json)} is not an integer`)
    }
    return BigInt(json)
  }
  if (field.type === 'bytes') return new Uint8Array(Buffer.from(String(json), 'base64'))
  if (field.type === 'double' || field.type === 'float') return Number(json)
  return json
}

function messageFromJson(type: protobuf.Type, json: { [key: string]: JsonValue }, where: string): Plain {
  const byName = new Map<string, protobuf.Field>()
  for (const field of type.fieldsArray) {
    byName.set(jsonName(field), field)
    byName.set(field.name, field)
  }
  const out: Plain = {}
  for (const [key, value] of Object.entries(json)) {
    const field = byName.get(key)
    const at = where === '' ? key : `${where}.${key}`
    if (field === undefined) throw invalid(at, `${type.name} has no such field`)
    if (value === null) continue
    if (field instanceof protobuf.MapField) {
      out[field.name] = Object.fromEntries(
        Object.entries(value as { [key: string]: JsonValue }).map(([k, v]) => [
          k,
          valueFromJson(field, v, `${at}.${k}`),
        ]),
      )
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw invalid(at, 'expected an array')
      out[field.name] = value.map((item, i) => valueFromJson(field, item, `${at}[${i}]`))
    } else {
      out[field.name] = valueFromJson(field, value, at)
    }
  }
  return out
}

/**
 * A message of `typeName` (`'Artifact'`, or a full name like `'ml_metadata.Artifact'`) as
 * JSON by protobuf's JSON mapping; `JSON.stringify` takes the result as it is.
 * @throws InvalidArgument for an unknown type name.
 */
export function toJson(typeName: string, message: object): { [key: string]: JsonValue } {
  return messageToJson(lookup(typeName), message as Plain)
}

/**
 * The message of `typeName` that `json` (a parsed value or JSON text) holds: the inverse of
 * {@link toJson}. Takes lowerCamelCase and proto field names, enum names or numbers, int64 as
 * strings or numbers.
 * @throws InvalidArgument for an unknown type, a field the type does not have, or a value of the
 *   wrong kind.
 */
export function fromJson<T = Plain>(typeName: string, json: JsonValue): T {
  const type = lookup(typeName)
  let value = json
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as JsonValue
    } catch (error) {
      throw invalid('the top', (error as Error).message)
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('the top', 'expected an object')
  return messageFromJson(type, value, '') as T
}
