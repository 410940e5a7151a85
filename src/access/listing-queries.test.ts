import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRESQL_DIALECT, SQLITE_DIALECT as sqlite } from '../storage/dialect.js'
import { freshDatabase, type TestDatabase } from '../storage/engine-servers.test-support.js'
import { PostgresqlSource } from '../storage/postgresql-source.js'
import { initPostgresqlStore } from '../storage/schema/postgresql-env.js'
import { all, run } from '../storage/transaction-executor.js'
import { openAccessFixture } from './access.test-support.js'
import * as queries from './listing-queries.js'
import { ARTIFACT, CONTEXT, EXECUTION } from './node-access.js'
import { q } from './query-builder.js'

const BY_CREATE_TIME_DESC: queries.PageOrder = { column: 'create_time_since_epoch', ascending: false }
const BY_ID: queries.PageOrder = { column: 'id', ascending: true }

describe('listing-queries', () => {
  describe('sqlite', () => {
    describe('candidateConditions', () => {
      it.each([
        { name: 'all', kind: ARTIFACT, candidates: { kind: 'all' } as const, sql: [], params: [] },
        {
          name: 'a type',
          kind: EXECUTION,
          candidates: { kind: 'type', typeId: 9n } as const,
          sql: ['table_0.type_id = ?'],
          params: [9n],
        },
        {
          name: "a context's artifacts",
          kind: ARTIFACT,
          candidates: { kind: 'context', contextId: 4n } as const,
          sql: ['table_0.id IN (SELECT `artifact_id` FROM `Attribution` WHERE context_id = ?)'],
          params: [4n],
        },
        {
          name: "a context's executions",
          kind: EXECUTION,
          candidates: { kind: 'context', contextId: 4n } as const,
          sql: ['table_0.id IN (SELECT `execution_id` FROM `Association` WHERE context_id = ?)'],
          params: [4n],
        },
        {
          name: 'ids',
          kind: CONTEXT,
          candidates: { kind: 'ids', ids: [3n, 1n] } as const,
          sql: ['table_0.id IN (SELECT value FROM json_each(?))'],
          params: ['[3,1]'],
        },
      ])('$name', ({ kind, candidates, sql, params }) => {
        expect(queries.candidateConditions(sqlite, kind, candidates)).toEqual({ sql, params })
      })

      it('refuses contexts of contexts (contexts are linked by parent links, not listed by context)', () => {
        expect(() =>
          queries.candidateConditions(sqlite, CONTEXT, { kind: 'context', contextId: 1n }),
        ).toThrow()
      })
    })

    it('selectContextNodesById: a context page along the link index, below an id, after a position', () => {
      expect(
        queries.selectContextNodesById(
          sqlite,
          EXECUTION,
          4n,
          BY_CREATE_TIME_DESC,
          false,
          30n,
          queries.after(sqlite, BY_CREATE_TIME_DESC, { field: 10n, id: 30n }),
          21,
        ),
      ).toEqual({
        sql: 'SELECT table_0.id AS id, table_0.`create_time_since_epoch` AS field FROM `Association` AS link JOIN `Execution` AS table_0 ON table_0.id = link.`execution_id` WHERE link.context_id = ? AND link.`execution_id` < ? AND table_0.`create_time_since_epoch` <= ? AND (table_0.`create_time_since_epoch` < ? OR table_0.id < ?) ORDER BY link.`execution_id` DESC LIMIT ?',
        params: [4n, 30n, 10n, 10n, 30n, 21n],
      })
      expect(
        queries.selectContextNodesById(
          sqlite,
          ARTIFACT,
          2n,
          BY_ID,
          true,
          undefined,
          queries.NO_CONDITIONS,
          5,
        ),
      ).toEqual({
        sql: 'SELECT table_0.id AS id, table_0.`id` AS field FROM `Attribution` AS link JOIN `Artifact` AS table_0 ON table_0.id = link.`artifact_id` WHERE link.context_id = ? ORDER BY link.`artifact_id` ASC LIMIT ?',
        params: [2n, 5n],
      })
      expect(() =>
        queries.selectContextNodesById(sqlite, CONTEXT, 1n, BY_ID, true, undefined, queries.NO_CONDITIONS, 5),
      ).toThrow()
    })

    it.each([
      { low: 5n, high: 9n, sql: ['(table_0.id < ? OR table_0.id > ?)'], params: [5n, 9n] },
      { low: 5n, high: undefined, sql: ['(table_0.id < ?)'], params: [5n] },
      { low: undefined, high: 9n, sql: ['(table_0.id > ?)'], params: [9n] },
      { low: undefined, high: undefined, sql: ['1 = 0'], params: [] },
    ])('outsideIds($low, $high)', ({ low, high, sql, params }) => {
      expect(queries.outsideIds(low, high)).toEqual({ sql, params })
    })

    it('selectPage: a context page in descending create time after a token position', () => {
      const where = queries.and(
        queries.candidateConditions(sqlite, ARTIFACT, { kind: 'context', contextId: 4n }),
        queries.after(sqlite, BY_CREATE_TIME_DESC, { field: 10n, id: 3n }),
      )
      expect(queries.selectPage(sqlite, ARTIFACT, BY_CREATE_TIME_DESC, where, 21)).toEqual({
        sql: 'SELECT table_0.id AS id, table_0.`create_time_since_epoch` AS field FROM `Artifact` AS table_0 WHERE table_0.id IN (SELECT `artifact_id` FROM `Attribution` WHERE context_id = ?) AND table_0.`create_time_since_epoch` <= ? AND (table_0.`create_time_since_epoch` < ? OR table_0.id < ?) ORDER BY table_0.`create_time_since_epoch` DESC, table_0.id DESC LIMIT ? OFFSET ?',
        params: [4n, 10n, 10n, 3n, 21n, 0n],
      })
    })

    it('selectPage: an id page continues from the token field offset', () => {
      const where = queries.after(sqlite, BY_ID, { field: 7n, id: 7n })
      expect(queries.selectPage(sqlite, EXECUTION, BY_ID, where, 5, 2)).toEqual({
        sql: 'SELECT table_0.id AS id, table_0.`id` AS field FROM `Execution` AS table_0 WHERE table_0.id > ? ORDER BY table_0.id ASC LIMIT ? OFFSET ?',
        params: [7n, 5n, 2n],
      })
    })

    it('selectNodeIds: with and without a limit', () => {
      const byType = queries.candidateConditions(sqlite, EXECUTION, { kind: 'type', typeId: 9n })
      expect(queries.selectNodeIds(sqlite, EXECUTION, byType, 5)).toEqual({
        sql: 'SELECT table_0.id AS id FROM `Execution` AS table_0 WHERE table_0.type_id = ? ORDER BY table_0.id LIMIT ?',
        params: [9n, 5n],
      })
      expect(queries.selectNodeIds(sqlite, ARTIFACT, queries.NO_CONDITIONS)).toEqual({
        sql: 'SELECT table_0.id AS id FROM `Artifact` AS table_0 ORDER BY table_0.id',
        params: [],
      })
    })

    it('selectAnyCandidate probes one row', () => {
      expect(queries.selectAnyCandidate(sqlite, ARTIFACT, { kind: 'type', typeId: 2n })).toEqual({
        sql: 'SELECT 1 AS found FROM `Artifact` AS table_0 WHERE table_0.type_id = ? LIMIT 1',
        params: [2n],
      })
    })

    it('afterListed: the ids MLMD listed at the boundary time are left out', () => {
      const order: queries.PageOrder = { column: 'last_update_time_since_epoch', ascending: true }
      expect(queries.afterListed(sqlite, order, 5n, [1n, 2n])).toEqual({
        sql: [
          'table_0.`last_update_time_since_epoch` >= ? AND NOT table_0.id IN (SELECT value FROM json_each(?))',
        ],
        params: [5n, '[1,2]'],
      })
    })

    it('upTo: a range the order index can scan', () => {
      expect(queries.upTo(sqlite, BY_CREATE_TIME_DESC, { field: 10n, id: 3n })).toEqual({
        sql: [
          'table_0.`create_time_since_epoch` >= ? AND (table_0.`create_time_since_epoch` > ? OR table_0.id >= ?)',
        ],
        params: [10n, 10n, 3n],
      })
    })

    it('countUpTo and the filter forms', () => {
      expect(
        queries.countUpTo({ sql: 'SELECT DISTINCT table_0.id FROM `Artifact` AS table_0', params: [] }, 40),
      ).toEqual({
        sql: 'SELECT count(*) AS n FROM (SELECT DISTINCT table_0.id FROM `Artifact` AS table_0 LIMIT ?) AS matches',
        params: [40n],
      })
      expect(queries.amongMatches('SELECT 1', [1n])).toEqual({
        sql: ['table_0.id IN (SELECT 1)'],
        params: [1n],
      })
      expect(queries.meetingCondition('a OR b', [])).toEqual({ sql: ['(a OR b)'], params: [] })
    })

    it('candidateSelection: the set by its own index, the row test unindexed or a probe of the link', () => {
      expect(queries.candidateSelection(sqlite, ARTIFACT, { kind: 'type', typeId: 2n })).toEqual({
        set: { sql: 'SELECT id FROM `Artifact` WHERE type_id = ?', params: [2n] },
        row: { sql: ['+table_0.type_id = ?'], params: [2n] },
        rowNeedsBudget: false,
        walkFirst: true,
      })
      expect(queries.candidateSelection(sqlite, EXECUTION, { kind: 'context', contextId: 5n })).toEqual({
        set: { sql: 'SELECT `execution_id` AS id FROM `Association` WHERE context_id = ?', params: [5n] },
        row: {
          sql: [
            'EXISTS (SELECT 1 FROM `Association` AS link WHERE link.context_id = ? AND link.`execution_id` = table_0.id)',
          ],
          params: [5n],
        },
        rowNeedsBudget: false,
        walkFirst: false,
      })
      expect(queries.candidateSelection(sqlite, ARTIFACT, { kind: 'all' })).toBeUndefined()
    })

    it('selectAnyCandidate: a context from its link index, a type by its condition', () => {
      expect(queries.selectAnyCandidate(sqlite, ARTIFACT, { kind: 'context', contextId: 5n })).toEqual({
        sql: 'SELECT 1 AS found FROM `Attribution` AS link JOIN `Artifact` AS table_0 ON table_0.id = link.`artifact_id` WHERE link.context_id = ? LIMIT 1',
        params: [5n],
      })
      expect(queries.selectAnyCandidate(sqlite, ARTIFACT, { kind: 'type', typeId: 2n })).toEqual({
        sql: 'SELECT 1 AS found FROM `Artifact` AS table_0 WHERE table_0.type_id = ? LIMIT 1',
        params: [2n],
      })
    })

    it('a page after a position in time order seeks to it in the time index instead of scanning from the start', () => {
      const fixture = openAccessFixture()
      for (const kind of [ARTIFACT, EXECUTION, CONTEXT]) {
        for (const column of ['create_time_since_epoch', 'last_update_time_since_epoch'] as const) {
          for (const ascending of [true, false]) {
            const order: queries.PageOrder = { column, ascending }
            const page = queries.selectPage(
              sqlite,
              kind,
              order,
              queries.after(sqlite, order, { field: 5n, id: 9n }),
              21,
            )
            const plan = fixture.run(
              () => all<{ detail: string }>(q(`EXPLAIN QUERY PLAN ${page.sql}`, ...page.params)),
              'read',
            )
            expect(plan.map((step) => step.detail)).toEqual([
              `SEARCH table_0 USING COVERING INDEX idx_${kind.name}_${column} (${column}${ascending ? '>' : '<'}?)`,
            ])
          }
        }
      }
    })

    it('withinBudget calls the function the SQLite driver registers', () => {
      expect(queries.withinBudget(sqlite)).toEqual({ sql: ['mlmd_within_budget(table_0.id)'], params: [] })
    })
  })
})

