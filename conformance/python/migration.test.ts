// Schema migrations against the real ML Metadata (1.16.0), on files MLMD itself produced:
//
//   MLMD fills a v10 file (interchange.py's content: every value kind, events with paths,
//   contexts, links, parent contexts, external ids) and downgrades copies of it to every
//   version 9 … 0. For each version N:
//   - upgrade: mlmd-ts upgrades one copy of MLMD's v<N> file (createMetadataStore with
//     enableUpgradeMigration), MLMD upgrades another; MLMD reads both back: identical answers
//     and identical rows.
//   - downgrade: mlmd-ts downgrades a copy of the v10 file to N (downgradeToSchemaVersion):
//     the same rows and schema objects as MLMD's own downgrade; then MLMD opens and upgrades
//     the result: identical read-back to MLMD's downgrade-and-upgrade.
//   The filled content leaves out bool and proto property values: MLMD's downgrade below 10
//   keeps such properties as rows with every value column NULL, which MLMD cannot read back
//   even after upgrading again. A separate case shows that with the full content, mlmd-ts's
//   downgrade leaves the same rows and MLMD answers the same INTERNAL error on both files.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Code, MlmdError } from '../../src/errors.js'
import { LOOKUP_INDICES } from '../../src/storage/schema/v10.js'
import { createMetadataStore } from '../../src/store/metadata-store.js'
import { runPythonAsync } from './support.js'
import { describeWithMlmd, PYTHON_DIR } from './venv.js'

