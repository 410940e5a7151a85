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
import type { EngineMigrations, SchemaShape } from './migrations/migration-scheme.js'

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
}

/**
 * The steps from `from` to `to` (either direction).
 * @throws InvalidArgument when either version is outside 0 … `migrations.latest`.
 */
export function planMigration(migrations: EngineMigrations, from: number, to: number): MigrationPlan {
  for (const [what, version] of [
    ['target', to],
    ['current', from],
  ] as const) {
    if (!Number.isInteger(version) || version < 0 || version > migrations.latest) {
      throw new MlmdError(
        Code.InvalidArgument,
        `The ${what} schema version ${version} is not one this library can migrate; versions 0 to ${migrations.latest} are.`,
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
