// The generated encoder against the protobufjs-based codec of wire-codec.ts, byte for byte, over
// random messages of every message type the MLMD protos hold (fast-check, built from the same
// reflection), with the edge values of each field type mixed in.
import fc from 'fast-check'
import protobuf from 'protobufjs'
import { describe, expect, it } from 'vitest'
import { loadMlmdRoot, messageType } from '../proto/load-root.js'
import type * as m from '../proto/messages.js'
import { Artifact_State } from '../proto/messages.js'
import { createMessageEncoder } from './message-encoder.js'
import { metadataStoreServiceDefinition, responseCodec } from './service-definition.js'
import { createMessageCodec } from './wire-codec.js'

const RUNS = Number(process.env.ENCODER_PROPERTY_RUNS ?? 100)
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n
const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
/** Nesting of message fields in generated values (Struct, ArtifactStructType… are recursive). */
const MAX_NESTING = 4

type Plain = Record<string, unknown>

/** Every message type of the MLMD protos and every type their fields reach (Struct, Any…). */
function mlmdMessageTypes(): protobuf.Type[] {
  const found = new Set<protobuf.Type>()
  const visit = (type: protobuf.Type) => {
    if (found.has(type)) return
    found.add(type)
    for (const field of type.fieldsArray) {
      field.resolve()
      if (field.resolvedType instanceof protobuf.Type) visit(field.resolvedType)
    }
    for (const nested of type.nestedArray) if (nested instanceof protobuf.Type) visit(nested)
  }
  const walk = (namespace: protobuf.NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) visit(nested)
      else if (nested instanceof protobuf.Namespace) walk(nested)
    }
  }
  walk(loadMlmdRoot().lookup('ml_metadata') as protobuf.Namespace)
  return [...found].sort((a, b) => a.fullName.localeCompare(b.fullName))
}

// --- values -------------------------------------------------------------------------------------

const int64Edges = [
  0n,
  1n,
  -1n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 32n,
  2n ** 53n + 1n,
  -(2n ** 53n) - 1n,
  INT64_MIN,
  INT64_MAX,
]

const int64: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...int64Edges) },
  { weight: 6, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }) },
  // The store hands out bigints; integral numbers and decimal text are accepted as well.
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(String) },
)
const uint64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 63n, UINT64_MAX),
  fc.bigInt({ min: 0n, max: UINT64_MAX }),
)
const int32 = fc.oneof(
  fc.constantFrom(0, -1, INT32_MIN, INT32_MAX, 127, 128),
  fc.integer({ min: INT32_MIN, max: INT32_MAX }),
)
const uint32 = fc.oneof(fc.constantFrom(0, 127, 128, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
const double = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    -0,
    0,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_VALUE,
    5e-324,
  ),
  fc.double(),
)
// A string crossing 64 code units takes the native path; 128 bytes and more need a two-byte
// length. Lone surrogates are left out: the two encoders write them differently on purpose.
const text = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 70 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 70 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 40, maxLength: 400 }) },
)
// Large bytes outgrow the encoder's first buffer (64 KiB) and need a three-byte length.
const largeBytes = fc.integer({ min: 60_000, max: 200_000 }).map((n) => {
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + n) & 255
  return bytes
})
const bytes = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: largeBytes },
)

const SCALARS: Record<string, fc.Arbitrary<unknown>> = {
  double,
  float: fc.oneof(double, fc.float()),
  int32,
  sint32: int32,
  sfixed32: int32,
  uint32,
  fixed32: uint32,
  int64,
  sint64: int64,
  sfixed64: int64,
  uint64,
  fixed64: uint64,
  bool: fc.boolean(),
  string: text,
  bytes,
}

function scalar(typeName: string): fc.Arbitrary<unknown> {
  const arbitrary = SCALARS[typeName]
  if (arbitrary === undefined) throw new Error(`no arbitrary for ${typeName}`)
  return arbitrary
}

// `__proto__` is an ordinary key (src/proto/map-entries.ts), so it is drawn now and then.
const mapKey = (keyType: string): fc.Arbitrary<string> =>
  keyType === 'string'
    ? fc.oneof(
        { weight: 9, arbitrary: text },
        { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor') },
      )
    : (scalar(keyType) as fc.Arbitrary<unknown>).map((k) => BigInt(k as bigint).toString())

function enumValue(values: Readonly<Record<string, number>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...Object.values(values)) },
    { weight: 1, arbitrary: fc.constantFrom(...Object.keys(values)) },
    { weight: 1, arbitrary: int32 },
  )
}

const messages = new Map<string, fc.Arbitrary<Plain>>()

