/**
 * How a property `Value` is laid out in the `*Property` tables: MLMD's encodings, so that either
 * side reads the other's rows.
 *
 * | Value kind   | column         | stored as                                                    |
 * | ------------ | -------------- | ------------------------------------------------------------ |
 * | int_value    | `int_value`    | INTEGER (full int64)                                         |
 * | double_value | `double_value` | REAL, exact (MLMD rounds to 6 decimals; we do not)           |
 * | string_value | `string_value` | TEXT                                                         |
 * | struct_value | `string_value` | TEXT `mlmd-struct::` + padded base64 of the serialized Struct |
 * | proto_value  | `proto_value`  | TEXT: padded base64 of the serialized Any (not a BLOB)       |
 * | bool_value   | `bool_value`   | INTEGER 1 / 0                                                |
 *
 * Two doubles SQLite cannot keep in a REAL column get a representation MLMD still reads:
 * NaN is stored as the TEXT `NaN` (SQLite would turn a NaN REAL into NULL), and −0.0 as REAL 0
 * with the marker {@link NEGATIVE_ZERO_MARKER} in the unused legacy `byte_value` column (SQLite
 * writes integral REALs as integers on disk and drops the sign). MLMD reads the latter as 0.0.
 */

import { invalidArgument } from '../errors.js'
import { messageType } from '../proto/load-root.js'
import type { Any, Struct, Value } from '../proto/messages.js'
import type { SqlValue } from './transaction-executor.js'

/** Prefix MLMD puts before a base64-encoded Struct stored in `string_value`. */
export const STRUCT_PREFIX = 'mlmd-struct::'

/** Marks a −0.0 double in `byte_value` (a column MLMD v10 neither writes nor reads). */
export const NEGATIVE_ZERO_MARKER = 'mlmd-ts:-0.0'

/** The value columns of one property row. Exactly one of the first five is non-null. */
export interface PropertyColumns {
  int_value: bigint | null
  double_value: number | string | null
  string_value: string | null
  proto_value: string | null
  bool_value: bigint | null
  byte_value: string | null
}

/** The kinds a `Value` can hold, in the order of their oneof field numbers (= `PropertyType`). */
export const VALUE_KINDS = [
  'int_value',
  'double_value',
  'string_value',
  'struct_value',
  'proto_value',
  'bool_value',
] as const
export type ValueKind = (typeof VALUE_KINDS)[number]

/**
 * The kind a value holds, or `undefined` when it holds none.
 * @throws InvalidArgument when more than one kind is set (possible in JS objects, not on the wire).
 */
export function valueKind(value: Value): ValueKind | undefined {
  let found: ValueKind | undefined
  for (const kind of VALUE_KINDS) {
    if (value[kind] === undefined || value[kind] === null) continue
    if (found !== undefined) throw invalidArgument(`A Value may hold one kind only; got ${found} and ${kind}`)
    found = kind
  }
  return found
}

function structCodec() {
  return messageType('google.protobuf.Struct')
}
function anyCodec() {
  return messageType('google.protobuf.Any')
}

const TO_OBJECT_OPTIONS = { arrays: true, objects: true, defaults: false, bytes: Uint8Array } as const

/** Serializes a Struct to its protobuf bytes. */
export function encodeStruct(struct: Struct): Uint8Array {
  const codec = structCodec()
  try {
    return codec.encode(codec.fromObject(struct)).finish()
  } catch (error) {
    // protobufjs refuses Structs nested past its recursion limit (and malformed ones): bad input.
    throw invalidArgument(`Cannot encode struct_value: ${(error as Error).message}`)
  }
}

/** Parses protobuf bytes into a plain Struct. */
export function decodeStruct(bytes: Uint8Array): Struct {
  const codec = structCodec()
  return codec.toObject(codec.decode(bytes), TO_OBJECT_OPTIONS) as Struct
}

function encodeAny(any: Any): Uint8Array {
  const codec = anyCodec()
  return codec.encode(codec.fromObject(any)).finish()
}

