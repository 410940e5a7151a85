/**
 * mlmd-ts: ML Metadata in TypeScript.
 *
 * For users: {@link createMetadataStore} opens an MLMD store in process; every operation is an
 * MLMD RPC with MLMD's messages and error codes ({@link MlmdError}, {@link Code}).
 */

export { Code, codeToString, MlmdError } from './errors.js'
export type { Int64 } from './proto/int64.js'
export { fromJson, type JsonValue, toJson } from './proto/json.js'
export * from './proto/messages.js'
export { SCHEMA_VERSION } from './storage/schema/v10.js'
export type { MetadataStoreOptions, OwnedMetadataStore } from './store/metadata-store.js'
// For users
export { createMetadataStore, toAsyncMetadataStore } from './store/metadata-store.js'
export type { AsyncMetadataStore, MetadataStore, OperationName } from './store/metadata-store-api.js'
// For integrators
export { operationName } from './store/metadata-store-api.js'
export type {
  MysqlStoreOptions,
  OwnedAsyncMetadataStore,
  PostgresqlStoreOptions,
} from './store/server-engine-store.js'
export { openMetadataStore, openMysqlStore, openPostgresqlStore } from './store/server-engine-store.js'
