// What differs per engine, where MLMD itself differs per engine (MySQL's and PostgreSQL's
// schemas, collations and limits), against real servers: what mlmd-ts answers on each, and that
// nothing of a refused write is stored. The engine-independent contract runs per engine in
// conformance/.
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  freshDatabase,
  type ServerEngine,
  type TestDatabase,
} from '../storage/engine-servers.test-support.js'
import { type OwnedAsyncMetadataStore, openMetadataStore } from './server-engine-store.js'

async function codeOf(call: Promise<unknown>): Promise<{ code: string; message: string } | 'ok'> {
  try {
    await call
    return 'ok'
  } catch (error) {
    if (!(error instanceof MlmdError)) throw error
    return { code: Code[error.code] as string, message: error.rawMessage }
  }
}

describe.each(['postgresql', 'mysql'] as ServerEngine[])('on %s', (engine) => {
  let database: TestDatabase | undefined
  let store: OwnedAsyncMetadataStore

  beforeAll(async () => {
    database = await freshDatabase(engine)
    if (database !== undefined) store = await openMetadataStore(database.url)
  }, 120_000)
  afterAll(async () => {
    await store?.close()
    await database?.drop()
  })

  async function artifactType(name: string): Promise<bigint> {
    return (await store.putArtifactType({ artifact_type: { name } })).type_id as bigint
  }

  it('keeps doubles exactly (MLMD writes 6 decimals: 1e-7 becomes 0)', async (context) => {
    if (database === undefined) context.skip()
    const type_id = await artifactType('doubles')
    const doubles = [1e-7, 0.1 + 0.2, 1 / 3, 5e-324, -2.5e-300, 123456.789012345, 1e300]
    const custom = Object.fromEntries(doubles.map((d, i) => [`d${i}`, { double_value: d }]))
    const { artifact_ids } = await store.putArtifacts({ artifacts: [{ type_id, custom_properties: custom }] })
    const [got] = (await store.getArtifactsByID({ artifact_ids })).artifacts
    expect(got?.custom_properties).toEqual(custom)
  })

  it('answers names over 255 characters with INVALID_ARGUMENT, storing nothing (MLMD: INTERNAL)', async (context) => {
    if (database === undefined) context.skip()
    const type_id = await artifactType('names')
    const outcome = await codeOf(
      store.putArtifacts({
        artifacts: [
          { type_id, name: 'ok' },
          { type_id, name: 'n'.repeat(256) },
        ],
      }),
    )
    expect(outcome).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringMatching(/at most 255 characters/),
    })
    expect((await store.getArtifactsByType({ type_name: 'names' })).artifacts).toEqual([])
    expect(await codeOf(store.putArtifactType({ artifact_type: { name: 't'.repeat(256) } }))).toMatchObject({
      code: 'InvalidArgument',
    })
  })

  it('round-trips text of every plane, and stores it as MLMD does', async (context) => {
    if (database === undefined) context.skip()
    const type_id = await artifactType('text')
    const text = 'Grüße ✓ 🧪 ﬁ \u00a0 €'
    const { artifact_ids } = await store.putArtifacts({
      artifacts: [{ type_id, uri: text, name: text, custom_properties: { s: { string_value: text } } }],
    })
    const [got] = (await store.getArtifactsByID({ artifact_ids })).artifacts
    expect(got).toMatchObject({ uri: text, name: text, custom_properties: { s: { string_value: text } } })
    expect((await store.getArtifactsByURI({ uris: [text] })).artifacts).toHaveLength(1)
    // MLMD's MySQL client talks latin1, so MLMD keeps each UTF-8 byte as a latin1 character
    // (ü as Ã¼); mlmd-ts stores the same, so either reads the other's rows.
    // (What MLMD 1.16 stored on MariaDB for this name, read back over utf8mb4.)
    const sample = await store.putArtifacts({ artifacts: [{ type_id, name: 'Grüße ✓' }] })
    const raw = await rawName(engine, database as TestDatabase, sample.artifact_ids[0] as bigint)
    expect(raw).toBe(engine === 'mysql' ? 'GrÃ¼ÃŸe âœ“' : 'Grüße ✓')
  })

  it('keeps NUL characters on MySQL; PostgreSQL text cannot hold them: INVALID_ARGUMENT, storing nothing', async (context) => {
    if (database === undefined) context.skip()
    const type_id = await artifactType('nul')
    const outcome = await codeOf(
      store.putArtifacts({
        artifacts: [{ type_id, uri: 'nul', custom_properties: { s: { string_value: 'a\u0000b' } } }],
      }),
    )
    if (engine === 'mysql') {
      expect(outcome).toBe('ok')
      const [got] = (await store.getArtifactsByURI({ uris: ['nul'] })).artifacts
      expect(got?.custom_properties?.s?.string_value).toBe('a\u0000b')
    } else {
      expect(outcome).toMatchObject({ code: 'InvalidArgument' })
      expect((await store.getArtifactsByURI({ uris: ['nul'] })).artifacts).toEqual([])
    }
  })

  it('compares names as the engine collates them: MySQL ignores case, PostgreSQL does not (as in MLMD)', async (context) => {
    if (database === undefined) context.skip()
    const { type_id } = await store.putContextType({ context_type: { name: 'collation' } })
    await store.putContexts({ contexts: [{ type_id, name: 'CaseTest' }] })
    const second = await codeOf(store.putContexts({ contexts: [{ type_id, name: 'casetest' }] }))
    const found = await store.getContextByTypeAndName({ type_name: 'collation', context_name: 'CASETEST' })
    const like = await store.getContexts({ options: { filter_query: "name LIKE 'casete%'" } })
    if (engine === 'mysql') {
      expect(second).toMatchObject({ code: 'AlreadyExists' })
      expect(found.context?.name).toBe('CaseTest')
      expect(like.contexts.map((c) => c.name)).toEqual(['CaseTest'])
    } else {
      expect(second).toBe('ok')
      expect(found.context).toBeUndefined()
      expect(like.contexts.map((c) => c.name)).toEqual(['casetest'])
    }
  })

  it('answers an int_value beyond 32 bits with INVALID_ARGUMENT (MLMD: INTERNAL), and finds no id beyond them', async (context) => {
    if (database === undefined) context.skip()
    const type_id = await artifactType('ints')
    expect(
      await codeOf(
        store.putArtifacts({
          artifacts: [{ type_id, custom_properties: { i: { int_value: -(2n ** 31n) - 1n } } }],
        }),
      ),
    ).toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/32-bit/) })
    expect((await store.getArtifactsByID({ artifact_ids: [2n ** 40n] })).artifacts).toEqual([])
    expect(await codeOf(store.getArtifactType({ type_name: 'ints' }))).toBe('ok')
  })

  it.runIf(engine === 'mysql')(
    'answers NaN on MySQL with INVALID_ARGUMENT, storing nothing (MLMD: INTERNAL)',
    async (context) => {
      if (database === undefined) context.skip()
      const type_id = await artifactType('nan')
      expect(
        await codeOf(
          store.putArtifacts({
            artifacts: [{ type_id, uri: 'nan', custom_properties: { d: { double_value: Number.NaN } } }],
          }),
        ),
      ).toMatchObject({ code: 'InvalidArgument' })
      expect((await store.getArtifactsByURI({ uris: ['nan'] })).artifacts).toEqual([])
    },
  )

  it('pages a large context in every order, whatever its create times say about its ids', async (context) => {
    if (database === undefined) context.skip()
    // Pages of a context are read in id order from the link index and checked against the
    // time order (src/store/paging.ts); the times here run against the ids in places.
    const type_id = await artifactType('context pages')
    const { type_id: contextType } = await store.putContextType({ context_type: { name: 'paged' } })
    const [context_id] = (
      await store.putContexts({ contexts: [{ type_id: contextType as bigint, name: 'c' }] })
    ).context_ids as bigint[]
    const ids = (await store.putArtifacts({ artifacts: Array.from({ length: 160 }, () => ({ type_id })) }))
      .artifact_ids as bigint[]
    const members = ids.filter((_, i) => i % 2 === 0)
    await store.putAttributionsAndAssociations({
      attributions: members.map((artifact_id) => ({ artifact_id, context_id })),
    })
    const times = new Map<bigint, number>()
    ids.forEach((id, i) => {
      times.set(
        id,
        i % 13 === 4 ? 1_000 + i : i % 17 === 2 ? 9_000_000 - i : 100_000 + 10 * Math.floor(i / 2),
      )
    })
    await setCreateTimes(engine, database as TestDatabase, times)
    for (const [field, is_asc] of [
      [1, false],
      [1, true],
      [3, false],
      [3, true],
    ] as const) {
      const key = (id: bigint) => (field === 3 ? Number(id) : (times.get(id) as number))
      const sorted = [...members].sort((x, y) => key(x) - key(y) || (x < y ? -1 : 1))
      const want = is_asc ? sorted : sorted.reverse()
      for (const max_result_size of [2, 5]) {
        const seen: bigint[] = []
        let token: string | undefined
        do {
          const page = await store.getArtifactsByContext({
            context_id,
            options: {
              max_result_size,
              order_by_field: { field, is_asc },
              ...(token === undefined ? {} : { next_page_token: token }),
            },
          })
          seen.push(...page.artifacts.map((a) => a.id as bigint))
          token = page.next_page_token || undefined
        } while (token !== undefined && seen.length <= members.length)
        expect(seen, `order ${field} ascending ${is_asc}, pages of ${max_result_size}`).toEqual(want)
      }
    }
  })

  it.runIf(engine === 'postgresql')(
    "answers a string past PostgreSQL's index-row limit with INVALID_ARGUMENT (MLMD: INTERNAL); keeps NaN and −0.0",
    async (context) => {
      if (database === undefined) context.skip()
      const type_id = await artifactType('wide strings')
      // Random text does not compress below the btree limit of about 2.7 KB.
      let random = ''
      for (let i = 0; i < 3000; i++) random += String.fromCharCode(33 + Math.floor(Math.random() * 90))
      expect(
        await codeOf(
          store.putArtifacts({
            artifacts: [{ type_id, uri: 'wide', custom_properties: { s: { string_value: random } } }],
          }),
        ),
      ).toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/index/) })
      expect((await store.getArtifactsByURI({ uris: ['wide'] })).artifacts).toEqual([])
      const { artifact_ids } = await store.putArtifacts({
        artifacts: [
          { type_id, custom_properties: { n: { double_value: Number.NaN }, z: { double_value: -0 } } },
        ],
      })
      const [got] = (await store.getArtifactsByID({ artifact_ids })).artifacts
      expect(Number.isNaN(got?.custom_properties?.n?.double_value)).toBe(true)
      expect(Object.is(got?.custom_properties?.z?.double_value, -0)).toBe(true)
    },
  )
})

