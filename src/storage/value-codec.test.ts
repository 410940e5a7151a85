import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { describeWithMlmd, runPython } from '../../conformance/python/venv.js'
import { Code } from '../errors.js'
import type { Struct, StructValue, Value } from '../proto/messages.js'
import { MetadataSource } from './metadata-source.js'
import { initMetadataStore } from './schema/mlmd-env.js'
import type { DirectTx, Row, SqlValue } from './transaction-executor.js'
import {
  decodeStruct,
  decodeValue,
  encodeValue,
  NEGATIVE_ZERO_MARKER,
  STRUCT_PREFIX,
  VALUE_KINDS,
  type ValueKind,
  valueKind,
} from './value-codec.js'

const NESTED: Struct = {
  fields: {
    n: { number_value: 2.5 },
    s: { string_value: 'x' },
    b: { bool_value: false },
    z: { null_value: 0 },
    l: {
      list_value: {
        values: [{ bool_value: true }, { null_value: 0 }, { string_value: 'z' }, { number_value: -1 }],
      },
    },
    o: { struct_value: { fields: { q: { number_value: 0 }, e: { struct_value: { fields: {} } } } } },
  },
}
const ANY = {
  type_url: 'type.googleapis.com/ml_metadata.Artifact',
  value: new Uint8Array([0x1a, 0x02, 0x68, 0x69]),
}

const VALUES: { case: string; value: Value }[] = [
  { case: 'int 0', value: { int_value: 0n } },
  { case: 'int 42', value: { int_value: 42n } },
  { case: 'int64 min', value: { int_value: -(2n ** 63n) } },
  { case: 'int64 max', value: { int_value: 2n ** 63n - 1n } },
  { case: 'double 0', value: { double_value: 0 } },
  { case: 'double 1.23456789', value: { double_value: 1.23456789 } },
  { case: 'double 1/3', value: { double_value: 1 / 3 } },
  { case: 'double NaN', value: { double_value: Number.NaN } },
  { case: 'double +Inf', value: { double_value: Number.POSITIVE_INFINITY } },
  { case: 'double -Inf', value: { double_value: Number.NEGATIVE_INFINITY } },
  { case: 'double -0.0', value: { double_value: -0 } },
  { case: 'double 5e-324', value: { double_value: 5e-324 } },
  { case: 'double max', value: { double_value: Number.MAX_VALUE } },
  { case: 'double integral', value: { double_value: 3 } },
  { case: 'empty string', value: { string_value: '' } },
  { case: 'unicode string', value: { string_value: 'héllo ✓ 😀' } },
  { case: 'string with NUL', value: { string_value: 'a\u0000b' } },
  { case: 'nested struct', value: { struct_value: NESTED } },
  { case: 'empty struct', value: { struct_value: { fields: {} } } },
  { case: 'any', value: { proto_value: ANY } },
  { case: 'any with empty value', value: { proto_value: { type_url: 't', value: new Uint8Array() } } },
  { case: 'bool true', value: { bool_value: true } },
  { case: 'bool false', value: { bool_value: false } },
]

const INSERT_PROPERTY =
  'INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, int_value, double_value, string_value, ' +
  'byte_value, proto_value, bool_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'

interface RawColumns {
  int_value?: SqlValue
  double_value?: SqlValue
  string_value?: SqlValue
  byte_value?: SqlValue
  proto_value?: SqlValue
  bool_value?: SqlValue
}

function insertProperty(
  tx: DirectTx,
  artifactId: bigint,
  name: string,
  columns: RawColumns,
  custom = true,
): void {
  const c = (v: SqlValue | undefined): SqlValue => v ?? null
  tx.run({
    sql: INSERT_PROPERTY,
    params: [
      artifactId,
      name,
      custom ? 1n : 0n,
      c(columns.int_value),
      c(columns.double_value),
      c(columns.string_value),
      c(columns.byte_value),
      c(columns.proto_value),
      c(columns.bool_value),
    ],
  })
}

const selectProperty = (tx: DirectTx, name: string): Row | undefined =>
  tx.get({ sql: 'SELECT * FROM ArtifactProperty WHERE name = ?', params: [name] })

