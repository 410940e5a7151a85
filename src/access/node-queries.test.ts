import { describe, expect, it } from 'vitest'
import { SQLITE_DIALECT as sqlite } from '../storage/dialect.js'
import type { PropertyColumns } from '../storage/value-codec.js'
import { ARTIFACT, CONTEXT, EXECUTION } from './node-access.js'
import * as queries from './node-queries.js'

const INT_ONE: PropertyColumns = {
  int_value: 1n,
  double_value: null,
  string_value: null,
  byte_value: null,
  proto_value: null,
  bool_value: null,
}

describe('node-queries', () => {
  describe('sqlite', () => {
    it.each([
      {
        name: 'selectNodesByIds (artifact)',
        query: queries.selectNodesByIds(sqlite, ARTIFACT, [1n, 2n]),
        sql: 'SELECT n.id, n.type_id, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch, n.`uri`, n.`state`, t.name AS type FROM `Artifact` AS n LEFT JOIN `Type` AS t ON t.id = n.type_id WHERE n.id IN (SELECT value FROM json_each(?)) ORDER BY n.id',
        params: ['[1,2]'],
      },
      {
        name: 'selectNodesByIds (execution)',
        query: queries.selectNodesByIds(sqlite, EXECUTION, [1n]),
        sql: 'SELECT n.id, n.type_id, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch, n.`last_known_state`, t.name AS type FROM `Execution` AS n LEFT JOIN `Type` AS t ON t.id = n.type_id WHERE n.id IN (SELECT value FROM json_each(?)) ORDER BY n.id',
        params: ['[1]'],
      },
      {
        name: 'selectNodeSizesByIds (artifact)',
        query: queries.selectNodeSizesByIds(sqlite, ARTIFACT, [1n, 2n]),
        sql: 'SELECT n.id, 128 + coalesce(octet_length(n.name), 0) + coalesce(octet_length(n.external_id), 0) + coalesce(octet_length(n.`uri`), 0) + coalesce((SELECT sum(32 + coalesce(octet_length(p.name), 0) + coalesce(octet_length(p.string_value), 0) + coalesce(octet_length(p.proto_value), 0) + coalesce(octet_length(p.byte_value), 0)) FROM `ArtifactProperty` AS p WHERE p.`artifact_id` = n.id), 0) AS bytes FROM `Artifact` AS n WHERE n.id IN (SELECT value FROM json_each(?)) ORDER BY n.id',
        params: ['[1,2]'],
      },
      {
        name: 'selectNodeSizesByIds (context)',
        query: queries.selectNodeSizesByIds(sqlite, CONTEXT, [3n]),
        sql: 'SELECT n.id, 128 + coalesce(octet_length(n.name), 0) + coalesce(octet_length(n.external_id), 0) + coalesce((SELECT sum(32 + coalesce(octet_length(p.name), 0) + coalesce(octet_length(p.string_value), 0) + coalesce(octet_length(p.proto_value), 0) + coalesce(octet_length(p.byte_value), 0)) FROM `ContextProperty` AS p WHERE p.`context_id` = n.id), 0) AS bytes FROM `Context` AS n WHERE n.id IN (SELECT value FROM json_each(?)) ORDER BY n.id',
        params: ['[3]'],
      },
      {
        name: 'selectTotalNodeBytesByIds (context)',
        query: queries.selectTotalNodeBytesByIds(sqlite, CONTEXT, [3n, 4n]),
        sql: 'SELECT coalesce((SELECT sum(128 + coalesce(octet_length(n.name), 0) + coalesce(octet_length(n.external_id), 0)) FROM json_each(?) AS j JOIN `Context` AS n ON n.id = j.value), 0) + coalesce((SELECT sum(32 + coalesce(octet_length(p.name), 0) + coalesce(octet_length(p.string_value), 0) + coalesce(octet_length(p.proto_value), 0) + coalesce(octet_length(p.byte_value), 0)) FROM json_each(?) AS j JOIN `ContextProperty` AS p ON p.`context_id` = j.value), 0) AS total',
        params: ['[3,4]', '[3,4]'],
      },
      {
        name: 'selectPropertiesByNodeIds',
        query: queries.selectPropertiesByNodeIds(sqlite, CONTEXT, [3n]),
        sql: 'SELECT `context_id` AS node_id, name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value, byte_value FROM `ContextProperty` WHERE `context_id` IN (SELECT value FROM json_each(?))',
        params: ['[3]'],
      },
      {
        name: 'selectNodeIdByTypeIdAndName',
        query: queries.selectNodeIdByTypeIdAndName(sqlite, CONTEXT, 4n, 'run-1'),
        sql: 'SELECT id FROM `Context` WHERE type_id = ? AND name = ?',
        params: [4n, 'run-1'],
      },
      {
        name: 'selectNodeIdsByExternalIds',
        query: queries.selectNodeIdsByExternalIds(sqlite, EXECUTION, ['a', 'b"c']),
        sql: 'SELECT id FROM `Execution` WHERE external_id IN (SELECT value FROM json_each(?)) ORDER BY id',
        params: ['["a","b\\"c"]'],
      },
      {
        name: 'selectArtifactIdsByUris',
        query: queries.selectArtifactIdsByUris(sqlite, ['s3://x']),
        sql: 'SELECT id FROM `Artifact` WHERE uri IN (SELECT value FROM json_each(?)) ORDER BY id',
        params: ['["s3://x"]'],
      },
      {
        name: 'insertNode',
        query: queries.insertNode(sqlite, ARTIFACT, [1n, 'a', null, 'u', 2n], 5n),
        sql: 'INSERT INTO `Artifact`(`type_id`, `name`, `external_id`, `uri`, `state`, `create_time_since_epoch`, `last_update_time_since_epoch`) VALUES(?, ?, ?, ?, ?, ?, ?)',
        params: [1n, 'a', null, 'u', 2n, 5n, 5n],
      },
      {
        name: 'updateNode',
        query: queries.updateNode(sqlite, EXECUTION, 7n, [1n, 'a', null, 3n], 5n),
        sql: 'UPDATE `Execution` SET `type_id` = ?, `name` = ?, `external_id` = ?, `last_known_state` = ?, `last_update_time_since_epoch` = ? WHERE id = ?',
        params: [1n, 'a', null, 3n, 5n, 7n],
      },
      {
        name: 'upsertProperty',
        query: queries.upsertProperty(sqlite, ARTIFACT, 1n, 'p', true, INT_ONE),
        sql: 'INSERT INTO `ArtifactProperty`(`artifact_id`, `name`, `is_custom_property`, `int_value`, `double_value`, `string_value`, `byte_value`, `proto_value`, `bool_value`) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(`artifact_id`, `name`, `is_custom_property`) DO UPDATE SET `int_value` = excluded.`int_value`, `double_value` = excluded.`double_value`, `string_value` = excluded.`string_value`, `byte_value` = excluded.`byte_value`, `proto_value` = excluded.`proto_value`, `bool_value` = excluded.`bool_value`',
        params: [1n, 'p', 1n, 1n, null, null, null, null, null],
      },
      {
        name: 'upsertProperties',
        query: queries.upsertProperties(sqlite, CONTEXT, [
          { nodeId: 1n, name: 'p', isCustom: false, value: INT_ONE },
          { nodeId: 1n, name: 'q', isCustom: true, value: INT_ONE },
        ]),
        sql: 'INSERT INTO `ContextProperty`(`context_id`, `name`, `is_custom_property`, `int_value`, `double_value`, `string_value`, `byte_value`, `proto_value`, `bool_value`) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(`context_id`, `name`, `is_custom_property`) DO UPDATE SET `int_value` = excluded.`int_value`, `double_value` = excluded.`double_value`, `string_value` = excluded.`string_value`, `byte_value` = excluded.`byte_value`, `proto_value` = excluded.`proto_value`, `bool_value` = excluded.`bool_value`',
        params: [
          1n,
          'p',
          0n,
          1n,
          null,
          null,
          null,
          null,
          null,
          1n,
          'q',
          1n,
          1n,
          null,
          null,
          null,
          null,
          null,
        ],
      },
      {
        name: 'deleteProperty',
        query: queries.deleteProperty(sqlite, CONTEXT, 1n, 'p', false),
        sql: 'DELETE FROM `ContextProperty` WHERE `context_id` = ? AND name = ? AND is_custom_property = ?',
        params: [1n, 'p', 0n],
      },
    ])('$name', ({ query, sql, params }) => {
      expect(query).toEqual({ sql, params })
    })

    it('builds each statement text once per dialect and kind', () => {
      const first = queries.selectNodesByIds(sqlite, ARTIFACT, [1n]).sql
      expect(queries.selectNodesByIds(sqlite, ARTIFACT, [1n, 2n, 3n]).sql).toBe(first)
      expect(queries.selectNodesByIds(sqlite, CONTEXT, [1n]).sql).not.toBe(first)
    })
  })
})
