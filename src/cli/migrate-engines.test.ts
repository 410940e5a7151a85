/**
 * `mlmd-ts migrate --db postgres://…|mysql://…` against the real PostgreSQL and MariaDB test
 * servers: upgrades from every older version and downgrades to each (compared with the
 * upgrade on open, which engine-migrate.test.ts compares with the real MLMD), dry runs and
 * refusals that leave the database as it was, and upgrades killed (SIGKILL) part way.
 *
 * To kill a migration at an exact point the child process runs with
 * MLMD_TS_TEST_MIGRATION_HOLD=FROM-TO/N, which makes it wait after statement N of that step
 * (see cli/migrate.ts); one kill per engine lands wherever the free-running process is.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cloneDatabase,
  type DatabaseDump,
  dumpDatabase,
  runSql,
  schemaVersionOf,
  waitUntilAlone,
} from '../storage/engine-dump.test-support.js'
import {
  freshDatabase,
  type ServerEngine,
  type TestDatabase,
} from '../storage/engine-servers.test-support.js'
import { MYSQL_LOOKUP_INDICES } from '../storage/schema/v10-mysql.js'
import { openMysqlStore, openPostgresqlStore } from '../store/server-engine-store.js'
import type { CliIo } from './io.js'
import { main } from './main.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')
const TSX = createRequire(import.meta.url).resolve('tsx')

// The oldest version each engine has (MLMD's PostgreSQL starts at 1).
const OLDEST: Record<ServerEngine, number> = { postgresql: 1, mysql: 0 }
const OLDER: Record<ServerEngine, readonly number[]> = {
  postgresql: [1, 2, 3, 4, 5, 6, 7, 8, 9],
  mysql: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
}
// mlmd-ts's own lookup indices, which opening a v10 database adds and `migrate` does not.
const LOOKUP_INDICES = MYSQL_LOOKUP_INDICES.map((index) => index.name)
const ARTIFACTS = 40

function testIo() {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    cwd: ROOT,
    waitForSignal: () => new Promise(() => {}),
  }
  return { io, out, err, all: () => [...out, ...err].join('\n') }
}

function open(db: TestDatabase, options: { enableUpgradeMigration?: boolean } = {}) {
  const config = { url: db.url, skipDbCreation: true, ...options }
  return db.engine === 'postgresql' ? openPostgresqlStore(config) : openMysqlStore(config)
}

// A v10 database with every kind of record, written by mlmd-ts.
async function fill(db: TestDatabase): Promise<void> {
  const store = await open(db)
  try {
    const { type_id: model } = await store.putArtifactType({
      artifact_type: {
        name: 'Model',
        version: 'v1',
        description: 'a trained model',
        properties: { size: 1, label: 3, score: 2 },
      },
    })
    const { type_id: trainer } = await store.putExecutionType({
      execution_type: { name: 'Trainer', properties: { epochs: 1 } },
    })
    const { type_id: pipeline } = await store.putContextType({ context_type: { name: 'Pipeline' } })
    const { context_ids } = await store.putContexts({
      contexts: [
        { type_id: pipeline, name: 'p', custom_properties: { owner: { string_value: 'me' } } },
        { type_id: pipeline, name: 'q', external_id: 'ctx-q' },
      ],
    })
    await store.putParentContexts({
      parent_contexts: [{ child_id: context_ids[1], parent_id: context_ids[0] }],
    })
    const { artifact_ids } = await store.putArtifacts({
      artifacts: Array.from({ length: ARTIFACTS }, (_, i) => ({
        type_id: model,
        uri: `s3://models/${i}`,
        name: `m${i}`,
        state: 2,
        ...(i % 5 === 0 ? { external_id: `model-${i}` } : {}),
        properties: {
          size: { int_value: BigInt(i * 1000) },
          label: { string_value: `label ${i}` },
          score: { double_value: i / 8 },
        },
        custom_properties: { note: { string_value: `n${i}` } },
      })),
    })
    const { execution_ids } = await store.putExecutions({
      executions: [
        { type_id: trainer, last_known_state: 3, properties: { epochs: { int_value: 5n } } },
        { type_id: trainer, name: 'second', last_known_state: 2 },
      ],
    })
    await store.putEvents({
      events: artifact_ids.map((artifact_id, i) => ({
        artifact_id,
        execution_id: execution_ids[i % 2],
        type: 4,
        path: { steps: [{ key: 'out' }, { index: BigInt(i) }] },
        milliseconds_since_epoch: 1_700_000_000_000n + BigInt(i),
      })),
    })
    await store.putAttributionsAndAssociations({
      attributions: artifact_ids.map((artifact_id) => ({ artifact_id, context_id: context_ids[0] })),
      associations: execution_ids.map((execution_id) => ({ execution_id, context_id: context_ids[0] })),
    })
  } finally {
    await store.close()
  }
}

// What migrate printed must never hold the password, raw or as the URL spells it.
function expectNoPassword(text: string, db: TestDatabase): void {
  expect(db.password.length).toBeGreaterThan(8)
  expect(text).not.toContain(db.password)
  expect(text).not.toContain(encodeURIComponent(db.password))
}

async function migrateCli(db: TestDatabase, ...args: string[]) {
  const io = testIo()
  const code = await main(['migrate', '--db', db.url, ...args], io.io)
  expectNoPassword(io.all(), db)
  return { code, ...io }
}

const table: string[] = []

describe.each(['postgresql', 'mysql'] as const)('mlmd-ts migrate on %s', (engine) => {
  const made: TestDatabase[] = []
  let base: TestDatabase | undefined
  let unavailable: string | undefined
  const oldest = OLDEST[engine]
  const cells = new Map<number, string[]>()

  beforeAll(async () => {
    const db = await freshDatabase(engine)
    if (db === undefined) {
      unavailable = `${engine} is not installed here`
      return
    }
    made.push(db)
    await fill(db)
    base = db
  }, 120_000)

  afterAll(async () => {
    for (const [v, row] of [...cells].sort(([a], [b]) => a - b))
      table.push(`| ${engine} | ${v} | ${row.join(' | ')} |`)
    if (engine === 'mysql' && table.length > 0) {
      console.log(
        [
          '| engine | version | migrate --to v (from 10) | migrate to 10 (from v) | dump = upgrade on open | killed mid-upgrade |',
          '| --- | --- | --- | --- | --- | --- |',
          ...table,
        ].join('\n'),
      )
    }
    for (const db of made) await db.drop().catch(() => undefined)
  }, 120_000)

  const clone = async (from: TestDatabase): Promise<TestDatabase> => {
    const copy = await cloneDatabase(from)
    made.push(copy)
    return copy
  }

  const ready = (skip: (note: string) => never): TestDatabase => {
    if (unavailable !== undefined) skip(unavailable)
    expect(base).toBeDefined()
    return base as TestDatabase
  }

  it.for(OLDER[engine])(
    'downgrades 10 to v%i with --to, upgrades it back to 10, and the result equals the upgrade on open',
    { timeout: 120_000 },
    async (v, { skip }) => {
      const filled = ready(skip)
      const db = await clone(filled)
      const down = await migrateCli(db, '--to', String(v))
      expect(down.code, down.all()).toBe(0)
      expect(down.out[0]).toMatch(/^(postgres|mysql):\/\/[^:/@]+:\*\*\*\*@[^@]+: schema version /)
      expect(down.out[0]).toMatch(
        new RegExp(`schema version 10 -> ${v} \\(downgrade\\), ${10 - v} step\\(s\\)`),
      )
      expect(await schemaVersionOf(db)).toBe(v)
      const twin = await clone(db)

      const up = await migrateCli(db)
      expect(up.code, up.all()).toBe(0)
      expect(up.out[0]).toMatch(
        engine === 'postgresql'
          ? new RegExp(
              `schema version ${v} -> 10 \\(upgrade\\), ${10 - v} step\\(s\\), \\d+ statements, one transaction$`,
            )
          : new RegExp(
              `schema version ${v} -> 10 \\(upgrade\\), ${10 - v} step\\(s\\), \\d+ statements, the version recorded after each step`,
            ),
      )
      expect(up.out).toContain(
        `No copy of the database is taken; ${engine === 'postgresql' ? 'pg_dump' : 'mysqldump'} makes one.`,
      )
      expect(up.out.some((line) => line.startsWith(`  [${v} -> ${v + 1}] 1/`))).toBe(true)
      expect(up.out.some((line) => line.startsWith('  [9 -> 10] '))).toBe(true)
      expect(up.out.at(-1)).toMatch(/^Done in [\d.]+ s: .*:\*\*\*\*@.* is at schema version 10\.$/)
      expect(await schemaVersionOf(db)).toBe(10)

      const store = await open(twin, { enableUpgradeMigration: true })
      await store.close()
      const same = isEqual(await dumpDatabase(db, LOOKUP_INDICES), await dumpDatabase(twin, LOOKUP_INDICES))
      // The upgraded database opens without the upgrade flag.
      const reopened = await open(db)
      const { artifacts } = await reopened.getArtifacts({})
      await reopened.close()
      cells.set(v, ['yes', 'yes', same ? 'yes' : 'NO', cells.get(v)?.[3] ?? '-'])
      expect(same).toBe(true)
      expect(artifacts).toHaveLength(ARTIFACTS)
    },
  )

  it('--dry-run checks and plans an upgrade and a downgrade, printing the SQL, and changes nothing', async ({
    skip,
  }) => {
    const db = await clone(ready(skip))
    expect((await migrateCli(db, '--to', String(oldest))).code).toBe(0)
    const before = await dumpDatabase(db)
    const dry = await migrateCli(db, '--dry-run')
    expect(dry.code, dry.all()).toBe(0)
    expect(dry.out[0]).toMatch(
      new RegExp(`schema version ${oldest} -> 10 \\(upgrade\\), ${10 - oldest} step\\(s\\)`),
    )
    expect(dry.out.some((line) => /^ {4}ALTER TABLE .*proto_value/i.test(line))).toBe(true)
    expect(dry.out.some((line) => /^ {2}\[/.test(line))).toBe(false)
    expect(dry.out.at(-1)).toBe('Dry run: nothing was changed.')
    expect(await dumpDatabase(db)).toEqual(before)

    const ten = await clone(ready(skip))
    const tenBefore = await dumpDatabase(ten)
    const dryDown = await migrateCli(ten, '--to', '5', '--dry-run')
    expect(dryDown.code, dryDown.all()).toBe(0)
    expect(dryDown.out[0]).toMatch(/schema version 10 -> 5 \(downgrade\), 5 step\(s\)/)
    expect(await dumpDatabase(ten)).toEqual(tenBefore)
  })

  it('says when there is nothing to do', async ({ skip }) => {
    const db = ready(skip)
    const result = await migrateCli(db)
    expect(result.code).toBe(0)
    expect(result.out).toEqual([
      `${db.url.replace(/:[^:@/]+@/, ':****@')} is at schema version 10; nothing to do.`,
    ])
  })

  it.for([
    {
      case: 'a database newer than version 10',
      make: async (db: TestDatabase) => {
        await runSql(db, 'UPDATE MLMDEnv SET schema_version = 11')
      },
      message: /is at schema version 11, newer than this mlmd-ts release reads \(10\)/,
    },
    {
      case: "another application's database",
      make: async (db: TestDatabase) => {
        await runSql(db, 'CREATE TABLE users (email VARCHAR(100))')
      },
      fresh: true,
      message:
        /is not an MLMD database: it holds only other tables \(users\)\. There is no schema to migrate/,
    },
    {
      case: 'an empty database',
      make: async () => undefined,
      fresh: true,
      message: /is not an MLMD database: it is empty/,
    },
    {
      case: 'a database whose tables do not match its version',
      make: async (db: TestDatabase) => {
        await runSql(db, 'UPDATE MLMDEnv SET schema_version = 8', 'DROP TABLE ParentContext')
      },
      message:
        /Before migrating from version 8, the database does not have MLMD's schema version 8: table ParentContext is missing/,
    },
  ])('refuses $case with exit code 1 and leaves it as it was', async ({ make, fresh, message }, { skip }) => {
    let db: TestDatabase
    if (fresh === true) {
      ready(skip)
      const empty = await freshDatabase(engine)
      if (empty === undefined) throw new Error(`${engine} went away`)
      made.push(empty)
      db = empty
    } else {
      db = await clone(ready(skip))
    }
    await make(db)
    const before = await dumpDatabase(db)
    const result = await migrateCli(db)
    expect(result.code, result.all()).toBe(1)
    expect(result.err.join('\n')).toMatch(message)
    expect(await dumpDatabase(db)).toEqual(before)
  })

  it('refuses a missing database without creating it, a bad password without printing it, and options that do not apply', async ({
    skip,
  }) => {
    const db = ready(skip)
    const missing = new URL(db.url)
    missing.pathname = `/mlmd_missing_${process.pid}`
    const absent = await migrateCli({ ...db, url: missing.toString() })
    expect(absent.code, absent.all()).toBe(1)
    const exists = await runSql(
      db,
      engine === 'postgresql'
        ? [`SELECT count(*) AS n FROM pg_database WHERE datname = $1`, [`mlmd_missing_${process.pid}`]]
        : [
            'SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = ?',
            [`mlmd_missing_${process.pid}`],
          ],
    )
    expect(Number(exists[0]?.n)).toBe(0)

    const wrong = new URL(db.url)
    wrong.password = encodeURIComponent('not-the-password-123')
    const refused = await migrateCli({ ...db, url: wrong.toString(), password: 'not-the-password-123' })
    expect(refused.code).toBe(1)
    expect(refused.err.join('\n')).toMatch(/denied|authentication failed/i)

    const backup = await migrateCli(db, '--backup', 'x.bak')
    expect(backup.code).toBe(2)
    expect(backup.err.join('\n')).toMatch(engine === 'postgresql' ? /pg_dump/ : /mysqldump/)
    if (engine === 'postgresql') {
      // MLMD's PostgreSQL schema starts at version 1.
      const zero = await migrateCli(db, '--to', '0')
      expect(zero.code).toBe(2)
      expect(zero.err.join('\n')).toMatch(
        /target schema version 0 is not one this library can migrate; versions 1 to 10 are/,
      )
      expect(await schemaVersionOf(db)).toBe(10)
    }
  })

  describe('an upgrade killed part way', () => {
    let old: TestDatabase | undefined
    let oldDump: DatabaseDump
    let upgradedDump: DatabaseDump

    beforeAll(async () => {
      if (base === undefined) return
      old = await clone(base)
      const down = await migrateCli(old, '--to', String(oldest))
      expect(down.code, down.all()).toBe(0)
      oldDump = await dumpDatabase(old)
      const reference = await clone(old)
      const up = await migrateCli(reference)
      expect(up.code, up.all()).toBe(0)
      upgradedDump = await dumpDatabase(reference)
    }, 120_000)

    // Runs `mlmd-ts migrate` in a child process and kills it once its output matches `marker`.
    function killDuring(db: TestDatabase, marker: RegExp, hold?: string) {
      return new Promise<{ killed: boolean; output: string }>((resolve, reject) => {
        const env = { ...process.env }
        if (hold === undefined) delete env.MLMD_TS_TEST_MIGRATION_HOLD
        else env.MLMD_TS_TEST_MIGRATION_HOLD = hold
        const child = spawn(process.execPath, ['--import', TSX, MAIN, 'migrate', '--db', db.url], {
          cwd: ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let output = ''
        let killed = false
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          if (!killed && marker.test(output)) killed = child.kill('SIGKILL')
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.once('error', reject)
        child.once('exit', () => resolve({ killed, output }))
      })
    }

    // Kill points: statement N of step FROM -> TO has run (and, on MySQL, committed).
    const HOLDS: Record<ServerEngine, readonly string[]> = {
      postgresql: ['1-2/1', '7-8/9', '9-10/7'],
      // 0-1/1: MLMDEnv made; 1-2/1: the column renamed; 7-8/10: EventTemp made; 7-8/12: the
      // rebuilt Event swapped in; 8-9/6: part of a step; 9-10/3: the step's last statement,
      // its version not recorded.
      mysql: ['0-1/1', '1-2/1', '7-8/10', '7-8/12', '8-9/6', '9-10/3'],
    }
    const cases: { name: string; marker: RegExp; hold?: string }[] = [
      ...HOLDS[engine].map((hold) => {
        const [from, to, n] = hold.split(/[-/]/)
        return {
          name: `after statement ${n} of ${from} -> ${to}`,
          marker: new RegExp(`\\[${from} -> ${to}\\] ${n}/`),
          hold,
        }
      }),
      { name: 'wherever it is after the first statement of 2 -> 3', marker: /\[2 -> 3\] 1\// },
      { name: 'after it finished', marker: /Done in/ },
    ]

    // Rows of `before` read the same in `after`, on the columns both have (a half step may
    // have added, or renamed, some).
    function expectSameData(before: DatabaseDump, after: DatabaseDump): void {
      for (const [name, { rows }] of Object.entries(before.tables)) {
        const now = after.tables[name]
        expect(now, name).toBeDefined()
        const shared = Object.keys(rows[0] ?? {}).filter((c) => c in (now?.rows[0] ?? {}))
        const project = (list: readonly Record<string, unknown>[]) =>
          list.map((r) => JSON.stringify(shared.map((c) => r[c]))).sort()
        expect(project(now?.rows ?? []), name).toEqual(project(rows))
      }
    }

    it.for(cases)(
      'killed $name: never half, and a re-run reaches 10 like an uninterrupted upgrade',
      { timeout: 120_000 },
      async (kill, { skip }) => {
        ready(skip)
        const db = await clone(old as TestDatabase)
        const { killed, output } = await killDuring(db, kill.marker, kill.hold)
        expectNoPassword(output, db)
        if (kill.hold !== undefined) expect(killed, output).toBe(true)
        await waitUntilAlone(db)
        const version = await schemaVersionOf(db)
        const holdFrom = kill.hold === undefined ? undefined : Number(kill.hold.split('-')[0])
        if (engine === 'postgresql') {
          // One transaction: all or nothing.
          if (version === oldest) expect(await dumpDatabase(db)).toEqual(oldDump)
          else expect(await dumpDatabase(db)).toEqual(upgradedDump)
          if (holdFrom !== undefined) expect(version).toBe(oldest)
        } else {
          if (holdFrom !== undefined) expect(version).toBe(holdFrom)
          expect(version).toBeGreaterThanOrEqual(oldest)
          expectSameData(oldDump, await dumpDatabase(db))
        }
        const rerun = await migrateCli(db)
        expect(rerun.code, rerun.all()).toBe(0)
        if (engine === 'mysql' && holdFrom !== undefined) {
          // The statements the killed run had done are skipped, not run again.
          const [, n] = (kill.hold as string).split('/')
          expect(rerun.out).toContain(
            rerun.out.find(
              (line) =>
                line.startsWith(`  [${holdFrom} -> ${holdFrom + 1}] ${n}/`) &&
                line.includes('(done before, skipped)'),
            ),
          )
          expect(
            rerun.out
              .filter((line) => line.startsWith(`  [${holdFrom} -> ${holdFrom + 1}] `))
              .every((line, i) => (i < Number(n) ? line.includes('skipped') : true)),
          ).toBe(true)
        }
        expect(await schemaVersionOf(db)).toBe(10)
        expect(await dumpDatabase(db)).toEqual(upgradedDump)
        const store = await open(db)
        expect((await store.getArtifacts({})).artifacts).toHaveLength(ARTIFACTS)
        await store.close()
        if (holdFrom !== undefined) {
          const row = cells.get(holdFrom) ?? ['-', '-', '-', '']
          const outcome =
            engine === 'postgresql'
              ? `at ${version}, re-run = uninterrupted`
              : `at ${version} (${kill.hold}), re-run = uninterrupted`
          cells.set(holdFrom, [
            ...row.slice(0, 3),
            [row[3], outcome].filter((x) => x && x !== '-').join('; '),
          ])
        }
      },
    )

    it.runIf(engine === 'mysql')(
      'killed in the middle of a step, the next open with the upgrade flag finishes the migration too',
      { timeout: 120_000 },
      async ({ skip }) => {
        ready(skip)
        const db = await clone(old as TestDatabase)
        const { killed, output } = await killDuring(db, /\[8 -> 9\] 6\//, '8-9/6')
        expect(killed, output).toBe(true)
        await waitUntilAlone(db)
        expect(await schemaVersionOf(db)).toBe(8)
        const store = await open(db, { enableUpgradeMigration: true })
        expect((await store.getArtifacts({})).artifacts).toHaveLength(ARTIFACTS)
        await store.close()
        expect(await schemaVersionOf(db)).toBe(10)
        // Opening adds mlmd-ts's lookup indices, which `migrate` leaves to the open.
        const reference = await dumpDatabase(
          await clone(old as TestDatabase).then(async (twin) => {
            expect((await migrateCli(twin)).code).toBe(0)
            return twin
          }),
          LOOKUP_INDICES,
        )
        expect(await dumpDatabase(db, LOOKUP_INDICES)).toEqual(reference)
      },
    )
  })
})

function isEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b)
    return true
  } catch {
    return false
  }
}
