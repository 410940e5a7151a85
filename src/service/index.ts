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
 *
 * // Or: store calls on worker threads, each with its own connection to the file.
 * const pooled = await createGrpcServer({ workers: { store: { filename: 'mlmd.sqlite' } }, port: 8081 })
 * ```
 */

export { metadataStoreServiceDefinition, SERVICE_NAME } from '../wire/service-definition.js'
export {
  createGrpcServer,
  GrpcServer,
  type GrpcServerOptions,
  type ServerTlsConfig,
  type ShutdownReport,
} from './grpc-server.js'
export {
  type GrpcWebServer,
  type GrpcWebServerOptions,
  startGrpcWebServer,
} from './grpc-web.js'
export { LINEAGE_NODES, type LineageNodes } from './lineage-nodes.js'
export {
  parseChannelArguments,
  parseServerConfig,
  type ServerConfigSettings,
  settingsFromServerConfig,
} from './server-config.js'
export { parseTextFormat } from './text-format.js'
export type { PoolCloseReport, WorkerPoolOptions } from './worker-pool.js'