function errorOf(body: () => unknown): unknown {
  try {
    body()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

let dir: string
let source: MetadataSource

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'value-codec-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})
beforeEach((context) => {
  const file = path.join(dir, `${context.task.id}.db`)
  source = MetadataSource.open({ filename: file })
  initMetadataStore(source)
})
afterEach(() => {
  source.close()
})

describe('value-codec', () => {
  describe('encodeValue / decodeValue', () => {
    it.each(VALUES)('round-trips $case', ({ value }) => {
      expect(decodeValue(encodeValue(value) as unknown as Row)).toEqual(value)
    })

    it.each(VALUES)('round-trips $case through an SQLite row', ({ case: name, value }) => {
      const row = source.execute('write', (tx) => {
        insertProperty(tx, 1n, name, encodeValue(value))
        return selectProperty(tx, name)
      })
      expect(decodeValue(row ?? {})).toEqual(value)
    })
  })

  describe('encodeValue', () => {
    const typeofColumns = (name: string) =>
      source.execute('read', (tx) =>
        tx.get({
          sql:
            'SELECT typeof(int_value) AS int_value, typeof(double_value) AS double_value, ' +
            'typeof(string_value) AS string_value, typeof(byte_value) AS byte_value, ' +
            'typeof(proto_value) AS proto_value, typeof(bool_value) AS bool_value ' +
            'FROM ArtifactProperty WHERE name = ?',
          params: [name],
        }),
      )
    const NULLS = {
      int_value: 'null',
      double_value: 'null',
      string_value: 'null',
      byte_value: 'null',
      proto_value: 'null',
      bool_value: 'null',
    }

    it.each<{ case: string; value: Value; stored: Record<string, SqlValue>; types: Record<string, string> }>([
      {
        case: 'int64 min',
        value: { int_value: -(2n ** 63n) },
        stored: { int_value: -(2n ** 63n) },
        types: { int_value: 'integer' },
      },
      {
        case: 'a double',
        value: { double_value: 0.5 },
        stored: { double_value: 0.5 },
        types: { double_value: 'real' },
      },
      {
        case: 'an integral double',
        value: { double_value: 3 },
        stored: { double_value: 3 },
        types: { double_value: 'real' },
      },
      {
        case: 'NaN',
        value: { double_value: Number.NaN },
        stored: { double_value: 'NaN' },
        types: { double_value: 'text' },
      },
      {
        case: '-Inf',
        value: { double_value: Number.NEGATIVE_INFINITY },
        stored: { double_value: Number.NEGATIVE_INFINITY },
        types: { double_value: 'real' },
      },
      {
        case: '-0.0',
        value: { double_value: -0 },
        stored: { double_value: 0, byte_value: NEGATIVE_ZERO_MARKER },
        types: { double_value: 'real', byte_value: 'text' },
      },
      {
        case: 'a string',
        value: { string_value: 'a\u0000b' },
        stored: { string_value: 'a\u0000b' },
        types: { string_value: 'text' },
      },
      {
        case: 'a struct',
        value: { struct_value: { fields: { a: { bool_value: true } } } },
        stored: { string_value: `${STRUCT_PREFIX}CgcKAWESAiAB` },
        types: { string_value: 'text' },
      },
      {
        case: 'an any',
        value: { proto_value: { type_url: 't', value: new Uint8Array([1, 2]) } },
        stored: { proto_value: 'CgF0EgIBAg==' },
        types: { proto_value: 'text' },
      },
      {
        case: 'true',
        value: { bool_value: true },
        stored: { bool_value: 1n },
        types: { bool_value: 'integer' },
      },
      {
        case: 'false',
        value: { bool_value: false },
        stored: { bool_value: 0n },
        types: { bool_value: 'integer' },
      },
    ])('stores $case as MLMD does', ({ case: name, value, stored, types }) => {
      const row = source.execute('write', (tx) => {
        insertProperty(tx, 1n, name, encodeValue(value))
        return selectProperty(tx, name)
      })
      expect(row).toEqual({
        artifact_id: 1n,
        name,
        is_custom_property: 1n,
        ...Object.fromEntries(Object.keys(NULLS).map((k) => [k, null])),
        ...stored,
      })
      expect(typeofColumns(name)).toEqual({ ...NULLS, ...types })
    })

    it('stores a struct as the prefix and padded standard base64 of the serialized Struct', () => {
      const text = encodeValue({ struct_value: NESTED }).string_value ?? ''
      expect(text.startsWith(STRUCT_PREFIX)).toBe(true)
      const base64 = text.slice(STRUCT_PREFIX.length)
      expect(base64).toMatch(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/)
      expect(decodeStruct(new Uint8Array(Buffer.from(base64, 'base64')))).toEqual(NESTED)
    })

    it.each<{ case: string; value: Value }>([
      { case: 'no kind', value: {} },
      { case: 'only undefined kinds', value: { int_value: undefined, string_value: undefined } },
      { case: 'two kinds', value: { int_value: 1n, string_value: 'x' } },
      { case: 'a false and a zero', value: { bool_value: false, double_value: 0 } },
    ])('refuses a Value with $case', ({ value }) => {
      expect(errorOf(() => encodeValue(value))).toMatchObject({ code: Code.InvalidArgument })
    })

    it('refuses a Struct nested past the protobuf recursion limit with INVALID_ARGUMENT', () => {
      let value: StructValue = { number_value: 1 }
      for (let i = 0; i < 120; i++) value = { struct_value: { fields: { a: value } } }
      expect(errorOf(() => encodeValue({ struct_value: { fields: { a: value } } }))).toMatchObject({
        code: Code.InvalidArgument,
      })
    })
  })

  describe('valueKind', () => {
    it.each<{ value: Value; kind: ValueKind | undefined }>([
      { value: {}, kind: undefined },
      ...VALUE_KINDS.map((kind) => ({ value: VALUES.find((v) => kind in v.value)?.value ?? {}, kind })),
    ])('finds $kind', ({ value, kind }) => {
      expect(valueKind(value)).toBe(kind)
    })
  })

  describe('decodeValue', () => {
    it.each<{ case: string; columns: RawColumns; value: Value }>([
      { case: "double TEXT 'nan'", columns: { double_value: 'nan' }, value: { double_value: Number.NaN } },
      { case: "double TEXT 'NaN'", columns: { double_value: 'NaN' }, value: { double_value: Number.NaN } },
      {
        case: "double TEXT 'inf'",
        columns: { double_value: 'inf' },
        value: { double_value: Number.POSITIVE_INFINITY },
      },
      {
        case: "double TEXT '-inf'",
        columns: { double_value: '-inf' },
        value: { double_value: Number.NEGATIVE_INFINITY },
      },
      {
        case: "double TEXT 'Infinity'",
        columns: { double_value: 'Infinity' },
        value: { double_value: Number.POSITIVE_INFINITY },
      },
      {
        case: 'double REAL rounded by MLMD',
        columns: { double_value: 1.234568 },
        value: { double_value: 1.234568 },
      },
      { case: 'double written as an integer', columns: { double_value: 3n }, value: { double_value: 3 } },
      { case: 'double 0 without marker', columns: { double_value: 0 }, value: { double_value: 0 } },
      { case: "bool TEXT 'true'", columns: { bool_value: 'true' }, value: { bool_value: true } },
      { case: "bool TEXT 'false'", columns: { bool_value: 'false' }, value: { bool_value: false } },
      { case: 'bool INTEGER 1', columns: { bool_value: 1n }, value: { bool_value: true } },
      { case: 'int64 min', columns: { int_value: -(2n ** 63n) }, value: { int_value: -(2n ** 63n) } },
      {
        case: "MLMD's struct text",
        columns: {
          string_value:
            'mlmd-struct::ChcKAW4SEioQCg4KAXESCREAAAAAAAAEQAoUCgF5Eg8yDQoCIAEKAggACgMaAXoKDgoBeBIJEQAAAAAAAPA/',
        },
        value: {
          struct_value: {
            fields: {
              n: { struct_value: { fields: { q: { number_value: 2.5 } } } },
              y: { list_value: { values: [{ bool_value: true }, { null_value: 0 }, { string_value: 'z' }] } },
              x: { number_value: 1 },
            },
          },
        },
      },
      {
        case: "MLMD's proto text",
        columns: { proto_value: 'Cih0eXBlLmdvb2dsZWFwaXMuY29tL21sX21ldGFkYXRhLkFydGlmYWN0EgQaAmhp' },
        value: { proto_value: ANY },
      },
      {
        case: 'a proto BLOB',
        columns: { proto_value: Buffer.from('CgF0EgIBAg==', 'base64') },
        value: { proto_value: { type_url: 't', value: new Uint8Array([1, 2]) } },
      },
      { case: 'no value', columns: {}, value: {} },
    ])('decodes $case', ({ case: name, columns, value }) => {
      const row = source.execute('write', (tx) => {
        insertProperty(tx, 1n, name, columns)
        return selectProperty(tx, name)
      })
      expect(decodeValue(row ?? {})).toEqual(value)
    })
  })
})

// What the real MLMD reads, as JSON: [kind, value], with int64 as a string, doubles as
// Python's repr, structs through MessageToDict and Any bytes in base64.
const PY_DESCRIBE = `
import base64, json, sys
from google.protobuf.json_format import MessageToDict
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

def describe(v):
    kind = v.WhichOneof('value')
    if kind == 'int_value': return [kind, str(v.int_value)]
    if kind == 'double_value': return [kind, repr(v.double_value)]
    if kind == 'struct_value': return [kind, MessageToDict(v.struct_value)]
    if kind == 'proto_value':
        return [kind, {'type_url': v.proto_value.type_url, 'value': base64.b64encode(v.proto_value.value).decode()}]
    return [kind, getattr(v, kind) if kind else None]

def describe_artifact(a):
    return {
        'properties': {k: describe(v) for k, v in a.properties.items()},
        'custom_properties': {k: describe(v) for k, v in a.custom_properties.items()},
    }

def open_store(path, mode):
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = mode
    return metadata_store.MetadataStore(config)
`

const PY_READ = `${PY_DESCRIBE}
store = open_store(sys.argv[1], pb.SqliteMetadataSourceConfig.READONLY)
[artifact] = store.get_artifacts_by_id([int(sys.argv[2])])
print(json.dumps(describe_artifact(artifact)))
`

const PY_WRITE = `${PY_DESCRIBE}
import math
from google.protobuf import any_pb2
store = open_store(sys.argv[1], pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
artifact_type = pb.ArtifactType(name='AllKinds')
for name, data_type in [('i', pb.INT), ('d', pb.DOUBLE), ('s', pb.STRING), ('st', pb.STRUCT), ('p', pb.PROTO), ('b', pb.BOOLEAN)]:
    artifact_type.properties[name] = data_type
artifact = pb.Artifact(type_id=store.put_artifact_type(artifact_type), uri='')
p, c = artifact.properties, artifact.custom_properties
p['i'].int_value = 42
p['d'].double_value = 1.23456789
p['s'].string_value = 'héllo ✓ 😀'
p['st'].struct_value.update({'n': 2.5, 's': 'x', 'b': False, 'z': None, 'l': [True, None, 'z', -1], 'o': {'q': 0, 'e': {}}})
p['p'].proto_value.Pack(pb.Artifact(uri='hi'))
p['b'].bool_value = True
c['int_min'].int_value = -2**63
c['int_max'].int_value = 2**63 - 1
for name, d in [('neg_zero', -0.0), ('tiny', 5e-324), ('pi', math.pi), ('third', 1/3), ('big', 1e300), ('max', 1.7976931348623157e308), ('small', 1.5e-7)]:
    c[name].double_value = d
c['empty'].string_value = ''
c['nul'].string_value = 'a\\x00b'
c['false'].bool_value = False
c['any_empty'].proto_value.type_url = 't'
[artifact_id] = store.put_artifacts([artifact])
[read] = store.get_artifacts_by_id([artifact_id])
print(json.dumps({'id': artifact_id, **describe_artifact(read)}))
`

const PY_WRITE_DOUBLE = `${PY_DESCRIBE}
store = open_store(sys.argv[1], pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
type_id = store.put_artifact_type(pb.ArtifactType(name='D'))
artifact = pb.Artifact(type_id=type_id)
artifact.custom_properties['d'].double_value = float(sys.argv[2])
store.put_artifacts([artifact])
`

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Described = [string, unknown]
interface DescribedArtifact {
  properties: Record<string, Described>
  custom_properties: Record<string, Described>
}

function structJson(struct: Struct): Json {
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([k, v]) => [k, structValueJson(v)]))
}
function structValueJson(value: StructValue): Json {
  if (value.struct_value !== undefined) return structJson(value.struct_value)
  if (value.list_value !== undefined) return (value.list_value.values ?? []).map(structValueJson)
  if (value.null_value !== undefined) return null
  return value.number_value ?? value.string_value ?? value.bool_value ?? null
}

