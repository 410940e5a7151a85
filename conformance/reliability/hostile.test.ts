/**
 * Hostile and malformed input, property-based (fast-check), against `mlmd-ts serve` over gRPC.
 *
 * Every RPC gets requests generated from its proto schema: unknown, negative and extreme ids,
 * wrong property kinds, missing fields, unknown enum numbers, huge strings and lists, nested
 * Struct values, lone surrogates (invalid UTF-8 on the wire), malformed page tokens and
 * adversarial filter queries. Raw bytes go to every method too. Every answer must be a result
 * or a clean error: never INTERNAL, UNKNOWN, a dropped connection (UNAVAILABLE) or a hang
 * (DEADLINE_EXCEEDED); the server must stay up and log no unexpected error. Injection text must
 * be stored and matched as data.
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import { Client, credentials, Metadata } from '@grpc/grpc-js'
import fc from 'fast-check'
import type protobuf from 'protobufjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../../src/client/index.js'
import { Code, codeToString, MlmdError, operationName, PropertyType, RPC_NAMES } from '../../src/index.js'
import { loadMlmdRoot } from '../../src/proto/load-root.js'
import {
  CONTEXT_TYPE,
  putExecutionRequest,
  report,
  type ServeProcess,
  startServe,
  stopChild,
  tempDir,
  type WorkloadTypes,
  workloadTypes,
} from './support.js'

const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 100_000)
const RUNS_PER_RPC = 25

/** Codes a hostile request may get. Anything else (INTERNAL above all) is a bug. */
const CLEAN = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unimplemented,
  Code.ResourceExhausted,
  Code.Aborted,
])

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** SQL injection and other text that must be kept as data. */
const INJECTIONS = [
  "'; DROP TABLE Artifact; --",
  "' OR '1'='1",
  '" OR ""="',
  "name = 'x') OR (1=1",
  '1; DELETE FROM Type',
  "Robert'); DROP TABLE Execution;--",
  '%_\\%\\_',
  '`id`',
  '\u0000nul\u0000',
  '\\x27 \\u0027',
  "') UNION SELECT sql FROM sqlite_master --",
  'mlmd-struct::AAAA',
]

/** Filter queries an attacker might send: injections, deep nesting, giant lists, garbage. */
const HOSTILE_FILTERS = [
  "name = ''; DROP TABLE Artifact; --'",
  "name = 'a' OR 1=1; --",
  "name = 'a'); DELETE FROM Artifact; --",
  'id = 1 UNION SELECT id FROM Type',
  `${'('.repeat(5000)}id = 1${')'.repeat(5000)}`,
  `${'NOT '.repeat(5000)}id = 1`,
  `id IN (${Array.from({ length: 40_000 }, (_, i) => i).join(',')})`,
  `name IN (${Array.from({ length: 5_000 }, (_, i) => `'n${i}'`).join(',')})`,
  `id = ${'1 + '.repeat(3000)}1`,
  Array.from({ length: 100 }, (_, i) => `contexts_a${i}.name = 'x'`).join(' AND '),
  `name LIKE '${'%'.repeat(60_000)}'`,
  'x'.repeat(70_000),
  "name = 'unterminated",
  "name = '\\'",
  '/* unterminated comment',
  'properties.`a``b`.int_value = 1',
  'id = 99999999999999999999999999',
  'id = 0x7fffffffffffffff + 1',
  "name = '\u0000'",
  '\u0000',
  ' ',
  'state = 999',
  'events_0.type = NOT_A_TYPE',
  "custom_properties.x.string_value = 'a' AND custom_properties.x.int_value = 'b'",
  'LENGTH(name) / 0 = 1',
]

// --- schema-driven request generation --------------------------------------------------------

const idArb = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt(1n, 40n) },
  { weight: 2, arbitrary: fc.constantFrom(0n, -1n, INT64_MIN, INT64_MAX, 2n ** 53n + 1n) },
  { weight: 2, arbitrary: fc.bigInt(INT64_MIN, INT64_MAX) },
)

