/**
 * A typed gRPC client for `ml_metadata.MetadataStoreService` (ours or MLMD's server) with the
 * same operations as the in-process store ({@link AsyncMetadataStore}), so code can move
 * between a local file and a shared server by configuration.
 *
 * Like MLMD's Python client it retries `ABORTED` (lock contention on the server) with
 * exponential backoff, and raises every other failure as an {@link MlmdError} with the
 * server's code and message, the same errors the in-process store throws.
 *
 * @example
 * ```ts
 * const store = createMetadataStoreClient({ host: '127.0.0.1', port: 8080 })
 * const { type_id } = await store.putArtifactType({ artifact_type: { name: 'Model' } })
 * store.close()
 * ```
 */
import type { CallOptions, ChannelCredentials, ChannelOptions, ServiceError } from '@grpc/grpc-js'
import { Client, credentials as grpcCredentials, Metadata } from '@grpc/grpc-js'
import { Code, MlmdError } from '../errors.js'
import type { MetadataStoreClientConfig } from '../proto/messages.js'
import { RPC_NAMES } from '../proto/messages.js'
import {
  DEFAULT_RETRY_POLICY,
  type OperationCall,
  type RetryPolicy,
  retryCalls,
} from '../store/interceptors.js'
import type { AsyncMetadataStore, CallOptions as StoreCallOptions } from '../store/metadata-store-api.js'
import { operationName } from '../store/metadata-store-api.js'
import { modeOf } from '../store/operation.js'
// The service definition (paths and the wire codec) is the contract both ends share.
import { metadataStoreServiceDefinition } from '../wire/service-definition.js'

export { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../store/interceptors.js'

/** PEM material for a TLS connection. */
export interface ClientTlsConfig {
  /** CA certificates that the server's certificate must chain to; system roots when absent. */
  readonly customCa?: string | Uint8Array | undefined
  /** The client's private key, for servers that verify clients (mutual TLS). */
  readonly clientKey?: string | Uint8Array | undefined
  /** The client's certificate chain, for mutual TLS. */
  readonly clientCert?: string | Uint8Array | undefined
}

/** Where and how to connect. */
export interface MetadataStoreClientOptions {
  /** Server host; default `127.0.0.1`. */
  readonly host?: string | undefined
  /** Server port; default 8080. */
  readonly port?: number | undefined
  /** TLS (plaintext when absent). Ignored when `credentials` is given. */
  readonly tls?: ClientTlsConfig | undefined
  /** Ready-made grpc-js credentials, for anything `tls` does not cover. */
  readonly credentials?: ChannelCredentials | undefined
  /** grpc-js channel options, e.g. `grpc.max_receive_message_length`. */
  readonly channelOptions?: ChannelOptions | undefined
  /** Deadline of each attempt in milliseconds (MLMD's `client_timeout_sec`); none by default. */
  readonly timeoutMs?: number | undefined
  /**
   * Retrying: {@link DEFAULT_RETRY_POLICY} (ABORTED, as MLMD's Python client) with these fields
   * changed. Other codes added to `codes` retry reads only.
   */
  readonly retry?: Partial<RetryPolicy> | undefined
  /**
   * A bearer token for servers started with `--auth-token-file`: sent with every call as the
   * metadata `authorization: Bearer <authToken>`. Use it over TLS beyond loopback; in
   * plaintext anyone on the path can read it.
   */
  readonly authToken?: string | undefined
  /** Called before each retry of a failed call (for logs and metrics). */
  readonly onRetry?: ((rpc: string, attempt: number, error: MlmdError) => void) | undefined
}

/** The store's operations over gRPC, plus closing the connection. */
export interface MetadataStoreClient extends AsyncMetadataStore {
  /** `host:port` of the server. */
  readonly address: string
  /** Closes the channel; calls after it fail. */
  close(): void
}

/** Client options from MLMD's own `MetadataStoreClientConfig` (as Python's client reads it). */
export function clientOptionsFromConfig(config: MetadataStoreClientConfig): MetadataStoreClientOptions {
  const channelOptions: ChannelOptions = {}
  const args = config.channel_arguments
  if (args?.max_receive_message_length !== undefined) {
    channelOptions['grpc.max_receive_message_length'] = Number(args.max_receive_message_length)
  }
  if (args?.http2_max_ping_strikes !== undefined) {
    channelOptions['grpc.http2.max_ping_strikes'] = Number(args.http2_max_ping_strikes)
  }
  const ssl = config.ssl_config
  return {
    host: config.host,
    port: config.port === undefined ? undefined : Number(config.port),
    // MLMD's client sends `ssl_config.server_cert` as its own certificate chain.
    tls:
      ssl === undefined
        ? undefined
        : { customCa: ssl.custom_ca, clientKey: ssl.client_key, clientCert: ssl.server_cert },
    channelOptions,
    timeoutMs: config.client_timeout_sec === undefined ? undefined : config.client_timeout_sec * 1000,
  }
}

function channelCredentials(options: MetadataStoreClientOptions): ChannelCredentials {
  if (options.credentials !== undefined) return options.credentials
  const tls = options.tls
  if (tls === undefined) return grpcCredentials.createInsecure()
  const pem = (value: string | Uint8Array | undefined) =>
    value === undefined || value.length === 0 ? null : Buffer.from(value)
  return grpcCredentials.createSsl(pem(tls.customCa), pem(tls.clientKey), pem(tls.clientCert))
}

/** The error a failed call raises: the server's code and message as an `MlmdError`. */
export function errorFromStatus(error: ServiceError): MlmdError {
  const code =
    error.code >= Code.Cancelled && error.code <= Code.Unauthenticated
      ? (error.code as number as Code)
      : Code.Unknown
  return new MlmdError(code, error.details || error.message, { cause: error })
}

/** Connects (lazily, on the first call) to an MLMD gRPC server. */
export function createMetadataStoreClient(options: MetadataStoreClientOptions = {}): MetadataStoreClient {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 8080
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
  const client = new Client(address, channelCredentials(options), options.channelOptions)
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry }
  const definition = metadataStoreServiceDefinition()

  const authorization = options.authToken === undefined ? undefined : `Bearer ${options.authToken}`

  // A request that cannot be encoded (a wrong value type, nesting beyond protobuf's limit) is
  // the caller's mistake: INVALID_ARGUMENT here, where grpc-js would report INTERNAL.
  const serialize = <Req>(rpc: keyof typeof definition, request: Req): Buffer => {
    try {
      return (definition[rpc].requestSerialize as (value: Req) => Buffer)(request)
    } catch (error) {
      throw new MlmdError(
        Code.InvalidArgument,
        `${rpc}: cannot encode the request: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
  }

  const callOnce = <Res>(rpc: keyof typeof definition, bytes: Buffer, deadline?: number): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      const method = definition[rpc]
      const callOptions: CallOptions = {}
      // Each attempt gets the client's timeout, bounded by the call's own deadline.
      const attemptEnd = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs
      const end = Math.min(attemptEnd, deadline ?? Infinity)
      if (Number.isFinite(end)) callOptions.deadline = end
      const metadata = new Metadata()
      if (authorization !== undefined) metadata.set('authorization', authorization)
      client.makeUnaryRequest<Buffer, Res>(
        method.path,
        (encoded) => encoded,
        method.responseDeserialize as (bytes: Buffer) => Res,
        bytes,
        metadata,
        callOptions,
        (error, response) => {
          if (error !== null) reject(errorFromStatus(error))
          else if (response === undefined) reject(new MlmdError(Code.Internal, `${rpc}: empty response`))
          else resolve(response)
        },
      )
    })

  // Encoded once, before the retries: every attempt sends the same bytes.
  const rpcOf = new Map(RPC_NAMES.map((rpc) => [operationName(rpc) as string, rpc]))
  const encoded = new WeakMap<OperationCall, Buffer>()
  const send = (call: OperationCall): Promise<unknown> => {
    const rpc = rpcOf.get(call.name) as keyof typeof definition
    let bytes = encoded.get(call)
    if (bytes === undefined) {
      bytes = serialize(rpc, call.request)
      encoded.set(call, bytes)
    }
    return callOnce(rpc, bytes, call.options?.deadline)
  }
  const invoke = retryCalls(policy, (call, attempt, error) =>
    options.onRetry?.(rpcOf.get(call.name) as string, attempt, error),
  )(send)

  const operations: Record<string, (request: unknown, callOptions?: StoreCallOptions) => Promise<unknown>> =
    {}
  for (const rpc of RPC_NAMES) {
    const name = operationName(rpc)
    const mode = modeOf(name)
    operations[name] = async (request, callOptions) =>
      invoke({ name, mode, request: request ?? {}, options: callOptions })
  }
  return Object.assign(operations as unknown as AsyncMetadataStore, {
    address,
    close: () => client.close(),
  })
}
