// Paging with filter_query, checked page by page against the real MLMD 1.16
// (conformance/python/lineage_oracle.py): a dataset of a few hundred nodes written by mlmd-ts,
// then every query of a table walked through all its pages, for each order (ID, CREATE_TIME,
// LAST_UPDATE_TIME; ascending and descending) and page size (1, 7, 20, 100), in both engines.
//
// Deliberate differences (README), and how they are compared here:
// - LAST_UPDATE_TIME pages: MLMD continues from the ids listed at the boundary time on the last
//   page only, so a run of equal timestamps spread over three pages comes back again (and a walk
//   of pages of 1 never ends). We continue from (time, id). Where MLMD's walk repeats rows, ours
//   must be the exact order and MLMD's the known repetition.
// - max_result_size ≥ 101: MLMD answers 101 rows and no token; we answer 100 and a token.
// - Tokens: ours also carry id_offset for LAST_UPDATE_TIME; their contents are compared.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWithMlmd, PYTHON_DIR, runPython } from '../../conformance/python/venv.js'
import { type Code, codeToString, MlmdError } from '../errors.js'
import type * as m from '../proto/messages.js'
import { createMetadataStore, type OwnedMetadataStore } from './metadata-store.js'
import { DEFAULT_PAGE_SIZE, decodePageToken, encodePageToken, MAX_PAGE_SIZE } from './paging.js'

const ORACLE = path.join(PYTHON_DIR, 'lineage_oracle.py')

const INT = 1
const DOUBLE = 2
const STRING = 3
const BOOLEAN = 6
const CREATE_TIME = 1
const LAST_UPDATE_TIME = 2
const ID = 3

/** Timestamps are written with SQL after the nodes, so that their order is known exactly. */
const BASE = 1_700_000_000_000
const LATER = BASE + 10_000_000

const N_ARTIFACTS = 300
const N_EXECUTIONS = 120
const N_RUNS = 36

// --- the dataset -------------------------------------------------------------------------------

const int = (v: number): m.Value => ({ int_value: BigInt(v) })
const dbl = (v: number): m.Value => ({ double_value: v })
const str = (v: string): m.Value => ({ string_value: v })
const bool = (v: boolean): m.Value => ({ bool_value: v })

/** Each node's id and its two times, by table. */
interface NodeTimes {
  readonly create: number
  readonly update: number
}
type Table = 'Artifact' | 'Execution' | 'Context'
type Times = Record<Table, Map<bigint, NodeTimes>>

interface Dataset {
  readonly contexts: Map<string, bigint>
  readonly times: Times
}

const ARTIFACT_STATES = [undefined, 2, 1, 4, 3, 2] as const // -, LIVE, PENDING, DELETED, MARKED_FOR_DELETION
const EXECUTION_STATES = [undefined, 1, 2, 3, 4, 5, 6] as const // -, NEW … CANCELED

function writeDataset(filename: string): Dataset {
  const store = createMetadataStore({ filename })
  try {
    const types = store.putTypes({
      artifact_types: [
        { name: 'Dataset', properties: { p_int: INT, p_double: DOUBLE, p_str: STRING, p_bool: BOOLEAN } },
        { name: 'Model', properties: { p_int: INT } },
      ],
      execution_types: [{ name: 'Trainer', properties: { p_int: INT } }, { name: 'Pusher' }],
      context_types: [{ name: 'Pipeline', properties: { p_int: INT } }, { name: 'Run' }],
    })
    const [dataset, model] = types.artifact_type_ids as bigint[]
    const [trainer, pusher] = types.execution_type_ids as bigint[]
    const [pipeline, run] = types.context_type_ids as bigint[]

    const artifacts: m.Artifact[] = []
    for (let i = 0; i < N_ARTIFACTS; i++) {
      const isModel = i % 4 === 3
      const properties: Record<string, m.Value> = { p_int: int(isModel ? i : (i * 7) % 251) }
      if (!isModel) {
        if (i % 2 === 0) properties.p_double = dbl(((i * 13) % 100) / 100)
        if (i % 5 !== 1) properties.p_bool = bool(i % 3 === 0)
        properties.p_str = str(['alpha', 'beta', 'gamma'][i % 3] as string)
      }
      const custom: Record<string, m.Value> = {}
      if (i % 7 !== 0) custom.tag = str(i % 2 === 1 ? 'odd' : 'even')
      if (i % 9 === 0) custom.parent_dag_id = int(i % 4)
      const state = ARTIFACT_STATES[i % ARTIFACT_STATES.length]
      artifacts.push({
        type_id: isModel ? model : dataset,
        name: `art_${i}`,
        uri: i % 5 === 0 ? `gs://other/${i}` : `s3://bucket/${i}`,
        ...(state === undefined ? {} : { state: state as m.Artifact_State }),
        ...(i % 10 === 0 ? { external_id: `ext-a-${i}` } : {}),
        properties,
        custom_properties: custom,
      })
    }
    const artifactIds = store.putArtifacts({ artifacts }).artifact_ids as bigint[]

    const executions: m.Execution[] = []
    for (let j = 0; j < N_EXECUTIONS; j++) {
      const isPusher = j % 3 === 2
      const state = EXECUTION_STATES[j % EXECUTION_STATES.length]
      executions.push({
        type_id: isPusher ? pusher : trainer,
        name: `exe_${j}`,
        ...(state === undefined ? {} : { last_known_state: state as m.Execution_State }),
        ...(j % 8 === 0 ? { external_id: `ext-e-${j}` } : {}),
        properties: isPusher ? {} : { p_int: int((j * 11) % 97) },
        custom_properties: j % 2 === 0 ? { parent_dag_id: int(j % 4) } : {},
      })
    }
    const executionIds = store.putExecutions({ executions }).execution_ids as bigint[]

    const contexts: m.Context[] = []
    for (let k = 0; k < 4; k++)
      contexts.push({ type_id: pipeline, name: `pipeline_${k}`, properties: { p_int: int(k) } })
    for (let r = 0; r < N_RUNS; r++) contexts.push({ type_id: run, name: `run_${r}` })
    const contextIds = store.putContexts({ contexts }).context_ids as bigint[]
    const byName = new Map(contexts.map((c, i) => [c.name as string, contextIds[i] as bigint]))
    const ctx = (name: string): bigint => byName.get(name) as bigint

    const attributions: m.Attribution[] = []
    artifactIds.forEach((artifact_id, i) => {
      attributions.push({ artifact_id, context_id: ctx(`run_${i % N_RUNS}`) })
      if (i % 3 !== 0) attributions.push({ artifact_id, context_id: ctx(`pipeline_${i % 4}`) })
    })
    const associations: m.Association[] = []
    executionIds.forEach((execution_id, j) => {
      associations.push({ execution_id, context_id: ctx(`run_${j % N_RUNS}`) })
      associations.push({ execution_id, context_id: ctx(`pipeline_${j % 4}`) })
    })
    store.putAttributionsAndAssociations({ attributions, associations })
    store.putParentContexts({
      parent_contexts: Array.from({ length: N_RUNS }, (_, r) => ({
        child_id: ctx(`run_${r}`),
        parent_id: ctx(`pipeline_${r % 4}`),
      })),
    })
    const events: m.Event[] = []
    executionIds.forEach((execution_id, j) => {
      events.push({ execution_id, artifact_id: artifactIds[2 * j] as bigint, type: 3 })
      events.push({ execution_id, artifact_id: artifactIds[2 * j + 1] as bigint, type: 4 })
      if (j % 5 === 0) events.push({ execution_id, artifact_id: artifactIds[240 + j / 5] as bigint, type: 1 })
    })
    store.putEvents({ events })
    return { contexts: byName, times: setTimes(filename) }
  } finally {
    store.close()
  }
}

