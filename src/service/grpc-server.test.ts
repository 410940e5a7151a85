import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Client, credentials, Metadata, status } from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCertificates } from '../../conformance/reliability/support.js'
import { createMetadataStoreClient, type MetadataStoreClient } from '../client/metadata-store-client.js'
import { Code, MlmdError } from '../errors.js'
import { messageType } from '../proto/load-root.js'
import { Event_Type, PropertyType, RPC_NAMES } from '../proto/messages.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../store/metadata-store.js'
import type { AsyncMetadataStore } from '../store/metadata-store-api.js'
import { createMessageCodec } from '../wire/wire-codec.js'
import { createGrpcServer, type GrpcServer } from './grpc-server.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

type Outcome = { rpc: string; response?: unknown; error?: { code: Code; message: string } }

/**
 * Calls every RPC of the service against `store`, in an order where each call has data to
 * work on, and records what came back (responses or errors).
 */
async function scenario(store: AsyncMetadataStore): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  const run = async <K extends keyof AsyncMetadataStore>(
    op: K,
    request: Parameters<AsyncMetadataStore[K]>[0],
  ): Promise<Awaited<ReturnType<AsyncMetadataStore[K]>>> => {
    const rpc = `${op.charAt(0).toUpperCase()}${op.slice(1)}`
    try {
      const response = await (store[op] as (r: unknown) => Promise<unknown>)(request)
      outcomes.push({ rpc, response })
      return response as Awaited<ReturnType<AsyncMetadataStore[K]>>
    } catch (error) {
      if (!(error instanceof MlmdError)) throw error
      outcomes.push({ rpc, error: { code: error.code, message: error.rawMessage } })
      return undefined as Awaited<ReturnType<AsyncMetadataStore[K]>>
    }
  }

  const { type_id: dataset } = await run('putArtifactType', {
    artifact_type: {
      name: 'DataSet',
      properties: { day: PropertyType.INT, split: PropertyType.STRING },
      external_id: 'type-dataset',
    },
  })
  const { type_id: trainer } = await run('putExecutionType', {
    execution_type: {
      name: 'Trainer',
      properties: { state: PropertyType.STRING },
      external_id: 'type-trainer',
    },
  })
  const { type_id: pipeline } = await run('putContextType', {
    context_type: { name: 'Pipeline', version: 'v1', external_id: 'type-pipeline' },
  })
  await run('putTypes', {
    artifact_types: [{ name: 'Model' }],
    execution_types: [{ name: 'Pusher' }],
    context_types: [{ name: 'Run' }],
  })

  const { artifact_ids } = await run('putArtifacts', {
    artifacts: [
      {
        type_id: dataset,
        uri: 's3://bucket/a1',
        name: 'a1',
        external_id: 'ext-a1',
        state: 2,
        properties: { day: { int_value: INT64_MAX }, split: { string_value: '' } },
        custom_properties: {
          min: { int_value: INT64_MIN },
          pi: { double_value: 3.25 },
          ok: { bool_value: false },
          blob: { struct_value: { fields: { k: { list_value: { values: [{ number_value: 1 }] } } } } },
        },
      },
      { type_id: dataset, name: '' },
    ],
  })
  const [a1, a2] = artifact_ids as [bigint, bigint]
  const { execution_ids } = await run('putExecutions', {
    executions: [
      { type_id: trainer, name: 'e1', last_known_state: 3, properties: { state: { string_value: 'x' } } },
    ],
  })
  const [e1] = execution_ids as [bigint]
  const { context_ids } = await run('putContexts', {
    contexts: [
      { type_id: pipeline, name: 'parent', external_id: 'ext-parent' },
      { type_id: pipeline, name: 'child' },
    ],
  })
  const [parent, child] = context_ids as [bigint, bigint]
  await run('putEvents', {
    events: [
      {
        artifact_id: a1,
        execution_id: e1,
        type: Event_Type.INPUT,
        milliseconds_since_epoch: INT64_MAX,
        path: { steps: [{ index: INT64_MIN }, { key: '' }] },
      },
    ],
  })
  await run('putAttributionsAndAssociations', {
    attributions: [{ artifact_id: a1, context_id: parent }],
    associations: [{ execution_id: e1, context_id: parent }],
  })
  await run('putParentContexts', { parent_contexts: [{ parent_id: parent, child_id: child }] })
  const put = await run('putExecution', {
    execution: { type_id: trainer, name: 'e2' },
    artifact_event_pairs: [
      {
        artifact: { type_id: dataset, uri: 's3://bucket/out', name: 'out' },
        event: { type: Event_Type.OUTPUT },
      },
      {
        artifact: { id: a2, type_id: dataset },
        event: { type: Event_Type.INPUT, milliseconds_since_epoch: 1n },
      },
    ],
    contexts: [{ type_id: pipeline, name: 'run-1' }],
  })
  await run('putLineageSubgraph', {
    executions: [{ type_id: trainer, name: 'e3' }],
    artifacts: [{ type_id: dataset, uri: 's3://bucket/e3' }],
    contexts: [{ type_id: pipeline, name: 'run-2' }],
    event_edges: [{ execution_index: 0, artifact_index: 0, event: { type: Event_Type.OUTPUT } }],
  })

  await run('getArtifactType', { type_name: 'DataSet' })
  await run('getArtifactType', { type_name: 'missing' })
  await run('getArtifactTypesByID', { type_ids: [dataset as bigint, 999n] })
  await run('getArtifactTypes', {})
  await run('getExecutionType', { type_name: 'Trainer' })
  await run('getExecutionTypesByID', { type_ids: [trainer as bigint] })
  await run('getExecutionTypes', {})
  await run('getContextType', { type_name: 'Pipeline', type_version: 'v1' })
  await run('getContextTypesByID', { type_ids: [pipeline as bigint] })
  await run('getContextTypes', {})

  await run('getArtifacts', {})
  await run('getArtifacts', { options: { max_result_size: 1, order_by_field: { field: 3, is_asc: false } } })
  await run('getArtifacts', { options: { max_result_size: 0 } })
  await run('getExecutions', { options: { filter_query: "name = 'e1'" } })
  await run('getContexts', {})
  await run('getArtifactsByID', { artifact_ids: [a1, a2, INT64_MAX], populate_artifact_types: true })
  await run('getExecutionsByID', { execution_ids: [e1] })
  await run('getContextsByID', { context_ids: [parent, child] })
  await run('getArtifactsByType', { type_name: 'DataSet', options: { max_result_size: 2 } })
  await run('getExecutionsByType', { type_name: 'Trainer' })
  await run('getContextsByType', { type_name: 'Pipeline', type_version: 'v1' })
  await run('getArtifactByTypeAndName', { type_name: 'DataSet', artifact_name: 'a1' })
  await run('getArtifactByTypeAndName', { type_name: 'DataSet', artifact_name: 'nope' })
  await run('getExecutionByTypeAndName', { type_name: 'Trainer', execution_name: 'e1' })
  await run('getContextByTypeAndName', { type_name: 'Pipeline', type_version: 'v1', context_name: 'child' })
  await run('getArtifactsByURI', { uris: ['s3://bucket/a1', ''] })
  await run('getEventsByExecutionIDs', {
    execution_ids: [e1, ...(put?.execution_id ? [put.execution_id] : [])],
  })
  await run('getEventsByArtifactIDs', { artifact_ids: [a1, a2] })
  await run('getArtifactsByExternalIds', { external_ids: ['ext-a1', 'unknown'] })
  await run('getArtifactsByExternalIds', { external_ids: ['unknown'] })
  await run('getExecutionsByExternalIds', { external_ids: [''] })
  await run('getContextsByExternalIds', { external_ids: ['ext-parent'] })
  await run('getArtifactTypesByExternalIds', { external_ids: ['type-dataset'] })
  await run('getExecutionTypesByExternalIds', { external_ids: ['type-trainer'] })
  await run('getContextTypesByExternalIds', { external_ids: ['type-pipeline'] })
  await run('getContextsByArtifact', { artifact_id: a1 })
  await run('getContextsByArtifact', { artifact_id: INT64_MAX })
  await run('getContextsByExecution', { execution_id: e1 })
  await run('getParentContextsByContext', { context_id: child })
  await run('getChildrenContextsByContext', { context_id: parent })
  await run('getParentContextsByContexts', { context_ids: [child, parent] })
  await run('getParentContextsByContexts', { context_ids: [] })
  await run('getChildrenContextsByContexts', { context_ids: [parent] })
  await run('getArtifactsByContext', { context_id: parent })
  await run('getExecutionsByContext', { context_id: parent, options: { max_result_size: 1 } })
  await run('getLineageGraph', { options: { artifacts_options: { max_result_size: 1 }, max_node_size: 5n } })
  await run('getLineageGraph', { options: { artifacts_options: { filter_query: "uri = 's3://bucket/a1'" } } })
  await run('getLineageSubgraph', {
    lineage_subgraph_query_options: { starting_artifacts: { filter_query: `id = ${a1}` }, max_num_hops: 2n },
    read_mask: { paths: [] },
  })
  // Errors of each kind the write path has.
  await run('putArtifacts', { artifacts: [{ type_id: 12345n }] })
  await run('putArtifacts', { artifacts: [{ type_id: dataset, name: 'a1' }] })
  await run('putContexts', { contexts: [{ type_id: pipeline }] })
  return outcomes
}

