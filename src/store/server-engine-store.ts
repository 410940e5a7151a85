/**
 * Stores on server engines (PostgreSQL, MySQL): the operation table bound to an engine's
 * asynchronous driver, after the schema is created or checked. The same operation bodies as
 * the in-process SQLite store; only the driver and the dialect differ.
 *
 * @example
 * ```ts
 * const store = await openMetadataStore('postgres://mlmd:secret@db.internal:5432/metadb')
 * const { artifact_types } = await store.getArtifactTypes({})
 * await store.close()
 * ```
 */
import { Code, MlmdError } from '../errors.js'
import type { MysqlConfig, MysqlSource } from '../storage/mysql-source.js'
import type { PostgresqlConfig, PostgresqlSource } from '../storage/postgresql-source.js'
import type { PostgresqlInitOptions } from '../storage/schema/postgresql-env.js'
import { requestLimits } from './interceptors.js'
import {
  bindAsyncOperations,
  createMetadataStore,
  type MetadataStoreOptions,
  toAsyncMetadataStore,
} from './metadata-store.js'
import type { AsyncMetadataStore } from './metadata-store-api.js'

export type { MysqlConfig } from '../storage/mysql-source.js'
export type { PostgresqlConfig } from '../storage/postgresql-source.js'

/** A database on a server engine, as MLMD's `ConnectionConfig.postgresql` / `.mysql` names one. */
export type ServerDatabase =
  | ({ readonly engine: 'postgresql' } & PostgresqlConfig)
  | ({ readonly engine: 'mysql' } & MysqlConfig)

/** Where a server database is, without its password, for messages and logs. */
export function describeServerDatabase(database: ServerDatabase): string {
  const url = database.url === undefined ? undefined : new URL(database.url)
  const host = database.host ?? url?.hostname ?? 'localhost'
  const defaultPort = database.engine === 'postgresql' ? 5432 : 3306
  const port = database.port ?? (url?.port === '' || url === undefined ? defaultPort : Number(url.port))
  const name = database.database ?? url?.pathname.replace(/^\//, '') ?? ''
  return `${database.engine}://${host}:${port}/${name}`
}

/** Opens the store in a server database (see {@link openPostgresqlStore}, {@link openMysqlStore}). */
export function openServerDatabase(
  database: ServerDatabase,
  options: PostgresqlInitOptions = {},
): Promise<OwnedAsyncMetadataStore> {
  return database.engine === 'postgresql'
    ? openPostgresqlStore({ ...database, ...options })
    : openMysqlStore({ ...database, ...options })
}

/** An asynchronous store that owns its connections. */
export interface OwnedAsyncMetadataStore extends AsyncMetadataStore {
  /** Where the store is, without any password (`postgresql://host:port/db`, or the file). */
  readonly description: string
  /** The engine holding the store. */
  readonly engine: 'sqlite' | 'postgresql' | 'mysql'
  /** Closes the connections. Operations called afterwards fail with FAILED_PRECONDITION. */
  close(): Promise<void>
}

/** Options of {@link openPostgresqlStore}. */
export interface PostgresqlStoreOptions extends PostgresqlConfig, PostgresqlInitOptions {}

/**
 * Connects to a PostgreSQL database (creating it unless `skipDbCreation`) and opens the MLMD
 * store in it, creating schema v10 in an empty database.
 * @throws FailedPrecondition for a refused login, a missing database with `skipDbCreation`, or
 *   a database at another schema version (see `initPostgresqlStore`).
 * @throws Unavailable when the server cannot be reached.
 */
export async function openPostgresqlStore(options: PostgresqlStoreOptions): Promise<OwnedAsyncMetadataStore> {
  // Loaded when first used: the engine's client library and schema code are several MB of heap
  // that every in-process SQLite user would otherwise carry, and its garbage collections scan.
  const [{ PostgresqlSource }, { initPostgresqlStore }] = await Promise.all([
    import('../storage/postgresql-source.js'),
    import('../storage/schema/postgresql-env.js'),
  ])
  const source = await PostgresqlSource.open(options)
  return ownedStore(source, 'postgresql', () => initPostgresqlStore(source, options))
}

// The operation table bound to an opened driver, once its schema is set up (closing the driver
// when that fails).
async function ownedStore(
  source: (PostgresqlSource | MysqlSource) & { close(): Promise<void> },
  engine: 'postgresql' | 'mysql',
  init: () => Promise<void>,
): Promise<OwnedAsyncMetadataStore> {
  try {
    await init()
  } catch (error) {
    await source.close()
    throw error
  }
  const store = bindAsyncOperations(source, [requestLimits])
  return Object.assign(store, { description: source.description, engine, close: () => source.close() })
}

/** Options of {@link openMysqlStore}. */
export interface MysqlStoreOptions extends MysqlConfig, PostgresqlInitOptions {}

/**
 * Connects to a MySQL or MariaDB database (creating it unless `skipDbCreation`) and opens the
 * MLMD store in it, creating schema v10 in an empty database.
 * @throws FailedPrecondition for a refused login, a missing database with `skipDbCreation`, or
 *   a database at another schema version (see `initMysqlStore`).
 * @throws Unavailable when the server cannot be reached.
 */
export async function openMysqlStore(options: MysqlStoreOptions): Promise<OwnedAsyncMetadataStore> {
  // Loaded when first used, as for PostgreSQL.
  const [{ MysqlSource }, { initMysqlStore }] = await Promise.all([
    import('../storage/mysql-source.js'),
    import('../storage/schema/mysql-env.js'),
  ])
  const source = await MysqlSource.open(options)
  return ownedStore(source, 'mysql', () => initMysqlStore(source, options))
}

/**
 * Opens a store by URL: `postgres://…` / `postgresql://…` (PostgreSQL), `mysql://…` (MySQL,
 * MariaDB), or a SQLite file path
 * (or `sqlite:PATH`, `:memory:`), run in process behind promises.
 * @throws InvalidArgument for a URL of an unknown engine.
 */
export async function openMetadataStore(
  url: string,
  options: Omit<MetadataStoreOptions, 'filename'> & PostgresqlInitOptions = {},
): Promise<OwnedAsyncMetadataStore> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'postgres' || scheme === 'postgresql') return openPostgresqlStore({ ...options, url })
  if (scheme === 'mysql' || scheme === 'mariadb')
    return openMysqlStore({ ...options, url: url.replace(/^mariadb:/i, 'mysql:') })
  if (scheme !== undefined && scheme !== 'sqlite' && scheme !== 'file') {
    throw new MlmdError(
      Code.InvalidArgument,
      `Unknown database URL scheme "${scheme}:"; use postgres://…, mysql://… or a SQLite file path.`,
    )
  }
  const filename = url.replace(/^(sqlite|file):(\/\/)?/i, '')
  const owned = createMetadataStore({ ...options, filename })
  return Object.assign(toAsyncMetadataStore(owned), {
    description: owned.filename,
    engine: 'sqlite' as const,
    close: async () => owned.close(),
  })
}