// Our Value in the comparable form of a described Python value.
function described(value: Value): Described {
  const kind = valueKind(value) ?? ''
  if (value.struct_value !== undefined) return [kind, structJson(value.struct_value)]
  if (value.proto_value !== undefined) {
    return [
      kind,
      {
        type_url: value.proto_value.type_url,
        value: Buffer.from(value.proto_value.value ?? []).toString('base64'),
      },
    ]
  }
  return [kind, value[kind as ValueKind]]
}

// A described Python value with int64 and doubles turned into bigint and number.
function fromPython([kind, v]: Described): Described {
  if (kind === 'int_value') return [kind, BigInt(v as string)]
  if (kind === 'double_value') {
    const special: Record<string, number> = {
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      '-inf': Number.NEGATIVE_INFINITY,
    }
    return [kind, special[v as string] ?? Number(v)]
  }
  return [kind, v]
}
const fromPythonAll = (props: Record<string, Described>): Record<string, Described> =>
  Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fromPython(v)]))

const DATA_TYPE: Record<ValueKind, bigint> = {
  int_value: 1n,
  double_value: 2n,
  string_value: 3n,
  struct_value: 4n,
  proto_value: 5n,
  bool_value: 6n,
}

// Inserts an artifact row by row (the store layer is not used here), with one declared property
// per kind and every VALUES case as a custom property.
function writeArtifact(
  tx: DirectTx,
  properties: Record<string, Value>,
  custom: Record<string, Value>,
): bigint {
  const typeId = tx.run({
    sql: "INSERT INTO Type (name, type_kind) VALUES ('AllKinds', 1)",
    params: [],
  }).lastInsertRowid
  for (const [name, value] of Object.entries(properties)) {
    tx.run({
      sql: 'INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)',
      params: [typeId, name, DATA_TYPE[valueKind(value) as ValueKind]],
    })
  }
  const artifactId = tx.run({
    sql: "INSERT INTO Artifact (type_id, uri, create_time_since_epoch, last_update_time_since_epoch) VALUES (?, '', ?, ?)",
    params: [typeId, 1_700_000_000_000n, 1_700_000_000_000n],
  }).lastInsertRowid
  for (const [name, value] of Object.entries(properties))
    insertProperty(tx, artifactId, name, encodeValue(value), false)
  for (const [name, value] of Object.entries(custom)) insertProperty(tx, artifactId, name, encodeValue(value))
  return artifactId
}