function message(type: protobuf.Type, nesting: number): fc.Arbitrary<Plain> {
  const key = `${type.fullName}@${nesting}`
  const known = messages.get(key)
  if (known !== undefined) return known
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const field of type.fieldsArray) {
    field.resolve()
    const resolved = field.resolvedType
    let value: fc.Arbitrary<unknown>
    if (resolved instanceof protobuf.Type) {
      if (nesting >= MAX_NESTING) continue
      value = message(resolved, nesting + 1)
    } else if (resolved instanceof protobuf.Enum) {
      value = enumValue(resolved.values)
    } else {
      value = scalar(field.type)
    }
    if (field instanceof protobuf.MapField) {
      value = fc.dictionary(mapKey(field.keyType), value, { maxKeys: 4 })
    } else if (field.repeated) {
      value = fc.array(value, { maxLength: 5 })
    }
    // Unset fields are absent, undefined or null: none of them is written.
    model[field.name] = fc.oneof(
      { weight: 8, arbitrary: value },
      { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
    )
  }
  const arbitrary = fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Plain>
  messages.set(key, arbitrary)
  return arbitrary
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

// --- tests --------------------------------------------------------------------------------------

describe('message-encoder', () => {
  const types = mlmdMessageTypes()

  it('covers every message type of the MLMD protos, with the well-known types they use', () => {
    const names = types.map((t) => t.fullName)
    expect(names).toEqual(
      expect.arrayContaining([
        '.ml_metadata.Artifact',
        '.ml_metadata.GetArtifactsByTypeResponse',
        '.ml_metadata.PutLineageSubgraphResponse',
        '.ml_metadata.GetParentContextsByContextsResponse',
        '.google.protobuf.Struct',
        '.google.protobuf.Value',
        '.google.protobuf.ListValue',
        '.google.protobuf.Any',
        '.google.protobuf.FieldMask',
      ]),
    )
    expect(types.length).toBeGreaterThan(150)
  })

  describe.each(types.map((type) => [type.fullName.slice(1), type] as const))('%s', (_name, type) => {
    it('writes the bytes of the protobufjs codec for random messages', () => {
      const reference = createMessageCodec<Plain>(type)
      const encode = createMessageEncoder<Plain>(type)
      fc.assert(
        fc.property(message(type, 0), (value) => {
          expect(hex(encode(value))).toBe(hex(reference.encode(value)))
        }),
        { numRuns: RUNS },
      )
    })
  })

  describe('edge values', () => {
    const artifacts = createMessageEncoder<Plain>(messageType('ml_metadata.GetArtifactsByTypeResponse'))
    const reference = createMessageCodec<Plain>(messageType('ml_metadata.GetArtifactsByTypeResponse'))
    const same = (value: Plain) => expect(hex(artifacts(value))).toBe(hex(reference.encode(value)))

    it.each(int64Edges)('writes int64 %s exactly', (v) => {
      same({ artifacts: [{ id: v, type_id: v, properties: { p: { int_value: v } } }] })
    })

    it('writes -1 as a ten-byte varint', () => {
      expect(hex(createMessageEncoder<Plain>(messageType('ml_metadata.Artifact'))({ id: -1n }))).toBe(
        '08ffffffffffffffffff01',
      )
    })

    it('packs repeated int64 only where the proto says [packed = true]', () => {
      const unpacked = createMessageEncoder<Plain>(messageType('ml_metadata.PutArtifactsResponse'))
      const packed = createMessageEncoder<Plain>(messageType('ml_metadata.PutLineageSubgraphResponse'))
      expect(hex(unpacked({ artifact_ids: [1n, 300n] }))).toBe('080108ac02')
      expect(hex(packed({ execution_ids: [1n, 300n], artifact_ids: [] }))).toBe('0a0301ac02')
    })

    it.each([Number.NaN, -0, Number.POSITIVE_INFINITY, 5e-324])('writes double %s bit for bit', (v) => {
      same({ artifacts: [{ properties: { d: { double_value: v } } }] })
    })

    it('writes empty strings and empty bytes as set fields', () => {
      const out = artifacts({
        artifacts: [
          { uri: '', properties: { b: { proto_value: { type_url: '', value: new Uint8Array() } } } },
        ],
      })
      expect(hex(out)).toBe(
        hex(
          reference.encode({
            artifacts: [
              { uri: '', properties: { b: { proto_value: { type_url: '', value: new Uint8Array() } } } },
            ],
          }),
        ),
      )
      expect(out.length).toBeGreaterThan(4)
    })

    it('writes unicode text of every length class', () => {
      for (const s of ['é', '😀', `${'a'.repeat(63)}😀`, '€'.repeat(43), '€'.repeat(64), 'x'.repeat(20_000)])
        same({ artifacts: [{ name: s, properties: { [s]: { string_value: s } } }] })
    })

    it('writes a lone surrogate as U+FFFD, as Buffer does', () => {
      const out = createMessageEncoder<Plain>(messageType('ml_metadata.Artifact'))({ uri: 'a\ud800' })
      expect(hex(out)).toBe(`1a04${Buffer.from('a\ufffd').toString('hex')}`)
    })

    it('writes a large bytes value and the response around it', () => {
      const value = new Uint8Array(3_000_000).map((_, i) => i % 251)
      same({
        artifacts: [{ id: 1n, properties: { big: { proto_value: { type_url: 't', value } } } }, { id: 2n }],
      })
    })

    const nestedStruct = (depth: number): Plain => {
      let value: Plain = { number_value: 1 }
      for (let i = 0; i < depth; i++) value = { struct_value: { fields: { k: value } } }
      return value
    }

    it('writes a Struct nested as deep as protobufjs allows, and refuses one level more', () => {
      const struct = createMessageEncoder<Plain>(messageType('google.protobuf.Value'))
      const old = createMessageCodec<Plain>(messageType('google.protobuf.Value'))
      const deepest = nestedStruct(50) // Value and Struct alternate: 100 levels below the top
      expect(hex(struct(deepest))).toBe(hex(old.encode(deepest)))
      const tooDeep = { struct_value: { fields: { k: deepest } } }
      expect(() => old.encode(tooDeep)).toThrow('max depth exceeded')
      expect(() => struct(tooDeep)).toThrow('max depth exceeded')
      // The next call starts from a clean buffer.
      expect(hex(struct(deepest))).toBe(hex(old.encode(deepest)))
    })

    it('writes int64 map keys under their decimal value, in the order of the other codec', () => {
      const type = messageType('ml_metadata.GetParentContextsByContextsResponse')
      const value = { contexts: { '9': {}, '-3': { parent_contexts: [{ id: 1n }] }, '07': {}, '7': {} } }
      expect(hex(createMessageEncoder<Plain>(type)(value))).toBe(
        hex(createMessageCodec<Plain>(type).encode(value)),
      )
    })
  })

  describe('bad shapes', () => {
    const encode = createMessageEncoder<Plain>(messageType('ml_metadata.GetArtifactsByTypeResponse'))

    it.each([
      [{ artifacts: {} }, /GetArtifactsByTypeResponse.artifacts: expected an array/],
      [{ artifacts: ['x'] }, /ml_metadata.Artifact: expected a message, got string/],
      [{ artifacts: [{ id: 1.5 }] }, /Artifact.id: 1.5 is not an integer/],
      [{ artifacts: [{ id: {} }] }, /Artifact.id: .* is not an int64/],
      [{ artifacts: [{ state: 'ALIVE' }] }, /Artifact.state: unknown enum value ALIVE/],
      [{ artifacts: [{ uri: 7 }] }, /Artifact.uri: expected a string/],
      [{ artifacts: [{ properties: 5 }] }, /Artifact.properties: expected an object of map entries/],
      [
        { artifacts: [{ properties: { p: { proto_value: { value: 'AAA=' } } } }] },
        /Any.value: expected a Uint8Array/,
      ],
    ])('refuses %j with a TypeError naming the field', (value, message) => {
      expect(() => encode(value)).toThrow(message)
      expect(() => encode(value)).toThrow(TypeError)
    })
  })

  describe('in the service', () => {
    const answer: m.GetArtifactsByTypeResponse = {
      artifacts: [
        {
          id: 2n ** 60n,
          type_id: 10n,
          type: 'Model',
          uri: 's3://m/1',
          state: Artifact_State.LIVE,
          properties: { p: { int_value: -3n } },
          custom_properties: {},
        },
      ],
      next_page_token: 'abc',
    }
    // A lone surrogate is where the two encoders differ, so it shows which one is in use.
    const marked: m.GetArtifactsByTypeResponse = { artifacts: [{ name: 'x\udc00' }] }
    const reference = createMessageCodec<m.GetArtifactsByTypeResponse>(
      messageType('ml_metadata.GetArtifactsByTypeResponse'),
    )

    it('serializes responses on the main thread with the generated encoder', () => {
      const serialize = metadataStoreServiceDefinition().GetArtifactsByType.responseSerialize
      expect(hex(serialize(answer))).toBe(hex(reference.encode(answer)))
      expect(hex(serialize(marked))).toContain('efbfbd')
    })

    it('gives store workers the generated encoder', () => {
      const codec = responseCodec('GetArtifactsByType')
      expect(hex(codec.encode(answer))).toBe(hex(reference.encode(answer)))
      expect(hex(codec.encode(marked))).toContain('efbfbd')
      expect(codec.decode(codec.encode(answer))).toEqual(answer)
    })
  })
})
