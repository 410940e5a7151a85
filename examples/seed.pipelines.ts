/**
 * The seed scenario's two pipelines as a module for `mlmd-ts run`:
 *
 *   npx tsx src/cli/main.ts run examples/seed.pipelines.ts --db mlmd.sqlite --root pipeline-root
 *
 * Set SEED_ROWS to change the size of the generated data set (default 20000).
 */
import { seedPipelines } from './seed-steps.js'

const { a, b } = seedPipelines(Number(process.env.SEED_ROWS ?? 20_000))

/** Pipeline A (least squares) and its copy B (gradient descent), run in this order. */
export const seed = [a, b]
