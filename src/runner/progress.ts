/**
 * The default progress output of a run: what {@link runPipeline} shows when the caller passes
 * no `onEvent` handler. On a terminal it keeps one live line per step (waiting, running with
 * its elapsed time, then how it ended) and redraws them in place; anywhere else (a pipe, a CI
 * log) it prints one plain line per change, so logs stay readable and greppable.
 *
 * The reporter writes to a stream it is given, never to the console directly, so tests and
 * embedding programs decide where progress goes.
 *
 * @example
 * ```ts
 * await runPipeline(pipeline, { store, pipelineRoot, onEvent: createProgressReporter(process.stdout) })
 * ```
 */
import type { NodeResult, NodeStatus, PipelineRunResult, RunEvent } from './pipeline-runner.js'

/** Where progress goes: a Node writable such as `process.stderr`, or anything shaped like one. */
export interface ProgressStream {
  write(text: string): unknown
  /** True for a terminal: the reporter then redraws live status lines. */
  readonly isTTY?: boolean | undefined
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** Overrides the stream's own `isTTY`. */
  readonly live?: boolean
  /** How often live lines refresh the elapsed time of running steps; default 200 ms. */
  readonly refreshMs?: number
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

const MARK: Readonly<Record<NodeStatus, string>> = { ran: '✓', cached: '↺', failed: '✗', skipped: '-' }

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n')[0] ?? ''
}

/** How one finished step reads in progress output, e.g. `cached: reused execution 3, saved 1.20 s`. */
export function describeNodeResult(result: NodeResult): string {
  switch (result.status) {
    case 'ran':
      return `ran in ${seconds(result.durationMs)} (execution ${result.executionId})`
    case 'cached':
      return `cached: reused execution ${result.reusedExecutionId}, saved ${seconds(result.savedMs ?? 0)}`
    case 'failed':
      return `FAILED: ${errorText(result.error)}`
    case 'skipped':
      return `skipped (${result.blockedBy} did not succeed)`
  }
}

/** The closing line of a run, e.g. `seed-a: COMPLETE in 3.10 s (2 ran, 2 cached, 1.80 s saved)`. */
export function describeRunResult(result: PipelineRunResult): string {
  const count = (status: NodeStatus): number => result.nodes.filter((n) => n.status === status).length
  const parts = (['ran', 'cached', 'failed', 'skipped'] as const)
    .filter((status) => count(status) > 0)
    .map((status) => `${count(status)} ${status}`)
  const saved = result.nodes.reduce((sum, n) => sum + (n.savedMs ?? 0), 0)
  if (saved > 0) parts.push(`${seconds(saved)} saved`)
  return `${result.pipelineName}: ${result.status} in ${seconds(result.durationMs)} (${parts.join(', ')})`
}

interface LiveLine {
  state: 'waiting' | 'running' | 'done'
  started: number
  text: string
}

/**
 * An `onEvent` handler that prints progress to `stream`: live, redrawn lines on a terminal,
 * one plain line per event otherwise. Each handler follows one run at a time.
 */
export function createProgressReporter(
  stream: ProgressStream,
  options: ProgressOptions = {},
): (event: RunEvent) => void {
  return (options.live ?? stream.isTTY === true) ? liveReporter(stream, options) : plainReporter(stream)
}

function plainReporter(stream: ProgressStream): (event: RunEvent) => void {
  let width = 0
  const label = (id: string): string => id.padEnd(width)
  return (event) => {
    switch (event.kind) {
      case 'run-started':
        width = Math.max(0, ...event.nodeIds.map((id) => id.length))
        stream.write(`${event.pipelineName} · run ${event.runId} · ${event.nodeIds.length} steps\n`)
        break
      case 'node-started':
        stream.write(`  … ${label(event.nodeId)}  started (cache key ${event.cacheKey.slice(0, 12)}…)\n`)
        break
      case 'node-log':
        stream.write(`    ${label(event.nodeId)}  ${event.message}\n`)
        break
      case 'node-finished':
        stream.write(
          `  ${MARK[event.result.status]} ${label(event.result.nodeId)}  ${describeNodeResult(event.result)}\n`,
        )
        break
      case 'run-finished':
        stream.write(`${describeRunResult(event.result)}\n`)
        break
    }
  }
}

// ANSI: cursor up n lines, erase the line.
const up = (n: number): string => (n > 0 ? `\x1b[${n}A` : '')
const ERASE = '\x1b[2K\r'

function liveReporter(stream: ProgressStream, options: ProgressOptions): (event: RunEvent) => void {
  const lines = new Map<string, LiveLine>()
  let order: string[] = []
  let width = 0
  let drawn = 0
  let timer: ReturnType<typeof setInterval> | undefined

  const render = (id: string, line: LiveLine, now: number): string => {
    const label = id.padEnd(width)
    if (line.state === 'waiting') return `  · ${label}  waiting`
    if (line.state === 'running') return `  ▶ ${label}  running ${seconds(now - line.started)}`
    return line.text
  }
  const draw = (): void => {
    const now = performance.now()
    let text = up(drawn)
    for (const id of order) text += `${ERASE}${render(id, lines.get(id) as LiveLine, now)}\n`
    drawn = order.length
    stream.write(text)
  }
  // Writes text above the live block, then redraws the block under it.
  const above = (text: string): void => {
    stream.write(`${up(drawn)}${ERASE}${text}\n`)
    // The block is redrawn one line lower, from here: it covers every line of the old one.
    drawn = 0
    draw()
  }
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
  }

  return (event) => {
    switch (event.kind) {
      case 'run-started':
        stop()
        order = [...event.nodeIds]
        width = Math.max(0, ...order.map((id) => id.length))
        lines.clear()
        for (const id of order) lines.set(id, { state: 'waiting', started: 0, text: '' })
        drawn = 0
        stream.write(`${event.pipelineName} · run ${event.runId} · ${order.length} steps\n`)
        draw()
        timer = setInterval(draw, options.refreshMs ?? 200)
        // A progress display must never keep a finished program alive.
        timer.unref?.()
        break
      case 'node-started': {
        const line = lines.get(event.nodeId)
        if (line !== undefined) Object.assign(line, { state: 'running', started: performance.now() })
        draw()
        break
      }
      case 'node-log':
        above(`    ${event.nodeId.padEnd(width)}  ${event.message}`)
        break
      case 'node-finished': {
        const { result } = event
        const text = `  ${MARK[result.status]} ${result.nodeId.padEnd(width)}  ${describeNodeResult(result)}`
        lines.set(result.nodeId, { state: 'done', started: 0, text })
        draw()
        break
      }
      case 'run-finished':
        stop()
        draw()
        stream.write(`${describeRunResult(event.result)}\n`)
        drawn = 0
        break
    }
  }
}
