import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeCorruptStore } from '../cli/corrupt-file.test-support.js'
import { Code, MlmdError } from '../errors.js'
import { createMetadataStore } from '../store/metadata-store.js'
import { fromSqliteError, MetadataSource, type OpenOptions } from './metadata-source.js'
import { initMetadataStore } from './schema/mlmd-env.js'
import { all, type DirectTx, get, run } from './transaction-executor.js'

function errorOf(body: () => unknown): unknown {
  try {
    body()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

let dir: string
const opened: MetadataSource[] = []

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'metadata-source-'))
})
afterEach(() => {
  for (const source of opened.splice(0)) source.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(options: Partial<OpenOptions> = {}): MetadataSource {
  const source = MetadataSource.open({ filename: path.join(dir, 'store.db'), ...options })
  opened.push(source)
  return source
}

const createTable = (tx: DirectTx) => tx.run({ sql: 'CREATE TABLE t (v INT)', params: [] })
const insert = (tx: DirectTx, v: bigint) => tx.run({ sql: 'INSERT INTO t (v) VALUES (?)', params: [v] })
const values = (source: MetadataSource) =>
  source.execute('read', (tx) => tx.all<{ v: bigint }>({ sql: 'SELECT v FROM t ORDER BY rowid', params: [] }))

describe('metadata-source', () => {
  describe('MetadataSource.open', () => {
    it.each([
      { case: 'a file', filename: 'store.db', mode: 'wal' },
      { case: ':memory:', filename: ':memory:', mode: 'memory' },
      { case: 'an empty name', filename: '', mode: 'memory' },
    ])('opens $case in $mode journal mode', ({ filename, mode }) => {
      const source = open({ filename: filename === 'store.db' ? path.join(dir, filename) : filename })
      expect(source.execute('read', (tx) => tx.get({ sql: 'PRAGMA journal_mode', params: [] }))).toEqual({
        journal_mode: mode,
      })
    })

    it('opens an empty name as :memory:', () => {
      expect(open({ filename: '' }).filename).toBe(':memory:')
    })

    it.each([
      { case: 'mustExist', options: { mustExist: true } },
      { case: 'readonly', options: { readonly: true } },
    ])('refuses a missing file with $case', ({ options }) => {
      expect(errorOf(() => open(options))).toMatchObject({ code: Code.FailedPrecondition })
      expect(existsSync(path.join(dir, 'store.db'))).toBe(false)
    })
  })

  describe('MetadataSource.close', () => {
    it('closes the connection, and tolerates a second close', () => {
      const source = open()
      source.close()
      source.close()
      expect(source.isOpen).toBe(false)
    })
  })

  describe('MetadataSource.execute', () => {
    it('commits when the body returns, and returns its value', () => {
      const source = open()
      expect(
        source.execute('write', (tx) => {
          createTable(tx)
          return insert(tx, 7n)
        }),
      ).toEqual({ changes: 1, lastInsertRowid: 1n })
      expect(values(source)).toEqual([{ v: 7n }])
    })

    it.each([
      { case: 'an MlmdError as is', thrown: new MlmdError(Code.NotFound, 'gone'), code: Code.NotFound },
      { case: 'a plain Error as INTERNAL', thrown: new Error('bug'), code: Code.Internal },
      { case: 'an SQLite error translated', thrown: undefined, code: Code.Internal },
    ])('rolls back when the body throws, and rethrows $case', ({ thrown, code }) => {
      const source = open()
      source.execute('write', createTable)
      const error = errorOf(() =>
        source.execute('write', (tx) => {
          insert(tx, 1n)
          tx.run({ sql: 'CREATE TABLE u (x INT)', params: [] })
          if (thrown !== undefined) throw thrown
          tx.run({ sql: 'INSERT INTO nowhere VALUES (1)', params: [] })
        }),
      )
      expect(error).toMatchObject({ code })
      if (thrown instanceof MlmdError) expect(error).toBe(thrown)
      else if (thrown !== undefined) expect((error as Error).cause).toBe(thrown)
      expect(values(source)).toEqual([])
      expect(
        source.execute('read', (tx) =>
          tx.all({ sql: "SELECT name FROM sqlite_master WHERE name = 'u'", params: [] }),
        ),
      ).toEqual([])
    })

    it('refuses to nest, and stays usable afterwards', () => {
      const source = open()
      source.execute('write', createTable)
      const error = errorOf(() =>
        source.execute('write', (tx) => {
          insert(tx, 1n)
          source.execute('read', () => 0)
        }),
      )
      expect(error).toMatchObject({ code: Code.Internal, message: expect.stringMatching(/do not nest/) })
      source.execute('write', (tx) => insert(tx, 2n))
      expect(values(source)).toEqual([{ v: 2n }])
    })

    it('answers ABORTED when another connection holds the write lock, and lets readers read', () => {
      const holder = open()
      holder.execute('write', createTable)
      const waiter = open({ busyTimeoutMs: 20 })
      holder.execute('write', (tx) => {
        insert(tx, 1n)
        expect(errorOf(() => waiter.execute('write', (w) => insert(w, 2n)))).toMatchObject({
          code: Code.Aborted,
          message: expect.stringMatching(/database is locked/),
        })
        expect(values(waiter)).toEqual([])
      })
      waiter.execute('write', (tx) => insert(tx, 2n))
      expect(values(waiter)).toEqual([{ v: 1n }, { v: 2n }])
    })

    it('fails writes on a read-only source with FAILED_PRECONDITION', () => {
      open().execute('write', createTable)
      const source = open({ readonly: true })
      expect(errorOf(() => source.execute('write', (tx) => insert(tx, 1n)))).toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringMatching(/read-only/),
      })
      expect(values(source)).toEqual([])
    })

    it('round-trips int64 values exactly', () => {
      const source = open()
      const ints = [-(2n ** 63n), -(2n ** 53n) - 1n, -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n]
      source.execute('write', (tx) => {
        createTable(tx)
        for (const v of ints) insert(tx, v)
      })
      expect(values(source)).toEqual(ints.map((v) => ({ v })))
      expect(
        source.execute('read', (tx) =>
          tx.all({
            sql: 'SELECT v FROM t WHERE v IN (?, ?) ORDER BY v',
            params: [ints[0] ?? 0n, ints[5] ?? 0n],
          }),
        ),
      ).toEqual([{ v: ints[0] }, { v: ints[5] }])
    })
  })

  describe('MetadataSource.perform', () => {
    // Counts to a billion unless stopped: minutes of work inside one statement.
    const endless = {
      sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) AS n FROM c WHERE mlmd_within_budget(x)',
      params: [],
    }

    it('runs nothing when the deadline has already passed', () => {
      const source = open()
      source.execute('write', createTable)
      expect(() =>
        source.perform(
          'write',
          function* () {
            yield* run({ sql: 'INSERT INTO t (v) VALUES (1)', params: [] })
          },
          { deadline: Date.now() - 1 },
        ),
      ).toThrow(expect.objectContaining({ code: Code.DeadlineExceeded }))
      expect(values(source)).toEqual([])
    })

    it('rolls back instead of committing when the deadline passes during the body', () => {
      const source = open()
      source.execute('write', createTable)
      const deadline = Date.now() + 50
      expect(() =>
        source.perform(
          'write',
          function* () {
            yield* run({ sql: 'INSERT INTO t (v) VALUES (1)', params: [] })
            while (Date.now() <= deadline) {
              // the body outlives its deadline
            }
          },
          { deadline },
        ),
      ).toThrow(expect.objectContaining({ code: Code.DeadlineExceeded }))
      expect(values(source)).toEqual([])
    })

    it('stops a long statement inside SQLite when the deadline passes', () => {
      const source = open()
      expect(() =>
        source.perform(
          'read',
          function* () {
            return yield* get(endless)
          },
          { deadline: Date.now() + 100 },
        ),
      ).toThrow(expect.objectContaining({ code: Code.DeadlineExceeded }))
      // The connection is usable afterwards.
      expect(source.perform('read', () => get({ sql: 'SELECT 1 AS one', params: [] }))).toEqual({ one: 1n })
    })

    it('stops a long statement without a deadline at the statement budget, as RESOURCE_EXHAUSTED', () => {
      const source = open({ statementBudgetMs: 100 })
      expect(() => source.perform('read', () => get(endless))).toThrow(
        expect.objectContaining({ code: Code.ResourceExhausted }),
      )
    })

    it('answers FAILED_PRECONDITION once closed', () => {
      const source = open()
      source.close()
      expect(() => source.perform('read', () => get({ sql: 'SELECT 1', params: [] }))).toThrow(
        expect.objectContaining({ code: Code.FailedPrecondition }),
      )
    })
  })

  describe('Tx.memo', () => {
    const remember = (source: MetadataSource, mode: 'read' | 'write', value: string) =>
      source.perform(mode, function* (tx) {
        yield* get({ sql: 'SELECT 1', params: [] })
        tx.memo().set('k', value)
      })
    const recall = (source: MetadataSource, mode: 'read' | 'write' = 'read') =>
      source.perform(mode, function* (tx) {
        yield* get({ sql: 'SELECT 1', params: [] })
        return tx.memo().get('k')
      })

    it("keeps values across transactions, and through the connection's own commits", () => {
      const source = open()
      source.execute('write', createTable)
      remember(source, 'read', 'a')
      source.execute('write', (tx) => insert(tx, 1n))
      expect(recall(source)).toBe('a')
      expect(recall(source, 'write')).toBe('a')
    })

    it.each(['read', 'write'] as const)(
      'empties itself in a %s transaction after another connection commits',
      (mode) => {
        const source = open()
        const other = open()
        source.execute('write', createTable)
        remember(source, mode, 'a')
        other.execute('read', (tx) => tx.all({ sql: 'SELECT * FROM t', params: [] }))
        expect(recall(source, mode)).toBe('a')
        other.execute('write', (tx) => insert(tx, 1n))
        expect(recall(source, mode)).toBeUndefined()
        remember(source, mode, 'b')
        expect(recall(source, mode)).toBe('b')
      },
    )

    it("answers a read from the memo alone, and still sees another connection's commit", () => {
      const source = open()
      const other = open()
      source.execute('write', createTable)
      remember(source, 'read', 'a')
      const fromMemo = () =>
        source.perform('read', function* (tx) {
          yield* [] // no statement: the read begins no transaction
          return tx.memo().get('k')
        })
      expect(fromMemo()).toBe('a')
      other.execute('write', (tx) => insert(tx, 1n))
      expect(fromMemo()).toBeUndefined()
    })

    it('runs a read again in its transaction when another connection commits between its memo and its first statement', () => {
      const source = open()
      const other = open()
      source.execute('write', createTable)
      remember(source, 'read', 'a')
      const seen: unknown[] = []
      const rows = source.perform('read', function* (tx) {
        seen.push(tx.memo().get('k'))
        if (seen.length === 1) other.execute('write', (otx) => insert(otx, 7n))
        return yield* all<{ v: bigint }>({ sql: 'SELECT v FROM t', params: [] })
      })
      expect(seen).toEqual(['a', undefined])
      expect(rows).toEqual([{ v: 7n }])
      // Without a commit in between, the body runs once, with the memo.
      remember(source, 'read', 'b')
      seen.length = 0
      source.perform('read', function* (tx) {
        seen.push(tx.memo().get('k'))
        return yield* all({ sql: 'SELECT v FROM t', params: [] })
      })
      expect(seen).toEqual(['b'])
    })

    it('empties itself when a transaction rolls back, and on forgetMemo', () => {
      const source = open()
      expect(() =>
        source.perform('write', function* (tx) {
          yield* get({ sql: 'SELECT 1', params: [] })
          tx.memo().set('k', 'from a write that fails')
          throw new MlmdError(Code.InvalidArgument, 'no')
        }),
      ).toThrow('no')
      expect(recall(source)).toBeUndefined()
      remember(source, 'read', 'a')
      source.execute('write', (tx) => tx.forgetMemo())
      expect(recall(source)).toBeUndefined()
    })
  })

  describe('fromSqliteError', () => {
    const store = () => {
      const source = open({ filename: ':memory:' })
      initMetadataStore(source)
      source.execute('write', (tx) => {
        tx.run({ sql: "INSERT INTO Type (name, type_kind, external_id) VALUES ('a', 1, 'x')", params: [] })
        tx.run({ sql: "INSERT INTO TypeProperty VALUES (10, 'p', 1)", params: [] })
      })
      return source
    }

    it.each([
      {
        case: 'a UNIQUE column',
        sql: "INSERT INTO Type (name, type_kind, external_id) VALUES ('b', 1, 'x')",
        code: Code.AlreadyExists,
        message: /UNIQUE constraint failed: Type.external_id/,
      },
      {
        case: 'a composite PRIMARY KEY',
        sql: "INSERT INTO TypeProperty VALUES (10, 'p', 2)",
        code: Code.AlreadyExists,
        message: /UNIQUE constraint failed: TypeProperty.type_id, TypeProperty.name/,
      },
      {
        case: 'an INTEGER PRIMARY KEY',
        sql: "INSERT INTO Type (id, name, type_kind) VALUES (1, 'c', 1)",
        code: Code.AlreadyExists,
        message: /UNIQUE constraint failed: Type.id/,
      },
      {
        case: 'a NOT NULL column',
        sql: 'INSERT INTO Type (name, type_kind) VALUES (NULL, 1)',
        code: Code.Internal,
        message: /NOT NULL constraint failed: Type.name$/,
      },
      {
        case: 'a syntax error',
        sql: 'SELEC 1',
        code: Code.Internal,
        message: /syntax error$/,
      },
    ])('translates a violation of $case', ({ sql, code, message }) => {
      const source = store()
      expect(errorOf(() => source.execute('write', (tx) => tx.run({ sql, params: [] })))).toMatchObject({
        code,
        message: expect.stringMatching(message),
      })
    })

    it('keeps the SQL out of the message and with the cause, for the log', () => {
      const error = errorOf(() =>
        store().execute('read', (tx) => tx.all({ sql: 'SELEC 1', params: [] })),
      ) as MlmdError
      expect(error.rawMessage).toBe('Error when executing query: near "SELEC": syntax error')
      expect((error.cause as { sql?: string }).sql).toBe('SELEC 1')
    })

    it("answers a LIKE pattern over SQLite's limit as INVALID_ARGUMENT", () => {
      const pattern = `%${'x'.repeat(50_001)}%`
      const error = errorOf(() =>
        store().execute('read', (tx) => tx.all({ sql: "SELECT 'a' LIKE ?", params: [pattern] })),
      ) as MlmdError
      expect(error.code).toBe(Code.InvalidArgument)
      expect(error.rawMessage).toBe(
        'A LIKE pattern in filter_query is too long: SQLite takes at most 50,000 bytes',
      )
    })

    it('passes an MlmdError through', () => {
      const error = new MlmdError(Code.OutOfRange, 'x')
      expect(fromSqliteError(error)).toBe(error)
    })

    it.each([
      { case: 'an Error', reason: new Error('boom'), message: '[internal] boom' },
      { case: 'a string', reason: 'boom', message: '[internal] boom' },
    ])('wraps $case as INTERNAL, keeping the cause', ({ reason, message }) => {
      expect(fromSqliteError(reason)).toMatchObject({ code: Code.Internal, message, cause: reason })
    })
  })
})

