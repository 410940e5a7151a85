import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { fromJson, toJson } from './json.js'
import { type Artifact, Event_Type, PropertyType } from './messages.js'

const INT64_MAX = 2n ** 63n - 1n

describe('toJson and fromJson', () => {
  it('write a stored artifact by the protobuf JSON mapping and read it back unchanged', () => {
    const store = createMetadataStore({ filename: ':memory:' })
    const { type_id } = store.putArtifactType({
      artifact_type: { name: 'Model', properties: { size: PropertyType.INT, meta: PropertyType.STRUCT } },
    })
    const { artifact_ids } = store.putArtifacts({
      artifacts: [
        {
          type_id,
          uri: 's3://m',
          properties: {
            size: { int_value: INT64_MAX },
            meta: {
              struct_value: {
                fields: { a: { list_value: { values: [{ number_value: 1.5 }, { null_value: 0 }] } } },
              },
            },
          },
          custom_properties: { score: { double_value: Number.NaN }, ok: { bool_value: true } },
        },
      ],
    })
    const [artifact] = store.getArtifactsByID({ artifact_ids }).artifacts
    store.close()
    const json = toJson('Artifact', artifact as Artifact)
    expect(json).toMatchObject({
      id: String(artifact_ids[0]),
      typeId: String(type_id),
      uri: 's3://m',
      properties: { size: { intValue: '9223372036854775807' }, meta: { structValue: { a: [1.5, null] } } },
      customProperties: { score: { doubleValue: 'NaN' }, ok: { boolValue: true } },
    })
    expect(typeof json.createTimeSinceEpoch).toBe('string')
    const text = JSON.stringify(json)
    expect(fromJson('ml_metadata.Artifact', JSON.parse(text))).toEqual(artifact)
    expect(fromJson('Artifact', text)).toEqual(artifact)
  })

  it('write enums by name and take names or numbers back', () => {
    expect(toJson('Event', { artifact_id: 1n, type: Event_Type.OUTPUT })).toEqual({
      artifactId: '1',
      type: 'OUTPUT',
    })
    expect(fromJson('Event', { artifactId: '1', type: 'OUTPUT' })).toEqual({
      artifact_id: 1n,
      type: Event_Type.OUTPUT,
    })
    expect(fromJson('Event', { artifact_id: 1, type: 4 })).toEqual({
      artifact_id: 1n,
      type: Event_Type.OUTPUT,
    })
  })

  it('refuse unknown types, unknown fields and values of the wrong kind', () => {
    expect(() => toJson('Nothing', {})).toThrow(expect.objectContaining({ code: Code.InvalidArgument }))
    expect(() => fromJson('Artifact', { typeID: '1' })).toThrow(
      'Invalid JSON at typeID: Artifact has no such field',
    )
    expect(() => fromJson('Artifact', { id: 'x' })).toThrow('Invalid JSON at id: "x" is not an integer')
    expect(() => fromJson('Event', { type: 'SIDEWAYS' })).toThrow(
      'Invalid JSON at type: "SIDEWAYS" is not a value of Type',
    )
  })
})
