import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { checkRequestLimits, MAX_IDS_PER_REQUEST, MAX_ITEMS_PER_PUT } from './limits.js'
import { createMetadataStore } from './metadata-store.js'

const ids = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1))

describe('limits', () => {
  describe('checkRequestLimits', () => {
    it('accepts lists up to the limits', () => {
      expect(() => checkRequestLimits({ artifact_ids: ids(MAX_IDS_PER_REQUEST) })).not.toThrow()
      expect(() =>
        checkRequestLimits({ artifacts: Array.from({ length: MAX_ITEMS_PER_PUT }, () => ({})) }),
      ).not.toThrow()
      expect(() => checkRequestLimits(undefined)).not.toThrow()
    })

    it.each([
      ['artifact_ids', MAX_IDS_PER_REQUEST, 'ids'],
      ['uris', MAX_IDS_PER_REQUEST, 'ids'],
      ['external_ids', MAX_IDS_PER_REQUEST, 'ids'],
      ['events', MAX_ITEMS_PER_PUT, 'entries'],
      ['artifact_event_pairs', MAX_ITEMS_PER_PUT, 'entries'],
      ['event_edges', MAX_ITEMS_PER_PUT, 'entries'],
    ])('refuses %s beyond %i with INVALID_ARGUMENT naming the field', (field, max, what) => {
      let error: unknown
      try {
        checkRequestLimits({ [field]: Array.from({ length: max + 1 }, () => 0) })
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: `Too many ${what} in ${field}: ${max + 1}; at most ${max} are accepted in one request. Split the request.`,
      })
    })
  })

  it('applies to every operation of the store, which then stores nothing', () => {
    const store = createMetadataStore({ filename: ':memory:' })
    try {
      const { type_id } = store.putArtifactType({ artifact_type: { name: 'T' } })
      expect(() =>
        store.putArtifacts({ artifacts: Array.from({ length: MAX_ITEMS_PER_PUT + 1 }, () => ({ type_id })) }),
      ).toThrow(/Too many entries in artifacts/)
      expect(store.getArtifacts({}).artifacts).toEqual([])
      expect(() => store.getArtifactsByID({ artifact_ids: ids(MAX_IDS_PER_REQUEST + 1) })).toThrow(
        /Too many ids in artifact_ids/,
      )
      expect(store.filename).toBe(':memory:')
    } finally {
      store.close()
    }
  })
})
