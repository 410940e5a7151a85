import { describe, expect, it } from 'vitest'
import type { Artifact } from '../proto/messages.js'
import {
  artifactKeyRecord,
  type CacheKeyIngredients,
  cacheKeyDocument,
  computeCacheKey,
} from './cache-key.js'
import { canonicalJson } from './canonical-json.js'

const examples: Artifact = {
  id: 7n,
  type_id: 12n,
  type: 'Examples',
  uri: '/root/ingest/examples/3',
  properties: { span: { int_value: 0n } },
  custom_properties: { tfx_version: { string_value: '1.15.0' } },
  state: 2,
  create_time_since_epoch: 1700000000000n,
  last_update_time_since_epoch: 1700000000123n,
}

const base: CacheKeyIngredients = {
  pipelineId: 'seed',
  nodeId: 'train',
  stepType: 'tsrunner.test.Train',
  stepBaseType: 'TRAIN',
  codeFingerprint: `sha256:${'0'.repeat(64)}`,
  parameters: { l2: 0.5, epochs: 10, tags: ['a', 'b'], fast: true },
  inputs: { examples: [examples] },
  outputs: { model: { type: 'Model', properties: {}, baseType: 'MODEL' } },
}

const minimal: CacheKeyIngredients = {
  pipelineId: 'p',
  nodeId: 'n',
  stepType: 't',
  codeFingerprint: 'c',
  parameters: {},
  inputs: {},
  outputs: {},
}

describe('cache-key', () => {
  describe('computeCacheKey', () => {
    // Golden values: a change here changes every stored key, and needs a new CACHE_KEY_VERSION.
    it('hashes the documented serialisation (golden)', () => {
      expect(canonicalJson(cacheKeyDocument(base))).toBe(
        '{"executor_spec":{"code_fingerprint":"sha256:0000000000000000000000000000000000000000000000000000000000000000","kind":"tsrunner.in_process"},' +
          '"inputs":{"examples":[{"create_time_since_epoch":1700000000000,"custom_properties":{"tfx_version":{"string_value":"1.15.0"}},' +
          '"id":7,"last_update_time_since_epoch":1700000000123,"properties":{"span":{"int_value":0}},"state":2,"type":"Examples",' +
          '"type_id":12,"uri":"/root/ingest/examples/3"}]},"key_version":"tsrunner-v1",' +
          '"node_info":{"id":"train","type":{"base_type":"TRAIN","name":"tsrunner.test.Train"}},' +
          '"outputs":{"model":[{"base_type":"MODEL","name":"","properties":{},"type":"Model","uri":""}]},' +
          '"parameters":{"epochs":10,"fast":true,"l2":0.5,"tags":["a","b"]},"pipeline_info":{"id":"seed"}}',
      )
      expect(computeCacheKey(base)).toBe('1823ed673706b9a4be22fc2f598f8b01ff873808813d197d284eeee3a74ec65c')
      expect(computeCacheKey(minimal)).toBe(
        '1631ca49d30c5d7fbb0d1b6303a55f20932b15dec7e06dfd13c60f85061dbf5b',
      )
    })

    it('is 64 lowercase hex digits', () => {
      expect(computeCacheKey(base)).toMatch(/^[0-9a-f]{64}$/)
    })

    it('is pure: equal ingredients give equal keys, whatever their member order', () => {
      const reordered: CacheKeyIngredients = {
        outputs: base.outputs,
        inputs: { examples: [{ ...examples }] },
        parameters: { fast: true, tags: ['a', 'b'], epochs: 10, l2: 0.5 },
        codeFingerprint: base.codeFingerprint,
        stepBaseType: 'TRAIN',
        stepType: base.stepType,
        nodeId: 'train',
        pipelineId: 'seed',
      }
      expect(computeCacheKey(reordered)).toBe(computeCacheKey(base))
    })

    const other: Artifact = { ...examples, id: 8n }
    it.each<[string, Partial<CacheKeyIngredients>]>([
      ['the pipeline id', { pipelineId: 'seed-2' }],
      ['the node id', { nodeId: 'train2' }],
      ['the step type', { stepType: 'tsrunner.test.OtherTrain' }],
      ['the step base type', { stepBaseType: 'PROCESS' }],
      ['the code fingerprint', { codeFingerprint: `sha256:${'1'.repeat(64)}` }],
      ['a parameter value', { parameters: { ...base.parameters, l2: 0.25 } }],
      ['a parameter kind (int vs string)', { parameters: { ...base.parameters, epochs: '10' } }],
      ['an added parameter', { parameters: { ...base.parameters, extra: 1 } }],
      ['list order in a parameter', { parameters: { ...base.parameters, tags: ['b', 'a'] } }],
      ['the input artifact id', { inputs: { examples: [other] } }],
      [
        'an input artifact property',
        { inputs: { examples: [{ ...examples, properties: { span: { int_value: 1n } } }] } },
      ],
      ['an input custom property', { inputs: { examples: [{ ...examples, custom_properties: {} }] } }],
      [
        'an input update time',
        { inputs: { examples: [{ ...examples, last_update_time_since_epoch: 1700000000124n }] } },
      ],
      ['an input state', { inputs: { examples: [{ ...examples, state: 3 }] } }],
      ['an input uri', { inputs: { examples: [{ ...examples, uri: '/elsewhere' }] } }],
      ['the input key', { inputs: { data: [examples] } }],
      ['the order of input artifacts', { inputs: { examples: [other, examples] } }],
      ['an extra input artifact', { inputs: { examples: [examples, other] } }],
      ['the output type', { outputs: { model: { type: 'PushedModel', properties: {}, baseType: 'MODEL' } } }],
      [
        'an output property',
        { outputs: { model: { type: 'Model', properties: { version: 'INT' }, baseType: 'MODEL' } } },
      ],
      ['the output key', { outputs: { trained: { type: 'Model', properties: {}, baseType: 'MODEL' } } }],
    ])('changes with %s', (_name, change) => {
      expect(computeCacheKey({ ...base, ...change })).not.toBe(computeCacheKey(base))
    })

    it('distinguishes an int input property from a double one of the same number', () => {
      const asDouble = { ...examples, properties: { span: { double_value: 0 } } }
      expect(computeCacheKey({ ...base, inputs: { examples: [asDouble] } })).not.toBe(computeCacheKey(base))
    })

    it('treats 5 and 5n as the same int parameter', () => {
      expect(computeCacheKey({ ...minimal, parameters: { n: 5 } })).toBe(
        computeCacheKey({ ...minimal, parameters: { n: 5n } }),
      )
    })
  })

  describe('artifactKeyRecord', () => {
    it('ignores fields the store never persists and treats missing maps as empty', () => {
      const { properties: _p, custom_properties: _c, ...bare } = examples
      const withNoise = { ...bare, system_metadata: { type_url: 'x' } } as Artifact
      expect(canonicalJson(artifactKeyRecord(withNoise))).toBe(
        canonicalJson(artifactKeyRecord({ ...bare, properties: {}, custom_properties: {} })),
      )
    })

    it('keeps presence: an empty name is not an unset one', () => {
      expect(canonicalJson(artifactKeyRecord({ ...examples, name: '' }))).not.toBe(
        canonicalJson(artifactKeyRecord(examples)),
      )
    })
  })
})
