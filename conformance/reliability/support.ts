/**
 * Shared pieces of the reliability suites: `mlmd-ts serve` and helper scripts as child
 * processes, the PutExecution workload every suite writes, and the audit that proves each write
 * is either whole or absent.
 *
 * The workload: write `w` is one PutExecution of an execution named `w` (custom property
 * `outputs` = n), an input artifact `w-in`, n output artifacts `w-out-<k>`, their n + 1 events,
 * and a new context `w-ctx` linked to all of them. A write is *whole* when every one of these
 * rows is there and linked, *absent* when none is; anything else is a torn write.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import {
  type AsyncMetadataStore,
  Event_Type,
  Execution_State,
  PropertyType,
  type PutExecutionRequest,
} from '../../src/index.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const HERE = fileURLToPath(new URL('./', import.meta.url))
export const TSX = createRequire(import.meta.url).resolve('tsx')
export const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts')

/** A fresh temporary directory. */
export function tempDir(name: string): string {
  return mkdtempSync(path.join(tmpdir(), `mlmd-ts-${name}-`))
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A running `mlmd-ts serve` child process. */
export interface ServeProcess {
  readonly child: ChildProcess
  readonly port: number
  /** Everything it printed so far (stdout and stderr). */
  output(): string
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>
}

/**
 * Spawns `mlmd-ts serve --db <db> --host 127.0.0.1 --port 0 <args>` and resolves once it prints
 * the port it bound on 127.0.0.1.
 */
export async function startServe(
  db: string,
  args: readonly string[] = [],
  options: { readonly defaultHost?: boolean } = {},
): Promise<ServeProcess> {
  // `defaultHost`: no --host at all, to see where the server binds by default.
  const host = options.defaultHost === true ? [] : ['--host', '127.0.0.1']
  const child = spawn(
    process.execPath,
    ['--import', TSX, CLI, 'serve', '--db', db, ...host, '--port', '0', ...args],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mlmd-ts serve did not start in 30 s:\n${output}`)),
      30_000,
    )
    const onData = () => {
      const match = / on 127\.0\.0\.1:(\d+) /.exec(output)
      if (match) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        resolve(Number(match[1]))
      }
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`mlmd-ts serve exited (${code ?? signal}) before serving:\n${output}`))
    })
  })
  return { child, port, output: () => output, exited }
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/**
 * Spawns a TypeScript helper script of this folder with `node --import tsx`, collecting its
 * output lines.
 */
export function spawnScript(
  script: string,
  args: readonly string[],
  options: { readonly stdin?: boolean } = {},
): { child: ChildProcess; lines: string[]; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', TSX, path.join(HERE, script), ...args], {
    cwd: REPO_ROOT,
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
  return collect(child)
}

/** Runs `mlmd-ts <args>` (from source) as a child process, collecting its output lines. */
export function spawnCli(args: readonly string[]): ReturnType<typeof collect> {
  return collect(
    spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
}

/** Collects the stdout lines and stderr of a child process. */
export function collect(child: ChildProcess): {
  child: ChildProcess
  lines: string[]
  stderr: () => string
  exited: Promise<number | null>
} {
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString()
    const parts = partial.split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  // 'close' (not 'exit'): every byte the process wrote before dying has been read by then.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      if (partial !== '') lines.push(partial)
      resolve(code)
    }),
  )
  return { child, lines, stderr: () => stderr, exited }
}

/** `PRAGMA integrity_check` of a database file, joined (`ok` when healthy). */
export function integrityCheck(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ')
  } finally {
    db.close()
  }
}

// --- the workload ---------------------------------------------------------------------------

/** Type names of the workload (shared with `mlmd_writer.py`). */
export const EXECUTION_TYPE = 'RelStep'
export const ARTIFACT_TYPE = 'RelData'
export const CONTEXT_TYPE = 'RelRun'

export interface WorkloadTypes {
  readonly execution: bigint
  readonly artifact: bigint
  readonly context: bigint
}

/** Creates (or finds) the workload's types. */
export async function workloadTypes(store: AsyncMetadataStore): Promise<WorkloadTypes> {
  const { type_id: execution } = await store.putExecutionType({ execution_type: { name: EXECUTION_TYPE } })
  const { type_id: artifact } = await store.putArtifactType({
    artifact_type: { name: ARTIFACT_TYPE, properties: { step: PropertyType.INT } },
  })
  const { type_id: context } = await store.putContextType({ context_type: { name: CONTEXT_TYPE } })
  return { execution: execution as bigint, artifact: artifact as bigint, context: context as bigint }
}

/** The PutExecution of write `name` with `outputs` output artifacts. */
export function putExecutionRequest(
  types: WorkloadTypes,
  name: string,
  outputs: number,
): PutExecutionRequest {
  return {
    execution: {
      type_id: types.execution,
      name,
      last_known_state: Execution_State.COMPLETE,
      custom_properties: { outputs: { int_value: BigInt(outputs) } },
    },
    artifact_event_pairs: [
      {
        artifact: { type_id: types.artifact, name: `${name}-in`, uri: `mem://${name}/in` },
        event: { type: Event_Type.INPUT },
      },
      ...Array.from({ length: outputs }, (_, k) => ({
        artifact: {
          type_id: types.artifact,
          name: `${name}-out-${k}`,
          uri: `mem://${name}/out/${k}`,
          properties: { step: { int_value: BigInt(k) } },
        },
        event: { type: Event_Type.OUTPUT, path: { steps: [{ key: 'out' }, { index: BigInt(k) }] } },
      })),
    ],
    contexts: [{ type_id: types.context, name: `${name}-ctx` }],
  }
}

