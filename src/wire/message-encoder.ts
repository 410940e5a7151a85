/**
 * A protobuf encoder generated per message type: plain messages (the shapes of
 * `src/proto/messages.ts`, as the store returns them) written straight into one growing buffer.
 *
 * The codec of `wire-codec.ts` first copies every message into a second object tree for
 * protobufjs (int64 as low/high objects, a path string per field for its error messages), and
 * protobufjs's writer then queues one operation object per field before it writes anything.
 * That cost about 10 µs per returned node. Here each message type gets one JavaScript function,
 * generated once from the protobufjs reflection, that reads the plain fields and writes their
 * bytes at once: no intermediate objects on the way, and error text is built only on failure.
 * Generated source rather than closures composed per field: each function reads its fields by
 * constant names, so V8 keeps one inline cache per field read; closures share theirs across
 * every field and type, and measured twice as slow on `bench/encode.ts` (4.0 against 2.0 µs
 * per node in one run).
 *
 * The bytes are those of the codec in `wire-codec.ts` (a differential test checks every MLMD
 * message type): fields by number; proto2 presence (a field that is `undefined` or `null` is
 * not written, every other value is, empty strings and zeros included); repeated fields packed
 * only where the proto says so; map entries with both key and value always written; int64
 * exact over the whole range (a `bigint`, or an integral number or decimal string); enums as
 * numbers or names; the same nesting limit as protobufjs (100 levels).
 *
 * One difference, for text that is not Unicode: a lone UTF-16 surrogate is written as U+FFFD
 * (as `Buffer` does). protobufjs writes it as a three-byte surrogate for strings shorter than 40
 * code units, which is not UTF-8. Strings read from SQLite never hold one.
 *
 * @internal
 */
import protobuf from 'protobufjs'

/** Encodes plain messages of one type into protobuf bytes (a `Buffer` of their own). */
export type MessageEncoder<T> = (value: T) => Buffer

/** The nesting limit of protobufjs's encoder (and of protoc's parser). */
const MAX_DEPTH = 100
const INITIAL_CAPACITY = 64 * 1024
/** A scratch buffer that grew past this is dropped after use instead of being kept. */
const KEEP_CAPACITY = 8 * 1024 * 1024
const TWO_32 = 4294967296

/**
 * The one buffer every encoder writes into. Encoding is synchronous, so a process (or worker
 * thread) needs only one; each call starts at position 0 and copies its bytes out at the end.
 */
