import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeWithMlmd, PYTHON_DIR, REPO_ROOT, runPython } from '../../../conformance/python/venv.js'
import { Code } from '../../errors.js'
import { MetadataSource, type OpenOptions } from '../metadata-source.js'
import type { DirectTx, Row, SqlValue } from '../transaction-executor.js'
import { type InitOptions, initMetadataStore, readSchemaVersion } from './mlmd-env.js'
import { SIMPLE_TYPES } from './v10.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type SchemaDump = {
  tables: Record<string, { columns: Json[]; indexes: Json[] }>
  index_sql: Record<string, string>
  mlmd_env: Json[]
  types: Json[]
  sqlite_sequence: Json[]
}

const GOLDEN = path.join(REPO_ROOT, 'conformance/python/golden/mlmd-1.16.0-fresh-schema.json')
const DUMP_SCRIPT = path.join(PYTHON_DIR, 'dump_mlmd_schema.py')

const toJson = (value: SqlValue): Json => (typeof value === 'bigint' ? Number(value) : (value as Json))
const plain = (row: Row): Record<string, Json> =>
  Object.fromEntries(Object.entries(row).map(([key, value]) => [key, toJson(value)]))
const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`
const byName = (a: { name?: Json }, b: { name?: Json }): number =>
  String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0

// The same structure conformance/python/dump_mlmd_schema.py prints.
function dumpSchema(tx: DirectTx): SchemaDump {
  const all = (sql: string): Record<string, Json>[] => tx.all({ sql, params: [] }).map(plain)
  const tables: SchemaDump['tables'] = {}
  const tableNames = all(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  ).map((r) => String(r.name))
  for (const table of tableNames) {
    const columns = all(`PRAGMA table_info(${quote(table)})`)
      .sort((a, b) => Number(a.cid) - Number(b.cid))
      .map(({ cid, name, type, notnull, dflt_value, pk }) => ({ cid, name, type, notnull, dflt_value, pk }))
    const indexes = all(`PRAGMA index_list(${quote(table)})`)
      .map((ix) => ({
        name: ix.name,
        unique: ix.unique,
        origin: ix.origin,
        partial: ix.partial,
        columns: all(`PRAGMA index_info(${quote(String(ix.name))})`)
          .sort((a, b) => Number(a.seqno) - Number(b.seqno))
          .map((info) => info.name),
      }))
      .sort(byName)
    tables[table] = { columns, indexes } as SchemaDump['tables'][string]
  }
  const indexSql = Object.fromEntries(
    all("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").map(
      (r) => [String(r.name), String(r.sql)],
    ),
  )
  const hasSequence = all("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").length > 0
  return {
    tables,
    index_sql: indexSql,
    mlmd_env: 'MLMDEnv' in tables ? all('SELECT * FROM MLMDEnv ORDER BY schema_version') : [],
    types:
      'Type' in tables
        ? all(
            'SELECT id, name, version, type_kind, description, input_type, output_type, external_id FROM Type ORDER BY id',
          )
        : [],
    sqlite_sequence: hasSequence ? all('SELECT name, seq FROM sqlite_sequence ORDER BY name') : [],
  }
}

// The indices mlmd-ts adds to MLMD's v10 set (LOOKUP_INDICES), by table.
const LOOKUP_INDEX_COLUMNS: Record<string, Record<string, string>> = {
  Attribution: { idx_attribution_artifact_id: 'artifact_id' },
  Association: { idx_association_execution_id: 'execution_id' },
}

/** The dump without mlmd-ts's lookup indices, after checking that they are there as declared. */
function withoutLookupIndices(dump: SchemaDump): SchemaDump {
  const tables = { ...dump.tables }
  const indexSql = { ...dump.index_sql }
  for (const [table, indices] of Object.entries(LOOKUP_INDEX_COLUMNS)) {
    const body = tables[table]
    if (body === undefined) throw new Error(`no table ${table} in the dump`)
    for (const [name, column] of Object.entries(indices)) {
      expect(body.indexes).toContainEqual({ name, unique: 0, origin: 'c', partial: 0, columns: [column] })
      delete indexSql[name]
    }
    tables[table] = {
      ...body,
      indexes: body.indexes.filter((ix) => !((ix as { name: string }).name in indices)),
    }
  }
  return { ...dump, tables, index_sql: indexSql }
}

// MLMD writes its index DDL with double spaces; only the tokens matter.
function normalised(dump: SchemaDump): SchemaDump {
  const indexSql = Object.fromEntries(
    Object.entries(dump.index_sql).map(([k, v]) => [k, v.replace(/\s+/g, ' ')]),
  )
  return { ...dump, index_sql: indexSql }
}

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
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-env-'))
})
afterEach(() => {
  for (const source of opened.splice(0)) source.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(filename: string, options: Omit<OpenOptions, 'filename'> = {}): MetadataSource {
  const source = MetadataSource.open({ filename, ...options })
  opened.push(source)
  return source
}

function createdByUs(name = 'ours.db'): string {
  const file = path.join(dir, name)
  const source = MetadataSource.open({ filename: file })
  initMetadataStore(source)
  source.close()
  return file
}

function alter(file: string, sql: string): void {
  const source = MetadataSource.open({ filename: file })
  source.exec(sql)
  source.close()
}

function dumpFile(file: string): SchemaDump {
  return open(file, { readonly: true }).execute('read', dumpSchema)
}

const simpleTypeRows = SIMPLE_TYPES.map((t, i) => ({ id: i + 1, name: t.name, type_kind: t.kind }))

describe('mlmd-env', () => {
  describe('initMetadataStore', () => {
    it('creates the schema of a fresh MLMD 1.16.0 file, plus the two lookup indices', () => {
      const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as SchemaDump
      expect(normalised(withoutLookupIndices(dumpFile(createdByUs())))).toEqual(normalised(golden))
    })

    it('creates the schema in memory too', () => {
      const source = open(':memory:')
      initMetadataStore(source)
      const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as SchemaDump
      expect(normalised(withoutLookupIndices(source.execute('read', dumpSchema)))).toEqual(normalised(golden))
    })

    it('leaves a v10 file as it was when reopened', () => {
      const file = createdByUs()
      const before = dumpFile(file)
      for (let i = 0; i < 2; i++) initMetadataStore(open(file))
      const after = dumpFile(file)
      expect(after).toEqual(before)
      expect(after.types).toMatchObject(simpleTypeRows)
      expect(after.sqlite_sequence).toEqual([{ name: 'Type', seq: 9 }])
    })

    it('adds a missing simple type again', () => {
      const file = createdByUs()
      alter(file, "DELETE FROM Type WHERE name = 'mlmd.Deploy'")
      initMetadataStore(open(file))
      expect(dumpFile(file).types).toMatchObject([
        ...simpleTypeRows.slice(0, 8),
        { id: 10, name: 'mlmd.Deploy', type_kind: 0 },
      ])
    })

    it('accepts a v10 file read-only without writing to it', () => {
      const file = createdByUs()
      const before = readFileSync(file)
      initMetadataStore(open(file, { readonly: true }))
      expect(readFileSync(file).equals(before)).toBe(true)
    })

    it.each<{ case: string; sql: string; options?: InitOptions; code: Code; message: RegExp }>([
      {
        case: 'a newer schema version (11)',
        sql: 'UPDATE MLMDEnv SET schema_version = 11',
        code: Code.FailedPrecondition,
        message: /version 11 is greater than library version 10/,
      },
      {
        case: 'an older schema version (8)',
        sql: 'UPDATE MLMDEnv SET schema_version = 8',
        code: Code.FailedPrecondition,
        message: /older than library version 10.*enableUpgradeMigration.*--enable_database_upgrade/s,
      },
      {
        case: 'an older schema version (8) with enableUpgradeMigration',
        sql: 'UPDATE MLMDEnv SET schema_version = 8',
        options: { enableUpgradeMigration: true },
        code: Code.FailedPrecondition,
        message: /from schema version 8 to 10 is not supported/,
      },
      {
        case: 'a 0.13.2 file without MLMDEnv (version 0)',
        sql: 'DROP TABLE MLMDEnv',
        code: Code.FailedPrecondition,
        message: /version 0 is older/,
      },
      {
        case: 'an empty MLMDEnv',
        sql: 'DELETE FROM MLMDEnv',
        code: Code.Aborted,
        message: /no schema version/,
      },
      {
        case: 'two MLMDEnv rows',
        sql: 'INSERT INTO MLMDEnv VALUES (9)',
        code: Code.DataLoss,
        message: /2 schema versions/,
      },
      {
        case: 'a v10 file missing a table',
        sql: 'DROP TABLE Attribution',
        code: Code.Aborted,
        message: /missing Attribution/,
      },
    ])('refuses $case', ({ sql, options, code, message }) => {
      const file = createdByUs()
      alter(file, sql)
      const before = readFileSync(file)
      expect(errorOf(() => initMetadataStore(open(file), options))).toMatchObject({
        code,
        message: expect.stringMatching(message),
      })
      expect(readFileSync(file).equals(before)).toBe(true)
    })

    it('refuses a newer schema version read-only too', () => {
      const file = createdByUs()
      alter(file, 'UPDATE MLMDEnv SET schema_version = 11')
      expect(errorOf(() => initMetadataStore(open(file, { readonly: true })))).toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringMatching(/greater/),
      })
    })

    it.each([
      { case: 'a zero-byte file', make: (file: string) => writeFileSync(file, '') },
      {
        case: 'a database without tables',
        make: (file: string) => MetadataSource.open({ filename: file }).close(),
      },
    ])('refuses to create the schema in $case opened read-only', ({ make }) => {
      const file = path.join(dir, 'empty.db')
      make(file)
      expect(errorOf(() => initMetadataStore(open(file, { readonly: true })))).toMatchObject({
        code: Code.FailedPrecondition,
        message: expect.stringMatching(/empty and was opened read-only/),
      })
    })
  })

  describe('readSchemaVersion', () => {
    it.each([
      { case: 'an empty database', setup: (_file: string) => {}, state: { kind: 'empty' } },
      {
        case: 'a fresh v10 file',
        setup: (file: string) => initMetadataStore(open(file)),
        state: { kind: 'versioned', version: 10 },
      },
      {
        case: 'a file without MLMDEnv but with Type and Artifact',
        setup: (file: string) =>
          alter(file, 'CREATE TABLE Type (id INTEGER); CREATE TABLE Artifact (id INTEGER)'),
        state: { kind: 'versioned', version: 0 },
      },
    ])('reads $case', ({ setup, state }) => {
      const file = path.join(dir, 'v.db')
      setup(file)
      expect(open(file).execute('read', readSchemaVersion)).toEqual(state)
    })
  })

  describe('MetadataSource.open', () => {
    it.each([
      { case: 'a text file', bytes: Buffer.from('this is not an SQLite database\n'.repeat(64)) },
      {
        case: 'random bytes',
        bytes: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761 + 12345) % 251)),
      },
    ])('refuses $case with FAILED_PRECONDITION', ({ bytes }) => {
      const file = path.join(dir, 'junk.db')
      writeFileSync(file, bytes)
      for (const readonly of [false, true]) {
        expect(errorOf(() => open(file, { readonly }))).toMatchObject({
          code: Code.FailedPrecondition,
          message: expect.stringMatching(/not a database/),
        })
      }
      expect(readFileSync(file).equals(bytes)).toBe(true)
    })
  })
})

const OPEN_AND_PUT_TYPE = `
import json, sys
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

