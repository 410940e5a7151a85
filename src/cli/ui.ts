/**
 * `mlmd-ts ui`: the explorer's web UI over a store file (read-only) or an MLMD gRPC server.
 */
import { parseArgs } from 'node:util'
import { startExplorerServer } from '../explorer/web/server.js'
import { GRPC_CLIENT_OPTIONS, openSource, SOURCE_FLAG_OPTIONS } from './explore.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'

export const UI_USAGE = `Usage: mlmd-ts ui [options]

Serves a read-only web UI to browse a store: pipelines, runs and cache hits, artifacts,
executions, contexts and types, and lineage graphs.

Options:
  --db FILE              MLMD SQLite file, opened read-only (default: ./mlmd.sqlite)
  --grpc HOST:PORT       browse an MLMD gRPC server instead (mlmd-ts serve, or MLMD's own)
${GRPC_CLIENT_OPTIONS}
  --host HOST            address to bind (default: 127.0.0.1)
  --port PORT            port to bind, 0 for any free one (default: 8090)
  -h, --help             show this help`

/** Parses a port number. @throws InvalidArgument when it is not one. */
export function parsePort(text: string, flag: string): number {
  const port = Number(text)
  if (!/^\d{1,5}$/.test(text) || port > 65535)
    throw usageError(`${flag} must be a port number (0-65535), got "${text}"`)
  return port
}

/** `mlmd-ts ui`: runs until SIGINT or SIGTERM. */
export async function ui(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseUiArgs>
  try {
    parsed = parseUiArgs(args)
  } catch (error) {
    throw usageError((error as Error).message)
  }
  const { values } = parsed
  if (values.help) {
    io.out(UI_USAGE)
    return 0
  }
  const port = parsePort(values.port ?? '8090', '--port')
  const source = openSource(values, io)
  try {
    const server = await startExplorerServer({
      store: source.store,
      host: values.host ?? '127.0.0.1',
      port,
      sourceLabel: source.description,
    })
    io.out(`mlmd-ts explorer on ${server.url} (read-only, ${source.description})`)
    await io.waitForSignal(() => {})
    await server.close()
    return 0
  } finally {
    source.close()
  }
}

function parseUiArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: {
      ...SOURCE_FLAG_OPTIONS,
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
}
