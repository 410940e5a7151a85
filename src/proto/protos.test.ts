// Guards the MLMD 1.16.0 wire contract carried by protos/ml_metadata/proto/*.proto.
import type protobuf from 'protobufjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadMlmdRoot } from './load-root.js'

async function loadRoot(): Promise<protobuf.Root> {
  return loadMlmdRoot()
}

const RPC_NAMES = [
  'GetArtifactByTypeAndName',
  'GetArtifactType',
  'GetArtifactTypes',
  'GetArtifactTypesByExternalIds',
  'GetArtifactTypesByID',
  'GetArtifacts',
  'GetArtifactsByContext',
  'GetArtifactsByExternalIds',
  'GetArtifactsByID',
  'GetArtifactsByType',
  'GetArtifactsByURI',
  'GetChildrenContextsByContext',
  'GetChildrenContextsByContexts',
  'GetContextByTypeAndName',
  'GetContextType',
  'GetContextTypes',
  'GetContextTypesByExternalIds',
  'GetContextTypesByID',
  'GetContexts',
  'GetContextsByArtifact',
  'GetContextsByExecution',
  'GetContextsByExternalIds',
  'GetContextsByID',
  'GetContextsByType',
  'GetEventsByArtifactIDs',
  'GetEventsByExecutionIDs',
  'GetExecutionByTypeAndName',
  'GetExecutionType',
  'GetExecutionTypes',
  'GetExecutionTypesByExternalIds',
  'GetExecutionTypesByID',
  'GetExecutions',
  'GetExecutionsByContext',
  'GetExecutionsByExternalIds',
  'GetExecutionsByID',
  'GetExecutionsByType',
  'GetLineageGraph',
  'GetLineageSubgraph',
  'GetParentContextsByContext',
  'GetParentContextsByContexts',
  'PutArtifactType',
  'PutArtifacts',
  'PutAttributionsAndAssociations',
  'PutContextType',
  'PutContexts',
  'PutEvents',
  'PutExecution',
  'PutExecutionType',
  'PutExecutions',
  'PutLineageSubgraph',
  'PutParentContexts',
  'PutTypes',
]

describe('MLMD protos', () => {
  let root: protobuf.Root
  beforeAll(async () => {
    root = await loadRoot()
  })
  const field = (type: string, name: string) => {
    const f = root.lookupType(`ml_metadata.${type}`).fields[name]
    if (!f) throw new Error(`no field ${type}.${name}`)
    return f
  }

  it('exposes the 52 unary RPCs of ml_metadata.MetadataStoreService', () => {
    const svc = root.lookupService('ml_metadata.MetadataStoreService')
    const names = Object.keys(svc.methods).sort()
    expect(RPC_NAMES).toHaveLength(52)
    expect(names).toEqual(RPC_NAMES)
    for (const name of names) {
      const m = svc.methods[name]
      expect(m?.requestType).toBe(`${name}Request`)
      expect(m?.responseType).toBe(`${name}Response`)
      expect(m?.requestStream ?? false).toBe(false)
      expect(m?.responseStream ?? false).toBe(false)
    }
  })

  it('keeps proto2 defaults, packed flags and reserved ranges', () => {
    const maxResult = field('ListOperationOptions', 'max_result_size')
    expect([maxResult.id, maxResult.type, maxResult.options?.default]).toEqual([1, 'int32', 20])
    expect(field('ListOperationOptions.OrderByField', 'field').options?.default).toBe('ID')
    expect(field('ListOperationOptions.OrderByField', 'is_asc').options?.default).toBe(true)
    expect(field('MigrationOptions', 'downgrade_to_schema_version').options?.default).toBe(-1)
    const allMatch = field('PutArtifactTypeRequest', 'all_fields_match')
    expect([allMatch.id, allMatch.options?.default, allMatch.options?.deprecated]).toEqual([4, true, true])

    for (const [type, name] of [
      ['PutLineageSubgraphResponse', 'execution_ids'],
      ['PutLineageSubgraphResponse', 'artifact_ids'],
      ['PutLineageSubgraphResponse', 'context_ids'],
      ['GetParentContextsByContextsRequest', 'context_ids'],
    ] as const) {
      expect(field(type, name).packed).toBe(true)
    }
    // proto2 repeated scalars are unpacked unless marked.
    expect(field('PutArtifactsResponse', 'artifact_ids').packed).toBe(false)
    const Resp = root.lookupType('ml_metadata.PutLineageSubgraphResponse')
    expect(Buffer.from(Resp.encode({ execution_ids: [1, 2] }).finish()).toString('hex')).toBe('0a020102')

    expect(root.lookupType('ml_metadata.GetArtifactsByURIRequest').reserved).toEqual([[1, 1]])
    expect(field('GetArtifactsByURIRequest', 'uris').id).toBe(2)
    expect(root.lookupType('ml_metadata.TransactionOptions').extensions).toEqual([[1000, 536870911]])
  })

  it('keeps enums, oneofs and the system_type_extension option', () => {
    expect(root.lookupEnum('ml_metadata.Artifact.State').values).toEqual({
      UNKNOWN: 0,
      PENDING: 1,
      LIVE: 2,
      MARKED_FOR_DELETION: 3,
      DELETED: 4,
      ABANDONED: 5,
      REFERENCE: 6,
    })
    const value = root.lookupType('ml_metadata.Value')
    const oneof = value.oneofs.value?.fieldsArray.map((f) => [f.name, f.id])
    expect(oneof).toEqual([
      ['int_value', 1],
      ['double_value', 2],
      ['string_value', 3],
      ['struct_value', 4],
      ['proto_value', 5],
      ['bool_value', 6],
    ])
    const ext = root.lookup('ml_metadata.system_type_extension') as protobuf.Field
    expect([ext.id, ext.extend]).toEqual([384560917, 'google.protobuf.EnumValueOptions'])
    const base = root.lookupEnum('ml_metadata.ArtifactType.SystemDefinedBaseType')
    expect(base.valuesOptions?.MODEL).toEqual({ '(system_type_extension).type_name': 'mlmd.Model' })
    // Page token example from the contract doc (§5): ID paging, page size 2, last id 5.
    const Token = root.lookupType('ml_metadata.ListOperationNextPageToken')
    const token = Token.encode({
      id_offset: 5,
      field_offset: 5,
      set_options: { max_result_size: 2 },
    }).finish()
    expect(Buffer.from(token).toString('base64url')).toBe('CAUQBRoCCAI')
  })
})
