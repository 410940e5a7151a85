/**
 * grpc-web in front of the gRPC server's own handler table, so browser clients (Kubeflow's
 * frontend, anything built on the `grpc-web` library) reach the store without an Envoy proxy.
 *
 * The wire protocol, as grpc-web clients speak it over HTTP/1.1:
 * - `POST /ml_metadata.MetadataStoreService/<Rpc>` with `content-type` `application/grpc-web`
 *   (or `+proto`) and a body of length-prefixed frames (1 flag byte, 4 bytes big-endian length,
 *   the message), or `application/grpc-web-text`, the same bytes in base64;
 * - the answer is HTTP 200 with a data frame holding the response message, then a trailer
 *   frame (flag 0x80) holding `grpc-status` and `grpc-message` as HTTP/1-style header lines,
 *   since browsers cannot read HTTP trailers;
 * - an `OPTIONS` preflight is answered with the CORS headers the browser asks for.
 *
 * Every call goes through the same handlers as the gRPC port (the same store calls, error
 * codes, deadlines, logs and metrics), and is refused the same way without the bearer token
 * when the server has one. Only unary calls exist in MLMD's service, so one request frame is
 * expected and one response frame sent.
 *
 * Browsers let any page send requests to any address; CORS only decides whether the page may
 * read the answer, and a preflight precedes every grpc-web call because of its content type.
 * So cross-origin calls are allowed only from the origins configured (loopback origins by
 * default), and on a loopback address only loopback host names are served, so a page cannot
 * reach the store by rebinding its DNS name to 127.0.0.1.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { ServerUnaryCall, ServiceError } from '@grpc/grpc-js'
import { Metadata } from '@grpc/grpc-js'
import { Code, MlmdError } from '../errors.js'
import { RPC_NAMES } from '../proto/messages.js'
import { metadataStoreServiceDefinition, type RpcName, SERVICE_NAME } from '../wire/service-definition.js'
import { bearerTokenMatcher } from './auth.js'
import type { ServerTlsConfig } from './grpc-server.js'
import { type Handlers, statusDetails } from './handlers.js'

/** How to run a {@link GrpcWebServer}. */
export interface GrpcWebServerOptions {
  /** The gRPC server's handler table (with its observers), which every call runs through. */
  readonly handlers: Handlers
  /** Address to bind; default 127.0.0.1. */
  readonly host?: string | undefined
  /** Port; 0 picks a free one. */
  readonly port: number
  /** TLS (HTTPS), with client certificates when `clientVerify`; plain HTTP when absent. */
  readonly tls?: ServerTlsConfig | undefined
  /** The bearer token every call must carry in its `authorization` header, if any. */
  readonly authToken?: string | undefined
  /**
   * Origins (`https://kubeflow.example.com`) whose pages may call; `*` allows every origin.
   * Pages served from loopback (`http://localhost:*`, `http://127.0.0.1:*`) always may.
   */
  readonly allowedOrigins?: readonly string[] | undefined
  /** The largest request message accepted; default 4 MiB (grpc-js's default). */
  readonly maxRequestBytes?: number | undefined
}

/** A running grpc-web endpoint. */
export interface GrpcWebServer {
  readonly host: string
  readonly port: number
  /** `http(s)://host:port`, the base URL grpc-web clients are given. */
  readonly url: string
  /**
   * Stops accepting connections; resolves when the open ones have closed. With `force`,
   * connections with calls in flight are cut too.
   */
  close(force?: boolean): Promise<void>
}

/** The four content types of the protocol; the `-text` ones carry the frames in base64. */
const CONTENT_TYPES: Readonly<Record<string, 'binary' | 'text'>> = {
  'application/grpc-web': 'binary',
  'application/grpc-web+proto': 'binary',
  'application/grpc-web-text': 'text',
  'application/grpc-web-text+proto': 'text',
}

// What a grpc-web client sends besides the content type (the official library and
// @improbable-eng's), plus our bearer token and request id.
const ALLOWED_REQUEST_HEADERS = [
  'content-type',
  'x-grpc-web',
  'x-user-agent',
  'grpc-timeout',
  'x-accept-content-transfer-encoding',
  'x-accept-response-streaming',
  'authorization',
  'x-request-id',
].join(', ')

const EXPOSED_HEADERS = 'grpc-status, grpc-message'

const DATA_FRAME = 0x00
const TRAILER_FRAME = 0x80
const COMPRESSED_FLAG = 0x01

const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024

const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|::1)$/i

/** Whether `origin` is a page served from this machine (`http://localhost:3000`). */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin)
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOST.test(url.hostname)
  } catch {
    return false
  }
}

const GRPC_TIMEOUT_UNITS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
}

/**
 * The deadline (epoch ms) a `grpc-timeout` header sets (`100m`, `5S`: at most 8 digits and a
 * unit), or undefined when absent. @throws InvalidArgument for a malformed value.
 */
export function deadlineFromTimeout(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined
  const match = /^(\d{1,8})([HMSmun])$/.exec(header.trim())
  if (match === null) throw new MlmdError(Code.InvalidArgument, `malformed grpc-timeout header "${header}"`)
  return now + Number(match[1]) * (GRPC_TIMEOUT_UNITS[match[2] as string] as number)
}

