import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js'
import { describe, expect, it, vi } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { loadMlmdRoot } from '../proto/load-root.js'
import type { MetadataStore } from '../store/metadata-store-api.js'
import { metadataStoreServiceDefinition, SERVICE_NAME } from '../wire/service-definition.js'
import {
  type CallOutcome,
  createHandlers,
  lockRetryPolicy,
  MAX_STATUS_DETAILS_BYTES,
  observeHandlers,
  statusDetails,
  toServiceError,
  unary,
} from './handlers.js'

// Every operation answers with its own name, so the table's wiring is visible.
const echoStore = new Proxy({} as MetadataStore, {
  get: (_target, name) => (request: unknown) => ({ op: name, request }),
})

const call = <Req>(request: Req) => ({ request }) as unknown as ServerUnaryCall<Req, unknown>

describe('handlers', () => {
  describe('createHandlers', () => {
    it('has a handler for every RPC of the loaded service, and nothing else', () => {
      const handlers = createHandlers(echoStore, () => {})
      const methods = loadMlmdRoot()
        .lookupService(SERVICE_NAME)
        .methodsArray.map((method) => method.name)
      expect(methods).toHaveLength(52)
      expect(Object.keys(handlers).sort()).toEqual([...methods].sort())
      expect(Object.keys(metadataStoreServiceDefinition()).sort()).toEqual([...methods].sort())
    })

    it('routes each RPC to the store operation of the same name', () => {
      const handlers = createHandlers(echoStore, () => {})
      const callback = vi.fn()
      handlers.GetArtifactsByID(call({ artifact_ids: [1n] }), callback)
      expect(callback).toHaveBeenCalledExactlyOnceWith(null, {
        op: 'getArtifactsByID',
        request: { artifact_ids: [1n] },
      })
    })

    it('refuses a store that lacks an operation', () => {
      const partial = { getArtifactTypes: () => ({}) } as unknown as MetadataStore
      expect(() => createHandlers(partial, () => {})).toThrow(/no operation putArtifactType/)
    })
  })

  describe('unary', () => {
    it('answers an MlmdError with its code and raw message, without logging', () => {
      const log = vi.fn()
      const callback = vi.fn()
      unary(
        'GetArtifactType',
        () => {
          throw new MlmdError(Code.NotFound, 'No type found')
        },
        log,
      )(call({}), callback)
      expect(callback).toHaveBeenCalledOnce()
      expect(callback.mock.calls[0]?.[0]).toMatchObject({ code: Code.NotFound, details: 'No type found' })
      expect(log).not.toHaveBeenCalled()
    })

    it('answers any other error as INTERNAL and logs the cause', () => {
      const log = vi.fn()
      const callback = vi.fn()
      const bug = new TypeError('undefined is not a function')
      unary(
        'PutArtifacts',
        () => {
          throw bug
        },
        log,
      )(call({}), callback)
      expect(callback).toHaveBeenCalledOnce()
      expect(callback.mock.calls[0]?.[0]).toMatchObject({
        code: Code.Internal,
        details: 'undefined is not a function',
      })
      expect(log).toHaveBeenCalledWith('PutArtifacts', bug)
    })

    it('answers non-Error throws too', () => {
      const callback = vi.fn()
      unary(
        'PutArtifacts',
        () => {
          throw 'a string'
        },
        () => {},
      )(call({}), callback)
      expect(callback.mock.calls[0]?.[0]).toMatchObject({ code: Code.Internal, details: 'a string' })
    })

    it.each([
      ['cancelled', { cancelled: true, getDeadline: () => Infinity }, Code.Cancelled],
      [
        'past its deadline',
        { cancelled: false, getDeadline: () => new Date(Date.now() - 1) },
        Code.DeadlineExceeded,
      ],
    ])('does not run a call that is %s by the time its turn comes', (_name, state, code) => {
      const operation = vi.fn(() => ({}))
      const callback = vi.fn()
      unary('PutArtifacts', operation, () => {})(
        { request: {}, ...state } as unknown as ServerUnaryCall<object, unknown>,
        callback,
      )
      expect(operation).not.toHaveBeenCalled()
      expect(callback.mock.calls[0]?.[0]).toMatchObject({ code })
    })

    it('runs a call whose deadline is still ahead', () => {
      const callback = vi.fn()
      unary(
        'GetArtifactTypes',
        () => ({ artifact_types: [] }),
        () => {},
      )(
        {
          request: {},
          cancelled: false,
          getDeadline: () => Date.now() + 60_000,
        } as unknown as ServerUnaryCall<object, unknown>,
        callback,
      )
      expect(callback).toHaveBeenCalledExactlyOnceWith(null, { artifact_types: [] })
    })

    describe('with a retry budget for ABORTED', () => {
      const flaky = (failures: MlmdError[]) => {
        let calls = 0
        const operation = () => {
          calls++
          const failure = failures.shift()
          if (failure !== undefined) throw failure
          return { artifact_types: [] }
        }
        return { operation, calls: () => calls }
      }
      const answer = (handler: ReturnType<typeof unary>) =>
        new Promise<unknown[]>((resolve) => handler(call({}), (...args: unknown[]) => resolve(args)))

      it('retries on timers until the store stops answering ABORTED, and calls back once', async () => {
        const store = flaky([new MlmdError(Code.Aborted, 'locked'), new MlmdError(Code.Aborted, 'locked')])
        const pauses: [string, number][] = []
        const handler = unary('PutArtifacts', store.operation, () => {}, {
          policy: lockRetryPolicy(1000, 1),
          onRetry: (rpc, pauseMs) => pauses.push([rpc, pauseMs]),
        })
        expect(await answer(handler)).toEqual([null, { artifact_types: [] }])
        expect(store.calls()).toBe(3)
        expect(pauses).toEqual([
          ['PutArtifacts', 1],
          ['PutArtifacts', 2],
        ])
      })

      it('answers ABORTED once the budget is spent', async () => {
        const store = flaky(Array.from({ length: 100 }, () => new MlmdError(Code.Aborted, 'locked')))
        const handler = unary('PutArtifacts', store.operation, () => {}, { policy: lockRetryPolicy(30, 5) })
        const [error] = await answer(handler)
        expect(error).toMatchObject({ code: Code.Aborted, details: 'locked' })
        expect(store.calls()).toBeGreaterThan(1)
      })

      it('does not run a retry of a call cancelled while it waited', async () => {
        const store = flaky([new MlmdError(Code.Aborted, 'locked'), new MlmdError(Code.Aborted, 'locked')])
        const state = { request: {}, cancelled: false, getDeadline: () => Infinity }
        const handler = unary('PutArtifacts', store.operation, () => {}, {
          policy: lockRetryPolicy(1000, 20),
          onRetry: () => {
            state.cancelled = true
          },
        })
        const [error] = await new Promise<unknown[]>((resolve) =>
          handler(state as unknown as ServerUnaryCall<object, unknown>, (...args: unknown[]) =>
            resolve(args),
          ),
        )
        expect(error).toMatchObject({ code: Code.Cancelled })
        expect(store.calls()).toBe(1)
      })

      it('answers a call that needs no retry within the handler, as without a policy', () => {
        const callback = vi.fn()
        unary(
          'GetArtifactTypes',
          () => ({ artifact_types: [] }),
          () => {},
          { policy: lockRetryPolicy(1000) },
        )(call({}), callback)
        expect(callback).toHaveBeenCalledExactlyOnceWith(null, { artifact_types: [] })
      })

      it('does not retry other codes, nor ABORTED without a budget', async () => {
        const other = flaky([new MlmdError(Code.NotFound, 'gone')])
        expect(
          (
            await answer(
              unary('GetArtifactType', other.operation, () => {}, { policy: lockRetryPolicy(1000) }),
            )
          )[0],
        ).toMatchObject({
          code: Code.NotFound,
        })
        expect(other.calls()).toBe(1)
        const noBudget = flaky([new MlmdError(Code.Aborted, 'locked')])
        expect((await answer(unary('PutArtifacts', noBudget.operation, () => {})))[0]).toMatchObject({
          code: Code.Aborted,
        })
        expect(noBudget.calls()).toBe(1)
      })
    })

    it('calls back once with the response', () => {
      const callback = vi.fn()
      unary(
        'GetArtifactTypes',
        () => ({ artifact_types: [] }),
        () => {},
      )(call({}), callback)
      expect(callback).toHaveBeenCalledExactlyOnceWith(null, { artifact_types: [] })
    })
  })

  describe('toServiceError', () => {
    it('copies code and raw message', () => {
      expect(toServiceError(new MlmdError(Code.Aborted, 'busy'))).toMatchObject({ code: 10, details: 'busy' })
    })

    it.each([
      ['ASCII', 'x'],
      ['multi-byte text', 'ü'],
      ['emoji', '🌍'],
    ])('cuts messages whose encoded form would exceed the trailer budget (%s)', (_name, unit) => {
      const details = toServiceError(
        new MlmdError(Code.InvalidArgument, `Property ${unit.repeat(300_000)} is unknown`),
      ).details as string
      expect(encodeURI(details).length).toBeLessThanOrEqual(MAX_STATUS_DETAILS_BYTES)
      expect(details).toMatch(/^Property /)
      expect(details).toMatch(/ … \[message cut; \d+ characters in all\]$/)
    })

    it('replaces lone surrogates, which cannot be encoded', () => {
      expect(statusDetails('a\uD800b\uDC00c\uD83C\uDF0D')).toBe('a\uFFFDb\uFFFDc\uD83C\uDF0D')
    })
  })

  describe('observeHandlers', () => {
    const failingStore = new Proxy({} as MetadataStore, {
      get: (_target, name) => () => {
        if (name === 'getArtifactsByID') throw new TypeError('a bug')
        if (name === 'getArtifactType') throw new MlmdError(Code.NotFound, 'No type found')
        if (name === 'putArtifacts')
          throw new MlmdError(Code.AlreadyExists, 'taken', { cause: new Error('UNIQUE') })
        return {}
      },
    })

    function observed() {
      const outcomes: CallOutcome[] = []
      const started: string[] = []
      const handlers = observeHandlers(
        createHandlers(failingStore, () => {}),
        [{ callStarted: (rpc) => started.push(rpc), callFinished: (outcome) => outcomes.push(outcome) }],
      )
      return { handlers, outcomes, started }
    }

    it("tells observers of each call, and puts the request id into a fault's message", () => {
      const { handlers, outcomes, started } = observed()
      const metadata = new Metadata()
      metadata.set('x-request-id', 'job-42')
      const callback = vi.fn()
      handlers.GetArtifactsByID(
        { request: {}, metadata } as unknown as ServerUnaryCall<object, unknown>,
        callback,
      )
      expect(callback.mock.calls[0]?.[0]).toMatchObject({
        code: Code.Internal,
        details: 'a bug (request id job-42)',
      })
      expect(started).toEqual(['GetArtifactsByID'])
      expect(outcomes[0]).toMatchObject({ rpc: 'GetArtifactsByID', requestId: 'job-42', code: Code.Internal })
      expect(outcomes[0]?.error).toBeInstanceOf(TypeError)
    })

    it('leaves ordinary answers as they are, with an id of its own for each call', () => {
      const { handlers, outcomes } = observed()
      const notFound = vi.fn()
      handlers.GetArtifactType(call({}), notFound)
      expect(notFound.mock.calls[0]?.[0]).toMatchObject({ code: Code.NotFound, details: 'No type found' })
      const taken = vi.fn()
      handlers.PutArtifacts(call({}), taken)
      expect(taken.mock.calls[0]?.[0]).toMatchObject({ code: Code.AlreadyExists, details: 'taken' })
      const ok = vi.fn()
      handlers.GetArtifactTypes(call({}), ok)
      expect(ok).toHaveBeenCalledWith(null, {})
      expect(outcomes.map((o) => o.code)).toEqual([Code.NotFound, Code.AlreadyExists, 0])
      expect(new Set(outcomes.map((o) => o.requestId)).size).toBe(3)
      expect(outcomes[0]?.requestId).toMatch(/^[0-9a-f]{16}$/)
    })
  })
})
