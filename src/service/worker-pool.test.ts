import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  ListOperationOptions_OrderByField_Field,
  type PutArtifactTypeRequest,
  RPC_NAMES,
} from '../proto/messages.js'
import { MAX_IDS_PER_REQUEST } from '../store/limits.js'
import { createMetadataStore, type OwnedMetadataStore } from '../store/metadata-store.js'
import {
  isDecodedRequest,
  metadataStoreServiceDefinition,
  responseCodec,
} from '../wire/service-definition.js'
import { accessOf, WorkerPool } from './worker-pool.js'

// Rows whose LIKE takes 0.8-1.2 s each inside SQLite (backtracking over the `_` run): a
// statement that no deadline check can reach until a row is done. Ten of them make the scan take
// several seconds even on a fast idle machine, so it reliably outlives the deadlines below.
const STUCK_URI = 'a'.repeat(30_000)
const STUCK_ROWS = 10
const STUCK_FILTER = `uri LIKE '%a${'_'.repeat(15_000)}b%'`

let dir: string
let file: string
let direct: OwnedMetadataStore
let pool: WorkerPool
const trouble: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-pool-'))
  file = path.join(dir, 'pool.sqlite')
  direct = createMetadataStore({ filename: file })
  const { type_id } = direct.putArtifactType({ artifact_type: { name: 'Blob' } })
  direct.putArtifacts({
    artifacts: Array.from({ length: STUCK_ROWS }, (_, i) => ({
      type_id,
      name: i === 0 ? 'stuck' : `stuck-${i}`,
      uri: STUCK_URI,
    })),
  })
  pool = await WorkerPool.start({
    store: { filename: file, busyTimeoutMs: 10 },
    readWorkers: 1,
    abandonAfterMs: 100,
    onWorkerTrouble: (message) => trouble.push(message),
  })
}, 120_000)

