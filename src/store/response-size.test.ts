import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { messageType } from '../proto/load-root.js'
import { createMetadataStore } from './metadata-store.js'

const KIB = 1024

// 30 artifacts of about 10 KiB each in a store whose responses may hold 64 KiB.
function storeWithLargeArtifacts(maxResponseBytes: number) {
  const store = createMetadataStore({ filename: ':memory:', maxResponseBytes })
  const { type_id } = store.putArtifactType({ artifact_type: { name: 'Blob' } })
  const { artifact_ids } = store.putArtifacts({
    artifacts: Array.from({ length: 30 }, (_, i) => ({
      type_id,
      uri: `s3://blobs/${i}`,
      custom_properties: { data: { string_value: String(i % 10).repeat(10 * KIB) } },
    })),
  })
  return { store, ids: artifact_ids }
}

const encodedBytes = (response: object) => {
  const codec = messageType('ml_metadata.GetArtifactsResponse')
  return codec.encode(codec.fromObject(response)).finish().length
}

describe('response-size cap', () => {
  it('ends a page early where it would pass the cap, and its token reaches every node', () => {
    const { store, ids } = storeWithLargeArtifacts(64 * KIB)
    const seen: bigint[] = []
    let token: string | undefined
    let pages = 0
    do {
      const page = store.getArtifacts({
        options: { max_result_size: 100, ...(token === undefined ? {} : { next_page_token: token }) },
      })
      pages++
      expect(page.artifacts.length).toBeGreaterThan(0)
      expect(page.artifacts.length).toBeLessThanOrEqual(6)
      expect(encodedBytes(page)).toBeLessThanOrEqual(64 * KIB)
      seen.push(...page.artifacts.map((a) => a.id as bigint))
      token = page.next_page_token || undefined
    } while (token !== undefined)
    expect(seen).toEqual(ids)
    expect(pages).toBe(5)
    store.close()
  })

  it('serves one node per page when a single node is over the cap', () => {
    const { store } = storeWithLargeArtifacts(4 * KIB)
    const page = store.getArtifacts({ options: { max_result_size: 10 } })
    expect(page.artifacts).toHaveLength(1)
    expect(page.next_page_token).toBeTruthy()
    store.close()
  })

  it.each([
    {
      read: 'getArtifacts without options',
      way: 'page the listing with options (max_result_size, next_page_token)',
    },
    { read: 'getArtifactsByID', way: 'ask for fewer ids at a time' },
    { read: 'getArtifactsByURI', way: 'ask for fewer ids at a time' },
  ])('refuses $read past the cap with RESOURCE_EXHAUSTED', ({ read, way }) => {
    const { store, ids } = storeWithLargeArtifacts(64 * KIB)
    const call = {
      'getArtifacts without options': () => store.getArtifacts({}),
      getArtifactsByID: () => store.getArtifactsByID({ artifact_ids: ids }),
      getArtifactsByURI: () => store.getArtifactsByURI({ uris: ids.map((_, i) => `s3://blobs/${i}`) }),
    }[read] as () => unknown
    expect(call).toThrow(
      expect.objectContaining({
        code: Code.ResourceExhausted,
        rawMessage: expect.stringMatching(
          new RegExp(
            `^The response would hold 30 artifacts of about \\d+ bytes, over the server's limit of 65536 bytes per response; ${way.replace(/[()]/g, '\\$&')}\\.$`,
          ),
        ),
      }),
    )
    // Fewer of them fit.
    expect(store.getArtifactsByID({ artifact_ids: ids.slice(0, 5) }).artifacts).toHaveLength(5)
    store.close()
  })

  it('serves everything with no cap (Infinity)', () => {
    const { store, ids } = storeWithLargeArtifacts(Infinity)
    expect(store.getArtifacts({}).artifacts).toHaveLength(ids.length)
    expect(store.getArtifacts({ options: { max_result_size: 100 } }).artifacts).toHaveLength(30)
    store.close()
  })
})
