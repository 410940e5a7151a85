/**
 * Runs schema migrations from an engine's versioned data (`migrations/*.ts`), as MLMD's
 * `UpgradeMetadataSourceIfOutOfDate` and `DowngradeMetadataSource` do: one version at a time,
 * each step's statements in order, then the new version recorded. Unlike MLMD, every step is
 * checked before and after against the shape the data gives for its versions, so a file that
 * is not what its version says is refused before anything changes, and a step that does not
 * produce its version's shape rolls the whole migration back.
 *
 * The caller owns the transaction: everything here runs inside one, so a failure (or a killed
 * process) leaves the database at its old version.
 */
import { Code, failedPrecondition, MlmdError } from '../../errors.js'
import type { DirectTx } from '../transaction-executor.js'
import type {
  Catalog,
  CatalogFact,
  EngineMigrations,
  SchemaShape,
  ServerEngineMigrations,
} from './migrations/migration-scheme.js'

/** One version step of a {@link MigrationPlan}. */
export interface MigrationStep {
  readonly from: number
  readonly to: number
  readonly statements: readonly string[]
}

/** The steps that take a database from one schema version to another. */
export interface MigrationPlan {
  readonly from: number
  readonly to: number
  /** Empty when `from === to`. */
  readonly steps: readonly MigrationStep[]
}

/** Reported after each statement of a running migration. */
export interface MigrationProgress {
  readonly step: MigrationStep
  /** 1-based index of the statement just run within its step. */
  readonly statement: number
  readonly sql: string
  /** The statement did not run: a killed earlier run had run it already (MySQL only). */
  readonly skipped?: boolean
}

/**
 * The steps from `from` to `to` (either direction).
 * @throws InvalidArgument when either version is outside `migrations.oldest` (default 0) …
 *   `migrations.latest`.
 */
export function planMigration(
  migrations: Pick<EngineMigrations, 'latest' | 'schemes'> & { readonly oldest?: number },
  from: number,
  to: number,
): MigrationPlan {
  const oldest = migrations.oldest ?? 0
  for (const [what, version] of [
    ['target', to],
    ['current', from],
  ] as const) {
    if (!Number.isInteger(version) || version < oldest || version > migrations.latest) {
      throw new MlmdError(
        Code.InvalidArgument,
        `The ${what} schema version ${version} is not one this library can migrate; versions ${oldest} to ${migrations.latest} are.`,
      )
    }
  }
  const steps: MigrationStep[] = []
  for (let version = from; version !== to; version += to > from ? 1 : -1) {
    const next = to > from ? version + 1 : version - 1
    // Either way a step runs the statements of the scheme of the version it reaches.
    const scheme = migrations.schemes.get(next)
    if (scheme === undefined) throw new Error(`no migration scheme for version ${next}`)
    steps.push({ from: version, to: next, statements: to > from ? scheme.upgrade : scheme.downgrade })
  }
  return { from, to, steps }
}

/**
 * How `actual` falls short of `expected`: missing tables, tables whose columns differ, missing
 * indices. Tables and indices that `expected` does not name are not counted here.
 */
export function shapeDifferences(expected: SchemaShape, actual: SchemaShape): string[] {
  const problems: string[] = []
  for (const [table, columns] of Object.entries(expected.tables)) {
    const found = actual.tables[table]
    if (found === undefined) problems.push(`table ${table} is missing`)
    else if (found.join(',') !== columns.join(',')) {
      problems.push(`table ${table} has columns (${found.join(', ')}), expected (${columns.join(', ')})`)
    }
  }
  const present = new Set(actual.indices)
  for (const index of expected.indices) if (!present.has(index)) problems.push(`index ${index} is missing`)
  return problems
}

/**
 * Checks that the database inside `tx` has the tables and columns of schema `version`, and the
 * indices in `indices`. (Indices are not required in general: MLMD never checks them, and a
 * file that lacks one works, only slower.)
 * @throws FailedPrecondition listing what differs.
 */
