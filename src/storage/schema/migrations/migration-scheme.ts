/**
 * The shape of one engine's schema migrations, after MLMD's `migration_schemes` in its query
 * config: for every schema version `v`, the statements that take a database from `v - 1` up to
 * `v`, the statements that take it from `v + 1` down to `v`, and what a database at `v` must
 * look like. Each engine (SQLite now; PostgreSQL and MySQL beside it later) supplies one
 * {@link EngineMigrations}; the runner in `../migrate.ts` only reads this data.
 */
import type { DirectTx } from '../../transaction-executor.js'

/** What a database at one schema version holds: its tables (with columns in order) and indices. */
export interface SchemaShape {
  /** Every MLMD table at this version, with its column names in declaration order. */
  readonly tables: Readonly<Record<string, readonly string[]>>
  /** The named secondary indices MLMD keeps at this version (a database may have more). */
  readonly indices: readonly string[]
}

/** How to reach one schema version from each neighbour, and what it looks like. */
export interface MigrationScheme {
  /** Statements run in order to go from `version - 1` to `version`. Empty for version 0. */
  readonly upgrade: readonly string[]
  /** Statements run in order to go from `version + 1` to `version`. Empty for the newest. */
  readonly downgrade: readonly string[]
  /** The schema a database has at this version; checked before and after every step. */
  readonly shape: SchemaShape
}

/** One engine's migration schemes, keyed by schema version. */
export interface EngineMigrations {
  readonly engine: 'sqlite' | 'postgresql' | 'mysql'
  /** The version the library reads and writes: the newest key of `schemes`. */
  readonly latest: number
  /** Schemes for every version from 0 to `latest`. */
  readonly schemes: ReadonlyMap<number, MigrationScheme>
  /**
   * Records the new version after a step (one bound parameter, the version). Version 0 has no
   * version table; its step drops it instead.
   */
  readonly setVersion: string
  /** Reads the tables (columns in order) and index names of the database, in this engine's catalog. */
  readonly readShape: (tx: DirectTx) => SchemaShape
}

/**
 * One server engine's migration schemes (PostgreSQL, MySQL). Their databases are reached
 * asynchronously, so the runner (`runServerMigration` in `../migrate.ts`) reads the shape
 * itself; the shapes of the versions are the engine-independent table and column names.
 */
export interface ServerEngineMigrations {
  readonly engine: 'postgresql' | 'mysql'
  /** The oldest version the engine has (MLMD's PostgreSQL starts at 1). */
  readonly oldest: number
  readonly latest: number
  readonly schemes: ReadonlyMap<number, MigrationScheme>
  /** Records the new version after a step (one bound parameter, the version). */
  readonly setVersion: string
  /**
   * For an engine that commits each DDL statement by itself (MySQL), where a killed migration
   * can leave a step half done: per statement text, the catalog facts that show it has already
   * run (any one suffices), so a re-run skips it and finishes the step. Statements without an
   * entry are safe to run again. Absent on engines whose migration is one transaction.
   */
  readonly doneWhen?: ReadonlyMap<string, readonly CatalogFact[]>
}

/**
 * Something a database's catalog shows or does not: a table, a column of a table, or a named
 * index of a table. `present: false` holds when the thing is missing (a column of a missing
 * table is missing too).
 */
export type CatalogFact =
  | { readonly table: string; readonly present: boolean }
  | { readonly table: string; readonly column: string; readonly present: boolean }
  | { readonly table: string; readonly index: string; readonly present: boolean }

/** A server database's tables, each with its columns and the names of its indices. */
export type Catalog = Readonly<
  Record<string, { readonly columns: readonly string[]; readonly indices: readonly string[] }>
>