/**
 * Sets every node's times: create times grow with ids (with ties); update times are scattered.
 * Artifacts and contexts have distinct update times; executions have runs of up to 3 equal ones.
 */
function setTimes(filename: string): Times {
  const db = new Database(filename)
  db.defaultSafeIntegers(true)
  const times: Times = { Artifact: new Map(), Execution: new Map(), Context: new Map() }
  const rules: Record<Table, (id: number) => NodeTimes> = {
    Artifact: (id) => ({
      create: BASE + Math.floor(id / 3) * 1000,
      update: LATER + ((id * 37) % 301) * 1000,
    }),
    Execution: (id) => ({ create: BASE + id * 1000, update: LATER + ((id * 13) % 50) * 1000 }),
    Context: (id) => ({ create: BASE + Math.floor(id / 2) * 1000, update: LATER + ((id * 11) % 41) * 1000 }),
  }
  try {
    db.transaction(() => {
      for (const table of ['Artifact', 'Execution', 'Context'] as const) {
        const update = db.prepare(
          `UPDATE \`${table}\` SET create_time_since_epoch = ?, last_update_time_since_epoch = ? WHERE id = ?`,
        )
        for (const { id } of db.prepare(`SELECT id FROM \`${table}\``).all() as { id: bigint }[]) {
          const t = rules[table](Number(id))
          update.run(BigInt(t.create), BigInt(t.update), id)
          times[table].set(id, t)
        }
      }
    })()
  } finally {
    db.close()
  }
  return times
}

// --- the queries -------------------------------------------------------------------------------------

type Method =
  | 'GetArtifacts'
  | 'GetExecutions'
  | 'GetContexts'
  | 'GetArtifactsByContext'
  | 'GetExecutionsByContext'
  | 'GetArtifactsByType'
  | 'GetExecutionsByType'

const TABLE: Record<Method, Table> = {
  GetArtifacts: 'Artifact',
  GetExecutions: 'Execution',
  GetContexts: 'Context',
  GetArtifactsByContext: 'Artifact',
  GetExecutionsByContext: 'Execution',
  GetArtifactsByType: 'Artifact',
  GetExecutionsByType: 'Execution',
}

interface Query {
  readonly method: Method
  /** A context name (ByContext) or a type name (ByType). */
  readonly of?: string
  /** Absent: no filter_query. */
  readonly filter?: string
}

const QUERIES: readonly Query[] = [
  { method: 'GetArtifacts' },
  { method: 'GetArtifacts', filter: "type = 'Model'" },
  { method: 'GetArtifacts', filter: 'state = LIVE' },
  { method: 'GetArtifacts', filter: 'state != LIVE AND id > 200' },
  { method: 'GetArtifacts', filter: 'properties.p_int.int_value > 200' },
  {
    method: 'GetArtifacts',
    filter: "properties.p_int.int_value BETWEEN 10 AND 60 OR properties.p_str.string_value = 'beta'",
  },
  { method: 'GetArtifacts', filter: "custom_properties.tag.string_value = 'even' AND id <= 120" },
  { method: 'GetArtifacts', filter: "uri LIKE 's3://bucket/1%'" },
  { method: 'GetArtifacts', filter: "contexts_p.name = 'pipeline_1'" },
  { method: 'GetArtifacts', filter: "contexts_r.type = 'Run' AND state IN (LIVE, PENDING) AND id < 150" },
  { method: 'GetArtifacts', filter: 'events_e.type = OUTPUT AND events_e.execution_id < 40' },
  { method: 'GetArtifacts', filter: "name LIKE 'art_1%' OR properties.p_bool.bool_value = true" },
  { method: 'GetArtifacts', filter: 'external_id IS NOT NULL' },
  { method: 'GetArtifacts', filter: `create_time_since_epoch > ${BASE + 70_000}` },
  { method: 'GetArtifacts', filter: `last_update_time_since_epoch < ${LATER + 60_000}` },
  { method: 'GetArtifacts', filter: 'NOT (id < 50) AND properties.p_double.double_value < 0.3' },
  { method: 'GetArtifacts', filter: "contexts_a.name = 'run_3' OR contexts_b.name = 'run_4'" },
  { method: 'GetArtifacts', filter: "custom_properties.parent_dag_id.int_value = 2 OR type = 'Model'" },
  { method: 'GetArtifacts', filter: "name = 'no such artifact'" },
  { method: 'GetExecutions' },
  { method: 'GetExecutions', filter: 'last_known_state = COMPLETE' },
  { method: 'GetExecutions', filter: 'last_known_state NOT IN (COMPLETE, FAILED)' },
  { method: 'GetExecutions', filter: "contexts_r.name = 'run_2' OR contexts_r.name = 'run_5'" },
  { method: 'GetExecutions', filter: 'properties.p_int.int_value < 30' },
  { method: 'GetExecutions', filter: 'events_x.type = INPUT AND events_x.artifact_id < 100' },
  { method: 'GetExecutions', filter: "type = 'Pusher' OR external_id IS NOT NULL" },
  { method: 'GetContexts' },
  { method: 'GetContexts', filter: "type = 'Run'" },
  { method: 'GetContexts', filter: 'artifacts_a.state = LIVE' },
  { method: 'GetContexts', filter: 'executions_e.last_known_state = FAILED' },
  { method: 'GetContexts', filter: "parent_contexts_p.name = 'pipeline_0'" },
  { method: 'GetContexts', filter: "child_contexts_c.name LIKE 'run_1%'" },
  { method: 'GetContexts', filter: "name LIKE 'run_1%' OR properties.p_int.int_value > 1" },
  { method: 'GetArtifactsByContext', of: 'pipeline_1' },
  { method: 'GetArtifactsByContext', of: 'pipeline_1', filter: 'state = LIVE OR state IS NULL' },
  { method: 'GetArtifactsByContext', of: 'pipeline_2', filter: 'properties.p_int.int_value > 100' },
  { method: 'GetArtifactsByContext', of: 'run_7', filter: "contexts_x.name = 'pipeline_3'" },
  { method: 'GetExecutionsByContext', of: 'pipeline_0' },
  {
    method: 'GetExecutionsByContext',
    of: 'pipeline_3',
    filter: 'last_known_state = COMPLETE OR last_known_state = NEW OR last_known_state IS NULL',
  },
  {
    method: 'GetExecutionsByContext',
    of: 'pipeline_2',
    filter: 'custom_properties.parent_dag_id.int_value = 2',
  },
  { method: 'GetArtifactsByType', of: 'Model', filter: 'state != DELETED' },
  { method: 'GetExecutionsByType', of: 'Trainer', filter: 'properties.p_int.int_value >= 50' },
]

