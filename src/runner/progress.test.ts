import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import { defineArtifactType } from './artifact-type.js'
import { createPipeline, node, type Pipeline } from './pipeline.js'
import { runPipeline } from './pipeline-runner.js'
import { createProgressReporter, type ProgressStream } from './progress.js'
import { defineStep } from './step.js'

const Blob = defineArtifactType({ name: 'Blob' })

const make = defineStep({
  type: 'tsrunner.test.progress.Make',
  outputs: { blob: Blob },
  async run({ outputs, log }) {
    log('making')
    await new Promise((resolve) => setTimeout(resolve, 120))
    await writeFile(path.join(outputs.blob.dir, 'b'), 'x')
  },
})

const broken = defineStep({
  type: 'tsrunner.test.progress.Broken',
  inputs: { blob: Blob },
  outputs: { blob: Blob },
  run() {
    throw new Error('disk on fire\nsecond line')
  },
})

function pipeline(): Pipeline {
  const m = node('make', make)
  const b = node('broken', broken, { inputs: { blob: m.outputs.blob } })
  const after = node('after', broken, { inputs: { blob: b.outputs.blob } })
  return createPipeline('progress', [m, b, after])
}

function recorder(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = []
  return { isTTY, write: (t: string) => chunks.push(t), text: () => chunks.join('') }
}

let dir: string
let owned: OwnedMetadataStore
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlmd-ts-progress-'))
  owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
})
afterEach(async () => {
  owned.close()
  await rm(dir, { recursive: true, force: true })
})

const runWith = (stream: ProgressStream) =>
  runPipeline(pipeline(), {
    store: toAsyncMetadataStore(owned),
    pipelineRoot: path.join(dir, 'root'),
    progress: stream,
  })

describe('default progress output', () => {
  it('prints one plain line per change when the stream is not a terminal', async () => {
    const stream = recorder(false)
    const result = await runWith(stream)
    expect(result.status).toBe('FAILED')
    const lines = stream.text().trimEnd().split('\n')
    expect(lines[0]).toMatch(/^progress · run \S+ · 3 steps$/)
    expect(lines).toContain('    make    making')
    expect(lines.some((l) => /^ {2}✓ make {4}ran in \d+\.\d\d s \(execution \d+\)$/.test(l))).toBe(true)
    expect(lines).toContain('  ✗ broken  FAILED: disk on fire')
    expect(lines).toContain('  - after   skipped (broken did not succeed)')
    expect(lines.at(-1)).toMatch(/^progress: FAILED in \d+\.\d\d s \(1 ran, 1 failed, 1 skipped\)$/)
    expect(stream.text()).not.toContain('\x1b[')
  })

  it('redraws live per-step status lines on a terminal', async () => {
    const stream = recorder(true)
    await runWith(stream)
    const text = stream.text()
    expect(text).toContain('\x1b[3A') // moves up over the three step lines to redraw them
    expect(text).toMatch(/· after +waiting/)
    expect(text).toMatch(/▶ make +running \d+\.\d\d s/)
    expect(text).toContain('✗ broken  FAILED: disk on fire')
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^progress: FAILED in/)
  })

  it('gives way to an onEvent handler, and can be used as one directly', async () => {
    const events: string[] = []
    const result = await runPipeline(pipeline(), {
      store: toAsyncMetadataStore(owned),
      pipelineRoot: path.join(dir, 'root'),
      onEvent: (e) => events.push(e.kind),
    })
    expect(result.status).toBe('FAILED')
    expect(events[0]).toBe('run-started')
    const stream = recorder(false)
    const reporter = createProgressReporter(stream, { live: false })
    reporter({ kind: 'run-started', pipelineName: 'p', runId: 'r', nodeIds: ['a'] })
    expect(stream.text()).toBe('p · run r · 1 steps\n')
  })
})
