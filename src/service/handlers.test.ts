import type { ServerUnaryCall } from '@grpc/grpc-js'
import { describe, expect, it, vi } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { loadMlmdRoot } from '../proto/load-root.js'
import type { MetadataStore } from '../store/metadata-store-api.js'
import { createHandlers, toServiceError, unary } from './handlers.js'
import { metadataStoreServiceDefinition, SERVICE_NAME } from './service-definition.js'

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
  })
})