const ORDERS: readonly { field: number; is_asc: boolean }[] = [
  { field: ID, is_asc: true },
  { field: ID, is_asc: false },
  { field: CREATE_TIME, is_asc: true },
  { field: CREATE_TIME, is_asc: false },
  { field: LAST_UPDATE_TIME, is_asc: true },
  { field: LAST_UPDATE_TIME, is_asc: false },
]
const FIELD_NAMES: Record<number, string> = { 1: 'CREATE_TIME', 2: 'LAST_UPDATE_TIME', 3: 'ID' }
const PAGE_SIZES = [1, 7, 20, 100] as const

const queryLabel = (q: Query): string =>
  `${q.method}${q.of === undefined ? '' : `(${q.of})`} ${q.filter === undefined ? '(no filter)' : JSON.stringify(q.filter)}`

// --- the two engines -------------------------------------------------------------------------------------

interface Walk {
  pages: string[][]
  tokens: string[]
  error?: string
  truncated?: boolean
}

const codeName = (code: Code): string => codeToString(code).toUpperCase()

const toJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))

function requestFields(q: Query, dataset: Dataset): Record<string, unknown> {
  if (q.method.endsWith('ByContext')) return { context_id: dataset.contexts.get(q.of as string) ?? 999_999n }
  if (q.method.endsWith('ByType')) return { type_name: q.of }
  return {}
}

function listOptions(
  q: Query,
  order: { field: number; is_asc: boolean },
  size?: number,
): m.ListOperationOptions {
  return {
    ...(size === undefined ? {} : { max_result_size: size }),
    order_by_field: { field: order.field as m.ListOperationOptions_OrderByField_Field, is_asc: order.is_asc },
    ...(q.filter === undefined ? {} : { filter_query: q.filter }),
  }
}

/** One page from our store. */
function ourPage(
  store: OwnedMetadataStore,
  method: Method,
  fields: Record<string, unknown>,
  options: m.ListOperationOptions | undefined,
): { ids: string[]; token: string } {
  const request = { ...fields, ...(options === undefined ? {} : { options }) }
  const call = store[`${method.charAt(0).toLowerCase()}${method.slice(1)}` as 'getArtifacts'] as (
    r: unknown,
  ) => {
    artifacts?: m.Artifact[]
    executions?: m.Execution[]
    contexts?: m.Context[]
    next_page_token?: string
  }
  const response = call(request)
  const nodes = response.artifacts ?? response.executions ?? response.contexts ?? []
  return { ids: nodes.map((n) => String(n.id)), token: response.next_page_token ?? '' }
}

function ourWalk(
  store: OwnedMetadataStore,
  method: Method,
  fields: Record<string, unknown>,
  options: m.ListOperationOptions,
  maxPages: number,
): Walk {
  const walk: Walk = { pages: [], tokens: [] }
  let token: string | undefined
  for (;;) {
    let page: { ids: string[]; token: string }
    try {
      page = ourPage(
        store,
        method,
        fields,
        token === undefined ? options : { ...options, next_page_token: token },
      )
    } catch (error) {
      if (error instanceof MlmdError) return { ...walk, error: codeName(error.code) }
      throw error
    }
    walk.pages.push(page.ids)
    walk.tokens.push(page.token)
    if (page.token === '') return walk
    if (walk.pages.length >= maxPages) return { ...walk, truncated: true }
    token = page.token
  }
}

type OracleAnswer = Walk & { ids?: string[]; token?: string; message?: string }

function askMlmd(filename: string, queries: readonly unknown[]): OracleAnswer[] {
  return JSON.parse(runPython(ORACLE, [filename], { input: toJson(queries) })) as OracleAnswer[]
}

// --- expectations ---------------------------------------------------------------------------------------

/** `ids` in the order of `order`, ties by id, from the times written to the file. */
function sorted(
  ids: readonly string[],
  order: { field: number; is_asc: boolean },
  times: Map<bigint, NodeTimes>,
) {
  const key = (id: string): number => {
    const t = times.get(BigInt(id)) as NodeTimes
    return order.field === CREATE_TIME ? t.create : order.field === LAST_UPDATE_TIME ? t.update : 0
  }
  const sign = order.is_asc ? 1 : -1
  return [...ids].sort((a, b) => sign * (key(a) - key(b) || Number(BigInt(a) - BigInt(b))))
}

function chunks(ids: readonly string[], size: number): string[][] {
  if (ids.length === 0) return [[]]
  const pages: string[][] = []
  for (let i = 0; i < ids.length; i += size) pages.push(ids.slice(i, i + size))
  return pages
}

/** The token's contents, for comparing tokens whose bytes may differ. */
function tokenContents(token: string): Record<string, unknown> {
  const t = decodePageToken(token)
  return JSON.parse(toJson(t)) as Record<string, unknown>
}

// --- the comparison ----------------------------------------------------------------------------------------

/** Pages of 1 only for queries with at most this many matches (MLMD takes ~5 ms a page). */
const MAX_ROWS_FOR_PAGES_OF_ONE = 40

interface Walked {
  readonly query: Query
  readonly order: { field: number; is_asc: boolean }
  readonly size: number
  mlmd: OracleAnswer
}

/** One page asked of both engines with the same options. */
interface PageCase {
  readonly group: string
  readonly label: string
  readonly query: Query
  readonly options: m.ListOperationOptions | undefined
  /** A deliberate difference (README): why, and the checks of both answers. */
  readonly deliberate?: {
    readonly why: string
    readonly check: (ours: { ids: string[]; token: string }, mlmd: OracleAnswer) => void
  }
}

const tally = { walks: 0, pages: 0, matched: 0, lutRepeats: 0, pageCases: 0, pageCasesMatched: 0, crossed: 0 }
let mlmdSeconds = 0
const lutRepeats: string[] = []

const A_LIVE = QUERIES[2] as Query // GetArtifacts "state = LIVE"
const E_BY_CONTEXT = QUERIES.find(
  (q) => q.method === 'GetExecutionsByContext' && q.filter !== undefined,
) as Query
const C_RUNS = QUERIES.find((q) => q.method === 'GetContexts' && q.filter === "type = 'Run'") as Query
const CROSS_QUERIES = [A_LIVE, E_BY_CONTEXT, C_RUNS]
const CROSS_SIZE = 7

