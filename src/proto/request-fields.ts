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

const fieldNames = new WeakMap<protobuf.Type, ReadonlySet<string>>()

function namesOf(type: protobuf.Type): ReadonlySet<string> {
  let names = fieldNames.get(type)
  if (names === undefined) {
    names = new Set(type.fieldsArray.map((field) => field.name))
    fieldNames.set(type, names)
  }
  return names
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

function search(type: protobuf.Type, value: Record<string, unknown>, path: string): UnknownField | undefined {
  const names = namesOf(type)
  for (const [key, member] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`
    if (!names.has(key)) {
      if (member === undefined) continue
      const close = [...names]
        .map((name) => ({ name, d: distance(key.toLowerCase(), name.toLowerCase()) }))
        .filter(({ d }) => d <= 2)
        .sort((x, y) => x.d - y.d)[0]
      return { path: at, typeName: type.name, suggestion: close?.name }
    }
    const field = type.fields[key] as protobuf.Field
    const resolved = field.resolvedType
    if (!(resolved instanceof protobuf.Type) || OPAQUE.test(resolved.fullName)) continue
    if (field instanceof protobuf.MapField) {
      if (!isPlainObject(member)) continue
      for (const [k, v] of Object.entries(member)) {
        const found = isPlainObject(v) ? search(resolved, v, `${at}[${JSON.stringify(k)}]`) : undefined
        if (found !== undefined) return found
      }
    } else if (field.repeated) {
      if (!Array.isArray(member)) continue
      for (const [i, item] of member.entries()) {
        const found = isPlainObject(item) ? search(resolved, item, `${at}[${i}]`) : undefined
        if (found !== undefined) return found
      }
    } else if (isPlainObject(member)) {
      const found = search(resolved, member, at)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/**
 * The first field of `value` (recursively) that the message `typeName` (e.g.
 * `ml_metadata.PutArtifactsRequest`) does not define, or `undefined` when there is none.
 * Fields set to `undefined` count as absent.
 */
export function findUnknownField(typeName: string, value: unknown): UnknownField | undefined {
  if (!isPlainObject(value)) return undefined
  return search(messageType(typeName), value, '')
}
