import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { findUnknownField } from './request-fields.js'

function failure(body: () => unknown): MlmdError {
  try {
    body()
  } catch (error) {
    if (error instanceof MlmdError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

describe('unknown request fields', () => {
  it('are found at any depth, with the likely meant name', () => {
    expect(findUnknownField('ml_metadata.PutArtifactsRequest', { artifacts: [{ uri: 'a' }] })).toBeUndefined()
    expect(findUnknownField('ml_metadata.PutArtifactsRequest', { artifact: [] })).toEqual({
      path: 'artifact',
      typeName: 'PutArtifactsRequest',
      suggestion: 'artifacts',
    })
    expect(
      findUnknownField('ml_metadata.PutArtifactsRequest', {
        artifacts: [{}, { properties: { p: { int_vlue: 1n } } }],
      }),
    ).toEqual({ path: 'artifacts[1].properties["p"].int_vlue', typeName: 'Value', suggestion: 'int_value' })
    // A Struct's keys are the user's own.
    expect(
      findUnknownField('ml_metadata.Artifact', {
        properties: { s: { struct_value: { fields: { anything: { string_value: 'x' } } } } },
      }),
    ).toBeUndefined()
    expect(findUnknownField('ml_metadata.Artifact', { uri: 'a', nme: undefined })).toBeUndefined()
  })

  it('are refused by the in-process store with INVALID_ARGUMENT naming the field', () => {
    const store = createMetadataStore({ filename: ':memory:' })
    const { type_id } = store.putArtifactType({ artifact_type: { name: 'Model' } })
    const error = failure(() => store.putArtifacts({ artifact: [{ type_id }] } as never))
    expect(error.code).toBe(Code.InvalidArgument)
    expect(error.rawMessage).toBe(
      'Unknown field "artifact": PutArtifactsRequest has no such field (did you mean "artifacts"?).',
    )
    expect(failure(() => store.getArtifactsByID({ artifact_ids: [], limit: 3 } as never)).rawMessage).toBe(
      'Unknown field "limit": GetArtifactsByIDRequest has no such field.',
    )
    expect(store.getArtifacts({}).artifacts).toEqual([])
    store.close()
  })
})