describeWithMlmd('paging with filter_query against MLMD 1.16', () => {
  let dir: string
  let filename: string
  let dataset: Dataset
  let store: OwnedMetadataStore
  const reference = new Map<Query, string[]>()
  const walked: Walked[] = []
  const pageCases: PageCase[] = []
  const pageAnswers = new Map<PageCase, OracleAnswer>()
  /** For each of our tokens in CROSS_QUERIES walks: MLMD's next page from it. */
  const crossFromOurs = new Map<string, OracleAnswer>()

  const walkQuery = (
    q: Query,
    order: { field: number; is_asc: boolean },
    size: number,
    maxPages: number,
  ) => ({
    op: 'walk',
    method: q.method,
    request: requestFields(q, dataset),
    options: listOptions(q, order, size),
    max_pages: maxPages,
  })
  const pageQuery = (q: Query, options: m.ListOperationOptions | undefined) => ({
    op: 'page',
    method: q.method,
    request: requestFields(q, dataset),
    ...(options === undefined ? {} : { options }),
  })

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-paging-'))
    filename = path.join(dir, 'paging.sqlite')
    dataset = writeDataset(filename)
    store = createMetadataStore({ filename })
    const started = performance.now()

    // Phase 1, the reference: every match, by ascending id, in pages of 100.
    const refs = askMlmd(
      filename,
      QUERIES.map((q) => walkQuery(q, { field: ID, is_asc: true }, 100, 100)),
    )
    for (const [i, q] of QUERIES.entries()) {
      const ref = refs[i] as OracleAnswer
      if (ref.error !== undefined || ref.truncated) throw new Error(`${queryLabel(q)}: MLMD ${toJson(ref)}`)
      reference.set(q, ref.pages.flat())
    }

    // Phase 2: every order and page size; single pages; MLMD continuing our tokens.
    const queries: unknown[] = []
    for (const q of QUERIES) {
      const rows = (reference.get(q) as string[]).length
      for (const order of ORDERS) {
        for (const size of PAGE_SIZES) {
          if (size === 1 && rows > MAX_ROWS_FOR_PAGES_OF_ONE) continue
          walked.push({ query: q, order, size, mlmd: { pages: [], tokens: [] } })
          // Pages of 1 over equal update times never end in MLMD: stop it past the last row.
          queries.push(walkQuery(q, order, size, Math.ceil(rows / size) + 3))
        }
      }
    }
    pageCases.push(...buildPageCases(store, dataset))
    for (const c of pageCases) queries.push(pageQuery(c.query, c.options))
    const crossTokens: [Query, m.ListOperationOptions][] = []
    for (const q of CROSS_QUERIES) {
      for (const order of ORDERS) {
        const options = listOptions(q, order, CROSS_SIZE)
        const ours = ourWalk(store, q.method, requestFields(q, dataset), options, 100)
        for (const token of ours.tokens.filter((t) => t !== '')) {
          crossTokens.push([q, { ...options, next_page_token: token }])
          queries.push(pageQuery(q, { ...options, next_page_token: token }))
        }
      }
    }
    const answers = askMlmd(filename, queries)
    mlmdSeconds = (performance.now() - started) / 1000
    let next = 0
    for (const w of walked) w.mlmd = answers[next++] as OracleAnswer
    for (const c of pageCases) pageAnswers.set(c, answers[next++] as OracleAnswer)
    for (const [, options] of crossTokens)
      crossFromOurs.set(options.next_page_token as string, answers[next++] as OracleAnswer)
  }, 600_000)
  afterAll(() => {
    store?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    console.info(
      `paging: ${tally.walks} walks (${tally.pages} pages) compared with MLMD 1.16: ${tally.matched} identical page by page ` +
        `(ids, order, token contents), ${tally.lutRepeats} where MLMD repeats rows of equal LAST_UPDATE_TIME ` +
        `(deliberate difference); ${tally.pageCasesMatched} of ${tally.pageCases} single-page requests answered alike; ${tally.crossed} tokens continued by the other engine; ` +
        `MLMD took ${mlmdSeconds.toFixed(1)} s`,
    )
    console.info(`paging: MLMD repeated rows in: ${lutRepeats.join('; ')}`)
  })

  it('has a reference answer for every query, of many sizes', () => {
    const sizes = QUERIES.map((q) => (reference.get(q) as string[]).length)
    expect(sizes.filter((n) => n === 0)).toHaveLength(1)
    expect(sizes.filter((n) => n > 0 && n <= MAX_ROWS_FOR_PAGES_OF_ONE).length).toBeGreaterThan(8)
    expect(sizes.filter((n) => n > 40 && n <= 100).length).toBeGreaterThan(5)
    expect(sizes.filter((n) => n > 100).length).toBeGreaterThan(3)
  })

  it.each(QUERIES.map((q) => [queryLabel(q), q] as const))('%s', (_label, q) => {
    const all = reference.get(q) as string[]
    const times = dataset.times[TABLE[q.method]]
    const fields = requestFields(q, dataset)
    const failures: string[] = []
    for (const w of walked.filter((x) => x.query === q)) {
      const what = `${FIELD_NAMES[w.order.field]} ${w.order.is_asc ? 'asc' : 'desc'}, pages of ${w.size}`
      const expected = chunks(sorted(all, w.order, times), w.size)
      const ours = ourWalk(store, q.method, fields, listOptions(q, w.order, w.size), expected.length + 3)
      tally.walks++
      tally.pages += expected.length
      if (toJson(ours.pages) !== toJson(expected) || ours.error !== undefined || ours.truncated) {
        failures.push(`${what}: ours ${toJson(ours)} expected ${toJson(expected)}`)
        continue
      }
      if (toJson(w.mlmd.pages) === toJson(expected) && w.mlmd.error === undefined && !w.mlmd.truncated) {
        // Same pages: the tokens must say the same thing.
        const mismatch = compareTokens(ours.tokens, w.mlmd.tokens, w.order.field)
        if (mismatch !== undefined) failures.push(`${what}: ${mismatch}`)
        else tally.matched++
        continue
      }
      // The one accepted difference: MLMD repeating rows of equal update times.
      const mlmdRows = w.mlmd.pages.flat()
      const firstRepeat = mlmdRows.findIndex((id, k) => mlmdRows.indexOf(id) !== k)
      if (
        w.order.field === LAST_UPDATE_TIME &&
        firstRepeat >= 0 &&
        hasTies(all, times) &&
        toJson(mlmdRows.slice(0, firstRepeat)) === toJson(expected.flat().slice(0, firstRepeat))
      ) {
        tally.lutRepeats++
        lutRepeats.push(`${queryLabel(q)}, ${what}`)
        continue
      }
      failures.push(`${what}: MLMD ${toJson(w.mlmd)} expected ${toJson(expected)}`)
    }
    expect(failures, failures.join('\n')).toEqual([])
  })

  it('saw MLMD repeat rows of equal LAST_UPDATE_TIME in pages of 1 (deliberate difference)', () => {
    // Counted by the walks above: MLMD lists the rows of a run of equal update times again
    // once the run spreads over three pages; ours are the exact order.
    expect(tally.lutRepeats).toBeGreaterThan(0)
  })

  it('continues the other engine’s tokens, in every order', () => {
    const failures: string[] = []
    let checked = 0
    for (const q of CROSS_QUERIES) {
      const fields = requestFields(q, dataset)
      for (const order of ORDERS) {
        const options = listOptions(q, order, CROSS_SIZE)
        // MLMD continues each of our tokens with our next page…
        const ours = ourWalk(store, q.method, fields, options, 100)
        ours.tokens.forEach((token, i) => {
          if (token === '') return
          const mlmd = crossFromOurs.get(token) as OracleAnswer
          checked++
          if (toJson(mlmd.ids) !== toJson(ours.pages[i + 1])) {
            failures.push(
              `MLMD after our token ${i + 1} (${toJson(order)}): ${toJson(mlmd)} vs ${toJson(ours.pages[i + 1])}`,
            )
          }
        })
        // …and we continue each of MLMD's tokens with its next page.
        const mlmdWalk = walked.find((w) => w.query === q && w.order === order && w.size === CROSS_SIZE)?.mlmd
        expect(mlmdWalk?.error).toBeUndefined()
        mlmdWalk?.tokens.forEach((token, i) => {
          if (token === '') return
          const page = ourPage(store, q.method, fields, { ...options, next_page_token: token })
          checked++
          if (toJson(page.ids) !== toJson(mlmdWalk.pages[i + 1])) {
            failures.push(
              `ours after MLMD token ${i + 1} (${toJson(order)}): ${toJson(page)} vs ${toJson(mlmdWalk.pages[i + 1])}`,
            )
          }
        })
      }
    }
    expect(failures, failures.join('\n')).toEqual([])
    expect(checked).toBeGreaterThan(50)
    tally.crossed = checked
  })

  it.each([
    'defaults, and options changed between pages',
    'bad options and tokens',
    'hand-written tokens',
    'listings over nothing',
  ])('answers single pages as MLMD does: %s', (name) => {
    const failures: string[] = []
    const cases = pageCases.filter((x) => x.group === name && x.deliberate === undefined)
    expect(cases.length).toBeGreaterThan(0)
    for (const c of cases) {
      const mlmd = pageAnswers.get(c) as OracleAnswer
      const expected =
        mlmd.error !== undefined ? { error: mlmd.error } : { ids: mlmd.ids, more: mlmd.token !== '' }
      let actual: { error: string } | { ids: string[]; more: boolean }
      try {
        const page = ourPage(store, c.query.method, requestFields(c.query, dataset), c.options)
        actual = { ids: page.ids, more: page.token !== '' }
      } catch (error) {
        if (!(error instanceof MlmdError)) throw error
        actual = { error: codeName(error.code) }
      }
      tally.pageCases++
      if (toJson(actual) === toJson(expected)) tally.pageCasesMatched++
      else failures.push(`${c.label}: ours ${toJson(actual)}, MLMD ${toJson(expected)} ${mlmd.message ?? ''}`)
    }
    expect(failures, failures.join('\n')).toEqual([])
  })

  it.each([
    'max_result_size 101',
    'max_result_size 150',
    'max_result_size 1000',
    'a CREATE_TIME token from another listing',
  ])('%s: a deliberate difference', (label) => {
    const c = pageCases.find((x) => x.label === label) as PageCase
    const ours = ourPage(store, c.query.method, requestFields(c.query, dataset), c.options)
    c.deliberate?.check(ours, pageAnswers.get(c) as OracleAnswer)
  })
})

