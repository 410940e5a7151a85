import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { freshDatabase, type ServerEngine, type TestDatabase } from './engine-servers.test-support.js'

// A minimal client over either engine, connected through the database's URL (so the
// percent-encoded password in it is exercised).
interface Connection {
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

async function connect(db: TestDatabase): Promise<Connection> {
  if (db.engine === 'postgresql') {
    const client = new pg.Client({ connectionString: db.url })
    // A connection that drop() terminates reports it as an 'error' event; its next query fails anyway.
    client.on('error', () => undefined)
    await client.connect()
    return {
      query: async (sql, params) => (await client.query(sql, params ? [...params] : undefined)).rows,
      close: () => client.end(),
    }
  }
  const connection = await mysql.createConnection(db.url)
  return {
    query: async (sql, params) => {
      const [rows] = await connection.query(sql, params ? [...params] : undefined)
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []
    },
    close: () => connection.end(),
  }
}

const CREATE_TABLE: Record<ServerEngine, string> = {
  postgresql: 'CREATE TABLE item (id SERIAL PRIMARY KEY, name TEXT NOT NULL)',
  mysql: 'CREATE TABLE item (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT NOT NULL)',
}
const INSERT: Record<ServerEngine, string> = {
  postgresql: 'INSERT INTO item (name) VALUES ($1), ($2)',
  mysql: 'INSERT INTO item (name) VALUES (?), (?)',
}
const BIND_ADDRESS: Record<ServerEngine, string> = {
  postgresql: 'SELECT setting AS address FROM pg_settings WHERE name = $1',
  mysql: 'SELECT @@bind_address AS address FROM (SELECT ? AS unused) AS t',
}

describe.each(['postgresql', 'mysql'] as const)('freshDatabase(%s)', (engine) => {
  const made: TestDatabase[] = []
  const fresh = async (skip: (note: string) => never): Promise<TestDatabase> => {
    const db = await freshDatabase(engine)
    if (db === undefined) skip(`${engine} is not installed here`)
    made.push(db as TestDatabase)
    return db as TestDatabase
  }
  afterAll(async () => {
    for (const db of made) await db.drop()
  })

  it('gives an empty database that takes a table, an insert and a select', async ({ skip }) => {
    const db = await fresh(skip)
    expect(db.url).toBe(
      `${engine === 'postgresql' ? 'postgres' : 'mysql'}://${encodeURIComponent(db.user)}:` +
        `${encodeURIComponent(db.password)}@127.0.0.1:${db.port}/${db.database}`,
    )
    const connection = await connect(db)
    try {
      await connection.query(CREATE_TABLE[engine])
      await connection.query(INSERT[engine], ['first', 'Grüße ✓ 🚀'])
      const rows = await connection.query('SELECT id, name FROM item ORDER BY id')
      expect(rows.map((row) => [Number(row.id), row.name])).toEqual([
        [1, 'first'],
        [2, 'Grüße ✓ 🚀'],
      ])
    } finally {
      await connection.close()
    }
  })

  it('serves on loopback only, to an ordinary user with a password', async ({ skip }) => {
    const db = await fresh(skip)
    expect(db.host).toBe('127.0.0.1')
    expect(db.password).not.toBe('')
    const connection = await connect(db)
    try {
      const [bound] = await connection.query(BIND_ADDRESS[engine], ['listen_addresses'])
      expect(bound?.address).toBe('127.0.0.1')
      if (engine === 'postgresql') {
        const [role] = await connection.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')
        expect(role?.rolsuper).toBe(false)
      } else {
        await expect(connection.query('CREATE DATABASE not_for_tests')).rejects.toThrow(/denied/i)
      }
    } finally {
      await connection.close()
    }
    const wrong = { ...db, url: db.url.replace(encodeURIComponent(db.password), 'wrong') }
    await expect(connect(wrong)).rejects.toThrow(/password|denied/i)
  })

  it('gives each call a separate database', async ({ skip }) => {
    const first = await fresh(skip)
    const second = await fresh(skip)
    expect(second.database).not.toBe(first.database)
    expect(second.port).toBe(first.port)
    const a = await connect(first)
    const b = await connect(second)
    try {
      await a.query(CREATE_TABLE[engine])
      await a.query(INSERT[engine], ['only in the first', 'x'])
      await expect(b.query('SELECT name FROM item')).rejects.toThrow(/item/)
      await b.query(CREATE_TABLE[engine])
      expect(await b.query('SELECT name FROM item')).toEqual([])
      expect(await a.query('SELECT COUNT(*) AS n FROM item')).toEqual([
        { n: engine === 'postgresql' ? '2' : 2 },
      ])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('drops the database, even with a connection still open to it', async ({ skip }) => {
    const db = await fresh(skip)
    const open = await connect(db)
    await open.query(CREATE_TABLE[engine])
    try {
      await db.drop()
      await expect(connect(db)).rejects.toThrow(/does not exist|unknown database/i)
    } finally {
      await open.close().catch(() => undefined)
    }
    await db.drop()
  })
})
