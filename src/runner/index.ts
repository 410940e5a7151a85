/**
 * The mlmd-ts pipeline runner: TypeScript steps wired into pipelines, run locally with step
 * caching, recorded in an MLMD store the way TFX records its runs.
 */

// For integrators: the cache key, the artifact store and the record conventions.
export {
  type ArtifactStore,
  contentFingerprint,
  createArtifactStore,
  type OpenArtifactStoreOptions,
  openArtifactStore,
  type S3ConnectionOptions,
} from './artifact-store.js'
// For users: defining and running pipelines.
export {
  type ArtifactBaseType,
  type ArtifactList,
  type ArtifactSpec,
  type ArtifactType,
  type CustomValue,
  defineArtifactType,
  isArtifactList,
  itemTypeOf,
  listOf,
  type PropertyKind,
  type PropertySchema,
  type PropertyValues,
} from './artifact-type.js'
export {
  CACHE_KEY_VERSION,
  type CacheKeyIngredients,
  cacheKeyDocument,
  cacheKeyIngredientsRecord,
  computeCacheKey,
  type OutputSkeleton,
} from './cache-key.js'
export { type CachedOutputs, type CacheLookup, findCachedOutputs, lookUpCache } from './cache-lookup.js'
export { type CanonicalValue, canonicalJson } from './canonical-json.js'
export {
  type CacheMissExplanation,
  diffCacheKeyIngredients,
  explainCacheMiss,
  formatCacheMissExplanation,
  type IngredientDifference,
} from './explain.js'
export type { Parameters, ParameterValue } from './parameters.js'
export {
  type AnyOutputRef,
  createPipeline,
  type InputRefs,
  type ListInputRef,
  type ListOutputRef,
  type NodeOptions,
  node,
  type OutputRef,
  type OutputRefs,
  outputRef,
  type Pipeline,
  type PipelineNode,
  type PipelineOptions,
} from './pipeline.js'
export {
  cacheKeyIngredients,
  type NodeOutput,
  type NodeResult,
  type NodeStatus,
  type PipelineRunResult,
  type RunEvent,
  type RunOptions,
  runPipeline,
} from './pipeline-runner.js'
export {
  createProgressReporter,
  describeNodeResult,
  describeRunResult,
  type ProgressOptions,
  type ProgressStream,
} from './progress.js'
export {
  openRepository,
  type PipelineRun,
  type PipelineSummary,
  type Repository,
  type RepositoryOptions,
  type RunStatus,
  type RunStep,
  type RunStepStatus,
  type RunsQuery,
} from './repository.js'
export {
  type ArtifactSignature,
  type CachePolicy,
  codeFingerprintOf,
  defineStep,
  type ExecutionBaseType,
  type InputArtifact,
  type InputOf,
  type OutputArtifact,
  type OutputArtifactList,
  type OutputOf,
  type RetryPolicy,
  type Step,
  type StepContext,
  type StepDefinition,
} from './step.js'
export { CONTEXT_TYPE, CUSTOM_PROPERTY, nodeContextName, RUNNER_VERSION, TFX_VERSION } from './tfx-records.js'
export { type VerifyOptions, type VerifyProblem, type VerifyReport, verifyArtifacts } from './verify.js'