class ByteSink {
  buf: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY)
  pos = 0

  reset(): void {
    this.pos = 0
  }

  /** A copy of the bytes written since `reset`, so the scratch buffer can be reused. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos)
    this.buf.copy(out, 0, 0, this.pos)
    if (this.buf.length > KEEP_CAPACITY) this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY)
    this.pos = 0
    return out
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const bigger = Buffer.allocUnsafe(size)
    this.buf.copy(bigger, 0, 0, this.pos)
    this.buf = bigger
  }

  /** One byte (a tag below 128). */
  byte(value: number): void {
    if (this.pos >= this.buf.length) this.ensure(1)
    this.buf[this.pos++] = value
  }

  /** An unsigned 32-bit varint (also tags and lengths). */
  u32(value: number): void {
    let v = value >>> 0
    if (v < 128) {
      this.byte(v)
      return
    }
    this.ensure(5)
    const buf = this.buf
    let p = this.pos
    while (v > 127) {
      buf[p++] = (v & 127) | 128
      v >>>= 7
    }
    buf[p++] = v
    this.pos = p
  }

  /** A 64-bit varint from its two 32-bit halves (unsigned). */
  varint64(low: number, high: number): void {
    let lo = low
    let hi = high
    this.ensure(10)
    const buf = this.buf
    let p = this.pos
    while (hi !== 0) {
      buf[p++] = (lo & 127) | 128
      lo = ((lo >>> 7) | (hi << 25)) >>> 0
      hi >>>= 7
    }
    while (lo > 127) {
      buf[p++] = (lo & 127) | 128
      lo >>>= 7
    }
    buf[p++] = lo
    this.pos = p
  }

  /** int32 and enums: a negative value takes ten bytes, sign-extended to 64 bits. */
  i32(value: number): void {
    if (value >= 0) this.u32(value)
    else this.varint64(value >>> 0, Math.floor(value / TWO_32) >>> 0)
  }

  s32(value: number): void {
    this.u32(((value << 1) ^ (value >> 31)) >>> 0)
  }

  fixed32(value: number): void {
    this.ensure(4)
    const buf = this.buf
    const v = value >>> 0
    buf[this.pos] = v & 255
    buf[this.pos + 1] = (v >>> 8) & 255
    buf[this.pos + 2] = (v >>> 16) & 255
    buf[this.pos + 3] = v >>> 24
    this.pos += 4
  }

  float(value: number): void {
    this.ensure(4)
    this.buf.writeFloatLE(value, this.pos)
    this.pos += 4
  }

  double(value: number): void {
    this.ensure(8)
    this.buf.writeDoubleLE(value, this.pos)
    this.pos += 8
  }

  /** int64/uint64 (`kind` 0), sint64 (1) or fixed64/sfixed64 (2). */
  i64(value: unknown, kind: 0 | 1 | 2, field: string): void {
    let lo: number
    let hi: number
    const n = typeof value === 'bigint' ? Number(value) : value
    if (typeof n === 'number' && Number.isSafeInteger(n)) {
      // Exact in a double: the halves come from arithmetic, without bigint operations.
      lo = n >>> 0
      hi = Math.floor(n / TWO_32) >>> 0
    } else {
      const bits = int64Bits(value, field)
      lo = bits.lo
      hi = bits.hi
    }
    if (kind === 0) {
      this.varint64(lo, hi)
    } else if (kind === 1) {
      const mask = hi >> 31
      this.varint64(((lo << 1) ^ mask) >>> 0, (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0)
    } else {
      this.fixed32(lo)
      this.fixed32(hi)
    }
  }

  bool(value: unknown): void {
    this.ensure(1)
    this.buf[this.pos++] = value ? 1 : 0
  }

  bytes(value: unknown, field: string): void {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${field}: expected a Uint8Array`)
    const n = value.length
    this.u32(n)
    this.ensure(n)
    this.buf.set(value, this.pos)
    this.pos += n
  }

  string(value: unknown, field: string): void {
    if (typeof value !== 'string') throw new TypeError(`${field}: expected a string`)
    const n = value.length
    if (n >= 64) {
      const length = Buffer.byteLength(value, 'utf8')
      this.u32(length)
      this.ensure(length)
      this.pos += this.buf.write(value, this.pos, length, 'utf8')
      return
    }
    // Short strings are encoded here (faster than a call into C++ for a few bytes), guessing
    // a one-byte length: at most 189 bytes, so a wrong guess moves them over by one byte.
    this.ensure(2 + n * 3)
    const buf = this.buf
    const start = this.pos + 1
    let p = start
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i)
      if (c < 0x80) {
        buf[p++] = c
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6)
        buf[p++] = 0x80 | (c & 63)
      } else if (c < 0xd800 || c >= 0xe000) {
        buf[p++] = 0xe0 | (c >> 12)
        buf[p++] = 0x80 | ((c >> 6) & 63)
        buf[p++] = 0x80 | (c & 63)
      } else {
        const d = i + 1 < n ? value.charCodeAt(i + 1) : 0
        if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
          buf[p++] = 0xf0 | (cp >> 18)
          buf[p++] = 0x80 | ((cp >> 12) & 63)
          buf[p++] = 0x80 | ((cp >> 6) & 63)
          buf[p++] = 0x80 | (cp & 63)
          i++
        } else {
          // A lone surrogate: U+FFFD, as Buffer writes it.
          buf[p++] = 0xef
          buf[p++] = 0xbf
          buf[p++] = 0xbd
        }
      }
    }
    const length = p - start
    if (length < 128) {
      buf[this.pos] = length
      this.pos = p
    } else {
      buf.copyWithin(start + 1, start, p)
      buf[this.pos] = (length & 127) | 128
      buf[this.pos + 1] = length >>> 7
      this.pos = p + 1
    }
  }

  /** Starts a length-delimited value: reserves one byte for its length, returns where. */
  fork(): number {
    this.ensure(1)
    return this.pos++
  }

  /** Ends the value begun at `at`, writing its length there (moving the value if it needs more). */
  ldelim(at: number): void {
    const length = this.pos - at - 1
    if (length < 128) {
      this.buf[at] = length
      return
    }
    let size = 2
    while (length >= 2 ** (7 * size)) size++
    this.ensure(size - 1)
    const buf = this.buf
    buf.copyWithin(at + size, at + 1, this.pos)
    let v = length
    let p = at
    while (v > 127) {
      buf[p++] = (v & 127) | 128
      v = Math.floor(v / 128)
    }
    buf[p] = v
    this.pos += size - 1
  }
}

function int64Bits(value: unknown, field: string): { lo: number; hi: number } {
  let big: bigint
  switch (typeof value) {
    case 'bigint':
      big = value
      break
    case 'number':
      if (!Number.isInteger(value)) throw new TypeError(`${field}: ${value} is not an integer`)
      big = BigInt(value)
      break
    case 'string':
      big = BigInt(value)
      break
    default: {
      // A protobufjs Long (or anything with low/high words), as the other codec accepts.
      const long = value as { low?: unknown; high?: unknown } | null
      if (long !== null && typeof long?.low === 'number' && typeof long.high === 'number')
        return { lo: long.low >>> 0, hi: long.high >>> 0 }
      throw new TypeError(`${field}: ${String(value)} is not an int64`)
    }
  }
  const u = BigInt.asUintN(64, big)
  return { lo: Number(u & 0xffffffffn), hi: Number(u >> 32n) }
}

// --- code generation --------------------------------------------------------------------------

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_DELIMITED = 2
const WIRE_FIXED32 = 5

/** How one scalar type is written: its wire type and the statement writing `v`. */
interface ScalarWriter {
  readonly wire: number
  readonly write: (v: string, field: string) => string
}

const SCALARS = {
  double: { wire: WIRE_FIXED64, write: (v) => `w.double(${v})` },
  float: { wire: WIRE_FIXED32, write: (v) => `w.float(${v})` },
  int32: { wire: WIRE_VARINT, write: (v) => `w.i32(${v})` },
  uint32: { wire: WIRE_VARINT, write: (v) => `w.u32(${v})` },
  sint32: { wire: WIRE_VARINT, write: (v) => `w.s32(${v})` },
  fixed32: { wire: WIRE_FIXED32, write: (v) => `w.fixed32(${v})` },
  sfixed32: { wire: WIRE_FIXED32, write: (v) => `w.fixed32(${v})` },
  int64: { wire: WIRE_VARINT, write: (v, f) => `w.i64(${v},0,${f})` },
  uint64: { wire: WIRE_VARINT, write: (v, f) => `w.i64(${v},0,${f})` },
  sint64: { wire: WIRE_VARINT, write: (v, f) => `w.i64(${v},1,${f})` },
  fixed64: { wire: WIRE_FIXED64, write: (v, f) => `w.i64(${v},2,${f})` },
  sfixed64: { wire: WIRE_FIXED64, write: (v, f) => `w.i64(${v},2,${f})` },
  bool: { wire: WIRE_VARINT, write: (v) => `w.bool(${v})` },
  string: { wire: WIRE_DELIMITED, write: (v, f) => `w.string(${v},${f})` },
  bytes: { wire: WIRE_DELIMITED, write: (v, f) => `w.bytes(${v},${f})` },
} satisfies Record<string, ScalarWriter>

function scalarOf(typeName: string): ScalarWriter | undefined {
  return Object.hasOwn(SCALARS, typeName) ? SCALARS[typeName as keyof typeof SCALARS] : undefined
}

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])

/** The helpers generated code calls; only on failure do they build text. */
const failures = {
  notMessage(type: string, value: unknown): never {
    throw new TypeError(`${type}: expected a message, got ${value === null ? 'null' : typeof value}`)
  },
  notArray(field: string): never {
    throw new TypeError(`${field}: expected an array`)
  },
  notMap(field: string): never {
    throw new TypeError(`${field}: expected an object of map entries`)
  },
  unknownEnum(field: string, value: string): never {
    throw new TypeError(`${field}: unknown enum value ${value}`)
  },
  tooDeep(): never {
    // protobufjs's words, so a caller sees the same failure from either codec.
    throw new Error('max depth exceeded')
  },
}

type EncodeFn = (message: unknown, depth: number) => void

/** Generated encoders of every message type met so far, and the enums they name. */
class EncoderRegistry {
  readonly #sink: ByteSink
  readonly #indexOf = new Map<protobuf.Type, number>()
  readonly #functions: EncodeFn[] = []
  readonly #enums: Readonly<Record<string, number>>[] = []

  constructor(sink: ByteSink) {
    this.#sink = sink
  }

  /** The encode function of `type`, generating it (and those of the types it holds) once. */
  functionOf(type: protobuf.Type): EncodeFn {
    const index = this.#indexFor(type)
    const fn = this.#functions[index]
    if (fn === undefined) throw new Error(`no encoder for ${type.fullName}`)
    return fn
  }

  #indexFor(type: protobuf.Type): number {
    const known = this.#indexOf.get(type)
    if (known !== undefined) return known
    const index = this.#functions.length
    this.#indexOf.set(type, index)
    // A placeholder keeps the slot while the types this one refers to are generated.
    this.#functions.push(() => {})
    this.#functions[index] = this.#generate(type)
    return index
  }

  #enumIndex(values: Readonly<Record<string, number>>): number {
    const at = this.#enums.indexOf(values)
    if (at >= 0) return at
    this.#enums.push(values)
    return this.#enums.length - 1
  }

  #generate(type: protobuf.Type): EncodeFn {
    const typeName = type.fullName.replace(/^\./, '')
    const lines = [
      `if(typeof m!=="object"||m===null)x.notMessage(${JSON.stringify(typeName)},m)`,
      `if(q>${MAX_DEPTH})x.tooDeep()`,
      'let v',
    ]
    const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id)
    for (const field of fields) {
      field.resolve()
      lines.push(...this.#fieldCode(typeName, field))
    }
    const source = `return function encode_${type.name}(m,q){\n${lines.join('\n')}\n}`
    const factory = new Function('w', 'F', 'E', 'x', source) as (
      sink: ByteSink,
      functions: EncodeFn[],
      enums: Readonly<Record<string, number>>[],
      fail: typeof failures,
    ) => EncodeFn
    return factory(this.#sink, this.#functions, this.#enums, failures)
  }

  #fieldCode(typeName: string, field: protobuf.Field): string[] {
    if (field.delimited) throw new Error(`${typeName}.${field.name}: groups are not supported`)
    const name = JSON.stringify(field.name)
    const where = JSON.stringify(`${typeName}.${field.name}`)
    const read = `v=m[${name}]`
    const id = field.id
    if (field instanceof protobuf.MapField) {
      const keyScalar = scalarOf(field.keyType)
      if (keyScalar === undefined) throw new Error(`${where}: unsupported map key ${field.keyType}`)
      // Object keys are strings; 64-bit keys are parsed, and gathered into a fresh object
      // under their canonical decimal text (its key order is the one the other codec writes).
      const keys = INT64_TYPES.has(field.keyType)
        ? `const c={};for(const k of Object.keys(v))c[BigInt(k).toString()]=v[k];v=c`
        : ''
      return [
        `${read};if(v!=null){if(typeof v!=="object")x.notMap(${where});${keys}`,
        `for(const k of Object.keys(v)){const e=v[k]`,
        `${tag(id, WIRE_DELIMITED)};const a=w.fork()`,
        `${tag(1, keyScalar.wire)};${keyScalar.write('k', where)}`,
        ...this.#valueCode(field, 2, 'e', where),
        'w.ldelim(a)}}',
      ]
    }
    if (field.repeated) {
      const scalar = field.resolvedType instanceof protobuf.Enum ? SCALARS.int32 : scalarOf(field.type)
      const packable = scalar !== undefined && scalar.wire !== WIRE_DELIMITED
      const body =
        field.packed && packable
          ? [
              `${tag(id, WIRE_DELIMITED)};const a=w.fork()`,
              `for(let i=0;i<v.length;i++){const e=v[i];${this.#bareValueCode(field, 'e', where)}}`,
              'w.ldelim(a)',
            ]
          : [`for(let i=0;i<v.length;i++){const e=v[i]`, ...this.#valueCode(field, id, 'e', where), '}']
      return [
        `${read};if(v!=null){if(!Array.isArray(v))x.notArray(${where});if(v.length!==0){`,
        ...body,
        '}}',
      ]
    }
    return [`${read};if(v!=null){`, ...this.#valueCode(field, id, 'v', where), '}']
  }

  /** Writes value `v` of `field` under field number `id`: tag, then the value. */
  #valueCode(field: protobuf.Field, id: number, v: string, where: string): string[] {
    const resolved = field.resolvedType
    if (resolved instanceof protobuf.Type) {
      const index = this.#indexFor(resolved)
      return [`${tag(id, WIRE_DELIMITED)};{const b=w.fork();F[${index}](${v},q+1);w.ldelim(b)}`]
    }
    const scalar = resolved instanceof protobuf.Enum ? SCALARS.int32 : scalarOf(field.type)
    if (scalar === undefined) throw new Error(`${where}: unsupported type ${field.type}`)
    return [`${tag(id, scalar.wire)};${this.#bareValueCode(field, v, where)}`]
  }

  /** Writes value `v` of a scalar or enum `field` without a tag (the packed form). */
  #bareValueCode(field: protobuf.Field, v: string, where: string): string {
    const resolved = field.resolvedType
    if (resolved instanceof protobuf.Enum) {
      const e = `E[${this.#enumIndex(resolved.values)}]`
      return `w.i32(typeof ${v}==="string"?(Object.hasOwn(${e},${v})?${e}[${v}]:x.unknownEnum(${where},${v})):${v})`
    }
    const scalar = scalarOf(field.type)
    if (scalar === undefined) throw new Error(`${where}: unsupported type ${field.type}`)
    return scalar.write(v, where)
  }
}

/** The statement writing the tag of field `id`: one byte for the fields numbered below 16. */
function tag(id: number, wire: number): string {
  const value = ((id << 3) | wire) >>> 0
  return value < 128 ? `w.byte(${value})` : `w.u32(${value})`
}

const sink = new ByteSink()
const registry = new EncoderRegistry(sink)

/**
 * The encoder of `type`, generated on first use (with those of the message types it holds).
 * The encoder throws a TypeError naming the field when a value has the wrong shape.
 */
export function createMessageEncoder<T>(type: protobuf.Type): MessageEncoder<T> {
  const encode = registry.functionOf(type)
  return (value) => {
    sink.reset()
    encode(value, 0)
    return sink.finish()
  }
}
