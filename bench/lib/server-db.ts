/**
 * Reads a store's database on a server engine directly (untimed, outside both stores), as
 * inspect.ts does for a SQLite file: the state the next workload picks from, a fingerprint to
 * check that two databases hold the same rows, and the facts the scale queries need.
 */
import mysql from 'mysql2/promise'
import pg from 'pg'
import { type DbState, FINGERPRINT_TABLES, STATE_QUERIES, type StateRows, stateOf } from './inspect.js'

/** A database on a test server, as freshDatabase gives it. */
export interface ServerDb {
  readonly engine: 'postgresql' | 'mysql'
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly database: string
}

type Row = Record<string, unknown>

/** One connection for a batch of reads; `query` takes `?` placeholders on both engines. */
async function withConnection<T>(
  db: ServerDb,
  body: (query: (sql: string, params?: readonly unknown[]) => Promise<Row[]>) => Promise<T>,
): Promise<T> {
  const { host, port, user, password, database } = db
  if (db.engine === 'postgresql') {
    const client = new pg.Client({ host, port, user, password, database })
    await client.connect()
    try {
      return await body(async (sql, params = []) => {
        let n = 0
        const text = sql.replace(/\?/g, () => `$${++n}`)
        return (await client.query(text, [...params])).rows as Row[]
      })
    } finally {
      await client.end()
    }
  }
  const connection = await mysql.createConnection({ host, port, user, password, database })
  try {
    return await body(async (sql, params = []) => {
      const [rows] = await connection.query(sql, [...params])
      return rows as Row[]
    })
  } finally {
    await connection.end()
  }
}

/** Everything a generator may pick from, read from a server database. */
export function inspectServer(db: ServerDb): Promise<DbState> {
  return withConnection(db, async (query) => {
    const rows: Partial<StateRows> = {}
    for (const [key, sql] of Object.entries(STATE_QUERIES)) rows[key as keyof StateRows] = await query(sql)
    return stateOf(rows as StateRows)
  })
}

/** Row counts per table and the largest node ids, as `fingerprint` gives them for a file. */
export function fingerprintServer(db: ServerDb): Promise<string> {
  return withConnection(db, async (query) => {
    const parts: string[] = []
    for (const t of FINGERPRINT_TABLES) {
      const [row] = await query(`SELECT count(*) AS n FROM ${t}`)
      parts.push(`${t}=${Number(row?.n)}`)
    }
    for (const t of ['Artifact', 'Execution', 'Context']) {
      const [row] = await query(`SELECT max(id) AS m FROM ${t}`)
      parts.push(`max(${t})=${row?.m === null ? null : Number(row?.m)}`)
    }
    return parts.join(' ')
  })
}

/** What the scale queries draw from: id ranges, node count, the large contexts and context names. */
export interface ServerScaleFacts {
  readonly maxArtifact: number
  readonly maxContext: number
  readonly nodes: number
  readonly pipelineContexts: number[]
  /** Context name by id. */
  readonly contextNames: Map<number, string>
}

export function scaleFactsServer(db: ServerDb): Promise<ServerScaleFacts> {
  return withConnection(db, async (query) => {
    const one = async (sql: string) => Number((await query(sql))[0]?.v ?? 0)
    const pipelines = await query(
      'SELECT c.id FROM Context c JOIN Type t ON t.id = c.type_id WHERE t.name = ? AND t.type_kind = 2 ORDER BY c.id',
      ['Pipeline'],
    )
    const names = await query('SELECT id, name FROM Context')
    return {
      maxArtifact: await one('SELECT max(id) AS v FROM Artifact'),
      maxContext: await one('SELECT max(id) AS v FROM Context'),
      nodes:
        (await one('SELECT count(*) AS v FROM Artifact')) +
        (await one('SELECT count(*) AS v FROM Execution')) +
        (await one('SELECT count(*) AS v FROM Context')),
      pipelineContexts: pipelines.map((r) => Number(r.id)),
      contextNames: new Map(names.map((r) => [Number(r.id), String(r.name)])),
    }
  })
}