const textArb = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 12 }) },
  // Any code point, lone surrogates included: those travel as invalid UTF-8.
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.constantFrom('RelStep', 'RelData', 'RelRun', 'Hostile', '', 'mlmd.Dataset') },
  { weight: 1, arbitrary: fc.constantFrom(5_000, 70_000, 300_000).map((n) => 'x'.repeat(n)) },
)

const filterArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_FILTERS) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'id',
          'name',
          'uri',
          'type',
          'state',
          'type_id',
          'create_time_since_epoch',
          'events_0.type',
        ),
        fc.constantFrom('=', '!=', '<', '>=', 'LIKE', 'IN', 'IS NULL', 'BETWEEN 1 AND'),
        fc.oneof(
          textArb.map((s) => `'${s.replace(/'/g, "\\'")}'`),
          fc.integer().map(String),
          fc.constant('(1, 2)'),
        ),
      )
      .map(([a, op, b]) => `${a} ${op} ${b}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant('') },
)

/** Page tokens: garbage, base64 of garbage, and real tokens with bytes flipped. */
function tokenArb(validTokens: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('base64url')),
    fc.tuple(fc.constantFrom(...validTokens), fc.nat(), fc.nat(255)).map(([token, at, byte]) => {
      const bytes = Buffer.from(token, 'base64url')
      if (bytes.length > 0) bytes[at % bytes.length] = byte
      return bytes.toString('base64url')
    }),
    fc.constantFrom(...validTokens),
  )
}

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

function scalarArb(field: protobuf.Field, ctx: GenContext): fc.Arbitrary<unknown> {
  if (field.name === 'filter_query') return filterArb
  if (field.name === 'next_page_token') return ctx.token
  switch (field.type) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return idArb
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.oneof(fc.integer({ min: -5, max: 150 }), fc.constantFrom(INT32_MIN, INT32_MAX, 0))
    case 'uint32':
    case 'fixed32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 })
    case 'double':
    case 'float':
      return fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0))
    case 'bool':
      return fc.boolean()
    case 'string':
      return textArb
    case 'bytes':
      return fc.uint8Array({ maxLength: 64 })
  }
  throw new Error(`no arbitrary for ${field.type}`)
}

interface GenContext {
  readonly token: fc.Arbitrary<string>
  readonly cache: Map<string, fc.Arbitrary<object>>
}

function valueArb(field: protobuf.Field, ctx: GenContext, depth: number): fc.Arbitrary<unknown> {
  field.resolve()
  const resolved = field.resolvedType
  if (resolved !== null && 'values' in resolved && !('fields' in resolved)) {
    // An enum: its values, and numbers it does not have.
    const numbers = Object.values((resolved as protobuf.Enum).values)
    return fc.oneof(fc.constantFrom(...numbers), fc.integer({ min: -3, max: 40 }))
  }
  if (resolved !== null && 'fieldsArray' in resolved) {
    return depth <= 0 ? fc.constant({}) : messageArb(resolved as protobuf.Type, ctx, depth - 1)
  }
  return scalarArb(field, ctx)
}

function longList(field: protobuf.Field): fc.Arbitrary<unknown[]> {
  if (field.resolvedType !== null && 'fieldsArray' in field.resolvedType) {
    return fc.constant(Array(10_001).fill({}))
  }
  if (field.type === 'string') return fc.constant(Array(110_000).fill('u'))
  if (field.type === 'bytes') return fc.constant(Array(10_001).fill(new Uint8Array(1)))
  if (field.resolvedType !== null) return fc.constant(Array(110_000).fill(1))
  return fc.constantFrom(300, 110_000).chain((n) => scalarArb(field, NO_CONTEXT).map((v) => Array(n).fill(v)))
}

const NO_CONTEXT: GenContext = { token: fc.constant(''), cache: new Map() }

/**
 * A fast-check reporter that names the failing case without printing it whole (requests hold
 * strings of 300,000 characters).
 */
function conciseReporter<Ts>(details: fc.RunDetails<Ts>): void {
  if (!details.failed) return
  const short = JSON.stringify(details.counterexample, (_key, value: unknown) => {
    if (typeof value === 'bigint') return `${value}n`
    if (typeof value === 'string' && value.length > 120)
      return `${value.slice(0, 60)}…(${value.length} chars)`
    if (Array.isArray(value) && value.length > 20) return [...value.slice(0, 3), `…(${value.length} items)`]
    if (value instanceof Uint8Array) return `bytes(${Buffer.from(value).toString('hex').slice(0, 80)})`
    return value
  })
  throw new Error(
    `property failed after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath}): ` +
      `${short?.slice(0, 4000)}\n${details.errorInstance instanceof Error ? details.errorInstance.message : ''}`,
  )
}

function messageArb(type: protobuf.Type, ctx: GenContext, depth: number): fc.Arbitrary<object> {
  const key = `${type.fullName}@${depth}`
  const cached = ctx.cache.get(key)
  if (cached !== undefined) return cached
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const field of type.fieldsArray) {
    const value = valueArb(field, ctx, depth)
    if ('keyType' in field) {
      const keyField = {
        type: (field as unknown as protobuf.MapField).keyType,
        name: 'key',
      } as protobuf.Field
      const keyArb =
        (field as unknown as protobuf.MapField).keyType === 'string' ? textArb : scalarArb(keyField, ctx)
      model[field.name] = fc
        .array(fc.tuple(keyArb.map(String), value), { maxLength: 3 })
        .map((entries) => Object.fromEntries(entries))
    } else if (field.repeated) {
      model[field.name] = fc.oneof(
        { weight: 30, arbitrary: fc.array(value, { maxLength: 4 }) },
        // Now and then a long list, beyond the per-request limits: 110,000 ids or numbers, or
        // 10,001 minimal messages (copies of one small element, so the request stays small).
        { weight: 1, arbitrary: longList(field) },
      )
    } else {
      model[field.name] = value
    }
  }
  const arb = fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<object>
  ctx.cache.set(key, arb)
  return arb
}

// --- the server -----------------------------------------------------------------------------

let dir: string
let server: ServeProcess
let client: MetadataStoreClient
let types: WorkloadTypes
const tally = { cases: 0, ok: 0, byCode: new Map<string, number>(), unclean: [] as string[] }

function record(rpc: string, outcome: { code?: Code; message?: string }): void {
  tally.cases++
  if (outcome.code === undefined) {
    tally.ok++
    return
  }
  const name = codeToString(outcome.code)
  tally.byCode.set(name, (tally.byCode.get(name) ?? 0) + 1)
  if (!CLEAN.has(outcome.code)) tally.unclean.push(`${rpc}: ${name} ${outcome.message?.slice(0, 300)}`)
}

async function callRpc(rpc: string, request: object): Promise<{ code?: Code; message?: string }> {
  const op = (client as unknown as Record<string, (r: object) => Promise<unknown>>)[
    operationName(rpc as never)
  ]
  try {
    await op?.(request)
    return {}
  } catch (error) {
    if (!(error instanceof MlmdError)) throw error
    return { code: error.code, message: error.rawMessage }
  }
}

function rawCall(rpc: string, bytes: Uint8Array): Promise<{ code?: Code; message?: string }> {
  const raw = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure())
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      `/ml_metadata.MetadataStoreService/${rpc}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(bytes),
      new Metadata(),
      { deadline: Date.now() + 20_000 },
      (error) => {
        raw.close()
        resolve(error === null ? {} : { code: error.code as number as Code, message: error.details })
      },
    )
  })
}

