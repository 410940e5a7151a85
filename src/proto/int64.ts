/**
 * The one representation of protobuf int64 values (ids, timestamps, `int_value`) inside mlmd-ts:
 * a `bigint`, exact over the whole range −2^63 … 2^63−1. better-sqlite3 returns `bigint` for
 * every integer column (safe integers are on), and the gRPC edge converts to and from its own
 * wire form in one place.
 */
export type Int64 = bigint

export const INT64_MIN: Int64 = -(2n ** 63n)
export const INT64_MAX: Int64 = 2n ** 63n - 1n

/** Wraps an arbitrary integer-ish value into int64 range by two's complement, as protobuf does. */
export function toInt64(value: bigint | number | string): Int64 {
  return BigInt.asIntN(64, BigInt(value))
}
