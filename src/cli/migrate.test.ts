import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataSource } from '../storage/metadata-source.js'
import { migrateSchema, readSchemaVersion } from '../storage/schema/mlmd-env.js'
import { createMetadataStore } from '../store/metadata-store.js'
import type { CliIo } from './io.js'
import { main } from './main.js'
import { maskedUrl, parseMigrateArgs } from './migrate.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
const TSX = createRequire(import.meta.url).resolve('tsx')

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-migrate-'))
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function testIo() {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    cwd: dir,
    waitForSignal: () => new Promise(() => {}),
  }
  return { io, out, err }
}

/** A store with `artifacts` artifacts (two properties each), executions, events and contexts. */
function filledStore(name: string, artifacts = 20): string {
  const file = path.join(dir, name)
  const store = createMetadataStore({ filename: file })
  const { type_id: model } = store.putArtifactType({
    artifact_type: { name: 'Model', properties: { size: 1, label: 3 } },
  })
  const { type_id: run } = store.putExecutionType({ execution_type: { name: 'Run' } })
  const { type_id: pipeline } = store.putContextType({ context_type: { name: 'Pipeline' } })
  const { context_ids } = store.putContexts({ contexts: [{ type_id: pipeline, name: 'p' }] })
  for (let start = 0; start < artifacts; start += 500) {
    const count = Math.min(500, artifacts - start)
    const { artifact_ids } = store.putArtifacts({
      artifacts: Array.from({ length: count }, (_, i) => ({
        type_id: model,
        uri: `s3://m/${start + i}`,
        name: `m${start + i}`,
        state: 2,
        properties: { size: { int_value: BigInt(start + i) }, label: { string_value: `label ${start + i}` } },
        custom_properties: { score: { double_value: (start + i) / 7 } },
      })),
    })
    const { execution_ids } = store.putExecutions({ executions: [{ type_id: run, last_known_state: 3 }] })
    store.putEvents({
      events: artifact_ids.map((artifact_id) => ({
        artifact_id,
        execution_id: execution_ids[0],
        type: 4,
        path: { steps: [{ key: 'out' }, { index: 0n }] },
      })),
    })
    store.putAttributionsAndAssociations({
      attributions: artifact_ids.map((artifact_id) => ({ artifact_id, context_id: context_ids[0] })),
      associations: [{ execution_id: execution_ids[0], context_id: context_ids[0] }],
    })
  }
  store.close()
  return file
}

/** A copy of a filled store at an older schema version, in rollback-journal mode as MLMD leaves it. */
function olderStore(name: string, version: number, artifacts = 20): string {
  const file = filledStore(name, artifacts)
  const source = MetadataSource.open({ filename: file })
  migrateSchema(source, version, { migrationBackupPath: false })
  source.exec('PRAGMA journal_mode = DELETE')
  source.close()
  return file
}

/** The schema version and every row of every table, for comparing whole files. */
function contents(file: string): { version: number; integrity: string; tables: Record<string, unknown[]> } {
  const source = MetadataSource.open({ filename: file, readonly: true })
  try {
    return source.execute('read', (tx) => {
      const state = readSchemaVersion(tx)
      const names = tx
        .all<{ name: string }>({
          sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          params: [],
        })
        .map((r) => r.name)
      const tables: Record<string, unknown[]> = {}
      for (const name of names) {
        // Table names come from sqlite_master of a file this test made.
        tables[name] = tx.all({ sql: `SELECT * FROM "${name}" ORDER BY rowid`, params: [] })
      }
      const integrity = tx.get<{ integrity_check: string }>({ sql: 'PRAGMA integrity_check', params: [] })
      return {
        version: state.kind === 'versioned' ? state.version : -1,
        integrity: integrity?.integrity_check ?? '',
        tables,
      }
    })
  } finally {
    source.close()
  }
}

