import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  interceptStore,
  type OperationCall,
  type RetryPolicy,
  retryCalls,
  retryDelayMs,
} from './interceptors.js'
import { createMetadataStore, toAsyncMetadataStore } from './metadata-store.js'

const quick: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMs: 1,
  multiplier: 2,
  maxBackoffMs: 4,
  jitter: 'none',
  codes: [Code.Aborted],
}

const read: OperationCall = { name: 'getArtifactTypes', mode: 'read', request: {} }
const write: OperationCall = { name: 'putArtifactType', mode: 'write', request: {} }

// An operation that fails with `failures`, one per attempt, then answers `answer`.
function flaky(failures: unknown[], answer: unknown = { ok: true }) {
  let attempts = 0
  const next = (_call: OperationCall): unknown => {
    attempts++
    const failure = failures.shift()
    if (failure !== undefined) throw failure
    return answer
  }
  return { next, attempts: () => attempts }
}

const aborted = () => new MlmdError(Code.Aborted, 'locked')

describe('interceptors', () => {
  describe('retryCalls', () => {
    it('retries a write answered ABORTED twice, then answers its third attempt', async () => {
      const op = flaky([aborted(), aborted()])
      const retries: [number, Code, number][] = []
      const invoke = retryCalls(quick, (_call, attempt, error, waitMs) =>
        retries.push([attempt, error.code, waitMs]),
      )(op.next)
      await expect(invoke(write)).resolves.toEqual({ ok: true })
      expect(op.attempts()).toBe(3)
      expect(retries).toEqual([
        [1, Code.Aborted, 1],
        [2, Code.Aborted, 2],
      ])
    })

    it('retries an asynchronous operation the same way', async () => {
      const op = flaky([aborted(), aborted()])
      const invoke = retryCalls(quick)(async (call: OperationCall) => op.next(call))
      await expect(invoke(read)).resolves.toEqual({ ok: true })
      expect(op.attempts()).toBe(3)
    })

    it('does not retry a code the policy does not list', () => {
      const op = flaky([new MlmdError(Code.NotFound, 'gone')])
      const invoke = retryCalls(quick)(op.next)
      expect(() => invoke(read)).toThrow(expect.objectContaining({ code: Code.NotFound }))
      expect(op.attempts()).toBe(1)
    })

    it('does not retry errors that are not MlmdErrors (bugs)', () => {
      const op = flaky([new TypeError('bug')])
      expect(() => retryCalls(quick)(op.next)(read)).toThrow(TypeError)
      expect(op.attempts()).toBe(1)
    })

    it('retries a listed code other than ABORTED for reads only: a write may have been applied', async () => {
      const policy: RetryPolicy = { ...quick, codes: [Code.Aborted, Code.Unavailable] }
      const unavailable = () => new MlmdError(Code.Unavailable, 'connection dropped')
      const reading = flaky([unavailable()])
      await expect(retryCalls(policy)(reading.next)(read)).resolves.toEqual({ ok: true })
      expect(reading.attempts()).toBe(2)
      const writing = flaky([unavailable()])
      expect(() => retryCalls(policy)(writing.next)(write)).toThrow(
        expect.objectContaining({ code: Code.Unavailable }),
      )
      expect(writing.attempts()).toBe(1)
    })

    it('gives up after maxAttempts with the last error', async () => {
      const op = flaky(Array.from({ length: 10 }, (_, i) => new MlmdError(Code.Aborted, `locked ${i}`)))
      const invoke = retryCalls({ ...quick, maxAttempts: 3 })(op.next)
      await expect(invoke(write)).rejects.toMatchObject({ code: Code.Aborted, rawMessage: 'locked 2' })
      expect(op.attempts()).toBe(3)
    })

    it('makes no retry that could not begin within the budget', async () => {
      const op = flaky(Array.from({ length: 1000 }, aborted))
      const policy: RetryPolicy = { ...quick, maxAttempts: Infinity, budgetMs: 30, maxBackoffMs: 5 }
      const started = Date.now()
      await expect(retryCalls(policy)(op.next)(write)).rejects.toMatchObject({ code: Code.Aborted })
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(op.attempts()).toBeGreaterThan(2)
      // With no budget, ABORTED is answered at once.
      const once = flaky([aborted()])
      expect(() => retryCalls({ ...policy, budgetMs: 0 })(once.next)(write)).toThrow(
        expect.objectContaining({ code: Code.Aborted }),
      )
      expect(once.attempts()).toBe(1)
    })

    it('makes no retry that could not begin before the call deadline', () => {
      const op = flaky([aborted()])
      const invoke = retryCalls({ ...quick, initialBackoffMs: 500, maxBackoffMs: 500 })(op.next)
      expect(() => invoke({ ...write, options: { deadline: Date.now() + 100 } })).toThrow(
        expect.objectContaining({ code: Code.Aborted }),
      )
      expect(op.attempts()).toBe(1)
    })

    it('answers synchronously when the first attempt answers', () => {
      const invoke = retryCalls(quick)(flaky([]).next)
      expect(invoke(read)).toEqual({ ok: true })
    })
  })

  describe('retryDelayMs', () => {
    it('grows each bound by the multiplier up to the cap; full jitter draws below it', () => {
      const at = (attempt: number) => retryDelayMs(quick, write, attempt, aborted(), 0, 0)
      expect([1, 2, 3, 4].map(at)).toEqual([1, 2, 4, 4])
      expect(at(5)).toBeUndefined()
      expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 2, () => 0.5)).toBe(300)
      expect(backoffDelayMs({ ...DEFAULT_RETRY_POLICY, jitter: 'none' }, 2)).toBe(600)
    })
  })

  describe('interceptStore', () => {
    it('runs every operation of a store through the chain, with its name and mode', async () => {
      const local = createMetadataStore({ filename: ':memory:' })
      const seen: string[] = []
      const store = interceptStore(toAsyncMetadataStore(local), [
        (next) => (call) => {
          seen.push(`${call.name}:${call.mode}`)
          return next(call)
        },
      ])
      const { type_id } = await store.putArtifactType({ artifact_type: { name: 'Model' } })
      const { artifact_types } = await store.getArtifactTypes({})
      expect(artifact_types?.map((t) => [t.id, t.name])).toEqual([[type_id, 'Model']])
      expect(seen).toEqual(['putArtifactType:write', 'getArtifactTypes:read'])
      local.close()
    })

    it('retries ABORTED writes of the wrapped store', async () => {
      const local = createMetadataStore({ filename: ':memory:' })
      const inner = toAsyncMetadataStore(local)
      let failures = 2
      const contended = {
        ...inner,
        putArtifactType: async (...args: Parameters<typeof inner.putArtifactType>) => {
          if (failures-- > 0) throw aborted()
          return inner.putArtifactType(...args)
        },
      }
      const store = interceptStore(contended, [retryCalls(quick)])
      const { type_id } = await store.putArtifactType({ artifact_type: { name: 'Model' } })
      expect(failures).toBe(-1)
      expect((await store.getArtifactTypes({})).artifact_types?.map((t) => t.id)).toEqual([type_id])
      local.close()
    })
  })
})
