/**
 * Canonical proto3 JSON for messages MLMD stores as text: `ExecutionType.input_type` and
 * `output_type` (an `ArtifactStructType`) live in `Type.input_type` / `output_type` as the JSON
 * MLMD's `MessageToJsonString` writes: lowerCamelCase field names, enum values by name, int64 as
 * decimal strings, bytes as base64, unset fields left out.
 */
import protobuf from 'protobufjs'
import { internal } from '../errors.js'
import { messageType } from '../proto/load-root.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])

function jsonName(field: protobuf.Field): string {
  return field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function scalarToJson(field: protobuf.Field, value: unknown): Json {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? (value as number)
  if (resolved instanceof protobuf.Type) return messageToJson(resolved, value as Record<string, unknown>)
  if (INT64.has(field.type)) return String(value)
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64')
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
  }
  return value as Json
}

function messageToJson(type: protobuf.Type, message: Record<string, unknown>): Json {
  const out: Record<string, Json> = {}
  for (const field of type.fieldsArray) {
    const value = message[field.name]
    if (value === undefined || value === null) continue
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(value as Record<string, unknown>)
      if (entries.length === 0) continue
      out[jsonName(field)] = Object.fromEntries(entries.map(([k, v]) => [k, scalarToJson(field, v)]))
    } else if (field.repeated) {
      const items = value as unknown[]
      if (items.length === 0) continue
      out[jsonName(field)] = items.map((v) => scalarToJson(field, v))
    } else {
      out[jsonName(field)] = scalarToJson(field, value)
    }
  }
  return out
}

function scalarFromJson(field: protobuf.Field, value: Json): unknown {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'number') return value
    const number = resolved.values[String(value)]
    if (number === undefined) throw internal(`Unknown enum value ${String(value)} for ${field.fullName}`)
    return number
  }
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, value as Record<string, Json>)
  if (INT64.has(field.type)) return BigInt(value as string | number)
  if (field.type === 'bytes') return new Uint8Array(Buffer.from(value as string, 'base64'))
  if (field.type === 'double' || field.type === 'float') return Number(value)
  return value
}

function messageFromJson(type: protobuf.Type, json: Record<string, Json>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of type.fieldsArray) {
    // Parsers accept both the JSON name and the original field name.
    const value = json[jsonName(field)] ?? json[field.name]
    if (value === undefined || value === null) continue
    if (field instanceof protobuf.MapField) {
      out[field.name] = Object.fromEntries(
        Object.entries(value as Record<string, Json>).map(([k, v]) => [k, scalarFromJson(field, v)]),
      )
    } else if (field.repeated) {
      out[field.name] = (value as Json[]).map((v) => scalarFromJson(field, v))
    } else {
      out[field.name] = scalarFromJson(field, value)
    }
  }
  // Repeated and map fields are always present in what we return.
  for (const field of type.fieldsArray) {
    if (out[field.name] !== undefined) continue
    if (field instanceof protobuf.MapField) out[field.name] = {}
    else if (field.repeated) out[field.name] = []
  }
  return out
}

/** Writes a message of `typeName` (e.g. `ml_metadata.ArtifactStructType`) as proto3 JSON text. */
export function toProto3Json(typeName: string, message: object): string {
  return JSON.stringify(messageToJson(messageType(typeName), message as Record<string, unknown>))
}

/**
 * Parses proto3 JSON text written by MLMD or by {@link toProto3Json}.
 * @throws Internal if the stored text is not valid JSON for the type.
 */
export function fromProto3Json<T>(typeName: string, text: string): T {
  let json: Json
  try {
    json = JSON.parse(text) as Json
  } catch (error) {
    throw internal(`Stored ${typeName} is not valid JSON: ${(error as Error).message}`)
  }
  return messageFromJson(messageType(typeName), json as Record<string, Json>) as T
}