afterAll(async () => {
  await pool?.close(0)
  direct?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const decode = (rpc: Parameters<typeof responseCodec>[0], bytes: Uint8Array) =>
  responseCodec(rpc).decode(bytes)

describe('WorkerPool', () => {
  it('sends every Get* RPC to a reader and every other RPC to the writer', () => {
    const reads = RPC_NAMES.filter((rpc) => accessOf(rpc) === 'read')
    expect(reads.every((rpc) => rpc.startsWith('Get'))).toBe(true)
    expect(RPC_NAMES.filter((rpc) => accessOf(rpc) === 'write').every((rpc) => /^Put/.test(rpc))).toBe(true)
    expect(reads).toHaveLength(RPC_NAMES.filter((rpc) => rpc.startsWith('Get')).length)
  })

  it('answers with the bytes of the response the in-process store gives', async () => {
    const written = decode(
      'PutArtifactType',
      await pool.run('PutArtifactType', { artifact_type: { name: 'FromPool', properties: { n: 1 } } }),
    ) as { type_id: bigint }
    const bytes = await pool.run('GetArtifactType', { type_name: 'FromPool' })
    const expected = direct.getArtifactType({ type_name: 'FromPool' })
    expect(expected.artifact_type?.id).toBe(written.type_id)
    expect(Buffer.from(bytes)).toEqual(Buffer.from(responseCodec('GetArtifactType').encode(expected)))
  })

  it("passes the store's errors on with their code and message", async () => {
    await expect(pool.run('GetArtifactType', { type_name: 'NoSuchType' })).rejects.toMatchObject({
      code: Code.NotFound,
      rawMessage: expect.stringMatching(/NoSuchType/),
    })
    await expect(pool.run('PutArtifacts', { artifacts: [{ type_id: 99_999n }] })).rejects.toBeInstanceOf(
      MlmdError,
    )
  })

  it('refuses a misspelt field of a request it did not decode, before a worker gets it', async () => {
    await expect(pool.run('PutArtifactType', { artifact_typ: { name: 'Misspelt' } })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage:
        'Unknown field "artifact_typ": PutArtifactTypeRequest has no such field (did you mean "artifact_type"?).',
    })
    expect(() => direct.getArtifactType({ type_name: 'Misspelt' })).toThrow(
      expect.objectContaining({ code: Code.NotFound }),
    )
  })

  it('checks list lengths in the worker', async () => {
    const artifact_ids = Array.from({ length: MAX_IDS_PER_REQUEST + 1 }, (_, i) => BigInt(i + 1))
    await expect(pool.run('GetArtifactsByID', { artifact_ids })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^Too many ids in artifact_ids/),
    })
  })

  it('does not walk the fields of a request decoded from the wire a second time', async () => {
    const method = metadataStoreServiceDefinition().PutArtifactType
    const request = method.requestDeserialize(
      method.requestSerialize({ artifact_type: { name: 'Decoded' } }),
    ) as PutArtifactTypeRequest
    expect(isDecodedRequest(request)).toBe(true)
    // Decoding keeps only the message's fields; a key added afterwards is not looked for.
    Object.assign(request, { unchecked: true })
    const { type_id } = decode('PutArtifactType', await pool.run('PutArtifactType', request)) as {
      type_id: bigint
    }
    expect(direct.getArtifactType({ type_name: 'Decoded' }).artifact_type?.id).toBe(type_id)
  })

  it('never starts a call that became late while it queued', async () => {
    const writes = [
      pool.run('PutArtifactType', { artifact_type: { name: 'First' } }),
      pool.run(
        'PutArtifactType',
        { artifact_type: { name: 'NeverWritten' } },
        { lateError: () => new MlmdError(Code.DeadlineExceeded, 'late in the queue') },
      ),
    ]
    await expect(writes[0]).resolves.toBeInstanceOf(Uint8Array)
    await expect(writes[1]).rejects.toMatchObject({ code: Code.DeadlineExceeded })
    expect(() => direct.getArtifactType({ type_name: 'NeverWritten' })).toThrow(/No type found/)
  })

  it('gives up a reader stuck in SQLite past the deadline, replaces it, and goes on', async () => {
    const started = Date.now()
    const stuck = pool.run(
      'GetArtifacts',
      { options: { filter_query: STUCK_FILTER } },
      { deadline: Date.now() + 100 },
    )
    await expect(stuck).rejects.toMatchObject({ code: Code.DeadlineExceeded })
    expect(Date.now() - started).toBeLessThan(3000)
    expect(trouble.join('\n')).toMatch(/overran the deadline of GetArtifacts and was replaced/)
    // The fresh reader serves the next read (it waits in the queue while the reader starts).
    const bytes = await pool.run('GetArtifactTypes', {})
    const names = (decode('GetArtifactTypes', bytes) as { artifact_types: { name: string }[] }).artifact_types
    expect(names.map((t) => t.name)).toContain('Blob')
    expect(pool.readWorkers).toBe(1)
  }, 60_000)

  it('refuses calls once closing', async () => {
    const other = await WorkerPool.start({ store: { filename: file }, readWorkers: 1 })
    const report = await other.close(1000)
    expect(report).toEqual({ stuckWorkers: 0 })
    await expect(other.run('GetArtifactTypes', {})).rejects.toMatchObject({ code: Code.Unavailable })
  }, 60_000)

  it('fails to start on a file without the schema', async () => {
    await expect(
      WorkerPool.start({ store: { filename: path.join(dir, 'missing.sqlite'), mustExist: true } }),
    ).rejects.toBeInstanceOf(MlmdError)
  }, 60_000)
})

