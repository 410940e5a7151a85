// Whole-database views of a test database on the PostgreSQL or MariaDB test server, for tests
// that compare a database before and after something (a dry run, a killed migration): every
// table with its columns, indices and rows, the schema version, and a copy of a database.
import mysql from 'mysql2/promise'
import pg from 'pg'
import { freshDatabase, type TestDatabase } from './engine-servers.test-support.js'

/** One table: its columns in order, its indices, and its rows in a stable order. */
export interface TableDump {
  readonly columns: readonly string[]
  readonly indices: readonly string[]
  readonly rows: readonly Record<string, unknown>[]
}

/** Every table of a database, by name, and (PostgreSQL) the positions of its sequences. */
export interface DatabaseDump {
  readonly tables: Readonly<Record<string, TableDump>>
  readonly sequences: Readonly<Record<string, string>>
}

const login = (db: TestDatabase) => ({
  host: db.host,
  port: db.port,
  user: db.user,
  password: db.password,
  database: db.database,
})

/** Runs statements on a connection of their own; the rows of the last one. */
export async function runSql(
  db: TestDatabase,
  ...statements: (string | readonly [string, readonly unknown[]])[]
): Promise<Record<string, unknown>[]> {
  let rows: Record<string, unknown>[] = []
  if (db.engine === 'postgresql') {
    const client = new pg.Client(login(db))
    await client.connect()
    try {
      for (const s of statements) {
        const [text, params] = typeof s === 'string' ? [s, []] : s
        rows = (await client.query(text, [...params])).rows
      }
    } finally {
      await client.end()
    }
    return rows
  }
  const connection = await mysql.createConnection({
    ...login(db),
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  })
  try {
    for (const s of statements) {
      const [text, params] = typeof s === 'string' ? [s, []] : s
      const [result] = await connection.query(text, [...params])
      rows = Array.isArray(result) ? (result as Record<string, unknown>[]) : []
    }
  } finally {
    await connection.end()
  }
  return rows
}

// Values as comparable JSON: bytes as hex, everything else as the driver gives it.
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? `x'${v.toString('hex')}'` : v]),
  )
}

/**
 * The tables of `db` (names as the catalog spells them), each with its columns (name, type,
 * nullability, default), its indices (name, uniqueness, columns) and all its rows ordered by
 * every column; indices named in `ignoreIndices` are left out.
 */
export async function dumpDatabase(
  db: TestDatabase,
  ignoreIndices: readonly string[] = [],
): Promise<DatabaseDump> {
  const ignored = new Set(ignoreIndices.map((i) => i.toLowerCase()))
  const pgSide = db.engine === 'postgresql'
  const schema = pgSide ? 'current_schema()' : 'DATABASE()'
  const columnRows = await runSql(
    db,
    pgSide
      ? `SELECT table_name AS t, column_name AS c, data_type AS ty, is_nullable AS n, column_default AS d FROM information_schema.columns WHERE table_schema = ${schema} ORDER BY table_name, ordinal_position`
      : `SELECT table_name AS t, column_name AS c, column_type AS ty, is_nullable AS n, column_default AS d, extra AS e FROM information_schema.columns WHERE table_schema = ${schema} ORDER BY table_name, ordinal_position`,
  )
  const indexRows = await runSql(
    db,
    pgSide
      ? `SELECT tablename AS t, indexname AS i, indexdef AS def FROM pg_indexes WHERE schemaname = ${schema} ORDER BY tablename, indexname`
      : `SELECT table_name AS t, index_name AS i, CONCAT(IF(non_unique = 0, 'UNIQUE ', ''), GROUP_CONCAT(CONCAT(column_name, COALESCE(CONCAT('(', sub_part, ')'), '')) ORDER BY seq_in_index)) AS def FROM information_schema.statistics WHERE table_schema = ${schema} GROUP BY table_name, index_name, non_unique ORDER BY table_name, index_name`,
  )
  const tableNames = [...new Set(columnRows.map((r) => String(r.t)))].sort()
  const tables: Record<string, TableDump> = {}
  for (const table of tableNames) {
    const columns = columnRows.filter((r) => r.t === table)
    const order = columns.map((_, i) => i + 1).join(', ')
    // Table names come from the catalog of a database the test made.
    const quoted = pgSide ? `"${table}"` : `\`${table}\``
    const rows = await runSql(db, `SELECT * FROM ${quoted} ORDER BY ${order}`)
    tables[table] = {
      columns: columns.map((c) => `${c.c} ${c.ty} ${c.n} ${c.d ?? ''} ${c.e ?? ''}`.trim()),
      indices: indexRows
        .filter((r) => r.t === table && !ignored.has(String(r.i).toLowerCase()))
        .map((r) => `${r.i}: ${r.def}`),
      rows: rows.map(plain),
    }
  }
  const sequences: Record<string, string> = {}
  if (pgSide) {
    for (const row of await runSql(
      db,
      'SELECT sequencename AS s, last_value AS v FROM pg_sequences WHERE schemaname = current_schema()',
    )) {
      sequences[String(row.s)] = String(row.v)
    }
  }
  return { tables, sequences }
}

