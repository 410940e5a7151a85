/**
 * The cost of the storage seam per statement: the same statements run (a) straight on a
 * MetadataSource transaction (`execute`, the plain handle), and (b) yielded by an operation body
 * and driven by the synchronous driver (`perform`), interleaved in rounds; prints the median
 * time per statement of each and the difference.
 *
 *   node --import tsx bench/seam.ts [STATEMENTS_PER_CALL] [ROUNDS]
 */
import { MetadataSource } from '../src/storage/metadata-source.js'
import { get, type Op, type Query } from '../src/storage/transaction-executor.js'

const perCall = Number(process.argv[2] ?? 20)
const rounds = Number(process.argv[3] ?? 400)
const source = MetadataSource.open({ filename: ':memory:' })
source.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
source.execute('write', (tx) => {
  for (let i = 1; i <= 1000; i++) tx.run({ sql: 'INSERT INTO t (v) VALUES (?)', params: [`v${i}`] })
})
const query = (i: number): Query => ({
  sql: 'SELECT id, v FROM t WHERE id = ?',
  params: [BigInt((i % 1000) + 1)],
})

function direct(): number {
  return source.execute('read', (tx) => {
    let n = 0
    for (let i = 0; i < perCall; i++) if (tx.get(query(i)) !== undefined) n++
    return n
  })
}

function* body(): Op<number> {
  let n = 0
  for (let i = 0; i < perCall; i++) if ((yield* get(query(i))) !== undefined) n++
  return n
}
const viaSeam = (): number => source.perform('read', body)

const time = (f: () => number): number => {
  const t0 = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t0) / 1000 / perCall
}
const samples = { direct: [] as number[], seam: [] as number[] }
for (let i = 0; i < 50; i++) {
  direct()
  viaSeam()
}
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    samples.direct.push(time(direct))
    samples.seam.push(time(viaSeam))
  } else {
    samples.seam.push(time(viaSeam))
    samples.direct.push(time(direct))
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const d = median(samples.direct)
const s = median(samples.seam)
process.stdout.write(
  `per statement (median of ${rounds} calls of ${perCall} statements): direct ${d.toFixed(2)} µs, through the seam ${s.toFixed(2)} µs, difference ${(s - d).toFixed(2)} µs\n`,
)
source.close()
