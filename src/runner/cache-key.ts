/**
 * The step cache key (key version `tsrunner-v1`): the name of the `execution_cache` context a
 * step's executions are filed under. Two step runs with the same key are interchangeable, so a
 * later run may reuse the outputs of an earlier one.
 *
 * The key is the lowercase hex SHA-256 of the UTF-8 bytes of {@link canonicalJson} applied to
 * this document (see `canonical-json.ts` for the byte rules):
 *
 * ```text
 * {
 *   "key_version":   "tsrunner-v1",
 *   "pipeline_info": { "id": <pipeline id: the pipeline's cache scope> },
 *   "node_info":     { "id": <node id>, "type": { "name": <step type>, "base_type": <name, if any> } },
 *   "executor_spec": { "kind": "tsrunner.in_process", "code_fingerprint": <step code fingerprint> },
 *   "inputs":        { <input key>: [ <artifact record as the store returns it>, … ], … },
 *   "outputs":       { <output key>: [ { "type": <name>, "properties": { <name>: <kind> },
 *                                        "base_type": <name, if any>, "list": true (list outputs only),
 *                                        "uri": "", "name": "" } ], … },
 *   "parameters":    { <name>: <value after defaults are applied>, … }
 * }
 * ```
 *
 * It takes the ingredients of TFX's key (`cache_utils.get_cache_context`, conventions §2.2) in
 * a documented JSON form instead of TFX's proto bytes, because TFX's exact bytes are only
 * meaningful for nodes compiled by Python TFX (§6.1). Like TFX:
 * - input artifacts are the full records as read back from the store (ids, properties, state,
 *   both timestamps), in order, so a re-run upstream step (new artifact ids) or an edited input
 *   changes the key;
 * - outputs enter as skeletons with `uri` and `name` blanked;
 * - the run id, the pipeline root and the payload bytes of the inputs are not in the key.
 * Unlike TFX the step's code is in the key (its `version` and the source text of its `run`
 * function, see `step.ts`), as ZenML added to TFX's key with its `step_source` property.
 *
 * The pipeline id is the pipeline's cache scope, which copies inherit: `pipeline.copy('B')`
 * shares the cache of the pipeline it was copied from (see `pipeline.ts`).
 */
import { createHash } from 'node:crypto'
import type { Artifact, Value } from '../proto/messages.js'
import type { ArtifactBaseType, PropertyKind } from './artifact-type.js'
import { type CanonicalValue, canonicalJson } from './canonical-json.js'
import type { Parameters } from './parameters.js'

/** The version tag of the key definition; part of every key. */
export const CACHE_KEY_VERSION = 'tsrunner-v1'

/** What an output will be, before it exists: its type, and whether it is a list. */
export interface OutputSkeleton {
  readonly type: string
  readonly properties: Readonly<Record<string, PropertyKind>>
  readonly baseType?: ArtifactBaseType | undefined
  /**
   * True for a list output (`listOf`): how many artifacts it will hold is not known
   * before the step runs, so the key says only that it is a list. Absent for one artifact,
   * which keeps the keys of such steps as they were.
   */
  readonly list?: boolean | undefined
}

/** Everything the key is computed from. */
export interface CacheKeyIngredients {
  /** The pipeline's cache scope (its name unless it was copied from another pipeline). */
  readonly pipelineId: string
  readonly nodeId: string
  /** The step's type name, which is also its MLMD execution type. */
  readonly stepType: string
  /** The step's MLMD execution base type, if it declares one. */
  readonly stepBaseType?: string | undefined
  /** The step's code fingerprint (see `step.ts`). */
  readonly codeFingerprint: string
  /** Parameters after the step's defaults are applied. */
  readonly parameters: Parameters
  /** Input artifacts per key, in order, as the store returned them. */
  readonly inputs: Readonly<Record<string, readonly Artifact[]>>
  /** Output skeletons per key. */
  readonly outputs: Readonly<Record<string, OutputSkeleton>>
}

function valueRecord(value: Value): CanonicalValue {
  return {
    int_value: value.int_value,
    double_value: value.double_value,
    string_value: value.string_value,
    bool_value: value.bool_value,
    struct_value: value.struct_value as unknown as CanonicalValue | undefined,
    proto_value:
      value.proto_value === undefined
        ? undefined
        : { type_url: value.proto_value.type_url, value: value.proto_value.value },
  }
}

