/**
 * The gRPC edge's message codec: protobuf bytes ⇄ the plain message shapes of
 * `src/proto/messages.ts`, driven by the reflection of the one protobufjs root.
 *
 * protobufjs encodes and decodes the bytes; this module only converts between its message
 * objects and our shapes, because its own conversions (and proto-loader's) lose what MLMD
 * clients rely on:
 * - **presence**: a proto2 field present on the wire is present in the plain object and an
 *   absent one stays absent; defaults are never filled in (the store applies MLMD's defaults).
 *   An empty string is a set field.
 * - **int64** is a `bigint`, exact over −2^63 … 2^63−1 (protobufjs yields `Long`); map keys of
 *   int64 type are decimal strings (protobufjs yields 8-character hash strings).
 * - **repeated and map fields** are always present after decoding (empty when absent).
 * - **enums** are numbers, **bytes** are plain `Uint8Array` copies (not views of the frame).
 *
 * Used by the server for requests and by the client both ways. The server writes its responses
 * with the generated encoders of `message-encoder.ts`, which give the same bytes faster; this
 * codec's encoder is their reference in the differential test.
 *
 * @internal
 */
import { isUtf8 } from 'node:buffer'
import protobuf from 'protobufjs'
import { setEntry } from '../proto/map-entries.js'

/** Encodes and decodes one message type. */
export interface MessageCodec<T> {
  /** Serializes a plain message; unset (`undefined`/`null`) fields are not written. */
  encode(value: T): Uint8Array
  /** Parses bytes into a plain message. @throws Error when the bytes are not a valid message. */
  decode(bytes: Uint8Array): T
}

type Plain = Record<string, unknown>

/** How one field's values convert; decided once per message type. */
type ValueKind =
  | { readonly kind: 'int64'; readonly unsigned: boolean }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'enum'; readonly values: Readonly<Record<string, number>> }
  | { readonly kind: 'message'; readonly type: protobuf.Type }
  | { readonly kind: 'scalar' }

interface FieldPlan {
  readonly name: string
  readonly shape: 'single' | 'repeated' | 'map'
  readonly value: ValueKind
  /** For maps: whether keys are 64-bit integers (hash strings inside protobufjs). */
  readonly int64Key: boolean
  readonly unsignedKey: boolean
}

const SIGNED_64 = new Set(['int64', 'sint64', 'sfixed64'])
const UNSIGNED_64 = new Set(['uint64', 'fixed64'])

const plans = new WeakMap<protobuf.Type, readonly FieldPlan[]>()

function valueKind(typeName: string, resolved: protobuf.Type | protobuf.Enum | null): ValueKind {
  if (resolved instanceof protobuf.Type) return { kind: 'message', type: resolved }
  if (resolved instanceof protobuf.Enum) return { kind: 'enum', values: resolved.values }
  if (SIGNED_64.has(typeName)) return { kind: 'int64', unsigned: false }
  if (UNSIGNED_64.has(typeName)) return { kind: 'int64', unsigned: true }
  if (typeName === 'bytes') return { kind: 'bytes' }
  return { kind: 'scalar' }
}

function planOf(type: protobuf.Type): readonly FieldPlan[] {
  let plan = plans.get(type)
  if (plan !== undefined) return plan
  plan = type.fieldsArray.map((field): FieldPlan => {
    field.resolve()
    const value = valueKind(field.type, field.resolvedType)
    if (field instanceof protobuf.MapField) {
      return {
        name: field.name,
        shape: 'map',
        value,
        int64Key: SIGNED_64.has(field.keyType) || UNSIGNED_64.has(field.keyType),
        unsignedKey: UNSIGNED_64.has(field.keyType),
      }
    }
    return {
      name: field.name,
      shape: field.repeated ? 'repeated' : 'single',
      value,
      int64Key: false,
      unsignedKey: false,
    }
  })
  plans.set(type, plan)
  return plan
}

// --- int64 -------------------------------------------------------------------------------

/** The low/high words protobufjs's writer accepts for 64-bit fields (it reads `.low`/`.high`). */
interface Bits {
  readonly low: number
  readonly high: number
}

function bigintFromBits(low: number, high: number, unsigned: boolean): bigint {
  const raw = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)
  return unsigned ? BigInt.asUintN(64, raw) : BigInt.asIntN(64, raw)
}

