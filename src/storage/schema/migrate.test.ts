import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code } from '../../errors.js'
import { MetadataSource } from '../metadata-source.js'
import { planMigration, runMigration, shapeDifferences } from './migrate.js'
import type { EngineMigrations } from './migrations/migration-scheme.js'
import { readSqliteShape, SQLITE_MIGRATIONS } from './migrations/sqlite.js'
import { initMetadataStore, migrateSchema, planSchemaMigration, readSchemaVersion } from './mlmd-env.js'
import { INDICES, LOOKUP_INDICES, SCHEMA_VERSION } from './v10.js'

const LOOKUP = new Set(LOOKUP_INDICES.map((ddl) => /`([^`]+)`/.exec(ddl)?.[1]))

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-migrate-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function errorOf(body: () => unknown): unknown {
  try {
    body()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

/** A fresh v10 file of ours with a few rows, closed, in rollback-journal mode. */
function freshFile(name = 'store.db'): string {
  const file = path.join(dir, name)
  const source = MetadataSource.open({ filename: file })
  initMetadataStore(source)
  source.exec(`
    INSERT INTO Type (name, type_kind) VALUES ('Model', 1);
    INSERT INTO Artifact (type_id, uri, name, external_id) VALUES (10, 's3://a', 'a', 'ext-a');
    INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, int_value) VALUES (1, 'n', 1, 7);
    PRAGMA journal_mode = DELETE;
  `)
  source.close()
  return file
}

function withSource<T>(file: string, body: (source: MetadataSource) => T): T {
  const source = MetadataSource.open({ filename: file })
  try {
    return body(source)
  } finally {
    source.close()
  }
}

describe('schema migrations (SQLite)', () => {
  describe('the data', () => {
    it('has a scheme for every version from 0 to 10', () => {
      expect(SQLITE_MIGRATIONS.latest).toBe(SCHEMA_VERSION)
      expect([...SQLITE_MIGRATIONS.schemes.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(SQLITE_MIGRATIONS.schemes.get(0)?.upgrade).toEqual([])
      expect(SQLITE_MIGRATIONS.schemes.get(10)?.downgrade).toEqual([])
    })

    it("describes version 10 exactly as the schema mlmd-ts creates (tables, columns, MLMD's indices)", () => {
      const file = freshFile()
      const actual = withSource(file, (source) => source.execute('read', readSqliteShape))
      const v10 = SQLITE_MIGRATIONS.schemes.get(10)?.shape
      expect(Object.keys(actual.tables).sort()).toEqual(Object.keys(v10?.tables ?? {}).sort())
      expect(shapeDifferences(v10 ?? { tables: {}, indices: [] }, actual)).toEqual([])
      const mlmdIndexNames = INDICES.map((ddl) => /`([^`]+)`/.exec(ddl)?.[1]).sort()
      expect([...(v10?.indices ?? [])].sort()).toEqual(mlmdIndexNames)
    })

    it('goes down to every version and back up to the same tables, indices and rows', () => {
      const file = freshFile()
      const before = withSource(file, (source) =>
        source.execute('read', (tx) => ({
          shape: readSqliteShape(tx),
          artifacts: tx.all({ sql: 'SELECT * FROM Artifact', params: [] }),
        })),
      )
      for (let version = 9; version >= 0; version--) {
        withSource(file, (source) => {
          migrateSchema(source, version, { migrationBackupPath: false })
          const shape = source.execute('read', readSqliteShape)
          const expected = SQLITE_MIGRATIONS.schemes.get(version)?.shape
          expect(shapeDifferences(expected ?? { tables: {}, indices: [] }, shape), `at ${version}`).toEqual(
            [],
          )
          // Only the tables of that version (and no leftover Temp tables).
          expect(Object.keys(shape.tables).sort()).toEqual(Object.keys(expected?.tables ?? {}).sort())
          migrateSchema(source, 10, { migrationBackupPath: false })
          const back = source.execute('read', readSqliteShape)
          expect(back.tables).toEqual(before.shape.tables)
          // mlmd-ts's two lookup indices go with their tables below version 4; opening the
          // store adds them again.
          const withoutLookup = (names: readonly string[]) => new Set(names.filter((n) => !LOOKUP.has(n)))
          expect(withoutLookup(back.indices)).toEqual(withoutLookup(before.shape.indices))
        })
      }
      // The downgrades below 9 dropped the external id, below 5 the name; the rest survives.
      const artifacts = withSource(file, (source) =>
        source.execute('read', (tx) => tx.all({ sql: 'SELECT * FROM Artifact', params: [] })),
      )
      expect(artifacts).toEqual([
        {
          ...(before.artifacts[0] as object),
          name: null,
          external_id: null,
          state: null,
        },
      ])
    })
  })

  describe('planMigration', () => {
    it('plans one step per version, up or down', () => {
      expect(planMigration(SQLITE_MIGRATIONS, 7, 10).steps.map((s) => [s.from, s.to])).toEqual([
        [7, 8],
        [8, 9],
        [9, 10],
      ])
      const down = planMigration(SQLITE_MIGRATIONS, 10, 8)
      expect(down.steps.map((s) => [s.from, s.to])).toEqual([
        [10, 9],
        [9, 8],
      ])
      expect(down.steps[0]?.statements).toBe(SQLITE_MIGRATIONS.schemes.get(9)?.downgrade)
      expect(planMigration(SQLITE_MIGRATIONS, 4, 4).steps).toEqual([])
    })

    it.each([
      [10, 11],
      [10, -1],
      [12, 10],
      [10, 2.5],
    ])('refuses %i -> %i with INVALID_ARGUMENT', (from, to) => {
      expect(errorOf(() => planMigration(SQLITE_MIGRATIONS, from, to))).toMatchObject({
        code: Code.InvalidArgument,
      })
    })
  })

  describe('atomicity', () => {
    // The real steps, with a statement that fails in the middle of step 8 -> 9.
    const broken: EngineMigrations = {
      ...SQLITE_MIGRATIONS,
      schemes: new Map(
        [...SQLITE_MIGRATIONS.schemes].map(([version, scheme]) => [
          version,
          version === 9
            ? { ...scheme, upgrade: [...scheme.upgrade.slice(0, 6), 'INSERT INTO NoSuchTable VALUES (1)'] }
            : scheme,
        ]),
      ),
    }

    it('rolls a failing migration back completely: the file keeps its bytes', () => {
      const file = freshFile()
      withSource(file, (source) => migrateSchema(source, 6, { migrationBackupPath: false }))
      // (The file is in WAL mode now, as every file mlmd-ts opened; closing checkpointed it.)
      const before = readFileSync(file)
      const error = withSource(file, (source) =>
        errorOf(() =>
          source.execute('write', (tx) => runMigration(tx, broken, planMigration(broken, 6, 10))),
        ),
      )
      expect(error).toMatchObject({ code: Code.Internal, message: expect.stringMatching(/NoSuchTable/) })
      expect(readFileSync(file).equals(before)).toBe(true)
      expect(withSource(file, (source) => source.execute('read', readSchemaVersion))).toEqual({
        kind: 'versioned',
        version: 6,
      })
    })

    it('rolls back a step that does not produce its version, naming what is wrong', () => {
      const file = freshFile()
      withSource(file, (source) => migrateSchema(source, 9, { migrationBackupPath: false }))
      const skipping: EngineMigrations = {
        ...SQLITE_MIGRATIONS,
        schemes: new Map(
          [...SQLITE_MIGRATIONS.schemes].map(([v, s]) => [v, v === 10 ? { ...s, upgrade: [] } : s]),
        ),
      }
      const error = withSource(file, (source) =>
        errorOf(() =>
          source.execute('write', (tx) => runMigration(tx, skipping, planMigration(skipping, 9, 10))),
        ),
      )
      expect(error).toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringMatching(
          /After migrating from version 9 to 10, .*table ArtifactProperty has columns/,
        ),
      })
      expect(withSource(file, (source) => source.execute('read', readSchemaVersion))).toEqual({
        kind: 'versioned',
        version: 9,
      })
    })

    it('copies the file before migrating, and migrates nothing when the copy cannot be written', () => {
      const file = freshFile()
      const taken = path.join(dir, 'taken.bak')
      writeFileSync(taken, 'occupied')
      const error = withSource(file, (source) =>
        errorOf(() => migrateSchema(source, 5, { migrationBackupPath: taken })),
      )
      expect(error).toMatchObject({ code: Code.FailedPrecondition, message: expect.stringMatching(/backup/) })
      expect(withSource(file, (source) => source.execute('read', readSchemaVersion))).toEqual({
        kind: 'versioned',
        version: 10,
      })

      const copy = path.join(dir, 'copy.bak')
      const result = withSource(file, (source) => migrateSchema(source, 5, { migrationBackupPath: copy }))
      expect(result.backupPath).toBe(copy)
      expect(existsSync(copy)).toBe(true)
      expect(withSource(copy, (source) => source.execute('read', readSchemaVersion))).toEqual({
        kind: 'versioned',
        version: 10,
      })
    })
  })

  describe('planSchemaMigration', () => {
    it('refuses a file whose tables do not match its version, changing no page of it', () => {
      const file = freshFile()
      withSource(file, (source) =>
        source.exec('UPDATE MLMDEnv SET schema_version = 6; PRAGMA journal_mode = DELETE'),
      )
      const before = readFileSync(file)
      const error = errorOf(() =>
        withSource(file, (source) => migrateSchema(source, 10, { migrationBackupPath: false })),
      )
      expect(error).toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringMatching(/does not have MLMD's schema version 6: table Type has columns/),
      })
      const planned = errorOf(() => withSource(file, (source) => planSchemaMigration(source, 10)))
      expect(planned).toMatchObject({ code: Code.FailedPrecondition })
      expect(withSource(file, (source) => source.execute('read', readSchemaVersion))).toEqual({
        kind: 'versioned',
        version: 6,
      })
      expect(readFileSync(file).subarray(100).equals(before.subarray(100))).toBe(true)
    })
  })
})
