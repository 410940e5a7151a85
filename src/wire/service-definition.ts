/**
 * The grpc-js definition of `ml_metadata.MetadataStoreService`, built from the protobufjs root
 * with our own {@link createMessageCodec} (no proto-loader): one entry per RPC, keyed by the RPC
 * name, with path `/ml_metadata.MetadataStoreService/<Rpc>`. The server registers it and the
 * client calls through it, so both ends share one codec.
 *
 * Responses are encoded by the generated encoders of {@link createMessageEncoder}, which write
 * the same bytes as the codec (a differential test checks every message type) several times
 * faster; a server spends most of its encoding time on responses, which carry the nodes.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { Code, MlmdError } from '../errors.js'
import { loadMlmdRoot } from '../proto/load-root.js'
import type { MetadataStoreServiceRpcs } from '../proto/messages.js'
import { RPC_NAMES } from '../proto/messages.js'
import { operationName } from '../store/metadata-store-api.js'
import { createMessageEncoder } from './message-encoder.js'
import { createMessageCodec, findInvalidUtf8, hasTopLevelField, type MessageCodec } from './wire-codec.js'

/** Full name of MLMD's service. */
export const SERVICE_NAME = 'ml_metadata.MetadataStoreService'

/** The name of one RPC of the service (`PutArtifacts`). */
export type RpcName = keyof MetadataStoreServiceRpcs

/** The grpc-js method definition of one RPC, typed with its request and response shapes. */
export type RpcMethodDefinition<K extends RpcName> = MethodDefinition<
  MetadataStoreServiceRpcs[K]['request'],
  MetadataStoreServiceRpcs[K]['response']
>

/** The whole service, keyed by RPC name. */
export type MetadataStoreServiceDefinition = { readonly [K in RpcName]: RpcMethodDefinition<K> }

const WIRE_ERROR: unique symbol = Symbol('mlmd-ts.wireError')

// The requests this definition decoded from bytes.
const decodedRequests = new WeakSet<object>()

/**
 * Whether `request` was decoded from protobuf bytes by this definition: it then holds only
 * fields of its message (decoding drops unknown ones), so no check for misspelt fields is needed.
 */
export function isDecodedRequest(request: object): boolean {
  return decodedRequests.has(request)
}

/**
 * The error a request must be answered with because of something only its bytes show, if any.
 * The deserializer cannot fail the call itself (grpc-js turns a throwing deserializer into
 * INTERNAL), so it attaches the error and the handler raises it.
 */
export function wireErrorOf(request: object): MlmdError | undefined {
  return (request as { [WIRE_ERROR]?: MlmdError })[WIRE_ERROR]
}

// Checks on the raw request bytes, per RPC.
const RAW_REQUEST_CHECKS: Partial<Record<RpcName, (bytes: Uint8Array) => MlmdError | undefined>> = {
  // Field 1 of GetArtifactsByURIRequest was `optional string uri` before MLMD 0.21 and is
  // reserved now; MLMD rejects requests that still carry it (test GetArtifactByURI), which
  // needs the unknown field that protobufjs drops while decoding.
  GetArtifactsByURI: (bytes) =>
    hasTopLevelField(bytes, 1)
      ? new MlmdError(
          Code.InvalidArgument,
          'The request contains deprecated field `uri`. Please upgrade the client library version above ' +
            '0.21.0. GetArtifactsByURIRequest has field 1 set.',
        )
      : undefined,
}

function withWireError(request: object, error: MlmdError): object {
  Object.defineProperty(request, WIRE_ERROR, { value: error })
  return request
}

// Strings must be valid UTF-8: protobufjs would decode invalid bytes into other text, and the
// store would keep that text instead of what was sent.
function invalidUtf8Error(type: protobuf.Type, bytes: Uint8Array): MlmdError | undefined {
  const path = findInvalidUtf8(type, bytes)
  if (path === undefined) return undefined
  return new MlmdError(Code.InvalidArgument, `The request holds a string that is not valid UTF-8 in ${path}`)
}

function methodDefinition(service: protobuf.Service, rpc: RpcName): MethodDefinition<object, object> {
  const method = service.methods[rpc]
  if (method === undefined) throw new Error(`${SERVICE_NAME} has no method ${rpc}`)
  method.resolve()
  const requestType = method.resolvedRequestType
  const responseType = method.resolvedResponseType
  if (requestType === null || responseType === null) throw new Error(`${rpc}: unresolved message types`)
  const request = createMessageCodec<object>(requestType)
  const response = responseCodecOf(responseType)
  const check = RAW_REQUEST_CHECKS[rpc]
  return {
    path: `/${SERVICE_NAME}/${rpc}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value) => Buffer.from(request.encode(value)),
    requestDeserialize: (bytes) => {
      let decoded: object
      let error: MlmdError | undefined
      try {
        decoded = request.decode(bytes)
        error = check?.(bytes) ?? invalidUtf8Error(requestType, bytes)
      } catch (cause) {
        // Bytes that are not a message of the request type (truncated, malformed, or nested
        // deeper than protobuf's recursion limit of 100, as in MLMD's C++ parser) are the
        // caller's mistake: INVALID_ARGUMENT, where grpc-js would answer INTERNAL.
        const type = requestType.fullName.replace(/^\./, '')
        const message = `The request is not a valid ${type}: ${(cause as Error).message}`
        return withWireError({}, new MlmdError(Code.InvalidArgument, message))
      }
      decodedRequests.add(decoded)
      return error === undefined ? decoded : withWireError(decoded, error)
    },
    // A server whose store runs in worker threads gets responses the worker already encoded.
    responseSerialize: (value) =>
      value instanceof Uint8Array
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : (response.encode(value) as Buffer),
    responseDeserialize: (bytes) => response.decode(bytes),
    originalName: operationName(rpc),
  }
}

/** Decodes with the codec, encodes with the generated encoder (which returns a `Buffer`). */
function responseCodecOf(type: protobuf.Type): MessageCodec<object> {
  const codec = createMessageCodec<object>(type)
  return { encode: createMessageEncoder<object>(type), decode: codec.decode }
}

let cached: MetadataStoreServiceDefinition | undefined
const responseCodecs = new Map<RpcName, MessageCodec<object>>()

/** The codec of an RPC's response message, built once (store workers encode responses with it). */
export function responseCodec(rpc: RpcName): MessageCodec<object> {
  let codec = responseCodecs.get(rpc)
  if (codec === undefined) {
    const method = loadMlmdRoot().lookupService(SERVICE_NAME).methods[rpc]
    method?.resolve()
    const type = method?.resolvedResponseType
    if (type === undefined || type === null) throw new Error(`${SERVICE_NAME} has no method ${rpc}`)
    codec = responseCodecOf(type)
    responseCodecs.set(rpc, codec)
  }
  return codec
}

/** The service definition, built once. */
export function metadataStoreServiceDefinition(): MetadataStoreServiceDefinition {
  if (cached !== undefined) return cached
  const service = loadMlmdRoot().lookupService(SERVICE_NAME)
  const definition: Record<string, MethodDefinition<object, object>> = {}
  for (const rpc of RPC_NAMES) definition[rpc] = methodDefinition(service, rpc)
  cached = definition as unknown as MetadataStoreServiceDefinition
  return cached
}

/** The definition in the untyped form `grpc.Server.addService` takes. */
export function untypedServiceDefinition(): ServiceDefinition {
  return metadataStoreServiceDefinition() as unknown as ServiceDefinition
}