const TIME_KEYS = new Set([
  'create_time_since_epoch',
  'last_update_time_since_epoch',
  'milliseconds_since_epoch',
])
const DAY_MS = 86_400_000n

/** Replaces the times the store took from the clock, so two runs compare equal. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes)
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value
  const now = BigInt(Date.now())
  const fromClock = (v: unknown) => typeof v === 'bigint' && v > now - DAY_MS && v < now + DAY_MS
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      TIME_KEYS.has(key) && fromClock(v) ? 'NOW' : withoutTimes(v),
    ]),
  )
}

// PEM contents of the certificates conformance/reliability makes with openssl.
function makeCerts(dir: string) {
  const files = makeCertificates(dir)
  const pem = (file: string) => readFileSync(file, 'utf8')
  return {
    ca: pem(files.ca),
    serverKey: pem(files.serverKey),
    serverCert: pem(files.serverCert),
    clientKey: pem(files.clientKey),
    clientCert: pem(files.clientCert),
    otherKey: pem(files.strangerKey),
    otherCert: pem(files.strangerCert),
  }
}

describe('GrpcServer', () => {
  let store: OwnedMetadataStore
  let server: GrpcServer
  let client: MetadataStoreClient

  beforeAll(async () => {
    store = createMetadataStore({ filename: ':memory:' })
    server = await createGrpcServer({ store, host: '127.0.0.1', port: 0 })
    client = createMetadataStoreClient({ host: '127.0.0.1', port: server.port })
  })
  afterAll(async () => {
    client?.close()
    await server?.shutdown()
    store?.close()
  })

  describe('every RPC over the wire', () => {
    it('answers all 52 RPCs exactly as the in-process store does', async () => {
      const local = createMetadataStore({ filename: ':memory:' })
      try {
        const overWire = await scenario(client)
        const inProcess = await scenario(toAsyncMetadataStore(local))
        expect(new Set(overWire.map((o) => o.rpc))).toEqual(new Set(RPC_NAMES))
        expect(overWire.map((o) => o.rpc)).toEqual(inProcess.map((o) => o.rpc))
        for (const [i, outcome] of overWire.entries()) {
          expect({ i, ...(withoutTimes(outcome) as object) }).toEqual({
            i,
            ...(withoutTimes(inProcess[i]) as object),
          })
        }
        // The scenario reaches the error paths, and their codes survive the wire.
        const codes = overWire.flatMap((o) => (o.error ? [o.error.code] : []))
        expect(codes).toEqual(
          expect.arrayContaining([Code.NotFound, Code.InvalidArgument, Code.AlreadyExists]),
        )
      } finally {
        local.close()
      }
    })
  })

  describe('int64 and presence', () => {
    it('carries int64 extremes in properties and event times', async () => {
      const { type_id } = await client.putArtifactType({
        artifact_type: { name: 'Extremes', properties: { lo: PropertyType.INT, hi: PropertyType.INT } },
      })
      const { type_id: executionType } = await client.putExecutionType({ execution_type: { name: 'X' } })
      const { execution_ids = [] } = await client.putExecutions({ executions: [{ type_id: executionType }] })
      const { artifact_ids = [] } = await client.putArtifacts({
        artifacts: [{ type_id, properties: { lo: { int_value: INT64_MIN }, hi: { int_value: INT64_MAX } } }],
      })
      await client.putEvents({
        events: [
          {
            artifact_id: artifact_ids[0],
            execution_id: execution_ids[0],
            type: Event_Type.OUTPUT,
            milliseconds_since_epoch: INT64_MIN,
          },
        ],
      })
      const { artifacts = [] } = await client.getArtifactsByID({ artifact_ids })
      expect(artifacts[0]?.properties).toEqual({ lo: { int_value: INT64_MIN }, hi: { int_value: INT64_MAX } })
      const { events = [] } = await client.getEventsByArtifactIDs({ artifact_ids })
      expect(events[0]?.milliseconds_since_epoch).toBe(INT64_MIN)
    })

    it('tells an empty string from an unset field', async () => {
      const { type_id } = await client.putContextType({ context_type: { name: 'Presence' } })
      const { context_ids } = await client.putContexts({
        contexts: [
          {
            type_id,
            name: 'with-empty',
            external_id: undefined,
            custom_properties: { s: { string_value: '' } },
          },
        ],
      })
      const { contexts = [] } = await client.getContextsByID({ context_ids })
      expect(contexts[0]?.custom_properties).toEqual({ s: { string_value: '' } })
      expect(contexts[0] && 'external_id' in contexts[0]).toBe(false)
      const none = await client.getContextByTypeAndName({ type_name: 'Presence', context_name: 'nope' })
      expect(none).toEqual({})
    })
  })

  describe('errors', () => {
    it('keeps the store code and message', async () => {
      const error = await client.getArtifactType({ type_name: 'no such type' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MlmdError)
      expect((error as MlmdError).code).toBe(Code.NotFound)
      expect((error as MlmdError).rawMessage).not.toMatch(/^\d+ /)
    })

    it('rejects GetArtifactsByURI with the legacy field 1 as INVALID_ARGUMENT', async () => {
      const raw = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure())
      try {
        // field 1 (the old `uri`), then field 2 (`uris`).
        const request = Buffer.from('0a03732f611203732f61', 'hex')
        const Response = createMessageCodec(messageType('ml_metadata.GetArtifactsByURIResponse'))
        const error = await new Promise<{ code: number; details: string }>((resolve) => {
          raw.makeUnaryRequest(
            '/ml_metadata.MetadataStoreService/GetArtifactsByURI',
            (b: Buffer) => b,
            (b: Buffer) => Response.decode(b),
            request,
            new Metadata(),
            {},
            (e) => resolve(e as unknown as { code: number; details: string }),
          )
        })
        expect(error.code).toBe(status.INVALID_ARGUMENT)
        expect(error.details).toContain('The request contains deprecated field `uri`')
        // Without field 1 the same RPC answers.
        expect((await client.getArtifactsByURI({ uris: ['s3://a'] })).artifacts).toEqual([])
      } finally {
        raw.close()
      }
    })

    it('answers unparseable requests with INVALID_ARGUMENT, and the server keeps serving', async () => {
      const raw = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure())
      try {
        const error = await new Promise<{ code: number }>((resolve) => {
          raw.makeUnaryRequest(
            '/ml_metadata.MetadataStoreService/GetArtifactsByID',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from('0aff', 'hex'),
            new Metadata(),
            {},
            (e) => resolve(e as unknown as { code: number }),
          )
        })
        expect(error.code).toBe(status.INVALID_ARGUMENT)
        expect(await client.getArtifactTypes({})).toHaveProperty('artifact_types')
      } finally {
        raw.close()
      }
    })

    it('answers strings that are not valid UTF-8 with INVALID_ARGUMENT, and stores nothing', async () => {
      // PutArtifactTypeRequest { artifact_type { name: "a\xff\xfe" } }
      const request = Buffer.from('0a05120361fffe', 'hex')
      const answer = await rawUnary(server.port, 'PutArtifactType', request)
      expect(answer).toMatchObject({ code: status.INVALID_ARGUMENT })
      expect(answer.details).toMatch(/not valid UTF-8 in PutArtifactTypeRequest.artifact_type.name/)
      const names = (await client.getArtifactTypes({})).artifact_types?.map((t) => t.name)
      expect(names?.some((name) => name?.startsWith('a') === true)).toBe(false)
    })

    it('cuts an error message that quotes a huge request, and keeps serving', async () => {
      // The store's message quotes the 300 KB property name; uncut, that trailer hung the server.
      const error = await client
        .putContextType({
          context_type: { name: 'Huge', properties: { ['x'.repeat(300_000)]: 37 as never } },
        })
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ code: Code.InvalidArgument })
      expect((error as MlmdError).rawMessage).toMatch(
        /^Property x+ … \[message cut; \d+ characters in all\]$/,
      )
      expect(await client.getContextTypes({})).toHaveProperty('context_types')
    })

    it('answers messages nested beyond the protobuf recursion limit with INVALID_ARGUMENT', async () => {
      const field = (number: number, payload: Buffer) =>
        Buffer.concat([encodeVarint((number << 3) | 2), encodeVarint(payload.length), payload])
      const entry = (value: Buffer) => field(1, Buffer.concat([field(1, Buffer.from('k')), field(2, value)]))
      // Struct { fields { key: "k" value { number_value: 1 } } }, then 200 levels of
      // Struct { fields { key: "k" value { struct_value: <previous> } } }.
      let struct = entry(Buffer.from('11000000000000f03f', 'hex'))
      for (let i = 0; i < 200; i++) struct = entry(field(5, struct))
      // PutContextsRequest { contexts { custom_properties { key: "p" value { struct_value: … } } } }
      const property = Buffer.concat([field(1, Buffer.from('p')), field(2, field(4, struct))])
      const request = field(1, field(5, property))
      const answer = await rawUnary(server.port, 'PutContexts', request)
      expect(answer).toMatchObject({ code: status.INVALID_ARGUMENT })
      expect(answer.details).toMatch(/not a valid ml_metadata.PutContextsRequest: .*nesting depth/)
      expect(await client.getContextTypes({})).toHaveProperty('context_types')
    })
  })
})

function encodeVarint(value: number): Buffer {
  const bytes: number[] = []
  let rest = value
  while (rest > 127) {
    bytes.push((rest & 127) | 128)
    rest >>>= 7
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}

/** Sends raw request bytes; resolves with the status code and details (0 and '' on success). */
function rawUnary(port: number, rpc: string, request: Buffer): Promise<{ code: number; details: string }> {
  const raw = new Client(`127.0.0.1:${port}`, credentials.createInsecure())
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      `/ml_metadata.MetadataStoreService/${rpc}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      request,
      new Metadata(),
      {},
      (e) => {
        raw.close()
        resolve(e === null ? { code: 0, details: '' } : { code: e.code, details: e.details })
      },
    )
  })
}

describe('GrpcServer channel options', () => {
  it('enforces grpc.max_receive_message_length from the channel arguments', async () => {
    const store = createMetadataStore({ filename: ':memory:' })
    const server = await createGrpcServer({
      store,
      port: 0,
      channelOptions: { 'grpc.max_receive_message_length': 1024 },
    })
    const client = createMetadataStoreClient({ port: server.port, retry: { maxAttempts: 1 } })
    try {
      await expect(client.getArtifactsByURI({ uris: ['x'.repeat(2048)] })).rejects.toMatchObject({
        code: Code.ResourceExhausted,
      })
      expect(await client.getArtifactsByURI({ uris: ['small'] })).toEqual({ artifacts: [] })
    } finally {
      client.close()
      await server.shutdown()
      store.close()
    }
  })
})

describe('GrpcServer with TLS', () => {
  let dir: string
  let certs: ReturnType<typeof makeCerts>
  let store: OwnedMetadataStore

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-tls-'))
    certs = makeCerts(dir)
    store = createMetadataStore({ filename: ':memory:' })
  })
  afterAll(() => {
    store?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  // The certificates name localhost; dialing 127.0.0.1 checks them against that name.
  const quick = {
    retry: { maxAttempts: 1 },
    timeoutMs: 10_000,
    channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
  }

  it('serves TLS to a client that trusts the CA, and refuses plaintext clients', async () => {
    const server = await createGrpcServer({
      store,
      port: 0,
      tls: { serverKey: certs.serverKey, serverCert: certs.serverCert },
    })
    try {
      const trusted = createMetadataStoreClient({ port: server.port, tls: { customCa: certs.ca }, ...quick })
      expect(await trusted.getArtifactTypes({})).toEqual({ artifact_types: [] })
      trusted.close()
      const plain = createMetadataStoreClient({ port: server.port, ...quick })
      await expect(plain.getArtifactTypes({})).rejects.toMatchObject({ code: Code.Unavailable })
      plain.close()
      const untrusting = createMetadataStoreClient({
        port: server.port,
        tls: { customCa: certs.otherCert },
        ...quick,
      })
      await expect(untrusting.getArtifactTypes({})).rejects.toMatchObject({ code: Code.Unavailable })
      untrusting.close()
    } finally {
      await server.shutdown()
    }
  })

  it('with client_verify, accepts only clients with a certificate from its CA', async () => {
    const server = await createGrpcServer({
      store,
      port: 0,
      tls: {
        serverKey: certs.serverKey,
        serverCert: certs.serverCert,
        customCa: certs.ca,
        clientVerify: true,
      },
    })
    try {
      const good = createMetadataStoreClient({
        port: server.port,
        tls: { customCa: certs.ca, clientKey: certs.clientKey, clientCert: certs.clientCert },
        ...quick,
      })
      expect(await good.getContextTypes({})).toEqual({ context_types: [] })
      good.close()
      const anonymous = createMetadataStoreClient({
        port: server.port,
        tls: { customCa: certs.ca },
        ...quick,
      })
      await expect(anonymous.getContextTypes({})).rejects.toMatchObject({ code: Code.Unavailable })
      anonymous.close()
      const stranger = createMetadataStoreClient({
        port: server.port,
        tls: { customCa: certs.ca, clientKey: certs.otherKey, clientCert: certs.otherCert },
        ...quick,
      })
      await expect(stranger.getContextTypes({})).rejects.toMatchObject({ code: Code.Unavailable })
      stranger.close()
    } finally {
      await server.shutdown()
    }
  })

  it('refuses client_verify without a CA', async () => {
    await expect(
      createGrpcServer({
        store,
        port: 0,
        tls: { serverKey: certs.serverKey, serverCert: certs.serverCert, clientVerify: true },
      }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument })
  })
})
