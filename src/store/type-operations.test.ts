import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import type {
  ContextType,
  ExecutionType,
  PutArtifactTypeRequest,
  PutExecutionTypeRequest,
  PutTypesRequest,
} from '../proto/messages.js'
import {
  ArtifactType_SystemDefinedBaseType,
  ExecutionType_SystemDefinedBaseType,
  PropertyType,
} from '../proto/messages.js'
import { createMetadataStore, type OwnedMetadataStore } from './metadata-store.js'

// A fresh in-memory store per test, as MLMD's MetadataStoreTestSuite does.
let store: OwnedMetadataStore
beforeEach(() => {
  store = createMetadataStore({ filename: ':memory:' })
})
afterEach(() => store.close())

const mlmdError = (code: Code, message?: string) =>
  expect.objectContaining(
    message === undefined ? { code } : { code, rawMessage: expect.stringContaining(message) },
  )

// The fields the three type messages share; a literal of this shape is a valid type of each kind.
type CommonType = Pick<ContextType, 'name' | 'version' | 'description' | 'external_id' | 'properties'>
interface Flags {
  can_add_fields?: boolean
  can_omit_fields?: boolean
  all_fields_match?: boolean
}

// One row per type kind: the kind's RPCs, called with the request literal written out.
const KINDS = [
  {
    kind: 'artifact',
    put: (type: CommonType, flags: Flags = {}) => store.putArtifactType({ artifact_type: type, ...flags }),
    get: (type_name: string, type_version?: string) =>
      store.getArtifactType({ type_name, type_version }).artifact_type,
    byId: (type_ids: bigint[]) => store.getArtifactTypesByID({ type_ids }).artifact_types,
    all: () => store.getArtifactTypes({}).artifact_types,
    byExternalIds: (external_ids: string[]) =>
      store.getArtifactTypesByExternalIds({ external_ids }).artifact_types,
    putTypes: (type: CommonType, flags: Flags = {}): bigint[] | undefined =>
      store.putTypes({ artifact_types: [type, type], ...flags }).artifact_type_ids,
  },
  {
    kind: 'execution',
    put: (type: CommonType, flags: Flags = {}) => store.putExecutionType({ execution_type: type, ...flags }),
    get: (type_name: string, type_version?: string) =>
      store.getExecutionType({ type_name, type_version }).execution_type,
    byId: (type_ids: bigint[]) => store.getExecutionTypesByID({ type_ids }).execution_types,
    all: () => store.getExecutionTypes({}).execution_types,
    byExternalIds: (external_ids: string[]) =>
      store.getExecutionTypesByExternalIds({ external_ids }).execution_types,
    putTypes: (type: CommonType, flags: Flags = {}): bigint[] | undefined =>
      store.putTypes({ execution_types: [type, type], ...flags }).execution_type_ids,
  },
  {
    kind: 'context',
    put: (type: CommonType, flags: Flags = {}) => store.putContextType({ context_type: type, ...flags }),
    get: (type_name: string, type_version?: string) =>
      store.getContextType({ type_name, type_version }).context_type,
    byId: (type_ids: bigint[]) => store.getContextTypesByID({ type_ids }).context_types,
    all: () => store.getContextTypes({}).context_types,
    byExternalIds: (external_ids: string[]) =>
      store.getContextTypesByExternalIds({ external_ids }).context_types,
    putTypes: (type: CommonType, flags: Flags = {}): bigint[] | undefined =>
      store.putTypes({ context_types: [type, type], ...flags }).context_type_ids,
  },
] as const

const STORED: CommonType = {
  name: 'test_type',
  properties: { property_1: PropertyType.INT, property_2: PropertyType.STRING },
}

