import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import { all, driveAsync, driveSync, get, type Op, run, type Statement } from './transaction-executor.js'

// A body that reads, writes, and translates a failed write the way operation bodies do.
function* body(): Op<string> {
  const rows = yield* all<{ v: number }>({ sql: 'SELECT v', params: [] })
  const one = yield* get<{ v: number }>({ sql: 'SELECT one', params: [] })
  try {
    yield* run({ sql: 'INSERT dup', params: [1n] })
  } catch (error) {
    if (error instanceof MlmdError && error.code === Code.AlreadyExists) {
      return `rows ${rows.length}, one ${one?.v}, duplicate translated`
    }
    throw error
  }
  return 'inserted'
}

function engine(seen: Statement[]) {
  return (statement: Statement): unknown => {
    seen.push(statement)
    if (statement.query.sql === 'SELECT v') return [{ v: 1 }, { v: 2 }]
    if (statement.query.sql === 'SELECT one') return { v: 7 }
    throw new MlmdError(Code.AlreadyExists, 'duplicate')
  }
}

describe('transaction-executor', () => {
  describe('driveSync', () => {
    it('runs the statements in order, returns their results to the body, and throws failures into it', () => {
      const seen: Statement[] = []
      expect(driveSync(body(), engine(seen))).toBe('rows 2, one 7, duplicate translated')
      expect(seen.map((s) => [s.kind, s.query.sql])).toEqual([
        ['all', 'SELECT v'],
        ['get', 'SELECT one'],
        ['run', 'INSERT dup'],
      ])
    })

    it('rethrows what the body does not catch', () => {
      const failing = (): unknown => {
        throw new MlmdError(Code.Internal, 'engine down')
      }
      expect(() => driveSync(body(), failing)).toThrow('engine down')
    })
  })

  describe('driveAsync', () => {
    it('drives the same body when each statement completes later', async () => {
      const seen: Statement[] = []
      const sync = engine(seen)
      const later = (statement: Statement) =>
        new Promise<unknown>((resolve, reject) =>
          setImmediate(() => {
            try {
              resolve(sync(statement))
            } catch (error) {
              reject(error)
            }
          }),
        )
      await expect(driveAsync(body(), later)).resolves.toBe('rows 2, one 7, duplicate translated')
      expect(seen).toHaveLength(3)
    })
  })
})
