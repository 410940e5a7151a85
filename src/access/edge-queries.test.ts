import { describe, expect, it } from 'vitest'
import { SQLITE_DIALECT as sqlite } from '../storage/dialect.js'
import * as queries from './edge-queries.js'

const SELECT_EVENT = 'SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM `Event`'

const STEP = (parity: number, from: string, other: string, directed: boolean) =>
  `SELECT e.${other} AS id FROM json_each(w.frontier) AS f JOIN \`Event\` AS e ON e.${from} = f.value WHERE (w.hop + ?) % 2 = ${parity}${directed ? ' AND e.type IN (SELECT value FROM json_each(?))' : ''} AND mlmd_within_budget(e.id)`
const REACHED = (directed: boolean) =>
  `${STEP(0, 'artifact_id', 'execution_id', directed)} UNION ${STEP(1, 'execution_id', 'artifact_id', directed)}`
const WALK_RESULT =
  'SELECT w.hop AS hop, j.value AS id FROM walk AS w, json_each(w.frontier) AS j ORDER BY w.hop, j.value'
const WALK_BOTH_WAYS =
  "WITH RECURSIVE walk(hop, frontier, previous) AS (SELECT 0, ?, '[]' UNION ALL " +
  `SELECT w.hop + 1, (SELECT json_group_array(x.id) FROM (${REACHED(false)} EXCEPT SELECT value FROM json_each(w.previous)) AS x), w.frontier ` +
  `FROM walk AS w WHERE w.hop < ? AND w.frontier <> '[]') ${WALK_RESULT}`
const WALK_ONE_WAY =
  "WITH RECURSIVE walk(hop, frontier, seen_same, seen_other) AS (SELECT 0, ?, '[]', '[]' UNION ALL " +
  `SELECT w.hop + 1, (SELECT json_group_array(x.id) FROM (${REACHED(true)} EXCEPT SELECT value FROM json_each(w.seen_other)) AS x), w.seen_other, ` +
  "CASE WHEN w.seen_same = '[]' THEN w.frontier ELSE substr(w.seen_same, 1, length(w.seen_same) - 1) || ',' || substr(w.frontier, 2) END " +
  `FROM walk AS w WHERE w.hop < ? AND w.frontier <> '[]') ${WALK_RESULT}`