describe('type operations', () => {
  describe('putArtifactType / putExecutionType / putContextType', () => {
    it.each(KINDS)('PutArtifactTypeGetArtifactType: inserts a $kind type and reads it back', (k) => {
      const { type_id } = k.put({
        name: 'test_type2',
        description: 'a type',
        properties: { property_1: PropertyType.STRING, property_2: PropertyType.STRUCT },
      })
      expect(type_id).toBeTypeOf('bigint')
      expect(k.get('test_type2')).toEqual({
        id: type_id,
        name: 'test_type2',
        description: 'a type',
        properties: { property_1: PropertyType.STRING, property_2: PropertyType.STRUCT },
      })
    })

    it.each(KINDS)('gives the first user $kind type id 10, after the nine mlmd.* simple types', (k) => {
      expect(k.put({ name: 'first' }).type_id).toBe(10n)
    })

    it.each(KINDS)('PutArtifactTypeSame: putting the same $kind type again returns the same id', (k) => {
      const first = k.put(STORED)
      const second = k.put(STORED)
      expect(second).toEqual(first)
      expect(k.all()).toHaveLength(1)
    })

    it.each(KINDS)('declares every property type on a $kind type', (k) => {
      const properties = {
        i: PropertyType.INT,
        d: PropertyType.DOUBLE,
        s: PropertyType.STRING,
        st: PropertyType.STRUCT,
        p: PropertyType.PROTO,
        b: PropertyType.BOOLEAN,
      }
      k.put({ name: 'all_kinds', properties })
      expect(k.get('all_kinds')?.properties).toEqual(properties)
    })

    // Stored {property_1: INT, property_2: STRING}; each request omits property_2 and adds property_3.
    it.each([
      {
        can_add_fields: false,
        can_omit_fields: false,
        error: 'can_omit_fields is false while stored type has more properties',
      },
      {
        can_add_fields: true,
        can_omit_fields: false,
        error: 'can_omit_fields is false while stored type has more properties',
      },
      {
        can_add_fields: false,
        can_omit_fields: true,
        error: 'can_add_fields is false while the given type has more properties',
      },
      { can_add_fields: true, can_omit_fields: true, error: undefined },
    ])(
      'omitting and adding with can_add_fields=$can_add_fields can_omit_fields=$can_omit_fields',
      ({ can_add_fields, can_omit_fields, error }) => {
        const { type_id } = store.putArtifactType({ artifact_type: STORED })
        const request: PutArtifactTypeRequest = {
          artifact_type: {
            name: 'test_type',
            properties: { property_1: PropertyType.INT, property_3: PropertyType.DOUBLE },
          },
          can_add_fields,
          can_omit_fields,
        }
        if (error === undefined) {
          expect(store.putArtifactType(request)).toEqual({ type_id })
          expect(store.getArtifactType({ type_name: 'test_type' }).artifact_type?.properties).toEqual({
            property_1: PropertyType.INT,
            property_2: PropertyType.STRING,
            property_3: PropertyType.DOUBLE,
          })
        } else {
          expect(() => store.putArtifactType(request)).toThrow(mlmdError(Code.AlreadyExists, error))
          expect(store.getArtifactType({ type_name: 'test_type' }).artifact_type?.properties).toEqual(
            STORED.properties,
          )
        }
      },
    )

    interface EvolutionCase {
      case: string
      flags: Flags
      properties: Record<string, PropertyType>
      error: string | undefined
    }
    const EVOLUTION_CASES: EvolutionCase[] = [
      {
        case: 'only adding, without can_add_fields',
        flags: { can_omit_fields: true },
        properties: {
          property_1: PropertyType.INT,
          property_2: PropertyType.STRING,
          extra: PropertyType.BOOLEAN,
        },
        error: 'can_add_fields is false while the given type has more properties',
      },
      {
        case: 'only adding, with can_add_fields',
        flags: { can_add_fields: true },
        properties: {
          property_1: PropertyType.INT,
          property_2: PropertyType.STRING,
          extra: PropertyType.BOOLEAN,
        },
        error: undefined,
      },
      {
        case: 'only omitting, without can_omit_fields',
        flags: { can_add_fields: true },
        properties: { property_1: PropertyType.INT },
        error: 'can_omit_fields is false while stored type has more properties',
      },
      {
        case: 'only omitting, with can_omit_fields',
        flags: { can_omit_fields: true },
        properties: { property_1: PropertyType.INT },
        error: undefined,
      },
      {
        case: 'omitting every property, with can_omit_fields',
        flags: { can_omit_fields: true },
        properties: {},
        error: undefined,
      },
    ]

    it.each(EVOLUTION_CASES.map((c) => [c.case, c] as const))('%s', (_case, { flags, properties, error }) => {
      const { type_id } = store.putExecutionType({ execution_type: STORED })
      const request: PutExecutionTypeRequest = {
        execution_type: { name: 'test_type', properties },
        ...flags,
      }
      if (error === undefined) {
        expect(store.putExecutionType(request)).toEqual({ type_id })
        // Omitted properties stay declared: evolution only ever adds.
        expect(store.getExecutionType({ type_name: 'test_type' }).execution_type?.properties).toEqual({
          ...STORED.properties,
          ...properties,
        })
      } else {
        expect(() => store.putExecutionType(request)).toThrow(mlmdError(Code.AlreadyExists, error))
      }
    })

    it('PutArtifactTypeCanOmitFields: omits with can_omit_fields, adds only with can_add_fields too', () => {
      const { type_id } = store.putArtifactType({ artifact_type: STORED })
      expect(() =>
        store.putArtifactType({
          artifact_type: { name: 'test_type', properties: { property_2: PropertyType.STRING } },
        }),
      ).toThrow(mlmdError(Code.AlreadyExists))
      expect(
        store.putArtifactType({
          can_omit_fields: true,
          artifact_type: { name: 'test_type', properties: { property_2: PropertyType.STRING } },
        }),
      ).toEqual({ type_id })
      expect(() =>
        store.putArtifactType({
          can_omit_fields: true,
          artifact_type: { name: 'test_type', properties: { property_3: PropertyType.DOUBLE } },
        }),
      ).toThrow(mlmdError(Code.AlreadyExists))
      expect(store.getArtifactTypes({}).artifact_types).toEqual([{ id: type_id, ...STORED }])
      expect(
        store.putArtifactType({
          can_add_fields: true,
          can_omit_fields: true,
          artifact_type: { name: 'test_type', properties: { property_3: PropertyType.DOUBLE } },
        }),
      ).toEqual({ type_id })
      expect(store.getArtifactTypes({}).artifact_types).toEqual([
        {
          id: type_id,
          name: 'test_type',
          properties: { ...STORED.properties, property_3: PropertyType.DOUBLE },
        },
      ])
    })

    it('PutArtifactTypeMultipleTimesWithUpdate: adds a property with can_add_fields, keeping the id', () => {
      const first = store.putArtifactType({
        all_fields_match: true,
        artifact_type: { name: 'test_type', properties: { property_1: PropertyType.STRING } },
      })
      const second = store.putArtifactType({
        all_fields_match: true,
        can_add_fields: true,
        artifact_type: {
          name: 'test_type',
          properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT },
        },
      })
      expect(second).toEqual(first)
    })

    it.each(KINDS)(
      'PutArtifactTypeTwiceChangedPropertyType: a changed property type of a $kind type is ALREADY_EXISTS',
      (k) => {
        k.put({ name: 'test_type2', properties: { property_1: PropertyType.STRING } })
        expect(() => k.put({ name: 'test_type2', properties: { property_1: PropertyType.INT } })).toThrow(
          mlmdError(Code.AlreadyExists, 'Conflicting property value type found in stored and given types'),
        )
        // Not even both flags allow it.
        expect(() =>
          k.put(
            { name: 'test_type2', properties: { property_1: PropertyType.INT } },
            { can_add_fields: true, can_omit_fields: true },
          ),
        ).toThrow(mlmdError(Code.AlreadyExists, 'Conflicting property value type'))
        expect(k.get('test_type2')?.properties).toEqual({ property_1: PropertyType.STRING })
      },
    )

    it.each(KINDS)(
      'PutArtifactTypeTwiceChangedAddedProperty: an added property of a $kind type is ALREADY_EXISTS',
      (k) => {
        k.put({ name: 'test_type2', properties: { property_1: PropertyType.STRING } })
        expect(() =>
          k.put({
            name: 'test_type2',
            properties: { property_1: PropertyType.STRING, property_2: PropertyType.STRING },
          }),
        ).toThrow(mlmdError(Code.AlreadyExists, 'can_add_fields is false'))
      },
    )

    it.each(KINDS)(
      'PutArtifactTypeTwiceChangedRemovedProperty: a removed property of a $kind type is ALREADY_EXISTS',
      (k) => {
        k.put({
          name: 'test_type2',
          properties: { property_1: PropertyType.STRING, property_2: PropertyType.STRING },
        })
        expect(() => k.put({ name: 'test_type2', properties: { property_1: PropertyType.STRING } })).toThrow(
          mlmdError(Code.AlreadyExists, 'can_omit_fields is false'),
        )
      },
    )

    it('PutArtifactTypeWithUpdateErrors: each invalid update fails with its code', () => {
      const { type_id } = store.putArtifactType({
        all_fields_match: true,
        artifact_type: { name: 'test_type', properties: { property_1: PropertyType.STRING } },
      })
      const requests: [PutArtifactTypeRequest, Code][] = [
        [
          {
            all_fields_match: true,
            artifact_type: {
              name: 'test_type',
              properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT },
            },
          },
          Code.AlreadyExists,
        ],
        [
          {
            all_fields_match: true,
            can_add_fields: true,
            artifact_type: {
              id: type_id,
              name: 'test_type',
              properties: { property_1: PropertyType.DOUBLE },
            },
          },
          Code.AlreadyExists,
        ],
        [
          {
            all_fields_match: true,
            can_add_fields: true,
            artifact_type: { id: type_id, properties: { property_2: PropertyType.INT } },
          },
          Code.InvalidArgument,
        ],
        [
          {
            all_fields_match: true,
            can_add_fields: true,
            artifact_type: { id: type_id, name: 'test_type', properties: { property_2: PropertyType.INT } },
          },
          Code.AlreadyExists,
        ],
      ]
      for (const [request, code] of requests) {
        expect(() => store.putArtifactType(request)).toThrow(mlmdError(code))
      }
    })

    it.each(KINDS)('rejects a $kind type with an empty or missing name as INVALID_ARGUMENT', (k) => {
      expect(() => k.put({ name: '' })).toThrow(mlmdError(Code.InvalidArgument, 'No type name is specified.'))
      expect(() => k.put({ properties: { p: PropertyType.INT } })).toThrow(
        mlmdError(Code.InvalidArgument, 'No type name is specified.'),
      )
    })

    it('rejects a request without a type as INVALID_ARGUMENT', () => {
      expect(() => store.putArtifactType({})).toThrow(mlmdError(Code.InvalidArgument))
      expect(() => store.putExecutionType({})).toThrow(mlmdError(Code.InvalidArgument))
      expect(() => store.putContextType({})).toThrow(mlmdError(Code.InvalidArgument))
    })

    it.each(KINDS)(
      'rejects an UNKNOWN property of a $kind type as INVALID_ARGUMENT, storing nothing',
      (k) => {
        expect(() =>
          k.put({ name: 'u', properties: { ok: PropertyType.INT, a: PropertyType.UNKNOWN } }),
        ).toThrow(mlmdError(Code.InvalidArgument, 'Property a is UNKNOWN.'))
        expect(k.all()).toEqual([])
      },
    )

    it.each(KINDS)('rejects all_fields_match=false for $kind types as UNIMPLEMENTED', (k) => {
      expect(() => k.put({ name: 't' }, { all_fields_match: false })).toThrow(
        mlmdError(Code.Unimplemented, 'Must match all fields.'),
      )
      expect(k.all()).toEqual([])
      expect(k.put({ name: 't' }, { all_fields_match: true }).type_id).toBeTypeOf('bigint')
    })

    it('ignores the deprecated can_delete_fields', () => {
      const { type_id } = store.putArtifactType({ artifact_type: STORED })
      expect(() =>
        store.putArtifactType({
          can_delete_fields: true,
          artifact_type: { name: 'test_type', properties: { property_1: PropertyType.INT } },
        }),
      ).toThrow(mlmdError(Code.AlreadyExists))
      expect(store.getArtifactTypesByID({ type_ids: [type_id as bigint] }).artifact_types).toEqual([
        { id: type_id, ...STORED },
      ])
    })

    it('ignores the request id, description, input_type and output_type of an existing type', () => {
      const { type_id } = store.putExecutionType({
        execution_type: { name: 'e', description: 'first', input_type: { none: {} } },
      })
      expect(
        store.putExecutionType({
          execution_type: {
            id: 12345n,
            name: 'e',
            description: 'second',
            input_type: { any: {} },
            output_type: { any: {} },
          },
        }),
      ).toEqual({ type_id })
      expect(store.getExecutionType({ type_name: 'e' }).execution_type).toEqual({
        id: type_id,
        name: 'e',
        description: 'first',
        input_type: { none: {} },
        properties: {},
      })
    })
  })

  describe('versions', () => {
    it.each(KINDS)(
      'PutTypeWithVersionsGetType: same-named $kind types with different versions are distinct',
      (k) => {
        const v1 = k.put({ name: 't', version: 'v1', properties: { p: PropertyType.INT } }).type_id
        const v2 = k.put({ name: 't', version: 'v2', properties: { p: PropertyType.STRING } }).type_id
        const none = k.put({ name: 't' }).type_id
        expect(new Set([v1, v2, none]).size).toBe(3)
        expect(k.get('t', 'v1')).toEqual({
          id: v1,
          name: 't',
          version: 'v1',
          properties: { p: PropertyType.INT },
        })
        expect(k.get('t', 'v2')).toEqual({
          id: v2,
          name: 't',
          version: 'v2',
          properties: { p: PropertyType.STRING },
        })
        expect(k.get('t')).toEqual({ id: none, name: 't', properties: {} })
        expect(k.all()?.map((t) => t.id)).toEqual([v1, v2, none])
        expect(() => k.get('t', 'v3')).toThrow(
          mlmdError(Code.NotFound, 'No type found for query, name: `t`, version: `v3`'),
        )
      },
    )

    it.each(KINDS)(
      "TypeWithNullAndEmptyStringVersionsGetType: '' version of a $kind type is the same as no version",
      (k) => {
        const unset = k.put({ name: 'test_type', properties: { property_1: PropertyType.STRING } }).type_id
        expect(
          k.put({ name: 'test_type', version: '', properties: { property_1: PropertyType.STRING } }),
        ).toEqual({
          type_id: unset,
        })
        const empty = k.put({
          name: 'test_type_2',
          version: '',
          properties: { property_1: PropertyType.STRING },
        }).type_id
        expect(k.put({ name: 'test_type_2', properties: { property_1: PropertyType.STRING } })).toEqual({
          type_id: empty,
        })
        // Stored as no version: reads leave `version` unset.
        expect(k.all()).toEqual([
          { id: unset, name: 'test_type', properties: { property_1: PropertyType.STRING } },
          { id: empty, name: 'test_type_2', properties: { property_1: PropertyType.STRING } },
        ])
        expect(k.get('test_type_2', '')).toEqual({
          id: empty,
          name: 'test_type_2',
          properties: { property_1: PropertyType.STRING },
        })
      },
    )

    it('EvolveTypeWithVersionsGetType: evolves one version with the flags', () => {
      const { type_id } = store.putExecutionType({
        execution_type: { name: 'test_type', version: '1', properties: { property_1: PropertyType.STRING } },
      })
      const adding: PutExecutionTypeRequest = {
        execution_type: {
          name: 'test_type',
          version: '1',
          properties: { property_1: PropertyType.STRING, property_2: PropertyType.INT },
        },
      }
      expect(() => store.putExecutionType(adding)).toThrow(mlmdError(Code.AlreadyExists))
      expect(store.putExecutionType({ ...adding, can_add_fields: true })).toEqual({ type_id })
      const replacing: PutExecutionTypeRequest = {
        execution_type: { name: 'test_type', version: '1', properties: { property_3: PropertyType.DOUBLE } },
        can_add_fields: true,
      }
      expect(() => store.putExecutionType(replacing)).toThrow(mlmdError(Code.AlreadyExists))
      expect(store.putExecutionType({ ...replacing, can_omit_fields: true })).toEqual({ type_id })
      expect(store.getExecutionTypes({}).execution_types).toEqual([
        {
          id: type_id,
          name: 'test_type',
          version: '1',
          properties: {
            property_1: PropertyType.STRING,
            property_2: PropertyType.INT,
            property_3: PropertyType.DOUBLE,
          },
        },
      ])
    })
  })

  describe('base_type', () => {
    it('PutArtifactTypeInsertTypeLink: inserts the link, keeps it on an equal or absent base_type', () => {
      const { type_id } = store.putArtifactType({
        artifact_type: { name: 'd', base_type: ArtifactType_SystemDefinedBaseType.DATASET },
      })
      expect(store.getArtifactType({ type_name: 'd' }).artifact_type).toEqual({
        id: type_id,
        name: 'd',
        properties: {},
        base_type: ArtifactType_SystemDefinedBaseType.DATASET,
      })
      expect(
        store.putArtifactType({
          artifact_type: { name: 'd', base_type: ArtifactType_SystemDefinedBaseType.DATASET },
        }),
      ).toEqual({ type_id })
      expect(store.putArtifactType({ artifact_type: { name: 'd' } })).toEqual({ type_id })
      expect(store.getArtifactTypesByID({ type_ids: [type_id as bigint] }).artifact_types).toEqual([
        { id: type_id, name: 'd', properties: {}, base_type: ArtifactType_SystemDefinedBaseType.DATASET },
      ])
      expect(store.getArtifactTypes({}).artifact_types).toEqual([
        { id: type_id, name: 'd', properties: {}, base_type: ArtifactType_SystemDefinedBaseType.DATASET },
      ])
    })

    it('adds a base_type to an existing type without one', () => {
      const { type_id } = store.putArtifactType({ artifact_type: { name: 'm' } })
      expect(
        store.putArtifactType({
          artifact_type: { name: 'm', base_type: ArtifactType_SystemDefinedBaseType.METRICS },
        }),
      ).toEqual({ type_id })
      expect(store.getArtifactType({ type_name: 'm' }).artifact_type?.base_type).toBe(
        ArtifactType_SystemDefinedBaseType.METRICS,
      )
    })

    it('rejects changing a base_type as UNIMPLEMENTED', () => {
      store.putArtifactType({
        artifact_type: { name: 'd', base_type: ArtifactType_SystemDefinedBaseType.DATASET },
      })
      expect(() =>
        store.putArtifactType({
          artifact_type: { name: 'd', base_type: ArtifactType_SystemDefinedBaseType.MODEL },
        }),
      ).toThrow(mlmdError(Code.Unimplemented, 'base_type update is not supported yet'))
      expect(store.getArtifactType({ type_name: 'd' }).artifact_type?.base_type).toBe(
        ArtifactType_SystemDefinedBaseType.DATASET,
      )
    })

    it('rejects base_type UNSET as UNIMPLEMENTED, on existing and new types, storing nothing', () => {
      store.putArtifactType({
        artifact_type: { name: 'd', base_type: ArtifactType_SystemDefinedBaseType.DATASET },
      })
      expect(() =>
        store.putArtifactType({
          artifact_type: { name: 'd', base_type: ArtifactType_SystemDefinedBaseType.UNSET },
        }),
      ).toThrow(mlmdError(Code.Unimplemented, 'base_type deletion is not supported yet'))
      expect(() =>
        store.putArtifactType({
          artifact_type: { name: 'new', base_type: ArtifactType_SystemDefinedBaseType.UNSET },
        }),
      ).toThrow(mlmdError(Code.Unimplemented, 'base_type deletion is not supported yet'))
      expect(() => store.getArtifactType({ type_name: 'new' })).toThrow(mlmdError(Code.NotFound))
      expect(() => store.putContextType({ context_type: { name: 'c', base_type: 0 } })).toThrow(
        mlmdError(Code.Unimplemented, 'base_type deletion is not supported yet'),
      )
      expect(store.getContextTypes({}).context_types).toEqual([])
    })

    it('PutExecutionTypeInsertTypeLink: links execution types to their base type', () => {
      const { type_id } = store.putExecutionType({
        execution_type: { name: 'train', base_type: ExecutionType_SystemDefinedBaseType.TRAIN },
      })
      expect(store.getExecutionType({ type_name: 'train' }).execution_type).toEqual({
        id: type_id,
        name: 'train',
        properties: {},
        base_type: ExecutionType_SystemDefinedBaseType.TRAIN,
      })
      expect(() =>
        store.putExecutionType({
          execution_type: { name: 'train', base_type: ExecutionType_SystemDefinedBaseType.DEPLOY },
        }),
      ).toThrow(mlmdError(Code.Unimplemented))
    })

    it('PutTypesInsertTypeLink: links the types of a putTypes request', () => {
      const response = store.putTypes({
        artifact_types: [{ name: 'a', base_type: ArtifactType_SystemDefinedBaseType.MODEL }],
        execution_types: [{ name: 'e', base_type: ExecutionType_SystemDefinedBaseType.EVALUATE }],
      })
      expect(
        store.getArtifactTypesByID({ type_ids: response.artifact_type_ids ?? [] }).artifact_types,
      ).toEqual([
        {
          id: response.artifact_type_ids?.[0],
          name: 'a',
          properties: {},
          base_type: ArtifactType_SystemDefinedBaseType.MODEL,
        },
      ])
      expect(
        store.getExecutionTypesByID({ type_ids: response.execution_type_ids ?? [] }).execution_types,
      ).toEqual([
        {
          id: response.execution_type_ids?.[0],
          name: 'e',
          properties: {},
          base_type: ExecutionType_SystemDefinedBaseType.EVALUATE,
        },
      ])
    })
  })

  describe('input_type / output_type', () => {
    it('round-trips the structural types of an execution type through every read', () => {
      const type: ExecutionType = {
        name: 'trainer',
        input_type: {
          dict: {
            properties: {
              examples: { simple: { name: 'Examples', properties: { span: PropertyType.INT } } },
              schema: { union_type: { candidates: [{ none: {} }, { simple: { name: 'Schema' } }] } },
            },
            extra_properties_type: { any: {} },
          },
        },
        output_type: {
          tuple: { elements: [{ list: { element: { simple: { name: 'Model' } } } }, { intersection: {} }] },
        },
      }
      const { type_id } = store.putExecutionType({ execution_type: type })
      // Reads fill every map and repeated field, nested ones included.
      const want: ExecutionType = {
        id: type_id,
        name: 'trainer',
        properties: {},
        input_type: {
          dict: {
            properties: {
              examples: { simple: { name: 'Examples', properties: { span: PropertyType.INT } } },
              schema: {
                union_type: { candidates: [{ none: {} }, { simple: { name: 'Schema', properties: {} } }] },
              },
            },
            extra_properties_type: { any: {} },
          },
        },
        output_type: {
          tuple: {
            elements: [
              { list: { element: { simple: { name: 'Model', properties: {} } } } },
              { intersection: { constraints: [] } },
            ],
          },
        },
      }
      expect(store.getExecutionType({ type_name: 'trainer' }).execution_type).toEqual(want)
      expect(store.getExecutionTypesByID({ type_ids: [type_id as bigint] }).execution_types).toEqual([want])
      expect(store.getExecutionTypes({}).execution_types).toEqual([want])
    })

    it('leaves both unset when the request has none', () => {
      store.putExecutionType({ execution_type: { name: 'plain' } })
      const type = store.getExecutionType({ type_name: 'plain' }).execution_type
      expect(type).not.toHaveProperty('input_type')
      expect(type).not.toHaveProperty('output_type')
    })
  })

  describe('external_id', () => {
    it.each(KINDS)('sets, updates and never clears the external_id of a $kind type', (k) => {
      const { type_id } = k.put({ name: 't', external_id: 'x1' })
      expect(k.get('t')).toEqual({ id: type_id, name: 't', external_id: 'x1', properties: {} })
      expect(k.put({ name: 't', external_id: 'x2' })).toEqual({ type_id })
      expect(k.get('t')?.external_id).toBe('x2')
      expect(k.put({ name: 't' })).toEqual({ type_id })
      expect(k.get('t')?.external_id).toBe('x2')
      // Ours returns external_id from every read (MLMD's GetXTypes leaves it out).
      expect(k.all()).toEqual([{ id: type_id, name: 't', external_id: 'x2', properties: {} }])
      expect(k.byId([type_id as bigint])).toEqual([
        { id: type_id, name: 't', external_id: 'x2', properties: {} },
      ])
    })

    it.each(KINDS)('stores an empty external_id of a $kind type as set', (k) => {
      const { type_id } = k.put({ name: 't', external_id: '' })
      expect(k.get('t')).toEqual({ id: type_id, name: 't', external_id: '', properties: {} })
      expect(() => k.put({ name: 'other', external_id: '' })).toThrow(mlmdError(Code.AlreadyExists))
    })

    it.each(KINDS)('rejects a new $kind type with a taken external_id as ALREADY_EXISTS', (k) => {
      const type_id = k.put({ name: 'a', external_id: 'x' }).type_id as bigint
      expect(() => k.put({ name: 'b', external_id: 'x', properties: { p: PropertyType.INT } })).toThrow(
        mlmdError(Code.AlreadyExists, `Type with external_id x already exists: type ${type_id}`),
      )
      expect(() => k.get('b')).toThrow(mlmdError(Code.NotFound))
      // Nothing of the refused type stays, not even its id: the next type takes the next one.
      expect(k.put({ name: 'c', properties: { p: PropertyType.INT } })).toEqual({ type_id: type_id + 1n })
      expect(k.get('c')).toEqual({ id: type_id + 1n, name: 'c', properties: { p: PropertyType.INT } })
    })

    it.each(KINDS)("rejects moving a $kind type's external_id onto a taken one as ALREADY_EXISTS", (k) => {
      // MLMD returns INTERNAL here (the raw UNIQUE failure of its UPDATE).
      k.put({ name: 'a', external_id: 'x' })
      k.put({ name: 'b', external_id: 'y' })
      expect(() => k.put({ name: 'b', external_id: 'x' })).toThrow(mlmdError(Code.AlreadyExists))
      expect(k.get('b')?.external_id).toBe('y')
    })

    it('rejects an external_id taken by a type of another kind as ALREADY_EXISTS', () => {
      // Type.external_id is unique across kinds; MLMD returns INTERNAL (raw UNIQUE failure).
      store.putArtifactType({ artifact_type: { name: 'a', external_id: 'x' } })
      expect(() => store.putExecutionType({ execution_type: { name: 'e', external_id: 'x' } })).toThrow(
        mlmdError(Code.AlreadyExists),
      )
      expect(() => store.putContextType({ context_type: { name: 'c', external_id: 'x' } })).toThrow(
        mlmdError(Code.AlreadyExists),
      )
    })
  })

  describe('getArtifactType / getExecutionType / getContextType', () => {
    it.each(KINDS)('GetArtifactTypeMissing: a missing $kind type is NOT_FOUND', (k) => {
      expect(() => k.get('nope')).toThrow(
        mlmdError(Code.NotFound, 'No type found for query, name: `nope`, version: `nullopt`'),
      )
    })

    it('does not find a type of another kind with that name', () => {
      store.putArtifactType({ artifact_type: { name: 'shared' } })
      expect(() => store.getExecutionType({ type_name: 'shared' })).toThrow(mlmdError(Code.NotFound))
      expect(() => store.getContextType({ type_name: 'shared' })).toThrow(mlmdError(Code.NotFound))
    })

    it('finds the mlmd.* simple types by name', () => {
      expect(store.getArtifactType({ type_name: 'mlmd.Dataset' }).artifact_type).toEqual({
        id: 1n,
        name: 'mlmd.Dataset',
        properties: {},
      })
      expect(store.getExecutionType({ type_name: 'mlmd.Deploy' }).execution_type).toEqual({
        id: 9n,
        name: 'mlmd.Deploy',
        properties: {},
      })
    })
  })

  describe('getArtifactTypesByID / getExecutionTypesByID / getContextTypesByID', () => {
    it.each(KINDS)(
      'returns $kind types in request order, skipping unknown ids and repeating duplicates',
      (k) => {
        const a = k.put({ name: 'a' }).type_id as bigint
        const b = k.put({ name: 'b', properties: { p: PropertyType.BOOLEAN } }).type_id as bigint
        expect(k.byId([b, 999n, a, b])).toEqual([
          { id: b, name: 'b', properties: { p: PropertyType.BOOLEAN } },
          { id: a, name: 'a', properties: {} },
          { id: b, name: 'b', properties: { p: PropertyType.BOOLEAN } },
        ])
      },
    )

    it.each(KINDS)('GetArtifactTypesByIDMissing: unknown ids give an empty list of $kind types', (k) => {
      expect(k.byId([12n])).toEqual([])
      expect(k.byId([])).toEqual([])
    })

    it('skips ids of types of another kind', () => {
      const artifactTypeId = store.putArtifactType({ artifact_type: { name: 'a' } }).type_id as bigint
      const executionTypeId = store.putExecutionType({ execution_type: { name: 'e' } }).type_id as bigint
      expect(
        store.getExecutionTypesByID({ type_ids: [artifactTypeId, executionTypeId] }).execution_types,
      ).toEqual([{ id: executionTypeId, name: 'e', properties: {} }])
      expect(
        store.getContextTypesByID({ type_ids: [artifactTypeId, executionTypeId] }).context_types,
      ).toEqual([])
    })

    it('returns the mlmd.* simple types by id', () => {
      expect(store.getArtifactTypesByID({ type_ids: [1n, 5n] }).artifact_types).toEqual([
        { id: 1n, name: 'mlmd.Dataset', properties: {} },
      ])
    })

    it('PutArtifactTypeGetArtifactTypesByIDTwo: returns two types', () => {
      const one = store.putArtifactType({
        artifact_type: { name: 'test_type1', properties: { property_1: PropertyType.STRING } },
      }).type_id as bigint
      const two = store.putArtifactType({
        artifact_type: { name: 'test_type2', properties: { property_2: PropertyType.STRING } },
      }).type_id as bigint
      expect(store.getArtifactTypesByID({ type_ids: [one, two] }).artifact_types).toEqual([
        { id: one, name: 'test_type1', properties: { property_1: PropertyType.STRING } },
        { id: two, name: 'test_type2', properties: { property_2: PropertyType.STRING } },
      ])
    })
  })

  describe('getArtifactTypes / getExecutionTypes / getContextTypes', () => {
    it('GetArtifactTypesWhenNoneExist: a fresh store lists no types (the mlmd.* simple types are hidden)', () => {
      expect(store.getArtifactTypes({})).toEqual({ artifact_types: [] })
      expect(store.getExecutionTypes({})).toEqual({ execution_types: [] })
      expect(store.getContextTypes({})).toEqual({ context_types: [] })
    })

    it.each(KINDS)('PutArtifactTypesGetArtifactTypes: lists user $kind types by ascending id', (k) => {
      const one = k.put({ name: 'test_type_1', properties: { property_1: PropertyType.STRING } }).type_id
      const two = k.put({ name: 'test_type_2', properties: { property_2: PropertyType.INT } }).type_id
      expect(k.all()).toEqual([
        { id: one, name: 'test_type_1', properties: { property_1: PropertyType.STRING } },
        { id: two, name: 'test_type_2', properties: { property_2: PropertyType.INT } },
      ])
    })

    it('hides every type named like a simple type, whatever its version', () => {
      // MLMD filters the simple types out by name only.
      const { type_id } = store.putArtifactType({ artifact_type: { name: 'mlmd.Dataset', version: 'mine' } })
      expect(store.getArtifactTypes({}).artifact_types).toEqual([])
      expect(
        store.getArtifactType({ type_name: 'mlmd.Dataset', type_version: 'mine' }).artifact_type?.id,
      ).toBe(type_id)
    })

    it('lists each kind only under its own read', () => {
      store.putArtifactType({ artifact_type: { name: 'a' } })
      expect(store.getExecutionTypes({}).execution_types).toEqual([])
      expect(store.getContextTypes({}).context_types).toEqual([])
    })
  })

  describe('getArtifactTypesByExternalIds / getExecutionTypesByExternalIds / getContextTypesByExternalIds', () => {
    it.each(KINDS)('PutArtifactTypesGetArtifactTypesByExternalIds: finds $kind types by external id', (k) => {
      const one = k.put({ name: 'one', external_id: 'e1' }).type_id
      const two = k.put({ name: 'two', external_id: 'e2', properties: { p: PropertyType.INT } }).type_id
      k.put({ name: 'three' })
      expect(k.byExternalIds(['e2', 'e1'])).toEqual([
        { id: one, name: 'one', external_id: 'e1', properties: {} },
        { id: two, name: 'two', external_id: 'e2', properties: { p: PropertyType.INT } },
      ])
    })

    it.each(KINDS)('returns the $kind types found when only some external ids exist', (k) => {
      const two = k.put({ name: 'two', external_id: 'e2' }).type_id
      expect(k.byExternalIds(['missing', 'e2', 'e2'])).toEqual([
        { id: two, name: 'two', external_id: 'e2', properties: {} },
      ])
    })

    it.each(KINDS)('returns no $kind types for an empty request', (k) => {
      expect(k.byExternalIds([])).toEqual([])
    })

    it.each(KINDS)('rejects an empty external id when listing $kind types as INVALID_ARGUMENT', (k) => {
      k.put({ name: 'two', external_id: 'e2' })
      expect(() => k.byExternalIds(['e2', ''])).toThrow(mlmdError(Code.InvalidArgument))
    })

    it.each(KINDS)('is NOT_FOUND when no $kind type has any of the external ids', (k) => {
      k.put({ name: 'two', external_id: 'e2' })
      expect(() => k.byExternalIds(['missing'])).toThrow(
        mlmdError(Code.NotFound, 'No types found for external_ids.'),
      )
    })

    it('does not find types of another kind', () => {
      store.putArtifactType({ artifact_type: { name: 'a', external_id: 'x' } })
      expect(() => store.getExecutionTypesByExternalIds({ external_ids: ['x'] })).toThrow(
        mlmdError(Code.NotFound),
      )
      expect(() => store.getContextTypesByExternalIds({ external_ids: ['x'] })).toThrow(
        mlmdError(Code.NotFound),
      )
    })
  })

  describe('putTypes', () => {
    it('PutTypesGetTypes: returns index-aligned ids, repeated identical entries getting the same id', () => {
      const request: PutTypesRequest = {
        artifact_types: [
          { name: 'test_type1', properties: { property_1: PropertyType.STRING } },
          { name: 'test_type1', properties: { property_1: PropertyType.STRING } },
        ],
        execution_types: [
          { name: 'test_type1', properties: { property_1: PropertyType.STRING } },
          { name: 'test_type2', properties: { property_1: PropertyType.DOUBLE } },
        ],
        context_types: [{ name: 'test_type1', properties: { property_1: PropertyType.INT } }],
      }
      const response = store.putTypes(request)
      expect(response).toEqual({
        artifact_type_ids: [10n, 10n],
        execution_type_ids: [11n, 12n],
        context_type_ids: [13n],
      })
      expect(store.getArtifactType({ type_name: 'test_type1' }).artifact_type?.id).toBe(10n)
      expect(store.getExecutionType({ type_name: 'test_type2' }).execution_type?.id).toBe(12n)
      expect(store.getContextType({ type_name: 'test_type1' }).context_type?.id).toBe(13n)
      // The same request again is a no-op with the same ids.
      expect(store.putTypes(request)).toEqual(response)
    })

    it.each(KINDS)('gives repeated identical $kind entries of one request the same id', (k) => {
      const ids = k.putTypes({ name: 'same', properties: { p: PropertyType.PROTO } })
      expect(ids).toHaveLength(2)
      expect(ids?.[0]).toBe(ids?.[1])
    })

    it('returns empty id lists for an empty request', () => {
      expect(store.putTypes({})).toEqual({
        artifact_type_ids: [],
        execution_type_ids: [],
        context_type_ids: [],
      })
    })

    it('PutTypesUpdateTypes: adds properties to the types of every kind with can_add_fields', () => {
      const first = store.putTypes({
        artifact_types: [{ name: 'artifact_type', properties: { property_1: PropertyType.STRING } }],
        execution_types: [{ name: 'execution_type', properties: { property_1: PropertyType.STRING } }],
        context_types: [{ name: 'context_type', properties: { property_1: PropertyType.STRING } }],
      })
      const evolved = { property_1: PropertyType.STRING, property_2: PropertyType.STRING }
      const second = store.putTypes({
        artifact_types: [{ name: 'artifact_type', properties: evolved }],
        execution_types: [{ name: 'execution_type', properties: evolved }],
        context_types: [{ name: 'context_type', properties: evolved }],
        can_add_fields: true,
      })
      expect(second).toEqual(first)
      expect(store.getArtifactType({ type_name: 'artifact_type' }).artifact_type?.properties).toEqual(evolved)
      expect(store.getExecutionType({ type_name: 'execution_type' }).execution_type?.properties).toEqual(
        evolved,
      )
      expect(store.getContextType({ type_name: 'context_type' }).context_type?.properties).toEqual(evolved)
    })

    it('PutTypesUpdateTypesAlreadyExistsError: a changed property type fails the request', () => {
      store.putTypes({
        artifact_types: [{ name: 'artifact_type', properties: { property_1: PropertyType.STRING } }],
      })
      expect(() =>
        store.putTypes({
          artifact_types: [{ name: 'artifact_type', properties: { property_1: PropertyType.INT } }],
          can_add_fields: true,
        }),
      ).toThrow(mlmdError(Code.AlreadyExists))
    })

    it('stores nothing when a later entry fails', () => {
      store.putContextType({ context_type: { name: 'taken' } })
      const request: PutTypesRequest = {
        artifact_types: [{ name: 'new_artifact_type' }],
        execution_types: [{ name: 'new_execution_type', properties: { p: PropertyType.INT } }],
        context_types: [{ name: 'new_context_type' }, { name: 'taken', properties: { p: PropertyType.INT } }],
      }
      expect(() => store.putTypes(request)).toThrow(mlmdError(Code.AlreadyExists, 'can_add_fields is false'))
      expect(store.getArtifactTypes({}).artifact_types).toEqual([])
      expect(store.getExecutionTypes({}).execution_types).toEqual([])
      expect(store.getContextTypes({}).context_types).toEqual([{ id: 10n, name: 'taken', properties: {} }])
    })

    it('stores nothing when an entry of the same kind later in the list is invalid', () => {
      store.putArtifactType({ artifact_type: { name: 'a', properties: { p: PropertyType.INT } } })
      expect(() =>
        store.putTypes({
          artifact_types: [
            { name: 'n1' },
            { name: 'a', properties: { p: PropertyType.INT, q: PropertyType.INT } },
            { name: 'a', properties: { p: PropertyType.STRING } },
          ],
          can_add_fields: true,
        }),
      ).toThrow(mlmdError(Code.AlreadyExists))
      expect(store.getArtifactTypes({}).artifact_types).toEqual([
        { id: 10n, name: 'a', properties: { p: PropertyType.INT } },
      ])
    })

    it('rejects all_fields_match=false as UNIMPLEMENTED', () => {
      expect(() => store.putTypes({ all_fields_match: false })).toThrow(mlmdError(Code.Unimplemented))
      expect(() => store.putTypes({ artifact_types: [{ name: 'x' }], all_fields_match: false })).toThrow(
        mlmdError(Code.Unimplemented, 'Must match all fields.'),
      )
      expect(store.getArtifactTypes({}).artifact_types).toEqual([])
    })

    it('rejects an entry without a name as INVALID_ARGUMENT, storing nothing', () => {
      expect(() => store.putTypes({ artifact_types: [{ name: 'ok' }], context_types: [{}] })).toThrow(
        mlmdError(Code.InvalidArgument),
      )
      expect(store.getArtifactTypes({}).artifact_types).toEqual([])
    })
  })
})