describe('MetadataSource on a corrupt file', () => {
  it('answers DATA_LOSS where a read meets the damage, then refuses writes, telling onCorruption once', () => {
    const file = path.join(dir, 'corrupt.sqlite')
    writeCorruptStore(file)
    const found: MlmdError[] = []
    const store = createMetadataStore({ filename: file, onCorruption: (error) => found.push(error) })
    try {
      // Before anything met the damage, writes work.
      store.putArtifactType({ artifact_type: { name: 'Before' } })
      expect(store.getArtifactsByID({ artifact_ids: [1n] }).artifacts).toHaveLength(1)
      const read = errorOf(() => store.getArtifacts({})) as MlmdError
      expect(read).toMatchObject({
        code: Code.DataLoss,
        rawMessage: 'The database file is corrupt: database disk image is malformed',
      })
      expect(errorOf(() => store.putArtifactType({ artifact_type: { name: 'After' } }))).toMatchObject({
        code: Code.FailedPrecondition,
        rawMessage:
          'Writes are refused: an earlier call found the database file corrupt ("The database file is corrupt: database disk image is malformed"), ' +
          'and a write could spread the damage. Run `mlmd-ts check --db FILE` and restore the file from a backup.',
      })
      expect(errorOf(() => store.getArtifacts({}))).toMatchObject({ code: Code.DataLoss })
      // Reads that avoid the damaged page still work.
      expect(store.getArtifactTypes({}).artifact_types.map((t) => t.name)).toContain('Before')
      expect(found).toHaveLength(1)
      expect(found[0]).toBe(read)
    } finally {
      store.close()
    }
  })
})
