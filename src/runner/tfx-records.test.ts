import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { Execution_State } from '../proto/messages.js'
import { createMetadataStore, toAsyncMetadataStore } from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { defineStep } from './step.js'
import {
  createRunContexts,
  createTypeRegistry,
  executionResultJson,
  localRunId,
  nodeContextName,
  PUBLISH_RETRY_POLICY,
  publishFailedExecution,
  RUNNER_VERSION,
  registerExecution,
  TFX_VERSION,
} from './tfx-records.js'

// An in-process store whose putExecution fails with `failures`, one per call, before it runs.
function contendedStore(failures: MlmdError[]) {
  const local = createMetadataStore({ filename: ':memory:' })
  const inner = toAsyncMetadataStore(local)
  let putExecutionCalls = 0
  const store: AsyncMetadataStore = {
    ...inner,
    putExecution: async (...args) => {
      putExecutionCalls++
      const failure = failures.shift()
      if (failure !== undefined) throw failure
      return inner.putExecution(...args)
    },
  }
  return { store, local, putExecutionCalls: () => putExecutionCalls }
}

async function register(store: AsyncMetadataStore) {
  const types = createTypeRegistry(store)
  const contexts = await createRunContexts(store, types, 'p', 'run-1')
  const step = defineStep({ type: 'test.Step', run: async () => {} })
  const registered = await registerExecution(store, types, {
    step,
    parameters: {},
    contexts,
    nodeContextName: nodeContextName('p', 'n'),
    inputs: [],
  })
  return { types, registered }
}

describe('tfx-records', () => {
  describe('versions', () => {
    it('RUNNER_VERSION is the package version', () => {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string
      }
      expect(RUNNER_VERSION).toBe(pkg.version)
    })
    it('TFX_VERSION is a release at or after 0.29, which Python readers need for current layouts', () => {
      const [major = 0, minor = 0] = TFX_VERSION.split('.').map(Number)
      expect(TFX_VERSION).toMatch(/^\d+\.\d+\.\d+$/)
      expect(major > 0 || minor >= 29).toBe(true)
    })
  })

  describe('localRunId', () => {
    it("writes LocalDagRunner's local ISO time with microseconds", () => {
      expect(localRunId(new Date(2024, 4, 1, 12, 34, 56, 123))).toBe('2024-05-01T12:34:56.123000')
      expect(localRunId(new Date(2024, 11, 31, 0, 0, 0, 0))).toBe('2024-12-31T00:00:00.000000')
    })
  })

  describe('nodeContextName', () => {
    it('is <pipeline>.<node>', () => {
      expect(nodeContextName('seed-a', 'train')).toBe('seed-a.train')
    })
  })

  describe('executionResultJson', () => {
    it('writes MessageToJson of ExecutionResult: resultMessage then code, two-space indent', () => {
      const text = executionResultJson(new MlmdError(Code.NotFound, 'no such file'))
      expect(text).toMatch(/^\{\n {2}"resultMessage": "MlmdError: \[not_found\] no such file\\n/)
      expect(text).toMatch(/,\n {2}"code": 5\n\}$/)
    })
    it('uses UNKNOWN for other errors and non-errors', () => {
      expect(JSON.parse(executionResultJson(new TypeError('bad')))).toMatchObject({ code: Code.Unknown })
      expect(JSON.parse(executionResultJson('text'))).toEqual({ resultMessage: 'text', code: Code.Unknown })
    })
  })

  describe('retrying the execution writes', () => {
    const aborted = () => new MlmdError(Code.Aborted, 'Concurrent creation of the same context')

    it('registers an execution whose write was answered ABORTED twice, on the third attempt', async () => {
      const { store, local, putExecutionCalls } = contendedStore([aborted(), aborted()])
      const { registered } = await register(store)
      expect(putExecutionCalls()).toBe(3)
      const { executions } = await store.getExecutionsByID({
        execution_ids: [registered.execution.id as bigint],
      })
      expect(executions?.map((e) => e.last_known_state)).toEqual([Execution_State.RUNNING])
      local.close()
    })

    it('publishes a failure through ABORTED answers, and gives up after the policy attempts', async () => {
      const { store, local, putExecutionCalls } = contendedStore([])
      const { types, registered } = await register(store)
      const before = putExecutionCalls()
      const failures = Array.from({ length: PUBLISH_RETRY_POLICY.maxAttempts }, aborted)
      const flaky: AsyncMetadataStore = {
        ...store,
        putExecution: async (...args) => {
          const failure = failures.shift()
          if (failure !== undefined) throw failure
          return store.putExecution(...args)
        },
      }
      await expect(
        publishFailedExecution(flaky, types, registered, undefined, new Error('step failed')),
      ).rejects.toMatchObject({ code: Code.Aborted })
      expect(failures).toEqual([])
      failures.push(aborted())
      const failed = await publishFailedExecution(
        flaky,
        types,
        registered,
        undefined,
        new Error('step failed'),
      )
      expect(failed.last_known_state).toBe(Execution_State.FAILED)
      expect(putExecutionCalls() - before).toBe(1)
      local.close()
    })

    it('does not retry a write refused for another reason', async () => {
      const { store, local, putExecutionCalls } = contendedStore([new MlmdError(Code.AlreadyExists, 'taken')])
      await expect(register(store)).rejects.toMatchObject({ code: Code.AlreadyExists })
      expect(putExecutionCalls()).toBe(1)
      local.close()
    })
  })
})
