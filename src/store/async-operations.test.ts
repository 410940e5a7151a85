import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setImmediate as nextTick } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { SQLITE_DIALECT, WITHIN_BUDGET_FUNCTION } from '../storage/dialect.js'
import { fromSqliteError, MetadataSource } from '../storage/metadata-source.js'
import { initMetadataStore } from '../storage/schema/mlmd-env.js'
import {
  type AsyncOperationExecutor,
  type CallOptions,
  driveAsync,
  type Op,
  type Statement,
  type TransactionMode,
  type Tx,
} from '../storage/transaction-executor.js'
import { requestLimits } from './interceptors.js'
import { bindAsyncOperations, createMetadataStore, toAsyncMetadataStore } from './metadata-store.js'
import type { AsyncMetadataStore } from './metadata-store-api.js'

/**
 * A driver whose statements complete on later ticks, as a server engine's do: one connection,
 * one transaction at a time, the event loop turning between statements.
 */
class TickingSqliteExecutor implements AsyncOperationExecutor {
  readonly #db: Database.Database
  #queue: Promise<unknown> = Promise.resolve()
  readonly statements: Statement[] = []

  constructor(filename: string) {
    this.#db = new Database(filename)
    this.#db.defaultSafeIntegers(true)
    this.#db.function(WITHIN_BUDGET_FUNCTION, { varargs: true, deterministic: false }, () => 1)
  }

  perform<T>(mode: TransactionMode, body: (tx: Tx) => Op<T>, _options?: CallOptions): Promise<T> {
    const memo = new Map<string, unknown>()
    const tx: Tx = { dialect: SQLITE_DIALECT, memo: () => memo, forgetMemo: () => memo.clear() }
    const transaction = async (): Promise<T> => {
      this.#db.exec(SQLITE_DIALECT.begin(mode))
      try {
        const result = await driveAsync(body(tx), async (statement) => {
          await nextTick()
          this.statements.push(statement)
          try {
            const prepared = this.#db.prepare(statement.query.sql)
            const params = statement.query.params
            if (statement.kind === 'all') return prepared.all(...params)
            if (statement.kind === 'get') return prepared.get(...params)
            if (statement.kind === 'column' || statement.kind === 'cursor')
              return prepared.pluck().all(...params)
            const { changes, lastInsertRowid } = prepared.run(...params)
            return { changes, lastInsertRowid: BigInt(lastInsertRowid) }
          } catch (error) {
            throw fromSqliteError(error, statement.query.sql)
          }
        })
        this.#db.exec('COMMIT')
        return result
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK')
        throw error
      }
    }
    const result = this.#queue.then(transaction)
    this.#queue = result.catch(() => undefined)
    return result
  }

  close(): void {
    this.#db.close()
  }
}

// Times differ between two stores filled one after the other; everything else must not.
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes)
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.endsWith('_since_epoch'))
      .map(([key, v]) => [key, withoutTimes(v)]),
  )
}

// One scenario touching every area: types, nodes, composite writes, edges, listings, lineage.
async function scenario(store: AsyncMetadataStore): Promise<unknown[]> {
  const out: unknown[] = []
  const { type_id: model } = await store.putArtifactType({
    artifact_type: { name: 'Model', properties: { version: 1 } },
  })
  const { type_id: trainer } = await store.putExecutionType({ execution_type: { name: 'Trainer' } })
  const { type_id: run } = await store.putContextType({ context_type: { name: 'Run' } })
  for (let i = 0; i < 5; i++) {
    out.push(
      await store.putExecution({
        execution: { type_id: trainer, last_known_state: 3 },
        artifact_event_pairs: [
          {
            artifact: {
              type_id: model,
              uri: `s3://m${i}`,
              properties: { version: { int_value: BigInt(i) } },
            },
            event: { type: 4 },
          },
        ],
        contexts: [{ type_id: run, name: `run-${i % 2}` }],
        options: { reuse_context_if_already_exist: true },
      }),
    )
  }
  out.push(await store.getArtifactsByType({ type_name: 'Model', options: { max_result_size: 2 } }))
  const first = (await store.getArtifacts({
    options: { max_result_size: 2, filter_query: "contexts_a.name = 'run-0'" },
  })) as { next_page_token?: string }
  out.push(first)
  out.push(
    await store.getArtifacts({
      options: {
        max_result_size: 2,
        filter_query: "contexts_a.name = 'run-0'",
        next_page_token: first.next_page_token ?? '',
      },
    }),
  )
  const { contexts } = await store.getContextsByType({ type_name: 'Run' })
  out.push(
    await store.getExecutionsByContext({ context_id: contexts[0]?.id, options: { max_result_size: 1 } }),
  )
  out.push(
    await store.getLineageSubgraph({
      lineage_subgraph_query_options: {
        starting_artifacts: { filter_query: "uri = 's3://m1'" },
        max_num_hops: 2n,
      },
    }),
  )
  out.push(
    await store.putParentContexts({
      parent_contexts: [{ child_id: contexts[1]?.id, parent_id: contexts[0]?.id }],
    }),
  )
  out.push(await store.getChildrenContextsByContexts({ context_ids: [contexts[0]?.id ?? 0n] }))
  return out.map(withoutTimes)
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-async-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function initialisedFile(name: string): string {
  const file = path.join(dir, name)
  const source = MetadataSource.open({ filename: file })
  initMetadataStore(source)
  source.close()
  return file
}

describe('bindAsyncOperations', () => {
  it('runs the same operation bodies on an asynchronous driver with the same answers as the synchronous one', async () => {
    const sync = createMetadataStore({ filename: initialisedFile('sync.sqlite') })
    const executor = new TickingSqliteExecutor(initialisedFile('async.sqlite'))
    try {
      const viaSync = await scenario(toAsyncMetadataStore(sync))
      const viaAsync = await scenario(bindAsyncOperations(executor))
      expect(viaAsync).toEqual(viaSync)
      // Statements really went through the asynchronous driver, one tick each.
      expect(executor.statements.length).toBeGreaterThan(50)
    } finally {
      sync.close()
      executor.close()
    }
  })

  it('keeps a failed write whole: nothing of it is stored, and the error is the store error', async () => {
    const executor = new TickingSqliteExecutor(initialisedFile('async.sqlite'))
    const store = bindAsyncOperations(executor, [requestLimits])
    try {
      const { type_id } = await store.putContextType({ context_type: { name: 'Run' } })
      await expect(
        store.putContexts({
          contexts: [
            { type_id, name: 'a' },
            { type_id, name: 'a' },
          ],
        }),
      ).rejects.toMatchObject({ code: Code.AlreadyExists })
      expect((await store.getContexts({})).contexts).toEqual([])
      await expect(
        store.putContexts({ contexts: Array(10_001).fill({ type_id, name: 'x' }) }),
      ).rejects.toMatchObject({
        code: Code.InvalidArgument,
      })
    } finally {
      executor.close()
    }
  })
})
