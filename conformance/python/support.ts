/**
 * Shared by the vitest wrappers of the Python suites: running the venv's Python without blocking
 * the event loop (the server under test runs in the same process), recording which RPCs a
 * server answered, starting a server over a fresh temp file, and writing the results file the
 * compatibility matrix reads (`conformance/results/python-<suite>.json`).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createGrpcServer, type GrpcServer } from '../../src/service/grpc-server.js'
import {
  createMetadataStore,
  type MetadataStoreOptions,
  type OwnedMetadataStore,
} from '../../src/store/metadata-store.js'
import type { MetadataStore } from '../../src/store/metadata-store-api.js'
import { mlmdPython, REPO_ROOT } from './venv.js'

/** Where suites write which RPCs they exercised. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'conformance', 'results')

/** Exit status and combined stdout+stderr of a Python run; stdout alone too. */
export interface PythonRun {
  readonly code: number
  readonly output: string
  readonly stdout: string
}

/**
 * Runs the venv's Python with `args` asynchronously (never throws for a failing exit status).
 * @throws Error when there is no ML Metadata venv.
 */
export function runPythonAsync(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<PythonRun> {
  const interpreter = mlmdPython()?.python
  if (interpreter === undefined) throw new Error('no ML Metadata venv; run `bash scripts/python-env.sh`')
  return new Promise((resolve) => {
    const child = execFile(
      interpreter,
      args,
      {
        cwd: REPO_ROOT,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
        maxBuffer: 256 << 20,
        timeout: options.timeoutMs ?? 0,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, output: `${stdout}${stderr}`, stdout })
      },
    )
    child.stdin?.end(options.input ?? '')
  })
}

/** The last line of `text` parsed as JSON (the Python scripts print their summary last). */
export function lastJsonLine<T>(text: string): T {
  const line = text.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line) as T
}

/** Wraps a store so that the operations it serves are recorded by RPC name. */
export function recording(
  store: MetadataStore,
  called: Set<string>,
  failures?: Map<string, string[]>,
): MetadataStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown
      if (typeof value !== 'function' || typeof name !== 'string') return value
      const rpc = `${name.charAt(0).toUpperCase()}${name.slice(1)}`
      return (request: unknown) => {
        called.add(rpc)
        try {
          return (value as (r: unknown) => unknown).call(target, request)
        } catch (error) {
          if (failures !== undefined) {
            const code = (error as { code?: unknown }).code
            const list = failures.get(rpc) ?? []
            list.push(String(code))
            failures.set(rpc, list)
          }
          throw error
        }
      }
    },
  })
}

/** A server on a free loopback port over a store on a fresh temp file. */
export interface TempServer {
  readonly server: GrpcServer
  readonly store: OwnedMetadataStore
  readonly dir: string
  readonly filename: string
  readonly address: string
  close(): Promise<void>
}

/** Starts {@link TempServer}; `wrap` may replace the store the server sees (e.g. recording). */
export async function startTempServer(
  options: {
    wrap?: (store: MetadataStore) => MetadataStore
    storeOptions?: Partial<MetadataStoreOptions>
  } = {},
): Promise<TempServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-python-'))
  const filename = path.join(dir, 'mlmd.sqlite')
  const store = createMetadataStore({ ...options.storeOptions, filename })
  const served = options.wrap === undefined ? store : options.wrap(store)
  let server: GrpcServer
  try {
    server = await createGrpcServer({ store: served, host: '127.0.0.1', port: 0 })
  } catch (error) {
    store.close()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    server,
    store,
    dir,
    filename,
    address: `127.0.0.1:${server.port}`,
    async close() {
      await server.shutdown()
      store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Writes `conformance/results/python-<suite>.json` with the RPCs a suite exercised. */
export function writeResults(
  suite: string,
  rpcs: Iterable<string>,
  details: Record<string, unknown> = {},
): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const body = { suite: `python-${suite}`, rpcs: [...new Set(rpcs)].sort(), ...details }
  writeFileSync(path.join(RESULTS_DIR, `python-${suite}.json`), `${JSON.stringify(body, null, 2)}\n`)
}