/**
 * Decodes a grpc-web-text body. Clients may send several base64 chunks one after another, each
 * with its own padding, so the text is decoded chunk by chunk at each padding end.
 * @throws InvalidArgument when it is not base64.
 */
export function decodeTextBody(text: string): Buffer {
  const compact = text.replace(/\s+/g, '')
  if (!/^([A-Za-z0-9+/]*={0,2})*$/.test(compact)) {
    throw new MlmdError(Code.InvalidArgument, 'the grpc-web-text body is not base64')
  }
  const chunks = compact.match(/[A-Za-z0-9+/]+={0,2}/g) ?? []
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk, 'base64')))
}

/** A frame: flag byte, 4-byte big-endian length, payload. */
export function frame(flag: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt8(flag, 0)
  head.writeUInt32BE(payload.byteLength, 1)
  return Buffer.concat([head, payload])
}

/**
 * The request message in a body of frames.
 * @throws Internal when the framing is broken, Unimplemented for a compressed message (no
 *   `grpc-encoding` is accepted), InvalidArgument for more than one message.
 */
export function requestMessage(body: Buffer): Buffer {
  let message: Buffer | undefined
  let offset = 0
  while (offset < body.length) {
    if (body.length - offset < 5) throw new MlmdError(Code.Internal, 'a grpc-web frame header is cut short')
    const flag = body.readUInt8(offset)
    const length = body.readUInt32BE(offset + 1)
    const end = offset + 5 + length
    if (end > body.length) throw new MlmdError(Code.Internal, 'a grpc-web frame is cut short')
    if ((flag & TRAILER_FRAME) === 0) {
      if ((flag & COMPRESSED_FLAG) !== 0) {
        throw new MlmdError(Code.Unimplemented, 'compressed grpc-web messages are not supported')
      }
      if (message !== undefined) {
        throw new MlmdError(Code.InvalidArgument, 'a unary call carries one request message, not several')
      }
      message = body.subarray(offset + 5, end)
    }
    offset = end
  }
  if (message === undefined) throw new MlmdError(Code.Internal, 'the call carries no request message')
  return message
}