// Single-page requests, compared by ids, "more pages" and error code.
function buildPageCases(store: OwnedMetadataStore, dataset: Dataset): PageCase[] {
  const group = (name: string, list: Omit<PageCase, 'group'>[]): PageCase[] =>
    list.map((c) => ({ ...c, group: name }))
  const all = QUERIES[0] as Query
  const live = A_LIVE
  const byContext = E_BY_CONTEXT
  const idAsc = { field: ID, is_asc: true }
  const tokenOf = (q: Query, options: m.ListOperationOptions): string =>
    ourPage(store, q.method, requestFields(q, dataset), options).token
  const idToken = tokenOf(live, listOptions(live, idAsc, 5))
  const createToken = tokenOf(live, listOptions(live, { field: CREATE_TIME, is_asc: true }, 5))
  const lutToken = tokenOf(live, listOptions(live, { field: LAST_UPDATE_TIME, is_asc: false }, 5))
  const cases: PageCase[] = [
    ...group('defaults, and options changed between pages', [
      { label: 'no options: everything, no token', query: live, options: undefined },
      { label: 'empty options: 20 by id', query: all, options: {} },
      { label: 'only a filter: 20 by id', query: live, options: { filter_query: 'state = LIVE' } },
      {
        label: 'an empty filter is no filter',
        query: all,
        options: { filter_query: '', max_result_size: 30 },
      },
      { label: 'only an order', query: all, options: { order_by_field: { field: 1, is_asc: false } } },
      { label: 'order without a field: by id', query: all, options: { order_by_field: { is_asc: false } } },
      {
        label: 'order without a direction: ascending',
        query: all,
        options: { order_by_field: { field: 2 } },
      },
      {
        label: 'an empty token is the first page',
        query: live,
        options: { next_page_token: '', max_result_size: 3 },
      },
    ]),
    ...group('bad options and tokens', [
      { label: 'max_result_size 0', query: live, options: { max_result_size: 0 } },
      { label: 'max_result_size -3', query: live, options: { max_result_size: -3 } },
      {
        label: 'order FIELD_UNSPECIFIED',
        query: live,
        options: { order_by_field: { field: 0, is_asc: true } },
      },
      { label: 'a bad filter', query: live, options: { filter_query: 'state = RUNNING' } },
      { label: 'a blank filter', query: live, options: { filter_query: '   ' } },
      { label: 'a token that is not base64', query: live, options: { next_page_token: '!!!' } },
      { label: 'a token that is not a proto', query: live, options: { next_page_token: 'AAAA' } },
      {
        label: 'a truncated token',
        query: live,
        options: { ...listOptions(live, idAsc, 5), next_page_token: idToken.slice(0, 5) },
      },
      {
        label: 'an id token with the order reversed',
        query: live,
        options: { ...listOptions(live, { field: ID, is_asc: false }, 5), next_page_token: idToken },
      },
      {
        label: 'an id token with CREATE_TIME',
        query: live,
        options: { ...listOptions(live, { field: CREATE_TIME, is_asc: true }, 5), next_page_token: idToken },
      },
      {
        label: 'a CREATE_TIME token with the order reversed',
        query: live,
        options: {
          ...listOptions(live, { field: CREATE_TIME, is_asc: false }, 5),
          next_page_token: createToken,
        },
      },
      {
        label: 'a LAST_UPDATE_TIME token with ID',
        query: live,
        options: { ...listOptions(live, idAsc, 5), next_page_token: lutToken },
      },
      {
        label: 'a token with another page size',
        query: live,
        options: { ...listOptions(live, idAsc, 11), next_page_token: idToken },
      },
      {
        label: 'a token with another filter (the filter is not pinned)',
        query: live,
        options: {
          ...listOptions({ ...live, filter: 'state = PENDING' }, idAsc, 5),
          next_page_token: idToken,
        },
      },
      {
        label: 'a token with no filter any more',
        query: all,
        options: { ...listOptions(all, idAsc, 5), next_page_token: idToken },
      },
      {
        label: 'a token with a bad filter',
        query: live,
        options: { ...listOptions({ ...live, filter: 'nope = 1' }, idAsc, 5), next_page_token: idToken },
      },
      {
        label: 'a token on another listing (by context)',
        query: byContext,
        options: { ...listOptions({ ...byContext, filter: undefined }, idAsc, 5), next_page_token: idToken },
      },
      {
        // MLMD continues CREATE_TIME pages with create_time >= t AND id > i; we continue after the
        // pair (t, i). They differ where a row created at or after t has a smaller id: here, a
        // token from the artifacts listing on the contexts listing.
        label: 'a CREATE_TIME token from another listing',
        query: { method: 'GetContexts' },
        options: {
          ...listOptions(all, { field: CREATE_TIME, is_asc: true }, 5),
          next_page_token: createToken,
        },
        deliberate: {
          why: 'pages continue from the pair (order field, id)',
          check: (ours, mlmd) => {
            const token = decodePageToken(createToken)
            const t = Number(token.field_offset)
            const i = token.id_offset as bigint
            const contexts = [...dataset.times.Context.entries()].sort(
              ([a, x], [b, y]) => x.create - y.create || Number(a - b),
            )
            const after = contexts.filter(([id, x]) => x.create > t || (x.create === t && id > i))
            const mlmdRule = contexts.filter(([id, x]) => x.create >= t && id > i)
            expect(after.length).toBeGreaterThan(mlmdRule.length)
            expect(ours.ids).toEqual(after.slice(0, 5).map(([id]) => String(id)))
            expect(mlmd.ids).toEqual(mlmdRule.slice(0, 5).map(([id]) => String(id)))
          },
        },
      },
    ]),
    // Tokens written by hand, as another server could.
    ...group('hand-written tokens', [
      {
        label: 'an id token whose field_offset and id_offset differ',
        query: all,
        options: {
          ...listOptions(all, idAsc, 5),
          next_page_token: encodePageToken({
            id_offset: 10n,
            field_offset: 20n,
            set_options: listOptions(all, idAsc, 5),
          }),
        },
      },
      {
        label: 'an id token with only field_offset',
        query: all,
        options: {
          ...listOptions(all, idAsc, 5),
          next_page_token: encodePageToken({ field_offset: 42n, set_options: listOptions(all, idAsc, 5) }),
        },
      },
      {
        label: 'an id token with only id_offset',
        query: all,
        options: {
          ...listOptions(all, idAsc, 5),
          next_page_token: encodePageToken({ id_offset: 42n, set_options: listOptions(all, idAsc, 5) }),
        },
      },
      {
        label: 'a LAST_UPDATE_TIME token without listed ids',
        query: all,
        options: {
          ...listOptions(all, { field: LAST_UPDATE_TIME, is_asc: true }, 5),
          next_page_token: encodePageToken({
            field_offset: BigInt(LATER + 50_000),
            set_options: listOptions(all, { field: LAST_UPDATE_TIME, is_asc: true }, 5),
          }),
        },
      },
      {
        label: 'a LAST_UPDATE_TIME token with listed ids (as MLMD writes them)',
        query: all,
        options: {
          ...listOptions(all, { field: LAST_UPDATE_TIME, is_asc: true }, 5),
          next_page_token: encodePageToken({
            field_offset: BigInt(LATER + 50_000),
            listed_ids: [7n],
            set_options: listOptions(all, { field: LAST_UPDATE_TIME, is_asc: true }, 5),
          }),
        },
      },
      {
        label: 'a token without set_options (ID ascending by default)',
        query: all,
        options: {
          ...listOptions(all, idAsc, 5),
          next_page_token: encodePageToken({ id_offset: 7n, field_offset: 7n }),
        },
      },
      {
        label: 'a token without set_options, with a descending order',
        query: all,
        options: {
          ...listOptions(all, { field: ID, is_asc: false }, 5),
          next_page_token: encodePageToken({ id_offset: 7n, field_offset: 7n }),
        },
      },
    ]),
    ...group('listings over nothing', [
      {
        label: 'an unknown context',
        query: { method: 'GetArtifactsByContext', of: 'no such context', filter: 'state = LIVE' },
        options: { max_result_size: 5 },
      },
      {
        label: 'an unknown context with bad options',
        query: { method: 'GetExecutionsByContext', of: 'no such context' },
        options: { max_result_size: 0, filter_query: 'bad (' },
      },
      {
        label: 'an unknown type with a filter',
        query: { method: 'GetArtifactsByType', of: 'NoSuchType' },
        options: { filter_query: 'state = LIVE' },
      },
      {
        label: 'a context without artifacts, with bad options',
        query: { method: 'GetArtifactsByContext', of: 'pipeline_0', filter: 'bad (' },
        options: { max_result_size: 0, filter_query: 'bad (' },
      },
    ]),
  ]
  for (const size of [101, 150, 1000]) {
    cases.push({
      group: 'deliberate',
      label: `max_result_size ${size}`,
      query: all,
      options: { max_result_size: size },
      deliberate: {
        why: 'MLMD answers 101 rows and no token (the rest is unreachable); we answer 100 and a token',
        check: (ours, mlmd) => {
          expect(MAX_PAGE_SIZE).toBe(100)
          expect(mlmd.ids).toEqual(Array.from({ length: 101 }, (_, k) => String(k + 1)))
          expect(mlmd.token).toBe('')
          expect(ours.ids).toEqual(mlmd.ids?.slice(0, 100))
          expect(ours.token).not.toBe('')
          const walk = ourWalk(store, all.method, {}, { max_result_size: size }, 10)
          expect(walk.pages.flat()).toEqual(Array.from({ length: N_ARTIFACTS }, (_, k) => String(k + 1)))
        },
      },
    })
  }
  return cases
}

