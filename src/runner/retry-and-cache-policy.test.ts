import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { Execution_State } from '../proto/messages.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import { defineArtifactType } from './artifact-type.js'
import { createPipeline, type NodeOptions, node } from './pipeline.js'
import { type PipelineRunResult, type RunOptions, runPipeline } from './pipeline-runner.js'
import { type CachePolicy, defineStep, type Empty, type RetryPolicy } from './step.js'

const Text = defineArtifactType({ name: 'Text' })

// Fails until `failures` attempts have failed, writing junk into its workspace each time.
let failures = 0
let seenAttempts: number[] = []
const flaky = defineStep({
  type: 'tsrunner.test.policy.Flaky',
  outputs: { text: Text },
  async run({ outputs, attempt }) {
    seenAttempts.push(attempt)
    if (attempt <= failures) {
      await writeFile(path.join(outputs.text.dir, 'junk'), 'partial')
      throw new Error(`flake ${attempt}`)
    }
    await writeFile(path.join(outputs.text.dir, 'ok.txt'), 'ok')
  },
})

// Waits `slowMs` unless aborted; records whether its signal fired.
let slowMs = 0
let aborted: unknown[] = []
const slow = defineStep({
  type: 'tsrunner.test.policy.Slow',
  outputs: { text: Text },
  async run({ outputs, signal, attempt }) {
    const wait = attempt === 1 ? slowMs : 0
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait)
      signal.addEventListener('abort', () => {
        aborted.push(signal.reason)
        clearTimeout(timer)
        resolve()
      })
    })
    await writeFile(path.join(outputs.text.dir, 'slow.txt'), String(attempt))
  },
})

let dir: string
let owned: OwnedMetadataStore
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-policy-'))
  owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
  failures = 0
  seenAttempts = []
  slowMs = 0
  aborted = []
})
afterEach(async () => {
  owned.close()
  await rm(dir, { recursive: true, force: true })
})

function runOne(
  step: typeof flaky,
  options: NodeOptions<Empty, Empty> & { retry?: RetryPolicy; cache?: CachePolicy } = {},
  runOptions: Partial<RunOptions> = {},
): Promise<PipelineRunResult> & { logs?: string[] } {
  const logs: string[] = []
  const promise = runPipeline(createPipeline('policy', [node('n', step, options)]), {
    store: toAsyncMetadataStore(owned),
    pipelineRoot: path.join(dir, 'root'),
    onEvent: (e) => {
      if (e.kind === 'node-log') logs.push(e.message)
    },
    ...runOptions,
  }) as Promise<PipelineRunResult> & { logs?: string[] }
  promise.logs = logs
  return promise
}

const only = (r: PipelineRunResult) => r.nodes[0] as NonNullable<PipelineRunResult['nodes'][0]>

describe('retries', () => {
  it('retries a failing step with doubling backoff in a fresh workspace each time', async () => {
    failures = 2
    const running = runOne(flaky, { retry: { retries: 2, backoffMs: 20 } })
    const result = await running
    expect(only(result)).toMatchObject({ status: 'ran', attempts: 3 })
    expect(seenAttempts).toEqual([1, 2, 3])
    expect(running.logs).toEqual([
      'attempt 1 of 3 failed (flake 1); retrying in 20 ms',
      'attempt 2 of 3 failed (flake 2); retrying in 40 ms',
    ])
    expect(await readdir(only(result).outputs.text?.[0]?.uri as string)).toEqual(['ok.txt'])
  })

  it('fails the node once the retries are used up, and records FAILED', async () => {
    failures = 5
    const result = await runOne(flaky, { retry: { retries: 1, backoffMs: 0 } })
    expect(only(result)).toMatchObject({ status: 'failed', attempts: 2 })
    expect((only(result).error as Error).message).toBe('flake 2')
    const { executions = [] } = owned.getExecutionsByID({
      execution_ids: [only(result).executionId as bigint],
    })
    expect(executions[0]?.last_known_state).toBe(Execution_State.FAILED)
  })

  it('refuses a negative retry count', () => {
    expect(() => node('n', flaky, { retry: { retries: -1 } })).toThrow(
      'retries must be a non-negative integer',
    )
  })
})

describe('timeouts', () => {
  it('fails an attempt that exceeds its time limit with DEADLINE_EXCEEDED and aborts its signal', async () => {
    slowMs = 5_000
    const result = await runOne(slow, { retry: { timeoutMs: 100 } })
    expect(only(result).status).toBe('failed')
    expect(only(result).error).toBeInstanceOf(MlmdError)
    expect((only(result).error as MlmdError).code).toBe(Code.DeadlineExceeded)
    expect(aborted).toHaveLength(1)
    expect(only(result).durationMs).toBeLessThan(4_000)
  })

  it('retries a timed-out attempt', async () => {
    slowMs = 5_000
    const result = await runOne(slow, { retry: { timeoutMs: 100, retries: 1, backoffMs: 0 } })
    expect(only(result)).toMatchObject({ status: 'ran', attempts: 2 })
  })
})

describe('cache policies', () => {
  const contextTypesOf = (executionId: bigint): string[] =>
    (owned.getContextsByExecution({ execution_id: executionId }).contexts ?? []).map((c) => c.type as string)

  it('use: a second run reuses the first', async () => {
    const first = await runOne(flaky, { cache: 'use' })
    const second = await runOne(flaky, { cache: 'use' })
    expect([only(first).status, only(second).status]).toEqual(['ran', 'cached'])
  })

  it('refresh: always runs, and later runs reuse the refreshed outputs', async () => {
    const first = await runOne(flaky)
    const refreshed = await runOne(flaky, { cache: 'refresh' })
    expect(only(refreshed).status).toBe('ran')
    expect(only(refreshed).cacheMiss).toBe('the cache policy of this step is refresh')
    const later = await runOne(flaky)
    expect(only(later).status).toBe('cached')
    expect(only(later).reusedExecutionId).toBe(only(refreshed).executionId)
    expect(only(later).reusedExecutionId).not.toBe(only(first).executionId)
  })

  it('off: always runs and files nothing under the cache key', async () => {
    const off = await runOne(flaky, { cache: 'off' })
    expect(only(off).status).toBe('ran')
    expect(contextTypesOf(only(off).executionId as bigint)).toEqual(['pipeline', 'pipeline_run', 'node'])
    const next = await runOne(flaky)
    expect(only(next).status).toBe('ran')
    expect(only(next).cacheMiss).toBe('no earlier execution has this cache key')
  })

  it('a run with caching off refreshes use nodes and keeps off nodes off', async () => {
    const refreshed = await runOne(flaky, {}, { enableCache: false })
    expect(contextTypesOf(only(refreshed).executionId as bigint)).toContain('execution_cache')
    const off = await runOne(flaky, { cache: 'off' }, { enableCache: false })
    expect(contextTypesOf(only(off).executionId as bigint)).not.toContain('execution_cache')
  })

  it('enableCache: false on a node or step means refresh', () => {
    expect(node('n', flaky, { enableCache: false }).cache).toBe('refresh')
    const step = defineStep({ type: 'tsrunner.test.policy.NoCache', enableCache: false, run() {} })
    expect(step.cache).toBe('refresh')
    expect(node('n', step).enableCache).toBe(false)
    expect(node('n', step, { cache: 'use' }).enableCache).toBe(true)
  })
})
