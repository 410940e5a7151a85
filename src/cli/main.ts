/**
 * The `mlmd-ts` command: argument dispatch, error reporting and exit codes. This module (with
 * `bin/mlmd-ts.js`, which runs the compiled copy) is the only one that touches `process`.
 *
 * Exit codes: 0 success, 1 failure at run time (the database cannot be opened, the port is
 * taken), 2 a command-line or config-file mistake.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Code, MlmdError } from '../errors.js'
import { backup } from './backup.js'
import { check } from './check.js'
import { lineage, ls, runs, show } from './explore.js'
import type { CliIo } from './io.js'
import { migrate } from './migrate.js'
import { serve } from './serve.js'
import { ui } from './ui.js'

const USAGE = `Usage: mlmd-ts <command> [options]

Commands:
  serve      serve MLMD's gRPC API on a SQLite file (mlmd-ts serve --help)
  backup     copy a store file consistently, even while it is served (mlmd-ts backup --help)
  check      run SQLite's integrity check over a store file (mlmd-ts check --help)
  migrate    upgrade or downgrade the schema of a store file or database (mlmd-ts migrate --help)
  ls         list artifacts, executions, contexts or types (mlmd-ts ls --help)
  show       one artifact, execution or context with its events and contexts
  lineage    the lineage graph around a node, as DOT, Mermaid or SVG
  runs       pipeline runs, their steps and cache hits
  ui         a read-only web UI: pipelines, runs, nodes, lineage graphs (mlmd-ts ui --help)
  run        run the pipelines a module exports, with step caching (mlmd-ts run --help)
  verify     check that published pipeline outputs are intact (mlmd-ts verify --help)

Options:
  -h, --help     show this help
  --version      print the version`

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

/** Runs one command line; resolves with the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, io)
      case 'backup':
        return await backup(rest, io)
      case 'check':
        return await check(rest, io)
      case 'migrate':
        return await migrate(rest, io)
      case 'ls':
        return await ls(rest, io)
      case 'show':
        return await show(rest, io)
      case 'lineage':
        return await lineage(rest, io)
      case 'runs':
        return await runs(rest, io)
      case 'ui':
        return await ui(rest, io)
      case 'run':
        return await (await import('./run.js')).run(rest, io)
      case 'verify':
        return await (await import('./verify.js')).verify(rest, io)
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE)
        return 0
      case '--version':
        io.out(version())
        return 0
      case undefined:
        io.err(USAGE)
        return 2
      default:
        io.err(`mlmd-ts: unknown command "${command}"\n\n${USAGE}`)
        return 2
    }
  } catch (error) {
    if (error instanceof MlmdError && error.code === Code.InvalidArgument) {
      io.err(`mlmd-ts: ${error.rawMessage}\n(see mlmd-ts ${command ?? ''} --help)`)
      return 2
    }
    const detail =
      error instanceof MlmdError ? error.rawMessage : error instanceof Error ? error.message : String(error)
    io.err(`mlmd-ts: ${detail}`)
    return 1
  }
}

/** The real process as {@link CliIo}. */
export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    cwd: process.cwd(),
    waitForSignal: (onRepeat) =>
      new Promise<void>((resolve) => {
        let received = false
        const onSignal = () => {
          if (received) onRepeat()
          received = true
          resolve()
        }
        process.on('SIGINT', onSignal)
        process.on('SIGTERM', onSignal)
      }),
    exitNow: () => {
      // process.exit() waits for worker threads, even one inside a native call that never
      // returns; SIGKILL does not. Output written so far is already flushed (stdio writes to
      // files and pipes are synchronous).
      process.kill(process.pid, 'SIGKILL')
    },
  }
}

/** Runs the command line of this process and exits with its code. */
export async function runCli(): Promise<never> {
  const code = await main(process.argv.slice(2), processIo())
  process.exit(code)
}

// Run when executed directly (`tsx src/cli/main.ts serve`); bin/mlmd-ts.js calls runCli().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runCli()
}