// `grpc-message` is percent-encoded (gRPC's HTTP/2 spec): bytes outside printable ASCII, and %.
const encodeGrpcMessage = (message: string): string =>
  [...Buffer.from(message, 'utf8')]
    .map((byte) =>
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('')

/** The trailer frame of a status. */
export function trailerFrame(code: number, message: string): Buffer {
  const lines = `grpc-status:${code}\r\ngrpc-message:${encodeGrpcMessage(message)}\r\n`
  return frame(TRAILER_FRAME, Buffer.from(lines, 'latin1'))
}

const RPC_PATHS: ReadonlyMap<string, RpcName> = new Map(
  RPC_NAMES.map((rpc) => [`/${SERVICE_NAME}/${rpc}`, rpc]),
)

// Header values reach the handlers as gRPC metadata (the bearer token check, the request id).
function metadataOf(req: IncomingMessage): Metadata {
  const metadata = new Metadata()
  for (const name of ['authorization', 'x-request-id']) {
    const value = req.headers[name]
    if (typeof value === 'string') metadata.set(name, value)
  }
  return metadata
}

/** Starts a grpc-web endpoint. @throws Unavailable when the address cannot be bound. */
export async function startGrpcWebServer(options: GrpcWebServerOptions): Promise<GrpcWebServer> {
  const host = options.host ?? '127.0.0.1'
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
  const tokenMatches = options.authToken === undefined ? undefined : bearerTokenMatcher(options.authToken)
  const anyOrigin = options.allowedOrigins?.includes('*') === true
  const origins = new Set(options.allowedOrigins ?? [])
  const originAllowed = (origin: string) => anyOrigin || origins.has(origin) || isLoopbackOrigin(origin)
  const loopbackOnly = LOOPBACK_HOST.test(host)
  const definition = metadataStoreServiceDefinition()

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const origin = req.headers.origin
    const hostname = (req.headers.host ?? '').replace(/:\d+$/, '')
    const refuse = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      res.end(`${text}\n`)
      req.resume()
    }
    if (loopbackOnly && !LOOPBACK_HOST.test(hostname)) {
      refuse(421, `Host ${req.headers.host ?? '(none)'} is not served here`)
      return
    }
    if (origin !== undefined && !originAllowed(origin)) {
      refuse(403, `Origin ${origin} may not call this server (see --grpc_web_origins)`)
      return
    }
    const cors: Record<string, string> =
      origin === undefined
        ? {}
        : {
            'access-control-allow-origin': origin,
            'access-control-expose-headers': EXPOSED_HEADERS,
            vary: 'Origin',
          }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_REQUEST_HEADERS,
        'access-control-max-age': '600',
      })
      res.end()
      return
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { ...cors, allow: 'POST, OPTIONS', 'content-type': 'text/plain; charset=utf-8' })
      res.end('grpc-web calls are POST requests\n')
      req.resume()
      return
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    const format = CONTENT_TYPES[contentType]
    if (format === undefined) {
      res.writeHead(415, { ...cors, 'content-type': 'text/plain; charset=utf-8' })
      res.end(`expected a grpc-web content type (${Object.keys(CONTENT_TYPES).join(', ')})\n`)
      req.resume()
      return
    }

    let answered = false
    const answer = (message: Uint8Array | undefined, code: number, details: string, close = false) => {
      if (answered) return
      answered = true
      const frames = Buffer.concat([
        ...(message === undefined ? [] : [frame(DATA_FRAME, message)]),
        trailerFrame(code, details),
      ])
      const body = format === 'text' ? Buffer.from(frames.toString('base64')) : frames
      res.writeHead(200, {
        ...cors,
        'content-type': format === 'text' ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto',
        'content-length': body.length,
        ...(close ? { connection: 'close' } : {}),
      })
      res.end(body, close ? () => req.destroy() : undefined)
    }
    const fail = (error: MlmdError, close = false) =>
      answer(undefined, error.code, statusDetails(error.rawMessage), close)

    const rpc = RPC_PATHS.get((req.url ?? '').split('?')[0] as string)
    if (rpc === undefined) {
      req.resume()
      fail(new MlmdError(Code.Unimplemented, `Method not found: ${req.url ?? ''}`))
      return
    }
    if (tokenMatches !== undefined) {
      const authorization = req.headers.authorization
      if (authorization === undefined || !tokenMatches(authorization)) {
        req.resume()
        fail(
          new MlmdError(
            Code.Unauthenticated,
            authorization === undefined
              ? 'This server requires the metadata "authorization: Bearer <token>".'
              : 'The bearer token in the "authorization" metadata is not valid.',
          ),
        )
        return
      }
    }
    let deadline: number | undefined
    try {
      deadline = deadlineFromTimeout(req.headers['grpc-timeout'] as string | undefined, Date.now())
    } catch (error) {
      req.resume()
      fail(error as MlmdError)
      return
    }

    // Base64 takes 4 characters for 3 bytes; the frame header adds 5 bytes.
    const limit = format === 'text' ? Math.ceil(((maxRequestBytes + 5) * 4) / 3) + 4 : maxRequestBytes + 5
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      if (answered) return
      size += chunk.length
      if (size > limit) {
        // Stop reading a request that is too large, and close the connection after answering.
        fail(
          new MlmdError(
            Code.ResourceExhausted,
            `the request is larger than the ${maxRequestBytes} bytes this server accepts`,
          ),
          true,
        )
        return
      }
      chunks.push(chunk)
    })
    req.on('error', () => undefined)
    req.on('end', () => {
      if (answered) return
      let message: Buffer
      try {
        const body = Buffer.concat(chunks)
        message = requestMessage(format === 'text' ? decodeTextBody(body.toString('latin1')) : body)
      } catch (error) {
        fail(MlmdError.from(error, Code.Internal))
        return
      }
      const method = definition[rpc]
      const request = (method.requestDeserialize as (bytes: Buffer) => object)(message)
      let cancelled = false
      res.on('close', () => {
        if (!answered) cancelled = true
      })
      // What grpc-js hands a unary handler, as far as the handlers read it.
      const call = {
        request,
        metadata: metadataOf(req),
        get cancelled() {
          return cancelled
        },
        getDeadline: () => deadline ?? Infinity,
      } as unknown as ServerUnaryCall<object, unknown>
      const handler = options.handlers[rpc]
      handler(call, (error: Partial<ServiceError> | null, value?: unknown) => {
        if (error !== null && error !== undefined) {
          answer(undefined, error.code ?? Code.Unknown, error.details ?? error.message ?? '')
          return
        }
        let bytes: Buffer
        try {
          bytes = (method.responseSerialize as (response: unknown) => Buffer)(value)
        } catch (cause) {
          fail(
            new MlmdError(Code.Internal, `${rpc}: cannot encode the response: ${(cause as Error).message}`),
          )
          return
        }
        answer(bytes, 0, '')
      })
    })
  }

  const tls = options.tls
  const server =
    tls === undefined
      ? createHttpServer(handle)
      : createHttpsServer(
          {
            key: Buffer.from(tls.serverKey),
            cert: Buffer.from(tls.serverCert),
            ...(tls.customCa === undefined || tls.customCa.length === 0
              ? {}
              : { ca: Buffer.from(tls.customCa) }),
            requestCert: tls.clientVerify === true,
            rejectUnauthorized: tls.clientVerify === true,
          },
          handle,
        )
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new MlmdError(
          Code.Unavailable,
          `cannot serve grpc-web on ${host}:${options.port}: ${error.code === 'EADDRINUSE' ? 'the port is already in use' : error.message}`,
          { cause: error },
        ),
      ),
    )
    server.listen(options.port, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    host,
    port,
    url: `${tls === undefined ? 'http' : 'https'}://${urlHost}:${port}`,
    close: (force = false) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if (force) server.closeAllConnections()
        else server.closeIdleConnections()
      }),
  }
}
