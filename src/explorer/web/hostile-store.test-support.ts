/**
 * A store whose names, URIs and property values are HTML and script, for the explorer's
 * escaping tests: each payload would run `window.__pwned = …` or open a dialog if it were
 * ever parsed as markup.
 */
import { Event_Type, Execution_State } from '../../proto/messages.js'
import { CUSTOM_PROPERTY } from '../../runner/tfx-records.js'
import type { MetadataStore } from '../../store/metadata-store-api.js'

// Cache key ingredients as the runner records them, with one parameter set to `value`.
const ingredients = (value: number): string =>
  JSON.stringify({
    key_version: 'tsrunner-v1',
    pipeline_info: { id: PAYLOADS.pipeline },
    node_info: { id: PAYLOADS.ingredient, type: { name: PAYLOADS.typeName } },
    executor_spec: { code_fingerprint: 'sha256:0' },
    parameters: { [PAYLOADS.ingredient]: value },
    inputs: {},
    outputs: {},
  })

/** Markup that must only ever show up as text. */
export const PAYLOADS = {
  typeName: '<img src=x onerror="window.__pwned=1">',
  artifactName: '"><script>window.__pwned=2</script>',
  uri: 'javascript:window.__pwned=3//</td><script>window.__pwned=3</script>',
  property: '</script><script>window.__pwned=4</script><!--',
  pipeline: '<svg onload="window.__pwned=5"></svg>\'&',
  executionName: '<iframe src="javascript:alert(6)"></iframe>',
  // A node id and parameter name in the recorded cache key, shown by "why it ran".
  ingredient: '<img src=y onerror="window.__pwned=7">',
} as const

/** Ids of what {@link fillHostileStore} wrote. */
export interface HostileIds {
  readonly artifactId: bigint
  readonly executionId: bigint
  readonly pipelineId: bigint
  readonly runId: bigint
}

/** Writes a pipeline, a run, an execution and an artifact named with {@link PAYLOADS}. */
export function fillHostileStore(store: MetadataStore): HostileIds {
  const artifactType = store.putArtifactType({
    artifact_type: { name: PAYLOADS.typeName, properties: { note: 3 } },
  }).type_id as bigint
  const executionType = store.putExecutionType({ execution_type: { name: `${PAYLOADS.typeName}.exec` } })
    .type_id as bigint
  const pipelineType = store.putContextType({ context_type: { name: 'pipeline' } }).type_id as bigint
  const runType = store.putContextType({ context_type: { name: 'pipeline_run' } }).type_id as bigint
  const [pipelineId, runId] = store.putContexts({
    contexts: [
      { type_id: pipelineType, name: PAYLOADS.pipeline },
      { type_id: runType, name: `${PAYLOADS.pipeline}-run` },
    ],
  }).context_ids as [bigint, bigint]
  store.putParentContexts({ parent_contexts: [{ child_id: runId, parent_id: pipelineId }] })
  // An earlier run of the same node, which the hostile execution is compared with.
  const nodeType = store.putContextType({ context_type: { name: 'node' } }).type_id as bigint
  store.putExecution({
    execution: {
      type_id: executionType,
      last_known_state: Execution_State.COMPLETE,
      custom_properties: { [CUSTOM_PROPERTY.cacheKeyIngredients]: { string_value: ingredients(1) } },
    },
    contexts: [{ type_id: nodeType, name: `${PAYLOADS.pipeline}.${PAYLOADS.ingredient}` }],
  })
  const put = store.putExecution({
    execution: {
      type_id: executionType,
      name: PAYLOADS.executionName,
      last_known_state: Execution_State.COMPLETE,
      custom_properties: {
        [PAYLOADS.property]: { string_value: PAYLOADS.property },
        [CUSTOM_PROPERTY.cacheKeyIngredients]: { string_value: ingredients(2) },
      },
    },
    artifact_event_pairs: [
      {
        artifact: {
          type_id: artifactType,
          name: PAYLOADS.artifactName,
          uri: PAYLOADS.uri,
          state: 2,
          properties: { note: { string_value: PAYLOADS.property } },
        },
        event: { type: Event_Type.OUTPUT, path: { steps: [{ key: PAYLOADS.artifactName }] } },
      },
    ],
    contexts: [{ id: pipelineId }, { id: runId }].map((c) => ({
      ...c,
      type_id: c.id === pipelineId ? pipelineType : runType,
      name: c.id === pipelineId ? PAYLOADS.pipeline : `${PAYLOADS.pipeline}-run`,
    })),
  })
  return {
    artifactId: put.artifact_ids?.[0] as bigint,
    executionId: put.execution_id as bigint,
    pipelineId,
    runId,
  }
}
