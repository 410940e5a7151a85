/**
 * The one error type of mlmd-ts. Every failure a caller can act on carries a {@link Code} whose
 * numbers equal gRPC's (and absl's, which MLMD uses), so the service layer passes it to the wire
 * unchanged and MLMD's clients raise the same exception classes they would against MLMD.
 */

/** gRPC status codes, by their wire numbers. */
export enum Code {
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

/** The snake_case name of a code, as gRPC status names are written (`not_found`). */
export function codeToString(code: Code): string {
  const name = Code[code]
  if (name === undefined) return `code_${code}`
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`))
}

/**
 * An error with a gRPC code. `rawMessage` is what goes on the wire as the status details;
 * `message` adds the code for logs (`[not_found] Cannot find type ...`).
 *
 * Callers branch on `err.code`; there are no subclasses.
 */
export class MlmdError extends Error {
  override name = 'MlmdError'
  readonly code: Code
  readonly rawMessage: string

  constructor(code: Code, rawMessage: string, options?: { cause?: unknown }) {
    super(`[${codeToString(code)}] ${rawMessage}`, options)
    this.code = code
    this.rawMessage = rawMessage
  }

  /**
   * Returns `reason` if it already is an `MlmdError`, else wraps it with `code` and keeps the
   * original as `cause`.
   */
  static from(reason: unknown, code: Code = Code.Unknown): MlmdError {
    if (reason instanceof MlmdError) return reason
    const text = reason instanceof Error ? reason.message : String(reason)
    return new MlmdError(code, text, { cause: reason })
  }
}

/** Shorthands used by the store to keep validation code readable. */
export const invalidArgument = (message: string): MlmdError => new MlmdError(Code.InvalidArgument, message)
export const notFound = (message: string): MlmdError => new MlmdError(Code.NotFound, message)
export const alreadyExists = (message: string): MlmdError => new MlmdError(Code.AlreadyExists, message)
export const failedPrecondition = (message: string): MlmdError =>
  new MlmdError(Code.FailedPrecondition, message)
export const unimplemented = (message: string): MlmdError => new MlmdError(Code.Unimplemented, message)
export const internal = (message: string): MlmdError => new MlmdError(Code.Internal, message)
export const outOfRange = (message: string): MlmdError => new MlmdError(Code.OutOfRange, message)

/**
 * The answer to a write once the store file is known to be corrupt (`found` is what the call
 * that found it was told). A write into a damaged b-tree can spread the damage to intact pages,
 * so writes stop; reads that still work go on.
 */
export const corruptStoreRefusesWrites = (found: string): MlmdError =>
  new MlmdError(
    Code.FailedPrecondition,
    `Writes are refused: an earlier call found the database file corrupt ("${found}"), and a write ` +
      'could spread the damage. Run `mlmd-ts check --db FILE` and restore the file from a backup.',
  )
