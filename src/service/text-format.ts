/**
 * A parser for protobuf text format (what `--metadata_store_server_config_file` holds; MLMD
 * reads it with C++ `TextFormat::ParseFromString`), driven by the protobufjs reflection, into
 * the plain message shapes of `src/proto/messages.ts` (int64 as bigint, enums as numbers).
 *
 * Supported: nested messages (`name { … }` or `name: < … >`, colon optional), strings in single
 * or double quotes with C escapes and adjacent-literal concatenation, integers (decimal, hex,
 * octal, negative), floats (incl. `inf`, `nan`), bools, enums by name or number, repeated
 * fields (repeated occurrences or `[a, b]`), map fields as `key`/`value` entries, `#` comments,
 * and `,`/`;` separators. Not supported: extensions (`[pkg.ext]`) and `Any` expansion.
 * Unknown field names are errors, as in C++.
 *
 * @example
 * ```ts
 * parseTextFormat(root.lookupType('ml_metadata.MetadataStoreServerConfig'),
 *   'connection_config { sqlite { filename_uri: "/data/mlmd.db" } }')
 * // → { connection_config: { sqlite: { filename_uri: '/data/mlmd.db' } } }
 * ```
 */
import protobuf from 'protobufjs'
import { Code, MlmdError } from '../errors.js'
import { setEntry } from '../proto/map-entries.js'

type Plain = Record<string, unknown>

type TokenKind = 'identifier' | 'number' | 'string' | 'symbol' | 'end'

interface Token {
  readonly kind: TokenKind
  /** The text (for strings: the decoded bytes as a UTF-8 string). */
  readonly text: string
  readonly line: number
  readonly column: number
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  n: 0x0a,
  t: 0x09,
  r: 0x0d,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  v: 0x0b,
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  '?': 0x3f,
}

class Tokenizer {
  readonly #text: string
  #pos = 0
  #line = 1
  #lineStart = 0
  #peeked: Token | undefined

  constructor(text: string) {
    this.#text = text
  }

  error(message: string, at?: Token): MlmdError {
    const line = at?.line ?? this.#line
    const column = at?.column ?? this.#pos - this.#lineStart + 1
    return new MlmdError(Code.InvalidArgument, `text format, line ${line}, column ${column}: ${message}`)
  }

  peek(): Token {
    this.#peeked ??= this.#read()
    return this.#peeked
  }

  next(): Token {
    const token = this.peek()
    this.#peeked = undefined
    return token
  }

  /** Consumes `symbol` if it is next. */
  accept(symbol: string): boolean {
    const token = this.peek()
    if (token.kind === 'symbol' && token.text === symbol) {
      this.next()
      return true
    }
    return false
  }

  expect(symbol: string): void {
    const token = this.next()
    if (token.kind !== 'symbol' || token.text !== symbol) {
      throw this.error(`expected "${symbol}", found ${describe(token)}`, token)
    }
  }

