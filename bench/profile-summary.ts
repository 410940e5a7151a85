/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time
 * and the most inclusive time, as shares of the samples.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N] [--filter TEXT]
 *
 * `--filter` keeps only inclusive rows whose location contains TEXT (e.g. `src/`).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' }, filter: { type: 'string', default: '' } },
  allowPositionals: true,
})
const top = Number(values.top)
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const label = (n: ProfileNode) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '')
    const where = url ? `${path.relative(process.cwd(), url)}:${n.callFrame.lineNumber + 1}` : ''
    return `${n.callFrame.functionName || '(anonymous)'} ${where}`.trim()
  }
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    total += dt
    const node = byId.get(id)
    if (!node) return
    self.set(label(node), (self.get(label(node)) ?? 0) + dt)
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)
      if (!n) break
      const l = label(n)
      if (seen.has(l)) continue
      seen.add(l)
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt)
    }
  })
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)}%`
  process.stdout.write(`\n${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nself time:\n`)
  for (const [l, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    process.stdout.write(`  ${pct(v)}  ${l}\n`)
  process.stdout.write('\ninclusive time:\n')
  for (const [l, v] of [...inclusive]
    .filter(([l]) => l.includes(values.filter ?? ''))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    process.stdout.write(`  ${pct(v)}  ${l}\n`)
}
