// Lineage reads: the GetLineageSubgraph* tests of metadata_store_test.cc (MLMD 1.16), the get
// half of test_put_lineage_subgraph_get_lineage_subgraph[_with_direction]
// (metadata_store_test.py), and the GetLineageGraph* tests of MLMD 1.14's metadata_store_test.cc
// (the last release that implemented it; MLMD ≥ 1.15 answers UNIMPLEMENTED, mlmd-ts keeps 1.14's
// semantics on purpose). Starting, ending and boundary nodes are filter queries. Nodes are
// compared by id only: MLMD answers id-only nodes, mlmd-ts whole ones.
import { expect, it } from 'vitest'
import {
  Artifact_State,
  type AsyncMetadataStore,
  Code,
  LineageSubgraphQueryOptions_Direction as Direction,
  Event_Type,
  type GetLineageSubgraphRequest,
  type LineageGraph,
  type LineageSubgraphQueryOptions,
  type LineageSubgraphQueryOptions_Direction,
  PropertyType,
} from '../src/index.js'
import { eventPairs, expectCode, ids, sorted, uid } from './support.js'
import { describeTargets } from './targets.js'

type Pair = readonly [number, number]

/**
 * MLMD's CreateLineageGraph, with names made unique:
 *   a0 -> e0
 *   a1 -> e1 -> a3 --> e3 -> a5
 *                   /
 *   a2 -> e2 -> a4 -           (a2 UNKNOWN, a3 DELETED, a4 LIVE)
 * Artifacts carry p1 = label and uri `uri://<prefix>/<label>`; executions p2 = `<prefix>_<label>`.
 */
async function createLineageGraph(s: AsyncMetadataStore) {
  const prefix = uid('foo')
  const t1 = uid('t1')
  const types = await s.putTypes({
    artifact_types: [{ name: t1, properties: { p1: PropertyType.STRING } }],
    execution_types: [{ name: uid('t2'), properties: { p2: PropertyType.STRING } }],
    context_types: [{ name: uid('t3'), properties: { p3: PropertyType.STRING } }],
  })
  const at = types.artifact_type_ids[0] as bigint
  const et = types.execution_type_ids[0] as bigint
  const a: bigint[] = []
  const e: bigint[] = []
  const putArtifact = async (label: string, state?: Artifact_State) => {
    const r = await s.putArtifacts({
      artifacts: [
        {
          type_id: at,
          uri: `uri://${prefix}/${label}`,
          properties: { p1: { string_value: label } },
          ...(state === undefined ? {} : { state }),
        },
      ],
    })
    a.push(r.artifact_ids[0] as bigint)
  }
  const putExecution = async (label: string, inputs: number[], outputs: number[]) => {
    const r = await s.putExecution({
      execution: { type_id: et, properties: { p2: { string_value: `${prefix}_${label}` } } },
      artifact_event_pairs: [
        ...inputs.map((i) => ({ event: { artifact_id: a[i], type: Event_Type.INPUT } })),
        ...outputs.map((i) => ({ event: { artifact_id: a[i], type: Event_Type.OUTPUT } })),
      ],
    })
    e.push(r.execution_id as bigint)
  }
  await putArtifact('a0')
  await putArtifact('a1')
  await putArtifact('a2', Artifact_State.UNKNOWN)
  await putArtifact('a3', Artifact_State.DELETED)
  await putArtifact('a4', Artifact_State.LIVE)
  await putExecution('e0', [0], [])
  await putExecution('e1', [1], [3])
  await putExecution('e2', [2], [4])
  await putArtifact('a5')
  await putExecution('e3', [3, 4], [5])
  return {
    prefix,
    t1,
    a,
    e,
    uri: (label: string) => `uri://${prefix}/${label}`,
    p2: (l: string) => `${prefix}_${l}`,
  }
}

/** The node ids and (artifact, execution) event pairs of a lineage graph. */
function skeleton(graph: LineageGraph | undefined) {
  return {
    artifacts: ids(graph?.artifacts),
    executions: ids(graph?.executions),
    events: eventPairs(graph?.events),
  }
}

function want(a: bigint[], e: bigint[], artifacts: number[], executions: number[], events: Pair[]) {
  return {
    artifacts: sorted(artifacts.map((i) => a[i] as bigint)),
    executions: sorted(executions.map((i) => e[i] as bigint)),
    events: eventPairs(events.map(([ai, ei]) => ({ artifact_id: a[ai], execution_id: e[ei] }))),
  }
}