function valueMap(values: Readonly<Record<string, Value>> | undefined): CanonicalValue {
  const out: Record<string, CanonicalValue> = {}
  for (const [key, value] of Object.entries(values ?? {})) out[key] = valueRecord(value)
  return out
}

/**
 * The fields of an artifact record that enter the key: every stored field, unset ones left out
 * and maps always present (an empty map and a missing map mean the same in MLMD).
 */
export function artifactKeyRecord(artifact: Artifact): CanonicalValue {
  return {
    id: artifact.id,
    type_id: artifact.type_id,
    type: artifact.type,
    uri: artifact.uri,
    name: artifact.name,
    external_id: artifact.external_id,
    state: artifact.state,
    properties: valueMap(artifact.properties),
    custom_properties: valueMap(artifact.custom_properties),
    create_time_since_epoch: artifact.create_time_since_epoch,
    last_update_time_since_epoch: artifact.last_update_time_since_epoch,
  }
}

/** The document the key hashes (exported so tools can show what a key was made of). */
export function cacheKeyDocument(ingredients: CacheKeyIngredients): CanonicalValue {
  const inputs: Record<string, CanonicalValue> = {}
  for (const [key, artifacts] of Object.entries(ingredients.inputs)) {
    inputs[key] = artifacts.map(artifactKeyRecord)
  }
  const outputs: Record<string, CanonicalValue> = {}
  for (const [key, skeleton] of Object.entries(ingredients.outputs)) {
    outputs[key] = [
      {
        type: skeleton.type,
        properties: { ...skeleton.properties },
        base_type: skeleton.baseType,
        list: skeleton.list === true ? true : undefined,
        uri: '',
        name: '',
      },
    ]
  }
  return {
    key_version: CACHE_KEY_VERSION,
    pipeline_info: { id: ingredients.pipelineId },
    node_info: {
      id: ingredients.nodeId,
      type: { name: ingredients.stepType, base_type: ingredients.stepBaseType },
    },
    executor_spec: { kind: 'tsrunner.in_process', code_fingerprint: ingredients.codeFingerprint },
    inputs,
    outputs,
    parameters: ingredients.parameters as CanonicalValue,
  }
}

/**
 * The cache key of a step run: 64 lowercase hex characters. Pure: it reads nothing but its
 * argument.
 *
 * @example
 * ```ts
 * computeCacheKey({
 *   pipelineId: 'seed', nodeId: 'ingest', stepType: 'tsrunner.examples.Ingest',
 *   codeFingerprint: 'sha256:…', parameters: { rows: 1000 }, inputs: {},
 *   outputs: { examples: { type: 'Examples', properties: { span: 'INT' } } },
 * }) // '3f…' (64 hex digits)
 * ```
 */
export function computeCacheKey(ingredients: CacheKeyIngredients): string {
  return createHash('sha256')
    .update(canonicalJson(cacheKeyDocument(ingredients)), 'utf8')
    .digest('hex')
}

/**
 * What a step run's cache key was made of, compact enough to keep on its execution (custom
 * property `tsrunner_cache_key_ingredients`): the key document with each input artifact
 * replaced by its id, type and the SHA-256 of its record. It lets a later reader tell which
 * ingredient differs between two runs of a node (see `explain.ts`) without the inputs' full
 * records, which the store keeps anyway.
 */
export function cacheKeyIngredientsRecord(ingredients: CacheKeyIngredients): CanonicalValue {
  const document = cacheKeyDocument(ingredients) as Record<string, CanonicalValue>
  const inputs: Record<string, CanonicalValue> = {}
  for (const [key, artifacts] of Object.entries(ingredients.inputs)) {
    inputs[key] = artifacts.map((artifact) => ({
      id: artifact.id,
      type: artifact.type,
      record_sha256: createHash('sha256')
        .update(canonicalJson(artifactKeyRecord(artifact)), 'utf8')
        .digest('hex'),
    }))
  }
  return { ...document, inputs }
}
