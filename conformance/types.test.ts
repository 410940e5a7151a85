// Types and type evolution: MLMD's *Type* TEST_Ps of metadata_store_test_suite.cc and the type
// tests of metadata_store_test.py, plus the error table of the contract (§4.1).
import { expect, it } from 'vitest'
import {
  ArtifactType_SystemDefinedBaseType as ArtifactBase,
  type ArtifactType,
  Code,
  type ContextType,
  ExecutionType_SystemDefinedBaseType as ExecutionBase,
  type ExecutionType,
  PropertyType,
} from '../src/index.js'
import { expectCode, expectOrdered, expectProto, expectUnordered, UNKNOWN_ID, uid } from './support.js'
import { describeTargets } from './targets.js'

const SIMPLE_ARTIFACT_TYPES = ['mlmd.Dataset', 'mlmd.Model', 'mlmd.Metrics', 'mlmd.Statistics']
const SIMPLE_EXECUTION_TYPES = [
  'mlmd.Train',
  'mlmd.Transform',
  'mlmd.Process',
  'mlmd.Evaluate',
  'mlmd.Deploy',
]

describeTargets('types', (t) => {
  it('InitMetadataStoreIfNotExists: the simple types are there, by name, without properties', async () => {
    const s = t.store()
    for (const name of SIMPLE_ARTIFACT_TYPES) {
      const { artifact_type } = await s.getArtifactType({ type_name: name })
      expectProto(artifact_type, { name }, ['id'])
    }
    for (const name of SIMPLE_EXECUTION_TYPES) {
      const { execution_type } = await s.getExecutionType({ type_name: name })
      expectProto(execution_type, { name }, ['id'])
    }
    const name = uid('test_type2')
    const { type_id } = await s.putArtifactType({
      all_fields_match: true,
      artifact_type: { name, properties: { property_1: PropertyType.STRING } },
    })
    expect(type_id).toBeTypeOf('bigint')
    expect((await s.getArtifactType({ type_name: name })).artifact_type?.id).toBe(type_id)
  })

  it('InitMetadataStoreIfNotExists: the simple types are hidden from GetArtifactTypes and GetExecutionTypes', async () => {
    const s = t.store()
    const { artifact_types } = await s.getArtifactTypes({})
    const { execution_types } = await s.getExecutionTypes({})
    expect(artifact_types.map((x) => x.name).filter((n) => n?.startsWith('mlmd.'))).toEqual([])
    expect(execution_types.map((x) => x.name).filter((n) => n?.startsWith('mlmd.'))).toEqual([])
  })

  it('GetArtifactTypesWhenNoneExist', async () => {
    const s = t.store()
    const { artifact_types } = await s.getArtifactTypes({})
    if (t.fresh) expect(artifact_types).toEqual([])
    else expect(artifact_types.every((x) => !x.name?.startsWith('mlmd.'))).toBe(true)
  })

  it('GetExecutionTypesWhenNoneExist', async () => {
    const { execution_types } = await t.store().getExecutionTypes({})
    if (t.fresh) expect(execution_types).toEqual([])
    else expect(execution_types.every((x) => !x.name?.startsWith('mlmd.'))).toBe(true)
  })

  it('GetContextTypesWhenNoneExist', async () => {
    const { context_types } = await t.store().getContextTypes({})
    if (t.fresh) expect(context_types).toEqual([])
    else expect(Array.isArray(context_types)).toBe(true)
  })

  it('PutArtifactTypeGetArtifactType', async () => {
    const s = t.store()
    const name = uid('test_type2')
    const { type_id } = await s.putArtifactType({
      all_fields_match: true,
      artifact_type: { name, properties: { property_1: PropertyType.STRING }, base_type: ArtifactBase.MODEL },
    })
    const { artifact_type } = await s.getArtifactType({ type_name: name })
    expect(artifact_type?.id).toBe(type_id)
    expect(artifact_type?.name).toBe(name)
    expect(artifact_type?.base_type).toBe(ArtifactBase.MODEL)
  })

  it('PutArtifactTypeInsertTypeLink', async () => {
    const s = t.store()
    const expected: ArtifactType = {
      name: uid('test_type2'),
      properties: { property_1: PropertyType.STRING },
      base_type: ArtifactBase.MODEL,
    }
    const { type_id } = await s.putArtifactType({ artifact_type: expected })
    const { artifact_type } = await s.getArtifactType({ type_name: expected.name })
    expectProto(artifact_type, { ...expected, id: type_id })

    await expectCode(
      s.putArtifactType({ artifact_type: { ...expected, id: type_id, base_type: ArtifactBase.DATASET } }),
      Code.Unimplemented,
      'base_type update is not supported yet',
    )
    const { base_type: _dropped, ...withoutBaseType } = expected
    expect((await s.putArtifactType({ artifact_type: { ...withoutBaseType, id: type_id } })).type_id).toBe(
      type_id,
    )
    await expectCode(
      s.putArtifactType({ artifact_type: { ...expected, id: type_id, base_type: ArtifactBase.UNSET } }),
      Code.Unimplemented,
      'base_type deletion is not supported yet',
    )
    expect((await s.getArtifactType({ type_name: expected.name })).artifact_type?.base_type).toBe(
      ArtifactBase.MODEL,
    )
  })

  it('PutArtifactTypesGetArtifactTypes', async () => {
    const s = t.store()
    const type1: ArtifactType = {
      name: uid('test_type_1'),
      properties: { property_1: PropertyType.STRING },
      base_type: ArtifactBase.DATASET,
    }
    const type2: ArtifactType = {
      name: uid('test_type_2'),
      properties: { property_2: PropertyType.INT },
      base_type: ArtifactBase.MODEL,
    }
    const id1 = (await s.putArtifactType({ all_fields_match: true, artifact_type: type1 })).type_id
    const id2 = (await s.putArtifactType({ all_fields_match: true, artifact_type: type2 })).type_id
    const { artifact_types } = await s.getArtifactTypes({})
    const mine = artifact_types.filter((x) => x.id === id1 || x.id === id2)
    expectUnordered(mine, [
      { ...type1, id: id1 },
      { ...type2, id: id2 },
    ])
    if (t.fresh) expect(artifact_types).toHaveLength(2)
  })

  it('GetArtifactTypes returns types by ascending id', async () => {
    const s = t.store()
    const a = (await s.putArtifactType({ artifact_type: { name: uid('a') } })).type_id
    const b = (await s.putArtifactType({ artifact_type: { name: uid('b') } })).type_id
    const got = (await s.getArtifactTypes({})).artifact_types.map((x) => x.id as bigint)
    expect(got.filter((id) => id === a || id === b)).toEqual([a, b])
    expect([...got].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(got)
  })

  it('PutArtifactTypesGetArtifactTypesByExternalIds', async () => {
    const s = t.store()
    const type1: ArtifactType = {
      name: uid('test_artifact_type_1'),
      external_id: uid('artifact_type_external_id_1'),
      properties: { property: PropertyType.STRING },
    }
    const type2: ArtifactType = {
      name: uid('test_artifact_type_2'),
      external_id: uid('artifact_type_external_id_2'),
      properties: { property: PropertyType.STRING },
    }
    type1.id = (await s.putArtifactType({ all_fields_match: true, artifact_type: type1 })).type_id
    type2.id = (await s.putArtifactType({ all_fields_match: true, artifact_type: type2 })).type_id

    const one = await s.getArtifactTypesByExternalIds({ external_ids: [type1.external_id as string] })
    expectUnordered(one.artifact_types, [type1])
    await expectCode(
      s.getArtifactTypesByExternalIds({ external_ids: [uid('artifact_type_external_id_absent')] }),
      Code.NotFound,
    )
    const both = await s.getArtifactTypesByExternalIds({
      external_ids: [type1.external_id as string, type2.external_id as string],
    })
    expectUnordered(both.artifact_types, [type1, type2])
    const some = await s.getArtifactTypesByExternalIds({
      external_ids: [type1.external_id as string, type2.external_id as string, uid('absent')],
    })
    expectUnordered(some.artifact_types, [type1, type2])
    await expectCode(s.getArtifactTypesByExternalIds({ external_ids: [''] }), Code.InvalidArgument)
  })

  it('GetArtifactTypesByExternalIds with no external ids answers OK and empty', async () => {
    expect((await t.store().getArtifactTypesByExternalIds({ external_ids: [] })).artifact_types).toEqual([])
  })

  it('test_put_artifact_types_and_get_artifact_types_by_external_ids: a later upsert sets the external_id', async () => {
    const s = t.store()
    const name0 = uid('type0')
    const name1 = uid('type1')
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
    const id0 = (await s.putArtifactType({ artifact_type: { name: name0, properties } })).type_id
    const id1 = (await s.putArtifactType({ artifact_type: { name: name1, properties } })).type_id
    const ext0 = uid('artifact_type_0')
    const ext1 = uid('artifact_type_1')
    expect(
      (
        await s.putArtifactType({
          artifact_type: { name: name0, properties, external_id: ext0 },
          can_add_fields: true,
        })
      ).type_id,
    ).toBe(id0)
    expect(
      (
        await s.putArtifactType({
          artifact_type: { name: name1, properties, external_id: ext1 },
          can_add_fields: true,
        })
      ).type_id,
    ).toBe(id1)
    const { artifact_types } = await s.getArtifactTypesByExternalIds({ external_ids: [ext0, ext1] })
    expect(artifact_types.map((x) => x.external_id).sort()).toEqual([ext0, ext1].sort())
  })

  it('test_put_execution_types_and_get_execution_types_by_external_ids', async () => {
    const s = t.store()
    const name = uid('type')
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING }
    const id = (await s.putExecutionType({ execution_type: { name, properties } })).type_id
    const ext = uid('execution_type_0')
    await s.putExecutionType({ execution_type: { name, properties, external_id: ext }, can_add_fields: true })
    const { execution_types } = await s.getExecutionTypesByExternalIds({ external_ids: [ext] })
    expect(execution_types.map((x) => [x.id, x.external_id])).toEqual([[id, ext]])
  })

  it('test_put_context_types_and_get_context_types_by_external_ids', async () => {
    const s = t.store()
    const name = uid('type')
    const properties = { foo: PropertyType.INT }
    const id = (await s.putContextType({ context_type: { name, properties } })).type_id
    const ext = uid('context_type_0')
    await s.putContextType({ context_type: { name, properties, external_id: ext }, can_add_fields: true })
    const { context_types } = await s.getContextTypesByExternalIds({ external_ids: [ext] })
    expect(context_types.map((x) => [x.id, x.external_id])).toEqual([[id, ext]])
  })

  it('A new type whose external_id another type of the same kind holds is ALREADY_EXISTS', async () => {
    const s = t.store()
    const external_id = uid('taken')
    await s.putArtifactType({ artifact_type: { name: uid('first'), external_id } })
    await expectCode(
      s.putArtifactType({ artifact_type: { name: uid('second'), external_id } }),
      Code.AlreadyExists,
    )
  })

  it('PutArtifactTypeTwiceChangedAddedProperty', async () => {
    const s = t.store()
    const name = uid('test_type2')
    await s.putArtifactType({
      all_fields_match: true,
      artifact_type: { name, properties: { property_1: PropertyType.STRING } },
    })
    await expectCode(
      s.putArtifactType({
        all_fields_match: true,
        artifact_type: {
          name,
          properties: { property_1: PropertyType.STRING, property_2: PropertyType.STRING },
        },
      }),
      Code.AlreadyExists,
    )
  })

  it('PutArtifactTypeTwiceChangedRemovedProperty', async () => {
    const s = t.store()
    const name = uid('test_type2')
    await s.putArtifactType({
      all_fields_match: true,
      artifact_type: {
        name,
        properties: { property_1: PropertyType.STRING, property_2: PropertyType.STRING },
      },
    })
    await expectCode(
      s.putArtifactType({
        all_fields_match: true,
        artifact_type: { name, properties: { property_1: PropertyType.STRING } },
      }),
      Code.AlreadyExists,
    )
  })

  it('PutArtifactTypeTwiceChangedPropertyType', async () => {
    const s = t.store()
    const name = uid('test_type2')
    await s.putArtifactType({
      all_fields_match: true,
      artifact_type: { name, properties: { property_1: PropertyType.STRING } },
    })
    await expectCode(
      s.putArtifactType({
        all_fields_match: true,
        artifact_type: { name, properties: { property_1: PropertyType.INT } },
      }),
      Code.AlreadyExists,
    )
  })

  it('PutArtifactTypeMultipleTimesWithUpdate', async () => {
    const s = t.store()
    const name = uid('test_type')
    const first = await s.putArtifactType({
      all_fields_match: true,
      artifact_type: { name, properties: { property_1: PropertyType.STRING } },
    })
    const second = await s.putArtifactType({
      all_fields_match: true,
      can_add_fields: true,
      artifact_type: { name, properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT } },
    })
    expect(second.type_id).toBe(first.type_id)
    expectProto((await s.getArtifactType({ type_name: name })).artifact_type, {
      id: first.type_id,
      name,
      properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT },
    })
  })

  it('PutArtifactTypeWithUpdateErrors', async () => {
    const s = t.store()
    const name = uid('test_type')
    const { type_id } = await s.putArtifactType({
      all_fields_match: true,
      artifact_type: { name, properties: { property_1: PropertyType.STRING } },
    })
    // can_add_fields is not set
    await expectCode(
      s.putArtifactType({
        all_fields_match: true,
        artifact_type: {
          name,
          properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT },
        },
      }),
      Code.AlreadyExists,
    )
    // an existing property cannot change its type
    await expectCode(
      s.putArtifactType({
        all_fields_match: true,
        can_add_fields: true,
        artifact_type: { id: type_id, name, properties: { property_1: PropertyType.DOUBLE } },
      }),
      Code.AlreadyExists,
    )
    // a name is required
    await expectCode(
      s.putArtifactType({
        all_fields_match: true,
        can_add_fields: true,
        artifact_type: { id: type_id, properties: { property_2: PropertyType.INT } },
      }),
      Code.InvalidArgument,
    )
    // every stored property must be given
    await expectCode(
      s.putArtifactType({
        all_fields_match: true,
        can_add_fields: true,
        artifact_type: { id: type_id, name, properties: { property_2: PropertyType.INT } },
      }),
      Code.AlreadyExists,
    )
  })

  it('PutArtifactType with an empty name is INVALID_ARGUMENT', async () => {
    await expectCode(t.store().putArtifactType({ artifact_type: { name: '' } }), Code.InvalidArgument)
  })

  it('PutArtifactType declaring an UNKNOWN property is INVALID_ARGUMENT', async () => {
    await expectCode(
      t
        .store()
        .putArtifactType({ artifact_type: { name: uid('t'), properties: { p: PropertyType.UNKNOWN } } }),
      Code.InvalidArgument,
    )
  })

  it('PutArtifactType with all_fields_match false is UNIMPLEMENTED', async () => {
    await expectCode(
      t.store().putArtifactType({ all_fields_match: false, artifact_type: { name: uid('t') } }),
      Code.Unimplemented,
      'Must match all fields.',
    )
  })

  it('PutArtifactTypeSame', async () => {
    const s = t.store()
    const request = {
      all_fields_match: true,
      artifact_type: { name: uid('test_type2'), properties: { property_1: PropertyType.STRING } },
    }
    const first = await s.putArtifactType(request)
    const second = await s.putArtifactType(request)
    expect(second.type_id).toBe(first.type_id)
  })

  it('PutArtifactTypeCanOmitFields', async () => {
    const s = t.store()
    const name = uid('test_type')
    const stored: ArtifactType = {
      name,
      properties: { property_1: PropertyType.INT, property_2: PropertyType.STRING },
    }
    stored.id = (await s.putArtifactType({ artifact_type: stored })).type_id
    const storedNow = async () =>
      (await s.getArtifactTypesByID({ type_ids: [stored.id as bigint] })).artifact_types

    // can_omit_fields is false
    await expectCode(
      s.putArtifactType({ artifact_type: { name, properties: { property_2: PropertyType.STRING } } }),
      Code.AlreadyExists,
    )
    expectUnordered(await storedNow(), [stored])
    // can_omit_fields is true
    const omitted = await s.putArtifactType({
      can_omit_fields: true,
      artifact_type: { name, properties: { property_2: PropertyType.STRING } },
    })
    expect(omitted.type_id).toBe(stored.id)
    expectUnordered(await storedNow(), [stored])
    // can_omit_fields without can_add_fields: no new properties
    await expectCode(
      s.putArtifactType({
        can_omit_fields: true,
        artifact_type: { name, properties: { property_3: PropertyType.DOUBLE } },
      }),
      Code.AlreadyExists,
    )
    expectUnordered(await storedNow(), [stored])
    // both: the new property is added, the omitted ones stay
    const added = await s.putArtifactType({
      can_add_fields: true,
      can_omit_fields: true,
      artifact_type: { name, properties: { property_3: PropertyType.DOUBLE } },
    })
    expect(added.type_id).toBe(stored.id)
    expectUnordered(await storedNow(), [
      { ...stored, properties: { ...stored.properties, property_3: PropertyType.DOUBLE } },
    ])
  })

  it('GetArtifactTypeMissing', async () => {
    await expectCode(t.store().getArtifactType({ type_name: uid('test_type2') }), Code.NotFound)
  })

  it('test_get_artifact_type_fails', async () => {
    await expectCode(t.store().getArtifactType({ type_name: 'not_found_type' }), Code.NotFound)
  })

  it('GetExecutionTypeMissing', async () => {
    await expectCode(t.store().getExecutionType({ type_name: uid('test_type2') }), Code.NotFound)
  })

  it('GetContextType of a missing type is NOT_FOUND', async () => {
    await expectCode(t.store().getContextType({ type_name: uid('test_type2') }), Code.NotFound)
  })

  it('PutArtifactTypeGetArtifactTypesByID', async () => {
    const s = t.store()
    const type: ArtifactType = {
      name: uid('test_type2'),
      properties: { property_1: PropertyType.STRING },
      base_type: ArtifactBase.MODEL,
    }
    const { type_id } = await s.putArtifactType({ all_fields_match: true, artifact_type: type })
    const { artifact_types } = await s.getArtifactTypesByID({ type_ids: [type_id as bigint] })
    expect(artifact_types).toHaveLength(1)
    expectProto(artifact_types[0], { ...type, id: type_id })
  })

  it('GetArtifactTypesByIDMissing', async () => {
    expect((await t.store().getArtifactTypesByID({ type_ids: [UNKNOWN_ID] })).artifact_types).toEqual([])
  })

  it('PutArtifactTypeGetArtifactTypesByIDTwo', async () => {
    const s = t.store()
    const type1: ArtifactType = { name: uid('test_type1'), properties: { property_1: PropertyType.STRING } }
    const type2: ArtifactType = { name: uid('test_type2'), properties: { property_1: PropertyType.STRING } }
    type1.id = (await s.putArtifactType({ all_fields_match: true, artifact_type: type1 })).type_id
    type2.id = (await s.putArtifactType({ all_fields_match: true, artifact_type: type2 })).type_id
    const { artifact_types } = await s.getArtifactTypesByID({
      type_ids: [type1.id as bigint, type2.id as bigint],
    })
    expectUnordered(artifact_types, [type1, type2])
  })

  it('GetArtifactTypesByID answers in request order, skipping unknown ids', async () => {
    const s = t.store()
    const a = (await s.putArtifactType({ artifact_type: { name: uid('a') } })).type_id as bigint
    const b = (await s.putArtifactType({ artifact_type: { name: uid('b') } })).type_id as bigint
    const { artifact_types } = await s.getArtifactTypesByID({ type_ids: [b, UNKNOWN_ID, a] })
    expect(artifact_types.map((x) => x.id)).toEqual([b, a])
  })

  it('GetArtifactTypesByID does not answer execution or context types', async () => {
    const s = t.store()
    const e = (await s.putExecutionType({ execution_type: { name: uid('e') } })).type_id as bigint
    const c = (await s.putContextType({ context_type: { name: uid('c') } })).type_id as bigint
    expect((await s.getArtifactTypesByID({ type_ids: [e, c] })).artifact_types).toEqual([])
    expect((await s.getExecutionTypesByID({ type_ids: [c] })).execution_types).toEqual([])
    expect((await s.getContextTypesByID({ type_ids: [e] })).context_types).toEqual([])
  })

  it('PutExecutionTypeGetExecutionTypesByID', async () => {
    const s = t.store()
    const type: ExecutionType = { name: uid('test_type2'), properties: { property_1: PropertyType.STRING } }
    const { type_id } = await s.putExecutionType({ all_fields_match: true, execution_type: type })
    const { execution_types } = await s.getExecutionTypesByID({ type_ids: [type_id as bigint] })
    expect(execution_types).toHaveLength(1)
    expectProto(execution_types[0], { ...type, id: type_id })
  })

  it('PutExecutionTypesGetExecutionTypesByExternalIds', async () => {
    const s = t.store()
    const type1: ExecutionType = {
      name: uid('test_execution_type_1'),
      external_id: uid('test_execution_type_external_id_1'),
      properties: { property: PropertyType.STRING },
    }
    const type2: ExecutionType = {
      name: uid('test_execution_type_2'),
      external_id: uid('test_execution_type_external_id_2'),
      properties: { property: PropertyType.STRING },
    }
    type1.id = (await s.putExecutionType({ all_fields_match: true, execution_type: type1 })).type_id
    type2.id = (await s.putExecutionType({ all_fields_match: true, execution_type: type2 })).type_id
    expectUnordered(
      (await s.getExecutionTypesByExternalIds({ external_ids: [type1.external_id as string] }))
        .execution_types,
      [type1],
    )
    await expectCode(s.getExecutionTypesByExternalIds({ external_ids: [uid('absent')] }), Code.NotFound)
    expectUnordered(
      (
        await s.getExecutionTypesByExternalIds({
          external_ids: [type1.external_id as string, type2.external_id as string, uid('absent')],
        })
      ).execution_types,
      [type1, type2],
    )
    await expectCode(s.getExecutionTypesByExternalIds({ external_ids: [''] }), Code.InvalidArgument)
  })

  it('GetExecutionTypesByIDMissing', async () => {
    expect((await t.store().getExecutionTypesByID({ type_ids: [UNKNOWN_ID] })).execution_types).toEqual([])
  })

  it('PutExecutionTypeGetExecutionTypesByIDTwo', async () => {
    const s = t.store()
    const type1: ExecutionType = { name: uid('test_type1'), properties: { property_1: PropertyType.STRING } }
    const type2: ExecutionType = { name: uid('test_type2'), properties: { property_1: PropertyType.STRING } }
    type1.id = (await s.putExecutionType({ all_fields_match: true, execution_type: type1 })).type_id
    type2.id = (await s.putExecutionType({ all_fields_match: true, execution_type: type2 })).type_id
    expectUnordered(
      (await s.getExecutionTypesByID({ type_ids: [type1.id as bigint, type2.id as bigint] })).execution_types,
      [type1, type2],
    )
  })

  it('PutTypeWithVersionsGetType', async () => {
    const s = t.store()
    const name = uid('test_type')
    const types: ArtifactType[] = [
      { name, properties: { property_1: PropertyType.STRING } },
      { name, version: '1', properties: { property_1: PropertyType.INT } },
      { name, version: '2', properties: { property_1: PropertyType.DOUBLE } },
    ]
    for (const type of types) type.id = (await s.putArtifactType({ artifact_type: type })).type_id
    expect(new Set(types.map((x) => x.id)).size).toBe(3)
    for (const type of types) {
      const { artifact_type } = await s.getArtifactType({
        type_name: name,
        ...(type.version === undefined ? {} : { type_version: type.version }),
      })
      expectProto(artifact_type, type)
    }
  })

  it('EvolveTypeWithVersionsGetType', async () => {
    const s = t.store()
    const name = uid('test_type')
    const first = await s.putExecutionType({
      execution_type: { name, version: '1', properties: { property_1: PropertyType.STRING } },
    })
    const mine = async () => (await s.getExecutionTypes({})).execution_types.filter((x) => x.name === name)
    expectUnordered(await mine(), [
      { id: first.type_id, name, version: '1', properties: { property_1: PropertyType.STRING } },
    ])

    const added: ExecutionType = {
      name,
      version: '1',
      properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT },
    }
    await expectCode(s.putExecutionType({ execution_type: added }), Code.AlreadyExists)
    const evolved = await s.putExecutionType({ execution_type: added, can_add_fields: true })
    expect(evolved.type_id).toBe(first.type_id)
    expectUnordered(await mine(), [{ ...added, id: first.type_id }])

    const omitted: ExecutionType = { name, version: '1', properties: { property_3: PropertyType.DOUBLE } }
    await expectCode(
      s.putExecutionType({ execution_type: omitted, can_add_fields: true }),
      Code.AlreadyExists,
    )
    const again = await s.putExecutionType({
      execution_type: omitted,
      can_add_fields: true,
      can_omit_fields: true,
    })
    expect(again.type_id).toBe(first.type_id)
    expectUnordered(await mine(), [
      {
        id: first.type_id,
        name,
        version: '1',
        properties: {
          property_1: PropertyType.STRING,
          property_2: PropertyType.INT,
          property_3: PropertyType.DOUBLE,
        },
      },
    ])
  })

  it('TypeWithNullAndEmptyStringVersionsGetType', async () => {
    const s = t.store()
    const name1 = uid('test_type')
    const name2 = uid('test_type_2')
    const properties = { property_1: PropertyType.STRING }
    const a = await s.putContextType({ context_type: { name: name1, properties } })
    // An empty version is no version: the same type.
    const b = await s
      .putContextType({ context_type: { name: name1, version: '', properties } })
      .catch((e) => e)
    const c = await s.putContextType({ context_type: { name: name2, version: '', properties } })
    const d = await s.putContextType({ context_type: { name: name2, properties } }).catch((e) => e)
    for (const outcome of [b, d]) {
      if ('type_id' in outcome) continue
      expect(outcome.code).toBe(Code.AlreadyExists)
    }
    const { context_types } = await s.getContextTypes({})
    const mine = context_types.filter((x) => x.name === name1 || x.name === name2)
    expectUnordered(mine, [
      { id: a.type_id, name: name1, properties },
      { id: c.type_id, name: name2, properties },
    ])
  })

  it('GetArtifactType with an empty type_version finds the type without a version', async () => {
    const s = t.store()
    const name = uid('t')
    const { type_id } = await s.putArtifactType({ artifact_type: { name } })
    expect((await s.getArtifactType({ type_name: name, type_version: '' })).artifact_type?.id).toBe(type_id)
  })

  it('test_put_type_get_type_with_version', async () => {
    const s = t.store()
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
    for (const kind of ['artifact', 'execution', 'context'] as const) {
      const name = uid(`test_${kind}_type`)
      const version = uid('test_version')
      const type_id =
        kind === 'artifact'
          ? (await s.putArtifactType({ artifact_type: { name, version, properties } })).type_id
          : kind === 'execution'
            ? (await s.putExecutionType({ execution_type: { name, version, properties } })).type_id
            : (await s.putContextType({ context_type: { name, version, properties } })).type_id
      const got =
        kind === 'artifact'
          ? (await s.getArtifactType({ type_name: name, type_version: version })).artifact_type
          : kind === 'execution'
            ? (await s.getExecutionType({ type_name: name, type_version: version })).execution_type
            : (await s.getContextType({ type_name: name, type_version: version })).context_type
      expectProto(got, { id: type_id, name, version, properties })
      // Without the version the type is not found.
      const missing =
        kind === 'artifact'
          ? s.getArtifactType({ type_name: name })
          : kind === 'execution'
            ? s.getExecutionType({ type_name: name })
            : s.getContextType({ type_name: name })
      await expectCode(missing, Code.NotFound)
    }
  })

  it('test_put_type_with_update_get_type_with_version', async () => {
    const s = t.store()
    const name = uid('test_type')
    const version = uid('test_version')
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
    const { type_id } = await s.putContextType({ context_type: { name, version, properties } })
    await s.putContextType({
      context_type: { name, version, properties: { ...properties, new_property: PropertyType.INT } },
      can_add_fields: true,
    })
    expectProto((await s.getContextType({ type_name: name, type_version: version })).context_type, {
      id: type_id,
      name,
      version,
      properties: { ...properties, new_property: PropertyType.INT },
    })
  })

  it('test_put_type_with_omitted_fields_get_type, test_put_type_with_omitted_fields_get_type_with_version', async () => {
    const s = t.store()
    for (const version of [undefined, uid('v')]) {
      const name = uid('test_type')
      const base = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
      const stored = { ...base, p1: PropertyType.INT }
      const v = version === undefined ? {} : { version }
      const { type_id } = await s.putExecutionType({ execution_type: { name, ...v, properties: stored } })
      await expectCode(
        s.putExecutionType({ execution_type: { name, ...v, properties: base } }),
        Code.AlreadyExists,
      )
      await s.putExecutionType({ execution_type: { name, ...v, properties: base }, can_omit_fields: true })
      const got = (
        await s.getExecutionType({
          type_name: name,
          ...(version === undefined ? {} : { type_version: version }),
        })
      ).execution_type
      expect(got?.id).toBe(type_id)
      expect(got?.properties).toEqual(stored)
    }
  })

  it('test_put_type_with_omitted_fields_and_add_fields, test_put_type_with_omitted_fields_and_add_fields_with_version', async () => {
    const s = t.store()
    for (const version of [undefined, uid('v')]) {
      const name = uid('test_type')
      const base = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
      const v = version === undefined ? {} : { version }
      const { type_id } = await s.putArtifactType({
        artifact_type: { name, ...v, properties: { ...base, p1: PropertyType.INT } },
      })
      const request = { name, ...v, properties: { ...base, p2: PropertyType.DOUBLE } }
      await expectCode(s.putArtifactType({ artifact_type: request }), Code.AlreadyExists)
      await expectCode(
        s.putArtifactType({ artifact_type: request, can_omit_fields: true }),
        Code.AlreadyExists,
      )
      await s.putArtifactType({ artifact_type: request, can_add_fields: true, can_omit_fields: true })
      const got = (
        await s.getArtifactType({
          type_name: name,
          ...(version === undefined ? {} : { type_version: version }),
        })
      ).artifact_type
      expect(got?.id).toBe(type_id)
      expect(got?.properties).toEqual({ ...base, p1: PropertyType.INT, p2: PropertyType.DOUBLE })
    }
  })

  it('PutExecutionTypeGetExecutionType', async () => {
    const s = t.store()
    const type: ExecutionType = {
      name: uid('test_type2'),
      properties: { property_1: PropertyType.STRING },
      base_type: ExecutionBase.TRAIN,
    }
    const { type_id } = await s.putExecutionType({ all_fields_match: true, execution_type: type })
    expectProto((await s.getExecutionType({ type_name: type.name as string })).execution_type, {
      ...type,
      id: type_id,
    })
  })

  it('PutExecutionTypeInsertTypeLink', async () => {
    const s = t.store()
    const expected: ExecutionType = {
      name: uid('test_type2'),
      properties: { property_1: PropertyType.STRING },
      base_type: ExecutionBase.TRAIN,
    }
    expected.id = (await s.putExecutionType({ execution_type: expected })).type_id
    expectProto((await s.getExecutionType({ type_name: expected.name as string })).execution_type, expected)
    await expectCode(
      s.putExecutionType({ execution_type: { ...expected, base_type: ExecutionBase.EVALUATE } }),
      Code.Unimplemented,
      'base_type update is not supported yet',
    )
    const { base_type: _dropped, ...withoutBaseType } = expected
    await s.putExecutionType({ execution_type: withoutBaseType })
    await expectCode(
      s.putExecutionType({ execution_type: { ...expected, base_type: ExecutionBase.UNSET } }),
      Code.Unimplemented,
      'base_type deletion is not supported yet',
    )
  })

  it('PutContextType with a base_type is UNIMPLEMENTED (context types have none)', async () => {
    await expectCode(
      t.store().putContextType({ context_type: { name: uid('c'), base_type: 0 } }),
      Code.Unimplemented,
    )
  })

  it('PutExecutionTypesGetExecutionTypes', async () => {
    const s = t.store()
    const type1: ExecutionType = { name: uid('test_type_1'), properties: { property_1: PropertyType.STRING } }
    const type2: ExecutionType = {
      name: uid('test_type_2'),
      properties: { property_2: PropertyType.INT },
      base_type: ExecutionBase.PROCESS,
    }
    type1.id = (await s.putExecutionType({ all_fields_match: true, execution_type: type1 })).type_id
    type2.id = (await s.putExecutionType({ all_fields_match: true, execution_type: type2 })).type_id
    const { execution_types } = await s.getExecutionTypes({})
    expectUnordered(
      execution_types.filter((x) => x.id === type1.id || x.id === type2.id),
      [type1, type2],
    )
    if (t.fresh) expect(execution_types).toHaveLength(2)
  })

  it('PutExecutionTypeTwiceChangedPropertyType', async () => {
    const s = t.store()
    const name = uid('test_type2')
    await s.putExecutionType({ execution_type: { name, properties: { property_1: PropertyType.STRING } } })
    await expectCode(
      s.putExecutionType({ execution_type: { name, properties: { property_1: PropertyType.INT } } }),
      Code.AlreadyExists,
    )
  })

  it('PutExecutionTypeTwiceChangedRemovedProperty', async () => {
    const s = t.store()
    const name = uid('test_type2')
    await s.putExecutionType({
      execution_type: {
        name,
        properties: { property_1: PropertyType.STRING, property_2: PropertyType.STRING },
      },
    })
    await expectCode(
      s.putExecutionType({ execution_type: { name, properties: { property_1: PropertyType.STRING } } }),
      Code.AlreadyExists,
    )
  })

  it('PutExecutionTypeMultipleTimesWithUpdate', async () => {
    const s = t.store()
    const name = uid('test_type')
    const first = await s.putExecutionType({
      all_fields_match: true,
      execution_type: { name, properties: { property_1: PropertyType.STRING } },
    })
    const second = await s.putExecutionType({
      all_fields_match: true,
      can_add_fields: true,
      execution_type: {
        id: first.type_id,
        name,
        properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT },
      },
    })
    expect(second.type_id).toBe(first.type_id)
  })

  it('PutExecutionTypeSame', async () => {
    const s = t.store()
    const request = {
      all_fields_match: true,
      execution_type: { name: uid('test_type2'), properties: { property_1: PropertyType.STRING } },
    }
    expect((await s.putExecutionType(request)).type_id).toBe((await s.putExecutionType(request)).type_id)
  })

  it('test_put_execution_type_with_update_get_execution_type', async () => {
    const s = t.store()
    const name = uid('t')
    const { type_id } = await s.putExecutionType({
      execution_type: { name, properties: { foo: PropertyType.INT } },
    })
    await s.putExecutionType({
      execution_type: { name, properties: { foo: PropertyType.INT, new_property: PropertyType.STRING } },
      can_add_fields: true,
    })
    expectProto((await s.getExecutionType({ type_name: name })).execution_type, {
      id: type_id,
      name,
      properties: { foo: PropertyType.INT, new_property: PropertyType.STRING },
    })
  })

  it('PutTypesGetTypes', async () => {
    const s = t.store()
    const name1 = uid('test_type1')
    const name2 = uid('test_type2')
    const response = await s.putTypes({
      artifact_types: [
        { name: name1, properties: { property_1: PropertyType.STRING } },
        { name: name1, properties: { property_1: PropertyType.STRING } },
      ],
      execution_types: [
        { name: name1, properties: { property_1: PropertyType.STRING } },
        { name: name2, properties: { property_1: PropertyType.DOUBLE } },
      ],
      context_types: [{ name: name1, properties: { property_1: PropertyType.INT } }],
    })
    expect(response.artifact_type_ids).toHaveLength(2)
    expect(response.artifact_type_ids[0]).toBe(response.artifact_type_ids[1])
    expect(response.execution_type_ids).toHaveLength(2)
    expect(response.execution_type_ids[0]).not.toBe(response.execution_type_ids[1])
    expect(response.context_type_ids).toHaveLength(1)
    expect((await s.getArtifactType({ type_name: name1 })).artifact_type?.id).toBe(
      response.artifact_type_ids[0],
    )
    expect((await s.getExecutionType({ type_name: name2 })).execution_type?.id).toBe(
      response.execution_type_ids[1],
    )
    expect((await s.getContextType({ type_name: name1 })).context_type?.id).toBe(response.context_type_ids[0])
  })

  it('PutTypesInsertTypeLink', async () => {
    const s = t.store()
    const name1 = uid('test_type1')
    const name2 = uid('test_type2')
    const artifactType: ArtifactType = {
      name: name1,
      properties: { property_1: PropertyType.STRING },
      base_type: ArtifactBase.MODEL,
    }
    const executionType: ExecutionType = {
      name: name2,
      properties: { property_1: PropertyType.DOUBLE },
      base_type: ExecutionBase.TRAIN,
    }
    const response = await s.putTypes({
      artifact_types: [artifactType, { name: name1, properties: { property_1: PropertyType.STRING } }],
      execution_types: [{ name: name1, properties: { property_1: PropertyType.STRING } }, executionType],
    })
    expect(response.artifact_type_ids[0]).toBe(response.artifact_type_ids[1])
    expect(response.execution_type_ids[0]).not.toBe(response.execution_type_ids[1])
    expectProto((await s.getArtifactType({ type_name: name1 })).artifact_type, {
      ...artifactType,
      id: response.artifact_type_ids[0],
    })
    expectProto((await s.getExecutionType({ type_name: name2 })).execution_type, {
      ...executionType,
      id: response.execution_type_ids[1],
    })
  })

  it('PutTypesUpdateTypes', async () => {
    const s = t.store()
    const [a, e, c] = [uid('artifact_type'), uid('execution_type'), uid('context_type')]
    const one = { property_1: PropertyType.STRING }
    const two = { property_1: PropertyType.STRING, property_2: PropertyType.STRING }
    const put = await s.putTypes({
      artifact_types: [{ name: a, properties: one }],
      execution_types: [{ name: e, properties: one }],
      context_types: [{ name: c, properties: one }],
    })
    const update = await s.putTypes({
      artifact_types: [{ name: a, properties: two }],
      execution_types: [{ name: e, properties: two }],
      context_types: [{ name: c, properties: two }],
      can_add_fields: true,
    })
    expect(update).toEqual(put)
    expectProto((await s.getArtifactType({ type_name: a })).artifact_type, {
      id: put.artifact_type_ids[0],
      name: a,
      properties: two,
    })
    expectProto((await s.getExecutionType({ type_name: e })).execution_type, {
      id: put.execution_type_ids[0],
      name: e,
      properties: two,
    })
    expectProto((await s.getContextType({ type_name: c })).context_type, {
      id: put.context_type_ids[0],
      name: c,
      properties: two,
    })
  })

  it('PutTypesUpdateTypesAlreadyExistsError', async () => {
    const s = t.store()
    const [a, e, c, fresh] = [
      uid('artifact_type'),
      uid('execution_type'),
      uid('context_type'),
      uid('test_type1'),
    ]
    const one = { property_1: PropertyType.STRING }
    const put = await s.putTypes({
      artifact_types: [{ name: a, properties: one }],
      execution_types: [{ name: e, properties: one }],
      context_types: [{ name: c, properties: one }],
    })
    const two = { property_1: PropertyType.STRING, property_2: PropertyType.STRING }
    // New properties without can_add_fields.
    await expectCode(
      s.putTypes({
        artifact_types: [{ name: fresh, properties: two }],
        execution_types: [{ name: e, properties: two }],
        context_types: [{ name: c, properties: two }],
        can_add_fields: false,
        can_omit_fields: false,
      }),
      Code.AlreadyExists,
    )
    // Omitted properties without can_omit_fields.
    const onlyTwo = { property_2: PropertyType.STRING }
    await expectCode(
      s.putTypes({
        artifact_types: [{ name: fresh, properties: onlyTwo }],
        execution_types: [{ name: e, properties: onlyTwo }],
        context_types: [{ name: c, properties: onlyTwo }],
        can_add_fields: true,
        can_omit_fields: false,
      }),
      Code.AlreadyExists,
    )
    // A property whose type changes.
    const int = { property_1: PropertyType.INT }
    await expectCode(
      s.putTypes({
        artifact_types: [{ name: fresh, properties: int }],
        execution_types: [{ name: e, properties: int }],
        context_types: [{ name: c, properties: int }],
        can_add_fields: true,
      }),
      Code.AlreadyExists,
    )
    expectProto((await s.getArtifactType({ type_name: a })).artifact_type, {
      id: put.artifact_type_ids[0],
      name: a,
      properties: one,
    })
    expectProto((await s.getExecutionType({ type_name: e })).execution_type, {
      id: put.execution_type_ids[0],
      name: e,
      properties: one,
    })
    expectProto((await s.getContextType({ type_name: c })).context_type, {
      id: put.context_type_ids[0],
      name: c,
      properties: one,
    })
    // The request is one transaction: the new artifact type of the failed requests is not stored.
    await expectCode(s.getArtifactType({ type_name: fresh }), Code.NotFound)
  })

  it('PutTypes with all_fields_match false is UNIMPLEMENTED', async () => {
    await expectCode(t.store().putTypes({ all_fields_match: false }), Code.Unimplemented)
  })

  it('PutContextTypeGetContextType', async () => {
    const s = t.store()
    const name = uid('test_type')
    const { type_id } = await s.putContextType({
      all_fields_match: true,
      context_type: { name, properties: { property_1: PropertyType.STRING } },
    })
    const { context_type } = await s.getContextType({ type_name: name })
    expect(context_type?.id).toBe(type_id)
    expect(context_type?.name).toBe(name)
  })

  it('PutContextTypesGetContextTypes', async () => {
    const s = t.store()
    const type1: ContextType = { name: uid('test_type_1'), properties: { property_1: PropertyType.STRING } }
    const type2: ContextType = { name: uid('test_type_2'), properties: { property_2: PropertyType.INT } }
    type1.id = (await s.putContextType({ all_fields_match: true, context_type: type1 })).type_id
    type2.id = (await s.putContextType({ all_fields_match: true, context_type: type2 })).type_id
    const { context_types } = await s.getContextTypes({})
    const mine = context_types.filter((x) => x.id === type1.id || x.id === type2.id)
    // ElementsAre: ascending id.
    expect(mine.map((x) => x.id)).toEqual([type1.id, type2.id])
    expectUnordered(mine, [type1, type2])
    if (t.fresh) expect(context_types).toHaveLength(2)
  })

  it('PutContextTypesGetContextTypesByExternalIds', async () => {
    const s = t.store()
    const type1: ContextType = {
      name: uid('test_context_type_1'),
      external_id: uid('test_context_type_external_id_1'),
      properties: { property: PropertyType.STRING },
    }
    const type2: ContextType = {
      name: uid('test_context_type_2'),
      external_id: uid('test_context_type_external_id_2'),
      properties: { property: PropertyType.STRING },
    }
    type1.id = (await s.putContextType({ all_fields_match: true, context_type: type1 })).type_id
    type2.id = (await s.putContextType({ all_fields_match: true, context_type: type2 })).type_id
    expectUnordered(
      (await s.getContextTypesByExternalIds({ external_ids: [type1.external_id as string] })).context_types,
      [type1],
    )
    await expectCode(s.getContextTypesByExternalIds({ external_ids: [uid('absent')] }), Code.NotFound)
    expectUnordered(
      (
        await s.getContextTypesByExternalIds({
          external_ids: [type1.external_id as string, type2.external_id as string, uid('absent')],
        })
      ).context_types,
      [type1, type2],
    )
    await expectCode(s.getContextTypesByExternalIds({ external_ids: [''] }), Code.InvalidArgument)
  })

  it('PutContextTypeGetContextTypesByID', async () => {
    const s = t.store()
    const type: ContextType = { name: uid('test_type'), properties: { property_1: PropertyType.STRING } }
    const { type_id } = await s.putContextType({ all_fields_match: true, context_type: type })
    const { context_types } = await s.getContextTypesByID({ type_ids: [type_id as bigint, UNKNOWN_ID] })
    expect(context_types).toHaveLength(1)
    expectProto(context_types[0], { ...type, id: type_id })
  })

  it('test_put_context_type_get_context_type', async () => {
    const s = t.store()
    const name = uid('t')
    const { type_id } = await s.putContextType({
      context_type: { name, properties: { foo: PropertyType.INT } },
    })
    expect((await s.getContextType({ type_name: name })).context_type?.id).toBe(type_id)
    const { context_types } = await s.getContextTypesByID({ type_ids: [type_id as bigint] })
    expect(context_types.map((x) => [x.id, x.name])).toEqual([[type_id, name]])
  })

  it('test_put_context_type_with_update_get_context_type', async () => {
    const s = t.store()
    const name = uid('t')
    const { type_id } = await s.putContextType({
      context_type: { name, properties: { foo: PropertyType.INT } },
    })
    await s.putContextType({
      context_type: { name, properties: { foo: PropertyType.INT, new_property: PropertyType.STRING } },
      can_add_fields: true,
    })
    expectProto((await s.getContextType({ type_name: name })).context_type, {
      id: type_id,
      name,
      properties: { foo: PropertyType.INT, new_property: PropertyType.STRING },
    })
  })

  it('PutContextTypeUpsert', async () => {
    const s = t.store()
    const name = uid('test_type')
    const properties = { property_1: PropertyType.STRING, property_2: PropertyType.INT }
    const put = await s.putContextType({ all_fields_match: true, context_type: { name, properties } })
    expect(
      (await s.putContextType({ all_fields_match: true, context_type: { name, properties } })).type_id,
    ).toBe(put.type_id)
    const added = await s.putContextType({
      all_fields_match: true,
      can_add_fields: true,
      context_type: { name, properties: { ...properties, new_property: PropertyType.DOUBLE } },
    })
    expect(added.type_id).toBe(put.type_id)
    // Without the evolution flags, adding, removing or retyping a property fails.
    await expectCode(
      s.putContextType({
        all_fields_match: true,
        context_type: {
          name,
          properties: { ...properties, new_property: PropertyType.DOUBLE, property_3: PropertyType.DOUBLE },
        },
      }),
      Code.AlreadyExists,
    )
    await expectCode(
      s.putContextType({
        all_fields_match: true,
        context_type: { name, properties: { property_1: PropertyType.STRING } },
      }),
      Code.AlreadyExists,
    )
    await expectCode(
      s.putContextType({
        all_fields_match: true,
        context_type: {
          name,
          properties: {
            property_1: PropertyType.STRING,
            property_2: PropertyType.STRING,
            new_property: PropertyType.DOUBLE,
          },
        },
      }),
      Code.AlreadyExists,
    )
  })

  it('test_put_artifact_type_get_artifact_type, test_put_execution_type_get_execution_type', async () => {
    const s = t.store()
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
    const a = uid('a')
    const e = uid('e')
    const aId = (await s.putArtifactType({ artifact_type: { name: a, properties } })).type_id
    const eId = (await s.putExecutionType({ execution_type: { name: e, properties } })).type_id
    expectProto((await s.getArtifactType({ type_name: a })).artifact_type, { id: aId, name: a, properties })
    expectProto((await s.getExecutionType({ type_name: e })).execution_type, { id: eId, name: e, properties })
  })

  it('test_put_artifact_type_with_update_get_artifact_type', async () => {
    const s = t.store()
    const name = uid('a')
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
    const { type_id } = await s.putArtifactType({ artifact_type: { name, properties } })
    await s.putArtifactType({
      artifact_type: { name, properties: { ...properties, new_property: PropertyType.INT } },
      can_add_fields: true,
    })
    expectProto((await s.getArtifactType({ type_name: name })).artifact_type, {
      id: type_id,
      name,
      properties: { ...properties, new_property: PropertyType.INT },
    })
  })

  it('test_get_artifact_types, test_get_execution_types, test_get_context_types', async () => {
    const s = t.store()
    const properties = { foo: PropertyType.INT, bar: PropertyType.STRING, baz: PropertyType.DOUBLE }
    const a1: ArtifactType = { name: uid('a'), properties }
    const a2: ArtifactType = { name: uid('a'), properties }
    a1.id = (await s.putArtifactType({ artifact_type: a1 })).type_id
    a2.id = (await s.putArtifactType({ artifact_type: a2 })).type_id
    const e1: ExecutionType = { name: uid('e'), properties }
    const e2: ExecutionType = { name: uid('e'), properties }
    e1.id = (await s.putExecutionType({ execution_type: e1 })).type_id
    e2.id = (await s.putExecutionType({ execution_type: e2 })).type_id
    const c1: ContextType = { name: uid('c'), properties }
    const c2: ContextType = { name: uid('c'), properties }
    c1.id = (await s.putContextType({ context_type: c1 })).type_id
    c2.id = (await s.putContextType({ context_type: c2 })).type_id
    const mine = <T extends { id?: bigint }>(all: T[], want: T[]) =>
      all.filter((x) => want.some((w) => w.id === x.id))
    expectOrdered(mine((await s.getArtifactTypes({})).artifact_types, [a1, a2]), [a1, a2])
    expectOrdered(mine((await s.getExecutionTypes({})).execution_types, [e1, e2]), [e1, e2])
    expectOrdered(mine((await s.getContextTypes({})).context_types, [c1, c2]), [c1, c2])
  })

  it('The same name is a different type per kind', async () => {
    const s = t.store()
    const name = uid('shared_name')
    const a = (await s.putArtifactType({ artifact_type: { name } })).type_id
    const e = (await s.putExecutionType({ execution_type: { name } })).type_id
    const c = (await s.putContextType({ context_type: { name } })).type_id
    expect(new Set([a, e, c]).size).toBe(3)
  })

  it('An upsert ignores a changed description of an existing type', async () => {
    const s = t.store()
    const name = uid('t')
    const { type_id } = await s.putArtifactType({ artifact_type: { name, description: 'first' } })
    expect((await s.putArtifactType({ artifact_type: { name, description: 'second' } })).type_id).toBe(
      type_id,
    )
    expect((await s.getArtifactType({ type_name: name })).artifact_type?.description).toBe('first')
  })

  it('A type external_id held by a type of another kind, or set on an existing type: MLMD INTERNAL, mlmd-ts ALREADY_EXISTS', async () => {
    const s = t.store()
    const external_id = uid('ext')
    await s.putArtifactType({ artifact_type: { name: uid('a'), external_id } })
    // mlmd-ts maps every UNIQUE violation to ALREADY_EXISTS (design rule 4); MLMD checks only
    // types of the same kind, on insert.
    const code = t.impl === 'mlmd-ts' ? Code.AlreadyExists : Code.Internal
    await expectCode(s.putExecutionType({ execution_type: { name: uid('e'), external_id } }), code)
    const name = uid('b')
    await s.putArtifactType({ artifact_type: { name } })
    await expectCode(s.putArtifactType({ artifact_type: { name, external_id } }), code)
  })

  it('Type reads: MLMD leaves external_id out of GetArtifactTypes and base_type out of by-external-id and populated types; mlmd-ts answers both', async () => {
    const s = t.store()
    const name = uid('a')
    const external_id = uid('ext')
    const { type_id } = await s.putArtifactType({
      artifact_type: { name, external_id, base_type: ArtifactBase.DATASET },
    })
    const listed = (await s.getArtifactTypes({})).artifact_types.find((x) => x.id === type_id)
    const byExternalId = (await s.getArtifactTypesByExternalIds({ external_ids: [external_id] }))
      .artifact_types[0]
    const { artifact_ids } = await s.putArtifacts({ artifacts: [{ type_id }] })
    const populated = (await s.getArtifactsByID({ artifact_ids, populate_artifact_types: true }))
      .artifact_types[0]
    const full = { id: type_id, name, external_id, base_type: ArtifactBase.DATASET }
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: type reads are complete).
      for (const got of [listed, byExternalId, populated]) expectProto(got, full)
    } else {
      expectProto(listed, { id: type_id, name, base_type: ArtifactBase.DATASET })
      expectProto(byExternalId, { id: type_id, name, external_id })
      expectProto(populated, { id: type_id, name, external_id })
    }
    // Every read by name or id answers the whole type.
    expectProto((await s.getArtifactType({ type_name: name })).artifact_type, full)
    expectProto((await s.getArtifactTypesByID({ type_ids: [type_id as bigint] })).artifact_types[0], full)
  })
})
