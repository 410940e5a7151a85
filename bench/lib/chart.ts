/**
 * The chart of a run, as a hand-written SVG: the ratios per workload (three columns of bars on
 * log scales, with the goals drawn as lines), then the scale curves (p50 latency against store
 * size, one small chart per query, one line per target).
 */
import { writeFileSync } from 'node:fs'
import { TARGETS, type TargetKind } from './protocol.js'
import { fmtNodes, fmtRatio, fmtUs, type Results } from './report.js'

const COLORS: Record<TargetKind, string> = {
  ts: '#1f77b4',
  grpc: '#2ca02c',
  mlmd: '#d62728',
  floor: '#7f7f7f',
}
const LABELS: Record<TargetKind, string> = {
  ts: 'mlmd-ts in-process',
  grpc: 'mlmd-ts gRPC (Python client)',
  mlmd: 'MLMD 1.16 in-process (Python client)',
  floor: 'bare better-sqlite3',
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const n = (x: number) => (Math.round(x * 10) / 10).toString()

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}" ${attrs}>${esc(s)}</text>`
}
function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" ${attrs}/>`
}
function rect(x: number, y: number, w: number, h: number, attrs: string): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, w))}" height="${n(h)}" ${attrs}/>`
}

interface Column {
  readonly title: string
  readonly key: 'ts_mlmd' | 'grpc_mlmd' | 'ts_floor'
  readonly color: string
  readonly min: number
  readonly max: number
  readonly goal: number
}

