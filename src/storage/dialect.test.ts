import { describe, expect, it } from 'vitest'
import { MYSQL_DIALECT, POSTGRESQL_DIALECT, SQLITE_DIALECT as sqlite } from './dialect.js'

describe('dialect', () => {
  describe('SQLITE_DIALECT', () => {
    it.each([
      { name: 'id', sql: sqlite.id('Artifact'), expected: '`Artifact`' },
      { name: 'inList', sql: sqlite.inList('n.id'), expected: 'n.id IN (SELECT value FROM json_each(?))' },
      {
        name: 'insert',
        sql: sqlite.insert('T', ['a', 'b']),
        expected: 'INSERT INTO `T`(`a`, `b`) VALUES(?, ?)',
      },
      {
        name: 'insertReturningId',
        sql: sqlite.insertReturningId('T', ['a']),
        expected: 'INSERT INTO `T`(`a`) VALUES(?)',
      },
      {
        name: 'insertIfAbsent',
        sql: sqlite.insertIfAbsent('T', ['a', 'b']),
        expected: 'INSERT OR IGNORE INTO `T`(`a`, `b`) VALUES(?, ?)',
      },
      {
        name: 'upsert',
        sql: sqlite.upsert('T', ['k', 'v', 'w'], ['k'], ['v', 'w']),
        expected:
          'INSERT INTO `T`(`k`, `v`, `w`) VALUES(?, ?, ?) ON CONFLICT(`k`) DO UPDATE SET `v` = excluded.`v`, `w` = excluded.`w`',
      },
      {
        name: 'insert of 3 rows',
        sql: sqlite.insert('T', ['a', 'b'], 3),
        expected: 'INSERT INTO `T`(`a`, `b`) VALUES(?, ?), (?, ?), (?, ?)',
      },
      {
        name: 'upsert of 2 rows',
        sql: sqlite.upsert('T', ['k', 'v'], ['k'], ['v'], 2),
        expected:
          'INSERT INTO `T`(`k`, `v`) VALUES(?, ?), (?, ?) ON CONFLICT(`k`) DO UPDATE SET `v` = excluded.`v`',
      },
      { name: 'begin write', sql: sqlite.begin('write'), expected: 'BEGIN IMMEDIATE' },
      { name: 'begin read', sql: sqlite.begin('read'), expected: 'BEGIN DEFERRED' },
      { name: 'withinBudget', sql: sqlite.withinBudget('t.id'), expected: 'mlmd_within_budget(t.id)' },
      { name: 'unindexed', sql: sqlite.unindexed('t.type_id'), expected: '+t.type_id' },
    ])('$name', ({ sql, expected }) => {
      expect(sql).toBe(expected)
    })

    it('writes several rows of a server engine in one statement, placeholders repeated per row', () => {
      const columns = ['node_id', 'name', 'proto_value']
      expect(POSTGRESQL_DIALECT.upsert('P', columns, ['node_id', 'name'], ['proto_value'], 2)).toBe(
        `INSERT INTO "p"("node_id", "name", "proto_value") VALUES(?, ?, decode(?, 'base64')), (?, ?, decode(?, 'base64')) ON CONFLICT("node_id", "name") DO UPDATE SET "proto_value" = EXCLUDED."proto_value"`,
      )
      expect(MYSQL_DIALECT.upsert('P', columns, ['node_id', 'name'], ['proto_value'], 2)).toBe(
        'INSERT INTO `P`(`node_id`, `name`, `proto_value`) VALUES(?, ?, ?), (?, ?, ?) ON DUPLICATE KEY UPDATE `proto_value` = VALUES(`proto_value`)',
      )
      expect(sqlite.refusedInsertIsFree).toBe(true)
      expect(POSTGRESQL_DIALECT.refusedInsertIsFree).toBe(false)
      expect(MYSQL_DIALECT.refusedInsertIsFree).toBe(false)
    })

    it('binds int64 ids beyond 2^53 exactly, and any text', () => {
      expect(sqlite.bindIds([9223372036854775807n, -1n])).toBe('[9223372036854775807,-1]')
      expect(sqlite.bindTexts(['a"b', '\u0000', 'é'])).toBe('["a\\"b","\\u0000","é"]')
    })
  })
})
