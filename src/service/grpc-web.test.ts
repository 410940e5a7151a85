import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCertificates } from '../../conformance/reliability/support.js'
import { Code, MlmdError } from '../errors.js'
import { messageType } from '../proto/load-root.js'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import { createGrpcServer, type GrpcServer } from './grpc-server.js'
import { deadlineFromTimeout, decodeTextBody, frame, requestMessage, trailerFrame } from './grpc-web.js'
import type { CallOutcome } from './handlers.js'

describe('grpc-web framing', () => {
  it('reads grpc-timeout in every unit and refuses malformed ones', () => {
    expect(deadlineFromTimeout(undefined, 1000)).toBeUndefined()
    expect(deadlineFromTimeout('2S', 1000)).toBe(3000)
    expect(deadlineFromTimeout('1M', 0)).toBe(60_000)
    expect(deadlineFromTimeout('1H', 0)).toBe(3_600_000)
    expect(deadlineFromTimeout('250m', 0)).toBe(250)
    expect(deadlineFromTimeout('5000u', 0)).toBe(5)
    expect(deadlineFromTimeout('3000000n', 0)).toBe(3)
    for (const bad of ['', '5', 'S', '123456789S', '1.5S', '-1S', '10s'])
      expect(() => deadlineFromTimeout(bad, 0)).toThrow(MlmdError)
  })

  it('decodes base64 sent in several padded chunks', () => {
    const a = Buffer.from([0, 0, 0, 0, 1, 7])
    const b = Buffer.from([0x80, 0, 0, 0, 0])
    expect(decodeTextBody(`${a.toString('base64')}${b.toString('base64')}`)).toEqual(Buffer.concat([a, b]))
    expect(decodeTextBody(` ${a.toString('base64')}\n`)).toEqual(a)
    expect(() => decodeTextBody('not base64!')).toThrow(/not base64/)
  })

  it('finds the one request message, skipping a trailer frame, and refuses bad framing', () => {
    const message = Buffer.from([8, 1])
    expect(requestMessage(Buffer.concat([frame(0, message), frame(0x80, Buffer.alloc(0))]))).toEqual(message)
    expect(requestMessage(frame(0, Buffer.alloc(0)))).toEqual(Buffer.alloc(0))
    const code = (body: Buffer) => {
      try {
        requestMessage(body)
      } catch (error) {
        return (error as MlmdError).code
      }
      return undefined
    }
    expect(code(Buffer.alloc(0))).toBe(Code.Internal)
    expect(code(frame(0, message).subarray(0, 6))).toBe(Code.Internal)
    expect(code(Buffer.from([0, 0, 0]))).toBe(Code.Internal)
    expect(code(frame(1, message))).toBe(Code.Unimplemented)
    expect(code(Buffer.concat([frame(0, message), frame(0, message)]))).toBe(Code.InvalidArgument)
  })

  it('percent-encodes the status message in the trailer frame', () => {
    const trailer = trailerFrame(3, 'bad 100% ünïcode\nline')
    expect(trailer[0]).toBe(0x80)
    expect(trailer.subarray(5).toString('latin1')).toBe(
      'grpc-status:3\r\ngrpc-message:bad 100%25 %C3%BCn%C3%AFcode%0Aline\r\n',
    )
  })
})

interface WebAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** The data frame's message, when there was one. */
  readonly message?: Buffer
  /** Trailer fields (grpc-status, grpc-message), from the trailer frame. */
  readonly trailers: Record<string, string>
}

function parseFrames(body: Buffer): { message?: Buffer; trailers: Record<string, string> } {
  let message: Buffer | undefined
  const trailers: Record<string, string> = {}
  for (let offset = 0; offset < body.length; ) {
    const flag = body.readUInt8(offset)
    const length = body.readUInt32BE(offset + 1)
    const payload = body.subarray(offset + 5, offset + 5 + length)
    if (flag === 0x80) {
      for (const line of payload.toString('latin1').split('\r\n').filter(Boolean)) {
        const colon = line.indexOf(':')
        trailers[line.slice(0, colon)] = decodeURIComponent(line.slice(colon + 1))
      }
    } else message = payload
    offset += 5 + length
  }
  return { ...(message === undefined ? {} : { message }), trailers }
}

interface Send {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly body?: Buffer | string
  readonly tls?: { ca: string; cert?: string; key?: string }
}

function send(url: string, pathname: string, options: Send = {}): Promise<WebAnswer> {
  const request = options.tls === undefined ? httpRequest : httpsRequest
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(pathname, url),
      {
        method: options.method ?? 'POST',
        headers: options.headers,
        ...(options.tls === undefined
          ? {}
          : { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key, servername: 'localhost' }),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          const type = res.headers['content-type'] ?? ''
          const frames = type.startsWith('application/grpc-web-text')
            ? parseFrames(Buffer.from(body.toString(), 'base64'))
            : type.startsWith('application/grpc-web')
              ? parseFrames(body)
              : { trailers: {} }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...frames })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

