// vitest's global setup for the server-engine tests: one run folder per `vitest run`, shared with
// every worker through the environment, in which scripts/engine-servers.sh starts each engine's
// server the first time a test asks for it; teardown stops whatever was started. Should the run
// be killed before teardown, the script's watchdog sees this process gone and stops the servers.
import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { ENGINE_SERVERS_SCRIPT, RUN_DIR_VARIABLE, RUN_OWNER_VARIABLE } from './engine-servers.test-support.js'

/** Creates the run folder and tells the workers (which inherit this environment) where it is. */
export async function setup(): Promise<void> {
  process.env[RUN_DIR_VARIABLE] = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-engines-'))
  process.env[RUN_OWNER_VARIABLE] = String(process.pid)
}

/** Stops the servers of this run and removes their data. */
export async function teardown(): Promise<void> {
  const dir = process.env[RUN_DIR_VARIABLE]
  if (dir === undefined) return
  await promisify(execFile)('bash', [ENGINE_SERVERS_SCRIPT, 'stop', dir], { timeout: 120_000 })
}
