import { createRequire } from 'node:module'
import { Client, credentials, Metadata, makeGenericClientConstructor } from '@grpc/grpc-js'
import { service as healthService } from 'grpc-health-check'
import protobuf from 'protobufjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import { createGrpcServer, type GrpcServer } from './grpc-server.js'
import { healthFileDescriptors, mapEntryName, mlmdFileDescriptors } from './reflection.js'

const require = createRequire(import.meta.url)
const descriptor = require('protobufjs/ext/descriptor') as {
  FileDescriptorProto: protobuf.Type
  FileDescriptorSet: protobuf.Type
}

// The reflection protocol's messages, written out for the test client.
const reflectionRoot = protobuf.Root.fromJSON({
  nested: {
    ServerReflectionRequest: {
      fields: {
        host: { type: 'string', id: 1 },
        file_by_filename: { type: 'string', id: 3 },
        file_containing_symbol: { type: 'string', id: 4 },
        file_containing_extension: { type: 'ExtensionRequest', id: 5 },
        all_extension_numbers_of_type: { type: 'string', id: 6 },
        list_services: { type: 'string', id: 7 },
      },
    },
    ExtensionRequest: {
      fields: { containing_type: { type: 'string', id: 1 }, extension_number: { type: 'int32', id: 2 } },
    },
    ExtensionNumberResponse: {
      fields: {
        base_type_name: { type: 'string', id: 1 },
        extension_number: { rule: 'repeated', type: 'int32', id: 2 },
      },
    },
    ServerReflectionResponse: {
      fields: {
        file_descriptor_response: { type: 'FileDescriptorResponse', id: 4 },
        all_extension_numbers_response: { type: 'ExtensionNumberResponse', id: 5 },
        list_services_response: { type: 'ListServiceResponse', id: 6 },
        error_response: { type: 'ErrorResponse', id: 7 },
      },
    },
    FileDescriptorResponse: { fields: { file_descriptor_proto: { rule: 'repeated', type: 'bytes', id: 1 } } },
    ListServiceResponse: { fields: { service: { rule: 'repeated', type: 'ServiceResponse', id: 1 } } },
    ServiceResponse: { fields: { name: { type: 'string', id: 1 } } },
    ErrorResponse: {
      fields: { error_code: { type: 'int32', id: 1 }, error_message: { type: 'string', id: 2 } },
    },
  },
})
const Request = reflectionRoot.lookupType('ServerReflectionRequest')
const Response = reflectionRoot.lookupType('ServerReflectionResponse')

interface ReflectionAnswer {
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] }
  all_extension_numbers_response?: { base_type_name: string; extension_number: number[] }
  list_services_response?: { service: { name: string }[] }
  error_response?: { error_code: number; error_message: string }
}

