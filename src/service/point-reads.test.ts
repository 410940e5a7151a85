import { describe, expect, it } from 'vitest'
import { RPC_NAMES } from '../proto/messages.js'
import { isBoundedPage, isPointRead, MAX_POINT_READ_KEYS, MAX_POINT_READ_TOKEN_CHARS } from './point-reads.js'
import { accessOf } from './worker-pool.js'

const ids = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1))

describe('isPointRead', () => {
  it.each([
    ['GetArtifactsByID', { artifact_ids: ids(10) }],
    ['GetExecutionsByID', { execution_ids: ids(MAX_POINT_READ_KEYS) }],
    ['GetContextsByID', { context_ids: [] }],
    ['GetContextTypesByID', {}],
    ['GetArtifactsByExternalIds', { external_ids: ['a', 'b'] }],
    ['GetArtifactType', { type_name: 'Model' }],
    ['GetExecutionTypes', {}],
    ['GetContextByTypeAndName', { type_name: 'Run', context_name: 'r1' }],
  ] as const)('%s (case %#) is a point read', (rpc, request) => {
    expect(isPointRead(rpc, request)).toBe(true)
  })

  it.each([
    ['GetArtifactsByID', { artifact_ids: ids(MAX_POINT_READ_KEYS + 1) }],
    ['GetContextsByExternalIds', { external_ids: Array.from({ length: MAX_POINT_READ_KEYS + 1 }, String) }],
    ['GetArtifacts', { options: {} }],
    ['GetArtifactsByType', { type_name: 'Model' }],
    ['GetArtifactsByURI', { uris: ['s3://a'] }],
    ['GetEventsByArtifactIDs', { artifact_ids: [1n] }],
    ['GetArtifactsByContext', { context_id: 1n }],
    ['GetChildrenContextsByContext', { context_id: 1n }],
    ['GetLineageSubgraph', {}],
  ] as const)('%s (case %#) is not a point read', (rpc, request) => {
    expect(isPointRead(rpc, request)).toBe(false)
  })

  it('never takes a write for a point read', () => {
    for (const rpc of RPC_NAMES.filter((r) => accessOf(r) === 'write'))
      expect(isPointRead(rpc, {})).toBe(false)
  })
})

describe('isBoundedPage', () => {
  it.each([
    ['GetArtifacts', { options: {} }],
    ['GetExecutions', { options: { max_result_size: 100, order_by_field: { field: 1, is_asc: false } } }],
    [
      'GetContexts',
      { options: { next_page_token: 'x'.repeat(MAX_POINT_READ_TOKEN_CHARS), filter_query: '' } },
    ],
    ['GetArtifacts', { options: { filter_query: null, next_page_token: null } }],
  ] as const)('%s (case %#) is a bounded page', (rpc, request) => {
    expect(isBoundedPage(rpc, request)).toBe(true)
    expect(isPointRead(rpc, request)).toBe(false)
  })

  it.each([
    ['GetArtifacts', {}],
    ['GetArtifacts', { options: null }],
    ['GetExecutions', { options: { filter_query: "name = 'a'" } }],
    ['GetContexts', { options: { next_page_token: 'x'.repeat(MAX_POINT_READ_TOKEN_CHARS + 1) } }],
    ['GetArtifactsByType', { type_name: 'Model' }],
    ['GetArtifactsByType', { type_name: 'Model', options: {} }],
    ['GetExecutionsByContext', { context_id: 1n, options: {} }],
    ['GetArtifactsByID', { artifact_ids: [1n], options: {} }],
  ] as const)('%s (case %#) is not a bounded page', (rpc, request) => {
    expect(isBoundedPage(rpc, request)).toBe(false)
  })
})
