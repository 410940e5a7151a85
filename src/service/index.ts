/**
 * The gRPC side of mlmd-ts: a server for `ml_metadata.MetadataStoreService` over any
 * `MetadataStore`, and MLMD's server configuration.
 *
 * @example
 * ```ts
 * const store = createMetadataStore({ filename: 'mlmd.sqlite' })
 * const server = await createGrpcServer({ store, port: 8080 })
 * // … later
 * await server.shutdown()
 * store.close()
 * ```
 */
export { createGrpcServer, GrpcServer, type GrpcServerOptions, type ServerTlsConfig } from './grpc-server.js'
export {
  parseChannelArguments,
  parseServerConfig,
  type ServerConfigSettings,
  settingsFromServerConfig,
} from './server-config.js'
export { metadataStoreServiceDefinition, SERVICE_NAME } from './service-definition.js'
export { parseTextFormat } from './text-format.js'