describeWithMlmd('value-codec against ml-metadata 1.16.0', () => {
  describe('encodeValue', () => {
    const properties: Record<string, Value> = {
      i: { int_value: 42n },
      d: { double_value: 1.23456789 },
      s: { string_value: 'héllo ✓ 😀' },
      st: { struct_value: NESTED },
      p: { proto_value: ANY },
      b: { bool_value: true },
    }
    const custom = Object.fromEntries(VALUES.map((v) => [v.case, v.value]))

    // MLMD reads every column as SQLite's text rendering ("%!.15g" for REAL) and parses it.
    const mlmdReads: Record<string, Value> = {
      'double 1/3': { double_value: Number((1 / 3).toPrecision(15)) },
      'double -0.0': { double_value: 0 },
      'double max': { double_value: Number.POSITIVE_INFINITY },
      'string with NUL': { string_value: 'a' },
    }

    it('writes rows the real MLMD reads back as the values we wrote', () => {
      const artifactId = source.execute('write', (tx) => writeArtifact(tx, properties, custom))
      source.close()
      const read = JSON.parse(
        runPython('-c', [PY_READ, source.filename, String(artifactId)]),
      ) as DescribedArtifact
      expect(fromPythonAll(read.properties)).toEqual(
        Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, described(v)])),
      )
      expect(fromPythonAll(read.custom_properties)).toEqual(
        Object.fromEntries(Object.entries(custom).map(([k, v]) => [k, described(mlmdReads[k] ?? v)])),
      )
    })
  })

  describe('decodeValue', () => {
    it("decodes the real MLMD's rows to the values it reads back itself", () => {
      source.close()
      const file = path.join(dir, 'mlmd-written.db')
      const written = JSON.parse(runPython('-c', [PY_WRITE, file])) as DescribedArtifact & { id: number }
      source = MetadataSource.open({ filename: file })
      initMetadataStore(source)
      const rows = source.execute('read', (tx) =>
        tx.all({ sql: 'SELECT * FROM ArtifactProperty WHERE artifact_id = ?', params: [BigInt(written.id)] }),
      )
      const ours = (custom: bigint) =>
        Object.fromEntries(
          rows
            .filter((r) => r.is_custom_property === custom)
            .map((r) => [r.name as string, described(decodeValue(r))]),
        )
      const theirs = fromPythonAll(written.custom_properties)
      // MLMD stores 1.7976931348623157e308 exactly but reads it back through 15 digits, as inf.
      expect(theirs.max).toEqual(['double_value', Number.POSITIVE_INFINITY])
      expect(ours(1n).max).toEqual(['double_value', Number.MAX_VALUE])
      theirs.max = ours(1n).max as Described
      expect(ours(0n)).toEqual(fromPythonAll(written.properties))
      expect(ours(1n)).toEqual(theirs)
    })

    it.each(['nan', 'inf', '-inf'])('cannot be given %s by the real MLMD, which fails to write it', (d) => {
      source.close()
      const file = path.join(dir, `mlmd-${d}.db`)
      expect(() => runPython('-c', [PY_WRITE_DOUBLE, file, d])).toThrow(/no such column: (nan|inf)/)
    })
  })
})
