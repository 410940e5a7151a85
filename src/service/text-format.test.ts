import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { messageType } from '../proto/load-root.js'
import { parseTextFormat } from './text-format.js'

const parse = (type: string, text: string) => parseTextFormat(messageType(`ml_metadata.${type}`), text)

describe('text-format', () => {
  describe('parseTextFormat', () => {
    it('parses nested messages with and without colons, braces or angle brackets', () => {
      const text = `
        # MLMD server config
        connection_config {
          sqlite: { filename_uri: "/data/mlmd.db" connection_mode: READWRITE_OPENCREATE }
        }
        migration_options < enable_upgrade_migration: true >
      `
      expect(parse('MetadataStoreServerConfig', text)).toEqual({
        connection_config: { sqlite: { filename_uri: '/data/mlmd.db', connection_mode: 3 } },
        migration_options: { enable_upgrade_migration: true },
      })
    })

    it('returns an empty message for empty text and comments only', () => {
      expect(parse('MetadataStoreServerConfig', '')).toEqual({})
      expect(parse('MetadataStoreServerConfig', '# nothing\n  # here')).toEqual({})
    })

    it('decodes escapes and concatenates adjacent strings (PEM blocks)', () => {
      const text = String.raw`ssl_config {
        server_cert: "-----BEGIN CERTIFICATE-----\n"
                     'MIIB\x41\101\'\"\\'
                     "\n-----END CERTIFICATE-----\n"
        client_verify: false
      }`
      expect(parse('MetadataStoreServerConfig', text)).toEqual({
        ssl_config: {
          server_cert: `-----BEGIN CERTIFICATE-----\nMIIBAA'"\\\n-----END CERTIFICATE-----\n`,
          client_verify: false,
        },
      })
    })

    it('keeps raw newlines inside strings', () => {
      expect(parse('MetadataStoreServerConfig.SSLConfig', 'server_key: "a\nb"')).toEqual({
        server_key: 'a\nb',
      })
    })

    it('decodes UTF-8 and octal byte escapes into text', () => {
      expect(parse('TransactionOptions', String.raw`tag: "é\303\251"`)).toEqual({ tag: 'éé' })
    })

    it.each([
      ['42', 42n],
      ['-7', -7n],
      ['0x10', 16n],
      ['017', 15n],
      ['9223372036854775807', 2n ** 63n - 1n],
      ['-9223372036854775808', -(2n ** 63n)],
    ])('parses the int64 %s', (text, value) => {
      expect(parse('RetryOptions', `max_num_retries: ${text}`)).toEqual({ max_num_retries: value })
    })

    it.each([
      ['1.5', 1.5],
      ['-2e3', -2000],
      ['.5', 0.5],
      ['3f', 3],
      ['inf', Number.POSITIVE_INFINITY],
      ['-inf', Number.NEGATIVE_INFINITY],
    ])('parses the double %s', (text, value) => {
      expect(parse('MetadataStoreClientConfig', `client_timeout_sec: ${text}`)).toEqual({
        client_timeout_sec: value,
      })
    })

    it.each([
      ['true', true],
      ['True', true],
      ['t', true],
      ['1', true],
      ['false', false],
      ['0', false],
    ])('parses the bool %s', (text, value) => {
      expect(parse('MigrationOptions', `enable_upgrade_migration: ${text}`)).toEqual({
        enable_upgrade_migration: value,
      })
    })

    it('parses enums by name or number', () => {
      expect(parse('SqliteMetadataSourceConfig', 'connection_mode: READONLY')).toEqual({ connection_mode: 1 })
      expect(parse('SqliteMetadataSourceConfig', 'connection_mode: 2')).toEqual({ connection_mode: 2 })
    })

    it('collects repeated fields from repeats and lists, with separators', () => {
      expect(
        parse('GetArtifactsByIDRequest', 'artifact_ids: 1, artifact_ids: 2; artifact_ids: [3, 4]'),
      ).toEqual({
        artifact_ids: [1n, 2n, 3n, 4n],
      })
      expect(
        parse('PutArtifactsRequest', 'artifacts [{ uri: "a" }, { uri: "b" }] artifacts { uri: "c" }'),
      ).toEqual({
        artifacts: [{ uri: 'a' }, { uri: 'b' }, { uri: 'c' }],
      })
    })

    it('parses map fields as key/value entries', () => {
      const text = `
        properties { key: "day" value: { int_value: 1 } }
        properties { key: "name" value { string_value: "x" } }
        custom_properties [{ key: "empty" }]
      `
      expect(parse('Artifact', text)).toEqual({
        properties: { day: { int_value: 1n }, name: { string_value: 'x' } },
        custom_properties: { empty: {} },
      })
      expect(parse('ArtifactType', 'properties { key: "p" value: STRING }')).toEqual({ properties: { p: 3 } })
    })

    it('keeps the last member of a oneof', () => {
      expect(parse('Value', 'int_value: 1 string_value: "s"')).toEqual({ string_value: 's' })
    })

    it.each([
      ['no_such_field: 1', /MetadataStoreServerConfig has no field "no_such_field"/],
      ['connection_config { sqlite { filename_uri: 1 } }', /expected a string, found "1"/],
      ['migration_options { enable_upgrade_migration: yes }', /expected true or false/],
      [
        'connection_config { sqlite { connection_mode: WRITE } }',
        /unknown value "WRITE" for enum ConnectionMode/,
      ],
      ['connection_config { sqlite { connection_mode: 9 } }', /unknown value 9/],
      ['connection_config {', /expected "}", found end of input/],
      ['connection_config }', /expected "{" to start a ConnectionConfig/],
      ['ssl_config { server_key: "abc }', /unterminated string/],
      ['ssl_config { server_key: "\\q" }', /invalid escape/],
      [
        'migration_options { enable_upgrade_migration true }',
        /expected ":" after "enable_upgrade_migration"/,
      ],
      ['migration_options { downgrade_to_schema_version: 9223372036854775808 }', /out of range for int64/],
      ['ssl_config { client_verify: true client_verify: false }', /set twice/],
      ['[ext.field]: 1', /extensions and Any expansions are not supported/],
      ['ssl_config { server_key: "a" } @', /unexpected character "@"/],
    ])('rejects %j with a located message', (text, message) => {
      let error: unknown
      try {
        parse('MetadataStoreServerConfig', text)
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({ code: Code.InvalidArgument })
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).toMatch(/line \d+, column \d+/)
    })

    it('reports the line and column of the offending token', () => {
      expect(() => parse('MetadataStoreServerConfig', 'ssl_config {\n  nope: 1\n}')).toThrow(
        /line 2, column 3/,
      )
    })
  })
})