describe('WorkerPool with point reads on the calling thread', () => {
  let pointPool: WorkerPool

  beforeAll(async () => {
    pointPool = await WorkerPool.start({
      store: { filename: file, busyTimeoutMs: 10 },
      readWorkers: 1,
      pointReads: 'main',
    })
  }, 120_000)

  afterAll(async () => {
    await pointPool?.close(0)
  })

  it('answers a point read while the only reader is busy with a long scan', async () => {
    const scan = pointPool.run(
      'GetArtifacts',
      { options: { filter_query: STUCK_FILTER } },
      { deadline: Date.now() + 1500 },
    )
    let scanDone = false
    void scan
      .catch(() => {})
      .finally(() => {
        scanDone = true
      })
    await new Promise((resolve) => setTimeout(resolve, 100))
    const bytes = await pointPool.run('GetArtifactByTypeAndName', {
      type_name: 'Blob',
      artifact_name: 'stuck',
    })
    expect(scanDone).toBe(false)
    const expected = direct.getArtifactByTypeAndName({ type_name: 'Blob', artifact_name: 'stuck' })
    expect(expected.artifact?.uri).toBe(STUCK_URI)
    expect(Buffer.from(bytes)).toEqual(
      Buffer.from(responseCodec('GetArtifactByTypeAndName').encode(expected)),
    )
    await expect(scan).rejects.toMatchObject({ code: Code.DeadlineExceeded })
  }, 60_000)

  it('runs an unfiltered page on this thread while the reader is idle, and queues it for a busy one', async () => {
    const order = { field: ListOperationOptions_OrderByField_Field.CREATE_TIME, is_asc: false }
    const first = { options: { max_result_size: 1, order_by_field: order } }
    const firstAnswer = pointPool.run('GetArtifacts', first)
    // Answered on this thread before run() returned: no reader took it.
    expect(pointPool.stats().busy.read).toBe(0)
    const expectedFirst = direct.getArtifacts(first)
    expect(Buffer.from(await firstAnswer)).toEqual(
      Buffer.from(responseCodec('GetArtifacts').encode(expectedFirst)),
    )
    expect(expectedFirst.next_page_token).toBeTruthy()

    const scan = pointPool.run(
      'GetArtifacts',
      { options: { filter_query: STUCK_FILTER } },
      { deadline: Date.now() + 1000 },
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
    const second = { options: { ...first.options, next_page_token: expectedFirst.next_page_token } }
    const secondAnswer = pointPool.run('GetArtifacts', second)
    expect(pointPool.stats().queued.read).toBe(1)
    await expect(scan).rejects.toMatchObject({ code: Code.DeadlineExceeded })
    expect(Buffer.from(await secondAnswer)).toEqual(
      Buffer.from(responseCodec('GetArtifacts').encode(direct.getArtifacts(second))),
    )
  }, 60_000)

  it('sends an unfiltered page to a reader while this thread has been busy', async () => {
    const page = { options: { max_result_size: 1 } }
    await pointPool.run('GetArtifacts', page) // closes the load window that began at start
    const busyUntil = performance.now() + 40
    while (performance.now() < busyUntil) {
      // This thread busy for a whole load window, as under many clients' calls.
    }
    const answer = pointPool.run('GetArtifacts', page)
    expect(pointPool.stats().busy.read).toBe(1)
    expect(Buffer.from(await answer)).toEqual(
      Buffer.from(responseCodec('GetArtifacts').encode(direct.getArtifacts(page))),
    )
  }, 60_000)

  it('sees what the writer thread committed just before', async () => {
    const { artifact_ids } = decode(
      'PutArtifacts',
      await pointPool.run('PutArtifacts', { artifacts: [{ type_id: typeIdOf('Blob'), name: 'fresh' }] }),
    ) as { artifact_ids: bigint[] }
    const { artifacts } = decode(
      'GetArtifactsByID',
      await pointPool.run('GetArtifactsByID', { artifact_ids }),
    ) as { artifacts: { name: string }[] }
    expect(artifacts.map((a) => a.name)).toEqual(['fresh'])
  })

  it("passes the store's errors on, and refuses a point read that is already late", async () => {
    await expect(pointPool.run('GetArtifactType', { type_name: 'NoSuchType' })).rejects.toMatchObject({
      code: Code.NotFound,
    })
    await expect(
      pointPool.run(
        'GetArtifactTypes',
        {},
        { lateError: () => new MlmdError(Code.Cancelled, 'cancelled before it ran') },
      ),
    ).rejects.toMatchObject({ code: Code.Cancelled })
    await expect(pointPool.run('GetArtifactsByID', { artifact_idz: [1n] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    })
  })

  it('refuses point reads once closing', async () => {
    const other = await WorkerPool.start({ store: { filename: file }, readWorkers: 1, pointReads: 'main' })
    expect(await other.close(1000)).toEqual({ stuckWorkers: 0 })
    await expect(other.run('GetArtifactTypes', {})).rejects.toMatchObject({ code: Code.Unavailable })
  }, 60_000)
})

function typeIdOf(name: string): bigint {
  const id = direct.getArtifactType({ type_name: name }).artifact_type?.id
  if (id === undefined) throw new Error(`no type ${name}`)
  return id
}
