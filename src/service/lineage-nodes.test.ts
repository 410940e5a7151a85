import { describe, expect, it } from 'vitest'
import type { GetLineageSubgraphResponse } from '../proto/messages.js'
import {
  answersIdsOnly,
  lineageNodesFrom,
  REFETCHING_CLIENT_READ_MASK,
  withIdsOnlyNodes,
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

  describe('withIdsOnlyNodes', () => {
    it('cuts nodes to their ids and keeps edges and types', () => {
      const response: GetLineageSubgraphResponse = {
        lineage_subgraph: {
          artifact_types: [{ id: 10n, name: 'Dataset', properties: {} }],
          execution_types: [],
          context_types: [],
          artifacts: [
            {
              id: 1n,
              type_id: 10n,
              uri: 'u',
              properties: { span: { int_value: 3n } },
              custom_properties: {},
            },
          ],
          executions: [{ id: 2n, type_id: 11n, last_known_state: 3, properties: {}, custom_properties: {} }],
          contexts: [{ id: 3n, type_id: 12n, name: 'run', properties: {}, custom_properties: {} }],
          events: [{ artifact_id: 1n, execution_id: 2n, type: 4 }],
          attributions: [{ artifact_id: 1n, context_id: 3n }],
          associations: [{ execution_id: 2n, context_id: 3n }],
          parent_contexts: [],
        },
      }
      const slim = withIdsOnlyNodes(response).lineage_subgraph
      const bare = (id: bigint) => ({ id, properties: {}, custom_properties: {} })
      expect(slim?.artifacts).toEqual([bare(1n)])
      expect(slim?.executions).toEqual([bare(2n)])
      expect(slim?.contexts).toEqual([bare(3n)])
      expect(slim?.events).toBe(response.lineage_subgraph?.events)
      expect(slim?.attributions).toBe(response.lineage_subgraph?.attributions)
      expect(slim?.associations).toBe(response.lineage_subgraph?.associations)
      expect(slim?.artifact_types).toBe(response.lineage_subgraph?.artifact_types)
      expect(response.lineage_subgraph?.artifacts?.[0]?.uri).toBe('u')
    })

    it('leaves an answer without a graph alone', () => {
      expect(withIdsOnlyNodes({})).toEqual({})
    })
  })

  describe('lineageNodesFrom', () => {
    it.each(['auto', 'whole', 'ids'])('accepts %s', (text) => expect(lineageNodesFrom(text)).toBe(text))
    it.each(['', 'Whole', 'none'])('refuses %j', (text) => expect(lineageNodesFrom(text)).toBeUndefined())
  })
})