const encode = (rpc: string, request: object): Buffer => {
  const type = messageType(`ml_metadata.${rpc}Request`)
  return Buffer.from(type.encode(type.fromObject(request)).finish())
}
const decode = (rpc: string, bytes: Buffer | undefined): Record<string, unknown> => {
  const type = messageType(`ml_metadata.${rpc}Response`)
  return type.toObject(type.decode(bytes ?? Buffer.alloc(0)), { longs: String }) as Record<string, unknown>
}

const PROTO = { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' }
const rpcPath = (rpc: string) => `/ml_metadata.MetadataStoreService/${rpc}`

describe('grpc-web on a real port', () => {
  let store: OwnedMetadataStore
  let server: GrpcServer
  let url: string
  const outcomes: CallOutcome[] = []

  beforeAll(async () => {
    store = createMetadataStore({ filename: ':memory:' })
    server = await createGrpcServer({
      store,
      port: 0,
      grpcWeb: { port: 0, allowedOrigins: ['https://kubeflow.example.com'] },
      channelOptions: { 'grpc.max_receive_message_length': 1024 },
      observers: [{ callFinished: (outcome) => outcomes.push(outcome) }],
    })
    url = `http://127.0.0.1:${server.grpcWebPort}`
  })
  afterAll(async () => {
    await server?.shutdown(0)
    store?.close()
  })

  it('answers a call with a data frame and an OK trailer frame, seen by the observers', async () => {
    const answer = await send(url, rpcPath('PutArtifactType'), {
      headers: { ...PROTO, 'x-request-id': 'web-1' },
      body: frame(0, encode('PutArtifactType', { artifact_type: { name: 'Web' } })),
    })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('application/grpc-web+proto')
    expect(answer.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': '' })
    const typeId = decode('PutArtifactType', answer.message).type_id
    expect(store.getArtifactType({ type_name: 'Web' }).artifact_type?.id).toBe(BigInt(typeId as string))
    expect(outcomes.at(-1)).toMatchObject({ rpc: 'PutArtifactType', requestId: 'web-1', code: 0 })
  })

  it('speaks grpc-web-text: base64 in, base64 out', async () => {
    const answer = await send(url, rpcPath('GetArtifactTypes'), {
      headers: { 'content-type': 'application/grpc-web-text', 'x-grpc-web': '1' },
      body: frame(0, encode('GetArtifactTypes', {})).toString('base64'),
    })
    expect(answer.headers['content-type']).toBe('application/grpc-web-text+proto')
    expect(answer.trailers['grpc-status']).toBe('0')
    const types = decode('GetArtifactTypes', answer.message).artifact_types as { name: string }[]
    expect(types.map((t) => t.name)).toContain('Web')
  })

  it('sends store errors, unknown methods and bad requests as grpc-status trailers', async () => {
    const missing = await send(url, rpcPath('GetArtifactType'), {
      headers: PROTO,
      body: frame(0, encode('GetArtifactType', { type_name: 'none' })),
    })
    expect(missing.status).toBe(200)
    expect(missing.message).toBeUndefined()
    expect(missing.trailers['grpc-status']).toBe(String(Code.NotFound))
    expect(missing.trailers['grpc-message']).toBe('No type found for query, name: `none`, version: `nullopt`')

    const unknown = await send(url, '/ml_metadata.MetadataStoreService/DropEverything', {
      headers: PROTO,
      body: frame(0, Buffer.alloc(0)),
    })
    expect(unknown.trailers['grpc-status']).toBe(String(Code.Unimplemented))

    const garbage = await send(url, rpcPath('GetArtifactType'), {
      headers: PROTO,
      body: frame(0, Buffer.from([0xff, 0xff, 0xff])),
    })
    expect(garbage.trailers['grpc-status']).toBe(String(Code.InvalidArgument))

    const timeout = await send(url, rpcPath('GetArtifactTypes'), {
      headers: { ...PROTO, 'grpc-timeout': 'soon' },
      body: frame(0, Buffer.alloc(0)),
    })
    expect(timeout.trailers['grpc-status']).toBe(String(Code.InvalidArgument))

    const tooBig = await send(url, rpcPath('PutArtifactType'), {
      headers: PROTO,
      body: frame(0, encode('PutArtifactType', { artifact_type: { name: 'x'.repeat(4000) } })),
    })
    expect(tooBig.trailers['grpc-status']).toBe(String(Code.ResourceExhausted))
    expect(() => store.getArtifactType({ type_name: 'x'.repeat(4000) })).toThrow(/No type found/)
  })

  it('answers a preflight from loopback and configured origins only', async () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:8081', 'https://kubeflow.example.com']) {
      const preflight = await send(url, rpcPath('GetArtifacts'), {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-grpc-web,x-user-agent',
        },
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers['access-control-allow-origin']).toBe(origin)
      expect(preflight.headers['access-control-allow-methods']).toContain('POST')
      expect(preflight.headers['access-control-allow-headers']).toMatch(
        /x-grpc-web.*x-user-agent.*authorization/,
      )
    }
    const call = await send(url, rpcPath('GetArtifactTypes'), {
      headers: { ...PROTO, origin: 'https://kubeflow.example.com' },
      body: frame(0, Buffer.alloc(0)),
    })
    expect(call.headers['access-control-allow-origin']).toBe('https://kubeflow.example.com')
    expect(call.headers['access-control-expose-headers']).toContain('grpc-status')

    const stranger = await send(url, rpcPath('PutArtifactType'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(stranger.status).toBe(403)
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined()
    const posted = await send(url, rpcPath('PutArtifactType'), {
      headers: { ...PROTO, origin: 'https://evil.example' },
      body: frame(0, encode('PutArtifactType', { artifact_type: { name: 'Evil' } })),
    })
    expect(posted.status).toBe(403)
    expect(() => store.getArtifactType({ type_name: 'Evil' })).toThrow(/No type found/)
  })

  it('refuses other host names on loopback (DNS rebinding), other methods and content types', async () => {
    const rebound = await send(url, rpcPath('GetArtifactTypes'), {
      headers: { ...PROTO, host: `evil.example:${server.grpcWebPort}` },
      body: frame(0, Buffer.alloc(0)),
    })
    expect(rebound.status).toBe(421)
    expect((await send(url, rpcPath('GetArtifactTypes'), { method: 'GET' })).status).toBe(405)
    const plain = await send(url, rpcPath('GetArtifactTypes'), {
      headers: { 'content-type': 'text/plain' },
      body: frame(0, Buffer.alloc(0)),
    })
    expect(plain.status).toBe(415)
  })
})

describe('grpc-web with store workers, a token and TLS', () => {
  let dir: string
  let server: GrpcServer
  let certs: ReturnType<typeof makeCertificates>

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-grpc-web-'))
    certs = makeCertificates(dir)
    createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') }).close()
    server = await createGrpcServer({
      workers: { store: { filename: path.join(dir, 'mlmd.sqlite'), mustExist: true }, readWorkers: 1 },
      port: 0,
      grpcWeb: { port: 0 },
      authToken: 'tls-web-token',
      tls: {
        serverCert: readFileSync(certs.serverCert),
        serverKey: readFileSync(certs.serverKey),
        customCa: readFileSync(certs.ca),
        clientVerify: true,
      },
    })
  }, 60_000)
  afterAll(async () => {
    await server?.shutdown(0)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('serves HTTPS with client certificates and the token, as the gRPC port does', async () => {
    const url = `https://localhost:${server.grpcWebPort}`
    const tls = {
      ca: readFileSync(certs.ca, 'utf8'),
      cert: readFileSync(certs.clientCert, 'utf8'),
      key: readFileSync(certs.clientKey, 'utf8'),
    }
    const body = frame(0, encode('PutArtifactType', { artifact_type: { name: 'Secure' } }))
    const put = await send(url, rpcPath('PutArtifactType'), {
      headers: { ...PROTO, authorization: 'Bearer tls-web-token' },
      body,
      tls,
    })
    expect(put.trailers['grpc-status']).toBe('0')
    const get = await send(url, rpcPath('GetArtifactTypes'), {
      headers: { ...PROTO, authorization: 'Bearer tls-web-token' },
      body: frame(0, Buffer.alloc(0)),
      tls,
    })
    const names = (decode('GetArtifactTypes', get.message).artifact_types as { name: string }[]).map(
      (t) => t.name,
    )
    expect(names).toContain('Secure')

    const noToken = await send(url, rpcPath('GetArtifactTypes'), {
      headers: PROTO,
      body: frame(0, Buffer.alloc(0)),
      tls,
    })
    expect(noToken.trailers['grpc-status']).toBe(String(Code.Unauthenticated))
    // Without a client certificate the TLS handshake fails.
    await expect(
      send(url, rpcPath('GetArtifactTypes'), {
        headers: { ...PROTO, authorization: 'Bearer tls-web-token' },
        body: frame(0, Buffer.alloc(0)),
        tls: { ca: tls.ca },
      }),
    ).rejects.toThrow()
  })
})
