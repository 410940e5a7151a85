/**
 * The child processes of a run: drivers (one JSON command per line, one answer per line) and
 * mlmd-ts servers (`mlmd-ts serve --port 0`, whose port is read from its first line).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Command, MemResult, Reply } from './protocol.js'

export const ROOT = path.resolve(import.meta.dirname, '..', '..')

type CommandBody = Command extends infer C ? (C extends Command ? Omit<C, 'seq'> : never) : never

/** A driver process. */
export class Driver {
  private readonly child: ChildProcess
  private seq = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private exited = false
  private stderrTail = ''

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    private readonly onProgress: (name: string, text: string) => void = () => {},
    cwd: string = ROOT,
  ) {
    this.child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
      this.onLine(line),
    )
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000)
    })
    this.child.on('exit', (code) => {
      this.exited = true
      for (const p of this.pending.values()) {
        p.reject(new Error(`${this.name} exited (${code}):\n${this.stderrTail}`))
      }
      this.pending.clear()
    })
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  private onLine(line: string): void {
    if (!line.startsWith('{')) return
    const reply = JSON.parse(line) as Reply
    if ('progress' in reply) {
      this.onProgress(this.name, reply.progress)
      return
    }
    const p = this.pending.get(reply.seq)
    if (!p) return
    this.pending.delete(reply.seq)
    if (reply.ok) p.resolve(reply.result)
    else p.reject(new Error(`${this.name}: ${reply.error}`))
  }

  request<T = unknown>(body: CommandBody): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited:\n${this.stderrTail}`))
    const seq = ++this.seq
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject })
      this.child.stdin?.write(`${JSON.stringify({ ...body, seq })}\n`)
    })
  }

  memory(): Promise<MemResult> {
    return this.request<MemResult>({ cmd: 'mem' })
  }

  async stop(): Promise<void> {
    if (this.exited) return
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.stdin?.end()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await done
    clearTimeout(timer)
  }
}

/**
 * Extra node flags for the TS drivers and the servers, from `MLMD_BENCH_NODE_ARGS` (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile every target process of a run).
 */
export function extraNodeArgs(): string[] {
  return (process.env.MLMD_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
}

/** The TS driver of the checkout at `root` (this one by default; another for a before/after run). */
export function tsDriver(
  name: string,
  onProgress?: (name: string, text: string) => void,
  root: string = ROOT,
): Driver {
  return new Driver(
    name,
    process.execPath,
    [...extraNodeArgs(), '--import', 'tsx', 'bench/drivers/ts-driver.ts'],
    onProgress,
    root,
  )
}

export function pythonPath(): string {
  return process.env.MLMD_BENCH_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python')
}

export function pyDriver(name: string): Driver {
  return new Driver(name, pythonPath(), ['bench/drivers/py_driver.py'])
}

/** Peak and current RSS of a process, in KiB. */
export function processMemory(pid: number): MemResult {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
  return { hwm_kb: kb('VmHWM'), rss_kb: kb('VmRSS') }
}

/** A running `mlmd-ts serve` on a file. */
export class Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get pid(): number {
    return this.child.pid ?? -1
  }

  /** Serves `db` with the checkout at `root` (this one by default), with extra `serve` flags. */
  static start(
    db: string,
    nodeArgs: readonly string[] = extraNodeArgs(),
    root: string = ROOT,
    serveArgs: readonly string[] = [],
  ): Promise<Server> {
    const child = spawn(
      process.execPath,
      [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--db', db, '--port', '0', ...serveArgs],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
    })
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
      lines.on('line', (line) => {
        const m = /^mlmd-ts serving .* on [^ ]*:(\d+) /.exec(line)
        if (m) resolve(new Server(child, Number(m[1])))
      })
      child.on('exit', (code) =>
        reject(new Error(`mlmd-ts serve exited (${code}) before serving:\n${stderr}`)),
      )
    })
  }

  memory(): MemResult {
    return processMemory(this.pid)
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await done
    clearTimeout(timer)
  }
}
