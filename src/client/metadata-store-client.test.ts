import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { createGrpcServer, type GrpcServer } from '../service/grpc-server.js'
import type { MetadataStore } from '../store/metadata-store-api.js'
import {
  backoffDelayMs,
  clientOptionsFromConfig,
  createMetadataStoreClient,
  DEFAULT_RETRY_POLICY,
} from './metadata-store-client.js'

// A store whose getArtifactTypes fails with `failures` errors before it answers.
function flakyStore(failures: MlmdError[]): {
  store: MetadataStore
  calls: () => number
  last: () => unknown
} {
  let calls = 0
  let last: unknown
  const store = new Proxy({} as MetadataStore, {
    get: (_target, name) => (request: unknown) => {
      last = request
      if (name !== 'getArtifactTypes') return {}
      calls++
      const failure = failures.shift()
      if (failure !== undefined) throw failure
      return { artifact_types: [{ id: 1n, name: 'T', properties: {} }] }
    },
  })
  return { store, calls: () => calls, last: () => last }
}

const fast = { initialBackoffMs: 1, maxBackoffMs: 2 }

describe('metadata-store-client', () => {
  describe('retries', () => {
    let server: GrpcServer
    let flaky: ReturnType<typeof flakyStore>
    const failures: MlmdError[] = []

    beforeAll(async () => {
      flaky = flakyStore(failures)
      server = await createGrpcServer({ store: flaky.store, port: 0 })
    })
    afterAll(async () => {
      await server?.shutdown()
    })

    it('retries ABORTED until the call succeeds, telling onRetry', async () => {
      failures.push(new MlmdError(Code.Aborted, 'busy'), new MlmdError(Code.Aborted, 'busy'))
      const retries: [string, number, Code][] = []
      const client = createMetadataStoreClient({
        port: server.port,
        retry: fast,
        onRetry: (rpc, attempt, error) => retries.push([rpc, attempt, error.code]),
      })
      const before = flaky.calls()
      expect(await client.getArtifactTypes({})).toEqual({
        artifact_types: [{ id: 1n, name: 'T', properties: {} }],
      })
      expect(flaky.calls() - before).toBe(3)
      expect(retries).toEqual([
        ['GetArtifactTypes', 1, Code.Aborted],
        ['GetArtifactTypes', 2, Code.Aborted],
      ])
      client.close()
    })

    it('gives up after maxAttempts and raises the last ABORTED', async () => {
      failures.push(...Array.from({ length: 3 }, (_, i) => new MlmdError(Code.Aborted, `busy ${i}`)))
      const client = createMetadataStoreClient({ port: server.port, retry: { ...fast, maxAttempts: 3 } })
      const before = flaky.calls()
      await expect(client.getArtifactTypes({})).rejects.toMatchObject({
        code: Code.Aborted,
        rawMessage: 'busy 2',
      })
      expect(flaky.calls() - before).toBe(3)
      client.close()
    })

    it('does not retry other codes', async () => {
      failures.push(new MlmdError(Code.FailedPrecondition, 'schema too new'))
      const client = createMetadataStoreClient({ port: server.port, retry: fast })
      const before = flaky.calls()
      const error = await client.getArtifactTypes({}).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MlmdError)
      expect(error).toMatchObject({ code: Code.FailedPrecondition, rawMessage: 'schema too new' })
      expect(flaky.calls() - before).toBe(1)
      client.close()
    })

    it('sends a missing request as an empty message', async () => {
      const client = createMetadataStoreClient({ port: server.port })
      expect(await (client.getContextsByID as (r?: unknown) => Promise<unknown>)()).toEqual({ contexts: [] })
      expect(flaky.last()).toEqual({ context_ids: [] })
      client.close()
    })
  })

  it('refuses requests it cannot encode with INVALID_ARGUMENT, before sending anything', async () => {
    const client = createMetadataStoreClient({ port: 1, retry: { maxAttempts: 1 } })
    let deep: Record<string, unknown> = { number_value: 1 }
    for (let i = 0; i < 200; i++) deep = { struct_value: { fields: { k: deep } } }
    try {
      await expect(
        client.putArtifacts({ artifacts: [{ type_id: 'seven' as unknown as bigint }] }),
      ).rejects.toMatchObject({
        code: Code.InvalidArgument,
        message: /PutArtifacts: cannot encode the request/,
      })
      await expect(
        client.putArtifacts({ artifacts: [{ type_id: 1n, custom_properties: { p: deep } }] }),
      ).rejects.toMatchObject({ code: Code.InvalidArgument })
    } finally {
      client.close()
    }
  })

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const client = createMetadataStoreClient({ port: 1, retry: { maxAttempts: 1 } })
    await expect(client.getArtifactTypes({})).rejects.toMatchObject({ code: Code.Unavailable })
    client.close()
  })

  describe('backoffDelayMs', () => {
    it('grows exponentially up to the cap', () => {
      const top = () => 0.999999
      expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, top)).toBe(299)
      expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 2, top)).toBe(599)
      expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 10, top)).toBe(4999)
      expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 3, () => 0)).toBe(0)
    })
  })

  describe('clientOptionsFromConfig', () => {
    it("maps MLMD's MetadataStoreClientConfig", () => {
      expect(
        clientOptionsFromConfig({
          host: 'mlmd',
          port: 8080n,
          ssl_config: { client_key: 'K', server_cert: 'C', custom_ca: 'CA' },
          channel_arguments: { max_receive_message_length: 1024n, http2_max_ping_strikes: 0n },
          client_timeout_sec: 1.5,
        }),
      ).toEqual({
        host: 'mlmd',
        port: 8080,
        tls: { customCa: 'CA', clientKey: 'K', clientCert: 'C' },
        channelOptions: { 'grpc.max_receive_message_length': 1024, 'grpc.http2.max_ping_strikes': 0 },
        timeoutMs: 1500,
      })
    })

    it('leaves absent settings absent', () => {
      expect(clientOptionsFromConfig({ host: 'h' })).toEqual({
        host: 'h',
        port: undefined,
        tls: undefined,
        channelOptions: {},
        timeoutMs: undefined,
      })
    })
  })
})
