/**
 * Step parameters (TFX's "exec properties"): validation, and their MLMD encoding on the
 * execution, which follows TFX's `data_types_utils.set_parameter_value` so that Python readers
 * parse them back (conventions §1.5).
 *
 * Numbers: a safe integer (or a bigint) is an int, any other number a float. JavaScript cannot
 * tell `2.0` from `2`, so a float parameter that happens to be integral is recorded as an int.
 */
import { invalidArgument } from '../errors.js'
import type { Value } from '../proto/messages.js'
import { compareCodePoints } from './canonical-json.js'

/** A parameter value: TFX's int, float, str, bool, list and dict. */
export type ParameterValue =
  | string
  | number
  | bigint
  | boolean
  | readonly ParameterValue[]
  | { readonly [key: string]: ParameterValue }

/** Named parameters of a step. */
export type Parameters = { readonly [key: string]: ParameterValue }

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * Checks that `value` is a parameter value (finite numbers, int64 bigints, plain objects).
 * @throws InvalidArgument naming `where` otherwise.
 */
export function checkParameterValue(value: unknown, where: string): asserts value is ParameterValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (Number.isFinite(value)) return
      throw invalidArgument(`${where}: ${value} is not a finite number.`)
    case 'bigint':
      if (value >= INT64_MIN && value <= INT64_MAX) return
      throw invalidArgument(`${where}: ${value} is outside the int64 range.`)
    case 'object':
      if (value === null) break
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          checkParameterValue(item, `${where}[${i}]`)
        })
        return
      }
      if (Object.getPrototypeOf(value) === Object.prototype) {
        for (const [key, item] of Object.entries(value)) checkParameterValue(item, `${where}.${key}`)
        return
      }
      break
  }
  throw invalidArgument(
    `${where}: ${String(value)} is not a parameter value (int, float, str, bool, list, dict).`,
  )
}

const isInt = (value: number | bigint): boolean => typeof value === 'bigint' || Number.isSafeInteger(value)

/**
 * Python's `repr()` of a float, which TFX's JSON encoding uses: the shortest round-trip digits,
 * positional for decimal exponents −4 … 15 (with `.0` when integral), otherwise scientific with
 * a signed two-digit exponent (`1e-05`, `1.5e+16`).
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e')
  const exponent = Number(exponentText)
  const negative = mantissa.startsWith('-')
  const digits = mantissa.replace('-', '').replace('.', '')
  const sign = negative ? '-' : ''
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : ''
    const magnitude = String(Math.abs(exponent)).padStart(2, '0')
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0')
  const fraction = digits.slice(exponent + 1)
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`
}

// Python's json.dumps string escaping with ensure_ascii=True (its default).
function pythonJsonString(text: string): string {
  let out = '"'
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const char = text[i] as string
    if (char === '"') out += '\\"'
    else if (char === '\\') out += '\\\\'
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (char === '\b') out += '\\b'
    else if (char === '\f') out += '\\f'
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += char
  }
  return `${out}"`
}

/**
 * `json.dumps(value, sort_keys=True)` as TFX's `json_utils.dumps` writes lists and dicts:
 * `", "` and `": "` separators, ASCII-only strings, Python float repr.
 */
export function pythonJsonDumps(value: ParameterValue): string {
  switch (typeof value) {
    case 'string':
      return pythonJsonString(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      return value.toString(10)
    case 'number':
      return isInt(value) ? String(value) : pythonFloatRepr(value)
  }
  if (Array.isArray(value))
    return `[${value.map((item: ParameterValue) => pythonJsonDumps(item)).join(', ')}]`
  const entries = Object.entries(value as { readonly [key: string]: ParameterValue })
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([key, item]) => `${pythonJsonString(key)}: ${pythonJsonDumps(item)}`)
  return `{${entries.join(', ')}}`
}

// TFX's pipeline_pb2.Value.Schema.ValueType, as the JSON object MessageToJson prints.
type ValueType = { list_type?: ValueType; dict_type?: ValueType; boolean_type?: Record<string, never> }

// Mirrors set_parameter_value's recursion: bools mark boolean_type, lists and dicts mark their
// container type and recurse into it; ints, floats and strings leave the type untouched. The
// type is a oneof, so marking one member clears the others.
function markType(value: ParameterValue, type: ValueType): void {
  if (typeof value === 'boolean') {
    for (const key of Object.keys(type)) delete type[key as keyof ValueType]
    type.boolean_type = {}
    return
  }
  if (typeof value !== 'object') return
  const member = Array.isArray(value) ? 'list_type' : 'dict_type'
  const inner = type[member] ?? {}
  for (const key of Object.keys(type)) delete type[key as keyof ValueType]
  type[member] = inner
  const items: readonly ParameterValue[] = Array.isArray(value)
    ? value
    : Object.values(value as { readonly [key: string]: ParameterValue })
  for (const item of items) markType(item, inner)
}

/** The custom-property key TFX stores a parameter's schema under: `__schema__<key>__`. */
export const schemaKey = (key: string): string => `__schema__${key}__`

/**
 * The MLMD custom properties TFX writes for one exec property: the value (int → `int_value`,
 * float → `double_value`, str → `string_value`, bool → `string_value` "true"/"false", list and
 * dict → `string_value` JSON) plus, for bool, list and dict, `__schema__<key>__` holding the
 * pretty-printed JSON of its `Value.Schema`.
 */
export function parameterToCustomProperties(key: string, value: ParameterValue): Record<string, Value> {
  if (typeof value === 'bigint') return { [key]: { int_value: value } }
  if (typeof value === 'number') {
    return { [key]: isInt(value) ? { int_value: BigInt(value) } : { double_value: value } }
  }
  if (typeof value === 'string') return { [key]: { string_value: value } }
  const valueType: ValueType = {}
  markType(value, valueType)
  return {
    [key]: { string_value: pythonJsonDumps(value) },
    [schemaKey(key)]: { string_value: JSON.stringify({ value_type: valueType }, null, 2) },
  }
}