describe('migrate', () => {
  describe('parseMigrateArgs', () => {
    it('defaults to version 10 and a backup beside the file', () => {
      expect(parseMigrateArgs(['--db', 'a.sqlite'], dir)).toEqual({
        db: path.join(dir, 'a.sqlite'),
        engine: 'sqlite',
        to: 10,
        dryRun: false,
        backup: undefined,
        allowForeignTables: false,
      })
      expect(parseMigrateArgs(['--db', 'a', '--to', '0', '--dry-run', '--no-backup'], dir)).toMatchObject({
        to: 0,
        dryRun: true,
        backup: false,
      })
      expect(parseMigrateArgs(['--db', 'a', '--backup', 'b.bak'], dir).backup).toBe(path.join(dir, 'b.bak'))
    })

    it.each([
      [[], /--db FILE is required/],
      [['--db', ':memory:'], /:memory: has nothing to migrate/],
      [['--db', 'a', '--to', '11'], /--to must be a schema version from 0 to 10/],
      [['--db', 'a', '--to', '-1'], /--to/],
      [['--db', 'a', '--backup', 'b', '--no-backup'], /cannot be used together/],
      [['--db', 'a', 'extra'], /unexpected argument/],
      [['--db', 'postgres://u:p@h/d', '--backup', 'b'], /back a PostgreSQL database up with pg_dump/],
      [['--db', 'mysql://u:p@h/d', '--allow_foreign_tables'], /--allow_foreign_tables is for SQLite files/],
    ])('refuses %j', (args, message) => {
      expect(() => parseMigrateArgs(args, dir)).toThrow(message)
    })
  })

  describe('maskedUrl', () => {
    it.each([
      ['postgres://mlmd:s%40cret@db:5432/meta', 'postgres://mlmd:****@db:5432/meta'],
      ['mariadb://root:pw@127.0.0.1/m?ssl=true', 'mariadb://root:****@127.0.0.1/m?ssl=true'],
      ['postgresql://u@h/d?password=pw&sslmode=require', 'postgresql://u@h/d?password=****&sslmode=require'],
      ['mysql://h/d', 'mysql://h/d'],
      ['postgres://u:pw@[::1', 'postgres://…'],
    ])('prints %s as %s', (url, shown) => {
      expect(maskedUrl(url)).toBe(shown)
    })
  })

  describe('main migrate', () => {
    it('prints the plan and its SQL on a dry run, and changes nothing', async () => {
      const file = olderStore('dry.sqlite', 6)
      const before = readFileSync(file)
      const { io, out } = testIo()
      expect(await main(['migrate', '--db', file, '--dry-run'], io)).toBe(0)
      expect(out[0]).toMatch(
        /schema version 6 -> 10 \(upgrade\), 4 step\(s\), \d+ statements, one transaction/,
      )
      expect(out).toContain('  8 -> 9: 28 statements')
      expect(
        out.some((line) => line.startsWith('    ALTER TABLE `ArtifactProperty` ADD COLUMN `proto_value`')),
      ).toBe(true)
      expect(out.at(-1)).toBe('Dry run: nothing was changed.')
      expect(readFileSync(file).equals(before)).toBe(true)
      expect(existsSync(`${file}-wal`)).toBe(false)
    })

    it('upgrades a file, printing each statement, after copying it', async () => {
      const file = olderStore('up.sqlite', 3)
      const before = contents(file)
      const { io, out } = testIo()
      expect(await main(['migrate', '--db', file], io)).toBe(0)
      expect(
        out.some((line) =>
          /^ {2}\[9 -> 10\] 6\/6 ALTER TABLE `ContextProperty` ADD COLUMN `bool_value`/.test(line),
        ),
      ).toBe(true)
      const backup = /^Copied the file as it was to (.+)$/.exec(
        out.find((l) => l.startsWith('Copied')) ?? '',
      )?.[1]
      expect(backup).toMatch(/up\.sqlite\.schema-v3-.*\.bak$/)
      expect(out.at(-1)).toMatch(
        /^Done in .* s: .* is at schema version 10\. The copy taken before is .*\.bak\.$/,
      )
      expect(contents(backup as string)).toEqual(before)
      const after = contents(file)
      expect(after.version).toBe(10)
      expect(after.tables.Artifact).toHaveLength(20)
      // The store opens without migration and reads the upgraded rows.
      const store = createMetadataStore({ filename: file })
      expect(store.getArtifacts({}).artifacts).toHaveLength(20)
      store.close()
    })

    it('downgrades on request, and says when there is nothing to do', async () => {
      const file = filledStore('down.sqlite')
      const { io, out } = testIo()
      expect(await main(['migrate', '--db', file, '--to', '7', '--no-backup'], io)).toBe(0)
      expect(out[0]).toMatch(/schema version 10 -> 7 \(downgrade\), 3 step\(s\)/)
      expect(contents(file).version).toBe(7)
      const again = testIo()
      expect(await main(['migrate', '--db', file, '--to', '7'], again.io)).toBe(0)
      expect(again.out).toEqual([`${file} is at schema version 7; nothing to do.`])
    })

    it.each([
      {
        case: 'a newer schema version',
        make: () => {
          const file = filledStore('newer.sqlite')
          const source = MetadataSource.open({ filename: file })
          source.exec('UPDATE MLMDEnv SET schema_version = 11; PRAGMA journal_mode = DELETE')
          source.close()
          return file
        },
        message: /version 11 is greater than library version 10/,
      },
      {
        case: "another application's database",
        make: () => {
          const file = path.join(dir, 'app.sqlite')
          const source = MetadataSource.open({ filename: file })
          source.exec('CREATE TABLE users (email TEXT); PRAGMA journal_mode = DELETE')
          source.close()
          return file
        },
        message: /tables that are not MLMD's \(users\)/,
      },
    ])('refuses $case with exit code 1 and leaves it as it was', async ({ make, message }) => {
      const file = make()
      const before = readFileSync(file)
      const { io, err } = testIo()
      expect(await main(['migrate', '--db', file], io)).toBe(1)
      expect(err.join('\n')).toMatch(message)
      expect(readFileSync(file).equals(before)).toBe(true)
      expect(existsSync(`${file}-wal`)).toBe(false)
    })
  })

  // Kills `mlmd-ts migrate` (SIGKILL) right after it reports the first statement of a step,
  // then reads the file: it must be wholly at its old version or wholly at version 10.
  describe('an interrupted upgrade', () => {
    const FROM = 4
    let original: string
    let expectedOld: ReturnType<typeof contents>
    let expectedNew: ReturnType<typeof contents>
    const outcomes: number[] = []

    beforeAll(() => {
      original = olderStore('big-v4.sqlite', FROM, 6000)
      expectedOld = contents(original)
      const upgraded = path.join(dir, 'big-upgraded.sqlite')
      copyFileSync(original, upgraded)
      const source = MetadataSource.open({ filename: upgraded })
      migrateSchema(source, 10, { migrationBackupPath: false })
      source.close()
      expectedNew = contents(upgraded)
    }, 120_000)

    function killDuring(file: string, marker: RegExp): Promise<{ killed: boolean; output: string }> {
      return new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', TSX, MAIN, 'migrate', '--db', file, '--no-backup'],
          {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
        let output = ''
        let killed = false
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          if (!killed && marker.test(output)) {
            killed = child.kill('SIGKILL')
          }
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.once('error', reject)
        child.once('exit', () => resolve({ killed, output }))
      })
    }

    it.each([
      ['4 -> 5', /\[4 -> 5\] 1\//],
      ['5 -> 6', /\[5 -> 6\] 1\//],
      ['7 -> 8', /\[7 -> 8\] 10\//],
      ['8 -> 9', /\[8 -> 9\] 6\//],
      ['9 -> 10', /\[9 -> 10\] 1\//],
      ['(after the commit)', /Done in/],
    ])(
      'killed in step %s, the file opens at version 4 or 10 with all its data, never half',
      async (step, marker) => {
        const file = path.join(dir, `killed-${step.replace(/\W+/g, '-')}.sqlite`)
        copyFileSync(original, file)
        const { killed, output } = await killDuring(file, marker)
        // After "Done" the process may have exited on its own already.
        if (!marker.test('Done in')) expect(killed, output).toBe(true)
        const after = contents(file)
        expect(after.integrity).toBe('ok')
        if (after.version === FROM) expect(after).toEqual(expectedOld)
        else expect(after).toEqual(expectedNew)
        outcomes.push(after.version)
        // Whichever it is, the store opens (upgrading again if it was rolled back).
        const store = createMetadataStore({
          filename: file,
          enableUpgradeMigration: true,
          migrationBackupPath: false,
        })
        expect(store.getArtifacts({ options: { max_result_size: 1 } }).artifacts).toHaveLength(1)
        store.close()
        expect(contents(file).tables.Artifact).toEqual(expectedNew.tables.Artifact)
      },
      60_000,
    )

    it('was killed inside the migration at least once (rolled back to 4), and after it (at 10)', () => {
      expect(outcomes).toHaveLength(6)
      expect(outcomes).toContain(FROM)
      expect(outcomes.at(-1)).toBe(10)
    })
  })

  describe('serve flags', () => {
    it('--downgrade_db_schema_version downgrades, copies the file first, prints the result and exits 0', async () => {
      const file = filledStore('serve-down.sqlite')
      const { io, out, err } = testIo()
      expect(
        await main(['serve', '--db', file, '--port', '0', '--downgrade_db_schema_version', '8'], io),
      ).toBe(0)
      expect(out.join('\n')).toMatch(/Downgrade migration was performed.*schema version 8/)
      expect(err.join('\n')).toMatch(/copied the file as it was to .*serve-down\.sqlite\.schema-v10-.*\.bak/)
      expect(contents(file).version).toBe(8)
    })

    it('--enable_database_upgrade upgrades an older file on open and reports the copy', async () => {
      const file = olderStore('serve-up.sqlite', 2)
      const { io, err } = testIo()
      // The server may reach its wait for a signal after the stop below (store workers start slowly).
      let stopped = false
      let stop: () => void = () => {
        stopped = true
      }
      io.waitForSignal = () =>
        new Promise((resolve) => {
          if (stopped) resolve()
          else stop = resolve
        })
      const running = main(['serve', '--db', file, '--port', '0', '--enable_database_upgrade'], io)
      await new Promise((resolve) => setTimeout(resolve, 500))
      stop()
      expect(await running).toBe(0)
      expect(err.join('\n')).toMatch(/migrating the schema from version 2 to 10/)
      expect(err.filter((line) => / migrated$/.test(line))).toHaveLength(8)
      expect(err.join('\n')).toMatch(/copied the file as it was to .*serve-up\.sqlite\.schema-v2-.*\.bak/)
      expect(contents(file).version).toBe(10)
    })

    it('refuses --enable_database_upgrade with --downgrade_db_schema_version', async () => {
      const { io, err } = testIo()
      expect(
        await main(
          ['serve', '--db', 'x.sqlite', '--enable_database_upgrade', '--downgrade_db_schema_version', '3'],
          io,
        ),
      ).toBe(2)
      expect(err.join('\n')).toMatch(/cannot be used together/)
    })

    it('refuses an older file without --enable_database_upgrade, leaving it as it was', async () => {
      const file = olderStore('serve-refused.sqlite', 9)
      const before = readFileSync(file)
      const { io, err } = testIo()
      expect(await main(['serve', '--db', file, '--port', '0'], io)).toBe(1)
      expect(err.join('\n')).toMatch(/version 9 is older than library version 10/)
      expect(readFileSync(file).equals(before)).toBe(true)
    })
  })
})
