/**
 * A deterministic JSON text: the serialisation the cache key hashes. Two values that mean the
 * same produce the same bytes, whatever order their members were built in.
 *
 * Rules (they are part of the cache key definition; changing one changes every key):
 * - objects: members sorted by key in Unicode code point order (= UTF-8 byte order), members
 *   whose value is `undefined` left out, no whitespace anywhere;
 * - arrays: in order;
 * - strings: as `JSON.stringify` writes them;
 * - numbers: finite ones as `JSON.stringify` writes them (shortest round-trip form), except
 *   negative zero, written `-0`; `NaN`, `Infinity` and `-Infinity` as those bare words;
 * - bigints: their decimal digits, so `5n` and `5` serialise alike (both are MLMD ints);
 * - `Uint8Array`: a JSON string of its standard base64;
 * - `true`, `false`, `null` as themselves.
 *
 * @example
 * ```ts
 * canonicalJson({ b: [1n, 2.5], a: 'x', c: undefined }) // '{"a":"x","b":[1,2.5]}'
 * ```
 */

/** The values {@link canonicalJson} accepts. */
export type CanonicalValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue | undefined }

/** Orders strings by Unicode code point, the order Python's `sorted()` gives. */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

function numberText(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : JSON.stringify(value)
  return String(value)
}

/**
 * Serialises `value` by the rules above.
 * @throws TypeError for anything else (functions, symbols, class instances): a programming error.
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      return numberText(value)
    case 'bigint':
      return value.toString(10)
    case 'string':
      return JSON.stringify(value)
    case 'object':
      break
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`)
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'))
  if (Array.isArray(value)) return `[${value.map((item: CanonicalValue) => canonicalJson(item)).join(',')}]`
  const prototype = Object.getPrototypeOf(value) as unknown
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError('canonicalJson: only plain objects, arrays and primitives can be serialised')
  }
  const members = Object.entries(value as { readonly [key: string]: CanonicalValue | undefined })
    .filter((entry): entry is [string, CanonicalValue] => entry[1] !== undefined)
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`)
  return `{${members.join(',')}}`
}
