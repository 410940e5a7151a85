import { describe, expect, it } from 'vitest'
import { SQLITE_DIALECT as sqlite } from '../storage/dialect.js'
import * as queries from './edge-queries.js'

const SELECT_EVENT = 'SELECT id, artifact_id, execution_id, type, milliseconds_since_epoch FROM `Event`'

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
    ])('$name', ({ query, sql, params }) => {
      expect(query).toEqual({ sql, params })
    })
  })
})