describe('edge-queries', () => {
  describe('sqlite', () => {
    it.each([
      {
        name: 'selectEventsByExecutionIds',
        query: queries.selectEventsByExecutionIds(sqlite, [1n]),
        sql: `${SELECT_EVENT} WHERE execution_id IN (SELECT value FROM json_each(?)) ORDER BY execution_id, id`,
        params: ['[1]'],
      },
      {
        name: 'selectEventsByArtifactIds',
        query: queries.selectEventsByArtifactIds(sqlite, [1n, 9n]),
        sql: `${SELECT_EVENT} WHERE artifact_id IN (SELECT value FROM json_each(?)) ORDER BY artifact_id, execution_id, type`,
        params: ['[1,9]'],
      },
      {
        name: 'selectEventPathsByEventIds',
        query: queries.selectEventPathsByEventIds(sqlite, [2n]),
        sql: 'SELECT event_id, is_index_step, step_index, step_key FROM `EventPath` WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY rowid',
        params: ['[2]'],
      },
      {
        name: 'insertEvent',
        query: queries.insertEvent(sqlite, 1n, 2n, 4n, 99n),
        sql: 'INSERT INTO `Event`(`artifact_id`, `execution_id`, `type`, `milliseconds_since_epoch`) VALUES(?, ?, ?, ?)',
        params: [1n, 2n, 4n, 99n],
      },
      {
        name: 'insertEventPathIndex',
        query: queries.insertEventPathIndex(sqlite, 5n, 0n),
        sql: 'INSERT INTO `EventPath`(`event_id`, `is_index_step`, `step_index`) VALUES(?, ?, ?)',
        params: [5n, 1n, 0n],
      },
      {
        name: 'insertEventPathKey',
        query: queries.insertEventPathKey(sqlite, 5n, 'k'),
        sql: 'INSERT INTO `EventPath`(`event_id`, `is_index_step`, `step_key`) VALUES(?, ?, ?)',
        params: [5n, 0n, 'k'],
      },
      {
        name: 'insertAttributionIfAbsent',
        query: queries.insertAttributionIfAbsent(sqlite, 1n, 2n),
        sql: 'INSERT OR IGNORE INTO `Attribution`(`context_id`, `artifact_id`) VALUES(?, ?)',
        params: [1n, 2n],
      },
      {
        name: 'insertAssociationIfAbsent',
        query: queries.insertAssociationIfAbsent(sqlite, 1n, 3n),
        sql: 'INSERT OR IGNORE INTO `Association`(`context_id`, `execution_id`) VALUES(?, ?)',
        params: [1n, 3n],
      },
      {
        name: 'selectContextIdsByArtifact',
        query: queries.selectContextIdsByArtifact(sqlite, 7n),
        sql: 'SELECT context_id AS id FROM `Attribution` WHERE artifact_id = ? ORDER BY context_id',
        params: [7n],
      },
      {
        name: 'selectContextIdsByExecution',
        query: queries.selectContextIdsByExecution(sqlite, 7n),
        sql: 'SELECT context_id AS id FROM `Association` WHERE execution_id = ? ORDER BY context_id',
        params: [7n],
      },
      {
        name: 'insertParentContext',
        query: queries.insertParentContext(sqlite, 2n, 1n),
        sql: 'INSERT INTO `ParentContext`(`context_id`, `parent_context_id`) VALUES(?, ?)',
        params: [2n, 1n],
      },
      {
        name: 'selectParentLinks',
        query: queries.selectParentLinks(sqlite, [2n]),
        sql: 'SELECT context_id AS child, parent_context_id AS parent FROM `ParentContext` WHERE context_id IN (SELECT value FROM json_each(?)) ORDER BY context_id, parent_context_id',
        params: ['[2]'],
      },
      {
        name: 'selectChildLinks',
        query: queries.selectChildLinks(sqlite, [1n]),
        sql: 'SELECT parent_context_id AS parent, context_id AS child FROM `ParentContext` WHERE parent_context_id IN (SELECT value FROM json_each(?)) ORDER BY parent_context_id, context_id',
        params: ['[1]'],
      },
      {
        name: 'selectIsAncestor',
        query: queries.selectIsAncestor(sqlite, 3n, 1n),
        sql: 'WITH RECURSIVE ancestors(id) AS (SELECT parent_context_id FROM `ParentContext` WHERE context_id = ? UNION SELECT p.parent_context_id FROM `ParentContext` AS p JOIN ancestors AS a ON p.context_id = a.id) SELECT 1 AS found FROM ancestors WHERE id = ? LIMIT 1',
        params: [3n, 1n],
      },
      {
        name: 'selectAttributionsByArtifactIds',
        query: queries.selectAttributionsByArtifactIds(sqlite, [1n]),
        sql: 'SELECT artifact_id, context_id FROM `Attribution` WHERE artifact_id IN (SELECT value FROM json_each(?)) ORDER BY artifact_id, context_id',
        params: ['[1]'],
      },
      {
        name: 'selectAssociationsByExecutionIds',
        query: queries.selectAssociationsByExecutionIds(sqlite, [1n]),
        sql: 'SELECT execution_id, context_id FROM `Association` WHERE execution_id IN (SELECT value FROM json_each(?)) ORDER BY execution_id, context_id',
        params: ['[1]'],
      },
      {
        name: 'selectEventsBetween',
        query: queries.selectEventsBetween(sqlite, [1n, 2n], [3n]),
        sql: `${SELECT_EVENT} WHERE artifact_id IN (SELECT value FROM json_each(?)) AND +execution_id IN (SELECT value FROM json_each(?))`,
        params: ['[1,2]', '[3]'],
      },
      {
        name: 'selectLineageWalk, from executions, upstream',
        query: queries.selectLineageWalk(sqlite, [7n, 8n], 1, 100n, {
          fromArtifacts: [1, 4, 6, 7],
          fromExecutions: [2, 3, 5],
        }),
        sql: WALK_ONE_WAY,
        params: ['[7,8]', 1n, '[1,4,6,7]', 1n, '[2,3,5]', 100n],
      },
      {
        name: 'selectLineageWalk, from artifacts, both ways',
        query: queries.selectLineageWalk(sqlite, [9007199254740993n], 0, 3n, null),
        sql: WALK_BOTH_WAYS,
        params: ['[9007199254740993]', 0n, 0n, 3n],
      },
    ])('$name', ({ query, sql, params }) => {
      expect(query).toEqual({ sql, params })
    })
  })
})