// Types are memoised across transactions (type-access.ts); a memoised type must never outlive
// a change, whoever made it.
describe('types read by later operations', () => {
  const file = () => path.join(dir, 'types.sqlite')
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-type-memo-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('sees a property another connection added to a type it has already used', () => {
    const first = createMetadataStore({ filename: file() })
    const second = createMetadataStore({ filename: file() })
    try {
      const type_id = first.putArtifactType({
        artifact_type: { name: 'T', properties: { a: PropertyType.INT } },
      }).type_id as bigint
      expect(() =>
        first.putArtifacts({ artifacts: [{ type_id, properties: { b: { int_value: 2n } } }] }),
      ).toThrow(mlmdError(Code.InvalidArgument, 'Found unknown property: b'))
      // A successful write, so that the type is memoised when the other connection changes it.
      first.putArtifacts({ artifacts: [{ type_id, properties: { a: { int_value: 1n } } }] })
      second.putArtifactType({
        artifact_type: { name: 'T', properties: { a: PropertyType.INT, b: PropertyType.INT } },
        can_add_fields: true,
      })
      expect(
        first.putArtifacts({ artifacts: [{ type_id, properties: { b: { int_value: 2n } } }] }).artifact_ids,
      ).toHaveLength(1)
      expect(first.getArtifactType({ type_name: 'T' }).artifact_type?.properties).toEqual({
        a: PropertyType.INT,
        b: PropertyType.INT,
      })
    } finally {
      first.close()
      second.close()
    }
  })

  it('forgets a type written by a request that failed', () => {
    const only = createMetadataStore({ filename: file() })
    try {
      // The second entry reads the type the first one wrote, then fails.
      expect(() =>
        only.putTypes({
          artifact_types: [{ name: 'Kept?' }, { name: 'Kept?', properties: { p: PropertyType.INT } }],
        }),
      ).toThrow(mlmdError(Code.AlreadyExists))
      expect(() => only.getArtifactType({ type_name: 'Kept?' })).toThrow(mlmdError(Code.NotFound))
      expect(only.getArtifactTypes({}).artifact_types).toEqual([])
    } finally {
      only.close()
    }
  })

  it('sees its own new properties at once', () => {
    const only = createMetadataStore({ filename: file() })
    try {
      const type_id = only.putArtifactType({ artifact_type: { name: 'T' } }).type_id as bigint
      expect(only.getArtifactTypes({}).artifact_types).toHaveLength(1)
      only.putArtifactType({
        artifact_type: { name: 'T', properties: { p: PropertyType.STRING } },
        can_add_fields: true,
      })
      expect(only.getArtifactTypesByID({ type_ids: [type_id] }).artifact_types?.[0]?.properties).toEqual({
        p: PropertyType.STRING,
      })
      expect(only.getArtifactTypes({}).artifact_types?.[0]?.properties).toEqual({ p: PropertyType.STRING })
      only.putArtifacts({ artifacts: [{ type_id, properties: { p: { string_value: 'x' } } }] })
    } finally {
      only.close()
    }
  })
})
