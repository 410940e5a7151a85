import { afterAll, describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { openMetadataStore } from '../store/server-engine-store.js'
import { freshDatabase, type TestDatabase } from './engine-servers.test-support.js'

describe('MySQL errors', () => {
  const made: TestDatabase[] = []
  afterAll(async () => {
    for (const db of made) await db.drop()
  })

  it('name a duplicate non-ASCII context as it was written, not as MLMD stores it', async ({ skip }) => {
    const db = await freshDatabase('mysql')
    if (db === undefined) return skip('MariaDB is not installed here')
    made.push(db)
    const store = await openMetadataStore(db.url)
    try {
      const { type_id } = await store.putContextType({ context_type: { name: 'Run' } })
      const { context_ids } = await store.putContexts({
        contexts: [
          { type_id, name: '上下文' },
          { type_id, name: 'other' },
        ],
      })
      // Renaming the second context to the first's name hits the (type_id, name) key.
      const renamed = store.putContexts({ contexts: [{ id: context_ids[1], type_id, name: '上下文' }] })
      const error = await renamed.then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).toBeInstanceOf(MlmdError)
      expect((error as MlmdError).code).toBe(Code.AlreadyExists)
      expect((error as MlmdError).message).toContain("'10-上下文'")
    } finally {
      await store.close()
    }
  })
})
