/**
 * MLMD messages in the protobuf JSON mapping, for `--json` output: lowerCamelCase field names,
 * enums by name, int64 as decimal strings (so ids past 2^53 survive `JSON.parse`), bytes as
 * base64, `google.protobuf.Struct` as a plain JSON object, unset and empty fields left out.
 */
import protobuf from 'protobufjs'
import { messageType } from '../proto/load-root.js'

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])

const jsonName = (field: protobuf.Field): string =>
  field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

function finite(value: number): Json {
  if (Number.isFinite(value)) return value
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
}

// The well-known Struct types map to the JSON they describe, not to their fields.
function wellKnownToJson(type: protobuf.Type, message: Record<string, unknown>): Json | undefined {
  switch (type.fullName) {
    case '.google.protobuf.Struct': {
      const fields = (message.fields ?? {}) as Record<string, Record<string, unknown>>
      return Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [k, wellKnownToJson(type.lookupType('Value'), v) ?? null]),
      )
    }
    case '.google.protobuf.ListValue': {
      const values = (message.values ?? []) as Record<string, unknown>[]
      return values.map((v) => wellKnownToJson(type.lookupType('Value'), v) ?? null)
    }
    case '.google.protobuf.Value': {
      if (message.number_value !== undefined) return finite(message.number_value as number)
      if (message.string_value !== undefined) return message.string_value as string
      if (message.bool_value !== undefined) return message.bool_value as boolean
      if (message.struct_value !== undefined)
        return wellKnownToJson(type.lookupType('Struct'), message.struct_value as Record<string, unknown>)
      if (message.list_value !== undefined)
        return wellKnownToJson(type.lookupType('ListValue'), message.list_value as Record<string, unknown>)
      return null
    }
    case '.google.protobuf.Any':
      // The payload's type is not known here; keep its bytes (base64) beside the type URL.
      return {
        '@type': (message.type_url as string | undefined) ?? '',
        value: Buffer.from((message.value as Uint8Array | undefined) ?? new Uint8Array()).toString('base64'),
      }
    default:
      return undefined
  }
}

function valueToJson(field: protobuf.Field, value: unknown): Json {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? (value as number)
  if (resolved instanceof protobuf.Type) return messageToJson(resolved, value as Record<string, unknown>)
  if (INT64.has(field.type)) return String(value)
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64')
  if (typeof value === 'number') return finite(value)
  return value as Json
}

function messageToJson(type: protobuf.Type, message: Record<string, unknown>): Json {
  const wellKnown = wellKnownToJson(type, message)
  if (wellKnown !== undefined) return wellKnown
  const out: Record<string, Json> = {}
  for (const field of type.fieldsArray) {
    const value = message[field.name]
    if (value === undefined || value === null) continue
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(value as Record<string, unknown>)
      if (entries.length > 0)
        out[jsonName(field)] = Object.fromEntries(entries.map(([k, v]) => [k, valueToJson(field, v)]))
    } else if (field.repeated) {
      const items = value as unknown[]
      if (items.length > 0) out[jsonName(field)] = items.map((v) => valueToJson(field, v))
    } else {
      out[jsonName(field)] = valueToJson(field, value)
    }
  }
  return out
}

/**
 * A message of the MLMD type `typeName` (e.g. `ml_metadata.Artifact`,
 * `ml_metadata.GetArtifactsResponse`) in the protobuf JSON mapping.
 */
export function toProtoJson(typeName: string, message: object): Json {
  return messageToJson(messageType(typeName), message as Record<string, unknown>)
}
