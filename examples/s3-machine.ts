// One "machine" of the two-machine S3 scenario (src/runner/s3-artifact-store.test.ts): a
// separate process with its own local folder that runs one seed pipeline against a shared MLMD server and a shared S3 root, then prints its result as
// JSON on the last line of standard output. With STOP_BEFORE_MANIFEST=1 it announces the
// moment every blob of its first output is uploaded and its manifest is not, and waits there
// to be killed.
import { createMetadataStoreClient } from '../src/client/index.js'
import { runPipeline } from '../src/runner/pipeline-runner.js'
import { createS3ArtifactStore } from '../src/runner/s3-artifact-store.js'
import { seedPipelines } from './seed-steps.js'

const env = process.env
const [host, port] = (env.MLMD_GRPC as string).split(':')
const store = createMetadataStoreClient({ host, port: Number(port) })
const artifacts = createS3ArtifactStore(env.ROOT as string, {
  localDir: env.LOCAL_DIR as string,
  hooks:
    env.STOP_BEFORE_MANIFEST === '1'
      ? {
          beforeManifest: async (key) => {
            process.stdout.write(`BEFORE-MANIFEST ${key}\n`)
            await new Promise(() => undefined)
          },
        }
      : {},
})
const pipelines = seedPipelines(Number(env.ROWS ?? 5000))
const pipeline = env.PIPELINE === 'b' ? pipelines.b : pipelines.a
try {
  const result = await runPipeline(pipeline, { store, artifactStore: artifacts, progress: false })
  const nodes = result.nodes.map((n) => ({
    nodeId: n.nodeId,
    status: n.status,
    durationMs: Math.round(n.durationMs),
    savedMs: n.savedMs,
    cacheMiss: n.cacheMiss,
    uri: Object.values(n.outputs)[0]?.[0]?.uri,
    error: n.error === undefined ? undefined : String(n.error),
  }))
  process.stdout.write(
    `${JSON.stringify({ status: result.status, durationMs: Math.round(result.durationMs), nodes })}\n`,
  )
} finally {
  artifacts.close?.()
  store.close()
}