const SCRIPT = path.join(PYTHON_DIR, 'migration.py')
const OLDER_VERSIONS = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
const LOOKUP_INDEX_NAMES = new Set(LOOKUP_INDICES.map((ddl) => /`([^`]+)`/.exec(ddl)?.[1]))

type Command = readonly [string, ...(string | number)[]]
interface SqlDump {
  schema: [string, string][]
  [table: string]: unknown
}

async function mlmd(commands: readonly Command[]): Promise<unknown[]> {
  const run = await runPythonAsync([SCRIPT, 'batch'], { input: JSON.stringify(commands), timeoutMs: 300_000 })
  if (run.code !== 0) throw new Error(`migration.py batch failed:\n${run.output}`)
  const results = JSON.parse(run.stdout.trim().split('\n').pop() ?? '[]') as unknown[]
  results.forEach((result, i) => {
    if (typeof result === 'object' && result !== null && 'error' in result) {
      throw new Error(`MLMD failed ${JSON.stringify(commands[i])}: ${(result as { error: string }).error}`)
    }
  })
  return results
}

// The schema objects without the two lookup indices mlmd-ts adds to every file it opens.
function withoutLookupIndices(dump: SqlDump): SqlDump {
  return { ...dump, schema: dump.schema.filter(([, name]) => !LOOKUP_INDEX_NAMES.has(name)) }
}

let dir: string
const file = (name: string): string => path.join(dir, name)
const table: { version: number; upgrade: string; downgrade: string; readBack: string }[] = []

describeWithMlmd('schema migrations against ml-metadata 1.16.0', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-migration-'))
    const fill = await runPythonAsync([SCRIPT, 'fill', file('v10.sqlite')], { timeoutMs: 120_000 })
    if (fill.code !== 0) throw new Error(`migration.py fill failed:\n${fill.output}`)
    for (const version of OLDER_VERSIONS) copyFileSync(file('v10.sqlite'), file(`mlmd-v${version}.sqlite`))
    const versions = await mlmd(OLDER_VERSIONS.map((v) => ['downgrade', file(`mlmd-v${v}.sqlite`), v]))
    expect(versions).toEqual(OLDER_VERSIONS)
  }, 300_000)

  afterAll(() => {
    if (table.length > 0) {
      console.log(
        `schema migrations, mlmd-ts vs ml-metadata 1.16.0 (SQLite):\n${[
          '| from/to version | upgrade to 10 | downgrade from 10 | read-back equal |',
          '| --- | --- | --- | --- |',
          ...table
            .sort((a, b) => b.version - a.version)
            .map((r) => `| ${r.version} | ${r.upgrade} | ${r.downgrade} | ${r.readBack} |`),
        ].join('\n')}`,
      )
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it("matches MLMD where MLMD's downgrade loses bool and proto values, and says what MLMD then reads", async () => {
    // The full interchange content, with bool and proto property values.
    const full = file('full-v10.sqlite')
    const write = await runPythonAsync([SCRIPT, 'write', full], { timeoutMs: 120_000 })
    if (write.code !== 0) throw new Error(`migration.py write failed:\n${write.output}`)
    const theirs = file('full-mlmd-v9.sqlite')
    const ours = file('full-ours-v9.sqlite')
    copyFileSync(full, theirs)
    copyFileSync(full, ours)
    expect(() =>
      createMetadataStore({ filename: ours, downgradeToSchemaVersion: 9, migrationBackupPath: false }),
    ).toThrow(/Downgrade migration was performed/)
    const [, sqlTheirs, sqlOurs, , , readTheirs, readOurs] = await mlmd([
      ['downgrade', theirs, 9],
      ['sql', theirs],
      ['sql', ours],
      ['upgrade', theirs],
      ['upgrade', ours],
      ['get_artifacts', theirs],
      ['get_artifacts', ours],
    ])
    // The same rows: bool and proto properties stay as rows whose value columns are all NULL.
    expect(sqlOurs).toEqual(sqlTheirs)
    // MLMD cannot read such rows back, even after upgrading the file again itself.
    const unreadable = {
      code: 'INTERNAL',
      message: expect.stringMatching(/null value in every known \*_value column/),
    }
    expect(readTheirs).toEqual(unreadable)
    expect(readOurs).toEqual(unreadable)
  }, 300_000)

  it.each(OLDER_VERSIONS)(
    'upgrades and downgrades version %i as MLMD does, and MLMD reads the same back',
    async (version) => {
      const original = file(`mlmd-v${version}.sqlite`)
      const oursUp = file(`ours-up-from-v${version}.sqlite`)
      const theirsUp = file(`mlmd-up-from-v${version}.sqlite`)
      const oursDown = file(`ours-down-to-v${version}.sqlite`)
      copyFileSync(original, oursUp)
      copyFileSync(original, theirsUp)
      copyFileSync(file('v10.sqlite'), oursDown)

      // mlmd-ts upgrades MLMD's v<N> file on open, copying it first.
      const events: string[] = []
      const store = createMetadataStore({
        filename: oursUp,
        enableUpgradeMigration: true,
        onMigration: (event) => {
          if (event.kind === 'backup') events.push(event.path)
        },
      })
      store.close()
      expect(events).toHaveLength(1)
      expect(existsSync(events[0] as string)).toBe(true)

      // mlmd-ts downgrades MLMD's v10 file, and stops with CANCELLED as MLMD does.
      let downgradeError: unknown
      try {
        createMetadataStore({
          filename: oursDown,
          downgradeToSchemaVersion: version,
          migrationBackupPath: false,
        })
      } catch (error) {
        downgradeError = error
      }
      expect(downgradeError).toBeInstanceOf(MlmdError)
      expect(downgradeError).toMatchObject({ code: Code.Cancelled })

      const [backupVersion, upVersion, mlmdSqlDown, oursSqlDown, , , theirsUpVersion, oursDownUpVersion] =
        await mlmd([
          ['version', events[0] as string],
          ['version', oursUp],
          ['sql', original],
          ['sql', oursDown],
          ['upgrade', theirsUp],
          ['upgrade', oursDown],
          ['version', theirsUp],
          ['version', oursDown],
        ])
      expect(backupVersion).toBe(version)
      expect(upVersion).toBe(10)
      expect([theirsUpVersion, oursDownUpVersion]).toEqual([10, 10])

      // Downgrade: the same rows, and the same tables and indices, as MLMD's own downgrade.
      const downgradeEqual = JSON.stringify(oursSqlDown) === JSON.stringify(mlmdSqlDown)
      expect(oursSqlDown).toEqual(mlmdSqlDown)

      // Upgrade: MLMD reads back the same from both upgrades, and the rows are the same.
      const [readOursUp, readTheirsUp, readOursDownUp, sqlOursUp, sqlTheirsUp, sqlOursDownUp] = await mlmd([
        ['read', oursUp],
        ['read', theirsUp],
        ['read', oursDown],
        ['sql', oursUp],
        ['sql', theirsUp],
        ['sql', oursDown],
      ])
      expect(readOursUp).toEqual(readTheirsUp)
      expect(withoutLookupIndices(sqlOursUp as SqlDump)).toEqual(sqlTheirsUp)
      expect(readOursDownUp).toEqual(readTheirsUp)
      expect(sqlOursDownUp).toEqual(sqlTheirsUp)
      expect((readTheirsUp as unknown[]).length).toBeGreaterThan(50)

      table.push({
        version,
        upgrade: 'rows and reads = MLMD',
        downgrade: downgradeEqual ? 'rows and schema = MLMD' : 'differs',
        readBack: 'yes (after mlmd-ts upgrade, and after MLMD upgrade of mlmd-ts downgrade)',
      })
    },
    300_000,
  )
})