function int64FromWire(value: unknown, unsigned: boolean): bigint {
  if (typeof value === 'number')
    return unsigned ? BigInt.asUintN(64, BigInt(value)) : BigInt.asIntN(64, BigInt(value))
  if (typeof value === 'string') return BigInt(value)
  const long = value as Bits
  return bigintFromBits(long.low, long.high, unsigned)
}

function toBigInt(value: unknown, field: string): bigint {
  switch (typeof value) {
    case 'bigint':
      return value
    case 'number':
      if (!Number.isInteger(value)) throw new TypeError(`${field}: ${value} is not an integer`)
      return BigInt(value)
    case 'string':
      return BigInt(value)
    default: {
      // A protobufjs Long (or anything with low/high words) passes through unchanged.
      const bits = value as Partial<Bits> | null
      if (bits !== null && typeof bits?.low === 'number' && typeof bits.high === 'number') {
        return bigintFromBits(bits.low, bits.high, false)
      }
      throw new TypeError(`${field}: ${String(value)} is not an int64`)
    }
  }
}

function int64ToWire(value: unknown, field: string): Bits {
  const v = BigInt.asUintN(64, toBigInt(value, field))
  return { low: Number(v & 0xffffffffn) | 0, high: Number(v >> 32n) | 0 }
}

/** protobufjs keys decoded 64-bit map keys by an 8-character hash of their bits. */
function int64KeyFromWire(key: string, unsigned: boolean): string {
  if (protobuf.util.Long && key.length === 8) {
    const bits = protobuf.util.LongBits.fromHash(key)
    return bigintFromBits(bits.lo, bits.hi, unsigned).toString()
  }
  return BigInt(key).toString()
}

// --- plain ⇄ protobufjs --------------------------------------------------------------------

function valueFromWire(kind: ValueKind, value: unknown): unknown {
  switch (kind.kind) {
    case 'int64':
      return int64FromWire(value, kind.unsigned)
    case 'bytes':
      // Copy: decoded bytes are views into the whole received frame.
      return new Uint8Array(value as Uint8Array)
    case 'message':
      return messageFromWire(kind.type, value as Plain)
    case 'enum':
    case 'scalar':
      return value
  }
}

/** Converts a decoded protobufjs message into the plain shape. */
export function messageFromWire(type: protobuf.Type, message: Plain): Plain {
  const out: Plain = {}
  for (const field of planOf(type)) {
    const present = Object.hasOwn(message, field.name) && message[field.name] != null
    if (field.shape === 'repeated') {
      out[field.name] = present
        ? (message[field.name] as unknown[]).map((v) => valueFromWire(field.value, v))
        : []
    } else if (field.shape === 'map') {
      const map: Plain = {}
      if (present) {
        for (const [key, v] of Object.entries(message[field.name] as Plain)) {
          setEntry(
            map,
            field.int64Key ? int64KeyFromWire(key, field.unsignedKey) : key,
            valueFromWire(field.value, v),
          )
        }
      }
      out[field.name] = map
    } else if (present) {
      out[field.name] = valueFromWire(field.value, message[field.name])
    }
  }
  return out
}

function valueToWire(kind: ValueKind, value: unknown, path: string): unknown {
  switch (kind.kind) {
    case 'int64':
      return int64ToWire(value, path)
    case 'message':
      return messageToWire(kind.type, value as Plain, path)
    case 'enum':
      // The shapes use numbers; a name is accepted too, as protobufjs's fromObject does.
      if (typeof value === 'string') {
        const number = kind.values[value]
        if (number === undefined) throw new TypeError(`${path}: unknown enum value ${value}`)
        return number
      }
      return value
    case 'bytes':
    case 'scalar':
      return value
  }
}

/**
 * Converts a plain message into an object protobufjs's encoder writes exactly: only set fields
 * (neither `undefined` nor `null`), int64 as low/high words.
 */
