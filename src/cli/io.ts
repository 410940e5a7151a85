/**
 * What a CLI command may do to the outside world: print, read the working directory, wait for
 * a stop signal. Commands receive it as a parameter so tests can run them in-process; only
 * `main.ts` binds it to the real process.
 */
import { Code, MlmdError } from '../errors.js'

/** The console and process of a CLI run. */
export interface CliIo {
  /** Prints a line to standard output. */
  out(line: string): void
  /** Prints a line to standard error. */
  err(line: string): void
  /** The directory relative paths are resolved against. */
  readonly cwd: string
  /**
   * Resolves at the first SIGINT or SIGTERM; `onRepeat` runs for each later one (while the
   * command is shutting down).
   */
  waitForSignal(onRepeat: () => void): Promise<void>
  /**
   * Ends the process at once, without waiting for its threads (one stuck inside a native call
   * would hold up a normal exit). Absent in tests, which run commands in-process.
   */
  exitNow?(): void
}

/** A command-line mistake: exit code 2 with the usage hint. */
export function usageError(message: string): MlmdError {
  return new MlmdError(Code.InvalidArgument, message)
}
