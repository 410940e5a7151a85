// Contexts: MLMD's context TEST_Ps of metadata_store_test_suite.cc and the context tests of
// metadata_store_test.py, plus the context rules of the contract (§4.2: names required).
import { expect, it } from 'vitest'
import { Code, type Context, PropertyType } from '../src/index.js'
import { expectCode, expectProto, expectUnordered, ids, TIMES, UNKNOWN_ID, uid } from './support.js'
import { describeTargets } from './targets.js'

describeTargets('contexts', (t) => {
  it('PutTypesAndContextsGetContextsThroughType', async () => {
    const s = t.store()
    const name = uid('test_type')
    const properties = { test_property: PropertyType.STRING }
    const v0 = (await s.putContextType({ context_type: { name, properties } })).type_id as bigint
    const v1 = (await s.putContextType({ context_type: { name, version: 'v1', properties } }))
      .type_id as bigint
    const shared = uid('test_node_name_for_node_0_and_node_2')
    const nodes: Context[] = [
      { type_id: v0, name: shared, properties: { test_property: { string_value: 'foo' } } },
      {
        type_id: v1,
        name: uid('test_node_name_for_node_1'),
        properties: { test_property: { string_value: 'bar' } },
      },
      { type_id: v1, name: shared, properties: { test_property: { string_value: 'foo' } } },
    ]
    const { context_ids } = await s.putContexts({ contexts: nodes })
    nodes.forEach((n, i) => {
      n.id = context_ids[i]
    })
    const [n0, n1, n2] = nodes as [Context, Context, Context]
    const ignore = ['type', ...TIMES]
    expectUnordered((await s.getContextsByType({ type_name: name })).contexts, [n0], ignore)
    expectUnordered(
      (await s.getContextsByType({ type_name: name, type_version: 'v1' })).contexts,
      [n1, n2],
      ignore,
    )
    expectProto(
      (await s.getContextByTypeAndName({ type_name: name, context_name: shared })).context,
      n0,
      ignore,
    )
    expectProto(
      (await s.getContextByTypeAndName({ type_name: name, type_version: 'v1', context_name: shared }))
        .context,
      n2,
      ignore,
    )
    expect(
      (await s.getContextsByType({ type_name: 'Unknown_type_name', type_version: 'Unknown_type_version' }))
        .contexts,
    ).toEqual([])
    expect(
      (
        await s.getContextByTypeAndName({
          type_name: 'Unknown_type_name',
          type_version: 'Unknown_type_version',
          context_name: shared,
        })
      ).context,
    ).toBeUndefined()
  })

  it('UpdateContextPropertiesAndCustomProperties', async () => {
    const s = t.store()
    const type_id = (
      await s.putContextType({
        all_fields_match: true,
        context_type: { name: uid('test_type'), properties: { property_str: PropertyType.STRING } },
      })
    ).type_id
    const original: Context = {
      type_id,
      name: uid('context_name'),
      properties: { property_str: { string_value: '1' } },
      custom_properties: {
        custom_property_str_to_int: { string_value: '1' },
        custom_property_int_to_str: { int_value: 1n },
        custom_property_double_to_bool: { double_value: 1.2345 },
        custom_property_bool_to_double: { bool_value: true },
      },
    }
    const changed = {
      custom_property_str_to_int: { int_value: 1n },
      custom_property_int_to_str: { string_value: '1' },
      custom_property_double_to_bool: { bool_value: true },
      custom_property_bool_to_double: { double_value: 1.2345 },
    }
    const ignore = ['type', ...TIMES]
    // 1: every custom property changes its value kind.
    {
      const [id] = (await s.putContexts({ contexts: [original] })).context_ids as [bigint]
      const update: Context = { ...original, id, custom_properties: changed }
      await s.putContexts({ contexts: [update] })
      expectUnordered((await s.getContextsByID({ context_ids: [id] })).contexts, [update], ignore)
    }
    // 2: the same under a mask naming two of them; the others stay.
    {
      const name = uid('context_name2')
      const [id] = (await s.putContexts({ contexts: [{ ...original, name }] })).context_ids as [bigint]
      await s.putContexts({
        contexts: [{ id, type_id, custom_properties: changed }],
        update_mask: {
          paths: [
            'custom_properties.custom_property_str_to_int',
            'custom_properties.custom_property_int_to_str',
          ],
        },
      })
      expectUnordered(
        (await s.getContextsByID({ context_ids: [id] })).contexts,
        [
          {
            id,
            type_id,
            name,
            properties: { property_str: { string_value: '1' } },
            custom_properties: {
              custom_property_str_to_int: { int_value: 1n },
              custom_property_int_to_str: { string_value: '1' },
              custom_property_double_to_bool: { double_value: 1.2345 },
              custom_property_bool_to_double: { bool_value: true },
            },
          },
        ],
        ignore,
      )
    }
    // 3: a declared property cannot change its value kind.
    {
      const [id] = (await s.putContexts({ contexts: [{ ...original, name: uid('context_name3') }] }))
        .context_ids as [bigint]
      const update = {
        contexts: [{ id, type_id, properties: { property_str: { int_value: 1n } } }],
        update_mask: { paths: ['properties.property_str'] },
      }
      await expectCode(s.putContexts(update), Code.InvalidArgument, 'unmatched property type')
    }
  })

  it('UpdateContextWithMasking', async () => {
    const s = t.store()
    const type_id = (
      await s.putContextType({
        all_fields_match: true,
        context_type: { name: uid('test_type'), properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const ignore = ['type', ...TIMES]
    const read = async (context_ids: bigint[]) => (await s.getContextsByID({ context_ids })).contexts
    const insert = () => ({
      contexts: [
        { type_id, properties: { property: { string_value: '1' } }, name: uid('context_name_old_1') },
        { type_id, name: uid('context_name_old_2') },
      ],
    })

    // 1: rename both and set a property under a mask with an invalid path.
    {
      const [id1, id2] = (await s.putContexts(insert())).context_ids as [bigint, bigint]
      const update = {
        contexts: [
          { id: id1, type_id, properties: { property: { string_value: '1' } }, name: uid('context_1') },
          { id: id2, type_id, properties: { property: { string_value: '2' } }, name: uid('context_2') },
        ],
        update_mask: { paths: ['properties.property', 'name', 'an_invalid_field_path_having_no_effect'] },
      }
      await s.putContexts(update)
      expectUnordered(await read([id1, id2]), update.contexts, ignore)
    }
    // 2: set external_id and name; properties stay.
    {
      const first = insert()
      const [id3, id4] = (await s.putContexts(first)).context_ids as [bigint, bigint]
      const [n3, n4] = [uid('context_3'), uid('context_4')]
      const update = {
        contexts: [
          { id: id3, type_id, external_id: n3, name: n3 },
          { id: id4, type_id, external_id: n4, name: n4 },
        ],
        update_mask: { paths: ['external_id', 'name'] },
      }
      await s.putContexts(update)
      const got = await read([id3, id4])
      expectUnordered(got, update.contexts, ['properties', ...ignore])
      expect(got.find((c) => c.id === id3)?.properties).toEqual({ property: { string_value: '1' } })
    }
    // 3: delete a property, add custom properties; the names stay.
    const third = insert()
    const [id5, id6] = (await s.putContexts(third)).context_ids as [bigint, bigint]
    const test3 = {
      contexts: [
        {
          id: id5,
          type_id,
          custom_properties: { custom_property: { bool_value: true } },
          name: third.contexts[0]?.name as string,
        },
        {
          id: id6,
          type_id,
          custom_properties: { custom_property: { bool_value: false } },
          name: third.contexts[1]?.name as string,
        },
      ],
      update_mask: { paths: ['properties.property', 'custom_properties.custom_property'] },
    }
    await s.putContexts(test3)
    expectUnordered(await read([id5, id6]), test3.contexts, ignore)
    const context6: Context = { ...test3.contexts[1] }
    // 4: the mask protects the update (no name needed) and does not apply to the insert.
    {
      const ext6 = uid('context_6')
      const n7 = uid('context_7')
      const upsert = {
        contexts: [
          {
            id: id6,
            type_id,
            external_id: ext6,
            custom_properties: { custom_property: { bool_value: true } },
          },
          {
            type_id,
            name: n7,
            external_id: n7,
            custom_properties: { custom_property: { bool_value: true } },
          },
        ],
        update_mask: { paths: ['external_id'] },
      }
      const id7 = (await s.putContexts(upsert)).context_ids[1] as bigint
      context6.external_id = ext6
      expectUnordered(await read([id6, id7]), [context6, { ...upsert.contexts[1], id: id7 }], ignore)
    }
    // 5: a mask of invalid paths only changes nothing.
    await s.putContexts({
      contexts: [
        {
          id: id6,
          type_id,
          external_id: uid('unimportant_exeternal_id_value'),
          custom_properties: { unimportant_property_key: { bool_value: true } },
        },
      ],
      update_mask: { paths: ['an_invalid_field_path'] },
    })
    expectUnordered(await read([id6]), [context6], ignore)
  })

  it('PutContextsGetContextsByExternalIds', async () => {
    const s = t.store()
    const typeName = uid('test_context_type')
    const type_id = (
      await s.putContextType({
        context_type: { name: typeName, properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const c1: Context = {
      type_id,
      name: uid('context_1'),
      properties: { property: { string_value: '1' } },
      external_id: uid('context_external_id_1'),
    }
    const c2: Context = {
      type_id,
      name: uid('context_2'),
      properties: { property: { string_value: '2' } },
      external_id: uid('context_external_id_2'),
    }
    const { context_ids } = await s.putContexts({ contexts: [c1, c2] })
    Object.assign(c1, { id: context_ids[0], type: typeName })
    Object.assign(c2, { id: context_ids[1], type: typeName })
    expectUnordered(
      (await s.getContextsByExternalIds({ external_ids: [c1.external_id as string] })).contexts,
      [c1],
      TIMES,
    )
    await expectCode(
      s.getContextsByExternalIds({ external_ids: [uid('context_absent_external_id')] }),
      Code.NotFound,
    )
    expectUnordered(
      (
        await s.getContextsByExternalIds({
          external_ids: [
            c1.external_id as string,
            c2.external_id as string,
            uid('context_absent_external_id'),
          ],
        })
      ).contexts,
      [c1, c2],
      TIMES,
    )
    await expectCode(s.getContextsByExternalIds({ external_ids: [''] }), Code.InvalidArgument)
  })

  it('PutContextsUpdateGetContexts', async () => {
    const s = t.store()
    const typeName = uid('test_type')
    const type_id = (
      await s.putContextType({
        all_fields_match: true,
        context_type: { name: typeName, properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const type2Name = uid('type2_name')
    const type2_id = (await s.putContextType({ all_fields_match: true, context_type: { name: type2Name } }))
      .type_id
    const [id1, id2] = (
      await s.putContexts({
        contexts: [
          { type_id, name: uid('context1'), properties: { property: { string_value: '1' } } },
          { type_id, name: uid('context2'), custom_properties: { custom: { int_value: 2n } } },
        ],
      })
    ).context_ids as [bigint, bigint]
    const want1: Context = {
      id: id1,
      type_id,
      type: typeName,
      name: uid('context1'),
      properties: { property: { string_value: '2' } },
    }
    const want2: Context = {
      id: id2,
      type_id,
      type: typeName,
      name: uid('context2'),
      custom_properties: { custom: { int_value: 3n } },
    }
    const want3: Context = { type_id: type2_id, name: uid('context3'), type: type2Name }
    const put2 = await s.putContexts({ contexts: [want1, want2, want3] })
    expect(put2.context_ids.slice(0, 2)).toEqual([id1, id2])
    want3.id = put2.context_ids[2]

    expectUnordered((await s.getContextsByID({ context_ids: [id1] })).contexts, [want1], TIMES)
    expectUnordered(
      (await s.getContextsByID({ context_ids: [id1, id2, UNKNOWN_ID] })).contexts,
      [want1, want2],
      TIMES,
    )
    expect((await s.getContextsByID({ context_ids: [UNKNOWN_ID] })).contexts).toEqual([])
    expectUnordered((await s.getContextsByType({ type_name: type2Name })).contexts, [want3], TIMES)

    // By type, one per page.
    const first = await s.getContextsByType({ type_name: typeName, options: { max_result_size: 1 } })
    expectUnordered(first.contexts, [want1], TIMES)
    expect(first.next_page_token).toBeTruthy()
    const second = await s.getContextsByType({
      type_name: typeName,
      options: { max_result_size: 1, next_page_token: first.next_page_token as string },
    })
    expectUnordered(second.contexts, [want2], TIMES)
    expect(second.next_page_token ?? '').toBe('')

    const all = (await s.getContexts({})).contexts
    expectUnordered(
      all.filter((c) => [id1, id2, want3.id].includes(c.id)),
      [want1, want2, want3],
      TIMES,
    )
    if (t.fresh) expect(all).toHaveLength(3)
  })

  it('test_put_contexts_get_contexts_by_id', async () => {
    const s = t.store()
    const type_id = (
      await s.putContextType({ context_type: { name: uid('t'), properties: { foo: PropertyType.INT } } })
    ).type_id
    const name = uid('c')
    const { context_ids } = await s.putContexts({
      contexts: [
        {
          type_id,
          name,
          properties: { foo: { int_value: 3n } },
          custom_properties: { abc: { string_value: 's' } },
        },
      ],
    })
    const [got] = (await s.getContextsByID({ context_ids })).contexts
    expect(got?.name).toBe(name)
    expect(got?.properties).toEqual({ foo: { int_value: 3n } })
    expect(got?.custom_properties).toEqual({ abc: { string_value: 's' } })
  })

  it('test_put_contexts_get_contexts', async () => {
    const s = t.store()
    const type_id = (
      await s.putContextType({
        context_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const before = (await s.getContexts({})).contexts.length
    const [n0, n1] = [uid('c0'), uid('c1')]
    const { context_ids } = await s.putContexts({
      contexts: [
        { type_id, name: n0, properties: { bar: { string_value: 'Hello' } } },
        { type_id, name: n1, properties: { foo: { int_value: -9n } } },
      ],
    })
    const all = (await s.getContexts({})).contexts
    expect(all).toHaveLength(before + 2)
    const mine = all.filter((c) => context_ids.includes(c.id as bigint))
    expect(mine.map((c) => [c.name, c.properties])).toEqual([
      [n0, { bar: { string_value: 'Hello' } }],
      [n1, { foo: { int_value: -9n } }],
    ])
  })

  it('test_put_contexts_get_context_by_type_and_name', async () => {
    const s = t.store()
    const typeName = uid('t')
    const type_id = (await s.putContextType({ context_type: { name: typeName } })).type_id
    const name = uid('c')
    const [id] = (await s.putContexts({ contexts: [{ type_id, name }] })).context_ids
    const { context } = await s.getContextByTypeAndName({ type_name: typeName, context_name: name })
    expect([context?.id, context?.type_id, context?.name]).toEqual([id, type_id, name])
    for (const [type_name, context_name] of [
      ['random_name', name],
      [typeName, 'random_name'],
      ['random_name', 'random_name'],
    ] as const) {
      expect((await s.getContextByTypeAndName({ type_name, context_name })).context).toBeUndefined()
    }
  })

  it('test_put_nodes_get_nodes_by_type_and_name_with_version (contexts)', async () => {
    const s = t.store()
    const typeName = uid('t')
    const version = uid('v')
    const type_id = (await s.putContextType({ context_type: { name: typeName, version } })).type_id
    const [id] = (await s.putContexts({ contexts: [{ type_id, name: 'test_node' }] })).context_ids
    const found = await s.getContextByTypeAndName({
      type_name: typeName,
      type_version: version,
      context_name: 'test_node',
    })
    expect([found.context?.id, found.context?.type_id, found.context?.name]).toEqual([
      id,
      type_id,
      'test_node',
    ])
    for (const [type_name, context_name, type_version] of [
      [typeName, 'test_node', 'random_version'],
      [typeName, 'random_node_name', version],
      ['random_name', 'test_node', version],
    ] as const) {
      expect(
        (await s.getContextByTypeAndName({ type_name, context_name, type_version })).context,
      ).toBeUndefined()
    }
  })

  it('test_put_nodes_get_nodes_by_type_with_version (contexts)', async () => {
    const s = t.store()
    const name = uid('t')
    const version = uid('v')
    const type_id = (
      await s.putContextType({ context_type: { name, version, properties: { foo: PropertyType.INT } } })
    ).type_id
    const { context_ids } = await s.putContexts({
      contexts: [{ type_id, name: 'test_node', properties: { foo: { int_value: 3n } } }],
    })
    expect(ids((await s.getContextsByType({ type_name: name, type_version: version })).contexts)).toEqual(
      context_ids,
    )
    expect((await s.getContextsByType({ type_name: name, type_version: 'random_version' })).contexts).toEqual(
      [],
    )
    expect(
      (await s.getContextsByType({ type_name: uid('random_name'), type_version: version })).contexts,
    ).toEqual([])
  })

  it('test_put_contexts_get_contexts_by_external_ids', async () => {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    const [e0, e1] = [uid('want_context_0'), uid('want_context_1')]
    await s.putContexts({
      contexts: [
        { type_id, name: e0, external_id: e0 },
        { type_id, name: e1, external_id: e1 },
      ],
    })
    const { contexts } = await s.getContextsByExternalIds({ external_ids: [e0, e1] })
    expect(contexts.map((c) => c.external_id).sort()).toEqual([e0, e1].sort())
  })

  it('test_put_contexts_get_contexts_by_type', async () => {
    const s = t.store()
    const t1 = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    const name2 = uid('t')
    const t2 = (await s.putContextType({ context_type: { name: name2 } })).type_id
    const [, id1] = (
      await s.putContexts({
        contexts: [
          { type_id: t1, name: uid('c') },
          { type_id: t2, name: uid('c') },
        ],
      })
    ).context_ids
    expect(ids((await s.getContextsByType({ type_name: name2 })).contexts)).toEqual([id1])
  })

  it('test_puts_contexts_empty_name', async () => {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    await expectCode(s.putContexts({ contexts: [{ type_id }] }), Code.InvalidArgument)
    await expectCode(s.putContexts({ contexts: [{ type_id, name: '' }] }), Code.InvalidArgument)
  })

  it('A full update of a context without a name is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    const [id] = (await s.putContexts({ contexts: [{ type_id, name: uid('c') }] })).context_ids
    await expectCode(s.putContexts({ contexts: [{ id, type_id }] }), Code.InvalidArgument)
  })

  it('test_puts_contexts_duplicated_name_with_the_same_type', async () => {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    await expectCode(
      s.putContexts({
        contexts: [
          { type_id, name: 'the_same_name' },
          { type_id, name: 'the_same_name' },
        ],
      }),
      Code.AlreadyExists,
    )
  })

  it('test_update_context_get_context', async () => {
    const s = t.store()
    const type_id = (
      await s.putContextType({
        context_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const [id] = (
      await s.putContexts({
        contexts: [{ type_id, name: uid('c'), properties: { bar: { string_value: 'Hello' } } }],
      })
    ).context_ids as [bigint]
    const name2 = uid('c2')
    const ext = uid('context_2')
    expect(
      (
        await s.putContexts({
          contexts: [
            {
              id,
              type_id,
              name: name2,
              external_id: ext,
              properties: { foo: { int_value: 12n }, bar: { string_value: 'Goodbye' } },
            },
          ],
        })
      ).context_ids,
    ).toEqual([id])
    const [got] = (await s.getContextsByID({ context_ids: [id] })).contexts
    // Unlike artifact and execution names, a context name is updated.
    expect(got?.name).toBe(name2)
    expect(got?.properties).toEqual({ foo: { int_value: 12n }, bar: { string_value: 'Goodbye' } })
    expect(got?.external_id).toBe(ext)
    const name3 = uid('context_3')
    expect((await s.putContexts({ contexts: [{ id, name: name3 }] })).context_ids).toEqual([id])
    const [third] = (await s.getContextsByID({ context_ids: [id] })).contexts
    expect(third?.type_id).toBe(type_id)
    expect(third?.name).toBe(name3)
  })

  it('A context without type_id is INVALID_ARGUMENT; of an unknown type NOT_FOUND', async () => {
    const s = t.store()
    await expectCode(s.putContexts({ contexts: [{ name: uid('c') }] }), Code.InvalidArgument)
    await expectCode(s.putContexts({ contexts: [{ type_id: UNKNOWN_ID, name: uid('c') }] }), Code.NotFound)
  })

  it('Updating a context id that does not exist is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    await expectCode(
      s.putContexts({ contexts: [{ id: UNKNOWN_ID, type_id, name: uid('c') }] }),
      Code.InvalidArgument,
    )
  })

  it('Renaming a context to a taken name: MLMD answers INTERNAL (a raw UNIQUE failure), mlmd-ts ALREADY_EXISTS', async () => {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    const [, y] = (
      await s.putContexts({
        contexts: [
          { type_id, name: 'x' },
          { type_id, name: 'y' },
        ],
      })
    ).context_ids
    // mlmd-ts maps every UNIQUE violation to ALREADY_EXISTS (design rule 4); MLMD only does so
    // on insert.
    await expectCode(
      s.putContexts({ contexts: [{ id: y, type_id, name: 'x' }] }),
      t.impl === 'mlmd-ts' ? Code.AlreadyExists : Code.Internal,
    )
  })
})
