import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GetLineageSubgraphRequest, GetLineageSubgraphResponse } from '../proto/messages.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import { REFETCHING_CLIENT_READ_MASK } from './lineage-nodes.js'
import { storeOperation } from './store-call.js'

describe('storeOperation', () => {
  let store: OwnedMetadataStore
  const fromInput = (mask: readonly string[] | undefined): GetLineageSubgraphRequest => ({
    lineage_subgraph_query_options: { starting_artifacts: { filter_query: "uri = 'in'" } },
    ...(mask === undefined ? {} : { read_mask: { paths: [...mask] } }),
  })

  beforeAll(() => {
    store = createMetadataStore({ filename: ':memory:' })
    const { type_id: artifactType } = store.putArtifactType({ artifact_type: { name: 'Data' } })
    const { type_id: executionType } = store.putExecutionType({ execution_type: { name: 'Step' } })
    const { type_id: contextType } = store.putContextType({ context_type: { name: 'Run' } })
    const { artifact_ids } = store.putArtifacts({
      artifacts: [
        { type_id: artifactType, uri: 'in', properties: {}, custom_properties: {} },
        { type_id: artifactType, uri: 'out', properties: {}, custom_properties: {} },
      ],
    })
    const [input, output] = artifact_ids as [bigint, bigint]
    store.putExecution({
      execution: { type_id: executionType, name: 'step-1', properties: {}, custom_properties: {} },
      artifact_event_pairs: [
        { artifact: { id: input, type_id: artifactType, uri: 'in' }, event: { type: 3 } },
        { artifact: { id: output, type_id: artifactType, uri: 'out' }, event: { type: 4 } },
      ],
      contexts: [{ type_id: contextType, name: 'run-1', properties: {}, custom_properties: {} }],
    })
  })
  afterAll(() => store.close())

  const shape = (response: object) => {
    const graph = (response as GetLineageSubgraphResponse).lineage_subgraph
    return {
      uris: graph?.artifacts?.map((a) => a.uri),
      executionNames: graph?.executions?.map((e) => e.name),
      contextNames: graph?.contexts?.map((c) => c.name),
      ids: [graph?.artifacts, graph?.executions, graph?.contexts].map((nodes) => nodes?.map((n) => n.id)),
      events: graph?.events?.length,
    }
  }

  it.each([
    ['the official client mask', 'auto', REFETCHING_CLIENT_READ_MASK, true],
    ['no mask', 'auto', undefined, false],
    ['a partial mask', 'auto', ['artifacts', 'events'], false],
    ['the official client mask', 'whole', REFETCHING_CLIENT_READ_MASK, false],
    ['no mask', 'ids', undefined, true],
  ] as const)('GetLineageSubgraph with %s under %s answers ids only: %s', async (_, mode, mask, idsOnly) => {
    const whole = shape(
      storeOperation(store, 'GetLineageSubgraph', { lineageNodes: 'whole' })(fromInput(mask), undefined),
    )
    expect(whole.uris).toEqual(['in', 'out'])
    const sync = shape(
      storeOperation(store, 'GetLineageSubgraph', { lineageNodes: mode })(fromInput(mask), undefined),
    )
    const async = shape(
      await storeOperation(toAsyncMetadataStore(store), 'GetLineageSubgraph', { lineageNodes: mode })(
        fromInput(mask),
        undefined,
      ),
    )
    expect(async).toEqual(sync)
    expect(sync.ids).toEqual(whole.ids)
    expect(sync.events).toBe(2)
    if (idsOnly) {
      expect(sync).toMatchObject({
        uris: [undefined, undefined],
        executionNames: [undefined],
        contextNames: [undefined],
      })
    } else {
      expect(sync).toEqual(whole)
    }
  })

  it('answers the official client mask with ids only by default', () => {
    const answer = shape(
      storeOperation(store, 'GetLineageSubgraph')(fromInput(REFETCHING_CLIENT_READ_MASK), undefined),
    )
    expect(answer.uris).toEqual([undefined, undefined])
  })

  it('leaves other RPCs alone', () => {
    const { artifacts } = storeOperation(store, 'GetArtifacts', { lineageNodes: 'ids' })({}, undefined) as {
      artifacts: { uri?: string }[]
    }
    expect(artifacts.map((a) => a.uri)).toEqual(['in', 'out'])
  })
})
