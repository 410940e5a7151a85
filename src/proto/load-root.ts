/**
 * Loads `protos/` into one protobufjs `Root`: the single source of message definitions used by
 * the type generator, the value codecs in `storage/` and the gRPC service.
 *
 * Field names are kept as written in the .proto files (snake_case), everywhere, including the
 * well-known types: protobufjs's bundled `google.protobuf.Struct` uses camelCase names, so we
 * register our own definitions of the four well-known files we import. Only names differ;
 * numbers and types are the standard ones, so the wire format is unchanged.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

/** Absolute path of the `protos/` folder. */
export const PROTOS_DIR = fileURLToPath(new URL('../../protos/', import.meta.url))

const require = createRequire(import.meta.url)

// google/protobuf/struct.proto, any.proto and field_mask.proto in protobufjs's JSON form, with
// the field names of the .proto files.
const WELL_KNOWN: Record<string, Record<string, unknown>> = {
  struct: {
    Struct: { fields: { fields: { keyType: 'string', type: 'Value', id: 1 } } },
    Value: {
      oneofs: {
        kind: {
          oneof: ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'],
        },
      },
      fields: {
        null_value: { type: 'NullValue', id: 1 },
        number_value: { type: 'double', id: 2 },
        string_value: { type: 'string', id: 3 },
        bool_value: { type: 'bool', id: 4 },
        struct_value: { type: 'Struct', id: 5 },
        list_value: { type: 'ListValue', id: 6 },
      },
    },
    NullValue: { values: { NULL_VALUE: 0 } },
    ListValue: { fields: { values: { rule: 'repeated', type: 'Value', id: 1 } } },
  },
  any: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } },
  field_mask: { FieldMask: { fields: { paths: { rule: 'repeated', type: 'string', id: 1 } } } },
  // descriptor.proto is needed only for the `extend google.protobuf.EnumValueOptions` in
  // metadata_store.proto; protobufjs ships it as JSON but does not register it by default.
  descriptor: require('protobufjs/google/protobuf/descriptor.json').nested.google.nested.protobuf.nested,
}
for (const [name, nested] of Object.entries(WELL_KNOWN))
  protobuf.common(name, nested as protobuf.INamespace['nested'] & object)

let cached: protobuf.Root | undefined

/** The MLMD messages and service, loaded once and fully resolved. */
export function loadMlmdRoot(): protobuf.Root {
  if (cached !== undefined) return cached
  const root = new protobuf.Root()
  // Imports are written relative to protos/ (as with `protoc -I protos`); well-known types
  // resolve to the registered definitions above.
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : path.join(PROTOS_DIR, target)
  root.loadSync('ml_metadata/proto/metadata_store_service.proto', {
    keepCase: true,
    alternateCommentMode: true,
  })
  root.resolveAll()
  cached = root
  return root
}

const typesByName = new Map<string, protobuf.Type>()

/**
 * Looks up a message type by its full name (`ml_metadata.Artifact`, `google.protobuf.Struct`).
 * Remembered per name: protobufjs walks its namespaces on every lookup, and the store looks up
 * the Struct type for every Struct property it reads (3-4% of such a read's profile).
 */
export function messageType(fullName: string): protobuf.Type {
  let type = typesByName.get(fullName)
  if (type === undefined) {
    type = loadMlmdRoot().lookupType(fullName)
    typesByName.set(fullName, type)
  }
  return type
}
