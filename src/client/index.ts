/** The gRPC client of mlmd-ts: the store's operations against an MLMD server (ours or MLMD's). */
export {
  backoffDelayMs,
  type ClientTlsConfig,
  clientOptionsFromConfig,
  createMetadataStoreClient,
  DEFAULT_RETRY_POLICY,
  type MetadataStoreClient,
  type MetadataStoreClientOptions,
  type RetryPolicy,
} from './metadata-store-client.js'