export function checkShape(
  tx: DirectTx,
  migrations: EngineMigrations,
  version: number,
  when: string,
  indices: readonly string[] = [],
): void {
  const scheme = migrations.schemes.get(version)
  if (scheme === undefined) throw new Error(`no migration scheme for version ${version}`)
  const problems = shapeDifferences({ tables: scheme.shape.tables, indices }, migrations.readShape(tx))
  if (problems.length > 0) {
    throw failedPrecondition(
      `${when} the database does not have MLMD's schema version ${version}: ${problems.join('; ')}.`,
    )
  }
}

/**
 * Runs `plan` inside the caller's transaction: checks the starting shape, then per step runs
 * its statements, records the version and checks the new shape.
 * @throws FailedPrecondition when a shape check fails; the SQLite error of a failing statement
 *   otherwise. Either way the caller's transaction must roll back.
 */
export function runMigration(
  tx: DirectTx,
  migrations: EngineMigrations,
  plan: MigrationPlan,
  onProgress?: (progress: MigrationProgress) => void,
): void {
  checkShape(tx, migrations, plan.from, `Before migrating from version ${plan.from},`)
  for (const step of plan.steps) {
    step.statements.forEach((sql, i) => {
      tx.run({ sql, params: [] })
      onProgress?.({ step, statement: i + 1, sql })
    })
    // Version 0 has no version table (its step dropped it).
    if (step.to > 0) tx.run({ sql: migrations.setVersion, params: [BigInt(step.to)] })
    checkShape(
      tx,
      migrations,
      step.to,
      `After migrating from version ${step.from} to ${step.to},`,
      createdIndices(step),
    )
  }
  tx.forgetMemo()
}

// The indices a step creates, which must exist after it.
function createdIndices(step: MigrationStep): string[] {
  return step.statements.flatMap((sql) => {
    const name = /^CREATE INDEX (?:IF NOT EXISTS )?`([^`]+)`/.exec(sql)?.[1]
    return name === undefined ? [] : [name]
  })
}

/** What {@link runServerMigration} needs of a connection to a server engine's database. */
export interface ServerMigrationConnection {
  /** Runs one statement (`params` bound). */
  run(sql: string, params?: readonly unknown[]): Promise<void>
  /** The database's tables with their columns (names as the catalog spells them). */
  readShape(): Promise<SchemaShape>
  /** The tables with their columns and indices; needed for engines with `doneWhen`. */
  readCatalog?(): Promise<Catalog>
}

/**
 * How `actual` falls short of the tables and columns of `expected`, comparing names without
 * case (PostgreSQL folds MLMD's names to lower case) and allowing extra columns and tables:
 * on a server engine a column added in place comes last, and MLMD's own PostgreSQL downgrade
 * from 9 to 8 leaves the external ids behind, so only what a version needs is required.
 */
export function missingFromShape(expected: SchemaShape, actual: SchemaShape): string[] {
  const found = new Map(
    Object.entries(actual.tables).map(([t, cs]) => [
      t.toLowerCase(),
      new Set(cs.map((c) => c.toLowerCase())),
    ]),
  )
  const problems: string[] = []
  for (const [table, columns] of Object.entries(expected.tables)) {
    const have = found.get(table.toLowerCase())
    if (have === undefined) {
      problems.push(`table ${table} is missing`)
      continue
    }
    const missing = columns.filter((c) => !have.has(c.toLowerCase()))
    if (missing.length > 0) problems.push(`table ${table} lacks the columns ${missing.join(', ')}`)
  }
  return problems
}

// The tables and columns two shapes share (compared without case).
function commonShape(a: SchemaShape, b: SchemaShape): SchemaShape {
  const tables: Record<string, readonly string[]> = {}
  for (const [table, columns] of Object.entries(a.tables)) {
    const other = Object.entries(b.tables).find(([t]) => t.toLowerCase() === table.toLowerCase())?.[1]
    if (other === undefined) continue
    const theirs = new Set(other.map((c) => c.toLowerCase()))
    tables[table] = columns.filter((c) => theirs.has(c.toLowerCase()))
  }
  return { tables, indices: [] }
}

function schemeOf(migrations: ServerEngineMigrations, version: number) {
  const scheme = migrations.schemes.get(version)
  if (scheme === undefined) throw new Error(`no migration scheme for version ${version}`)
  return scheme
}

async function checkServerShape(
  connection: ServerMigrationConnection,
  migrations: ServerEngineMigrations,
  version: number,
  when: string,
  // The step a killed run may have left half done (resumable engines only): then only what
  // both ends of that step have is required.
  halfDone?: MigrationStep,
): Promise<void> {
  const expected =
    halfDone === undefined
      ? schemeOf(migrations, version).shape
      : commonShape(schemeOf(migrations, halfDone.from).shape, schemeOf(migrations, halfDone.to).shape)
  const problems = missingFromShape(expected, await connection.readShape())
  if (problems.length > 0) {
    throw failedPrecondition(
      `${when} the database does not have MLMD's schema version ${version}: ${problems.join('; ')}.`,
    )
  }
}

