/**
 * The seed scenario without output, for tests and demos that need a store with real pipeline
 * records: Pipeline A runs every step, Pipeline B reuses A's ingest and preprocess from the
 * cache and runs its own train and evaluate.
 */
import { type PipelineRunResult, runPipeline } from '../src/runner/index.js'
import { createMetadataStore, toAsyncMetadataStore } from '../src/store/metadata-store.js'
import { seedPipelines } from './seed-steps.js'

/** Runs Pipeline A, then B, into the store file `db` with outputs under `root`. */
export async function seedStore(db: string, root: string, rows = 200): Promise<PipelineRunResult[]> {
  const owned = createMetadataStore({ filename: db })
  try {
    const store = toAsyncMetadataStore(owned)
    const { a, b } = seedPipelines(rows)
    const results: PipelineRunResult[] = []
    for (const pipeline of [a, b]) {
      const result = await runPipeline(pipeline, { store, pipelineRoot: root })
      if (result.status !== 'COMPLETE') throw new Error(`${pipeline.name} ended ${result.status}`)
      results.push(result)
    }
    return results
  } finally {
    owned.close()
  }
}