// The seek after a page's position on a real PostgreSQL server, in MLMD's schema for it: with
// sequential scans priced out, the plan must bound the time index by the position (an "Index
// Cond"), not only filter the rows it walks from the index's start (skipped locally when the
// server cannot be started; CI fails instead).
describe('listing-queries on postgresql', () => {
  let database: TestDatabase | undefined
  let source: PostgresqlSource | undefined

  beforeAll(async () => {
    database = await freshDatabase('postgresql')
    if (database === undefined) return
    source = await PostgresqlSource.open({ url: database.url })
    await initPostgresqlStore(source)
  }, 120_000)
  afterAll(async () => {
    await source?.close()
    await database?.drop()
  })

  it('a page after a position in time order seeks to it in the time index', async (context) => {
    if (source === undefined) context.skip()
    const postgres = source as PostgresqlSource
    const d = POSTGRESQL_DIALECT
    for (const kind of [ARTIFACT, EXECUTION, CONTEXT]) {
      for (const column of ['create_time_since_epoch', 'last_update_time_since_epoch'] as const) {
        for (const ascending of [true, false]) {
          const order: queries.PageOrder = { column, ascending }
          const page = queries.selectPage(d, kind, order, queries.after(d, order, { field: 5n, id: 9n }), 21)
          const [explained] = await postgres.perform('read', function* () {
            yield* run(q('SET LOCAL enable_seqscan = off'))
            return yield* all<{ 'QUERY PLAN': unknown }>(
              q(`EXPLAIN (FORMAT JSON) ${page.sql}`, ...page.params),
            )
          })
          const conditions = JSON.stringify(explained?.['QUERY PLAN']).match(/"Index Cond":"[^"]*"/g) ?? []
          expect(
            conditions.join(' '),
            `${kind.name}, ${column}, ${ascending ? 'ascending' : 'descending'}`,
          ).toMatch(new RegExp(`${column} ${ascending ? '>=' : '<='}`))
        }
      }
    }
  }, 60_000)
})
