import { Client, credentials, Metadata, makeGenericClientConstructor, status } from '@grpc/grpc-js'
import { service as healthService } from 'grpc-health-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../client/metadata-store-client.js'
import { Code } from '../errors.js'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import { bearerTokenMatcher, validateBearerToken } from './auth.js'
import { createGrpcServer, type GrpcServer } from './grpc-server.js'

const TOKEN = 's3cr3t-T0ken_with.all~chars+/='

describe('auth', () => {
  describe('validateBearerToken', () => {
    it.each(['abc', 'A-Z_0.9~+/', 'dG9rZW4=='])('accepts %s', (token) => {
      expect(() => validateBearerToken(token)).not.toThrow()
    })

    it.each(['', 'two words', 'tab\there', 'ünïcode', 'a=b', 'line\nbreak'])('refuses %j', (token) => {
      let error: unknown
      try {
        validateBearerToken(token)
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({ code: Code.InvalidArgument })
      // The message describes the rule, never the value.
      if (token !== '') expect((error as Error).message).not.toContain(token)
    })
  })

  describe('bearerTokenMatcher', () => {
    const matches = bearerTokenMatcher(TOKEN)

    it.each([
      [`Bearer ${TOKEN}`, true],
      [`bearer ${TOKEN}`, true],
      [`BEARER   ${TOKEN}`, true],
      [TOKEN, false],
      [`Basic ${TOKEN}`, false],
      [`Bearer ${TOKEN}x`, false],
      [`Bearer ${TOKEN.slice(0, -1)}`, false],
      ['Bearer ', false],
      ['', false],
    ])('%j → %s', (value, expected) => {
      expect(matches(value)).toBe(expected)
    })
  })

  describe('a server with a token', () => {
    let store: OwnedMetadataStore
    let server: GrpcServer

    beforeAll(async () => {
      store = createMetadataStore({ filename: ':memory:' })
      server = await createGrpcServer({ store, port: 0, authToken: TOKEN })
    })
    afterAll(async () => {
      await server?.shutdown()
      store?.close()
    })

    it('serves clients that send the token', async () => {
      const client = createMetadataStoreClient({ port: server.port, authToken: TOKEN })
      try {
        expect(await client.getArtifactTypes({})).toEqual({ artifact_types: [] })
      } finally {
        client.close()
      }
    })

    it.each([
      ['no token', undefined, /requires the metadata "authorization: Bearer <token>"/],
      ['a wrong token', 'wrong', /bearer token .* is not valid/],
      ['a prefix of the token', TOKEN.slice(0, 5), /is not valid/],
    ])('answers UNAUTHENTICATED to %s, without running the call', async (_name, token, message) => {
      const client = createMetadataStoreClient({
        port: server.port,
        authToken: token,
        retry: { maxAttempts: 1 },
      })
      try {
        const error = await client
          .putArtifactType({ artifact_type: { name: `Unauthenticated-${_name}` } })
          .catch((e: unknown) => e)
        expect(error).toMatchObject({ code: Code.Unauthenticated })
        expect((error as Error).message).toMatch(message)
        expect((error as Error).message).not.toContain(TOKEN)
        expect(store.getArtifactTypes({}).artifact_types).toEqual([])
      } finally {
        client.close()
      }
    })

    it('leaves the health service open', async () => {
      const HealthClient = makeGenericClientConstructor(healthService, 'Health')
      const health = new HealthClient(server.address, credentials.createInsecure()) as unknown as {
        Check(req: { service: string }, cb: (e: Error | null, r: { status: string | number }) => void): void
        close(): void
      }
      try {
        const answer = await new Promise<unknown>((resolve, reject) =>
          health.Check({ service: 'ml_metadata.MetadataStoreService' }, (e, r) =>
            e ? reject(e) : resolve(r.status),
          ),
        )
        expect(answer).toBe('SERVING')
      } finally {
        health.close()
      }
    })

    it('guards the reflection service too', async () => {
      const raw = new Client(server.address, credentials.createInsecure())
      const ask = (metadata: Metadata) =>
        new Promise<{ code: number } | { data: Buffer }>((resolve) => {
          const stream = raw.makeBidiStreamRequest(
            '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
            (b: Buffer) => b,
            (b: Buffer) => b,
            metadata,
          )
          stream.on('data', (data: Buffer) => {
            resolve({ data })
            stream.cancel()
          })
          stream.on('error', (e: { code: number }) => resolve({ code: e.code }))
          // ServerReflectionRequest { list_services: "*" }
          stream.write(Buffer.from([0x3a, 0x01, 0x2a]))
          stream.end()
        })
      try {
        expect(await ask(new Metadata())).toEqual({ code: status.UNAUTHENTICATED })
        const withToken = new Metadata()
        withToken.set('authorization', `Bearer ${TOKEN}`)
        expect(await ask(withToken)).toHaveProperty('data')
      } finally {
        raw.close()
      }
    })
  })

  it('refuses to start with a token that cannot be sent', async () => {
    const store = createMetadataStore({ filename: ':memory:' })
    try {
      await expect(createGrpcServer({ store, port: 0, authToken: 'has space' })).rejects.toMatchObject({
        code: Code.InvalidArgument,
      })
    } finally {
      store.close()
    }
  })
})