function varint(value: number): Buffer {
  const bytes: number[] = []
  let rest = value
  while (rest > 127) {
    bytes.push((rest & 127) | 128)
    rest >>>= 7
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}

describe('hostile input', () => {
  // Starting the server (and its store worker threads) from source takes a while on a busy machine.
  beforeAll(async () => {
    dir = tempDir('hostile')
    server = await startServe(path.join(dir, 'hostile.sqlite'))
    // A deadline catches hangs: a call that takes 20 s counts as unclean (DEADLINE_EXCEEDED).
    client = createMetadataStoreClient({ port: server.port, timeoutMs: 20_000, retry: { maxAttempts: 1 } })
    types = await workloadTypes(client)
    await client.putArtifactType({
      artifact_type: { name: 'Hostile', properties: { p: PropertyType.STRING, n: PropertyType.INT } },
    })
    // Some data for ids 1..40 to hit: nodes, events, links, a parent context.
    for (let i = 0; i < 6; i++) await client.putExecution(putExecutionRequest(types, `seed-${i}`, 2))
    report('hostile', `seed ${SEED} (set RELIABILITY_SEED to replay)`)
  }, 60_000)
  afterAll(async () => {
    client?.close()
    if (server) await stopChild(server.child)
    if (dir) rmSync(dir, { recursive: true, force: true })
    const codes = [...tally.byCode].map(([code, n]) => `${code} ${n}`).join(', ')
    report(
      'hostile',
      `${tally.cases} hostile requests: ${tally.ok} answered, errors by code: ${codes}; unclean answers: ${tally.unclean.length}`,
    )
  })

  it(`answers generated requests to all ${RPC_NAMES.length} RPCs cleanly`, { timeout: 300_000 }, async () => {
    const root = loadMlmdRoot()
    const service = root.lookupService('ml_metadata.MetadataStoreService')
    const page = await client.getArtifacts({ options: { max_result_size: 1 } })
    const paged = await client.getExecutions({
      options: { max_result_size: 1, order_by_field: { field: 2, is_asc: false } },
    })
    const validTokens = [page.next_page_token, paged.next_page_token].filter((t): t is string => !!t)
    expect(validTokens.length).toBe(2)
    const ctx: GenContext = { token: tokenArb(validTokens), cache: new Map() }
    for (const [i, rpc] of RPC_NAMES.entries()) {
      const method = service.methods[rpc] as protobuf.Method
      method.resolve()
      const requestArb = messageArb(method.resolvedRequestType as protobuf.Type, ctx, 4)
      await fc.assert(
        fc.asyncProperty(requestArb, async (request) => {
          const outcome = await callRpc(rpc, request)
          record(rpc, outcome)
          return outcome.code === undefined || CLEAN.has(outcome.code)
        }),
        { numRuns: RUNS_PER_RPC, seed: SEED + i, endOnFailure: true, reporter: conciseReporter },
      )
    }
    expect(tally.unclean).toEqual([])
    expect(server.child.exitCode).toBeNull()
    expect(server.output()).not.toMatch(/failed unexpectedly|INTERNAL/)
  })

  it('answers raw bytes sent to every RPC cleanly', { timeout: 120_000 }, async () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Truncated and corrupted well-formed prefixes: a length that runs past the end.
      fc.constantFrom(
        Buffer.from('0aff', 'hex'),
        Buffer.from('0a0512', 'hex'),
        Buffer.from('ffffffffffffffffffff01', 'hex'),
        Buffer.from('0a03ffffff', 'hex'),
      ),
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...RPC_NAMES), bytesArb, async (rpc, bytes) => {
        const outcome = await rawCall(rpc, bytes)
        record(rpc, outcome)
        return outcome.code === undefined || CLEAN.has(outcome.code)
      }),
      { numRuns: 400, seed: SEED, endOnFailure: true, reporter: conciseReporter },
    )
    expect(server.output()).not.toMatch(/failed unexpectedly/)
  })

  it('refuses invalid UTF-8 and over-deep nesting on the wire, and keeps Struct values up to the limit', async () => {
    const field = (number: number, payload: Buffer) =>
      Buffer.concat([varint((number << 3) | 2), varint(payload.length), payload])
    const bad = Buffer.from([0x61, 0xc3, 0x28]) // "a" and a broken two-byte sequence
    const cases: [string, Buffer][] = [
      ['PutArtifactType', field(1, field(2, bad))], // artifact_type.name
      ['GetArtifactsByURI', field(2, bad)], // uris
      ['GetArtifacts', field(1, field(3, bad))], // options.filter_query
      ['GetContextByTypeAndName', Buffer.concat([field(1, Buffer.from('t')), field(2, bad)])], // context_name
    ]
    for (const [rpc, bytes] of cases) {
      const outcome = await rawCall(rpc, bytes)
      record(rpc, outcome)
      expect({ rpc, code: outcome.code, utf8: /not valid UTF-8/.test(outcome.message ?? '') }).toEqual({
        rpc,
        code: Code.InvalidArgument,
        utf8: true,
      })
    }
    // Struct { fields { key: "k" value { struct_value: … } } } nested `levels` deep.
    const nested = (levels: number) => {
      let struct = field(
        1,
        Buffer.concat([field(1, Buffer.from('k')), field(2, Buffer.from('11000000000000f03f', 'hex'))]),
      )
      for (let i = 0; i < levels; i++)
        struct = field(1, Buffer.concat([field(1, Buffer.from('k')), field(2, field(5, struct))]))
      return struct
    }
    // PutContextsRequest { contexts { type_id, name, custom_properties { "s": { struct_value } } } }
    const put = (levels: number, name: string) =>
      field(
        1,
        Buffer.concat([
          Buffer.from([0x10]),
          varint(Number(types.context)),
          field(3, Buffer.from(name)),
          field(5, Buffer.concat([field(1, Buffer.from('s')), field(2, field(4, nested(levels)))])),
        ]),
      )
    const deep = await rawCall('PutContexts', put(200, 'too-deep'))
    record('PutContexts', deep)
    expect(deep.code).toBe(Code.InvalidArgument)
    expect(deep.message).toMatch(/nesting depth/)
    const fits = await rawCall('PutContexts', put(25, 'deep-enough'))
    record('PutContexts', fits)
    expect(fits).toEqual({})
    const stored = await client.getContextByTypeAndName({
      type_name: CONTEXT_TYPE,
      context_name: 'deep-enough',
    })
    let value = stored.context?.custom_properties?.s?.struct_value
    let depth = 0
    while (value?.fields?.k?.struct_value !== undefined) {
      value = value.fields.k.struct_value
      depth++
    }
    expect(depth).toBe(25)
  })

  it('stores injection text as data and matches it only as data', { timeout: 120_000 }, async () => {
    const { type_id } = await client.putArtifactType({
      artifact_type: { name: 'Hostile', properties: { p: PropertyType.STRING, n: PropertyType.INT } },
    })
    const typeCount = (await client.getArtifactTypes({})).artifact_types.length
    // ZetaSQL string literal for any text.
    const literal = (text: string) =>
      `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...INJECTIONS),
          fc.string({ minLength: 1, maxLength: 30 }),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
        ),
        async (text) => {
          const name = `${n++}:${text}`
          const { artifact_ids } = await client.putArtifacts({
            artifacts: [{ type_id, name, uri: text, properties: { p: { string_value: text } } }],
          })
          record('PutArtifacts', {})
          const [id] = artifact_ids
          const [stored] = (await client.getArtifactsByID({ artifact_ids })).artifacts
          expect(stored).toMatchObject({ name, uri: text, properties: { p: { string_value: text } } })
          for (const filter of [
            `name = ${literal(name)}`,
            `uri = ${literal(text)} AND name = ${literal(name)}`,
            `properties.p.string_value = ${literal(text)} AND id = ${id}`,
          ]) {
            const found = await client.getArtifacts({ options: { filter_query: filter } })
            record('GetArtifacts', {})
            expect(found.artifacts.map((a) => a.id)).toEqual([id])
          }
          return true
        },
      ),
      { numRuns: 60, seed: SEED, reporter: conciseReporter },
    )
    // Nothing was dropped or rewritten by the text.
    expect((await client.getArtifactTypes({})).artifact_types.length).toBe(typeCount)
    expect(
      (await client.getArtifactsByType({ type_name: 'Hostile' })).artifacts.length,
    ).toBeGreaterThanOrEqual(n)
  })
})