/**
 * Checks, before anything changes, that the database has the shape of the version `plan`
 * starts from (on a resumable engine, what both ends of its first step have; see
 * {@link runServerMigration}).
 * @throws FailedPrecondition listing what is missing.
 */
export function checkServerMigrationStart(
  connection: ServerMigrationConnection,
  migrations: ServerEngineMigrations,
  plan: MigrationPlan,
): Promise<void> {
  return checkServerShape(
    connection,
    migrations,
    plan.from,
    `Before migrating from version ${plan.from},`,
    migrations.doneWhen === undefined ? undefined : plan.steps[0],
  )
}

// Whether the catalog shows every effect of a statement that `facts` name (any one of them).
export function catalogShows(catalog: Catalog, facts: readonly CatalogFact[]): boolean {
  const tables = new Map(Object.entries(catalog).map(([t, v]) => [t.toLowerCase(), v]))
  return facts.some((fact) => {
    const table = tables.get(fact.table.toLowerCase())
    const names =
      'column' in fact
        ? table?.columns.map((c) => c.toLowerCase())
        : 'index' in fact
          ? table?.indices.map((i) => i.toLowerCase())
          : undefined
    const name = 'column' in fact ? fact.column : 'index' in fact ? fact.index : undefined
    const found = name === undefined ? table !== undefined : (names ?? []).includes(name.toLowerCase())
    return found === fact.present
  })
}

/**
 * Runs `plan` on a server engine's database, as {@link runMigration} does on SQLite: the
 * starting shape is checked before anything changes, then each step's statements run, the
 * new version is recorded and the new shape checked.
 *
 * Atomicity is the engine's: on PostgreSQL the caller runs this inside one transaction (its
 * DDL is transactional), so a failure or a killed process leaves the database as it was. MySQL
 * commits every DDL statement by itself: a failure leaves the database at the version of the
 * last completed step (recorded after each step), plus whatever part of the failing step ran.
 * Unlike MLMD's, such a half step does not block the next run: the engine's `doneWhen` names,
 * per statement, what shows it ran, so the re-run skips those statements and finishes the step
 * (and the starting shape required is what both ends of the first step have).
 * @throws FailedPrecondition when a shape check fails; the engine's error of a failing
 *   statement otherwise.
 */
export async function runServerMigration(
  connection: ServerMigrationConnection,
  migrations: ServerEngineMigrations,
  plan: MigrationPlan,
  onProgress?: (progress: MigrationProgress) => void | Promise<void>,
): Promise<void> {
  const { doneWhen } = migrations
  if (doneWhen !== undefined && connection.readCatalog === undefined) {
    throw new Error(`the ${migrations.engine} migration connection cannot read its catalog`)
  }
  await checkServerMigrationStart(connection, migrations, plan)
  for (const step of plan.steps) {
    for (const [i, sql] of step.statements.entries()) {
      const facts = doneWhen?.get(sql)
      const skipped =
        facts !== undefined &&
        connection.readCatalog !== undefined &&
        catalogShows(await connection.readCatalog(), facts)
      if (!skipped) await connection.run(sql)
      await onProgress?.({ step, statement: i + 1, sql, ...(skipped ? { skipped } : {}) })
    }
    // Version 0 has no version table (its step dropped it).
    if (step.to > 0) await connection.run(migrations.setVersion, [step.to])
    await checkServerShape(
      connection,
      migrations,
      step.to,
      `After migrating from version ${step.from} to ${step.to},`,
    )
  }
}