/** What an audit found. */
export interface Audit {
  /** Writes whose every row is present and linked. */
  readonly whole: Set<string>
  /** Descriptions of torn writes: some rows present, others missing or unlinked. */
  readonly torn: string[]
}

const writeOf = (name: string) => name.replace(/-(in|out-\d+|ctx)$/, '')

/**
 * Checks every workload write in the store: each is whole, or absent without a trace. Works
 * over the gRPC client or an in-process store; a few calls per context, so meant for hundreds
 * of writes, not millions.
 */
export async function auditStore(store: AsyncMetadataStore): Promise<Audit> {
  const torn: string[] = []
  const { executions } = await store.getExecutionsByType({ type_name: EXECUTION_TYPE })
  const { artifacts } = await store.getArtifactsByType({ type_name: ARTIFACT_TYPE })
  const { contexts } = await store.getContextsByType({ type_name: CONTEXT_TYPE })
  const artifactByName = new Map(artifacts.map((a) => [a.name as string, a]))
  const contextByName = new Map(contexts.map((c) => [c.name as string, c]))
  const executionIds = executions.map((e) => e.id as bigint)
  const { events } = executionIds.length
    ? await store.getEventsByExecutionIDs({ execution_ids: executionIds })
    : { events: [] }
  const eventsByExecution = new Map<bigint, typeof events>()
  for (const event of events) {
    const list = eventsByExecution.get(event.execution_id as bigint) ?? []
    list.push(event)
    eventsByExecution.set(event.execution_id as bigint, list)
  }
  const whole = new Set<string>()
  const names = new Set<string>()
  for (const execution of executions) {
    const name = execution.name as string
    names.add(name)
    const problems: string[] = []
    const outputs = Number(execution.custom_properties?.outputs?.int_value ?? -1n)
    const expected = [`${name}-in`, ...Array.from({ length: outputs }, (_, k) => `${name}-out-${k}`)]
    const expectedIds = expected.map((n) => artifactByName.get(n)?.id)
    if (expectedIds.some((id) => id === undefined)) problems.push('artifacts missing')
    const own = eventsByExecution.get(execution.id as bigint) ?? []
    const inputs = own.filter((e) => e.type === Event_Type.INPUT).map((e) => e.artifact_id)
    const outs = own.filter((e) => e.type === Event_Type.OUTPUT).map((e) => e.artifact_id)
    if (own.length !== expected.length || inputs.length !== 1 || inputs[0] !== expectedIds[0]) {
      problems.push(`events: ${own.length} of ${expected.length}`)
    }
    if (new Set(outs).size !== outputs || outs.some((id) => !expectedIds.includes(id))) {
      problems.push('output events do not match the artifacts')
    }
    const context = contextByName.get(`${name}-ctx`)
    if (context === undefined) problems.push('context missing')
    else {
      const linkedExecutions = (await store.getExecutionsByContext({ context_id: context.id })).executions
      const linkedArtifacts = (await store.getArtifactsByContext({ context_id: context.id })).artifacts
      if (linkedExecutions.length !== 1 || linkedExecutions[0]?.id !== execution.id) {
        problems.push('association missing')
      }
      if (linkedArtifacts.length !== expected.length) {
        problems.push(`attributions: ${linkedArtifacts.length} of ${expected.length}`)
      }
    }
    if (problems.length === 0) whole.add(name)
    else torn.push(`${name}: ${problems.join(', ')}`)
  }
  // Rows of a write whose execution is absent: a torn write too.
  for (const name of [...artifactByName.keys(), ...contextByName.keys()]) {
    if (!names.has(writeOf(name))) torn.push(`${name}: present without its execution ${writeOf(name)}`)
  }
  return { whole, torn }
}

/** Whether a write left no row at all. */
export async function isAbsent(store: AsyncMetadataStore, name: string): Promise<boolean> {
  const execution = await store.getExecutionByTypeAndName({ type_name: EXECUTION_TYPE, execution_name: name })
  const input = await store.getArtifactByTypeAndName({
    type_name: ARTIFACT_TYPE,
    artifact_name: `${name}-in`,
  })
  const context = await store.getContextByTypeAndName({
    type_name: CONTEXT_TYPE,
    context_name: `${name}-ctx`,
  })
  return execution.execution === undefined && input.artifact === undefined && context.context === undefined
}

/** Prints a figure line in the test output (vitest shows console output of passing tests). */
export function report(suite: string, line: string): void {
  console.log(`[reliability:${suite}] ${line}`)
}

// --- certificates ---------------------------------------------------------------------------

/** PEM files for TLS tests, made with `openssl`: a CA, a server and client it signed, and a stranger signed by another CA. */
export interface Certificates {
  readonly dir: string
  readonly ca: string
  readonly serverKey: string
  readonly serverCert: string
  readonly clientKey: string
  readonly clientCert: string
  readonly strangerKey: string
  readonly strangerCert: string
}

/** Writes a CA, certificates it signed (for localhost / 127.0.0.1) and a stranger's into `dir`. */
export function makeCertificates(dir: string): Certificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  const ca = (name: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    )
  const leaf = (name: string, caName: string) => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    )
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.pem`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      `${name}.pem`,
    )
  }
  ca('ca')
  ca('other-ca')
  leaf('server', 'ca')
  leaf('client', 'ca')
  leaf('stranger', 'other-ca')
  const file = (name: string) => path.join(dir, name)
  return {
    dir,
    ca: file('ca.pem'),
    serverKey: file('server.key'),
    serverCert: file('server.pem'),
    clientKey: file('client.key'),
    clientCert: file('client.pem'),
    strangerKey: file('stranger.key'),
    strangerCert: file('stranger.pem'),
  }
}
