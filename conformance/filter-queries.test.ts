// filter_query: the filter TEST_Ps of metadata_store_test_suite.cc
// (GetExecutionsByContextWithFilterStateQuery, GetExecutionFilterWithSpecialChars,
// GetExecutionWithFilterContextQuery), test_get_nodes_by_filter_query[_syntax_errors] of
// metadata_store_test.py, and the query meanings of the contract (§6.2–§6.6, from MLMD's
// metadata_access_object and filter resolver tests). Every case scopes its query to nodes it
// created (a unique type or name), so it holds on a shared store.
import { expect, it } from 'vitest'
import {
  Artifact_State,
  type AsyncMetadataStore,
  Code,
  Event_Type,
  Execution_State,
  ListOperationOptions_OrderByField_Field as Field,
  PropertyType,
} from '../src/index.js'
import { expectCode, ids, uid } from './support.js'
import { describeTargets } from './targets.js'

/** Every id a filtered listing of artifacts returns, following page tokens. */
async function artifactsWhere(s: AsyncMetadataStore, filter_query: string, page = 100): Promise<bigint[]> {
  const out: bigint[] = []
  let token: string | undefined
  for (let i = 0; i < 20; i++) {
    const r = await s.getArtifacts({
      options: { max_result_size: page, filter_query, ...(token ? { next_page_token: token } : {}) },
    })
    out.push(...r.artifacts.map((a) => a.id as bigint))
    if (!r.next_page_token) break
    token = r.next_page_token
  }
  return out
}

async function executionsWhere(s: AsyncMetadataStore, filter_query: string): Promise<bigint[]> {
  return (await s.getExecutions({ options: { max_result_size: 100, filter_query } })).executions.map(
    (e) => e.id as bigint,
  )
}

async function contextsWhere(s: AsyncMetadataStore, filter_query: string): Promise<bigint[]> {
  return (await s.getContexts({ options: { max_result_size: 100, filter_query } })).contexts.map(
    (c) => c.id as bigint,
  )
}

