// Artifacts: MLMD's artifact TEST_Ps of metadata_store_test_suite.cc and the artifact tests of
// metadata_store_test.py, plus the node error table of the contract (§4.2) and value round trips.
import { expect, it } from 'vitest'
import { type Artifact, Artifact_State, Code, PropertyType, type Value } from '../src/index.js'
import { expectCode, expectProto, expectUnordered, ids, TIMES, UNKNOWN_ID, uid } from './support.js'
import { describeTargets } from './targets.js'
import { rawUnaryCall } from './wire.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

describeTargets('artifacts', (t) => {
  // Two types named alike (one with version v1) and three nodes, two of them sharing a name:
  // MLMD's PrepareTypesAndNodesForListNodeThroughType.
  async function prepareThroughType() {
    const s = t.store()
    const name = uid('test_type')
    const v0 = (
      await s.putArtifactType({ artifact_type: { name, properties: { test_property: PropertyType.STRING } } })
    ).type_id as bigint
    const v1 = (
      await s.putArtifactType({
        artifact_type: { name, version: 'v1', properties: { test_property: PropertyType.STRING } },
      })
    ).type_id as bigint
    const shared = uid('test_node_name_for_node_0_and_node_2')
    const nodes: Artifact[] = [
      { type_id: v0, name: shared, properties: { test_property: { string_value: 'foo' } } },
      {
        type_id: v1,
        name: uid('test_node_name_for_node_1'),
        properties: { test_property: { string_value: 'bar' } },
      },
      { type_id: v1, name: shared, properties: { test_property: { string_value: 'foo' } } },
    ]
    const { artifact_ids } = await s.putArtifacts({ artifacts: nodes })
    nodes.forEach((n, i) => {
      n.id = artifact_ids[i]
    })
    return { s, name, nodes, shared }
  }

  it('PutTypesAndArtifactsGetArtifactsThroughType', async () => {
    const { s, name, nodes, shared } = await prepareThroughType()
    const ignore = ['uri', 'type', ...TIMES]
    expectUnordered(
      (await s.getArtifactsByType({ type_name: name })).artifacts,
      [nodes[0] as Artifact],
      ignore,
    )
    expectUnordered(
      (await s.getArtifactsByType({ type_name: name, type_version: 'v1' })).artifacts,
      [nodes[1] as Artifact, nodes[2] as Artifact],
      ignore,
    )
    expectProto(
      (await s.getArtifactByTypeAndName({ type_name: name, artifact_name: shared })).artifact,
      nodes[0] as Artifact,
      ignore,
    )
    expectProto(
      (await s.getArtifactByTypeAndName({ type_name: name, type_version: 'v1', artifact_name: shared }))
        .artifact,
      nodes[2] as Artifact,
      ignore,
    )
    expect(
      (await s.getArtifactsByType({ type_name: 'Unknown_type_name', type_version: 'Unknown_type_version' }))
        .artifacts,
    ).toEqual([])
    const missing = await s.getArtifactByTypeAndName({
      type_name: 'Unknown_type_name',
      type_version: 'Unknown_type_version',
      artifact_name: shared,
    })
    expect(missing.artifact).toBeUndefined()
  })

  it('PutArtifactsGetArtifactsByID', async () => {
    const s = t.store()
    const typeName = uid('test_type2')
    const type_id = (
      await s.putArtifactType({
        all_fields_match: true,
        artifact_type: { name: typeName, properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const artifact1: Artifact = {
      type_id,
      uri: 'testuri://testing/uri',
      properties: { property: { string_value: '1' } },
    }
    const artifact2: Artifact = {
      type_id,
      uri: 'testuri://testing/uri',
      properties: { property: { string_value: '2' } },
    }
    const { artifact_ids } = await s.putArtifacts({ artifacts: [artifact1, artifact2] })
    expect(artifact_ids).toHaveLength(2)
    Object.assign(artifact1, { id: artifact_ids[0], type: typeName })
    Object.assign(artifact2, { id: artifact_ids[1], type: typeName })

    const one = await s.getArtifactsByID({ artifact_ids: [artifact1.id as bigint] })
    expectUnordered(one.artifacts, [artifact1], TIMES)
    expect(one.artifact_types).toEqual([])
    const unknown = await s.getArtifactsByID({ artifact_ids: [UNKNOWN_ID] })
    expect(unknown.artifacts).toEqual([])
    expect(unknown.artifact_types).toEqual([])
    const many = await s.getArtifactsByID({
      artifact_ids: [UNKNOWN_ID, artifact1.id as bigint, artifact2.id as bigint],
    })
    expectUnordered(many.artifacts, [artifact1, artifact2], TIMES)
    expect(many.artifact_types).toEqual([])
  })

  it('GetArtifactsByID collapses duplicate ids and answers by ascending id', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const { artifact_ids } = await s.putArtifacts({ artifacts: [{ type_id }, { type_id }] })
    const [a, b] = artifact_ids as [bigint, bigint]
    const { artifacts } = await s.getArtifactsByID({ artifact_ids: [b, a, b] })
    expect(artifacts.map((x) => x.id)).toEqual([a, b])
  })

  it('test_put_artifacts_get_artifacts_by_id_with_set', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const { artifact_ids } = await s.putArtifacts({ artifacts: [{ type_id }] })
    const { artifacts } = await s.getArtifactsByID({ artifact_ids: [...new Set(artifact_ids)] })
    expect(artifacts.map((a) => a.type_id)).toEqual([type_id])
  })

  it('PutArtifactsGetArtifactsByIDAndPopulateType', async () => {
    const s = t.store()
    const types = []
    for (const i of [1, 2]) {
      const type = {
        name: uid(`test_type_${i}`),
        version: 'v1',
        description: 'artifact_type_description',
        external_id: uid(`test_type_${i}`),
        properties: { [`property_${i}`]: PropertyType.STRING },
      }
      types.push({
        ...type,
        id: (await s.putArtifactType({ all_fields_match: true, artifact_type: type })).type_id,
      })
    }
    const bare = { name: uid('test_type_3') }
    types.push({
      ...bare,
      id: (await s.putArtifactType({ all_fields_match: true, artifact_type: bare })).type_id,
    })
    const [type1, type2, type3] = types as [
      (typeof types)[0],
      (typeof types)[0],
      { name: string; id: bigint },
    ]

    // Two artifacts of one type.
    const a1: Artifact = {
      type_id: type1.id,
      uri: 'testuri://testing/uri',
      properties: { property_1: { string_value: '1' } },
    }
    const a2: Artifact = {
      type_id: type1.id,
      uri: 'testuri://testing/uri',
      properties: { property_1: { string_value: '2' } },
    }
    const put = await s.putArtifacts({ artifacts: [a1, a2] })
    Object.assign(a1, { id: put.artifact_ids[0], type: type1.name })
    Object.assign(a2, { id: put.artifact_ids[1], type: type1.name })
    const got = await s.getArtifactsByID({
      artifact_ids: [a1.id as bigint, a2.id as bigint],
      populate_artifact_types: true,
    })
    expectUnordered(got.artifacts, [a1, a2], TIMES)
    // MLMD's populated types carry no base_type; none is set here.
    expectUnordered(got.artifact_types, [type1])

    // Three artifacts of three types, one without properties.
    const b1: Artifact = {
      type_id: type1.id,
      uri: 'testuri://testing/uri',
      properties: { property_1: { string_value: '1' } },
    }
    const b2: Artifact = {
      type_id: type2.id,
      uri: 'testuri://testing/uri',
      properties: { property_2: { string_value: '2' } },
    }
    const b3: Artifact = { type_id: type3.id, uri: 'testuri://testing/uri' }
    const put2 = await s.putArtifacts({ artifacts: [b1, b2, b3] })
    Object.assign(b1, { id: put2.artifact_ids[0], type: type1.name })
    Object.assign(b2, { id: put2.artifact_ids[1], type: type2.name })
    Object.assign(b3, { id: put2.artifact_ids[2], type: type3.name })
    const got2 = await s.getArtifactsByID({
      artifact_ids: [UNKNOWN_ID, b1.id as bigint, b2.id as bigint, b3.id as bigint],
      populate_artifact_types: true,
    })
    expectUnordered(got2.artifacts, [b1, b2, b3], TIMES)
    expectUnordered(got2.artifact_types, [type1, type2, type3])
  })

  it('test_put_artifacts_get_artifacts_and_types_by_artifact_ids', async () => {
    const s = t.store()
    const name = uid('t')
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name, properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [{ type_id, properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } } }],
    })
    const got = await s.getArtifactsByID({ artifact_ids, populate_artifact_types: true })
    expect(got.artifacts).toHaveLength(1)
    expect(got.artifacts[0]?.properties).toEqual({ foo: { int_value: 3n }, bar: { string_value: 'Hello' } })
    expect(got.artifact_types.map((x) => [x.id, x.name])).toEqual([[type_id, name]])
    expect(got.artifacts[0]?.type).toBe(name)
  })

  it('PutArtifactsGetArtifactsByExternalIds', async () => {
    const s = t.store()
    const typeName = uid('test_type2')
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name: typeName, properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const a1: Artifact = {
      type_id,
      uri: 'testuri://testing/uri',
      properties: { property: { string_value: '1' } },
      external_id: uid('artifact_1'),
    }
    const a2: Artifact = {
      type_id,
      uri: 'testuri://testing/uri',
      properties: { property: { string_value: '2' } },
      external_id: uid('artifact_2'),
    }
    const { artifact_ids } = await s.putArtifacts({ artifacts: [a1, a2] })
    Object.assign(a1, { id: artifact_ids[0], type: typeName })
    Object.assign(a2, { id: artifact_ids[1], type: typeName })
    expectUnordered(
      (await s.getArtifactsByExternalIds({ external_ids: [a1.external_id as string] })).artifacts,
      [a1],
      TIMES,
    )
    await expectCode(s.getArtifactsByExternalIds({ external_ids: [uid('artifact_absent')] }), Code.NotFound)
    expectUnordered(
      (
        await s.getArtifactsByExternalIds({
          external_ids: [a1.external_id as string, a2.external_id as string],
        })
      ).artifacts,
      [a1, a2],
      TIMES,
    )
    expectUnordered(
      (
        await s.getArtifactsByExternalIds({
          external_ids: [a1.external_id as string, a2.external_id as string, uid('artifact_absent')],
        })
      ).artifacts,
      [a1, a2],
      TIMES,
    )
    await expectCode(s.getArtifactsByExternalIds({ external_ids: [''] }), Code.InvalidArgument)
    expect((await s.getArtifactsByExternalIds({ external_ids: [] })).artifacts).toEqual([])
  })

  it('PutArtifactsUpdateGetArtifactsByID', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name: uid('test_type2'), properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [{ type_id, uri: 'testuri://testing/uri', properties: { property: { string_value: '3' } } }],
    })
    const update: Artifact = {
      id: artifact_ids[0],
      type_id,
      uri: 'testuri://testing/uri',
      properties: { property: { string_value: '2' } },
      state: Artifact_State.LIVE,
    }
    expect((await s.putArtifacts({ artifacts: [update] })).artifact_ids).toEqual(artifact_ids)
    const { artifacts } = await s.getArtifactsByID({ artifact_ids })
    expect(artifacts).toHaveLength(1)
    expectProto(artifacts[0], update, ['type', ...TIMES])
  })

  it('A full update replaces the node: a missing uri becomes "", state and properties go', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({ artifact_type: { name: uid('t'), properties: { p: PropertyType.STRING } } })
    ).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [
        {
          type_id,
          uri: 'u',
          state: Artifact_State.LIVE,
          external_id: uid('ext'),
          properties: { p: { string_value: 'x' } },
          custom_properties: { c: { int_value: 1n } },
        },
      ],
    })
    await s.putArtifacts({ artifacts: [{ id: artifact_ids[0], type_id }] })
    const [got] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    expectProto(got, { id: artifact_ids[0], type_id, uri: '' }, ['type', ...TIMES])
  })

  it('UpdateArtifactWithMasking', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        all_fields_match: true,
        artifact_type: { name: uid('test_type2'), properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const ignore = ['type', ...TIMES]
    const insert = {
      artifacts: [
        { type_id, uri: 'testuri://testing/uri1', properties: { property: { string_value: '3' } } },
        { type_id, uri: 'testuri://testing/uri2' },
      ],
    }
    const read = async (artifact_ids: bigint[]) => (await s.getArtifactsByID({ artifact_ids })).artifacts

    // 1: update fields and properties of both under a mask with an invalid path.
    {
      const [id1, id2] = (await s.putArtifacts(insert)).artifact_ids as [bigint, bigint]
      const update = {
        artifacts: [
          { id: id1, type_id, properties: { property: { string_value: '1' } }, state: Artifact_State.LIVE },
          { id: id2, type_id, properties: { property: { string_value: '2' } }, state: Artifact_State.LIVE },
        ],
        update_mask: { paths: ['properties.property', 'state', 'an_invalid_field_path_having_no_effect'] },
      }
      await s.putArtifacts(update)
      expectUnordered(
        await read([id1, id2]),
        [
          { ...update.artifacts[0], uri: 'testuri://testing/uri1' },
          { ...update.artifacts[1], uri: 'testuri://testing/uri2' },
        ],
        ignore,
      )
    }
    // 2: set external_id and uri; properties stay.
    {
      const [id3, id4] = (await s.putArtifacts(insert)).artifact_ids as [bigint, bigint]
      const ext3 = uid('artifact_3')
      const ext4 = uid('artifact_4')
      await s.putArtifacts({
        artifacts: [
          { id: id3, type_id, external_id: ext3, uri: 'testuri://testing/uri3' },
          { id: id4, type_id, external_id: ext4, uri: 'testuri://testing/uri4' },
        ],
        update_mask: { paths: ['external_id', 'uri'] },
      })
      const got = await read([id3, id4])
      expectUnordered(
        got,
        [
          { id: id3, type_id, external_id: ext3, uri: 'testuri://testing/uri3' },
          { id: id4, type_id, external_id: ext4, uri: 'testuri://testing/uri4' },
        ],
        ['properties', ...ignore],
      )
      expect(got.find((a) => a.id === id3)?.properties).toEqual({ property: { string_value: '3' } })
    }
    // 3: delete a property and add custom properties through property paths.
    const [id5, id6] = (await s.putArtifacts(insert)).artifact_ids as [bigint, bigint]
    const test3 = {
      artifacts: [
        { id: id5, type_id, custom_properties: { custom_property: { bool_value: true } } },
        { id: id6, type_id, custom_properties: { custom_property: { bool_value: false } } },
      ],
      update_mask: { paths: ['properties.property', 'custom_properties.custom_property'] },
    }
    await s.putArtifacts(test3)
    const artifact6: Artifact = { ...test3.artifacts[1], uri: 'testuri://testing/uri2' }
    expectUnordered(
      await read([id5, id6]),
      [{ ...test3.artifacts[0], uri: 'testuri://testing/uri1' }, artifact6],
      ignore,
    )
    // 4: the mask protects the update, and does not apply to the insert in the same request.
    {
      const ext6 = uid('artifact_6')
      const ext7 = uid('artifact_7')
      const upsert = {
        artifacts: [
          {
            id: id6,
            type_id,
            external_id: ext6,
            custom_properties: { custom_property: { bool_value: true } },
          },
          {
            type_id,
            uri: 'testuri://testing/uri7',
            external_id: ext7,
            custom_properties: { custom_property: { bool_value: true } },
          },
        ],
        update_mask: { paths: ['external_id'] },
      }
      const { artifact_ids } = await s.putArtifacts(upsert)
      const id7 = artifact_ids[1] as bigint
      artifact6.external_id = ext6
      expectUnordered(await read([id6, id7]), [artifact6, { ...upsert.artifacts[1], id: id7 }], ignore)
    }
    // 5: a mask of invalid paths only changes nothing.
    await s.putArtifacts({
      artifacts: [
        {
          id: id6,
          type_id,
          external_id: uid('unimportant_exeternal_id_value'),
          custom_properties: { unimportant_property_key: { bool_value: true } },
        },
      ],
      update_mask: { paths: ['an_invalid_field_path'] },
    })
    expectUnordered(await read([id6]), [artifact6], ignore)
  })

  it('test_update_artifact_with_masking_get_artifact', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const [id] = (
      await s.putArtifacts({
        artifacts: [{ type_id, uri: 'test_uri', properties: { bar: { string_value: 'Hello' } } }],
      })
    ).artifact_ids as [bigint]
    const ext = uid('new_external_id')
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [
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
    expect(artifact_ids).toEqual([id])
    const [got] = (await s.getArtifactsByID({ artifact_ids: [id] })).artifacts
    expect(got?.custom_properties).toEqual({ hello: { string_value: 'World' } })
    expect(got?.properties).toEqual({ bar: { string_value: 'Hello' }, foo: { int_value: id } })
    expect(got?.external_id).toBe(ext)
    expect(got?.uri).toBe('test_uri')
  })

  it('A mask naming a field the request leaves unset clears it', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [{ type_id, uri: 'u', external_id: uid('e'), state: Artifact_State.LIVE }],
    })
    await s.putArtifacts({
      artifacts: [{ id: artifact_ids[0], type_id }],
      update_mask: { paths: ['external_id', 'state'] },
    })
    const [got] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    expect(got?.external_id).toBeUndefined()
    expect(got?.state).toBeUndefined()
    expect(got?.uri).toBe('u')
  })

  it('PutArtifactsWhenLatestUpdatedTimeChanged', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('test_type') } })).type_id
    const { artifact_ids } = await s.putArtifacts({ artifacts: [{ type_id }] })
    const [stored] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    expect(stored?.last_update_time_since_epoch).toBeGreaterThan(0n)
    const request = {
      artifacts: [{ ...stored, state: Artifact_State.LIVE }],
      options: { abort_if_latest_updated_time_changed: true },
    }
    expect((await s.putArtifacts(request)).artifact_ids).toEqual(artifact_ids)
    // The stored time moved on, so the same request fails.
    await expectCode(s.putArtifacts(request), Code.FailedPrecondition)
    expect((await s.getArtifactsByID({ artifact_ids })).artifacts[0]?.state).toBe(Artifact_State.LIVE)
  })

  it('GetArtifactByURI', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({ all_fields_match: true, artifact_type: { name: uid('artifact_type') } })
    ).type_id
    expect((await s.getArtifactsByURI({})).artifacts).toEqual([])
    const one = uid('testuri://with_one_artifact')
    const multiple = uid('testuri://with_multiple_artifacts')
    const before = (await s.getArtifactsByURI({ uris: [''] })).artifacts.length
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [
        { type_id, uri: one },
        { type_id, uri: multiple },
        { type_id, uri: multiple },
        { type_id },
        { type_id },
        { type_id },
      ],
    })
    expect(artifact_ids).toHaveLength(6)
    expect((await s.getArtifactsByURI({ uris: [one] })).artifacts).toHaveLength(1)
    expect((await s.getArtifactsByURI({ uris: [multiple] })).artifacts).toHaveLength(2)
    // "" finds the artifacts stored without a uri.
    const empty = (await s.getArtifactsByURI({ uris: [''] })).artifacts
    expect(empty).toHaveLength(before + 3)
    expect(ids(empty)).toEqual(expect.arrayContaining(artifact_ids.slice(3)))
    expect((await s.getArtifactsByURI({ uris: [uid('unknown_uri')] })).artifacts).toEqual([])
    const mixed = await s.getArtifactsByURI({
      uris: [uid('unknown_uri'), one, one, uid('unknown_uri_2'), multiple, ''],
    })
    expect(mixed.artifacts).toHaveLength(before + 6)
  })

  it('GetArtifactByURI: a request carrying the deprecated field 1 (uri) is INVALID_ARGUMENT', async ({
    skip,
  }) => {
    // The field can only be sent on the wire; the in-process API has no way to carry it.
    if (t.address === undefined) skip('in-process: the deprecated field 1 only exists on the wire')
    // Field 1 (the old `uri`, reserved since MLMD 0.21) = "deprecated_uri_field_value".
    const request = Buffer.concat([Buffer.from([0x0a, 26]), Buffer.from('deprecated_uri_field_value')])
    const { code, details } = await rawUnaryCall(t.address as string, 'GetArtifactsByURI', request)
    expect(code).toBe(Code.InvalidArgument)
    expect(details).toContain('The request contains deprecated field')
  })

  it('test_put_artifacts_get_artifacts_by_uri', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const uri = uid('test_uri')
    const [want] = (
      await s.putArtifacts({
        artifacts: [
          { type_id, uri },
          { type_id, uri: uid('other_uri') },
        ],
      })
    ).artifact_ids
    expect(ids((await s.getArtifactsByURI({ uris: [uri] })).artifacts)).toEqual([want])
  })

  it('PutArtifactsGetArtifactsWithEmptyArtifact', async () => {
    const s = t.store()
    const typeName = uid('test_type2')
    const type_id = (await s.putArtifactType({ all_fields_match: true, artifact_type: { name: typeName } }))
      .type_id
    const { artifact_ids } = await s.putArtifacts({ artifacts: [{ type_id }] })
    expect(artifact_ids).toHaveLength(1)
    const all = (await s.getArtifacts({})).artifacts
    expect(all.map((a) => a.id)).toContain(artifact_ids[0])
    if (t.fresh) expect(ids(all)).toEqual(artifact_ids)
    // An artifact stored without a uri reads back with uri "".
    expectProto(
      all.find((a) => a.id === artifact_ids[0]),
      { id: artifact_ids[0], type_id, type: typeName, uri: '' },
      TIMES,
    )
    expect(ids((await s.getArtifactsByType({ type_name: typeName })).artifacts)).toEqual(artifact_ids)
    expect((await s.getArtifactsByType({ type_name: uid('not_exist_type') })).artifacts).toEqual([])
  })

  it('GetArtifactAndExecutionByTypesWithEmptyDatabase', async () => {
    const s = t.store()
    expect((await s.getArtifactsByType({ type_name: uid('artifact_type') })).artifacts).toEqual([])
    expect((await s.getExecutionsByType({ type_name: uid('execution_type') })).executions).toEqual([])
  })

  it('GetArtifactAndExecutionByTypesWithEmptyType', async () => {
    const s = t.store()
    const a = uid('empty_artifact_type')
    const e = uid('empty_execution_type')
    await s.putArtifactType({ all_fields_match: true, artifact_type: { name: a } })
    expect((await s.getArtifactsByType({ type_name: a })).artifacts).toEqual([])
    await s.putExecutionType({ all_fields_match: true, execution_type: { name: e } })
    expect((await s.getExecutionsByType({ type_name: e })).executions).toEqual([])
  })

  it('test_put_artifacts_get_artifacts_by_id', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        artifact_type: {
          name: uid('t'),
          properties: { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE },
        },
      })
    ).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [{ type_id, properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } } }],
    })
    const [got] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    expect(got?.properties).toEqual({ foo: { int_value: 3n }, bar: { string_value: 'Hello' } })
  })

  it('test_put_artifacts_get_artifacts', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const before = (await s.getArtifacts({})).artifacts.length
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [
        { type_id, properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } } },
        { type_id },
      ],
    })
    const all = (await s.getArtifacts({})).artifacts
    expect(all).toHaveLength(before + 2)
    const mine = all.filter((a) => artifact_ids.includes(a.id as bigint))
    expect(mine.map((a) => a.id)).toEqual(artifact_ids)
    expect(mine[0]?.properties).toEqual({ foo: { int_value: 3n }, bar: { string_value: 'Hello' } })
    // Without options: every artifact, ascending id, no token.
    expect(ids(all)).toEqual(all.map((a) => a.id))
  })

  it('test_put_artifacts_get_artifacts_by_type', async () => {
    const s = t.store()
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING }
    const t1 = (await s.putArtifactType({ artifact_type: { name: uid('t'), properties } })).type_id
    const name2 = uid('t')
    const t2 = (await s.putArtifactType({ artifact_type: { name: name2, properties } })).type_id
    const [, id1] = (
      await s.putArtifacts({
        artifacts: [
          { type_id: t1, properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } } },
          { type_id: t2 },
        ],
      })
    ).artifact_ids
    expect(ids((await s.getArtifactsByType({ type_name: name2 })).artifacts)).toEqual([id1])
  })

  it('test_put_nodes_get_nodes_by_type_with_version', async () => {
    const s = t.store()
    const name = uid('t')
    const version = uid('v')
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name, version, properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [
        {
          type_id,
          name: 'test_node',
          properties: { foo: { int_value: 3n }, bar: { string_value: 'Hello' } },
        },
      ],
    })
    expect(ids((await s.getArtifactsByType({ type_name: name, type_version: version })).artifacts)).toEqual(
      artifact_ids,
    )
    expect(
      (await s.getArtifactsByType({ type_name: name, type_version: 'random_version' })).artifacts,
    ).toEqual([])
    expect(
      (await s.getArtifactsByType({ type_name: uid('random_name'), type_version: version })).artifacts,
    ).toEqual([])
    expect(
      (await s.getArtifactsByType({ type_name: uid('random_name'), type_version: 'random_version' }))
        .artifacts,
    ).toEqual([])
  })

  it('test_put_artifacts_get_artifact_by_type_and_name', async () => {
    const s = t.store()
    const typeName = uid('t')
    const type_id = (await s.putArtifactType({ artifact_type: { name: typeName } })).type_id
    const name = uid('artifact')
    const [id] = (await s.putArtifacts({ artifacts: [{ type_id, name }] })).artifact_ids
    const { artifact } = await s.getArtifactByTypeAndName({ type_name: typeName, artifact_name: name })
    expect([artifact?.id, artifact?.type_id, artifact?.name]).toEqual([id, type_id, name])
    for (const [type_name, artifact_name] of [
      ['random_name', name],
      [typeName, 'random_name'],
      ['random_name', 'random_name'],
    ] as const) {
      expect((await s.getArtifactByTypeAndName({ type_name, artifact_name })).artifact).toBeUndefined()
    }
  })

  it('test_put_nodes_get_nodes_by_type_and_name_with_version', async () => {
    const s = t.store()
    const typeName = uid('t')
    const version = uid('v')
    const type_id = (await s.putArtifactType({ artifact_type: { name: typeName, version } })).type_id
    const [id] = (await s.putArtifacts({ artifacts: [{ type_id, name: 'test_node' }] })).artifact_ids
    const found = await s.getArtifactByTypeAndName({
      type_name: typeName,
      type_version: version,
      artifact_name: 'test_node',
    })
    expect([found.artifact?.id, found.artifact?.type_id, found.artifact?.name]).toEqual([
      id,
      type_id,
      'test_node',
    ])
    for (const [type_name, artifact_name, type_version] of [
      [typeName, 'random_node_name', 'random_version'],
      ['random_name', 'test_node', 'random_version'],
      ['random_name', 'random_node_name', version],
      [typeName, 'test_node', 'random_version'],
      [typeName, 'random_node_name', version],
      ['random_name', 'test_node', version],
      ['random_name', 'random_node_name', 'random_version'],
    ] as const) {
      expect(
        (await s.getArtifactByTypeAndName({ type_name, artifact_name, type_version })).artifact,
      ).toBeUndefined()
    }
    // Without the version the versioned type is not found either.
    expect(
      (await s.getArtifactByTypeAndName({ type_name: typeName, artifact_name: 'test_node' })).artifact,
    ).toBeUndefined()
  })

  it('test_put_artifacts_get_artifacts_by_external_ids', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const e0 = uid('want_artifact_0')
    const e1 = uid('want_artifact_1')
    await s.putArtifacts({
      artifacts: [
        { type_id, external_id: e0 },
        { type_id, external_id: e1 },
      ],
    })
    const { artifacts } = await s.getArtifactsByExternalIds({ external_ids: [e0, e1] })
    expect(artifacts.map((a) => a.external_id).sort()).toEqual([e0, e1].sort())
  })

  it('test_puts_artifacts_duplicated_name_with_the_same_type', async () => {
    const s = t.store()
    const typeName = uid('t')
    const type_id = (await s.putArtifactType({ artifact_type: { name: typeName } })).type_id
    await expectCode(
      s.putArtifacts({
        artifacts: [
          { type_id, name: 'the_same_name' },
          { type_id, name: 'the_same_name' },
        ],
      }),
      Code.AlreadyExists,
    )
    // Nothing of the failed request is stored.
    expect((await s.getArtifactsByType({ type_name: typeName })).artifacts).toEqual([])
  })

  it('The same artifact name under two types is fine', async () => {
    const s = t.store()
    const t1 = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const t2 = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    expect(
      (
        await s.putArtifacts({
          artifacts: [
            { type_id: t1, name: 'same' },
            { type_id: t2, name: 'same' },
          ],
        })
      ).artifact_ids,
    ).toHaveLength(2)
  })

  it('A duplicate external_id on insert is ALREADY_EXISTS', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const external_id = uid('ext')
    await s.putArtifacts({ artifacts: [{ type_id, external_id }] })
    await expectCode(s.putArtifacts({ artifacts: [{ type_id, external_id }] }), Code.AlreadyExists)
  })

  it('test_update_artifact_get_artifact', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name: uid('t'), properties: { foo: PropertyType.INT, bar: PropertyType.STRING } },
      })
    ).type_id
    const [id] = (
      await s.putArtifacts({ artifacts: [{ type_id, properties: { bar: { string_value: 'Hello' } } }] })
    ).artifact_ids as [bigint]
    const ext = uid('artifact_2')
    const second = await s.putArtifacts({
      artifacts: [
        {
          id,
          type_id,
          external_id: ext,
          properties: { foo: { int_value: id }, bar: { string_value: 'Goodbye' } },
        },
      ],
    })
    expect(second.artifact_ids).toEqual([id])
    const [got] = (await s.getArtifactsByID({ artifact_ids: [id] })).artifacts
    expect(got?.properties).toEqual({ foo: { int_value: id }, bar: { string_value: 'Goodbye' } })
    expect(got?.external_id).toBe(ext)
    // An update without type_id keeps the stored type.
    expect((await s.putArtifacts({ artifacts: [{ id }] })).artifact_ids).toEqual([id])
    expect((await s.getArtifactsByID({ artifact_ids: [id] })).artifacts[0]?.type_id).toBe(type_id)
  })

  it('An update never changes an artifact name', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const [id] = (await s.putArtifacts({ artifacts: [{ type_id, name: 'first' }] })).artifact_ids
    await s.putArtifacts({ artifacts: [{ id, type_id, name: 'second' }] })
    expect((await s.getArtifactsByID({ artifact_ids: [id as bigint] })).artifacts[0]?.name).toBe('first')
  })

  it('test_put_invalid_artifact: a declared property holding no value is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        artifact_type: {
          name: uid('t'),
          properties: { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE },
        },
      })
    ).type_id
    await expectCode(
      s.putArtifacts({ artifacts: [{ type_id, uri: 'testuri', properties: { foo: {} } }] }),
      Code.InvalidArgument,
      'Found unmatched property type: foo',
    )
  })

  it('A declared property of another value type is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({ artifact_type: { name: uid('t'), properties: { foo: PropertyType.INT } } })
    ).type_id
    await expectCode(
      s.putArtifacts({ artifacts: [{ type_id, properties: { foo: { string_value: '1' } } }] }),
      Code.InvalidArgument,
      'unmatched property type',
    )
  })

  it('A property the type does not declare is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    await expectCode(
      s.putArtifacts({ artifacts: [{ type_id, properties: { undeclared: { int_value: 1n } } }] }),
      Code.InvalidArgument,
    )
  })

  it.skipIf(t.impl === 'mlmd')(
    'A custom property holding no value is INVALID_ARGUMENT (mlmd-ts only: MLMD aborts the server process)',
    async () => {
      const s = t.store()
      const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
      await expectCode(
        s.putArtifacts({ artifacts: [{ type_id, custom_properties: { c: {} } }] }),
        Code.InvalidArgument,
      )
    },
  )

  it('An artifact without type_id is INVALID_ARGUMENT', async () => {
    await expectCode(t.store().putArtifacts({ artifacts: [{ uri: 'u' }] }), Code.InvalidArgument)
  })

  it('An artifact of an unknown type, or of an execution type, is NOT_FOUND', async () => {
    const s = t.store()
    await expectCode(s.putArtifacts({ artifacts: [{ type_id: UNKNOWN_ID }] }), Code.NotFound)
    const execution_type = (await s.putExecutionType({ execution_type: { name: uid('e') } })).type_id
    await expectCode(s.putArtifacts({ artifacts: [{ type_id: execution_type }] }), Code.NotFound)
  })

  it('Updating an artifact id that does not exist is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    await expectCode(s.putArtifacts({ artifacts: [{ id: UNKNOWN_ID, type_id }] }), Code.InvalidArgument)
  })

  it('Updating an artifact with another type_id is INVALID_ARGUMENT', async () => {
    const s = t.store()
    const t1 = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const t2 = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const [id] = (await s.putArtifacts({ artifacts: [{ type_id: t1 }] })).artifact_ids
    await expectCode(s.putArtifacts({ artifacts: [{ id, type_id: t2 }] }), Code.InvalidArgument)
  })

  it('PutArtifacts is atomic: one bad artifact stores none', async () => {
    const s = t.store()
    const typeName = uid('t')
    const type_id = (await s.putArtifactType({ artifact_type: { name: typeName } })).type_id
    await expectCode(
      s.putArtifacts({ artifacts: [{ type_id, uri: 'ok' }, { uri: 'no type' }] }),
      Code.InvalidArgument,
    )
    expect((await s.getArtifactsByType({ type_name: typeName })).artifacts).toEqual([])
  })

  it('Every value kind round-trips: int64 extremes, double, string, bool, Struct, Any', async () => {
    const s = t.store()
    const properties = {
      i: PropertyType.INT,
      d: PropertyType.DOUBLE,
      s: PropertyType.STRING,
      b: PropertyType.BOOLEAN,
      st: PropertyType.STRUCT,
      p: PropertyType.PROTO,
    }
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t'), properties } })).type_id
    // MLMD's MySQL and PostgreSQL schemas keep int_value in 32 bits.
    const wide = t.engine === 'sqlite'
    const values: Record<string, Value> = {
      i: { int_value: wide ? INT64_MIN : -(2n ** 31n) },
      d: { double_value: 1.5 },
      s: { string_value: 'ünïcödé ✓ 🧪' },
      b: { bool_value: true },
      st: {
        struct_value: {
          fields: {
            n: { number_value: 2.5 },
            s: { string_value: 'x' },
            b: { bool_value: false },
            l: { list_value: { values: [{ number_value: 1 }, { string_value: 'y' }] } },
            o: { struct_value: { fields: { z: { null_value: 0 } } } },
          },
        },
      },
      p: {
        proto_value: {
          type_url: 'type.googleapis.com/ml_metadata.Artifact',
          value: new Uint8Array([8, 42, 18, 1, 97]),
        },
      },
    }
    const custom: Record<string, Value> = {
      max: { int_value: wide ? INT64_MAX : 2n ** 31n - 1n },
      zero: { int_value: 0n },
      neg: { double_value: -0.25 },
      empty: { string_value: '' },
      f: { bool_value: false },
    }
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [{ type_id, properties: values, custom_properties: custom }],
    })
    const [got] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    const anyValue = got?.properties?.p?.proto_value
    expect(anyValue?.type_url).toBe('type.googleapis.com/ml_metadata.Artifact')
    expect([...(anyValue?.value ?? [])]).toEqual([8, 42, 18, 1, 97])
    const { p: _p, ...rest } = got?.properties ?? {}
    const { p: _wantP, ...wantRest } = values
    expect(rest).toEqual(wantRest)
    expect(got?.custom_properties).toEqual(custom)
  })

  it('On MySQL and PostgreSQL an int_value beyond 32 bits is INVALID_ARGUMENT, and nothing is stored', async (context) => {
    if (t.engine === 'sqlite') context.skip('SQLite keeps int_value in 64 bits')
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const uri = uid('wide')
    await expectCode(
      s.putArtifacts({
        artifacts: [
          { type_id, uri, custom_properties: { ok: { int_value: 1n } } },
          { type_id, uri, custom_properties: { big: { int_value: 2n ** 31n } } },
        ],
      }),
      Code.InvalidArgument,
      /32-bit/,
    )
    expect((await s.getArtifactsByURI({ uris: [uri] })).artifacts).toEqual([])
  })

  it('Custom properties take any value kind, and may change kind on update', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const [id] = (
      await s.putArtifacts({
        artifacts: [{ type_id, custom_properties: { x: { int_value: 1n }, y: { string_value: '1' } } }],
      })
    ).artifact_ids
    await s.putArtifacts({
      artifacts: [{ id, type_id, custom_properties: { x: { string_value: '1' }, y: { bool_value: true } } }],
    })
    expect(
      (await s.getArtifactsByID({ artifact_ids: [id as bigint] })).artifacts[0]?.custom_properties,
    ).toEqual({
      x: { string_value: '1' },
      y: { bool_value: true },
    })
  })

  it('Reads fill the output-only type name and both timestamps', async () => {
    const s = t.store()
    const name = uid('t')
    const type_id = (await s.putArtifactType({ artifact_type: { name } })).type_id
    const { artifact_ids } = await s.putArtifacts({ artifacts: [{ type_id }] })
    const [got] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    expect(got?.type).toBe(name)
    expect(got?.create_time_since_epoch).toBeGreaterThan(0n)
    expect(got?.last_update_time_since_epoch).toBeGreaterThanOrEqual(got?.create_time_since_epoch as bigint)
  })

  it('Updating an artifact to a taken external_id: MLMD answers INTERNAL (a raw UNIQUE failure), mlmd-ts ALREADY_EXISTS', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const external_id = uid('ext')
    const [, y] = (await s.putArtifacts({ artifacts: [{ type_id, external_id }, { type_id }] })).artifact_ids
    // mlmd-ts maps every UNIQUE violation to ALREADY_EXISTS (design rule 4).
    await expectCode(
      s.putArtifacts({ artifacts: [{ id: y, type_id, external_id }] }),
      t.impl === 'mlmd-ts' ? Code.AlreadyExists : Code.Internal,
    )
  })

  it('Doubles: MLMD keeps 6 decimals (1e-7 reads back 0), mlmd-ts stores them exactly', async () => {
    const s = t.store()
    const type_id = (await s.putArtifactType({ artifact_type: { name: uid('t') } })).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [
        { type_id, custom_properties: { small: { double_value: 1e-7 }, pi: { double_value: Math.PI } } },
      ],
    })
    const [got] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: doubles are stored exactly).
      expect(got?.custom_properties).toEqual({ small: { double_value: 1e-7 }, pi: { double_value: Math.PI } })
    } else {
      expect(got?.custom_properties).toEqual({
        small: { double_value: 0 },
        pi: { double_value: Number(Math.PI.toFixed(6)) },
      })
    }
  })

  // Keys that Object.prototype holds are ordinary property names to MLMD; a JS object must
  // neither lose them (`__proto__` set by assignment replaces the prototype) nor find them
  // where they were never declared (`type.properties.constructor` is Object).
  it('keeps property names such as __proto__, constructor and toString as ordinary names', async () => {
    const s = t.store()
    const names = ['__proto__', 'constructor', 'toString']
    const declared = (kind: PropertyType) => Object.fromEntries(names.map((n) => [n, kind]))
    const name = uid('t')
    const type_id = (
      await s.putArtifactType({ artifact_type: { name, properties: { a: PropertyType.INT } } })
    ).type_id as bigint
    await expectCode(
      s.putArtifacts({ artifacts: [{ type_id, properties: { constructor: { int_value: 1n } } }] }),
      Code.InvalidArgument,
    )
    // Adding them to the stored type is an evolution like any other.
    await expectCode(
      s.putArtifactType({
        artifact_type: { name, properties: { a: PropertyType.INT, ...declared(PropertyType.INT) } },
      }),
      Code.AlreadyExists,
    )
    await s.putArtifactType({
      artifact_type: { name, properties: { a: PropertyType.INT, ...declared(PropertyType.INT) } },
      can_add_fields: true,
    })
    const [type] = (await s.getArtifactTypesByID({ type_ids: [type_id] })).artifact_types
    expect(Object.keys(type?.properties ?? {}).sort()).toEqual(['__proto__', 'a', 'constructor', 'toString'])
    const values = (v: bigint) => Object.fromEntries(names.map((n, i) => [n, { int_value: v + BigInt(i) }]))
    const { artifact_ids } = await s.putArtifacts({
      artifacts: [{ type_id, properties: values(1n), custom_properties: values(10n) }],
    })
    const [stored] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    expect(Object.getPrototypeOf(stored?.properties)).toBe(Object.prototype)
    expect(Object.entries(stored?.properties ?? {})).toEqual(
      expect.arrayContaining(Object.entries(values(1n))),
    )
    expect(Object.keys(stored?.custom_properties ?? {}).sort()).toEqual([...names].sort())
    expect(Object.entries(stored?.custom_properties ?? {})).toEqual(
      expect.arrayContaining(Object.entries(values(10n))),
    )
    // An update through a mask names one of them; the others stay.
    await s.putArtifacts({
      artifacts: [
        {
          id: artifact_ids[0],
          type_id,
          custom_properties: Object.fromEntries([['__proto__', { int_value: 99n }]]),
        },
      ],
      update_mask: { paths: ['custom_properties.__proto__'] },
    })
    const [updated] = (await s.getArtifactsByID({ artifact_ids })).artifacts
    expect(Object.entries(updated?.custom_properties ?? {})).toEqual(
      expect.arrayContaining([
        ['__proto__', { int_value: 99n }],
        ['constructor', { int_value: 11n }],
      ]),
    )
  })
})
