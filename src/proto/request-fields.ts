/**
 * Finds fields that a message type does not have, from the proto definitions alone. Over gRPC an
 * unknown field cannot arrive (decoding drops it); in process, a misspelt one
 * (`putArtifacts({ artifact: [...] })`) would otherwise be ignored and the call would do nothing.
 */
import protobuf from 'protobufjs'
import { messageType } from './load-root.js'

// The well-known types are written as plain values in our message shapes (a Struct's keys are
// the user's own), so their insides are not checked.
const OPAQUE = /^\.?google\.protobuf\./

// What the search needs of a message's fields, worked out once per type: protobufjs computes
// `fullName` and looks fields up anew on every access, and every call checks its request.
interface FieldShape {
  readonly shape: 'map' | 'repeated' | 'single'
  /** The field's message type, when it is one whose insides are checked. */
  readonly message: protobuf.Type | undefined
}

const fieldShapes = new WeakMap<protobuf.Type, ReadonlyMap<string, FieldShape>>()

function shapesOf(type: protobuf.Type): ReadonlyMap<string, FieldShape> {
  let shapes = fieldShapes.get(type)
  if (shapes === undefined) {
    const built = new Map<string, FieldShape>()
    for (const field of type.fieldsArray) {
      field.resolve()
      const resolved = field.resolvedType
      const message =
        resolved instanceof protobuf.Type && !OPAQUE.test(resolved.fullName) ? resolved : undefined
      const shape = field instanceof protobuf.MapField ? 'map' : field.repeated ? 'repeated' : 'single'
      built.set(field.name, { shape, message })
    }
    shapes = built
    fieldShapes.set(type, shapes)
  }
  return shapes
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)
}

// Edit distance, for "did you mean"; names are short.
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitute)
    }
    previous = current
  }
  return previous[b.length] as number
}

/** An unknown field: where it is (`artifacts[0].propertys`), in which message, and a likely meant name. */
export interface UnknownField {
  readonly path: string
  readonly typeName: string
  readonly suggestion: string | undefined
}

// The path of a finding is built on the way back up, so a request without unknown fields (every
// call) builds no strings: `segments` are the keys from the finding up to this level.
interface Finding {
  readonly segments: string[]
  readonly typeName: string
  readonly suggestion: string | undefined
}

function search(type: protobuf.Type, value: Record<string, unknown>): Finding | undefined {
  const shapes = shapesOf(type)
  for (const key in value) {
    const member = value[key]
    const field = shapes.get(key)
    if (field === undefined) {
      if (member === undefined) continue
      const close = [...shapes.keys()]
        .map((name) => ({ name, d: distance(key.toLowerCase(), name.toLowerCase()) }))
        .filter(({ d }) => d <= 2)
        .sort((x, y) => x.d - y.d)[0]
      return { segments: [key], typeName: type.name, suggestion: close?.name }
    }
    const resolved = field.message
    if (resolved === undefined) continue
    if (field.shape === 'map') {
      if (!isPlainObject(member)) continue
      for (const k in member) {
        const v = member[k]
        const found = isPlainObject(v) ? search(resolved, v) : undefined
        if (found !== undefined) return within(found, `${key}[${JSON.stringify(k)}]`)
      }
    } else if (field.shape === 'repeated') {
      if (!Array.isArray(member)) continue
      for (let i = 0; i < member.length; i++) {
        const item: unknown = member[i]
        const found = isPlainObject(item) ? search(resolved, item) : undefined
        if (found !== undefined) return within(found, `${key}[${i}]`)
      }
    } else if (isPlainObject(member)) {
      const found = search(resolved, member)
      if (found !== undefined) return within(found, key)
    }
  }
  return undefined
}

function within(found: Finding, segment: string): Finding {
  return { ...found, segments: [segment, ...found.segments] }
}

const typesByName = new Map<string, protobuf.Type>()

/**
 * The first field of `value` (recursively) that the message `typeName` (e.g.
 * `ml_metadata.PutArtifactsRequest`) does not define, or `undefined` when there is none.
 * Fields set to `undefined` count as absent.
 */
export function findUnknownField(typeName: string, value: unknown): UnknownField | undefined {
  if (!isPlainObject(value)) return undefined
  let type = typesByName.get(typeName)
  if (type === undefined) {
    type = messageType(typeName)
    typesByName.set(typeName, type)
  }
  const found = search(type, value)
  if (found === undefined) return undefined
  return { path: found.segments.join('.'), typeName: found.typeName, suggestion: found.suggestion }
}
