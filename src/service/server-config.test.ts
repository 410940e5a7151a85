import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import {
  parseChannelArguments,
  parseServerConfig,
  settingsFromServerConfig,
  sqliteFilenameFromUri,
} from './server-config.js'

const settings = (text: string) => settingsFromServerConfig(parseServerConfig(text))

describe('server-config', () => {
  describe('settingsFromServerConfig', () => {
    it('reads the sqlite file, connection mode and migration option', () => {
      expect(
        settings(`
          connection_config { sqlite { filename_uri: "/data/mlmd.db" connection_mode: READWRITE } }
          migration_options { enable_upgrade_migration: true }
        `),
      ).toEqual({ filename: '/data/mlmd.db', mustExist: true, enableUpgradeMigration: true })
      expect(
        settings('connection_config { sqlite { filename_uri: "x.db" connection_mode: READONLY } }'),
      ).toEqual({
        filename: 'x.db',
        readonly: true,
      })
      expect(
        settings(
          'connection_config { sqlite { filename_uri: "x.db" connection_mode: READWRITE_OPENCREATE } }',
        ),
      ).toEqual({
        filename: 'x.db',
      })
    })

    it('treats the fake database and an empty filename as in-memory', () => {
      expect(settings('connection_config { fake_database {} }')).toEqual({ filename: ':memory:' })
      expect(settings('connection_config { sqlite { } }')).toEqual({ filename: ':memory:' })
    })

    it('reads ssl_config as PEM contents', () => {
      expect(
        settings('ssl_config { server_key: "KEY" server_cert: "CERT" custom_ca: "CA" client_verify: true }'),
      ).toEqual({ tls: { serverKey: 'KEY', serverCert: 'CERT', customCa: 'CA', clientVerify: true } })
      expect(settings('ssl_config { server_key: "KEY" server_cert: "CERT" }')).toEqual({
        tls: { serverKey: 'KEY', serverCert: 'CERT', customCa: undefined, clientVerify: false },
      })
    })

    it.each([
      ['connection_config { mysql { host: "db" port: 70000 } }', /mysql.port must be a port number/],
      ['connection_config { postgresql { port: "x" } }', /postgresql.port must be a port number/],
      [
        'connection_config { postgresql { ssloption { sslmode: "sometimes" } } }',
        /sslmode must be disable, allow, prefer, require, verify-ca or verify-full/,
      ],
      ['ssl_config { server_cert: "CERT" }', /needs both server_key and server_cert/],
    ])('refuses %j', (text, message) => {
      expect(() => settings(text)).toThrow(message)
    })

    it('reads connection_config.postgresql with its SSL options', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-pg-config-'))
      writeFileSync(path.join(dir, 'ca.pem'), 'CA PEM')
      const text = `connection_config { postgresql { hostaddr: "10.0.0.5" port: "5433" user: "u" password: "p" dbname: "metadb" skip_db_creation: true ssloption { sslmode: "verify-full" sslrootcert: "${path.join(dir, 'ca.pem')}" } } }`
      expect(settings(text)).toEqual({
        server: {
          engine: 'postgresql',
          host: '10.0.0.5',
          port: 5433,
          user: 'u',
          password: 'p',
          database: 'metadb',
          skipDbCreation: true,
          ssl: { rejectUnauthorized: true, ca: 'CA PEM' },
        },
      })
      rmSync(dir, { recursive: true })
    })

    it('reads downgrade_to_schema_version', () => {
      expect(settings('migration_options { downgrade_to_schema_version: 8 }')).toEqual({
        downgradeToSchemaVersion: 8,
      })
      expect(settings('migration_options { downgrade_to_schema_version: 0 }')).toEqual({
        downgradeToSchemaVersion: 0,
      })
    })

    it('accepts an explicit downgrade_to_schema_version of -1 (no downgrade)', () => {
      expect(settings('migration_options { downgrade_to_schema_version: -1 }')).toEqual({})
    })
  })

  describe('sqliteFilenameFromUri', () => {
    it.each([
      ['mlmd.db', { filename: 'mlmd.db' }],
      ['/abs/mlmd.db', { filename: '/abs/mlmd.db' }],
      ['file:mlmd.db', { filename: 'mlmd.db' }],
      ['file:///home/u/my%20db.sqlite', { filename: '/home/u/my db.sqlite' }],
      ['file://localhost/data/x.db', { filename: '/data/x.db' }],
      ['file:x.db?mode=ro', { filename: 'x.db', readonly: true }],
      ['file:x.db?mode=memory&cache=shared', { filename: ':memory:' }],
      ['file::memory:', { filename: ':memory:' }],
      [':memory:', { filename: ':memory:' }],
      ['', { filename: ':memory:' }],
    ])('%j', (uri, expected) => {
      expect(sqliteFilenameFromUri(uri)).toEqual(expected)
    })

    it('refuses remote authorities', () => {
      expect(() => sqliteFilenameFromUri('file://host/x.db')).toThrow(/unsupported authority "host"/)
    })
  })

  describe('parseChannelArguments', () => {
    it('parses integers and strings', () => {
      expect(
        parseChannelArguments(
          'grpc.max_receive_message_length=33554432, grpc.max_send_message_length=-1,grpc.primary_user_agent=x',
        ),
      ).toEqual({
        'grpc.max_receive_message_length': 33554432,
        'grpc.max_send_message_length': -1,
        'grpc.primary_user_agent': 'x',
      })
      expect(parseChannelArguments('')).toEqual({})
    })

    it.each([
      ['grpc.max_receive_message_length', /expected key=value/],
      ['=5', /expected key=value/],
      ['grpc.max_send_message_length=big', /must be an integer/],
    ])('refuses %j', (text, message) => {
      expect(() => parseChannelArguments(text)).toThrow(message)
      try {
        parseChannelArguments(text)
      } catch (error) {
        expect(error).toMatchObject({ code: Code.InvalidArgument })
      }
    })
  })
})