async function rawName(engine: ServerEngine, database: TestDatabase, id: bigint): Promise<string> {
  if (engine === 'postgresql') {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      return (await client.query('SELECT name FROM artifact WHERE id = $1', [String(id)])).rows[0]?.name
    } finally {
      await client.end()
    }
  }
  const connection = await mysql.createConnection({ uri: database.url, charset: 'utf8mb4' })
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT name FROM `Artifact` WHERE id = ?', [
      String(id),
    ])
    return rows[0]?.name
  } finally {
    await connection.end()
  }
}

async function setCreateTimes(
  engine: ServerEngine,
  database: TestDatabase,
  times: ReadonlyMap<bigint, number>,
): Promise<void> {
  if (engine === 'postgresql') {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      for (const [id, time] of times) {
        await client.query('UPDATE artifact SET create_time_since_epoch = $1 WHERE id = $2', [
          String(time),
          String(id),
        ])
      }
    } finally {
      await client.end()
    }
    return
  }
  const connection = await mysql.createConnection({ uri: database.url, charset: 'utf8mb4' })
  try {
    for (const [id, time] of times) {
      await connection.query('UPDATE `Artifact` SET create_time_since_epoch = ? WHERE id = ?', [
        String(time),
        String(id),
      ])
    }
  } finally {
    await connection.end()
  }
}