config = pb.ConnectionConfig()
config.sqlite.filename_uri = sys.argv[1]
config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE
store = metadata_store.MetadataStore(config)
artifact_type = pb.ArtifactType(name='FromMlmd')
artifact_type.properties['n'] = pb.INT
type_id = store.put_artifact_type(artifact_type)
got = store.get_artifact_type('FromMlmd')
print(json.dumps({'id': type_id, 'name': got.name, 'properties': dict(got.properties)}))
`

describeWithMlmd('mlmd-env against ml-metadata 1.16.0', () => {
  describe('initMetadataStore', () => {
    it('creates the schema the real MLMD creates, plus the two lookup indices', () => {
      const theirs = JSON.parse(runPython(DUMP_SCRIPT, [path.join(dir, 'theirs.db')])) as SchemaDump
      const ours = createdByUs()
      expect(normalised(withoutLookupIndices(dumpFile(ours)))).toEqual(normalised(theirs))
      const oursByPython = JSON.parse(runPython(DUMP_SCRIPT, ['--no-create', ours])) as SchemaDump
      expect(normalised(withoutLookupIndices(oursByPython))).toEqual(normalised(theirs))
    })

    it('makes files the real MLMD opens and writes, and reads them back', () => {
      const file = createdByUs()
      expect(JSON.parse(runPython('-c', [OPEN_AND_PUT_TYPE, file]))).toEqual({
        id: 10,
        name: 'FromMlmd',
        properties: { n: 1 },
      })
      const source = open(file)
      initMetadataStore(source)
      expect(
        source.execute('read', (tx) => ({
          type: tx.get({ sql: 'SELECT id, name, type_kind FROM Type WHERE id = 10', params: [] }),
          properties: tx.all({ sql: 'SELECT * FROM TypeProperty', params: [] }),
        })),
      ).toEqual({
        type: { id: 10n, name: 'FromMlmd', type_kind: 1n },
        properties: [{ type_id: 10n, name: 'n', data_type: 1n }],
      })
    })

    it('opens a file the real MLMD created, adding only the lookup indices', () => {
      const file = path.join(dir, 'theirs.db')
      runPython(DUMP_SCRIPT, [file])
      const before = dumpFile(file)
      initMetadataStore(open(file))
      expect(withoutLookupIndices(dumpFile(file))).toEqual(before)
    })
  })
})
