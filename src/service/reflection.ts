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
import { SERVICE_NAME } from './service-definition.js'

const require = createRequire(import.meta.url)
// Adds toDescriptor() to protobufjs's reflection classes and exposes descriptor.proto's types.
const descriptor = require('protobufjs/ext/descriptor') as {
  FileDescriptorProto: protobuf.Type
  DescriptorProto: protobuf.Type
}

/** Full name of the standard health service. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health'

interface DescriptorField {
  name: string
  typeName?: string
  extendee?: string
}
interface DescriptorMessage {
  name: string
  field: DescriptorField[]
  nestedType: DescriptorMessage[]
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
  enumType: unknown[]
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

  constructor(includeRoots: readonly string[], syntax: 'proto2' | 'proto3') {
    this.#includeRoots = includeRoots
    this.#syntax = syntax
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
        this.#fileOf(object).enumType.push((object as WithDescriptor<protobuf.Enum>).toDescriptor())
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
  const builder = new FileDescriptorBuilder([PROTOS_DIR], 'proto2')
  builder.add(loadMlmdRoot())
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

let descriptorsCache: { mlmd: Buffer[]; health: Buffer[] } | undefined

/** A reflection service describing the MLMD service and the health service. */
export function createReflectionService(): ReflectionService {
  descriptorsCache ??= { mlmd: mlmdFileDescriptors(), health: healthFileDescriptors() }
  const mlmd = { fileDescriptorProtos: descriptorsCache.mlmd }
  const health = { fileDescriptorProtos: descriptorsCache.health }
  // @grpc/reflection only reads `fileDescriptorProtos` from each entry of the definition.
  const definition = { [SERVICE_NAME]: mlmd, [HEALTH_SERVICE_NAME]: health }
  return new ReflectionService(definition as unknown as ConstructorParameters<typeof ReflectionService>[0])
}
