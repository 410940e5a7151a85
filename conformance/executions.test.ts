// Executions: MLMD's execution TEST_Ps of metadata_store_test_suite.cc and the execution tests of
// metadata_store_test.py, plus the node error table of the contract (§4.2).
import { expect, it } from 'vitest'
import { Code, type Execution, Execution_State, PropertyType } from '../src/index.js'
import { expectCode, expectProto, expectUnordered, ids, TIMES, UNKNOWN_ID, uid } from './support.js'
import { describeTargets } from './targets.js'

describeTargets('executions', (t) => {
  it('PutTypesAndExecutionsGetExecutionsThroughType', async () => {
    const s = t.store()
    const name = uid('test_type')
    const properties = { test_property: PropertyType.STRING }
    const v0 = (await s.putExecutionType({ execution_type: { name, properties } })).type_id as bigint
    const v1 = (await s.putExecutionType({ execution_type: { name, version: 'v1', properties } }))
      .type_id as bigint
    const shared = uid('test_node_name_for_node_0_and_node_2')
    const nodes: Execution[] = [
      { type_id: v0, name: shared, properties: { test_property: { string_value: 'foo' } } },
      {
        type_id: v1,
        name: uid('test_node_name_for_node_1'),
        properties: { test_property: { string_value: 'bar' } },
      },
      { type_id: v1, name: shared, properties: { test_property: { string_value: 'foo' } } },
    ]
    const { execution_ids } = await s.putExecutions({ executions: nodes })
    nodes.forEach((n, i) => {
      n.id = execution_ids[i]
    })
    const [n0, n1, n2] = nodes as [Execution, Execution, Execution]
    const ignore = ['type', ...TIMES]
    expectUnordered((await s.getExecutionsByType({ type_name: name })).executions, [n0], ignore)
    expectUnordered(
      (await s.getExecutionsByType({ type_name: name, type_version: 'v1' })).executions,
      [n1, n2],
      ignore,
    )
    expectProto(
      (await s.getExecutionByTypeAndName({ type_name: name, execution_name: shared })).execution,
      n0,
      ignore,
    )
    expectProto(
      (await s.getExecutionByTypeAndName({ type_name: name, type_version: 'v1', execution_name: shared }))
        .execution,
      n2,
      ignore,
    )
    expect(
      (await s.getExecutionsByType({ type_name: 'Unknown_type_name', type_version: 'Unknown_type_version' }))
        .executions,
    ).toEqual([])
    expect(
      (
        await s.getExecutionByTypeAndName({
          type_name: 'Unknown_type_name',
          type_version: 'Unknown_type_version',
          execution_name: shared,
        })
      ).execution,
    ).toBeUndefined()
  })

  it('PutExecutionsUpdateGetExecutionsByID: a full update drops the state', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        all_fields_match: true,
        execution_type: { name: uid('test_type2'), properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const { execution_ids } = await s.putExecutions({
      executions: [
        {
          type_id,
          properties: { property: { string_value: '3' } },
          last_known_state: Execution_State.RUNNING,
        },
      ],
    })
    const update: Execution = {
      id: execution_ids[0],
      type_id,
      properties: { property: { string_value: '2' } },
    }
    await s.putExecutions({ executions: [update] })
    expectUnordered((await s.getExecutionsByID({ execution_ids })).executions, [update], ['type', ...TIMES])
  })

  it('PutExecutionsGetExecutionByID', async () => {
    const s = t.store()
    const typeName = uid('test_type2')
    const type_id = (
      await s.putExecutionType({
        all_fields_match: true,
        execution_type: { name: typeName, properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const e1: Execution = {
      type_id,
      properties: { property: { string_value: '3' } },
      last_known_state: Execution_State.RUNNING,
    }
    const e2: Execution = {
      type_id,
      properties: { property: { string_value: '2' } },
      last_known_state: Execution_State.CANCELED,
    }
    const { execution_ids } = await s.putExecutions({ executions: [e1, e2] })
    expect(execution_ids).toHaveLength(2)
    Object.assign(e1, { id: execution_ids[0], type: typeName })
    Object.assign(e2, { id: execution_ids[1], type: typeName })
    expectUnordered((await s.getExecutionsByID({ execution_ids: [e1.id as bigint] })).executions, [e1], TIMES)
    expect((await s.getExecutionsByID({ execution_ids: [UNKNOWN_ID] })).executions).toEqual([])
    expectUnordered(
      (await s.getExecutionsByID({ execution_ids: [e1.id as bigint, e2.id as bigint, UNKNOWN_ID] }))
        .executions,
      [e1, e2],
      TIMES,
    )
  })

  it('PutExecutionsGetExecutionsByExternalIds', async () => {
    const s = t.store()
    const typeName = uid('test_type2')
    const type_id = (
      await s.putExecutionType({
        execution_type: { name: typeName, properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const e1: Execution = {
      type_id,
      properties: { property: { string_value: '1' } },
      external_id: uid('execution_1'),
    }
    const e2: Execution = {
      type_id,
      properties: { property: { string_value: '2' } },
      external_id: uid('execution_2'),
    }
    const { execution_ids } = await s.putExecutions({ executions: [e1, e2] })
    Object.assign(e1, { id: execution_ids[0], type: typeName })
    Object.assign(e2, { id: execution_ids[1], type: typeName })
    expectUnordered(
      (await s.getExecutionsByExternalIds({ external_ids: [e1.external_id as string] })).executions,
      [e1],
      TIMES,
    )
    await expectCode(s.getExecutionsByExternalIds({ external_ids: [uid('execution_absent')] }), Code.NotFound)
    expectUnordered(
      (
        await s.getExecutionsByExternalIds({
          external_ids: [e1.external_id as string, e2.external_id as string, uid('execution_absent')],
        })
      ).executions,
      [e1, e2],
      TIMES,
    )
    await expectCode(s.getExecutionsByExternalIds({ external_ids: [''] }), Code.InvalidArgument)
  })

  it('PutExecutionsGetExecutionsWithEmptyExecution', async () => {
    const s = t.store()
    const typeName = uid('test_type2')
    const type_id = (await s.putExecutionType({ all_fields_match: true, execution_type: { name: typeName } }))
      .type_id
    const { execution_ids } = await s.putExecutions({ executions: [{ type_id }] })
    expect(execution_ids).toHaveLength(1)
    const all = (await s.getExecutions({})).executions
    if (t.fresh) expect(all).toHaveLength(1)
    expectProto(
      all.find((e) => e.id === execution_ids[0]),
      { id: execution_ids[0], type_id },
      ['type', ...TIMES],
    )
    expect(ids((await s.getExecutionsByType({ type_name: typeName })).executions)).toEqual(execution_ids)
    expect((await s.getExecutionsByType({ type_name: uid('not_exist_type') })).executions).toEqual([])
  })

  it('UpdateExecutionWithMasking', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        all_fields_match: true,
        execution_type: { name: uid('test_type2'), properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const ignore = ['type', ...TIMES]
    const insert = { executions: [{ type_id, properties: { property: { string_value: '3' } } }, { type_id }] }
    const read = async (execution_ids: bigint[]) => (await s.getExecutionsByID({ execution_ids })).executions

    {
      const [id1, id2] = (await s.putExecutions(insert)).execution_ids as [bigint, bigint]
      const update = {
        executions: [
          {
            id: id1,
            type_id,
            properties: { property: { string_value: '1' } },
            last_known_state: Execution_State.RUNNING,
          },
          {
            id: id2,
            type_id,
            properties: { property: { string_value: '2' } },
            last_known_state: Execution_State.CANCELED,
          },
        ],
        update_mask: {
          paths: ['properties.property', 'last_known_state', 'an_invalid_field_path_having_no_effect'],
        },
      }
      await s.putExecutions(update)
      expectUnordered(await read([id1, id2]), update.executions, ignore)
    }
    {
      const [id3, id4] = (await s.putExecutions(insert)).execution_ids as [bigint, bigint]
      const update = {
        executions: [
          { id: id3, type_id, external_id: uid('execution_3'), last_known_state: Execution_State.RUNNING },
          { id: id4, type_id, external_id: uid('execution_4'), last_known_state: Execution_State.CANCELED },
        ],
        update_mask: { paths: ['external_id', 'last_known_state'] },
      }
      await s.putExecutions(update)
      const got = await read([id3, id4])
      expectUnordered(got, update.executions, ['properties', ...ignore])
      expect(got.find((e) => e.id === id3)?.properties).toEqual({ property: { string_value: '3' } })
    }
    const [id5, id6] = (await s.putExecutions(insert)).execution_ids as [bigint, bigint]
    const test3 = {
      executions: [
        { id: id5, type_id, custom_properties: { custom_property: { bool_value: true } } },
        { id: id6, type_id, custom_properties: { custom_property: { bool_value: false } } },
      ],
      update_mask: { paths: ['properties.property', 'custom_properties.custom_property'] },
    }
    await s.putExecutions(test3)
    const execution6: Execution = { ...test3.executions[1] }
    expectUnordered(await read([id5, id6]), test3.executions, ignore)
    {
      const ext6 = uid('execution_6')
      const upsert = {
        executions: [
          {
            id: id6,
            type_id,
            external_id: ext6,
            custom_properties: { custom_property: { bool_value: true } },
          },
          {
            type_id,
            external_id: uid('execution_7'),
            custom_properties: { custom_property: { bool_value: true } },
          },
        ],
        update_mask: { paths: ['external_id'] },
      }
      const id7 = (await s.putExecutions(upsert)).execution_ids[1] as bigint
      execution6.external_id = ext6
      expectUnordered(await read([id6, id7]), [execution6, { ...upsert.executions[1], id: id7 }], ignore)
    }
    await s.putExecutions({
      executions: [
        {
          id: id6,
          type_id,
          external_id: uid('unimportant_exeternal_id_value'),
          custom_properties: { unimportant_property_key: { bool_value: true } },
        },
      ],
      update_mask: { paths: ['an_invalid_field_path'] },
    })
    expectUnordered(await read([id6]), [execution6], ignore)
  })

  it('test_update_execution_with_masking_get_execution', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        execution_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const [id] = (
      await s.putExecutions({ executions: [{ type_id, properties: { bar: { string_value: 'Hello' } } }] })
    ).execution_ids as [bigint]
    const ext = uid('new_external_id')
    await s.putExecutions({
      executions: [
        {
          id,
          type_id,
          external_id: ext,
          properties: { foo: { int_value: id }, bar: { string_value: 'Goodbye' } },
          custom_properties: { hello: { string_value: 'World' } },
        },
      ],
      update_mask: {
        paths: ['external_id', 'properties.foo', 'custom_properties.hello', '', 'invalid_field_mask_path'],
      },
    })
    const [got] = (await s.getExecutionsByID({ execution_ids: [id] })).executions
    expect(got?.custom_properties).toEqual({ hello: { string_value: 'World' } })
    expect(got?.properties).toEqual({ bar: { string_value: 'Hello' }, foo: { int_value: id } })
    expect(got?.external_id).toBe(ext)
  })

  it('test_put_executions_get_executions_by_id', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        execution_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const { execution_ids } = await s.putExecutions({
      executions: [{ type_id, properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } } }],
    })
    expect((await s.getExecutionsByID({ execution_ids })).executions[0]?.properties).toEqual({
      foo: { int_value: 3n },
      bar: { string_value: 'Hello' },
    })
  })

  it('test_get_executions_by_id_empty', async () => {
    expect((await t.store().getExecutionsByID({ execution_ids: [] })).executions).toEqual([])
  })

  it('test_put_executions_get_executions', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        execution_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const before = (await s.getExecutions({})).executions.length
    const { execution_ids } = await s.putExecutions({
      executions: [
        { type_id, properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } } },
        { type_id, properties: { foo: { int_value: -9n }, bar: { string_value: 'Goodbye' } } },
      ],
    })
    const all = (await s.getExecutions({})).executions
    expect(all).toHaveLength(before + 2)
    const mine = all.filter((e) => execution_ids.includes(e.id as bigint))
    expect(mine.map((e) => e.properties)).toEqual([
      { foo: { int_value: 3n }, bar: { string_value: 'Hello' } },
      { foo: { int_value: -9n }, bar: { string_value: 'Goodbye' } },
    ])
  })

  it('test_put_executions_get_executions_by_type', async () => {
    const s = t.store()
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING }
    const t1 = (await s.putExecutionType({ execution_type: { name: uid('t'), properties } })).type_id
    const name2 = uid('t')
    const t2 = (await s.putExecutionType({ execution_type: { name: name2, properties } })).type_id
    const [, id1] = (
      await s.putExecutions({
        executions: [
          { type_id: t1, properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } } },
          { type_id: t2 },
        ],
      })
    ).execution_ids
    expect(ids((await s.getExecutionsByType({ type_name: name2 })).executions)).toEqual([id1])
  })

  it('test_put_nodes_get_nodes_by_type_with_version (executions)', async () => {
    const s = t.store()
    const name = uid('t')
    const version = uid('v')
    const type_id = (
      await s.putExecutionType({
        execution_type: { name, version, properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const { execution_ids } = await s.putExecutions({
      executions: [
        {
          type_id,
          name: 'test_node',
          properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } },
        },
      ],
    })
    expect(ids((await s.getExecutionsByType({ type_name: name, type_version: version })).executions)).toEqual(
      execution_ids,
    )
    expect(
      (await s.getExecutionsByType({ type_name: name, type_version: 'random_version' })).executions,
    ).toEqual([])
    expect(
      (await s.getExecutionsByType({ type_name: uid('random_name'), type_version: version })).executions,
    ).toEqual([])
  })

  it('test_put_executions_get_execution_by_type_and_name', async () => {
    const s = t.store()
    const typeName = uid('t')
    const type_id = (await s.putExecutionType({ execution_type: { name: typeName } })).type_id
    const name = uid('execution')
    const [id] = (await s.putExecutions({ executions: [{ type_id, name }] })).execution_ids
    const { execution } = await s.getExecutionByTypeAndName({ type_name: typeName, execution_name: name })
    expect([execution?.id, execution?.type_id, execution?.name]).toEqual([id, type_id, name])
    for (const [type_name, execution_name] of [
      ['random_name', name],
      [typeName, 'random_name'],
      ['random_name', 'random_name'],
    ] as const) {
      expect((await s.getExecutionByTypeAndName({ type_name, execution_name })).execution).toBeUndefined()
    }
  })

  it('test_put_nodes_get_nodes_by_type_and_name_with_version (executions)', async () => {
    const s = t.store()
    const typeName = uid('t')
    const version = uid('v')
    const type_id = (await s.putExecutionType({ execution_type: { name: typeName, version } })).type_id
    const [id] = (await s.putExecutions({ executions: [{ type_id, name: 'test_node' }] })).execution_ids
    const found = await s.getExecutionByTypeAndName({
      type_name: typeName,
      type_version: version,
      execution_name: 'test_node',
    })
    expect([found.execution?.id, found.execution?.type_id, found.execution?.name]).toEqual([
      id,
      type_id,
      'test_node',
    ])
    for (const [type_name, execution_name, type_version] of [
      [typeName, 'test_node', 'random_version'],
      [typeName, 'random_node_name', version],
      ['random_name', 'test_node', version],
    ] as const) {
      expect(
        (await s.getExecutionByTypeAndName({ type_name, execution_name, type_version })).execution,
      ).toBeUndefined()
    }
  })

  it('test_put_executions_get_executions_by_external_ids', async () => {
    const s = t.store()
    const type_id = (await s.putExecutionType({ execution_type: { name: uid('t') } })).type_id
    const e0 = uid('want_execution_0')
    const e1 = uid('want_execution_1')
    await s.putExecutions({
      executions: [
        { type_id, external_id: e0 },
        { type_id, external_id: e1 },
      ],
    })
    const { executions } = await s.getExecutionsByExternalIds({ external_ids: [e0, e1] })
    expect(executions.map((e) => e.external_id).sort()).toEqual([e0, e1].sort())
  })

  it('test_puts_executions_duplicated_name_with_the_same_type', async () => {
    const s = t.store()
    const type_id = (await s.putExecutionType({ execution_type: { name: uid('t') } })).type_id
    await expectCode(
      s.putExecutions({
        executions: [
          { type_id, name: 'the_same_name' },
          { type_id, name: 'the_same_name' },
        ],
      }),
      Code.AlreadyExists,
    )
  })

  it('test_update_execution_get_execution', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        execution_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const [id] = (
      await s.putExecutions({ executions: [{ type_id, properties: { bar: { string_value: 'Hello' } } }] })
    ).execution_ids as [bigint]
    const ext = uid('execution_2')
    expect(
      (
        await s.putExecutions({
          executions: [
            {
              id,
              type_id,
              external_id: ext,
              properties: { foo: { int_value: 12n }, bar: { string_value: 'Goodbye' } },
            },
          ],
        })
      ).execution_ids,
    ).toEqual([id])
    const [got] = (await s.getExecutionsByID({ execution_ids: [id] })).executions
    expect(got?.properties).toEqual({ foo: { int_value: 12n }, bar: { string_value: 'Goodbye' } })
    expect(got?.external_id).toBe(ext)
    expect((await s.putExecutions({ executions: [{ id }] })).execution_ids).toEqual([id])
    expect((await s.getExecutionsByID({ execution_ids: [id] })).executions[0]?.type_id).toBe(type_id)
  })

  it('An execution without type_id is INVALID_ARGUMENT; of an unknown type NOT_FOUND', async () => {
    const s = t.store()
    await expectCode(s.putExecutions({ executions: [{}] }), Code.InvalidArgument)
    await expectCode(s.putExecutions({ executions: [{ type_id: UNKNOWN_ID }] }), Code.NotFound)
    const artifactType = (await s.putArtifactType({ artifact_type: { name: uid('a') } })).type_id
    await expectCode(s.putExecutions({ executions: [{ type_id: artifactType }] }), Code.NotFound)
  })

  it('Updating an execution id that does not exist is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (await s.putExecutionType({ execution_type: { name: uid('t') } })).type_id
    await expectCode(s.putExecutions({ executions: [{ id: UNKNOWN_ID, type_id }] }), Code.InvalidArgument)
  })

  it('A declared execution property of another value type is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        execution_type: { name: uid('t'), properties: { foo: PropertyType.DOUBLE } },
      })
    ).type_id
    await expectCode(
      s.putExecutions({ executions: [{ type_id, properties: { foo: { int_value: 1n } } }] }),
      Code.InvalidArgument,
      'unmatched property type',
    )
  })

  it('An update never changes an execution name', async () => {
    const s = t.store()
    const type_id = (await s.putExecutionType({ execution_type: { name: uid('t') } })).type_id
    const [id] = (await s.putExecutions({ executions: [{ type_id, name: 'first' }] })).execution_ids
    await s.putExecutions({ executions: [{ id, type_id, name: 'second' }] })
    expect((await s.getExecutionsByID({ execution_ids: [id as bigint] })).executions[0]?.name).toBe('first')
  })
})
