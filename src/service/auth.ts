/**
 * An optional bearer-token check for deployments without mutual TLS: every call must carry the
 * metadata `authorization: Bearer <token>`, or it is answered `UNAUTHENTICATED` before any
 * handler runs. Health checks (`grpc.health.v1.Health`) stay open, so load balancers and
 * orchestrators can probe the server without the secret. MLMD has no such check; it is off
 * unless a token is configured.
 *
 * The token is compared in constant time and never appears in a status message or a log line.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type {
  ServerInterceptingCallInterface,
  ServerInterceptor,
  ServerMethodDefinition,
} from '@grpc/grpc-js'
import { Metadata, ServerInterceptingCall, status } from '@grpc/grpc-js'
import { Code, MlmdError } from '../errors.js'

/** Path prefixes of the services callable without a token. */
export const UNAUTHENTICATED_SERVICES: readonly string[] = ['/grpc.health.v1.Health/']

// RFC 6750's b64token, which is also what gRPC metadata values may carry unescaped.
const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Checks that `token` can be sent as a bearer token.
 * @throws InvalidArgument when it is empty or has characters outside RFC 6750's token syntax
 *   (the message never repeats the token).
 */
export function validateBearerToken(token: string): void {
  if (!TOKEN_SYNTAX.test(token)) {
    throw new MlmdError(
      Code.InvalidArgument,
      'the auth token must be one non-empty word of letters, digits and -._~+/ (optionally ending in =)',
    )
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/**
 * A predicate telling whether an `authorization` metadata value carries `token`. Comparing
 * fixed-length digests with `timingSafeEqual` takes the same time whatever the value, so the
 * answer leaks nothing about how much of a guess was right.
 */
export function bearerTokenMatcher(token: string): (authorization: string) => boolean {
  validateBearerToken(token)
  const expected = digest(token)
  return (authorization) => {
    // The scheme name is case-insensitive (RFC 6750 §2.1).
    const match = /^bearer +(\S+) *$/i.exec(authorization)
    const presented = digest(match?.[1] ?? '')
    return timingSafeEqual(presented, expected) && match !== null
  }
}

function refuse(call: ServerInterceptingCallInterface, details: string): void {
  call.sendStatus({ code: status.UNAUTHENTICATED, details, metadata: new Metadata() })
}

/**
 * A grpc-js server interceptor that lets a call through only with `authorization: Bearer
 * <token>` metadata, except for the services of {@link UNAUTHENTICATED_SERVICES}.
 * @throws InvalidArgument for a token that cannot be sent as a bearer token.
 */
export function createBearerTokenInterceptor(token: string): ServerInterceptor {
  const matches = bearerTokenMatcher(token)
  return (method: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface) => {
    if (UNAUTHENTICATED_SERVICES.some((prefix) => method.path.startsWith(prefix))) {
      return new ServerInterceptingCall(call)
    }
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, pass) => {
            const values = metadata.get('authorization')
            if (values.length === 0) {
              refuse(call, 'This server requires the metadata "authorization: Bearer <token>".')
              return
            }
            const [value] = values
            if (values.length > 1 || typeof value !== 'string' || !matches(value)) {
              refuse(call, 'The bearer token in the "authorization" metadata is not valid.')
              return
            }
            pass(metadata)
          },
        })
      },
    })
  }
}