function ask(
  address: string,
  version: 'v1' | 'v1alpha',
  request: Record<string, unknown>,
): Promise<ReflectionAnswer> {
  const client = new Client(address, credentials.createInsecure())
  return new Promise<ReflectionAnswer>((resolve, reject) => {
    const stream = client.makeBidiStreamRequest(
      `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      (value: Record<string, unknown>) => Buffer.from(Request.encode(Request.fromObject(value)).finish()),
      (bytes: Buffer) => Response.toObject(Response.decode(bytes), { arrays: true }) as ReflectionAnswer,
      new Metadata(),
      {},
    )
    stream.on('data', (answer: ReflectionAnswer) => {
      resolve(answer)
      stream.end()
    })
    stream.on('error', reject)
    stream.write(request)
  }).finally(() => client.close())
}

function missingImports(files: Map<string, Uint8Array>): string[] {
  const wanted = [...files.values()].flatMap(
    (bytes) =>
      (descriptor.FileDescriptorProto.decode(bytes) as unknown as { dependency: string[] }).dependency,
  )
  return [...new Set(wanted)].filter((name) => !files.has(name))
}

function decodeFiles(files: Uint8Array[]): protobuf.Root {
  const set = descriptor.FileDescriptorSet.fromObject({
    file: files.map((f) => descriptor.FileDescriptorProto.decode(f)),
  })
  return (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor(set)
}

describe('reflection', () => {
  describe('descriptors', () => {
    it('names map entries as protoc does', () => {
      expect(mapEntryName('custom_properties')).toBe('CustomPropertiesEntry')
      expect(mapEntryName('contexts')).toBe('ContextsEntry')
    })

    it('describes the MLMD files with their protoc names, imports and proto2 details', () => {
      const files = mlmdFileDescriptors().map(
        (bytes) =>
          descriptor.FileDescriptorProto.decode(bytes) as unknown as { name: string; dependency: string[] },
      )
      const byName = Object.fromEntries(files.map((f) => [f.name, f]))
      expect(Object.keys(byName).sort()).toEqual([
        'google/protobuf/any.proto',
        'google/protobuf/descriptor.proto',
        'google/protobuf/field_mask.proto',
        'google/protobuf/struct.proto',
        'ml_metadata/proto/metadata_store.proto',
        'ml_metadata/proto/metadata_store_service.proto',
      ])
      expect(byName['ml_metadata/proto/metadata_store_service.proto']?.dependency.sort()).toEqual([
        'google/protobuf/field_mask.proto',
        'ml_metadata/proto/metadata_store.proto',
      ])
      // Every file comes after the files it imports.
      const seen = new Set<string>()
      for (const file of files) {
        for (const dependency of file.dependency) expect(seen.has(dependency)).toBe(true)
        seen.add(file.name)
      }
      const root = decodeFiles(mlmdFileDescriptors())
      const options = root.lookupType('ml_metadata.ListOperationOptions')
      expect(options.fields.max_result_size?.options?.default).toBe(20)
      expect(root.lookupType('ml_metadata.PutLineageSubgraphResponse').fields.execution_ids?.packed).toBe(
        true,
      )
      expect(root.lookupType('ml_metadata.PutArtifactsResponse').fields.artifact_ids?.packed).toBe(false)
      // Descriptor ranges end exclusively (`reserved 1;` is [1, 2)).
      const service = descriptor.FileDescriptorProto.decode(
        mlmdFileDescriptors().find((b) => b.includes('metadata_store_service.proto')) as Buffer,
      ) as unknown as { messageType: { name: string; reservedRange: { start: number; end: number }[] }[] }
      const byUri = service.messageType.find((t) => t.name === 'GetArtifactsByURIRequest')
      expect(byUri?.reservedRange.map((r) => [r.start, r.end])).toEqual([[1, 2]])
    })

    it('describes the health service', () => {
      const root = decodeFiles(healthFileDescriptors())
      expect(Object.keys(root.lookupService('grpc.health.v1.Health').methods)).toContain('Check')
    })
  })

  describe('on a running server', () => {
    let store: OwnedMetadataStore
    let server: GrpcServer

    beforeAll(async () => {
      store = createMetadataStore({ filename: ':memory:' })
      server = await createGrpcServer({ store, port: 0 })
    })
    afterAll(async () => {
      await server?.shutdown()
      store?.close()
    })

    it.each(['v1', 'v1alpha'] as const)(
      'lists the MLMD, health and reflection services (%s)',
      async (version) => {
        const answer = await ask(server.address, version, { list_services: '*' })
        const names = answer.list_services_response?.service.map((s) => s.name)
        expect(names?.sort()).toEqual([
          'grpc.health.v1.Health',
          'grpc.reflection.v1.ServerReflection',
          'grpc.reflection.v1alpha.ServerReflection',
          'ml_metadata.MetadataStoreService',
        ])
        const own = await ask(server.address, version, {
          file_containing_symbol: `grpc.reflection.${version}.ServerReflection`,
        })
        const root = decodeFiles(own.file_descriptor_response?.file_descriptor_proto ?? [])
        expect(
          Object.keys(root.lookupService(`grpc.reflection.${version}.ServerReflection`).methods),
        ).toEqual(['ServerReflectionInfo'])
      },
    )

    it('carries the system_type_extension options of the enum values, as protoc writes them', async () => {
      const answer = await ask(server.address, 'v1', { file_containing_symbol: 'ml_metadata.ArtifactType' })
      const bytes = answer.file_descriptor_response?.file_descriptor_proto.find((b) =>
        Buffer.from(b).includes('ml_metadata/proto/metadata_store.proto'),
      )
      expect(bytes).toBeDefined()
      // Read the file with a decoder of our own that knows only the fields on the way to the
      // option, and the option by its extension number: what any protobuf library sees on the wire.
      const fileType = protobuf.Root.fromJSON({
        nested: {
          File: { fields: { message_type: { rule: 'repeated', type: 'Message', id: 4 } } },
          Message: {
            fields: { name: { type: 'string', id: 1 }, enum_type: { rule: 'repeated', type: 'Enum', id: 4 } },
          },
          Enum: { fields: { value: { rule: 'repeated', type: 'EnumValue', id: 2 } } },
          EnumValue: { fields: { name: { type: 'string', id: 1 }, options: { type: 'Options', id: 3 } } },
          Options: { fields: { ext: { type: 'SystemTypeExtension', id: 384560917 } } },
          SystemTypeExtension: { fields: { type_name: { type: 'string', id: 1 } } },
        },
      }).lookupType('File')
      const file = fileType.toObject(fileType.decode(bytes as Uint8Array), { arrays: true }) as {
        message_type: {
          name: string
          enum_type: { value: { name: string; options?: { ext?: { type_name: string } } }[] }[]
        }[]
      }
      const names: Record<string, string> = {}
      for (const message of file.message_type) {
        for (const enumType of message.enum_type) {
          for (const value of enumType.value) {
            const typeName = value.options?.ext?.type_name
            if (typeName !== undefined) names[`${message.name}.${value.name}`] = typeName
          }
        }
      }
      expect(Object.keys(names)).toHaveLength(12)
      expect(names['ArtifactType.DATASET']).toBe('mlmd.Dataset')
      expect(names['ArtifactType.UNSET']).toBe('unset_artifact_type')
      expect(names['ExecutionType.TRAIN']).toBe('mlmd.Train')
    })

    it.each(['v1', 'v1alpha'] as const)(
      'answers extension lookups for EnumValueOptions (%s)',
      async (version) => {
        const byNumber = await ask(server.address, version, {
          file_containing_extension: {
            containing_type: 'google.protobuf.EnumValueOptions',
            extension_number: 384560917,
          },
        })
        expect(byNumber.error_response).toBeUndefined()
        const files = (byNumber.file_descriptor_response?.file_descriptor_proto ?? []).map(
          (b) => (descriptor.FileDescriptorProto.decode(b) as unknown as { name: string }).name,
        )
        expect(files[0]).toBe('ml_metadata/proto/metadata_store.proto')
        const numbers = await ask(server.address, version, {
          all_extension_numbers_of_type: 'google.protobuf.EnumValueOptions',
        })
        expect(numbers.all_extension_numbers_response).toEqual({
          base_type_name: 'google.protobuf.EnumValueOptions',
          extension_number: [384560917],
        })
      },
    )

    it('returns the files that define the MLMD service, and each file they import by name', async () => {
      const answer = await ask(server.address, 'v1', {
        file_containing_symbol: 'ml_metadata.MetadataStoreService',
      })
      const files = new Map<string, Uint8Array>()
      const add = (protos: Uint8Array[] = []) => {
        for (const bytes of protos) {
          const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { name: string }
          files.set(file.name, bytes)
        }
      }
      add(answer.file_descriptor_response?.file_descriptor_proto)
      // As grpcurl does: fetch imports that did not come along by file name.
      for (let missing = missingImports(files); missing.length > 0; missing = missingImports(files)) {
        for (const name of missing) {
          const byName = await ask(server.address, 'v1', { file_by_filename: name })
          expect(byName.error_response).toBeUndefined()
          add(byName.file_descriptor_response?.file_descriptor_proto)
        }
      }
      const root = decodeFiles([...files.values()])
      expect(root.lookupService('ml_metadata.MetadataStoreService').methodsArray).toHaveLength(52)
      expect(root.lookupType('ml_metadata.Value').oneofs.value?.fieldsArray).toHaveLength(6)
    })

    it('answers an unknown symbol with NOT_FOUND', async () => {
      const answer = await ask(server.address, 'v1', { file_containing_symbol: 'no.such.Thing' })
      expect(answer.error_response?.error_code).toBe(5)
    })

    it('reports SERVING through the health service, and NOT_SERVING after shutdown starts', async () => {
      const HealthClient = makeGenericClientConstructor(healthService, 'Health')
      const health = new HealthClient(server.address, credentials.createInsecure()) as unknown as {
        Check(req: { service: string }, cb: (e: Error | null, r: { status: string | number }) => void): void
        close(): void
      }
      const check = (serviceName: string) =>
        new Promise<unknown>((resolve, reject) =>
          health.Check({ service: serviceName }, (e, r) => (e ? reject(e) : resolve(r.status))),
        )
      try {
        expect(await check('')).toBe('SERVING')
        expect(await check('ml_metadata.MetadataStoreService')).toBe('SERVING')
        await expect(check('unknown.Service')).rejects.toMatchObject({ code: 5 })
        server.setServing(false)
        expect(await check('ml_metadata.MetadataStoreService')).toBe('NOT_SERVING')
        server.setServing(true)
      } finally {
        health.close()
      }
    })
  })
})
