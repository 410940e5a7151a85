/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`, via `@grpc/reflection`) for the
 * MLMD service and the health service, so `grpcurl` can list, describe and call them.
 *
 * `@grpc/reflection` takes a proto-loader package definition and serves the
 * `FileDescriptorProto`s it carries. proto-loader would rebuild ours as proto3 descriptors,
 * which lose proto2 defaults and flip the `packed` default, so we build the descriptors from
 * our own protobufjs roots, one per source file, named as `protoc` names them
 * (`ml_metadata/proto/metadata_store.proto`), with fully-qualified type references, map-entry
 * types named `<Field>Entry`, and the imports each file needs.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import { ReflectionService } from '@grpc/reflection'
import { protoPath as healthProtoPath } from 'grpc-health-check'
import protobuf from 'protobufjs'
import { loadMlmdRoot, PROTOS_DIR } from '../proto/load-root.js'
import { SERVICE_NAME } from '../wire/service-definition.js'

const require = createRequire(import.meta.url)
// Adds toDescriptor() to protobufjs's reflection classes and exposes descriptor.proto's types.
const descriptor = require('protobufjs/ext/descriptor') as {
  FileDescriptorProto: protobuf.Type
  DescriptorProto: protobuf.Type
  EnumValueOptions: protobuf.Type
}

/** Full name of the standard health service. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health'

interface DescriptorField {
  name: string
  typeName?: string
  extendee?: string
}
interface DescriptorEnum {
  name: string
  value: { name: string; number?: number; options?: Record<string, unknown> }[]
}
interface DescriptorMessage {
  name: string
  field: DescriptorField[]
  nestedType: DescriptorMessage[]
  enumType?: DescriptorEnum[]
  extensionRange: { start?: number; end?: number }[]
  reservedRange: { start?: number; end?: number }[]
  options?: { mapEntry?: boolean }
}
interface DescriptorMethod {
  name: string
  inputType?: string
  outputType?: string
}
interface DescriptorFile {
  name: string
  package?: string
  syntax?: string
  dependency: string[]
  messageType: DescriptorMessage[]
  enumType: DescriptorEnum[]
  service: { name: string; method: DescriptorMethod[] }[]
  extension: DescriptorField[]
}
type WithDescriptor<T> = T & { toDescriptor(syntax?: string): unknown }

/** protoc's name for the entry message of a map field: `custom_properties` → `CustomPropertiesEntry`. */
export function mapEntryName(fieldName: string): string {
  const camel = fieldName.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  return `${camel.charAt(0).toUpperCase()}${camel.slice(1)}Entry`
}

// The well-known types are registered from JSON (see load-root.ts), so protobufjs knows no file
// for them; these are the files protoc would name.
const WELL_KNOWN_FILES: Readonly<Record<string, string>> = {
  Struct: 'google/protobuf/struct.proto',
  Value: 'google/protobuf/struct.proto',
  ListValue: 'google/protobuf/struct.proto',
  NullValue: 'google/protobuf/struct.proto',
  Any: 'google/protobuf/any.proto',
  FieldMask: 'google/protobuf/field_mask.proto',
}

/** The top-level object (message, enum, service or extension) that `object` belongs to. */
function topLevel(object: protobuf.ReflectionObject): protobuf.ReflectionObject {
  let current = object
  while (current.parent instanceof protobuf.Type) current = current.parent
  return current
}

/** The file an object is declared in, as it is imported: relative to its include root. */
function importName(object: protobuf.ReflectionObject, includeRoots: readonly string[]): string {
  const filename = object.filename
  if (filename === null) {
    const top = topLevel(object)
    if (top.parent?.fullName === '.google.protobuf') {
      return WELL_KNOWN_FILES[top.name] ?? 'google/protobuf/descriptor.proto'
    }
    throw new Error(`${object.fullName}: no source file`)
  }
  for (const includeRoot of includeRoots) {
    const relative = path.relative(includeRoot, filename)
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) return relative.split(path.sep).join('/')
  }
  return filename
}

/**
 * Makes the custom options MLMD puts on enum values (`(system_type_extension).type_name` on the
 * SystemDefinedBaseType values) travel in descriptors. protoc writes a custom option as a field of
 * the options message, numbered as its extension. The descriptor types protobufjs ships, which
 * @grpc/reflection also decodes and re-encodes our descriptors with, know no custom options and
 * would drop it; so each extension of EnumValueOptions is added to them as a `bytes` field
 * holding the encoded option message: the same bytes on the wire. Returns the extensions by name.
 */
function enumValueExtensions(root: protobuf.Root): Map<string, protobuf.Field> {
  const extensions = new Map<string, protobuf.Field>()
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const object of namespace.nestedArray) {
      if (object instanceof protobuf.Field && object.extend?.endsWith('google.protobuf.EnumValueOptions')) {
        extensions.set(object.name, object)
        if (descriptor.EnumValueOptions.get(object.name) === null) {
          descriptor.EnumValueOptions.add(new protobuf.Field(object.name, object.id, 'bytes'))
        }
      } else if (object instanceof protobuf.Namespace) {
        visit(object)
      }
    }
  }
  visit(root)
  return extensions
}

/**
 * Adds the options of `source`'s values to its descriptor. protobufjs keeps them as
 * `{ VALUE: { '(extension).field': value } }`.
 */
function addEnumValueOptions(
  source: protobuf.Enum,
  target: DescriptorEnum,
  extensions: ReadonlyMap<string, protobuf.Field>,
): void {
  for (const value of target.value) {
    const options = source.valuesOptions?.[value.name]
    if (options === undefined) continue
    const byExtension = new Map<string, Record<string, unknown>>()
    for (const [key, option] of Object.entries(options)) {
      const match = /^\(([\w.]+)\)(?:\.(.+))?$/.exec(key)
      const name = match?.[1]?.split('.').pop()
      if (match === null || name === undefined || !extensions.has(name)) continue
      const payload = byExtension.get(name) ?? {}
      if (match[2] === undefined) Object.assign(payload, option)
      else payload[match[2]] = option
      byExtension.set(name, payload)
    }
    for (const [name, payload] of byExtension) {
      const type = extensions.get(name)?.resolvedType
      if (!(type instanceof protobuf.Type)) continue
      value.options = { ...value.options, [name]: type.encode(type.fromObject(payload)).finish() }
    }
  }
}

/** Whether a decoded options message sets nothing (only empty repeated fields). */
function isEmptyMessage(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  return Object.values(value).every((v) => v == null || (Array.isArray(v) && v.length === 0))
}

/**
 * Removes `options` messages that set nothing (protobufjs creates one for every field with a
 * default), so the descriptors equal protoc's.
 */
function dropEmptyOptions(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) dropEmptyOptions(item)
    return
  }
  if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return
  const record = node as Record<string, unknown>
  for (const [key, value] of Object.entries(record)) {
    if (key === 'options' && isEmptyMessage(value)) {
      delete record[key]
    } else {
      dropEmptyOptions(value)
    }
  }
}

/** Builds descriptors for every file of a resolved protobufjs root. */
class FileDescriptorBuilder {
  readonly #files = new Map<string, DescriptorFile>()
  readonly #includeRoots: readonly string[]
  readonly #syntax: 'proto2' | 'proto3'
  readonly #enumValueExtensions: ReadonlyMap<string, protobuf.Field>

  constructor(
    includeRoots: readonly string[],
    syntax: 'proto2' | 'proto3',
    enumValueExtensions: ReadonlyMap<string, protobuf.Field> = new Map(),
  ) {
    this.#includeRoots = includeRoots
    this.#syntax = syntax
    this.#enumValueExtensions = enumValueExtensions
  }

  #fileOf(object: protobuf.ReflectionObject): DescriptorFile {
    const name = importName(object, this.#includeRoots)
    let file = this.#files.get(name)
    if (file === undefined) {
      const pkg = object.parent?.fullName.replace(/^\./, '') ?? ''
      file = {
        name,
        ...(pkg === '' ? {} : { package: pkg }),
        // struct, any and field_mask are proto3 files upstream.
        syntax:
          name.startsWith('google/protobuf/') && name !== 'google/protobuf/descriptor.proto'
            ? 'proto3'
            : this.#syntax,
        dependency: [],
        messageType: [],
        enumType: [],
        service: [],
        extension: [],
      }
      this.#files.set(name, file)
    }
    return file
  }

  #depend(file: DescriptorFile, on: protobuf.ReflectionObject): void {
    const name = importName(on, this.#includeRoots)
    if (name !== file.name && !file.dependency.includes(name)) file.dependency.push(name)
  }

  /** Rewrites a message descriptor's type references to absolute names, recursively. */
  #qualify(file: DescriptorFile, type: protobuf.Type, message: DescriptorMessage): void {
    // protobufjs adds a copy of each extension field to the type it extends; the extension is
    // declared (and described) where it is written, not in the extended message.
    message.field = message.field.filter((field) => type.fields[field.name]?.declaringField == null)
    // protobufjs keeps ranges with an inclusive end (`reserved 1;` is [1, 1]); descriptors have
    // an exclusive one.
    for (const range of [...message.extensionRange, ...message.reservedRange]) {
      if (range.end !== undefined) range.end += 1
    }
    for (const field of message.field) {
      const source = type.fields[field.name] ?? (type.get(field.name) as protobuf.Field | null)
      if (source === null || source === undefined) continue
      this.#qualifyField(file, source, field)
      if (source instanceof protobuf.MapField) {
        const entry = message.nestedType.find(
          (n) => n.options?.mapEntry === true && n.name === field.typeName,
        )
        const entryName = mapEntryName(source.name)
        field.typeName = `${type.fullName}.${entryName}`
        if (entry !== undefined) {
          entry.name = entryName
          const value = entry.field.find((f) => f.name === 'value')
          if (value !== undefined && source.resolvedType !== null) {
            value.typeName = source.resolvedType.fullName
            this.#depend(file, source.resolvedType)
          }
        }
      }
    }
    for (const nested of message.nestedType) {
      const nestedType = type.nested?.[nested.name]
      if (nestedType instanceof protobuf.Type) this.#qualify(file, nestedType, nested)
    }
    for (const nested of message.enumType ?? []) {
      const nestedEnum = type.nested?.[nested.name]
      if (nestedEnum instanceof protobuf.Enum)
        addEnumValueOptions(nestedEnum, nested, this.#enumValueExtensions)
    }
  }

  #qualifyField(file: DescriptorFile, source: protobuf.Field, field: DescriptorField): void {
    if (!(source instanceof protobuf.MapField) && source.resolvedType !== null) {
      field.typeName = source.resolvedType.fullName
      this.#depend(file, source.resolvedType)
    }
    if (source.extensionField !== null && source.extensionField !== undefined) {
      const extended = source.extensionField.parent
      if (extended !== null) {
        field.extendee = extended.fullName
        this.#depend(file, extended)
      }
    }
  }

  add(namespace: protobuf.NamespaceBase): void {
    for (const object of namespace.nestedArray) {
      if (object instanceof protobuf.Type) {
        const file = this.#fileOf(object)
        const message = (object as WithDescriptor<protobuf.Type>).toDescriptor(
          this.#syntax,
        ) as DescriptorMessage
        this.#qualify(file, object, message)
        file.messageType.push(message)
      } else if (object instanceof protobuf.Enum) {
        const described = (object as WithDescriptor<protobuf.Enum>).toDescriptor() as DescriptorEnum
        addEnumValueOptions(object, described, this.#enumValueExtensions)
        this.#fileOf(object).enumType.push(described)
      } else if (object instanceof protobuf.Service) {
        const file = this.#fileOf(object)
        const service = (
          object as WithDescriptor<protobuf.Service>
        ).toDescriptor() as DescriptorFile['service'][0]
        for (const method of service.method) {
          const source = object.methods[method.name]
          if (source?.resolvedRequestType) {
            method.inputType = source.resolvedRequestType.fullName
            this.#depend(file, source.resolvedRequestType)
          }
          if (source?.resolvedResponseType) {
            method.outputType = source.resolvedResponseType.fullName
            this.#depend(file, source.resolvedResponseType)
          }
        }
        file.service.push(service)
      } else if (object instanceof protobuf.Field) {
        const file = this.#fileOf(object)
        const field = (object as WithDescriptor<protobuf.Field>).toDescriptor(this.#syntax) as DescriptorField
        this.#qualifyField(file, object, field)
        file.extension.push(field)
      } else if (object instanceof protobuf.Namespace) {
        this.add(object)
      }
    }
  }

  /** The encoded descriptors, every file after the files it imports. */
  encoded(): Buffer[] {
    const ordered: DescriptorFile[] = []
    const seen = new Set<string>()
    const visit = (name: string) => {
      const file = this.#files.get(name)
      if (file === undefined || seen.has(name)) return
      seen.add(name)
      for (const dependency of file.dependency) visit(dependency)
      ordered.push(file)
    }
    for (const name of this.#files.keys()) visit(name)
    return ordered.map((file) => {
      const message = descriptor.FileDescriptorProto.fromObject(file)
      dropEmptyOptions(message)
      return Buffer.from(descriptor.FileDescriptorProto.encode(message).finish())
    })
  }
}

/** The FileDescriptorProtos (encoded) of the MLMD protos, including the well-known imports. */
export function mlmdFileDescriptors(): Buffer[] {
  const root = loadMlmdRoot()
  const builder = new FileDescriptorBuilder([PROTOS_DIR], 'proto2', enumValueExtensions(root))
  builder.add(root)
  return builder.encoded()
}

/** The FileDescriptorProtos (encoded) of `grpc.health.v1`. */
export function healthFileDescriptors(): Buffer[] {
  const root = new protobuf.Root()
  root.loadSync(healthProtoPath, { keepCase: true })
  root.resolveAll()
  // health.proto lives at <package>/proto/health/v1/health.proto and is imported as
  // grpc/health/v1/health.proto.
  const builder = new FileDescriptorBuilder([], 'proto3')
  builder.add(root)
  const files = builder.encoded()
  return files.map((bytes) => {
    const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as DescriptorFile
    file.name = 'grpc/health/v1/health.proto'
    return Buffer.from(descriptor.FileDescriptorProto.encode(file).finish())
  })
}

/** The reflection service's own versions, as `<package>.ServerReflection`. */
export const REFLECTION_SERVICE_NAMES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]

/** The FileDescriptorProtos (encoded) of the reflection service itself, v1 and v1alpha. */
export function reflectionFileDescriptors(): Buffer[] {
  const protoDir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto')
  const builder = new FileDescriptorBuilder([protoDir], 'proto3')
  for (const version of ['v1', 'v1alpha']) {
    const root = new protobuf.Root()
    root.loadSync(path.join(protoDir, 'grpc', 'reflection', version, 'reflection.proto'), { keepCase: true })
    root.resolveAll()
    builder.add(root)
  }
  return builder.encoded()
}

let descriptorsCache: { mlmd: Buffer[]; health: Buffer[]; reflection: Buffer[] } | undefined

// What @grpc/reflection's implementations keep: extension files by extended type, then number.
type ExtensionIndex = { extensions?: Record<string, Record<number, unknown>> }

/**
 * A reflection service describing the MLMD service, the health service and itself (so
 * `grpcurl list` shows all three), and answering extension lookups
 * (`file_containing_extension`, `all_extension_numbers_of_type`).
 */
export function createReflectionService(): ReflectionService {
  descriptorsCache ??= {
    mlmd: mlmdFileDescriptors(),
    health: healthFileDescriptors(),
    reflection: reflectionFileDescriptors(),
  }
  // @grpc/reflection only reads `fileDescriptorProtos` from each entry of the definition.
  const definition = {
    [SERVICE_NAME]: { fileDescriptorProtos: descriptorsCache.mlmd },
    [HEALTH_SERVICE_NAME]: { fileDescriptorProtos: descriptorsCache.health },
    ...Object.fromEntries(
      REFLECTION_SERVICE_NAMES.map((name) => [name, { fileDescriptorProtos: descriptorsCache?.reflection }]),
    ),
  }
  const service = new ReflectionService(
    definition as unknown as ConstructorParameters<typeof ReflectionService>[0],
  )
  // @grpc/reflection indexes extensions by the extendee as descriptors write it
  // (`.google.protobuf.EnumValueOptions`), while clients ask without the leading dot; index both.
  for (const implementation of Object.values(service as unknown as Record<string, ExtensionIndex>)) {
    const extensions = implementation?.extensions
    if (extensions === undefined) continue
    for (const [extendee, files] of Object.entries(extensions)) {
      if (extendee.startsWith('.'))
        extensions[extendee.slice(1)] = { ...extensions[extendee.slice(1)], ...files }
    }
  }
  return service
}
