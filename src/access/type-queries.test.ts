import { describe, expect, it } from 'vitest'
import { SQLITE_DIALECT as sqlite } from '../storage/dialect.js'
import { TypeKind } from '../storage/schema/v10.js'
import * as queries from './type-queries.js'

const SELECT_TYPE =
  'SELECT id, name, version, type_kind, description, input_type, output_type, external_id FROM `Type`'

describe('type-queries', () => {
  describe('sqlite', () => {
    it.each([
      {
        name: 'selectTypesByIds',
        query: queries.selectTypesByIds(sqlite, [5n, 6n]),
        sql: `${SELECT_TYPE} WHERE id IN (SELECT value FROM json_each(?))`,
        params: ['[5,6]'],
      },
      {
        name: 'selectTypeByName without a version',
        query: queries.selectTypeByName(sqlite, TypeKind.ARTIFACT, 'Model', undefined),
        sql: `${SELECT_TYPE} WHERE type_kind = ? AND name = ? AND version IS NULL`,
        params: [1n, 'Model'],
      },
      {
        name: 'selectTypeByName with a version',
        query: queries.selectTypeByName(sqlite, TypeKind.EXECUTION, 'Trainer', 'v2'),
        sql: `${SELECT_TYPE} WHERE type_kind = ? AND name = ? AND version = ?`,
        params: [0n, 'Trainer', 'v2'],
      },
      {
        name: 'selectTypesByKind',
        query: queries.selectTypesByKind(sqlite, TypeKind.CONTEXT),
        sql: `${SELECT_TYPE} WHERE type_kind = ? ORDER BY id`,
        params: [2n],
      },
      {
        name: 'selectTypesByExternalIds',
        query: queries.selectTypesByExternalIds(sqlite, TypeKind.ARTIFACT, ['x']),
        sql: `${SELECT_TYPE} WHERE type_kind = ? AND external_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
        params: [1n, '["x"]'],
      },
      {
        name: 'selectTypeIdByName',
        query: queries.selectTypeIdByName(sqlite, TypeKind.ARTIFACT, 'mlmd.Dataset'),
        sql: 'SELECT id FROM `Type` WHERE type_kind = ? AND name = ? AND version IS NULL',
        params: [1n, 'mlmd.Dataset'],
      },
      {
        name: 'selectTypePropertiesByTypeIds',
        query: queries.selectTypePropertiesByTypeIds(sqlite, [1n]),
        sql: 'SELECT type_id, name, data_type FROM `TypeProperty` WHERE type_id IN (SELECT value FROM json_each(?))',
        params: ['[1]'],
      },
      {
        name: 'selectParentTypesByTypeIds',
        query: queries.selectParentTypesByTypeIds(sqlite, [1n]),
        sql: 'SELECT p.type_id, t.name, t.type_kind FROM `ParentType` AS p JOIN `Type` AS t ON t.id = p.parent_type_id WHERE p.type_id IN (SELECT value FROM json_each(?))',
        params: ['[1]'],
      },
      {
        name: 'insertType',
        query: queries.insertType(sqlite, {
          name: 'Model',
          type_kind: 1n,
          version: null,
          description: 'd',
          input_type: null,
          output_type: null,
          external_id: 'x',
        }),
        sql: 'INSERT INTO `Type`(`name`, `type_kind`, `version`, `description`, `input_type`, `output_type`, `external_id`) VALUES(?, ?, ?, ?, ?, ?, ?)',
        params: ['Model', 1n, null, 'd', null, null, 'x'],
      },
      {
        name: 'insertTypeProperty',
        query: queries.insertTypeProperty(sqlite, 3n, 'version', 1),
        sql: 'INSERT INTO `TypeProperty`(`type_id`, `name`, `data_type`) VALUES(?, ?, ?)',
        params: [3n, 'version', 1n],
      },
      {
        name: 'insertTypeProperties',
        query: queries.insertTypeProperties(sqlite, 3n, [
          ['version', 1],
          ['name', 3],
        ]),
        sql: 'INSERT INTO `TypeProperty`(`type_id`, `name`, `data_type`) VALUES(?, ?, ?), (?, ?, ?)',
        params: [3n, 'version', 1n, 3n, 'name', 3n],
      },
      {
        name: 'updateTypeExternalId',
        query: queries.updateTypeExternalId(sqlite, 3n, 'x'),
        sql: 'UPDATE `Type` SET `external_id` = ? WHERE id = ?',
        params: ['x', 3n],
      },
      {
        name: 'insertParentType',
        query: queries.insertParentType(sqlite, 3n, 1n),
        sql: 'INSERT INTO `ParentType`(`type_id`, `parent_type_id`) VALUES(?, ?)',
        params: [3n, 1n],
      },
    ])('$name', ({ query, sql, params }) => {
      expect(query).toEqual({ sql, params })
    })
  })
})
