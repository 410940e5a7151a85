/**
 * Security defaults of `mlmd-ts serve`, end to end through the CLI flags: it binds loopback
 * unless told otherwise; with TLS and a CA it refuses clients without a certificate from that
 * CA; with `--auth-token-file` it refuses calls without the bearer token (health checks stay
 * open), and never prints the token.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import path from 'node:path'
import { type ChannelCredentials, credentials, makeGenericClientConstructor } from '@grpc/grpc-js'
import { service as healthService } from 'grpc-health-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClientOptions } from '../../src/client/index.js'
import { Code, MlmdError } from '../../src/index.js'
import { type Certificates, makeCertificates, report, startServe, stopChild, tempDir } from './support.js'

let dir: string
let certs: Certificates
const figures: string[] = []

/** The code a getArtifactTypes call fails with, or 0 when it succeeds. */
async function outcome(options: MetadataStoreClientOptions): Promise<number> {
  const client = createMetadataStoreClient({ retry: { maxAttempts: 1 }, timeoutMs: 10_000, ...options })
  try {
    await client.getArtifactTypes({})
    return 0
  } catch (error) {
    if (!(error instanceof MlmdError)) throw error
    return error.code
  } finally {
    client.close()
  }
}

function healthCheck(address: string, channel: ChannelCredentials): Promise<string> {
  const Health = makeGenericClientConstructor(healthService, 'Health')
  const health = new Health(address, channel) as unknown as {
    Check(req: { service: string }, cb: (e: Error | null, r: { status: string }) => void): void
    close(): void
  }
  return new Promise<string>((resolve, reject) =>
    health.Check({ service: 'ml_metadata.MetadataStoreService' }, (e, r) => {
      health.close()
      if (e) reject(e)
      else resolve(r.status)
    }),
  )
}

describe('security defaults', () => {
  beforeAll(() => {
    dir = tempDir('security')
    certs = makeCertificates(dir)
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    for (const line of figures) report('security', line)
  })

  it('binds 127.0.0.1 by default: reachable on loopback, refused on the machine’s other addresses', async () => {
    const server = await startServe(path.join(dir, 'loopback.sqlite'), [], { defaultHost: true })
    try {
      expect(server.output()).toMatch(/ on 127\.0\.0\.1:\d+ \(plaintext\)/)
      expect(await outcome({ host: '127.0.0.1', port: server.port })).toBe(0)
      const external = Object.values(networkInterfaces())
        .flat()
        .find((address) => address !== undefined && !address.internal && address.family === 'IPv4')
      if (external === undefined) {
        figures.push('loopback default: no non-loopback IPv4 address on this machine to try from')
        return
      }
      expect(await outcome({ host: external.address, port: server.port })).toBe(Code.Unavailable)
      figures.push(
        `loopback default: ${external.address}:${server.port} refused (UNAVAILABLE), 127.0.0.1 served`,
      )
    } finally {
      await stopChild(server.child)
    }
  })

  it('with --tls-ca, refuses every client without a certificate from that CA', async () => {
    const server = await startServe(path.join(dir, 'mtls.sqlite'), [
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
      '--tls-ca',
      certs.ca,
    ])
    const pem = (file: string) => readFileSync(file, 'utf8')
    const port = server.port
    try {
      expect(server.output()).toMatch(/\(mutual TLS\)/)
      const cases: [string, MetadataStoreClientOptions, number][] = [
        [
          'client certificate from the CA',
          {
            tls: {
              customCa: pem(certs.ca),
              clientKey: pem(certs.clientKey),
              clientCert: pem(certs.clientCert),
            },
          },
          0,
        ],
        ['no client certificate', { tls: { customCa: pem(certs.ca) } }, Code.Unavailable],
        [
          'certificate from another CA',
          {
            tls: {
              customCa: pem(certs.ca),
              clientKey: pem(certs.strangerKey),
              clientCert: pem(certs.strangerCert),
            },
          },
          Code.Unavailable,
        ],
        ['plaintext', {}, Code.Unavailable],
        [
          'client that does not trust the server',
          {
            tls: {
              customCa: pem(path.join(dir, 'other-ca.pem')),
              clientKey: pem(certs.clientKey),
              clientCert: pem(certs.clientCert),
            },
          },
          Code.Unavailable,
        ],
      ]
      for (const [name, options, expected] of cases) {
        const code = await outcome({ port, ...options })
        expect({ name, code }).toEqual({ name, code: expected })
        figures.push(`mutual TLS, ${name}: ${code === 0 ? 'served' : Code[code]}`)
      }
      expect(server.child.exitCode).toBeNull()
    } finally {
      await stopChild(server.child)
    }
  })

  it('with --auth-token-file, requires the bearer token for all but health, and never prints it', async () => {
    const token = 'Zm9yLXJlbGlhYmlsaXR5LW9ubHk-token'
    const tokenFile = path.join(dir, 'token')
    writeFileSync(tokenFile, `${token}\n`)
    chmodSync(tokenFile, 0o600)
    const server = await startServe(path.join(dir, 'token.sqlite'), [
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
      '--auth-token-file',
      tokenFile,
    ])
    const tls = { customCa: readFileSync(certs.ca, 'utf8') }
    try {
      expect(server.output()).toMatch(/\(TLS, bearer token required\)/)
      const cases: [string, MetadataStoreClientOptions, number][] = [
        ['the token', { tls, authToken: token }, 0],
        ['no token', { tls }, Code.Unauthenticated],
        ['a wrong token', { tls, authToken: 'not-the-token' }, Code.Unauthenticated],
        [
          'the token with one character changed',
          { tls, authToken: `${token.slice(0, -1)}X` },
          Code.Unauthenticated,
        ],
      ]
      for (const [name, options, expected] of cases) {
        const code = await outcome({ port: server.port, ...options })
        expect({ name, code }).toEqual({ name, code: expected })
        figures.push(`bearer token, ${name}: ${code === 0 ? 'served' : Code[code]}`)
      }
      const health = await healthCheck(
        `127.0.0.1:${server.port}`,
        credentials.createSsl(Buffer.from(readFileSync(certs.ca))),
      )
      expect(health).toBe('SERVING')
      figures.push('bearer token, health check without a token: SERVING')
    } finally {
      await stopChild(server.child)
    }
    expect(server.output()).not.toContain(token)
    expect(server.output()).toMatch(/stopped/)
  })
})