export function renderChart(results: Results): string {
  const rows = results.workloads
  const parts: string[] = []
  const left = 230
  const colWidth = 270
  const gap = 36
  const rowH = 13
  const top = 70
  const columns: Column[] = [
    {
      title: 'in-process vs MLMD (goal ≥ 3×)',
      key: 'ts_mlmd',
      color: COLORS.ts,
      min: 0.1,
      max: 100,
      goal: 3,
    },
    {
      title: 'gRPC vs MLMD, same client (goal ≥ 1×)',
      key: 'grpc_mlmd',
      color: COLORS.grpc,
      min: 0.1,
      max: 100,
      goal: 1,
    },
    {
      title: 'in-process vs floor (fills: goal ≥ 0.5×)',
      key: 'ts_floor',
      color: COLORS.ts,
      min: 0.01,
      max: 10,
      goal: 0.5,
    },
  ]
  const width = left + columns.length * (colWidth + gap) + 20
  const barsHeight = rows.length * rowH
  parts.push(
    text(
      10,
      24,
      `mlmd-ts bench (${String(results.meta.mode)}) — ${String(results.meta.date).slice(0, 10)}`,
      'font-size="16" font-weight="bold"',
    ),
    text(
      10,
      44,
      'Speed ratios per workload (median latency of theirs ÷ ours; right of 1× = mlmd-ts faster). Log scales.',
      'font-size="12"',
    ),
  )
  columns.forEach((c, ci) => {
    const x0 = left + ci * (colWidth + gap)
    const scale = (v: number) =>
      x0 +
      ((Math.log10(Math.min(c.max, Math.max(c.min, v))) - Math.log10(c.min)) /
        (Math.log10(c.max) - Math.log10(c.min))) *
        colWidth
    parts.push(text(x0, top - 8, c.title, 'font-size="11" font-weight="bold"'))
    for (let d = Math.log10(c.min); d <= Math.log10(c.max) + 1e-9; d++) {
      const v = 10 ** d
      parts.push(
        line(scale(v), top, scale(v), top + barsHeight, 'stroke="#ddd"'),
        text(scale(v), top + barsHeight + 12, fmtRatio(v), 'font-size="9" text-anchor="middle"'),
      )
    }
    rows.forEach((r, i) => {
      const v = r.ratios[c.key]
      const y = top + i * rowH
      if (!Number.isFinite(v)) {
        parts.push(
          text(x0 + 4, y + rowH - 3, r.status === 'pending' ? 'pending' : 'n/a', 'font-size="9" fill="#999"'),
        )
        return
      }
      const x1 = scale(1)
      const xv = scale(v)
      const muted = c.key === 'ts_floor' && r.group !== 'fill'
      parts.push(
        rect(
          Math.min(x1, xv),
          y + 2,
          Math.abs(xv - x1),
          rowH - 4,
          `fill="${c.color}" opacity="${muted ? 0.35 : 0.85}"`,
        ),
        text(
          xv + (v >= 1 ? 3 : -3),
          y + rowH - 3,
          fmtRatio(v),
          `font-size="8" text-anchor="${v >= 1 ? 'start' : 'end'}"`,
        ),
      )
    })
    parts.push(
      line(scale(1), top, scale(1), top + barsHeight, 'stroke="#000"'),
      line(
        scale(c.goal),
        top - 2,
        scale(c.goal),
        top + barsHeight,
        'stroke="#e377c2" stroke-dasharray="4 3" stroke-width="1.5"',
      ),
    )
  })
  rows.forEach((r, i) => {
    parts.push(
      text(
        left - 6,
        top + i * rowH + rowH - 3,
        r.name,
        `font-size="9" text-anchor="end"${r.status === 'ok' ? '' : ' fill="#999"'}`,
      ),
    )
  })

  // Scale curves: small multiples.
  let y = top + barsHeight + 50
  const points = results.scale
  if (points.length > 0) {
    const names = points[0]?.queries.map((q) => q.name) ?? []
    parts.push(
      text(
        10,
        y,
        'p50 latency as the store grows (log–log), per target',
        'font-size="14" font-weight="bold"',
      ),
    )
    TARGETS.forEach((t, i) => {
      const lx = 10 + i * 250
      parts.push(
        line(lx, y + 16, lx + 20, y + 16, `stroke="${COLORS[t]}" stroke-width="2"`),
        text(lx + 25, y + 20, LABELS[t], 'font-size="11"'),
      )
    })
    y += 36
    const per = 5
    const cw = (width - 40) / per
    const ch = 150
    names.forEach((name, qi) => {
      const cx = 20 + (qi % per) * cw
      const cy = y + Math.floor(qi / per) * (ch + 40)
      const pw = cw - 60
      const ph = ch - 40
      const series = TARGETS.map((t) => ({
        t,
        pts: points.map((p) => ({
          x: p.nodes,
          y: p.queries.find((q) => q.name === name)?.targets[t]?.p50_us ?? Number.NaN,
        })),
      }))
      const ys = series.flatMap((s) => s.pts.map((p) => p.y)).filter((v) => Number.isFinite(v) && v > 0)
      const xs = points.map((p) => p.nodes)
      const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys, 1e9)))
      const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys, 1)))
      const xMin = Math.min(...xs)
      const xMax = Math.max(...xs)
      const sx = (v: number) =>
        cx +
        45 +
        (xMax === xMin
          ? pw / 2
          : ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * pw)
      const sy = (v: number) =>
        cy +
        20 +
        ph -
        ((Math.log10(v) - Math.log10(yMin)) / Math.max(1e-9, Math.log10(yMax) - Math.log10(yMin))) * ph
      parts.push(
        text(cx + 45, cy + 12, name, 'font-size="10" font-weight="bold"'),
        rect(cx + 45, cy + 20, pw, ph, 'fill="none" stroke="#ccc"'),
      )
      for (let d = Math.log10(yMin); d <= Math.log10(yMax) + 1e-9; d++) {
        parts.push(
          line(cx + 45, sy(10 ** d), cx + 45 + pw, sy(10 ** d), 'stroke="#eee"'),
          text(cx + 42, sy(10 ** d) + 3, fmtUs(10 ** d), 'font-size="8" text-anchor="end"'),
        )
      }
      for (const x of xs)
        parts.push(text(sx(x), cy + 20 + ph + 12, fmtNodes(x), 'font-size="8" text-anchor="middle"'))
      for (const s of series) {
        const valid = s.pts.filter((p) => Number.isFinite(p.y) && p.y > 0)
        if (valid.length === 0) continue
        parts.push(
          `<polyline fill="none" stroke="${COLORS[s.t]}" stroke-width="1.8" points="${valid.map((p) => `${n(sx(p.x))},${n(sy(p.y))}`).join(' ')}"/>`,
          ...valid.map(
            (p) => `<circle cx="${n(sx(p.x))}" cy="${n(sy(p.y))}" r="2.5" fill="${COLORS[s.t]}"/>`,
          ),
        )
      }
    })
    y += Math.ceil(names.length / per) * (ch + 40)
    const sizes = points
      .map(
        (p) =>
          `${fmtNodes(p.nodes)}: ${(p.bytes_per_million_nodes / 2 ** 20).toFixed(0)} MiB/M nodes, server peak RSS ${(p.server_peak_rss_kb / 1024).toFixed(0)} MiB`,
      )
      .join(' · ')
    parts.push(text(10, y, `File size and server memory — ${sizes}`, 'font-size="11"'))
    y += 10
  }
  const height = y + 20
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${n(height)}" viewBox="0 0 ${width} ${n(height)}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${esc(`mlmd-ts bench (${String(results.meta.mode)}): speed ratios against MLMD 1.16 and bare SQLite, and latency as the store grows`)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
  ].join('\n')
}

export function writeChart(results: Results, file: string): void {
  writeFileSync(file, `${renderChart(results)}\n`)
}