describeTargets('filter-queries', (t) => {
  /** An artifact type with properties p1 INT, p2 DOUBLE, p3 STRING, p4 BOOLEAN. */
  async function artifactType() {
    const s = t.store()
    const name = uid('filter_type')
    const type_id = (
      await s.putArtifactType({
        artifact_type: {
          name,
          properties: {
            p1: PropertyType.INT,
            p2: PropertyType.DOUBLE,
            p3: PropertyType.STRING,
            p4: PropertyType.BOOLEAN,
          },
        },
      })
    ).type_id as bigint
    return { s, name, type_id }
  }

  it('test_get_nodes_by_filter_query (artifacts, executions, contexts)', async () => {
    const s = t.store()
    const prefix = uid('n')
    const filter_query = `custom_properties.p.int_value < 21 AND name LIKE '${prefix}_node_2%'`
    const options = {
      max_result_size: 100,
      order_by_field: { field: Field.ID, is_asc: true },
      filter_query,
    }
    const names = Array.from({ length: 200 }, (_, i) => `${prefix}_node_${i}`)
    const custom = (i: number) => ({ p: { int_value: BigInt(i) } })

    const at = (await s.putArtifactType({ artifact_type: { name: uid('a') } })).type_id
    const aIds = (
      await s.putArtifacts({
        artifacts: names.map((name, i) => ({ type_id: at, name, custom_properties: custom(i) })),
      })
    ).artifact_ids
    const artifacts = (await s.getArtifacts({ options })).artifacts
    expect(artifacts.map((a) => [a.id, a.name])).toEqual([
      [aIds[2], `${prefix}_node_2`],
      [aIds[20], `${prefix}_node_20`],
    ])

    const et = (await s.putExecutionType({ execution_type: { name: uid('e') } })).type_id
    const eIds = (
      await s.putExecutions({
        executions: names.map((name, i) => ({ type_id: et, name, custom_properties: custom(i) })),
      })
    ).execution_ids
    expect((await s.getExecutions({ options })).executions.map((e) => e.id)).toEqual([eIds[2], eIds[20]])

    const ct = (await s.putContextType({ context_type: { name: uid('c') } })).type_id
    const cIds = (
      await s.putContexts({
        contexts: names.map((name, i) => ({ type_id: ct, name, custom_properties: custom(i) })),
      })
    ).context_ids
    expect((await s.getContexts({ options })).contexts.map((c) => c.id)).toEqual([cIds[2], cIds[20]])
  })

  it('test_get_nodes_by_filter_query_syntax_errors (artifacts, executions, contexts)', async () => {
    const s = t.store()
    const options = { filter_query: 'invalid syntax' }
    await expectCode(s.getArtifacts({ options }), Code.InvalidArgument)
    await expectCode(s.getExecutions({ options }), Code.InvalidArgument)
    await expectCode(s.getContexts({ options }), Code.InvalidArgument)
  })

  it('GetExecutionsByContextWithFilterStateQuery', async () => {
    const s = t.store()
    const types = await s.putTypes({
      context_types: [{ name: uid('context_type') }],
      execution_types: [{ name: uid('execution_type') }],
    })
    const context1 = { type_id: types.context_type_ids[0], name: uid('context1') }
    const context2 = { type_id: types.context_type_ids[0], name: uid('context2') }
    const [c1, c2] = (await s.putContexts({ contexts: [context1, context2] })).context_ids
    const e1 = (
      await s.putExecution({
        execution: {
          type_id: types.execution_type_ids[0],
          last_known_state: Execution_State.NEW,
          name: uid('execution1'),
        },
        contexts: [{ ...context1, id: c1 }],
      })
    ).execution_id
    const e2 = (
      await s.putExecution({
        execution: {
          type_id: types.execution_type_ids[0],
          last_known_state: Execution_State.RUNNING,
          name: uid('execution2'),
        },
        contexts: [{ ...context2, id: c2 }],
      })
    ).execution_id
    const filter_query = ' last_known_state = NEW OR last_known_state = RUNNING '
    expect(
      (await s.getExecutionsByContext({ context_id: c1, options: { filter_query } })).executions.map(
        (e) => e.id,
      ),
    ).toEqual([e1])
    expect(
      (await s.getExecutionsByContext({ context_id: c2, options: { filter_query } })).executions.map(
        (e) => e.id,
      ),
    ).toEqual([e2])
  })

  it('GetExecutionFilterWithSpecialChars', async () => {
    const s = t.store()
    const types = await s.putTypes({
      context_types: [{ name: uid('context_type') }],
      execution_types: [{ name: uid('execution_type') }],
    })
    const contextName = `${uid('context_name_with')}'`
    const executionName = `${uid('exe_name_with')}'`
    const context = { type_id: types.context_type_ids[0], name: contextName }
    const [context_id] = (await s.putContexts({ contexts: [context] })).context_ids
    const { execution_id } = await s.putExecution({
      execution: { type_id: types.execution_type_ids[0], name: executionName },
      contexts: [{ ...context, id: context_id }],
    })
    expect(await executionsWhere(s, ` name = "${executionName}" `)).toEqual([execution_id])
    expect(await executionsWhere(s, ` contexts_1.name = "${contextName}" `)).toEqual([execution_id])
    expect(
      await executionsWhere(s, `\n      contexts_1.name = "${contextName}" AND name = "${executionName}"`),
    ).toEqual([execution_id])
    // A single quote inside single quotes ends the literal early.
    await expectCode(
      s.getExecutions({ options: { filter_query: `\n      name = '${executionName}'` } }),
      Code.InvalidArgument,
    )
  })

  it('GetExecutionWithFilterContextQuery', async () => {
    const s = t.store()
    const contextType = uid('context_type')
    const types = await s.putTypes({
      context_types: [{ name: contextType }],
      execution_types: [{ name: uid('execution_type') }],
    })
    // The context name looks like property syntax; it must not be rewritten.
    const context = { type_id: types.context_type_ids[0], name: 'properties.component.component' }
    const [context_id] = (await s.putContexts({ contexts: [context] })).context_ids
    const { execution_id } = await s.putExecution({
      execution: { type_id: types.execution_type_ids[0], name: "execution_name'" },
      contexts: [{ ...context, id: context_id }],
    })
    expect(
      await executionsWhere(
        s,
        `(contexts_0.type = '${contextType}') AND (contexts_0.name = 'properties.component.component')`,
      ),
    ).toEqual([execution_id])
  })

  it('Attribute filters: id IN, type and type_id, name IS NOT NULL, NOT(id = …)', async () => {
    const { s, name, type_id } = await artifactType()
    const [a, b, c] = (
      await s.putArtifacts({
        artifacts: [{ type_id, name: uid('x') }, { type_id, name: uid('y') }, { type_id }],
      })
    ).artifact_ids as [bigint, bigint, bigint]
    expect(await artifactsWhere(s, `id IN (${a}, ${c})`)).toEqual([a, c])
    expect(await artifactsWhere(s, `type = '${name}' AND type_id = ${type_id}`)).toEqual([a, b, c])
    expect(await artifactsWhere(s, `type_id = ${type_id} AND name IS NOT NULL`)).toEqual([a, b])
    const notA = await s.getArtifacts({
      options: {
        max_result_size: 10,
        order_by_field: { field: Field.CREATE_TIME, is_asc: false },
        filter_query: ` NOT(id = ${a}) AND type = '${name}' `,
      },
    })
    expect(notA.artifacts.map((x) => x.id)).toEqual([c, b])
  })

  it('Attribute filters: uri LIKE, external_id, create and update times', async () => {
    const { s, name, type_id } = await artifactType()
    const prefix = uid('uri')
    const external_id = uid('ext')
    const [a, b] = (
      await s.putArtifacts({
        artifacts: [
          { type_id, uri: `${prefix}_0` },
          { type_id, uri: 'other', external_id },
        ],
      })
    ).artifact_ids as [bigint, bigint]
    expect(await artifactsWhere(s, `uri LIKE '${prefix}%'`)).toEqual([a])
    expect(await artifactsWhere(s, `external_id = '${external_id}'`)).toEqual([b])
    expect(
      await artifactsWhere(
        s,
        `type = '${name}' AND create_time_since_epoch > 0 AND last_update_time_since_epoch >= create_time_since_epoch`,
      ),
    ).toEqual([a, b])
  })

  it('Artifact state enums: =, != (includes no state), IN, NOT IN, IS NULL', async () => {
    const { s, name, type_id } = await artifactType()
    const [live, pending, none, deleted] = (
      await s.putArtifacts({
        artifacts: [
          { type_id, state: Artifact_State.LIVE },
          { type_id, state: Artifact_State.PENDING },
          { type_id },
          { type_id, state: Artifact_State.DELETED },
        ],
      })
    ).artifact_ids as [bigint, bigint, bigint, bigint]
    const mine = `type = '${name}'`
    expect(await artifactsWhere(s, `${mine} AND state = LIVE`)).toEqual([live])
    expect(await artifactsWhere(s, `${mine} AND state != LIVE`)).toEqual([pending, none, deleted])
    expect(await artifactsWhere(s, `${mine} AND state IN (LIVE, PENDING)`)).toEqual([live, pending])
    expect(await artifactsWhere(s, `${mine} AND state NOT IN (LIVE, PENDING)`)).toEqual([none, deleted])
    expect(await artifactsWhere(s, `${mine} AND state IS NULL`)).toEqual([none])
    expect(await artifactsWhere(s, `${mine} AND (uri LIKE 'nothing%' OR state = LIVE)`)).toEqual([live])
  })

  it('Execution last_known_state enums', async () => {
    const s = t.store()
    const name = uid('e')
    const type_id = (await s.putExecutionType({ execution_type: { name } })).type_id
    const [complete, failed, cached] = (
      await s.putExecutions({
        executions: [
          { type_id, last_known_state: Execution_State.COMPLETE },
          { type_id, last_known_state: Execution_State.FAILED },
          { type_id, last_known_state: Execution_State.CACHED },
        ],
      })
    ).execution_ids
    expect(await executionsWhere(s, `type = '${name}' AND last_known_state IN (COMPLETE, CACHED)`)).toEqual([
      complete,
      cached,
    ])
    expect(await executionsWhere(s, `type = '${name}' AND last_known_state != COMPLETE`)).toEqual([
      failed,
      cached,
    ])
  })

  it('Property filters: value kinds, LIKE, IS NULL on the other value columns, arithmetic', async () => {
    const { s, name, type_id } = await artifactType()
    const [a0, a1, a2] = (
      await s.putArtifacts({
        artifacts: [0, 1, 2].map((i) => ({
          type_id,
          properties: {
            p1: { int_value: BigInt(i) },
            p2: { double_value: i + 0.5 },
            p3: { string_value: `${i}_s` },
            p4: { bool_value: i % 2 === 0 },
          },
          custom_properties: { custom_property_0: { string_value: i === 1 ? 'foo' : 'bar' } },
        })),
      })
    ).artifact_ids as [bigint, bigint, bigint]
    const mine = `type = '${name}'`
    expect(await artifactsWhere(s, `${mine} AND properties.p4.bool_value = true`)).toEqual([a0, a2])
    expect(await artifactsWhere(s, `${mine} AND properties.p3.string_value LIKE '1%'`)).toEqual([a1])
    expect(
      await artifactsWhere(
        s,
        `${mine} AND custom_properties.custom_property_0.int_value IS NULL AND custom_properties.custom_property_0.string_value = 'foo'`,
      ),
    ).toEqual([a1])
    expect(await artifactsWhere(s, `${mine} AND (properties.p1.int_value + 2) * 1 = 2`)).toEqual([a0])
    expect(await artifactsWhere(s, `${mine} AND properties.p2.double_value >= 2.0 / 1.0 - (-0.5)`)).toEqual([
      a2,
    ])
  })

  it('A property the nodes lack is a valid filter that matches nothing, even inside OR', async () => {
    const { s, name, type_id } = await artifactType()
    const [a] = (await s.putArtifacts({ artifacts: [{ type_id, name: uid('x') }] })).artifact_ids
    expect(
      await artifactsWhere(
        s,
        `properties.unknown.int_value > 0 OR custom_properties.some_property.string_value = '0'`,
      ),
    ).toEqual([])
    // Mentioning a property joins it: nodes without it are out even when the other side of OR holds.
    expect(
      await artifactsWhere(s, `type = '${name}' AND (properties.p1.int_value = 1 OR id = ${a})`),
    ).toEqual([])
  })

  it('Backquoted property names', async () => {
    const s = t.store()
    const name = uid('t')
    const type_id = (
      await s.putArtifactType({ artifact_type: { name, properties: { p1: PropertyType.INT } } })
    ).type_id
    const [a] = (
      await s.putArtifacts({
        artifacts: [
          {
            type_id,
            properties: { p1: { int_value: 0n } },
            custom_properties: {
              'custom_property:0': { int_value: 5n },
              'my property': { bool_value: true },
            },
          },
        ],
      })
    ).artifact_ids
    expect(
      await artifactsWhere(
        s,
        `type = '${name}' AND properties.p1.int_value = 0 AND custom_properties.\`custom_property:0\`.int_value > 0`,
      ),
    ).toEqual([a])
    expect(
      await artifactsWhere(s, `type = '${name}' AND custom_properties.\`my property\`.bool_value = true`),
    ).toEqual([a])
  })

  it('Event filters: artifacts and executions by their events', async () => {
    const s = t.store()
    const types = await s.putTypes({
      artifact_types: [{ name: uid('a') }],
      execution_types: [{ name: uid('e') }],
    })
    const at = types.artifact_type_ids[0]
    const aName = (await s.getArtifactTypesByID({ type_ids: [at as bigint] })).artifact_types[0]?.name
    const [input, output, lonely] = (
      await s.putArtifacts({
        artifacts: [{ type_id: at, uri: uid('in') }, { type_id: at }, { type_id: at }],
      })
    ).artifact_ids as [bigint, bigint, bigint]
    const { execution_id } = await s.putExecution({
      execution: { type_id: types.execution_type_ids[0] },
      artifact_event_pairs: [
        { event: { artifact_id: input, type: Event_Type.INPUT } },
        { event: { artifact_id: output, type: Event_Type.OUTPUT } },
      ],
    })
    void lonely
    expect(
      await artifactsWhere(s, `type = '${aName}' AND (events_0.type = INPUT OR events_0.type = OUTPUT)`),
    ).toEqual([input, output])
    expect(
      await artifactsWhere(s, `events_0.execution_id = ${execution_id} AND events_0.type = OUTPUT`),
    ).toEqual([output])
    expect(await executionsWhere(s, `events_0.artifact_id = ${output} AND events_0.type = OUTPUT`)).toEqual([
      execution_id,
    ])
    expect(await executionsWhere(s, `events_0.artifact_id = ${output} AND events_0.type = INPUT`)).toEqual([])
  })

  it('Context filters on executions: either context, and all of several (one alias each)', async () => {
    const s = t.store()
    const contextType = uid('T')
    const types = await s.putTypes({
      context_types: [{ name: contextType }],
      execution_types: [{ name: uid('e') }],
    })
    const ct = types.context_type_ids[0]
    const [c0, c1, c2] = (
      await s.putContexts({
        contexts: [
          { type_id: ct, name: 'c0' },
          { type_id: ct, name: 'c1' },
          { type_id: ct, name: 'c2' },
        ],
      })
    ).context_ids as [bigint, bigint, bigint]
    const et = types.execution_type_ids[0]
    const [e0, e1, e2] = (
      await s.putExecutions({ executions: [{ type_id: et }, { type_id: et }, { type_id: et }] })
    ).execution_ids as [bigint, bigint, bigint]
    await s.putAttributionsAndAssociations({
      associations: [
        { context_id: c0, execution_id: e0 },
        { context_id: c1, execution_id: e1 },
        { context_id: c0, execution_id: e2 },
        { context_id: c1, execution_id: e2 },
        { context_id: c2, execution_id: e2 },
      ],
    })
    expect(await executionsWhere(s, ` contexts_a.id = ${c0} OR contexts_a.id = ${c1}`)).toEqual([e0, e1, e2])
    expect(
      await executionsWhere(
        s,
        `(contexts_1.type='${contextType}' AND contexts_1.name='c2') AND (contexts_2.type='${contextType}' AND contexts_2.name='c1') AND (contexts_3.type='${contextType}' AND contexts_3.name='c0')`,
      ),
    ).toEqual([e2])
    // The same alias is the same context: no context is named both c0 and c1.
    expect(await executionsWhere(s, `contexts_a.id = ${c0} AND contexts_a.id = ${c1}`)).toEqual([])
  })

  it('Several aliases of one prefix: each is its own inner join, under AND, OR and NOT alike', async () => {
    const s = t.store()
    const typeName = uid('T')
    const types = await s.putTypes({
      artifact_types: [{ name: typeName }],
      context_types: [{ name: uid('T') }],
    })
    const prefix = uid('c')
    const n = (i: number) => `'${prefix}_${i}'`
    const contextIds = (
      await s.putContexts({
        contexts: Array.from({ length: 6 }, (_, i) => ({
          type_id: types.context_type_ids[0],
          name: `${prefix}_${i}`,
        })),
      })
    ).context_ids as bigint[]
    const at = types.artifact_type_ids[0]
    const [x, y, z, w] = (
      await s.putArtifacts({
        artifacts: [{ type_id: at }, { type_id: at }, { type_id: at }, { type_id: at }],
      })
    ).artifact_ids as [bigint, bigint, bigint, bigint]
    void w // in no context
    const inContexts: [bigint, number[]][] = [
      [x, [0, 1, 2, 3, 4, 5]],
      [y, [0, 1]],
      [z, [5]],
    ]
    await s.putAttributionsAndAssociations({
      attributions: inContexts.flatMap(([artifact_id, cs]) =>
        cs.map((i) => ({ artifact_id, context_id: contextIds[i] as bigint })),
      ),
    })
    const mine = (q: string) => artifactsWhere(s, `type = '${typeName}' AND (${q})`)
    expect(
      await mine(
        "contexts_a.name != 'zz' AND contexts_b.name != 'zz' AND contexts_c.name != 'zz' AND contexts_d.name != 'zz'",
      ),
    ).toEqual([x, y, z])
    expect(
      await mine(
        `contexts_a.name = ${n(0)} AND contexts_b.name = ${n(1)} AND contexts_c.name != 'zz' AND contexts_d.name != 'zz' AND contexts_e.id > 0`,
      ),
    ).toEqual([x, y])
    expect(
      await mine(`NOT (contexts_a.name = ${n(0)} OR contexts_b.name = ${n(5)}) AND contexts_c.name != 'zz'`),
    ).toEqual([x, y])
    // An alias that only one side of OR reads must still have a row.
    expect(await mine(`contexts_a.name = ${n(5)} OR contexts_b.name = 'nope'`)).toEqual([x, z])
    expect(await mine(`contexts_a.name = ${n(5)} AND NOT (contexts_b.name = ${n(5)})`)).toEqual([x])
    // The same alias on both sides of AND is the same context.
    expect(
      await mine(`contexts_a.name = ${n(0)} AND (contexts_a.name = ${n(1)} OR contexts_b.name = ${n(5)})`),
    ).toEqual([x])
  })

  it('Context filters on contexts: by member artifacts and executions, by parents and children', async () => {
    const s = t.store()
    const parentType = uid('parent_context_type_1')
    const types = await s.putTypes({
      artifact_types: [{ name: uid('a') }],
      execution_types: [{ name: uid('e') }],
      context_types: [{ name: uid('c') }, { name: parentType }],
    })
    const [ct, pt] = types.context_type_ids as [bigint, bigint]
    const childName = uid('child')
    const [ctx, parent, child] = (
      await s.putContexts({
        contexts: [
          { type_id: ct, name: uid('ctx') },
          { type_id: pt, name: uid('parent') },
          { type_id: ct, name: childName },
        ],
      })
    ).context_ids as [bigint, bigint, bigint]
    const [a] = (await s.putArtifacts({ artifacts: [{ type_id: types.artifact_type_ids[0] }] })).artifact_ids
    const [e] = (await s.putExecutions({ executions: [{ type_id: types.execution_type_ids[0] }] }))
      .execution_ids
    await s.putAttributionsAndAssociations({
      attributions: [{ context_id: ctx, artifact_id: a }],
      associations: [{ context_id: ctx, execution_id: e }],
    })
    await s.putParentContexts({
      parent_contexts: [
        { parent_id: parent, child_id: ctx },
        { parent_id: ctx, child_id: child },
      ],
    })
    const ctxName = (await s.getContextsByID({ context_ids: [ctx] })).contexts[0]?.name
    expect(await contextsWhere(s, `artifacts_c.id = ${a} and name = '${ctxName}'`)).toEqual([ctx])
    expect(await contextsWhere(s, `executions_c.id = ${e} and artifacts_a.id = ${a}`)).toEqual([ctx])
    expect(await contextsWhere(s, `parent_contexts_c.type = '${parentType}'`)).toEqual([ctx])
    expect(await contextsWhere(s, `child_contexts_c.name = '${childName}'`)).toEqual([ctx])
  })

  it('Filters within by-type and by-context listings stay within those candidates', async () => {
    const s = t.store()
    const typeName = uid('t')
    const types = await s.putTypes({
      artifact_types: [{ name: typeName }, { name: uid('other') }],
      context_types: [{ name: uid('c') }],
    })
    const [t1, t2] = types.artifact_type_ids as [bigint, bigint]
    const uri = uid('same_uri')
    const [a1, a2, a3] = (
      await s.putArtifacts({
        artifacts: [
          { type_id: t1, uri },
          { type_id: t2, uri },
          { type_id: t1, uri },
        ],
      })
    ).artifact_ids as [bigint, bigint, bigint]
    const filter_query = `uri = '${uri}'`
    expect(
      (await s.getArtifactsByType({ type_name: typeName, options: { filter_query } })).artifacts.map(
        (a) => a.id,
      ),
    ).toEqual([a1, a3])
    const [context_id] = (
      await s.putContexts({ contexts: [{ type_id: types.context_type_ids[0], name: uid('c') }] })
    ).context_ids
    await s.putAttributionsAndAssociations({ attributions: [{ context_id, artifact_id: a2 }] })
    expect(
      (await s.getArtifactsByContext({ context_id, options: { filter_query } })).artifacts.map((a) => a.id),
    ).toEqual([a2])
  })

  it('Paging through a filtered listing returns every match once', async () => {
    const { s, name, type_id } = await artifactType()
    const created = (
      await s.putArtifacts({
        artifacts: Array.from({ length: 9 }, (_, i) => ({
          type_id,
          properties: { p1: { int_value: BigInt(i % 3) } },
        })),
      })
    ).artifact_ids as bigint[]
    const matches = created.filter((_, i) => i % 3 !== 0)
    expect(await artifactsWhere(s, `type = '${name}' AND properties.p1.int_value > 0`, 2)).toEqual(matches)
  })

  it('KFP: executions of a run context whose parent_dag_id custom property is a given DAG', async () => {
    const s = t.store()
    const types = await s.putTypes({
      execution_types: [{ name: uid('system.ContainerExecution') }],
      context_types: [{ name: uid('system.PipelineRun') }],
    })
    const [run] = (
      await s.putContexts({ contexts: [{ type_id: types.context_type_ids[0], name: uid('run') }] })
    ).context_ids
    const et = types.execution_type_ids[0]
    const [child, other] = (
      await s.putExecutions({
        executions: [
          { type_id: et, custom_properties: { parent_dag_id: { int_value: 7n } } },
          { type_id: et, custom_properties: { parent_dag_id: { int_value: 8n } } },
        ],
      })
    ).execution_ids
    void other
    await s.putAttributionsAndAssociations({
      associations: [
        { context_id: run, execution_id: child },
        { context_id: run, execution_id: other },
      ],
    })
    const r = await s.getExecutionsByContext({
      context_id: run,
      options: { filter_query: `custom_properties.parent_dag_id.int_value = 7` },
    })
    expect(r.executions.map((e) => e.id)).toEqual([child])
  })

  it('Keywords are case-insensitive; both quote styles work', async () => {
    const { s, type_id } = await artifactType()
    const name = uid('x')
    const [a] = (await s.putArtifacts({ artifacts: [{ type_id, name }] })).artifact_ids
    expect(await artifactsWhere(s, `name = "${name}" and id > 0`)).toEqual([a])
    expect(await artifactsWhere(s, `NOT (name != '${name}') And id IS NOT NULL`)).toEqual([a])
  })

  it('Type errors, unknown names and misplaced neighbours are INVALID_ARGUMENT', async () => {
    const s = t.store()
    const bad = [
      `id = 'a'`,
      `name = 1`,
      `state = 'LIVE'`,
      `unknown_field = 'x'`,
      `executions_c.id = 123`,
      `artifacts_c.id = 123`,
      `1 + 1`,
    ]
    for (const filter_query of bad)
      await expectCode(s.getArtifacts({ options: { filter_query } }), Code.InvalidArgument)
    await expectCode(
      s.getExecutions({ options: { filter_query: `artifacts_c.id = 123` } }),
      Code.InvalidArgument,
    )
  })

  it('Enum errors are INVALID_ARGUMENT: wrong enum, unsupported value, a number, IN without parentheses', async () => {
    const s = t.store()
    for (const filter_query of [
      `state = RUNNING`,
      `state = ABANDONED`,
      `state = 1`,
      `state IN RUNNING`,
      `events_0.type = SOME_ENUM`,
    ]) {
      await expectCode(s.getArtifacts({ options: { filter_query } }), Code.InvalidArgument)
    }
    await expectCode(
      s.getExecutions({ options: { filter_query: `last_known_state = LIVE` } }),
      Code.InvalidArgument,
    )
  })

  it('An empty filter_query filters nothing', async () => {
    const { s, name, type_id } = await artifactType()
    const { artifact_ids } = await s.putArtifacts({ artifacts: [{ type_id }, { type_id }] })
    expect(
      ids((await s.getArtifactsByType({ type_name: name, options: { filter_query: '' } })).artifacts),
    ).toEqual(artifact_ids)
  })
})
