/**
 * A fresh in-memory store in MLMD's schema for the access-layer tests, and a way to run one
 * access function in its own transaction.
 */
import { MetadataSource } from '../storage/metadata-source.js'
import { initMetadataStore } from '../storage/schema/mlmd-env.js'
import type { Op, TransactionMode, Tx } from '../storage/transaction-executor.js'

export interface AccessFixture {
  readonly source: MetadataSource
  /** Runs `body` in one write transaction (reads in a read one) and returns its result. */
  run<T>(body: (tx: Tx) => Op<T>, mode?: TransactionMode): T
}

export function openAccessFixture(): AccessFixture {
  const source = MetadataSource.open({ filename: ':memory:' })
  initMetadataStore(source)
  return { source, run: (body, mode = 'write') => source.perform(mode, body) }
}