export function messageToWire(type: protobuf.Type, plain: Plain, path: string = type.name): Plain {
  if (typeof plain !== 'object' || plain === null)
    throw new TypeError(`${path}: expected a ${type.name} message`)
  const out: Plain = {}
  for (const field of planOf(type)) {
    const value = plain[field.name]
    if (value === undefined || value === null) continue
    const where = `${path}.${field.name}`
    if (field.shape === 'repeated') {
      if (!Array.isArray(value)) throw new TypeError(`${where}: expected an array`)
      out[field.name] = value.map((v, i) => valueToWire(field.value, v, `${where}[${i}]`))
    } else if (field.shape === 'map') {
      const map: Plain = {}
      for (const [key, v] of Object.entries(value as Plain)) {
        // protobufjs's writer parses decimal-string keys of 64-bit maps itself.
        setEntry(
          map,
          field.int64Key ? toBigInt(key, where).toString() : key,
          valueToWire(field.value, v, `${where}[${key}]`),
        )
      }
      out[field.name] = map
    } else {
      out[field.name] = valueToWire(field.value, value, where)
    }
  }
  return out
}

/** A codec for `type`, whose plain shape is `T`. */
export function createMessageCodec<T>(type: protobuf.Type): MessageCodec<T> {
  return {
    encode: (value) => type.encode(messageToWire(type, value as Plain)).finish(),
    decode: (bytes) => messageFromWire(type, type.decode(bytes) as unknown as Plain) as T,
  }
}

// --- unknown fields ------------------------------------------------------------------------

/**
 * Whether the top level of an encoded message carries field `number` (protobufjs drops fields
 * its schema does not declare, so this reads the bytes themselves).
 * @throws Error when the bytes are not a well-formed message.
 */
export function hasTopLevelField(bytes: Uint8Array, number: number): boolean {
  const reader = protobuf.Reader.create(bytes)
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    if (tag >>> 3 === number) return true
    reader.skipType(tag & 7)
  }
  return false
}

// --- UTF-8 ---------------------------------------------------------------------------------

/**
 * The path of the first `string` field in an encoded message whose bytes are not valid UTF-8,
 * or `undefined` when every string is valid.
 *
 * protobufjs decodes strings leniently (stray continuation bytes vanish, bad sequences become
 * U+FFFD or lone surrogates), so a request with invalid UTF-8 would be stored as different
 * text than was sent. The server refuses such requests instead; this reads the bytes
 * themselves, guided by the schema. Nesting is bounded by the decoder's recursion limit (the
 * bytes have been decoded successfully before this runs).
 * @throws Error when the bytes are not a well-formed message.
 */
export function findInvalidUtf8(type: protobuf.Type, bytes: Uint8Array): string | undefined {
  const reader = protobuf.Reader.create(bytes)
  return scanMessage(type, reader, bytes.length, type.name)
}

const LENGTH_DELIMITED = 2

function scanMessage(type: protobuf.Type, reader: protobuf.Reader, end: number, path: string) {
  while (reader.pos < end) {
    const tag = reader.uint32()
    const field = type.fieldsById[tag >>> 3]
    if (field === undefined || (tag & 7) !== LENGTH_DELIMITED) {
      reader.skipType(tag & 7)
      continue
    }
    field.resolve()
    const length = reader.uint32()
    const stop = reader.pos + length
    const where = `${path}.${field.name}`
    let found: string | undefined
    if (field instanceof protobuf.MapField) {
      found = scanMapEntry(field, reader, stop, where)
    } else {
      found = scanValue(field.type, field.resolvedType, reader, stop, where)
    }
    if (found !== undefined) return found
    reader.pos = stop
  }
  return undefined
}

// A map entry is a message with the key as field 1 and the value as field 2.
function scanMapEntry(field: protobuf.MapField, reader: protobuf.Reader, end: number, path: string) {
  while (reader.pos < end) {
    const tag = reader.uint32()
    const number = tag >>> 3
    if ((number !== 1 && number !== 2) || (tag & 7) !== LENGTH_DELIMITED) {
      reader.skipType(tag & 7)
      continue
    }
    const length = reader.uint32()
    const stop = reader.pos + length
    const found =
      number === 1
        ? scanValue(field.keyType, null, reader, stop, `${path} (a key)`)
        : scanValue(field.type, field.resolvedType, reader, stop, path)
    if (found !== undefined) return found
    reader.pos = stop
  }
  return undefined
}

function scanValue(
  typeName: string,
  resolved: protobuf.ReflectionObject | null,
  reader: protobuf.Reader,
  stop: number,
  path: string,
): string | undefined {
  if (typeName === 'string') return isUtf8(reader.buf.subarray(reader.pos, stop)) ? undefined : path
  if (resolved instanceof protobuf.Type) return scanMessage(resolved, reader, stop, path)
  return undefined
}
