/**
 * Small helpers of the conformance cases: unique names (targets may share one store), error
 * assertions by code, and comparisons with MLMD's `EqualsProto(…, ignore_fields)` semantics.
 */
import { expect } from 'vitest'
import { Code, MlmdError } from '../src/index.js'

let counter = 0
const RUN = Math.random().toString(36).slice(2, 8)

/** A name no other case (or earlier run against a shared endpoint) uses: `prefix_<run>_<n>`. */
export function uid(prefix: string): string {
  counter += 1
  return `${prefix}_${RUN}_${counter}`
}

/** The fields MLMD's tests usually ignore when comparing nodes. */
export const TIMES = ['create_time_since_epoch', 'last_update_time_since_epoch'] as const

/** An id that no store in these runs reaches. */
export const UNKNOWN_ID = 9_000_000_000_000n

/**
 * A missing id of its own, for writes that MLMD accepts with dangling references (so a shared
 * store's reads of {@link UNKNOWN_ID} stay empty).
 */
export function danglingId(): bigint {
  counter += 1
  return UNKNOWN_ID + 1_000_000n + BigInt(counter) * 1_000n + BigInt(Math.floor(Math.random() * 1000))
}

/**
 * Awaits `call`, which must fail with an `MlmdError` of `code` (and, if given, a message that
 * contains or matches `message`); returns the error.
 */
export async function expectCode(
  call: Promise<unknown>,
  code: Code,
  message?: string | RegExp,
): Promise<MlmdError> {
  let outcome: unknown
  try {
    outcome = await call
  } catch (error) {
    expect(error).toBeInstanceOf(MlmdError)
    const e = error as MlmdError
    expect({ code: Code[e.code], message: e.rawMessage }).toMatchObject({ code: Code[code] })
    if (typeof message === 'string') expect(e.rawMessage).toContain(message)
    else if (message !== undefined) expect(e.rawMessage).toMatch(message)
    return e
  }
  expect.fail(`expected ${Code[code]}, got OK: ${stringify(outcome)}`)
}

/** JSON with bigints as `<n>n` and object keys sorted, so equal messages print alike. */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`
    if (isPlainObject(v))
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    return v
  })
}

/**
 * A message as proto equality sees it: keys in `ignore` dropped (at the top level), empty maps
 * and repeated fields dropped (proto3-style maps/repeated have no presence); scalar presence kept.
 */
export function proto<T extends object>(message: T | undefined, ignore: readonly string[] = []): unknown {
  if (message === undefined) return undefined
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(message)) {
    if (ignore.includes(key) || value === undefined) continue
    if (Array.isArray(value) && value.length === 0) continue
    if (isPlainObject(value) && Object.keys(value).length === 0) continue
    out[key] = value
  }
  return out
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  )
}

/** `EqualsProto(want, ignore_fields)` for one message. */
export function expectProto<T extends object>(
  got: T | undefined,
  want: T,
  ignore: readonly string[] = [],
): void {
  expect(proto(got, ignore)).toEqual(proto(want, ignore))
}

const idOf = (m: object): bigint => ((m as { id?: bigint }).id ?? -1n) as bigint
const byId = (a: object, b: object): number => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0)

/** `UnorderedElementsAre(EqualsProto(want[0], ignore), …)`: same messages, any order (by id). */
export function expectUnordered<T extends object>(
  got: readonly T[] | undefined,
  want: readonly T[],
  ignore: readonly string[] = [],
): void {
  const sortable = !ignore.includes('id') && want.every((w) => (w as { id?: bigint }).id !== undefined)
  const norm = (list: readonly T[]) =>
    (sortable ? [...list].sort(byId) : [...list]).map((m) => proto(m, ignore))
  if (sortable) {
    expect(norm(got ?? [])).toEqual(norm(want))
  } else {
    // Without ids to sort by, compare as multisets.
    const key = (m: unknown) => stringify(m)
    expect(
      norm(got ?? [])
        .map(key)
        .sort(),
    ).toEqual(norm(want).map(key).sort())
  }
}

/** `ElementsAre(EqualsProto(…))`: same messages in this order. */
export function expectOrdered<T extends object>(
  got: readonly T[] | undefined,
  want: readonly T[],
  ignore: readonly string[] = [],
): void {
  expect((got ?? []).map((m) => proto(m, ignore))).toEqual(want.map((m) => proto(m, ignore)))
}

/** The ids of messages, ascending. */
export function ids(messages: readonly { id?: bigint }[] | undefined): bigint[] {
  return (messages ?? []).map((m) => m.id as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Ascending copy of a list of ids. */
export function sorted(values: readonly bigint[] | undefined): bigint[] {
  return [...(values ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** `[artifact_id, execution_id]` pairs of events, sorted, for unordered comparison. */
export function eventPairs(
  events: readonly { artifact_id?: bigint; execution_id?: bigint }[] | undefined,
): string[] {
  return (events ?? []).map((e) => `${e.artifact_id}:${e.execution_id}`).sort()
}

/** Sleeps; MLMD's tests use it between writes whose timestamps must differ. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
