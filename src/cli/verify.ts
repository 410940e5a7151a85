/**
 * `mlmd-ts verify`: re-fingerprints every LIVE artifact the runner published and reports the
 * ones lost or changed; with `--mark`, records them so they are never reused.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createMetadataStoreClient } from '../client/index.js'
import { openArtifactStore, verifyArtifacts } from '../runner/index.js'
import { createMetadataStore, toAsyncMetadataStore } from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import type { CliIo } from './io.js'
import { usageError } from './io.js'

/** Usage text of `mlmd-ts verify`. */
export const VERIFY_USAGE = `Usage: mlmd-ts verify [options]

Reads back every LIVE artifact that carries a content fingerprint
(tsrunner_content_fingerprint) and checks its payload still has it. Prints
each artifact that is lost or changed; exits 1 if there is any.

Options:
  --db PATH            MLMD SQLite file, used in process (default: ./mlmd.sqlite)
  --grpc HOST:PORT     an MLMD server instead of --db
  --root URI           check only artifacts under this pipeline root (a folder
                       or s3://bucket/prefix; s3:// roots use the AWS environment)
  --s3-endpoint URL    the S3 endpoint for s3:// artifacts
  --mark               record the findings: lost artifacts become DELETED,
                       changed ones MARKED_FOR_DELETION, both with
                       tsrunner_verify_problem; runs then never reuse them
  -h, --help           show this help`

/** Runs `mlmd-ts verify`; resolves 0 when everything checked is intact, else 1. */
export async function verify(args: readonly string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        grpc: { type: 'string' },
        root: { type: 'string' },
        's3-endpoint': { type: 'string' },
        mark: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (error) {
    throw usageError((error as Error).message)
  }
  if (values.help === true) {
    io.out(VERIFY_USAGE)
    return 0
  }
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`)
  if (values.db !== undefined && values.grpc !== undefined)
    throw usageError('--db and --grpc exclude each other')
  const rootArg = values.root as string | undefined
  const root = rootArg === undefined || rootArg.startsWith('s3://') ? rootArg : path.resolve(io.cwd, rootArg)
  const endpoint = values['s3-endpoint'] as string | undefined
  // Artifacts are checked wherever their uri points; an S3 client is opened when the root or
  // an endpoint says S3 is in use (it also checks local paths).
  const artifacts = await openArtifactStore(
    root?.startsWith('s3://') === true ? root : endpoint !== undefined ? 's3://verify' : (root ?? io.cwd),
    endpoint === undefined ? {} : { s3: { endpoint } },
  )

  let store: AsyncMetadataStore
  let close: () => void
  if (typeof values.grpc === 'string') {
    const match = /^(.+):(\d+)$/.exec(values.grpc)
    if (match === null) throw usageError(`--grpc takes HOST:PORT, not "${values.grpc}"`)
    const client = createMetadataStoreClient({ host: match[1], port: Number(match[2]) })
    ;[store, close] = [client, () => client.close()]
  } else {
    const owned = createMetadataStore({
      filename: path.resolve(io.cwd, (values.db as string | undefined) ?? 'mlmd.sqlite'),
      mustExist: true,
    })
    ;[store, close] = [toAsyncMetadataStore(owned), () => owned.close()]
  }
  try {
    const report = await verifyArtifacts(store, artifacts, {
      mark: values.mark === true,
      ...(root === undefined ? {} : { under: root }),
    })
    for (const p of report.problems) {
      io.out(`${p.kind.padEnd(10)} artifact ${p.artifactId}  ${p.uri}`)
      io.out(`           ${p.problem}`)
    }
    io.out(
      `${report.checked} checked: ${report.intact} intact, ${report.problems.length} with problems` +
        `${values.mark === true ? `, ${report.marked} marked` : ''}; ${report.skipped} skipped (no fingerprint or outside the root)`,
    )
    return report.problems.length === 0 ? 0 : 1
  } finally {
    artifacts.close?.()
    close()
  }
}
