/**
 * The limits that protect a server, each over the wire against `mlmd-ts serve`, each with its
 * error: message size (`--grpc_channel_arguments`), ids and entries per request, page size,
 * filter length, nesting, joins and literals, lineage hops and starting nodes, and per-call
 * deadlines.
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient, type MetadataStoreClient } from '../../src/client/index.js'
import { Code, Event_Type, MlmdError } from '../../src/index.js'
import { report, type ServeProcess, startServe, stopChild, tempDir } from './support.js'

const figures: string[] = []

/** The error a call fails with (or a failure of the test when it succeeds). */
async function failure(call: Promise<unknown>): Promise<MlmdError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  )
  if (!(outcome instanceof MlmdError)) throw new Error(`expected an MlmdError, got ${String(outcome)}`)
  return outcome
}

function limit(name: string, error: MlmdError): void {
  figures.push(`${name}: ${Code[error.code]} "${error.rawMessage.slice(0, 160)}"`)
}

let dir: string
let server: ServeProcess
let client: MetadataStoreClient
let typeId: bigint

describe('limits', () => {
  beforeAll(async () => {
    dir = tempDir('limits')
    server = await startServe(path.join(dir, 'limits.sqlite'))
    client = createMetadataStoreClient({ port: server.port, retry: { maxAttempts: 1 } })
    typeId = (await client.putArtifactType({ artifact_type: { name: 'Limited' } })).type_id as bigint
  })
  afterAll(async () => {
    client?.close()
    if (server) await stopChild(server.child)
    if (dir) rmSync(dir, { recursive: true, force: true })
    for (const line of figures) report('limits', line)
  })

  describe('message size', () => {
    it('is 4 MiB by default: a larger request is RESOURCE_EXHAUSTED and stores nothing', async () => {
      const error = await failure(
        client.putArtifacts({ artifacts: [{ type_id: typeId, uri: 'u'.repeat(5 << 20) }] }),
      )
      expect(error.code).toBe(Code.ResourceExhausted)
      limit('request over 4 MiB (default max receive)', error)
      expect((await client.getArtifactsByType({ type_name: 'Limited' })).artifacts).toEqual([])
    })

    it('follows --grpc_channel_arguments for requests and responses', async () => {
      const small = await startServe(path.join(dir, 'small.sqlite'), [
        '--grpc_channel_arguments=grpc.max_receive_message_length=65536,grpc.max_send_message_length=65536',
      ])
      const c = createMetadataStoreClient({ port: small.port, retry: { maxAttempts: 1 } })
      try {
        const { type_id } = await c.putArtifactType({ artifact_type: { name: 'Small' } })
        const tooBig = await failure(c.putArtifacts({ artifacts: [{ type_id, uri: 'u'.repeat(70_000) }] }))
        expect(tooBig.code).toBe(Code.ResourceExhausted)
        limit('request over grpc.max_receive_message_length=65536', tooBig)
        // Three requests that fit, whose listing does not.
        for (let i = 0; i < 3; i++)
          await c.putArtifacts({ artifacts: [{ type_id, uri: `${i}`.repeat(30_000) }] })
        const listing = await failure(c.getArtifacts({}))
        expect(listing.code).toBe(Code.ResourceExhausted)
        limit('response over grpc.max_send_message_length=65536', listing)
        // Paging keeps each response small.
        const page = await c.getArtifacts({ options: { max_result_size: 1 } })
        expect(page.artifacts).toHaveLength(1)
        expect(page.next_page_token).toBeTruthy()
      } finally {
        c.close()
        await stopChild(small.child)
      }
    })
  })

  describe('request lists', () => {
    it('accepts 100,000 ids and refuses 100,001 with INVALID_ARGUMENT', async () => {
      const ids = Array.from({ length: 100_000 }, (_, i) => BigInt(i + 1))
      expect((await client.getArtifactsByID({ artifact_ids: ids })).artifacts).toEqual([])
      const error = await failure(client.getExecutionsByID({ execution_ids: [...ids, 100_001n] }))
      expect(error).toMatchObject({
        code: Code.InvalidArgument,
        rawMessage:
          'Too many ids in execution_ids: 100001; at most 100000 are accepted in one request. Split the request.',
      })
      limit('ids per request (max 100,000)', error)
    })

    it('refuses a put of 10,001 entries whole', async () => {
      const error = await failure(
        client.putArtifacts({
          artifacts: Array.from({ length: 10_001 }, (_, i) => ({ type_id: typeId, uri: `${i}` })),
        }),
      )
      expect(error).toMatchObject({ code: Code.InvalidArgument })
      expect(error.rawMessage).toMatch(/^Too many entries in artifacts: 10001; at most 10000/)
      limit('entries per put (max 10,000)', error)
      expect((await client.getArtifactsByType({ type_name: 'Limited' })).artifacts).toEqual([])
    })
  })

  describe('page size', () => {
    it('serves at most 100 per page, with a token for the rest', async () => {
      const { artifact_ids } = await client.putArtifacts({
        artifacts: Array.from({ length: 150 }, (_, i) => ({ type_id: typeId, uri: `page-${i}` })),
      })
      const first = await client.getArtifacts({ options: { max_result_size: 1000 } })
      expect(first.artifacts).toHaveLength(100)
      const second = await client.getArtifacts({
        options: { max_result_size: 1000, next_page_token: first.next_page_token },
      })
      expect(second.artifacts).toHaveLength(50)
      expect(second.next_page_token).toBeUndefined()
      expect([...first.artifacts, ...second.artifacts].map((a) => a.id)).toEqual(artifact_ids)
      const error = await failure(client.getArtifacts({ options: { max_result_size: 0 } }))
      expect(error.code).toBe(Code.InvalidArgument)
      figures.push('page size: max_result_size 1000 → 100 rows and a next_page_token (no error)')
      limit('max_result_size ≤ 0', error)
    })
  })

  describe('filter queries', () => {
    it.each([
      [
        'length over 64 KiB',
        `name = '${'x'.repeat(64 * 1024)}'`,
        /The query is too long: \d+ characters; at most 65536/,
      ],
      [
        'nesting over 200',
        `${'('.repeat(201)}id = 1${')'.repeat(201)}`,
        /nested too deeply: more than 200 levels/,
      ],
      ['NOT chain over 200', `${'NOT '.repeat(250)}id = 1`, /nested too deeply/],
      [
        'more than 64 joined tables',
        Array.from({ length: 40 }, (_, i) => `contexts_c${i}.name = 'x'`).join(' AND '),
        /needs more than 64 joined tables/,
      ],
      [
        'more than 30,000 literals',
        `id IN (${Array(30_001).fill('1').join(',')})`,
        /too many literals: 30001; at most 30000/,
      ],
    ])('refuses a filter with %s: INVALID_ARGUMENT', async (name, filter, message) => {
      const error = await failure(client.getArtifacts({ options: { filter_query: filter } }))
      expect(error.code).toBe(Code.InvalidArgument)
      expect(error.rawMessage).toMatch(message)
      limit(`filter ${name}`, error)
    })

    it('accepts a long IN list within the limit', async () => {
      const filter = `id IN (${Array.from({ length: 20_000 }, (_, i) => i % 10).join(',')})`
      expect(
        (await client.getArtifacts({ options: { filter_query: filter, max_result_size: 5 } })).artifacts,
      ).toHaveLength(5)
    })
  })

  describe('lineage', () => {
    let chainStart: bigint
    beforeAll(async () => {
      // a0 → e0 → a1 → e1 → … → a60: 120 hops, written in one PutLineageSubgraph.
      const { type_id: execType } = await client.putExecutionType({ execution_type: { name: 'Hop' } })
      const { type_id: artType } = await client.putArtifactType({ artifact_type: { name: 'Link' } })
      const response = await client.putLineageSubgraph({
        artifacts: Array.from({ length: 61 }, (_, i) => ({ type_id: artType, name: `a${i}` })),
        executions: Array.from({ length: 60 }, (_, i) => ({ type_id: execType, name: `e${i}` })),
        event_edges: Array.from({ length: 60 }, (_, i) => [
          { execution_index: i, artifact_index: i, event: { type: Event_Type.INPUT } },
          { execution_index: i, artifact_index: i + 1, event: { type: Event_Type.OUTPUT } },
        ]).flat(),
      })
      chainStart = response.artifact_ids[0] as bigint
    })

    it('walks GetLineageSubgraph at most 100 hops, however many are asked for', async () => {
      const { lineage_subgraph } = await client.getLineageSubgraph({
        lineage_subgraph_query_options: {
          starting_artifacts: { filter_query: `id = ${chainStart}` },
          max_num_hops: 1000n,
        },
      })
      expect(lineage_subgraph?.artifacts).toHaveLength(51)
      expect(lineage_subgraph?.executions).toHaveLength(50)
      figures.push(
        'GetLineageSubgraph max_num_hops 1000 → 100 hops (51 artifacts, 50 executions of a 120-hop chain)',
      )
      const error = await failure(
        client.getLineageSubgraph({
          lineage_subgraph_query_options: {
            starting_artifacts: { filter_query: 'id > 0' },
            max_num_hops: -1n,
          },
        }),
      )
      expect(error.code).toBe(Code.InvalidArgument)
      limit('GetLineageSubgraph max_num_hops < 0', error)
    })

    it('starts GetLineageSubgraph from at most 100 nodes', async () => {
      const { lineage_subgraph } = await client.getLineageSubgraph({
        lineage_subgraph_query_options: {
          starting_artifacts: { filter_query: "type = 'Limited'" },
          max_num_hops: 0n,
        },
      })
      expect(lineage_subgraph?.artifacts).toHaveLength(100)
      figures.push('GetLineageSubgraph starting nodes: 150 match → the 100 lowest ids start')
    })

    it('walks GetLineageGraph at most 20 hops and max_node_size nodes', async () => {
      const unlimited = await client.getLineageGraph({
        options: {
          artifacts_options: { filter_query: `id = ${chainStart}` },
          stop_conditions: { max_num_hops: 1000n },
          max_node_size: 0n,
        },
      })
      expect(unlimited.subgraph?.artifacts).toHaveLength(11)
      expect(unlimited.subgraph?.executions).toHaveLength(10)
      const capped = await client.getLineageGraph({
        options: { artifacts_options: { filter_query: `id = ${chainStart}` }, max_node_size: 5n },
      })
      expect((capped.subgraph?.artifacts?.length ?? 0) + (capped.subgraph?.executions?.length ?? 0)).toBe(5)
      figures.push('GetLineageGraph max_num_hops 1000 → 20 hops; max_node_size 5 → 5 nodes (default 20)')
    })
  })

  describe('deadlines', () => {
    it('answers DEADLINE_EXCEEDED to a client whose deadline is shorter than the call; the write is whole or absent', async () => {
      // 20 ms for a put of 9,000 artifacts (thousands of inserts and a synced commit).
      const hurried = createMetadataStoreClient({
        port: server.port,
        retry: { maxAttempts: 1 },
        timeoutMs: 20,
      })
      try {
        const { type_id } = await client.putArtifactType({ artifact_type: { name: 'Hurried' } })
        // Connect first, so the deadline runs out on the server's work, not on the handshake.
        for (let attempt = 0; attempt < 50; attempt++) {
          if (
            await hurried.getArtifactTypes({}).then(
              () => true,
              () => false,
            )
          )
            break
        }
        const error = await failure(
          hurried.putArtifacts({
            artifacts: Array.from({ length: 9_000 }, (_, i) => ({ type_id, uri: `hurried-${i}` })),
          }),
        )
        expect(error.code).toBe(Code.DeadlineExceeded)
        limit('client deadline 20 ms on a 9,000-artifact put', error)
        // The server goes on serving; the put either happened whole or not at all.
        const stored = (await client.getArtifactsByType({ type_name: 'Hurried' })).artifacts.length
        expect([0, 9_000]).toContain(stored)
        figures.push(`  … and the server stored ${stored} of the 9,000 artifacts (all or nothing)`)
        expect(server.child.exitCode).toBeNull()
      } finally {
        hurried.close()
      }
    })
  })
})