function hasTies(ids: readonly string[], times: Map<bigint, NodeTimes>): boolean {
  const updates = ids.map((id) => (times.get(BigInt(id)) as NodeTimes).update)
  return new Set(updates).size < updates.length
}

/** Why two walks' tokens differ in meaning, or undefined. */
function compareTokens(ours: readonly string[], mlmd: readonly string[], field: number): string | undefined {
  if (ours.length !== mlmd.length) return `token counts differ: ours ${ours.length}, MLMD ${mlmd.length}`
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i] as string
    const b = mlmd[i] as string
    if ((a === '') !== (b === ''))
      return `page ${i + 1}: ours token ${JSON.stringify(a)}, MLMD ${JSON.stringify(b)}`
    if (a === '') continue
    if (field !== LAST_UPDATE_TIME) {
      // ID and CREATE_TIME tokens are byte for byte MLMD's.
      if (a !== b)
        return `page ${i + 1}: ours token ${a} ${toJson(tokenContents(a))}, MLMD ${b} ${toJson(tokenContents(b))}`
      continue
    }
    // LAST_UPDATE_TIME: ours also carries id_offset; the rest is MLMD's.
    const x = tokenContents(a)
    const y = tokenContents(b)
    if (toJson({ ...x, id_offset: undefined }) !== toJson({ ...y, id_offset: undefined })) {
      return `page ${i + 1}: ours token ${toJson(x)}, MLMD ${toJson(y)}`
    }
  }
  return undefined
}

// --- without MLMD --------------------------------------------------------------------------------------------