describeTargets('lineage', (t) => {
  it('GetLineageSubgraphErrors: no starting nodes, or a starting filter_query left unset, is INVALID_ARGUMENT', async () => {
    const s = t.store()
    await expectCode(
      s.getLineageSubgraph({ lineage_subgraph_query_options: { max_num_hops: 20n } }),
      Code.InvalidArgument,
      'Missing arguments for listing starting nodes.',
    )
    await expectCode(
      s.getLineageSubgraph({ lineage_subgraph_query_options: { starting_artifacts: {}, max_num_hops: 20n } }),
      Code.InvalidArgument,
      'Cannot list starting nodes if `filter_query` is unspecified.',
    )
  })

  it('GetLineageGraph: MLMD ≥ 1.15 answers UNIMPLEMENTED; mlmd-ts (1.14 semantics) needs query nodes', async () => {
    const s = t.store()
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: GetLineageGraph works, with MLMD 1.14's semantics).
      await expectCode(s.getLineageGraph({}), Code.InvalidArgument)
    } else {
      await expectCode(s.getLineageGraph({}), Code.Unimplemented, 'GetLineageGraph is not implemented.')
    }
  })
})

describeTargets('lineage-filtered', (t) => {
  async function subgraph(s: AsyncMetadataStore, options: LineageSubgraphQueryOptions, read_mask?: string[]) {
    const request: GetLineageSubgraphRequest = {
      lineage_subgraph_query_options: options,
      ...(read_mask === undefined ? {} : { read_mask: { paths: read_mask } }),
    }
    return (await s.getLineageSubgraph(request)).lineage_subgraph
  }

  it('GetLineageSubgraphFromArtifactsWithMaxHops', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const start = { starting_artifacts: { filter_query: `uri = '${g.uri('a4')}'` } }
    const cases: [bigint | undefined, number[], number[], Pair[]][] = [
      [0n, [4], [], []],
      [
        1n,
        [4],
        [2, 3],
        [
          [4, 2],
          [4, 3],
        ],
      ],
      [
        2n,
        [2, 3, 4, 5],
        [2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
        ],
      ],
      [
        3n,
        [2, 3, 4, 5],
        [1, 2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
          [3, 1],
        ],
      ],
      [
        4n,
        [1, 2, 3, 4, 5],
        [1, 2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
          [3, 1],
          [1, 1],
        ],
      ],
      [
        undefined,
        [1, 2, 3, 4, 5],
        [1, 2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
          [3, 1],
          [1, 1],
        ],
      ],
    ]
    for (const [hops, artifacts, executions, events] of cases) {
      const graph = await subgraph(s, { ...start, ...(hops === undefined ? {} : { max_num_hops: hops }) })
      expect(skeleton(graph), `max_num_hops ${hops}`).toEqual(want(g.a, g.e, artifacts, executions, events))
    }
  })

  it('GetLineageSubgraphFromExecutionsWithMaxHops', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const start = {
      starting_executions: {
        filter_query: `properties.p2.string_value = '${g.p2('e0')}' OR properties.p2.string_value = '${g.p2('e1')}' OR properties.p2.string_value = '${g.p2('e2')}'`,
      },
    }
    const cases: [bigint | undefined, number[], number[], Pair[]][] = [
      [0n, [], [0, 1, 2], []],
      [
        1n,
        [0, 1, 2, 3, 4],
        [0, 1, 2],
        [
          [0, 0],
          [1, 1],
          [3, 1],
          [2, 2],
          [4, 2],
        ],
      ],
      [
        2n,
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3],
        [
          [0, 0],
          [1, 1],
          [3, 1],
          [2, 2],
          [4, 2],
          [3, 3],
          [4, 3],
        ],
      ],
      [
        3n,
        [0, 1, 2, 3, 4, 5],
        [0, 1, 2, 3],
        [
          [0, 0],
          [1, 1],
          [3, 1],
          [2, 2],
          [4, 2],
          [3, 3],
          [4, 3],
          [5, 3],
        ],
      ],
      [
        undefined,
        [0, 1, 2, 3, 4, 5],
        [0, 1, 2, 3],
        [
          [0, 0],
          [1, 1],
          [3, 1],
          [2, 2],
          [4, 2],
          [3, 3],
          [4, 3],
          [5, 3],
        ],
      ],
    ]
    for (const [hops, artifacts, executions, events] of cases) {
      const graph = await subgraph(s, { ...start, ...(hops === undefined ? {} : { max_num_hops: hops }) })
      expect(skeleton(graph), `max_num_hops ${hops}`).toEqual(want(g.a, g.e, artifacts, executions, events))
    }
  })

  it('GetLineageSubgraphFromArtifactsWithDirection', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const start = { starting_artifacts: { filter_query: `uri = '${g.uri('a4')}'` } }
    const cases: [LineageSubgraphQueryOptions_Direction, bigint, number[], number[], Pair[]][] = [
      [Direction.DOWNSTREAM, 1n, [4], [3], [[4, 3]]],
      [Direction.UPSTREAM, 1n, [4], [2], [[4, 2]]],
      [
        Direction.DOWNSTREAM,
        2n,
        [4, 5],
        [3],
        [
          [4, 3],
          [5, 3],
        ],
      ],
      [
        Direction.UPSTREAM,
        2n,
        [2, 4],
        [2],
        [
          [4, 2],
          [2, 2],
        ],
      ],
      [
        Direction.DOWNSTREAM,
        100n,
        [4, 5],
        [3],
        [
          [4, 3],
          [5, 3],
        ],
      ],
      [
        Direction.UPSTREAM,
        100n,
        [2, 4],
        [2],
        [
          [4, 2],
          [2, 2],
        ],
      ],
    ]
    for (const [direction, hops, artifacts, executions, events] of cases) {
      const graph = await subgraph(s, { ...start, direction, max_num_hops: hops })
      expect(skeleton(graph), `direction ${direction}, ${hops} hops`).toEqual(
        want(g.a, g.e, artifacts, executions, events),
      )
    }
  })

  it('GetLineageSubgraphFromExecutionsWithDirection', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const start = {
      starting_executions: {
        filter_query: `properties.p2.string_value = '${g.p2('e0')}' OR properties.p2.string_value = '${g.p2('e3')}'`,
      },
    }
    const cases: [LineageSubgraphQueryOptions_Direction, bigint, number[], number[], Pair[]][] = [
      [Direction.DOWNSTREAM, 1n, [5], [0, 3], [[5, 3]]],
      [
        Direction.UPSTREAM,
        1n,
        [0, 3, 4],
        [0, 3],
        [
          [0, 0],
          [3, 3],
          [4, 3],
        ],
      ],
      [Direction.DOWNSTREAM, 2n, [5], [0, 3], [[5, 3]]],
      [
        Direction.UPSTREAM,
        2n,
        [0, 3, 4],
        [0, 1, 2, 3],
        [
          [0, 0],
          [3, 3],
          [4, 3],
          [3, 1],
          [4, 2],
        ],
      ],
      [Direction.DOWNSTREAM, 100n, [5], [0, 3], [[5, 3]]],
      [
        Direction.UPSTREAM,
        100n,
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3],
        [
          [0, 0],
          [3, 3],
          [4, 3],
          [3, 1],
          [4, 2],
          [1, 1],
          [2, 2],
        ],
      ],
    ]
    for (const [direction, hops, artifacts, executions, events] of cases) {
      const graph = await subgraph(s, { ...start, direction, max_num_hops: hops })
      expect(skeleton(graph), `direction ${direction}, ${hops} hops`).toEqual(
        want(g.a, g.e, artifacts, executions, events),
      )
    }
  })

  it('GetLineageSubgraphFromWithEndingNodes', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const e = (i: number) => g.e[i] as bigint
    const cases: [
      LineageSubgraphQueryOptions_Direction,
      string,
      string,
      boolean,
      bigint,
      number[],
      number[],
      Pair[],
    ][] = [
      [Direction.DOWNSTREAM, `uri = '${g.uri('a4')}'`, '', true, 1n, [4], [], []],
      [Direction.DOWNSTREAM, `uri = '${g.uri('a4')}'`, '', false, 1n, [], [], []],
      [Direction.DOWNSTREAM, `uri = '${g.uri('a5')}'`, `id = ${e(3)}`, true, 1n, [4], [3], [[4, 3]]],
      [Direction.DOWNSTREAM, `uri = '${g.uri('a5')}'`, `id = ${e(3)}`, false, 1n, [4], [], []],
      [
        Direction.BIDIRECTIONAL,
        `uri = '${g.uri('a5')}'`,
        `id = ${e(1)} OR id = ${e(2)}`,
        true,
        20n,
        [3, 4, 5],
        [1, 2, 3],
        [
          [4, 3],
          [3, 3],
          [3, 1],
          [4, 2],
          [5, 3],
        ],
      ],
      [
        Direction.BIDIRECTIONAL,
        `uri = '${g.uri('a5')}'`,
        `id = ${e(1)} OR id = ${e(2)}`,
        false,
        20n,
        [3, 4],
        [3],
        [
          [4, 3],
          [3, 3],
        ],
      ],
    ]
    for (const [
      direction,
      endingArtifacts,
      endingExecutions,
      include,
      hops,
      artifacts,
      executions,
      events,
    ] of cases) {
      const graph = await subgraph(s, {
        starting_artifacts: { filter_query: `uri = '${g.uri('a4')}'` },
        max_num_hops: hops,
        direction,
        ending_artifacts: { filter_query: endingArtifacts, include_ending_nodes: include },
        ending_executions: { filter_query: endingExecutions, include_ending_nodes: include },
      })
      expect(
        skeleton(graph),
        `${direction} ${endingArtifacts} / ${endingExecutions} include=${include}`,
      ).toEqual(want(g.a, g.e, artifacts, executions, events))
    }
  })

  it('GetLineageSubgraphWithContexts', async () => {
    const s = t.store()
    // a0 (c0) -> e0 (c0) -> a1 (c0, c1) -> e1 (c1) -> a2 (c1, c2) -> e2 (c2) -> a3 (c2)
    const prefix = uid('c')
    const types = await s.putTypes({
      artifact_types: [{ name: uid('t1'), properties: { p1: PropertyType.STRING } }],
      execution_types: [{ name: uid('t2'), properties: { p2: PropertyType.STRING } }],
      context_types: [{ name: uid('t3'), properties: { p3: PropertyType.STRING } }],
    })
    const a = (
      await s.putArtifacts({
        artifacts: [0, 1, 2, 3].map((i) => ({
          type_id: types.artifact_type_ids[0],
          uri: `uri://${prefix}/a${i}`,
          properties: { p1: { string_value: `a${i}` } },
        })),
      })
    ).artifact_ids as bigint[]
    const contexts = [0, 1, 2].map((i) => ({
      type_id: types.context_type_ids[0],
      name: `${prefix}${i}`,
      properties: { p3: { string_value: `c${i}` } },
    }))
    const c = (await s.putContexts({ contexts })).context_ids as bigint[]
    const e: bigint[] = []
    for (const i of [0, 1, 2]) {
      const r = await s.putExecution({
        execution: { type_id: types.execution_type_ids[0], properties: { p2: { string_value: `e${i}` } } },
        artifact_event_pairs: [
          { event: { artifact_id: a[i], type: Event_Type.INPUT } },
          { event: { artifact_id: a[i + 1], type: Event_Type.OUTPUT } },
        ],
        contexts: [{ ...contexts[i], id: c[i] }],
      })
      e.push(r.execution_id as bigint)
    }
    const inContext = (alias: string, i: number) => ` ${alias}.name = '${prefix}${i}' `
    const check = async (
      options: LineageSubgraphQueryOptions,
      artifacts: number[],
      executions: number[],
      contextIdx: number[],
      events: Pair[],
      attributions: Pair[],
      associations: Pair[],
    ) => {
      const graph = await subgraph(s, { direction: Direction.DOWNSTREAM, ...options })
      expect(skeleton(graph)).toEqual(want(a, e, artifacts, executions, events))
      expect(ids(graph?.contexts)).toEqual(sorted(contextIdx.map((i) => c[i] as bigint)))
      expect((graph?.attributions ?? []).map((x) => `${x.artifact_id}:${x.context_id}`).sort()).toEqual(
        attributions.map(([ai, ci]) => `${a[ai]}:${c[ci]}`).sort(),
      )
      expect((graph?.associations ?? []).map((x) => `${x.execution_id}:${x.context_id}`).sort()).toEqual(
        associations.map(([ei, ci]) => `${e[ei]}:${c[ci]}`).sort(),
      )
    }
    const fromC0 = { starting_artifacts: { filter_query: inContext('contexts_0', 0) } }
    await check(
      { ...fromC0, max_num_hops: 0n },
      [0, 1],
      [],
      [0, 1],
      [],
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
      [],
    )
    await check(
      { ...fromC0, max_num_hops: 1n },
      [0, 1],
      [0, 1],
      [0, 1],
      [
        [0, 0],
        [1, 1],
      ],
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    )
    await check(
      { ...fromC0, max_num_hops: 2n },
      [0, 1, 2],
      [0, 1],
      [0, 1, 2],
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [2, 1],
      ],
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [2, 1],
        [2, 2],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    )
    const endInC2 = { filter_query: inContext('contexts_0', 2) }
    await check(
      {
        ...fromC0,
        max_num_hops: 20n,
        ending_artifacts: { ...endInC2, include_ending_nodes: true },
        ending_executions: { ...endInC2, include_ending_nodes: true },
      },
      [0, 1, 2],
      [0, 1],
      [0, 1, 2],
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [2, 1],
      ],
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [2, 1],
        [2, 2],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    )
    await check(
      { ...fromC0, max_num_hops: 20n, ending_artifacts: endInC2, ending_executions: endInC2 },
      [0, 1],
      [0, 1],
      [0, 1],
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
      [
        [0, 0],
        [1, 1],
      ],
    )
    const c0OrC2 = {
      starting_artifacts: { filter_query: `${inContext('contexts_0', 0)}OR${inContext('contexts_1', 2)}` },
    }
    const allAttributions: Pair[] = [
      [0, 0],
      [1, 0],
      [1, 1],
      [2, 1],
      [2, 2],
      [3, 2],
    ]
    await check({ ...c0OrC2, max_num_hops: 0n }, [0, 1, 2, 3], [], [0, 1, 2], [], allAttributions, [])
    await check(
      { ...c0OrC2, max_num_hops: 1n },
      [0, 1, 2, 3],
      [0, 1, 2],
      [0, 1, 2],
      [
        [0, 0],
        [1, 1],
        [2, 2],
      ],
      allAttributions,
      [
        [0, 0],
        [1, 1],
        [2, 2],
      ],
    )
    await check(
      { ...c0OrC2, max_num_hops: 20n },
      [0, 1, 2, 3],
      [0, 1, 2],
      [0, 1, 2],
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [2, 1],
        [2, 2],
        [3, 2],
      ],
      allAttributions,
      [
        [0, 0],
        [1, 1],
        [2, 2],
      ],
    )
    const c0AndC1 = {
      starting_artifacts: { filter_query: `${inContext('contexts_0', 0)}AND${inContext('contexts_1', 1)}` },
    }
    await check(
      { ...c0AndC1, max_num_hops: 0n },
      [1],
      [],
      [0, 1],
      [],
      [
        [1, 0],
        [1, 1],
      ],
      [],
    )
  })

  it('GetLineageSubgraphOnLargeGraphWithDirection', async () => {
    const s = t.store()
    const N_A = 102
    const N_E = 100
    const label = uid('a')
    const types = await s.putTypes({
      artifact_types: [{ name: uid('artifact_type'), properties: { p1: PropertyType.STRING } }],
      execution_types: [{ name: uid('execution_type'), properties: { p2: PropertyType.STRING } }],
      context_types: [{ name: uid('context_type'), properties: { p3: PropertyType.STRING } }],
    })
    const a = (
      await s.putArtifacts({
        artifacts: Array.from({ length: N_A }, (_, i) => ({
          type_id: types.artifact_type_ids[0],
          uri: `uri://${label}/a${i}`,
          properties: { p1: { string_value: `${label}${i}` } },
        })),
      })
    ).artifact_ids as bigint[]
    const contexts = [0, 1].map((i) => ({ type_id: types.context_type_ids[0], name: uid(`c${i}`) }))
    const c = (await s.putContexts({ contexts })).context_ids as bigint[]
    const e: bigint[] = []
    const putExecution = async (i: number, input: number, output: number, ctx: number) => {
      const r = await s.putExecution({
        execution: { type_id: types.execution_type_ids[0], properties: { p2: { string_value: `e${i}` } } },
        artifact_event_pairs: [
          { event: { artifact_id: a[input], type: Event_Type.INPUT } },
          { event: { artifact_id: a[output], type: Event_Type.OUTPUT } },
        ],
        contexts: [{ ...contexts[ctx], id: c[ctx] }],
      })
      e.push(r.execution_id as bigint)
    }
    for (let i = 0; i < N_E; i++) await putExecution(i, 0, i + 1, 0)
    for (let i = 0; i < N_E; i++) await putExecution(i, i + 1, N_A - 1, 1)

    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)
    const check = async (
      direction: LineageSubgraphQueryOptions_Direction,
      hops: bigint,
      artifacts: number[],
      executions: number[],
      ctx: number[],
      events: Pair[],
    ) => {
      const graph = await subgraph(s, {
        starting_artifacts: { filter_query: ` properties.p1.string_value = '${label}0' ` },
        direction,
        max_num_hops: hops,
      })
      expect(skeleton(graph), `${direction} ${hops} hops`).toEqual(want(a, e, artifacts, executions, events))
      expect(ids(graph?.contexts)).toEqual(sorted(ctx.map((i) => c[i] as bigint)))
    }
    const first = range(0, N_E).map((i): Pair => [0, i])
    const second = range(0, N_E).map((i): Pair => [i + 1, i])
    const third = range(0, N_E).map((i): Pair => [i + 1, i + N_E])
    const fourth = range(0, N_E).map((i): Pair => [N_A - 1, i + N_E])
    await check(Direction.DOWNSTREAM, 1n, [0], range(0, N_E), [0], first)
    await check(Direction.DOWNSTREAM, 2n, range(0, N_A - 1), range(0, N_E), [0, 1], [...first, ...second])
    await check(
      Direction.DOWNSTREAM,
      3n,
      range(0, N_A - 1),
      range(0, 2 * N_E),
      [0, 1],
      [...first, ...second, ...third],
    )
    await check(
      Direction.DOWNSTREAM,
      4n,
      range(0, N_A),
      range(0, 2 * N_E),
      [0, 1],
      [...first, ...second, ...third, ...fourth],
    )
    await check(
      Direction.BIDIRECTIONAL,
      3n,
      range(0, N_A - 1),
      range(0, 2 * N_E),
      [0, 1],
      [...first, ...second, ...third],
    )
    await check(
      Direction.BIDIRECTIONAL,
      4n,
      range(0, N_A),
      range(0, 2 * N_E),
      [0, 1],
      [...first, ...second, ...third, ...fourth],
    )
  })

  it('GetLineageSubgraphErrors: bad filter and negative max_num_hops are INVALID_ARGUMENT, no match NOT_FOUND', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const base = { starting_artifacts: { filter_query: `uri = '${g.uri('a4')}'` }, max_num_hops: 20n }
    await expectCode(
      s.getLineageSubgraph({
        lineage_subgraph_query_options: {
          ...base,
          starting_artifacts: { filter_query: 'invalid query syntax' },
        },
      }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.getLineageSubgraph({ lineage_subgraph_query_options: { ...base, max_num_hops: -1n } }),
      Code.InvalidArgument,
      'max_num_hops cannot be negative',
    )
    await expectCode(
      s.getLineageSubgraph({
        lineage_subgraph_query_options: {
          ...base,
          starting_artifacts: { filter_query: `name = '${uid('non_existing_artifact')}'` },
        },
      }),
      Code.NotFound,
    )
  })

  it('test_put_lineage_subgraph_get_lineage_subgraph (get half): read masks and starting executions', async () => {
    const s = t.store()
    const types = await s.putTypes({
      artifact_types: [{ name: uid('a') }],
      execution_types: [{ name: uid('e') }],
      context_types: [{ name: uid('c') }],
    })
    const [at, et, ct] = [types.artifact_type_ids[0], types.execution_type_ids[0], types.context_type_ids[0]]
    const existingContextName = uid('existing_context')
    const outputUri = uid('output_artifact')
    const r = await s.putLineageSubgraph({
      executions: [
        { type_id: et, name: uid('existing_execution') },
        { type_id: et, name: uid('new_execution') },
      ],
      artifacts: [
        { type_id: at, uri: 'testuri' },
        { type_id: at, uri: outputUri },
      ],
      contexts: [
        { type_id: ct, name: existingContextName },
        { type_id: ct, name: uid('new_context') },
      ],
      event_edges: [
        { execution_index: 0, artifact_index: 0, event: { type: Event_Type.INPUT } },
        { execution_index: 0, artifact_index: 1, event: { type: Event_Type.OUTPUT } },
        { execution_index: 1, artifact_index: 0, event: { type: Event_Type.INPUT } },
        { execution_index: 1, artifact_index: 1, event: { type: Event_Type.OUTPUT } },
      ],
    })
    const fromOutput = { starting_artifacts: { filter_query: `uri = '${outputUri}'` }, max_num_hops: 10n }

    const edges = await subgraph(s, fromOutput, ['events', 'associations', 'attributions'])
    expect([edges?.artifacts, edges?.executions, edges?.contexts]).toEqual([[], [], []])
    expect([edges?.artifact_types, edges?.execution_types, edges?.context_types]).toEqual([[], [], []])
    expect([edges?.events?.length, edges?.associations?.length, edges?.attributions?.length]).toEqual([
      4, 4, 4,
    ])

    const whole = await subgraph(s, fromOutput)
    expect(ids(whole?.artifacts)).toEqual(r.artifact_ids)
    expect(ids(whole?.executions)).toEqual(r.execution_ids)
    expect(ids(whole?.contexts)).toEqual(r.context_ids)
    // Every type of the kind (MLMD includes its mlmd.* types); ours among them.
    expect(ids(whole?.artifact_types)).toContain(at)
    expect(ids(whole?.execution_types)).toContain(et)
    expect(ids(whole?.context_types)).toContain(ct)
    expect([whole?.events?.length, whole?.associations?.length, whole?.attributions?.length]).toEqual([
      4, 4, 4,
    ])

    const fromExecutions = await subgraph(s, {
      starting_executions: { filter_query: `contexts_a.name='${existingContextName}'` },
      max_num_hops: 0n,
    })
    expect(fromExecutions?.artifacts).toEqual([])
    expect(ids(fromExecutions?.executions)).toEqual(r.execution_ids)
    expect(ids(fromExecutions?.contexts)).toEqual(r.context_ids)
    expect(fromExecutions?.events).toEqual([])
    expect(fromExecutions?.associations).toHaveLength(4)
    expect(fromExecutions?.attributions).toEqual([])

    const typesOnly = await subgraph(s, fromOutput, ['artifact_types', 'execution_types', 'context_types'])
    expect([typesOnly?.artifacts, typesOnly?.executions, typesOnly?.contexts]).toEqual([[], [], []])
    expect(ids(typesOnly?.artifact_types)).toContain(at)
    expect([typesOnly?.events, typesOnly?.associations, typesOnly?.attributions]).toEqual([[], [], []])

    const nodesOnly = await subgraph(s, fromOutput, ['artifacts', 'executions', 'contexts'])
    expect(ids(nodesOnly?.artifacts)).toEqual(r.artifact_ids)
    expect(ids(nodesOnly?.executions)).toEqual(r.execution_ids)
    expect(ids(nodesOnly?.contexts)).toEqual(r.context_ids)
    expect([nodesOnly?.artifact_types, nodesOnly?.execution_types, nodesOnly?.context_types]).toEqual([
      [],
      [],
      [],
    ])
    expect([nodesOnly?.events, nodesOnly?.associations, nodesOnly?.attributions]).toEqual([[], [], []])
  })

  it('test_put_lineage_subgraph_get_lineage_subgraph_with_direction', async () => {
    const s = t.store()
    const types = await s.putTypes({
      artifact_types: [{ name: uid('a') }],
      execution_types: [{ name: uid('e') }],
      context_types: [{ name: uid('c') }],
    })
    const context = { type_id: types.context_type_ids[0], name: uid('test_context') }
    const [context_id] = (await s.putContexts({ contexts: [context] })).context_ids
    const [input, output] = (
      await s.putArtifacts({
        artifacts: [
          { type_id: types.artifact_type_ids[0], uri: 'input_artifact_uri' },
          { type_id: types.artifact_type_ids[0], uri: 'output_artifact_uri' },
        ],
      })
    ).artifact_ids
    const name = uid('test_execution')
    const [execution_id] = (
      await s.putExecutions({ executions: [{ type_id: types.execution_type_ids[0], name }] })
    ).execution_ids
    await s.putLineageSubgraph({
      executions: [{ id: execution_id, type_id: types.execution_type_ids[0], name }],
      artifacts: [
        { id: input, type_id: types.artifact_type_ids[0], uri: 'input_artifact_uri' },
        { id: output, type_id: types.artifact_type_ids[0], uri: 'output_artifact_uri' },
      ],
      contexts: [{ ...context, id: context_id }],
      event_edges: [
        {
          execution_index: 0,
          artifact_index: 0,
          event: { type: Event_Type.INPUT, execution_id, artifact_id: input },
        },
        {
          execution_index: 0,
          artifact_index: 1,
          event: { type: Event_Type.OUTPUT, execution_id, artifact_id: output },
        },
      ],
    })
    for (const [direction, artifact] of [
      [Direction.DOWNSTREAM, output],
      [Direction.UPSTREAM, input],
    ] as const) {
      const graph = await subgraph(s, {
        starting_executions: { filter_query: `name = '${name}'` },
        max_num_hops: 2n,
        direction,
      })
      expect(ids(graph?.artifacts)).toEqual([artifact])
      expect(ids(graph?.executions)).toEqual([execution_id])
      expect(ids(graph?.contexts)).toEqual([context_id])
      expect(graph?.events).toHaveLength(1)
      expect(ids(graph?.artifact_types)).toContain(types.artifact_type_ids[0])
    }
  })

  // MLMD 1.14's GetLineageGraph (metadata_store_test.cc of v1.14.0). MLMD ≥ 1.15 answers
  // UNIMPLEMENTED, so these run only against mlmd-ts.
  it.skipIf(t.impl === 'mlmd')('GetLineageGraphWithMaxHops (MLMD 1.14; mlmd-ts only)', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const cases: [bigint | undefined, number[], number[], Pair[]][] = [
      [0n, [4], [], []],
      [
        1n,
        [4],
        [2, 3],
        [
          [4, 2],
          [4, 3],
        ],
      ],
      [
        2n,
        [2, 3, 4, 5],
        [2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
        ],
      ],
      [
        3n,
        [2, 3, 4, 5],
        [1, 2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
          [3, 1],
        ],
      ],
      [
        4n,
        [1, 2, 3, 4, 5],
        [1, 2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
          [3, 1],
          [1, 1],
        ],
      ],
      [
        undefined,
        [1, 2, 3, 4, 5],
        [1, 2, 3],
        [
          [4, 2],
          [4, 3],
          [2, 2],
          [3, 3],
          [5, 3],
          [3, 1],
          [1, 1],
        ],
      ],
    ]
    for (const [hops, artifacts, executions, events] of cases) {
      const { subgraph: graph } = await s.getLineageGraph({
        options: {
          artifacts_options: { filter_query: `uri = '${g.uri('a4')}'` },
          ...(hops === undefined ? {} : { stop_conditions: { max_num_hops: hops } }),
        },
      })
      expect(skeleton(graph), `max_num_hops ${hops}`).toEqual(want(g.a, g.e, artifacts, executions, events))
      // The graph carries every (non-simple) type, as GetArtifactTypes etc. answer them.
      expect(ids(graph?.artifact_types)).toEqual(ids((await s.getArtifactTypes({})).artifact_types))
      expect(ids(graph?.execution_types)).toEqual(ids((await s.getExecutionTypes({})).execution_types))
      expect(ids(graph?.context_types)).toEqual(ids((await s.getContextTypes({})).context_types))
    }
  })

  it.skipIf(t.impl === 'mlmd')('GetLineageGraphWithMaxNodeSize (MLMD 1.14; mlmd-ts only)', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    const everything: Pair[] = [
      [4, 2],
      [0, 0],
      [4, 3],
      [2, 2],
      [3, 3],
      [5, 3],
      [3, 1],
      [1, 1],
    ]
    const all = [0, 1, 2, 3, 4, 5]
    const allE = [0, 1, 2, 3]
    const cases: [bigint | undefined, boolean, number[], number[], Pair[]][] = [
      [undefined, false, all, allE, everything],
      [0n, false, all, allE, everything],
      [-1n, false, all, allE, everything],
      [1n, false, [0], [], []],
      [6n, false, all, [], []],
      [
        3n,
        true,
        [4],
        [2, 3],
        [
          [4, 2],
          [4, 3],
        ],
      ],
      [20n, false, all, allE, everything],
    ]
    for (const [size, liveOnly, artifacts, executions, events] of cases) {
      const { subgraph: graph } = await s.getLineageGraph({
        options: {
          artifacts_options: {
            filter_query: liveOnly ? `type = '${g.t1}' and state = LIVE` : `type = '${g.t1}'`,
            order_by_field: { is_asc: true },
          },
          ...(size === undefined ? {} : { max_node_size: size }),
        },
      })
      expect(skeleton(graph), `max_node_size ${size}`).toEqual(want(g.a, g.e, artifacts, executions, events))
    }
  })

  it.skipIf(t.impl === 'mlmd')(
    'GetLineageGraphWithBoundaryConditions (MLMD 1.14; mlmd-ts only)',
    async () => {
      const s = t.store()
      const g = await createLineageGraph(s)
      const cases: [string | undefined, string | undefined, number[], number[], Pair[]][] = [
        [
          undefined,
          undefined,
          [2, 3, 4, 5],
          [1, 2, 3],
          [
            [4, 2],
            [4, 3],
            [2, 2],
            [3, 3],
            [5, 3],
            [3, 1],
          ],
        ],
        [
          `uri != '${g.uri('a3')}'`,
          undefined,
          [2, 4, 5],
          [2, 3],
          [
            [4, 2],
            [4, 3],
            [2, 2],
            [5, 3],
          ],
        ],
        [
          `uri != '${g.uri('a3')}'`,
          `properties.p2.string_value != '${g.p2('e3')}'`,
          [2, 4],
          [2],
          [
            [4, 2],
            [2, 2],
          ],
        ],
        [
          `uri != '${g.uri('a3')}'`,
          `properties.p2.string_value != '${g.p2('e2')}'`,
          [4, 5],
          [3],
          [
            [4, 3],
            [5, 3],
          ],
        ],
      ]
      for (const [boundaryArtifacts, boundaryExecutions, artifacts, executions, events] of cases) {
        const { subgraph: graph } = await s.getLineageGraph({
          options: {
            artifacts_options: { filter_query: `uri = '${g.uri('a4')}'` },
            stop_conditions: {
              max_num_hops: 3n,
              ...(boundaryArtifacts === undefined ? {} : { boundary_artifacts: boundaryArtifacts }),
              ...(boundaryExecutions === undefined ? {} : { boundary_executions: boundaryExecutions }),
            },
          },
        })
        expect(skeleton(graph), `${boundaryArtifacts} / ${boundaryExecutions}`).toEqual(
          want(g.a, g.e, artifacts, executions, events),
        )
      }
    },
  )

  it.skipIf(t.impl === 'mlmd')('GetLineageGraphErrors (MLMD 1.14; mlmd-ts only)', async () => {
    const s = t.store()
    const g = await createLineageGraph(s)
    await expectCode(s.getLineageGraph({}), Code.InvalidArgument)
    await expectCode(
      s.getLineageGraph({ options: { artifacts_options: { filter_query: 'invalid query syntax' } } }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.getLineageGraph({
        options: {
          artifacts_options: { filter_query: `uri = '${uid('uri://foo/bar/')}'` },
          stop_conditions: { max_num_hops: -1n },
        },
      }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.getLineageGraph({
        options: { artifacts_options: { filter_query: `uri = '${uid('uri://foo/bar/')}'` } },
      }),
      Code.NotFound,
    )
    for (const stop_conditions of [
      { boundary_artifacts: 'invalid boundary query' },
      { boundary_executions: 'invalid boundary query' },
    ]) {
      await expectCode(
        s.getLineageGraph({
          options: { artifacts_options: { filter_query: `uri = '${g.uri('a4')}'` }, stop_conditions },
        }),
        Code.InvalidArgument,
      )
    }
  })
})
