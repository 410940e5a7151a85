/**
 * Protobuf map fields as plain objects, where every string is an ordinary key.
 *
 * MLMD stores property names as they come, so `constructor`, `toString` or `__proto__` are
 * valid property names. On a plain object, reading such a key finds what `Object.prototype`
 * holds, and assigning `__proto__` replaces the object's prototype instead of adding a key. Every
 * lookup or insertion by a name taken from a request or a row goes through these two functions.
 */

/** The value the map holds under `key` itself; never one inherited from `Object.prototype`. */
export function entryOf<V>(map: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined
}

/** Stores `value` under `key` as the map's own enumerable key, `__proto__` included. */
export function setEntry<V>(map: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__') {
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    map[key] = value
  }
}