/** The version MLMDEnv holds; 0 for a MySQL database without MLMDEnv (ml-metadata 0.13.2). */
export async function schemaVersionOf(db: TestDatabase): Promise<number> {
  const has = await runSql(
    db,
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ${db.engine === 'postgresql' ? 'current_schema()' : 'DATABASE()'} AND lower(table_name) = 'mlmdenv'`,
  )
  if (Number(has[0]?.n) === 0) return 0
  const rows = await runSql(db, 'SELECT schema_version AS v FROM MLMDEnv')
  if (rows.length !== 1) throw new Error(`MLMDEnv of ${db.database} holds ${rows.length} rows`)
  return Number(rows[0]?.v)
}

/**
 * Waits until no other client is connected to `db`: after a client process is killed, its
 * server session may still be finishing a statement (MySQL) or rolling back (PostgreSQL).
 */
export async function waitUntilAlone(db: TestDatabase, timeoutMs = 60_000): Promise<void> {
  const query =
    db.engine === 'postgresql'
      ? "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
      : 'SELECT count(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()'
  const until = Date.now() + timeoutMs
  for (;;) {
    if (Number((await runSql(db, query))[0]?.n) === 0) return
    if (Date.now() > until) throw new Error(`other sessions stayed connected to ${db.database}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A copy of `source` (which nobody may be connected to) as a new database of the test server. */
export async function cloneDatabase(source: TestDatabase): Promise<TestDatabase> {
  if (source.engine === 'postgresql') {
    const name = `${source.database}_c${Math.random().toString(36).slice(2, 8)}`
    const admin = async (statement: string) => {
      const client = new pg.Client({ ...login(source), database: 'postgres' })
      await client.connect()
      try {
        await client.query(statement)
      } finally {
        await client.end()
      }
    }
    await admin(`CREATE DATABASE "${name}" TEMPLATE "${source.database}"`)
    const url = new URL(source.url)
    url.pathname = `/${name}`
    return {
      ...source,
      database: name,
      url: url.toString(),
      drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    }
  }
  const target = await freshDatabase('mysql')
  if (target === undefined) throw new Error('MariaDB went away')
  const connection = await mysql.createConnection(login(source))
  try {
    const [tables] = await connection.query<mysql.RowDataPacket[]>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'",
      [source.database],
    )
    for (const { t } of tables) {
      const from = `\`${source.database}\`.\`${t}\``
      const to = `\`${target.database}\`.\`${t}\``
      await connection.query(`CREATE TABLE ${to} LIKE ${from}`)
      await connection.query(`INSERT INTO ${to} SELECT * FROM ${from}`)
    }
  } finally {
    await connection.end()
  }
  return target
}