describe('paging: what MLMD gets wrong, and stability', () => {
  let dir: string
  let store: OwnedMetadataStore
  let filename: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-paging-'))
    filename = path.join(dir, 'paging.sqlite')
    writeDataset(filename)
    store = createMetadataStore({ filename })
  })
  afterAll(() => {
    store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('walks runs of equal update times with pages of 1, in order, without repeats', () => {
    const q: Query = { method: 'GetExecutions' }
    for (const is_asc of [true, false]) {
      const walk = ourWalk(store, q.method, {}, listOptions(q, { field: LAST_UPDATE_TIME, is_asc }, 1), 200)
      expect(walk.truncated).toBeUndefined()
      const rows = walk.pages.flat()
      expect(rows).toHaveLength(N_EXECUTIONS)
      expect(new Set(rows).size).toBe(N_EXECUTIONS)
    }
  })

  it('defaults to pages of 20', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(20)
    expect(ourPage(store, 'GetArtifacts', {}, {}).ids).toHaveLength(20)
  })

  it('is stable while rows are added: no row is skipped or repeated', () => {
    const q: Query = { method: 'GetArtifacts', filter: "uri LIKE 's3://%'" }
    const options = listOptions(q, { field: ID, is_asc: true }, 50)
    const first = ourPage(store, q.method, {}, options)
    const typeId = store.getArtifactType({ type_name: 'Model' }).artifact_type?.id as bigint
    const added = store.putArtifacts({
      artifacts: Array.from({ length: 30 }, (_, i) => ({
        type_id: typeId,
        name: `late_${i}`,
        uri: `s3://late/${i}`,
      })),
    }).artifact_ids as bigint[]
    const rest = ourWalk(store, q.method, {}, { ...options, next_page_token: first.token }, 20)
    const rows = [...first.ids, ...rest.pages.flat()]
    expect(new Set(rows).size).toBe(rows.length)
    expect(rows.slice(-30)).toEqual(added.map(String))
    const everything = ourWalk(
      store,
      q.method,
      {},
      listOptions(q, { field: ID, is_asc: true }, 100),
      20,
    ).pages.flat()
    expect(rows).toEqual(everything.filter((id) => rows.includes(id)))
    expect(rows).toHaveLength(everything.length)
  })
})

// A filtered page is found in one of three ways, depending on how many nodes match and where
// they lie in the page order (paging.ts, filteredPage). Whichever way, the pages must be the same.
describe('paging: filtered pages, however they are found', () => {
  let dir: string
  let store: OwnedMetadataStore
  const expected = new Map<string, bigint[]>()
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-filtered-pages-'))
    store = createMetadataStore({ filename: path.join(dir, 'filtered.sqlite') })
    const [a, b] = store.putTypes({ artifact_types: [{ name: 'A' }, { name: 'B' }] })
      .artifact_type_ids as bigint[]
    const contextType = store.putContextType({ context_type: { name: 'Run' } }).type_id as bigint
    const [run] = store.putContexts({ contexts: [{ type_id: contextType, name: 'run' }] })
      .context_ids as bigint[]
    // 240 of type A, then 160 of type B: B's matches all lie at the end of ascending id order,
    // beyond any window of the first nodes, and at the start of descending order.
    const ofA = store.putArtifacts({ artifacts: Array.from({ length: 240 }, () => ({ type_id: a })) })
      .artifact_ids as bigint[]
    const ofB = store.putArtifacts({ artifacts: Array.from({ length: 160 }, () => ({ type_id: b })) })
      .artifact_ids as bigint[]
    // Every third artifact belongs to the run: common, and spread over the whole order.
    const inRun = [...ofA, ...ofB].filter((_, i) => i % 3 === 0)
    store.putAttributionsAndAssociations({
      attributions: inRun.map((artifact_id) => ({ artifact_id, context_id: run })),
    })
    expected.set("type = 'A'", ofA)
    expected.set("type = 'B'", ofB)
    expected.set("contexts_r.name = 'run'", inRun)
    expected.set(
      "contexts_r.name = 'run' AND type = 'B'",
      inRun.filter((id) => ofB.includes(id)),
    )
    expected.set("type = 'C'", [])
  })
  afterAll(() => {
    store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each([
    "type = 'A'",
    "type = 'B'",
    "contexts_r.name = 'run'",
    "contexts_r.name = 'run' AND type = 'B'",
    "type = 'C'",
  ])('%s: every order and page size walks the matching nodes exactly once, in order', (filter) => {
    const ids = (expected.get(filter) as bigint[]).map(String)
    for (const field of [ID, CREATE_TIME]) {
      for (const is_asc of [true, false]) {
        // Equal create times (one PutArtifacts) fall back to id order.
        const want = is_asc ? ids : [...ids].reverse()
        for (const size of [1, 3, 100]) {
          const q: Query = { method: 'GetArtifacts', filter }
          const walk = ourWalk(store, q.method, {}, listOptions(q, { field, is_asc }, size), 500)
          expect(walk.truncated, `${filter} ${field} ${is_asc} ${size}`).toBeUndefined()
          expect(walk.pages.flat(), `${filter} ${field} ${is_asc} ${size}`).toEqual(want)
        }
      }
    }
  })

  // A type's or a context's nodes without a filter are paged the same windowed way.
  it.each([
    {
      name: "type A's artifacts",
      method: 'GetArtifactsByType' as const,
      fields: { type_name: 'A' },
      key: "type = 'A'",
    },
    {
      name: "type B's artifacts",
      method: 'GetArtifactsByType' as const,
      fields: { type_name: 'B' },
      key: "type = 'B'",
    },
    {
      name: "the run's artifacts",
      method: 'GetArtifactsByContext' as const,
      fields: {},
      key: "contexts_r.name = 'run'",
    },
  ])('$name: every order and page size walks them exactly once, in order', ({ method, fields, key }) => {
    const ids = (expected.get(key) as bigint[]).map(String)
    const request =
      method === 'GetArtifactsByContext'
        ? { context_id: store.getContextByTypeAndName({ type_name: 'Run', context_name: 'run' }).context?.id }
        : fields
    for (const field of [ID, CREATE_TIME]) {
      for (const is_asc of [true, false]) {
        const want = is_asc ? ids : [...ids].reverse()
        for (const size of [1, 3, 100]) {
          const options = {
            max_result_size: size,
            order_by_field: { field, is_asc },
          } as m.ListOperationOptions
          const walk = ourWalk(store, method, request, options, 500)
          expect(walk.truncated, `${key} ${field} ${is_asc} ${size}`).toBeUndefined()
          expect(walk.pages.flat(), `${key} ${field} ${is_asc} ${size}`).toEqual(want)
        }
      }
    }
  })
})

