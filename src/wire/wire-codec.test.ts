import { describe, expect, it } from 'vitest'
import { messageType } from '../proto/load-root.js'
import type * as m from '../proto/messages.js'
import {
  createMessageCodec,
  findInvalidUtf8,
  hasTopLevelField,
  messageFromWire,
  messageToWire,
} from './wire-codec.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const codec = <T>(name: string) => createMessageCodec<T>(messageType(`ml_metadata.${name}`))
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('wire-codec', () => {
  describe('int64', () => {
    it.each([0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, INT64_MIN, INT64_MAX])(
      'round-trips %s exactly',
      (v) => {
        const artifacts = codec<m.Artifact>('Artifact')
        const back = artifacts.decode(
          artifacts.encode({ id: v, create_time_since_epoch: v, properties: { p: { int_value: v } } }),
        )
        expect(back.id).toBe(v)
        expect(back.create_time_since_epoch).toBe(v)
        expect(back.properties?.p?.int_value).toBe(v)
      },
    )

    it('encodes -1 as a ten-byte varint, as protoc does', () => {
      expect(hex(codec<m.Artifact>('Artifact').encode({ id: -1n }))).toBe('08ffffffffffffffffff01')
    })

    it('accepts numbers and decimal strings for int64 input', () => {
      const c = codec<m.GetArtifactsByIDRequest>('GetArtifactsByIDRequest')
      const input = { artifact_ids: [5, '9223372036854775807'] } as unknown as m.GetArtifactsByIDRequest
      expect(c.decode(c.encode(input)).artifact_ids).toEqual([5n, INT64_MAX])
    })

    it('rejects non-integral numbers', () => {
      const c = codec<m.Artifact>('Artifact')
      expect(() => c.encode({ id: 1.5 as unknown as bigint })).toThrow(/not an integer/)
    })

    it('decodes int64 map keys as decimal strings', () => {
      const c = codec<m.GetParentContextsByContextsResponse>('GetParentContextsByContextsResponse')
      const response: m.GetParentContextsByContextsResponse = {
        contexts: {
          [INT64_MAX.toString()]: { parent_contexts: [{ id: 1n, name: 'a' }] },
          [INT64_MIN.toString()]: { parent_contexts: [] },
          '7': { parent_contexts: [{ id: 2n }] },
        },
      }
      const back = c.decode(c.encode(response))
      expect(Object.keys(back.contexts ?? {}).sort()).toEqual([
        '-9223372036854775808',
        '7',
        '9223372036854775807',
      ])
      expect(back.contexts?.[INT64_MAX.toString()]?.parent_contexts?.[0]?.name).toBe('a')
      expect(back.contexts?.['7']?.parent_contexts?.[0]?.id).toBe(2n)
    })
  })

  describe('presence', () => {
    it('keeps absent fields absent and set-to-default fields present', () => {
      const c = codec<m.Artifact>('Artifact')
      expect(c.decode(c.encode({}))).toEqual({ properties: {}, custom_properties: {} })
      const back = c.decode(c.encode({ uri: '', name: '', state: 0, type_id: 0n }))
      expect(back).toEqual({
        uri: '',
        name: '',
        state: 0,
        type_id: 0n,
        properties: {},
        custom_properties: {},
      })
    })

    it('does not fill proto2 defaults', () => {
      const c = codec<m.ListOperationOptions>('ListOperationOptions')
      expect(c.decode(c.encode({ filter_query: 'x' }))).toEqual({ filter_query: 'x' })
      const withDefault = c.decode(c.encode({ max_result_size: 20 }))
      expect(withDefault).toEqual({ max_result_size: 20 })
    })

    it('always returns repeated and map fields', () => {
      const c = codec<m.PutExecutionResponse>('PutExecutionResponse')
      expect(c.decode(new Uint8Array())).toEqual({ artifact_ids: [], context_ids: [] })
    })

    it('skips undefined and null inputs', () => {
      const c = codec<m.Artifact>('Artifact')
      const input = { name: undefined, uri: null } as unknown as m.Artifact
      expect(c.encode(input)).toHaveLength(0)
    })

    it('keeps a oneof member, including a set-to-default one', () => {
      const c = codec<m.Value>('Value')
      expect(c.decode(c.encode({ int_value: 0n }))).toEqual({ int_value: 0n })
      expect(c.decode(c.encode({ string_value: '' }))).toEqual({ string_value: '' })
      expect(c.decode(c.encode({ bool_value: false }))).toEqual({ bool_value: false })
    })
  })

  describe('other types', () => {
    it('round-trips bytes as a Uint8Array copy', () => {
      const c = codec<m.Value>('Value')
      const payload = new Uint8Array([0, 1, 2, 255])
      const back = c.decode(c.encode({ proto_value: { type_url: 'type.googleapis.com/x', value: payload } }))
      expect(back.proto_value?.value).toEqual(payload)
      expect(Buffer.isBuffer(back.proto_value?.value)).toBe(false)
    })

    it('round-trips Struct values with snake_case names', () => {
      const c = codec<m.Value>('Value')
      const struct: m.Struct = {
        fields: {
          n: { number_value: 1.5 },
          s: { string_value: 'x' },
          b: { bool_value: true },
          z: { null_value: 0 },
          l: { list_value: { values: [{ number_value: 1 }, { struct_value: { fields: {} } }] } },
        },
      }
      expect(c.decode(c.encode({ struct_value: struct })).struct_value).toEqual({
        fields: {
          n: { number_value: 1.5 },
          s: { string_value: 'x' },
          b: { bool_value: true },
          z: { null_value: 0 },
          l: { list_value: { values: [{ number_value: 1 }, { struct_value: { fields: {} } }] } },
        },
      })
    })

    it('keeps enums as numbers and accepts enum names on input', () => {
      const c = codec<m.Artifact>('Artifact')
      expect(c.decode(c.encode({ state: 2 })).state).toBe(2)
      expect(c.decode(c.encode({ state: 'LIVE' as unknown as m.Artifact_State })).state).toBe(2)
      expect(() => c.encode({ state: 'NOPE' as unknown as m.Artifact_State })).toThrow(/unknown enum value/)
    })

    it('encodes the packed fields packed and the others unpacked, and decodes both', () => {
      const packed = codec<m.PutLineageSubgraphResponse>('PutLineageSubgraphResponse')
      expect(hex(packed.encode({ execution_ids: [1n, 2n], artifact_ids: [], context_ids: [] }))).toBe(
        '0a020102',
      )
      const unpacked = codec<m.PutArtifactsResponse>('PutArtifactsResponse')
      expect(hex(unpacked.encode({ artifact_ids: [1n, 2n] }))).toBe('08010802')
      // The packed form of field 1 decodes into the unpacked field as well.
      expect(unpacked.decode(Buffer.from('0a020102', 'hex')).artifact_ids).toEqual([1n, 2n])
    })

    it('rejects malformed bytes', () => {
      expect(() => codec<m.Artifact>('Artifact').decode(Buffer.from('0a05ab', 'hex'))).toThrow()
    })
  })

  describe('messageToWire / messageFromWire', () => {
    it('validate shapes with a path in the message', () => {
      const type = messageType('ml_metadata.PutArtifactsRequest')
      expect(() => messageToWire(type, { artifacts: 'x' })).toThrow(
        /PutArtifactsRequest.artifacts: expected an array/,
      )
      expect(messageFromWire(type, {})).toEqual({ artifacts: [] })
    })
  })

  describe('hasTopLevelField', () => {
    it('finds a field by number, skipping others of every wire type', () => {
      // field 2 (string "a"), field 3 varint 1, field 5 fixed32, field 6 fixed64, then field 1.
      const bytes = Buffer.from('12016118011d000000003100000000000000000a0178', 'hex')
      expect(hasTopLevelField(bytes, 1)).toBe(true)
      expect(hasTopLevelField(bytes, 4)).toBe(false)
      expect(hasTopLevelField(Buffer.from('1201610a', 'hex').subarray(0, 3), 1)).toBe(false)
    })

    it('does not look inside nested messages', () => {
      // field 2 holding the bytes of a message that itself has field 1.
      expect(hasTopLevelField(Buffer.from('12020801', 'hex'), 1)).toBe(false)
    })
  })

  describe('findInvalidUtf8', () => {
    const type = (name: string) => messageType(`ml_metadata.${name}`)
    // Encodes `message`, then overwrites the marker text `ZZZZ` with `bad` (4 bytes).
    const corrupt = (name: string, message: object, bad: number[]) => {
      const bytes = Buffer.from(codec<object>(name).encode(message))
      const at = bytes.indexOf('ZZZZ')
      expect(at).toBeGreaterThanOrEqual(0)
      Buffer.from(bad).copy(bytes, at)
      return bytes
    }
    const stray = [0x5a, 0x80, 0x5a, 0x5a] // a continuation byte without a lead byte
    const overlong = [0xc0, 0x80, 0x5a, 0x5a] // NUL in two bytes
    const surrogate = [0xed, 0xa0, 0x80, 0x5a] // U+D800 encoded, which UTF-8 forbids
    const truncated = [0x5a, 0x5a, 0x5a, 0xe2] // the first byte of a three-byte sequence

    it('accepts valid text, multi-byte characters and U+FFFD itself', () => {
      const bytes = codec<m.PutArtifactsRequest>('PutArtifactsRequest').encode({
        artifacts: [{ uri: 'héllo 🌍 \uFFFD', custom_properties: { ключ: { string_value: '值' } } }],
      })
      expect(findInvalidUtf8(type('PutArtifactsRequest'), bytes)).toBeUndefined()
    })

    it.each([
      { name: 'a stray continuation byte', bad: stray },
      { name: 'an overlong encoding', bad: overlong },
      { name: 'an encoded surrogate', bad: surrogate },
      { name: 'a truncated sequence', bad: truncated },
    ])('finds $name in a nested string field', ({ bad }) => {
      const bytes = corrupt('PutArtifactsRequest', { artifacts: [{ type_id: 1n, uri: 'ZZZZ' }] }, bad)
      expect(findInvalidUtf8(type('PutArtifactsRequest'), bytes)).toBe('PutArtifactsRequest.artifacts.uri')
    })

    it('finds it in map keys, map values, repeated strings and Struct values', () => {
      expect(
        findInvalidUtf8(
          type('PutArtifactsRequest'),
          corrupt(
            'PutArtifactsRequest',
            { artifacts: [{ custom_properties: { ZZZZ: { int_value: 1n } } }] },
            stray,
          ),
        ),
      ).toBe('PutArtifactsRequest.artifacts.custom_properties (a key)')
      expect(
        findInvalidUtf8(
          type('PutArtifactsRequest'),
          corrupt(
            'PutArtifactsRequest',
            { artifacts: [{ properties: { p: { string_value: 'ZZZZ' } } }] },
            stray,
          ),
        ),
      ).toBe('PutArtifactsRequest.artifacts.properties.string_value')
      expect(
        findInvalidUtf8(
          type('GetArtifactsByURIRequest'),
          corrupt('GetArtifactsByURIRequest', { uris: ['a', 'ZZZZ'] }, stray),
        ),
      ).toBe('GetArtifactsByURIRequest.uris')
      expect(
        findInvalidUtf8(
          type('PutContextsRequest'),
          corrupt(
            'PutContextsRequest',
            {
              contexts: [
                { custom_properties: { s: { struct_value: { fields: { k: { string_value: 'ZZZZ' } } } } } },
              ],
            },
            stray,
          ),
        ),
      ).toBe('PutContextsRequest.contexts.custom_properties.struct_value.fields.string_value')
    })

    it('leaves bytes fields alone', () => {
      const bytes = corrupt(
        'PutArtifactsRequest',
        {
          artifacts: [
            { custom_properties: { p: { proto_value: { type_url: 't', value: Buffer.from('ZZZZ') } } } },
          ],
        },
        [0xff, 0xfe, 0x80, 0x00],
      )
      expect(findInvalidUtf8(type('PutArtifactsRequest'), bytes)).toBeUndefined()
    })
  })
})
