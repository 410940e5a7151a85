import { describe, expect, it } from 'vitest'
import type { GetLineageSubgraphRequest } from '../proto/messages.js'
import {
  answersIdsOnly,
  idsOnlyRequest,
  lineageNodesFrom,
  REFETCHING_CLIENT_READ_MASK,
} from './lineage-nodes.js'

const CLIENT_MASK = [...REFETCHING_CLIENT_READ_MASK]

describe('lineage-nodes', () => {
  describe('answersIdsOnly', () => {
    it.each([
      ['auto', CLIENT_MASK, true],
      ['auto', [], false],
      ['auto', undefined, false],
      ['auto', ['artifacts', 'events'], false],
      ['auto', [...CLIENT_MASK, 'artifact_types'], false],
      ['auto', ['artifact_types', ...CLIENT_MASK], false],
      ['auto', [...CLIENT_MASK].reverse(), false],
      ['auto', CLIENT_MASK.slice(0, -1), false],
      ['whole', CLIENT_MASK, false],
      ['whole', [], false],
      ['ids', [], true],
      ['ids', ['artifacts'], true],
    ] as const)('%s with mask %j answers ids only: %s', (mode, paths, expected) => {
      const request = paths === undefined ? {} : { read_mask: { paths: [...paths] } }
      expect(answersIdsOnly(request, mode)).toBe(expected)
    })
  })

  describe('idsOnlyRequest', () => {
    it('asks for the node paths of the mask by their id sub-paths and keeps the others', () => {
      const request: GetLineageSubgraphRequest = {
        lineage_subgraph_query_options: { starting_artifacts: { filter_query: 'id = 1' }, max_num_hops: 2n },
        read_mask: { paths: [...CLIENT_MASK] },
      }
      expect(idsOnlyRequest(request)).toEqual({
        lineage_subgraph_query_options: request.lineage_subgraph_query_options,
        read_mask: {
          paths: [
            'artifacts.id',
            'executions.id',
            'contexts.id',
            'events',
            'attributions',
            'associations',
            'parent_contexts',
          ],
        },
      })
      expect(request.read_mask?.paths).toEqual(CLIENT_MASK)
    })

    it('asks for every field, nodes by their ids, for an empty mask', () => {
      expect(idsOnlyRequest({ read_mask: { paths: [] } }).read_mask?.paths).toEqual([
        'artifact_types',
        'execution_types',
        'context_types',
        'artifacts.id',
        'executions.id',
        'contexts.id',
        'events',
        'attributions',
        'associations',
        'parent_contexts',
      ])
      expect(idsOnlyRequest({}).read_mask?.paths).toHaveLength(10)
    })
  })

  describe('lineageNodesFrom', () => {
    it.each(['auto', 'whole', 'ids'])('accepts %s', (text) => expect(lineageNodesFrom(text)).toBe(text))
    it.each(['', 'Whole', 'none'])('refuses %j', (text) => expect(lineageNodesFrom(text)).toBeUndefined())
  })
})