describe('paging: a large context paged by walking the page order', () => {
  // 25,000 artifacts; context A holds 4 of every 100 (runs of 4, as a run's outputs are
  // written together), so a page's first window of the order holds matches but not a page and
  // the walk goes on; context B holds the 5 newest and 995 of the oldest, so walking on finds
  // nothing more and the page comes from the whole set. Both must list exactly their artifacts.
  let store: OwnedMetadataStore
  const members = { A: [] as bigint[], B: [] as bigint[] }
  const contextIds = { A: 0n, B: 0n }
  beforeAll(() => {
    store = createMetadataStore({ filename: ':memory:' })
    const { type_id } = store.putArtifactType({ artifact_type: { name: 'Out' } })
    const ids: bigint[] = []
    for (let batch = 0; batch < 25; batch++) {
      const answer = store.putArtifacts({
        artifacts: Array.from({ length: 1000 }, (_, i) => ({ type_id, uri: `u${batch * 1000 + i}` })),
      })
      ids.push(...answer.artifact_ids)
    }
    const { type_id: ctxType } = store.putContextType({ context_type: { name: 'Pipeline' } })
    const [a, b] = store.putContexts({
      contexts: [
        { type_id: ctxType, name: 'A' },
        { type_id: ctxType, name: 'B' },
      ],
    }).context_ids as [bigint, bigint]
    contextIds.A = a
    contextIds.B = b
    members.A = ids.filter((_, i) => i % 100 < 4)
    members.B = [...ids.slice(0, 995), ...ids.slice(-5)]
    for (const [name, context_id] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const attributions = members[name].map((artifact_id) => ({ artifact_id, context_id }))
      for (let i = 0; i < attributions.length; i += 500) {
        store.putAttributionsAndAssociations({ attributions: attributions.slice(i, i + 500) })
      }
    }
  })
  afterAll(() => store.close())

  it.each([
    ['A', CREATE_TIME, false],
    ['A', ID, true],
    ['B', CREATE_TIME, false],
    ['B', ID, false],
  ] as const)('context %s, order %i ascending %s: every member once, in order', (name, field, is_asc) => {
    const seen: bigint[] = []
    let token: string | undefined
    do {
      const page = store.getArtifactsByContext({
        context_id: contextIds[name],
        options: {
          max_result_size: 20,
          order_by_field: { field, is_asc },
          ...(token === undefined ? {} : { next_page_token: token }),
        },
      })
      seen.push(...page.artifacts.map((a) => a.id as bigint))
      token = page.next_page_token || undefined
    } while (token !== undefined)
    // Artifacts written in one call share their create time, so that order falls back to ids.
    const expected = [...members[name]].sort((x, y) => (x < y ? -1 : 1))
    expect(seen).toEqual(is_asc ? expected : expected.reverse())
  })
})

describe('paging: a context paged along its link index, whatever the times say', () => {
  // A context's page is read from the link index in id order, and checked against the time
  // order (src/store/paging.ts, contextPageById). Here the times run against the ids in every
  // way the check must catch: mostly growing with ids, but a few members written "late" with
  // old times, a few with times far in the future, a reversed block, and runs of equal times;
  // the store is large enough for some checks to end in the walk of the page order.
  let dir: string
  let store: OwnedMetadataStore
  let artifactContext = 0n
  let executionContext = 0n
  const times = new Map<bigint, { create: number; update: number }>()
  const members = { artifacts: [] as bigint[], executions: [] as bigint[] }
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-context-pages-'))
    const filename = path.join(dir, 'pages.sqlite')
    const writer = createMetadataStore({ filename })
    const { type_id } = writer.putArtifactType({ artifact_type: { name: 'Out' } })
    const { type_id: executionType } = writer.putExecutionType({ execution_type: { name: 'Step' } })
    const { type_id: contextType } = writer.putContextType({ context_type: { name: 'Run' } })
    const [a, e] = writer.putContexts({
      contexts: [
        { type_id: contextType, name: 'artifacts' },
        { type_id: contextType, name: 'executions' },
      ],
    }).context_ids as [bigint, bigint]
    artifactContext = a
    executionContext = e
    const artifacts = writer.putArtifacts({
      artifacts: Array.from({ length: 3000 }, (_, i) => ({ type_id, uri: `u${i}` })),
    }).artifact_ids as bigint[]
    const executions = writer.putExecutions({
      executions: Array.from({ length: 600 }, () => ({ type_id: executionType })),
    }).execution_ids as bigint[]
    // One artifact in 7 and one execution in 3 belong to their context.
    members.artifacts = artifacts.filter((_, i) => i % 7 === 0 || (i > 2900 && i % 2 === 0))
    members.executions = executions.filter((_, i) => i % 3 === 0)
    writer.putAttributionsAndAssociations({
      attributions: members.artifacts.map((artifact_id) => ({ artifact_id, context_id: a })),
      associations: members.executions.map((execution_id) => ({ execution_id, context_id: e })),
    })
    writer.close()
    const db = new Database(filename)
    const update = db.prepare(
      'UPDATE Artifact SET create_time_since_epoch = ?, last_update_time_since_epoch = ? WHERE id = ?',
    )
    const updateExecution = db.prepare(
      'UPDATE Execution SET create_time_since_epoch = ?, last_update_time_since_epoch = ? WHERE id = ?',
    )
    const timeOf = (i: number): number => {
      if (i % 97 === 5) return BASE - 1_000 * i // written late, with an old time
      if (i % 89 === 3) return LATER + i // far in the future
      if (i >= 1200 && i < 1500) return BASE + 10 * (2700 - i) // a block in reverse
      return BASE + 10 * Math.floor(i / 3) // runs of three equal times
    }
    db.transaction(() => {
      artifacts.forEach((id, i) => {
        const t = { create: timeOf(i), update: timeOf((i * 7) % 3000) }
        times.set(id, t)
        update.run(t.create, t.update, id)
      })
      executions.forEach((id, i) => {
        const t = { create: timeOf(i * 5), update: timeOf(i) }
        times.set(-id, t)
        updateExecution.run(t.create, t.update, id)
      })
    })()
    db.close()
    store = createMetadataStore({ filename })
  })
  afterAll(() => {
    store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function expectedOrder(ids: readonly bigint[], key: (id: bigint) => number, field: number, asc: boolean) {
    const value = (id: bigint) => (field === ID ? Number(id) : key(id))
    const sorted = [...ids].sort((x, y) => value(x) - value(y) || (x < y ? -1 : 1))
    return (asc ? sorted : sorted.reverse()).map(String)
  }

  it.each([
    [CREATE_TIME, false],
    [CREATE_TIME, true],
    [LAST_UPDATE_TIME, false],
    [LAST_UPDATE_TIME, true],
    [ID, false],
    [ID, true],
  ])('order %i ascending %s: every member once, in order, for pages of 1, 7, 20 and 100', (field, is_asc) => {
    const cases = [
      {
        method: 'GetArtifactsByContext' as const,
        context_id: artifactContext,
        ids: members.artifacts,
        time: (id: bigint) => times.get(id),
      },
      {
        method: 'GetExecutionsByContext' as const,
        context_id: executionContext,
        ids: members.executions,
        time: (id: bigint) => times.get(-id),
      },
    ]
    for (const { method, context_id, ids, time } of cases) {
      const key = (id: bigint) => {
        const t = time(id) as { create: number; update: number }
        return field === CREATE_TIME ? t.create : t.update
      }
      const want = expectedOrder(ids, key, field, is_asc)
      for (const size of [1, 7, 20, 100]) {
        const options = { max_result_size: size, order_by_field: { field, is_asc } } as m.ListOperationOptions
        const walk = ourWalk(store, method, { context_id }, options, 3000)
        expect(walk.truncated, `${method} ${size}`).toBeUndefined()
        expect(walk.pages.flat(), `${method} ${size}`).toEqual(want)
      }
    }
  })
})
