/**
 * The Python venv with the real ML Metadata (`ml-metadata==1.16.0`), for tests that compare
 * mlmd-ts with it. `bash scripts/python-env.sh` provisions it at `<repo>/.venv`.
 *
 * Locally, suites that need it are skipped with a message when it is missing; on CI (`CI` set)
 * they fail instead, so a broken provisioning step cannot pass as a green run.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'

/** Absolute path of the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Absolute path of `conformance/python/`, where the helper scripts live. */
export const PYTHON_DIR = fileURLToPath(new URL('./', import.meta.url))

/** The interpreter of the venv `scripts/python-env.sh` creates. */
export const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python')

const PROVISION = 'bash scripts/python-env.sh'

/** A usable interpreter with `ml_metadata` importable. */
export interface MlmdPython {
  readonly python: string
}

let probed: { readonly found: MlmdPython | undefined; readonly reason: string } | undefined

function probe(): { readonly found: MlmdPython | undefined; readonly reason: string } {
  if (!existsSync(VENV_PYTHON)) return { found: undefined, reason: `${VENV_PYTHON} does not exist` }
  const result = spawnSync(VENV_PYTHON, ['-c', 'import ml_metadata'], { encoding: 'utf8', timeout: 60_000 })
  if (result.status !== 0) {
    const detail = (result.stderr || result.error?.message || `exit status ${result.status}`).trim()
    return { found: undefined, reason: `\`import ml_metadata\` fails in ${VENV_PYTHON}: ${detail}` }
  }
  return { found: { python: VENV_PYTHON }, reason: '' }
}

/** The venv's interpreter if it exists and imports `ml_metadata`; probed once per process. */
export function mlmdPython(): MlmdPython | undefined {
  probed ??= probe()
  return probed.found
}

function isCi(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

/**
 * Returns the interpreter for `suite`, or `undefined` (after saying how to enable the suite)
 * when it is missing locally.
 * @throws Error on CI when the venv is missing: CI must provision it.
 */
export function requireMlmdPython(suite: string): MlmdPython | undefined {
  const found = mlmdPython()
  if (found !== undefined) return found
  const reason = probed?.reason ?? 'unknown reason'
  if (isCi()) {
    throw new Error(
      `${suite} needs the real ML Metadata, but ${reason}. CI must provision it with \`${PROVISION}\` before the tests.`,
    )
  }
  console.warn(
    `[skipped] ${suite}: needs the real ML Metadata (${reason}). Run \`${PROVISION}\` to enable it.`,
  )
  return undefined
}

/**
 * `describe` for suites that run the real MLMD: skipped locally when the venv is missing, and
 * replaced by one failing test on CI.
 */
export function describeWithMlmd(name: string, body: () => void): void {
  let found: MlmdPython | undefined
  try {
    found = requireMlmdPython(name)
  } catch (error) {
    describe(name, () => {
      it('has the ML Metadata venv', () => {
        throw error
      })
    })
    return
  }
  if (found === undefined) describe.skip(name, body)
  else describe(name, body)
}

/**
 * Runs the venv's Python with `scriptPath` (or `-c`) and `args`, and returns its stdout.
 * @throws Error carrying the exit status and stderr when the process fails.
 */
export function runPython(
  scriptPath: string,
  args: readonly string[] = [],
  options: { input?: string } = {},
): string {
  const found = mlmdPython()
  if (found === undefined) throw new Error(`runPython: no ML Metadata venv; run \`${PROVISION}\``)
  try {
    return execFileSync(found.python, [scriptPath, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      input: options.input,
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: REPO_ROOT,
    })
  } catch (error) {
    const failure = error as { status?: number | null; stderr?: string; message?: string }
    const stderr = (failure.stderr ?? '').trim()
    throw new Error(
      `python ${scriptPath === '-c' ? '-c <code>' : scriptPath} failed (status ${failure.status ?? '?'}):\n${stderr || failure.message}`,
      { cause: error },
    )
  }
}