function decodeAny(bytes: Uint8Array): Any {
  const codec = anyCodec()
  const decoded = codec.toObject(codec.decode(bytes), TO_OBJECT_OPTIONS) as Any
  // An Any always carries both fields on read, as MLMD's readers expect.
  return { type_url: decoded.type_url ?? '', value: Uint8Array.from(decoded.value ?? []) }
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

/**
 * Encodes a value into the columns of its property row.
 * @throws InvalidArgument when the value holds no kind or several.
 */
export function encodeValue(value: Value): PropertyColumns {
  const columns: PropertyColumns = {
    int_value: null,
    double_value: null,
    string_value: null,
    proto_value: null,
    bool_value: null,
    byte_value: null,
  }
  const kind = valueKind(value)
  switch (kind) {
    case 'int_value':
      columns.int_value = BigInt.asIntN(64, BigInt(value.int_value as bigint))
      break
    case 'double_value': {
      const d = value.double_value as number
      if (Number.isNaN(d)) columns.double_value = 'NaN'
      else if (Object.is(d, -0)) {
        columns.double_value = 0
        columns.byte_value = NEGATIVE_ZERO_MARKER
      } else columns.double_value = d
      break
    }
    case 'string_value':
      columns.string_value = value.string_value as string
      break
    case 'struct_value':
      columns.string_value = STRUCT_PREFIX + toBase64(encodeStruct(value.struct_value as Struct))
      break
    case 'proto_value':
      columns.proto_value = toBase64(encodeAny(value.proto_value as Any))
      break
    case 'bool_value':
      columns.bool_value = value.bool_value ? 1n : 0n
      break
    case undefined:
      throw invalidArgument('A property Value must hold one of int, double, string, struct, proto or bool')
  }
  return columns
}

function asText(value: SqlValue): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8')
  return String(value)
}

/**
 * Decodes a property row back into a `Value`, reading the first non-null column in MLMD's order
 * (int, double, string, proto, bool). Rows written by MLMD and by us decode the same way.
 */
export function decodeValue(row: Record<string, SqlValue>): Value {
  const { int_value, double_value, string_value, proto_value, bool_value, byte_value } = row
  if (int_value !== null && int_value !== undefined) {
    return { int_value: typeof int_value === 'bigint' ? int_value : BigInt(asText(int_value)) }
  }
  if (double_value !== null && double_value !== undefined) {
    if (typeof double_value === 'number') {
      if (
        double_value === 0 &&
        byte_value !== null &&
        asText(byte_value as SqlValue) === NEGATIVE_ZERO_MARKER
      ) {
        return { double_value: -0 }
      }
      return { double_value }
    }
    if (typeof double_value === 'bigint') return { double_value: Number(double_value) }
    return { double_value: parseDoubleText(asText(double_value)) }
  }
  if (string_value !== null && string_value !== undefined) {
    const text = asText(string_value)
    if (text.startsWith(STRUCT_PREFIX)) {
      // MLMD decodes every prefixed string as a Struct. A string that merely looks like one but
      // does not parse is returned as the string it is, rather than failing the whole read.
      try {
        return { struct_value: decodeStruct(fromBase64(text.slice(STRUCT_PREFIX.length))) }
      } catch {
        return { string_value: text }
      }
    }
    return { string_value: text }
  }
  if (proto_value !== null && proto_value !== undefined) {
    // MLMD writes base64 text; accept a real BLOB holding the serialized Any as well.
    const bytes = typeof proto_value === 'string' ? fromBase64(proto_value) : (proto_value as Uint8Array)
    return { proto_value: decodeAny(bytes) }
  }
  if (bool_value !== null && bool_value !== undefined) {
    if (typeof bool_value === 'bigint' || typeof bool_value === 'number')
      return { bool_value: bool_value !== 0n && bool_value !== 0 }
    return { bool_value: /^(1|true|t|yes|y)$/i.test(asText(bool_value)) }
  }
  return {}
}

// Doubles stored as TEXT: our NaN, and whatever other writers left (MLMD reads with SimpleAtod).
function parseDoubleText(text: string): number {
  const t = text.trim().toLowerCase()
  if (t === 'nan' || t === '-nan') return Number.NaN
  if (t === 'inf' || t === 'infinity' || t === '+inf') return Number.POSITIVE_INFINITY
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY
  return Number(t)
}