  #skipSpaceAndComments(): void {
    const text = this.#text
    while (this.#pos < text.length) {
      const c = text[this.#pos]
      if (c === '\n') {
        this.#pos++
        this.#line++
        this.#lineStart = this.#pos
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.#pos++
      } else if (c === '#') {
        while (this.#pos < text.length && text[this.#pos] !== '\n') this.#pos++
      } else {
        return
      }
    }
  }

  #read(): Token {
    this.#skipSpaceAndComments()
    const text = this.#text
    const line = this.#line
    const column = this.#pos - this.#lineStart + 1
    if (this.#pos >= text.length) return { kind: 'end', text: '', line, column }
    const c = text[this.#pos] as string
    if (c === '"' || c === "'") {
      return { kind: 'string', text: this.#readString(c), line, column }
    }
    const word = /[A-Za-z_][A-Za-z0-9_]*/y
    word.lastIndex = this.#pos
    const identifier = word.exec(text)
    if (identifier !== null) {
      this.#pos += identifier[0].length
      return { kind: 'identifier', text: identifier[0], line, column }
    }
    // Numbers, including a sign, hex, exponents and float suffixes (`1.5f`).
    const number = /-?(?:0[xX][0-9A-Fa-f]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?)/y
    number.lastIndex = this.#pos
    const numeric = number.exec(text)
    if (numeric !== null) {
      this.#pos += numeric[0].length
      return { kind: 'number', text: numeric[0], line, column }
    }
    if (c === '-') {
      // `-inf`, `-nan`: a sign before an identifier.
      this.#pos++
      const rest = this.#read()
      if (rest.kind !== 'identifier') throw this.error('expected a number after "-"', rest)
      return { kind: 'number', text: `-${rest.text}`, line, column }
    }
    if ('{}<>[]:,;'.includes(c)) {
      this.#pos++
      return { kind: 'symbol', text: c, line, column }
    }
    throw this.error(`unexpected character ${JSON.stringify(c)}`)
  }

  #readString(quote: string): string {
    const text = this.#text
    const bytes: number[] = []
    this.#pos++ // opening quote
    for (;;) {
      if (this.#pos >= text.length) throw this.error('unterminated string')
      const c = text[this.#pos] as string
      if (c === quote) {
        this.#pos++
        break
      }
      if (c === '\n') {
        // C++ rejects raw newlines in strings; PEM blocks pasted verbatim are common enough in
        // hand-written configs that we keep them.
        this.#line++
        this.#lineStart = this.#pos + 1
      }
      if (c !== '\\') {
        const codePoint = text.codePointAt(this.#pos) as number
        const char = String.fromCodePoint(codePoint)
        bytes.push(...Buffer.from(char, 'utf8'))
        this.#pos += char.length
        continue
      }
      const e = text[this.#pos + 1]
      if (e === undefined) throw this.error('unterminated string')
      const simple = SIMPLE_ESCAPES[e]
      if (simple !== undefined) {
        bytes.push(simple)
        this.#pos += 2
        continue
      }
      const octal = /^[0-7]{1,3}/.exec(text.slice(this.#pos + 1, this.#pos + 4))
      if (octal !== null) {
        bytes.push(Number.parseInt(octal[0], 8) & 0xff)
        this.#pos += 1 + octal[0].length
        continue
      }
      const hex = /^[xX]([0-9A-Fa-f]{1,2})/.exec(text.slice(this.#pos + 1, this.#pos + 4))
      if (hex !== null) {
        bytes.push(Number.parseInt(hex[1] as string, 16))
        this.#pos += 1 + hex[0].length
        continue
      }
      throw this.error(`invalid escape "\\${e}"`)
    }
    return Buffer.from(bytes).toString('utf8')
  }
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'end of input' : `"${token.text}"`
}

const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
}

function parseInteger(tokens: Tokenizer, token: Token, type: string): bigint {
  if (token.kind !== 'number') throw tokens.error(`expected an integer, found ${describe(token)}`, token)
  const text = token.text
  const negative = text.startsWith('-')
  const digits = negative ? text.slice(1) : text
  let value: bigint
  if (/^0[xX][0-9A-Fa-f]+$/.test(digits)) value = BigInt(digits)
  else if (/^0[0-7]+$/.test(digits)) value = BigInt(`0o${digits.slice(1)}`)
  else if (/^[0-9]+$/.test(digits)) value = BigInt(digits)
  else throw tokens.error(`expected an integer, found ${describe(token)}`, token)
  if (negative) value = -value
  const range = INTEGER_RANGES[type] as readonly [bigint, bigint]
  if (value < range[0] || value > range[1]) throw tokens.error(`${text} is out of range for ${type}`, token)
  return value
}

function parseFloatToken(tokens: Tokenizer, token: Token): number {
  const text = token.text.toLowerCase()
  if (token.kind === 'number' || token.kind === 'identifier') {
    const sign = text.startsWith('-') ? -1 : 1
    const body = text.replace(/^-/, '')
    if (body === 'inf' || body === 'infinity') return sign * Number.POSITIVE_INFINITY
    if (body === 'nan') return Number.NaN
    if (token.kind === 'number') {
      if (/^-?0x/.test(text)) return Number(parseInteger(tokens, token, 'int64'))
      const value = Number(text.replace(/f$/, ''))
      if (!Number.isNaN(value)) return value
    }
  }
  throw tokens.error(`expected a number, found ${describe(token)}`, token)
}

const TRUE_WORDS = new Set(['true', 't', 'True', '1'])
const FALSE_WORDS = new Set(['false', 'f', 'False', '0'])

function parseScalar(tokens: Tokenizer, field: protobuf.FieldBase): unknown {
  const token = tokens.next()
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) {
    if (token.kind === 'identifier') {
      const number = resolved.values[token.text]
      if (number === undefined)
        throw tokens.error(`unknown value "${token.text}" for enum ${resolved.name}`, token)
      return number
    }
    const number = Number(parseInteger(tokens, token, 'int32'))
    if (!Object.values(resolved.values).includes(number)) {
      throw tokens.error(`unknown value ${number} for enum ${resolved.name}`, token)
    }
    return number
  }
  switch (field.type) {
    case 'string':
    case 'bytes': {
      if (token.kind !== 'string') throw tokens.error(`expected a string, found ${describe(token)}`, token)
      let value = token.text
      while (tokens.peek().kind === 'string') value += tokens.next().text
      return field.type === 'bytes' ? new Uint8Array(Buffer.from(value, 'utf8')) : value
    }
    case 'bool':
      if (TRUE_WORDS.has(token.text) && token.kind !== 'string') return true
      if (FALSE_WORDS.has(token.text) && token.kind !== 'string') return false
      throw tokens.error(`expected true or false, found ${describe(token)}`, token)
    case 'double':
    case 'float':
      return parseFloatToken(tokens, token)
    case 'int64':
    case 'sint64':
    case 'sfixed64':
    case 'uint64':
    case 'fixed64':
      return parseInteger(tokens, token, field.type)
    default:
      if (INTEGER_RANGES[field.type] !== undefined) return Number(parseInteger(tokens, token, field.type))
      throw tokens.error(`unsupported field type ${field.type}`, token)
  }
}

function parseMessageBody(tokens: Tokenizer, type: protobuf.Type, close: string): Plain {
  const out: Plain = {}
  for (;;) {
    const token = tokens.peek()
    if (token.kind === 'end') {
      if (close === '') return out
      throw tokens.error(`expected "${close}", found end of input`, token)
    }
    if (token.kind === 'symbol' && token.text === close) {
      tokens.next()
      return out
    }
    parseField(tokens, type, out)
    if (!tokens.accept(',')) tokens.accept(';')
  }
}

function parseNestedMessage(tokens: Tokenizer, type: protobuf.Type): Plain {
  if (tokens.accept('{')) return parseMessageBody(tokens, type, '}')
  if (tokens.accept('<')) return parseMessageBody(tokens, type, '>')
  const token = tokens.peek()
  throw tokens.error(`expected "{" to start a ${type.name}, found ${describe(token)}`, token)
}

function parseValue(tokens: Tokenizer, field: protobuf.Field): unknown {
  if (field instanceof protobuf.MapField) return parseMapEntry(tokens, field)
  if (field.resolvedType instanceof protobuf.Type) return parseNestedMessage(tokens, field.resolvedType)
  return parseScalar(tokens, field)
}

/** One `{ key: … value: … }` entry of a map field. */
function parseMapEntry(tokens: Tokenizer, field: protobuf.MapField): { key: unknown; value: unknown } {
  const close = tokens.accept('{') ? '}' : tokens.accept('<') ? '>' : undefined
  if (close === undefined)
    throw tokens.error(`expected "{" to start an entry of ${field.name}`, tokens.peek())
  const keyField = new protobuf.Field('key', 1, field.keyType)
  const entry: { key: unknown; value: unknown } = { key: undefined, value: undefined }
  while (!tokens.accept(close)) {
    const name = tokens.next()
    if (name.kind === 'identifier' && name.text === 'key') {
      tokens.expect(':')
      entry.key = parseScalar(tokens, keyField)
    } else if (name.kind === 'identifier' && name.text === 'value') {
      const valueIsMessage = field.resolvedType instanceof protobuf.Type
      if (!tokens.accept(':') && !valueIsMessage)
        throw tokens.error('expected ":" after "value"', tokens.peek())
      entry.value = valueIsMessage
        ? parseNestedMessage(tokens, field.resolvedType as protobuf.Type)
        : parseScalar(tokens, field)
    } else {
      throw tokens.error(
        `expected "key" or "value" in an entry of ${field.name}, found ${describe(name)}`,
        name,
      )
    }
    if (!tokens.accept(',')) tokens.accept(';')
  }
  return entry
}

function defaultOf(field: protobuf.FieldBase): unknown {
  if (field.resolvedType instanceof protobuf.Enum) return 0
  switch (field.type) {
    case 'string':
      return ''
    case 'bytes':
      return new Uint8Array()
    case 'bool':
      return false
    case 'double':
    case 'float':
      return 0
    default:
      return /64$/.test(field.type) ? 0n : 0
  }
}

function parseField(tokens: Tokenizer, type: protobuf.Type, out: Plain): void {
  const nameToken = tokens.next()
  if (nameToken.kind === 'symbol' && nameToken.text === '[') {
    throw tokens.error('extensions and Any expansions are not supported', nameToken)
  }
  if (nameToken.kind !== 'identifier')
    throw tokens.error(`expected a field name, found ${describe(nameToken)}`, nameToken)
  const field = type.fields[nameToken.text]
  if (field === undefined)
    throw tokens.error(`${type.fullName.slice(1)} has no field "${nameToken.text}"`, nameToken)
  field.resolve()
  const isMessage = field.resolvedType instanceof protobuf.Type || field instanceof protobuf.MapField
  if (!tokens.accept(':') && !isMessage) {
    throw tokens.error(`expected ":" after "${field.name}"`, tokens.peek())
  }
  const values: unknown[] = []
  if ((field.repeated || field instanceof protobuf.MapField) && tokens.accept('[')) {
    if (!tokens.accept(']')) {
      do values.push(parseValue(tokens, field))
      while (tokens.accept(','))
      tokens.expect(']')
    }
  } else {
    values.push(parseValue(tokens, field))
  }

  if (field instanceof protobuf.MapField) {
    out[field.name] ??= {}
    const map = out[field.name] as Plain
    for (const entry of values as { key: unknown; value: unknown }[]) {
      // An entry without a key or value has the field's default, as in C++.
      const key = entry.key ?? (field.keyType === 'string' ? '' : 0)
      setEntry(
        map,
        String(key),
        entry.value ?? (field.resolvedType instanceof protobuf.Type ? {} : defaultOf(field)),
      )
    }
  } else if (field.repeated) {
    out[field.name] ??= []
    ;(out[field.name] as unknown[]).push(...values)
  } else {
    if (Object.hasOwn(out, field.name))
      throw tokens.error(`non-repeated field "${field.name}" is set twice`, nameToken)
    // Setting one member of a oneof clears the others, as in C++.
    if (field.partOf !== null) for (const member of field.partOf.oneof) delete out[member]
    out[field.name] = values[0]
  }
}

/**
 * Parses `text` as a text-format `type` message into its plain shape.
 * @throws InvalidArgument (with line and column) when the text is malformed or names an
 *   unknown field or enum value.
 */
export function parseTextFormat<T = Plain>(type: protobuf.Type, text: string): T {
  const tokens = new Tokenizer(text)
  return parseMessageBody(tokens, type, '') as T
}
