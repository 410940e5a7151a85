// Every kind of statement an operation body can yield gives the same result on every engine:
// SQLite in process, and real PostgreSQL and MariaDB servers (skipped locally when they cannot
// be started; CI fails instead).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { freshDatabase, type ServerEngine, type TestDatabase } from './engine-servers.test-support.js'
import { MetadataSource } from './metadata-source.js'
import { MysqlSource } from './mysql-source.js'
import { PostgresqlSource } from './postgresql-source.js'
import {
  type AsyncOperationExecutor,
  all,
  column,
  cursor,
  get,
  type Op,
  run,
  type Tx,
} from './transaction-executor.js'

interface Results {
  readonly changes: number
  readonly rows: unknown[]
  readonly first: unknown
  readonly none: unknown
  readonly names: unknown[]
  readonly ids: unknown[]
  readonly empty: unknown[]
  readonly cursor: unknown[]
}

// Plain statements every engine reads alike (integers as bigint); the table is the test's own.
function* exercise(tx: Tx): Op<Results> {
  const table = tx.dialect.id('statement_kinds')
  const inserted = yield* run({
    sql: `INSERT INTO ${table} (id, name) VALUES (?, ?), (?, ?), (?, ?)`,
    params: [3n, 'c', 1n, 'a', 2n, 'b'],
  })
  const select = `SELECT id, name FROM ${table} ORDER BY id`
  return {
    changes: inserted.changes,
    rows: yield* all({ sql: select, params: [] }),
    first: yield* get({ sql: select, params: [] }),
    none: yield* get({ sql: `SELECT id FROM ${table} WHERE id > ?`, params: [9n] }),
    names: yield* column({ sql: `SELECT name, id FROM ${table} ORDER BY id DESC`, params: [] }),
    ids: yield* column({ sql: `SELECT id FROM ${table} ORDER BY id`, params: [] }),
    empty: yield* column({ sql: `SELECT name FROM ${table} WHERE id > ?`, params: [9n] }),
    cursor: [
      ...(yield* cursor({ sql: `SELECT name FROM ${table} WHERE id >= ? ORDER BY id`, params: [2n] })),
    ],
  }
}

const EXPECTED: Results = {
  changes: 3,
  rows: [
    { id: 1n, name: 'a' },
    { id: 2n, name: 'b' },
    { id: 3n, name: 'c' },
  ],
  first: { id: 1n, name: 'a' },
  none: undefined,
  names: ['c', 'b', 'a'],
  ids: [1n, 2n, 3n],
  empty: [],
  cursor: ['b', 'c'],
}

describe('statement kinds on sqlite', () => {
  it('all, get, column and run read and write as the other engines do', () => {
    const source = MetadataSource.open({ filename: ':memory:' })
    try {
      source.perform('write', function* () {
        yield* run({ sql: 'CREATE TABLE statement_kinds (id INTEGER PRIMARY KEY, name TEXT)', params: [] })
      })
      expect(source.perform('write', exercise)).toEqual(EXPECTED)
    } finally {
      source.close()
    }
  })

  it('builds a cursor row only when the loop reaches it, and translates an error met in the loop', () => {
    const source = MetadataSource.open({ filename: ':memory:' })
    // The third row overflows a 64-bit integer, which SQLite reports only when it builds it.
    const rows = {
      sql: 'SELECT iif(value < 3, value, abs(-9223372036854775807 - 1)) FROM json_each(?)',
      params: ['[1,2,3]'],
    }
    try {
      const firstTwo = source.perform('read', function* () {
        const read: unknown[] = []
        for (const value of yield* cursor(rows)) {
          read.push(value)
          if (read.length === 2) break
        }
        // The statement was left, so the connection takes the next one.
        return { read, next: yield* get({ sql: 'SELECT 7 AS seven', params: [] }) }
      })
      expect(firstTwo).toEqual({ read: [1n, 2n], next: { seven: 7n } })
      let error: unknown
      try {
        source.perform('read', function* () {
          return [...(yield* cursor(rows))]
        })
      } catch (thrown) {
        error = thrown
      }
      expect(error).toBeInstanceOf(MlmdError)
      expect((error as MlmdError).code).toBe(Code.Internal)
      expect((error as MlmdError).message).toMatch(/overflow/)
    } finally {
      source.close()
    }
  })
})

describe.each(['postgresql', 'mysql'] as ServerEngine[])('statement kinds on %s', (engine) => {
  let database: TestDatabase | undefined
  let source: (AsyncOperationExecutor & { close(): Promise<void> }) | undefined

  beforeAll(async () => {
    database = await freshDatabase(engine)
    if (database === undefined) return
    source =
      engine === 'postgresql'
        ? await PostgresqlSource.open({ url: database.url })
        : await MysqlSource.open({ url: database.url })
    await source.perform('write', function* () {
      yield* run({ sql: 'CREATE TABLE statement_kinds (id BIGINT PRIMARY KEY, name TEXT)', params: [] })
    })
  }, 120_000)
  afterAll(async () => {
    await source?.close()
    await database?.drop()
  })

  it('all, get, column and run read and write as on SQLite', async (context) => {
    if (source === undefined) context.skip()
    const results = await (source as AsyncOperationExecutor).perform('write', exercise)
    expect(results).toEqual(EXPECTED)
  })
})
