/**
 * The results of a run (written as JSON under bench/results/), the terminal tables, and the
 * goals of issue 7 evaluated against the numbers.
 */
import { TARGETS, type TargetKind } from './protocol.js'
import { geomean, type Summary, speedup } from './stats.js'

export interface TargetResult extends Summary {
  /** Error codes answered (accepted ones included), and ABORTED retries. */
  readonly codes: Record<string, number>
  readonly aborted: number
}

export type RowStatus = 'ok' | 'pending' | 'error'

export interface Ratios {
  /** mlmd-ts in-process vs MLMD in-process (> 1: ours faster). */
  readonly ts_mlmd: number
  /** mlmd-ts over gRPC vs MLMD in-process, both through the Python client. */
  readonly grpc_mlmd: number
  /** mlmd-ts in-process vs the floor (1: as fast as bare SQLite; 0.5: twice as slow). */
  readonly ts_floor: number
}

export interface WorkloadRow {
  readonly name: string
  readonly group: 'fill' | 'read' | 'extra' | 'baseline'
  readonly op: string
  readonly config: Record<string, unknown>
  readonly targets: Partial<Record<TargetKind, TargetResult>>
  /** Ratios of median latencies (used in the tables, the chart and the goals). */
  readonly ratios: Ratios
  /** The same ratios from mean latencies (throughput of serial calls), for reference. */
  readonly ratios_mean: Ratios
  readonly status: RowStatus
  readonly note?: string
}

export interface ScalePoint {
  readonly nodes: number
  readonly runs: number
  readonly file_bytes: number
  readonly bytes_per_million_nodes: number
  readonly build: {
    readonly seconds: number
    readonly put_executions: number
    readonly put_artifacts: number
  }
  readonly server_peak_rss_kb: number
  readonly queries: WorkloadRow[]
}

export interface ContentionResult {
  readonly writers: number
  readonly rounds: number
  readonly round_ms: number
  readonly targets: Partial<
    Record<
      TargetKind,
      {
        readonly ops: number
        readonly wall_s: number
        readonly ops_per_s: number
        readonly p50_us: number
        readonly p99_us: number
        readonly aborted: number
        readonly codes: Record<string, number>
      }
    >
  >
}

export interface Goal {
  readonly goal: string
  readonly value: string
  readonly met: boolean | 'pending'
}

export interface Results {
  readonly meta: Record<string, unknown>
  readonly workloads: WorkloadRow[]
  readonly geomeans: Record<string, number>
  readonly scale: ScalePoint[]
  readonly contention?: ContentionResult
  readonly files: Record<string, unknown>
  readonly goals: Goal[]
}

export function ratiosOf(
  targets: Partial<Record<TargetKind, TargetResult>>,
  by: 'p50_us' | 'mean_us' = 'p50_us',
): Ratios {
  return {
    ts_mlmd: speedup(targets.ts, targets.mlmd, by),
    grpc_mlmd: speedup(targets.grpc, targets.mlmd, by),
    ts_floor: speedup(targets.ts, targets.floor, by),
  }
}

// -- formatting ---------------------------------------------------------------------------------

export function fmtRate(opsPerS: number): string {
  if (!Number.isFinite(opsPerS) || opsPerS === 0) return '-'
  if (opsPerS >= 1e6) return `${(opsPerS / 1e6).toFixed(1)}M`
  if (opsPerS >= 1e4) return `${(opsPerS / 1e3).toFixed(0)}k`
  if (opsPerS >= 1e3) return `${(opsPerS / 1e3).toFixed(1)}k`
  return opsPerS >= 100 ? opsPerS.toFixed(0) : opsPerS.toFixed(1)
}

export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '-'
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)}s`
  if (us >= 1e4) return `${(us / 1e3).toFixed(0)}ms`
  if (us >= 1e3) return `${(us / 1e3).toFixed(1)}ms`
  return `${us.toFixed(0)}µs`
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '-'
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length))
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s)

const SHORT: Record<TargetKind, string> = {
  ts: 'ts in-proc',
  grpc: 'ts gRPC (py)',
  mlmd: 'MLMD (py)',
  floor: 'floor',
}

function cell(r: TargetResult | undefined): string {
  if (!r || r.n === 0) return lpad('-', 22)
  return `${lpad(fmtRate(r.ops_per_s), 6)}/s ${lpad(fmtUs(r.p50_us), 6)} ${lpad(fmtUs(r.p99_us), 6)}`
}

/** The table of workloads: ops/s, p50 and p99 per target, then the ratios. */
export function workloadTable(rows: readonly WorkloadRow[], title: string): string {
  const nameWidth = Math.max(24, ...rows.map((r) => r.name.length + 1))
  const head1 = `${pad(title, nameWidth)}${TARGETS.map((t) => `| ${pad(SHORT[t], 22)}`).join('')}| ts/MLMD gRPC/MLMD ts/floor`
  const head2 = `${pad('', nameWidth)}${TARGETS.map(() => `| ${pad('  ops/s    p50    p99', 22)}`).join('')}|`
  const lines = [head1, head2, '-'.repeat(head1.length + 2)]
  for (const row of rows) {
    const flag = row.status === 'ok' ? '' : row.status === 'pending' ? '  (pending)' : '  (errors)'
    lines.push(
      `${pad(row.name, nameWidth)}${TARGETS.map((t) => `| ${cell(row.targets[t])}`).join('')}| ${lpad(fmtRatio(row.ratios.ts_mlmd), 7)} ${lpad(fmtRatio(row.ratios.grpc_mlmd), 9)} ${lpad(fmtRatio(row.ratios.ts_floor), 8)}${flag}`,
    )
  }
  return lines.join('\n')
}

export function scaleTable(points: readonly ScalePoint[]): string {
  if (points.length === 0) return ''
  const names = points[0]?.queries.map((q) => q.name) ?? []
  const lines: string[] = []
  const head = `${pad('p50 latency by store size', 28)}${points.map((p) => `| ${pad(`${fmtNodes(p.nodes)} nodes: ts  gRPC  MLMD  floor`, 40)}`).join('')}`
  lines.push(head, '-'.repeat(head.length))
  for (const name of names) {
    const cells = points.map((p) => {
      const q = p.queries.find((x) => x.name === name)
      const v = TARGETS.map((t) => lpad(fmtUs(q?.targets[t]?.p50_us ?? Number.NaN), 7)).join(' ')
      return `| ${pad(`${v}${q && q.status !== 'ok' ? ` ${q.status}` : ''}`, 40)}`
    })
    lines.push(`${pad(name, 28)}${cells.join('')}`)
  }
  lines.push('')
  for (const p of points) {
    lines.push(
      `${fmtNodes(p.nodes)} nodes: file ${(p.file_bytes / 2 ** 20).toFixed(1)} MiB (${(p.bytes_per_million_nodes / 2 ** 20).toFixed(0)} MiB per million nodes), ` +
        `built in ${p.build.seconds.toFixed(1)} s (${p.build.put_executions} PutExecution, ${p.build.put_artifacts} PutArtifacts), ` +
        `server peak RSS ${(p.server_peak_rss_kb / 1024).toFixed(0)} MiB`,
    )
  }
  return lines.join('\n')
}

export function contentionTable(c: ContentionResult | undefined): string {
  if (!c) return ''
  const lines = [
    `${c.writers} writers on one file, PutExecution, ${c.rounds} rounds of ${c.round_ms} ms per target (retrying ABORTED)`,
  ]
  for (const t of TARGETS) {
    const r = c.targets[t]
    if (!r) continue
    const codes = Object.entries(r.codes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
    lines.push(
      `  ${pad(SHORT[t], 14)} ${lpad(fmtRate(r.ops_per_s), 7)} ops/s total  p50 ${lpad(fmtUs(r.p50_us), 6)}  p99 ${lpad(fmtUs(r.p99_us), 6)}  ABORTED retries ${r.aborted}${codes ? `  errors: ${codes}` : ''}`,
    )
  }
  const ts = c.targets.ts?.ops_per_s
  const grpc = c.targets.grpc?.ops_per_s
  const mlmd = c.targets.mlmd?.ops_per_s
  const floor = c.targets.floor?.ops_per_s
  if (ts && mlmd && grpc && floor) {
    lines.push(
      `  ratios: ts/MLMD ${fmtRatio(ts / mlmd)}  gRPC/MLMD ${fmtRatio(grpc / mlmd)}  ts/floor ${fmtRatio(ts / floor)}`,
    )
  }
  return lines.join('\n')
}

export function fmtNodes(n: number): string {
  return n >= 1e6
    ? `${(n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1)}M`
    : n >= 1e3
      ? `${Math.round(n / 1e3)}k`
      : String(n)
}

// -- goals ----------------------------------------------------------------------------------------

export function geomeansOf(rows: readonly WorkloadRow[]): Record<string, number> {
  const ok = rows.filter((r) => r.status === 'ok' && r.group !== 'baseline')
  const bench = ok.filter((r) => r.group !== 'extra')
  const fills = ok.filter((r) => r.group === 'fill')
  // Workloads that write or read types, which mlmd-ts serves from memory once read.
  const nodeAndEdge = ok.filter((r) => !/^(Put|Get)(Artifact|Execution|Context)Type(s|sByID)?$/.test(r.op))
  return {
    ts_mlmd_all: geomean(ok.map((r) => r.ratios.ts_mlmd)),
    grpc_mlmd_all: geomean(ok.map((r) => r.ratios.grpc_mlmd)),
    ts_floor_all: geomean(ok.map((r) => r.ratios.ts_floor)),
    ts_mlmd_mlmd_bench: geomean(bench.map((r) => r.ratios.ts_mlmd)),
    grpc_mlmd_mlmd_bench: geomean(bench.map((r) => r.ratios.grpc_mlmd)),
    ts_floor_fills: geomean(fills.map((r) => r.ratios.ts_floor)),
    ts_mlmd_without_types: geomean(nodeAndEdge.map((r) => r.ratios.ts_mlmd)),
  }
}

export function evaluateGoals(rows: readonly WorkloadRow[], scale: readonly ScalePoint[]): Goal[] {
  const g = geomeansOf(rows)
  const pending = rows.some((r) => r.status === 'pending')
  const goals: Goal[] = [
    {
      goal: 'mlmd-ts over gRPC ≥ 1.0× MLMD in-process (geomean, same Python client)',
      value: `${fmtRatio(g.grpc_mlmd_all as number)} over ${rows.filter((r) => r.status === 'ok' && r.group !== 'baseline').length} workloads${pending ? ' (pending rows excluded)' : ''}`,
      met: (g.grpc_mlmd_all as number) >= 1,
    },
    {
      goal: 'mlmd-ts in-process ≥ 3× MLMD in-process (geomean)',
      value: fmtRatio(g.ts_mlmd_all as number),
      met: (g.ts_mlmd_all as number) >= 3,
    },
  ]
  const fills = rows.filter((r) => r.group === 'fill' && r.status === 'ok')
  const slow = fills.filter((r) => r.ratios.ts_floor < 0.5)
  goals.push({
    goal: 'fill workloads within 2× of the bare-SQLite floor (ts/floor ≥ 0.5× each)',
    value: `${fills.length - slow.length}/${fills.length} within; worst ${fills.length ? fmtRatio(Math.min(...fills.map((r) => r.ratios.ts_floor))) : '-'}${slow.length ? ` (${slow.map((r) => r.name).join(', ')})` : ''}`,
    met: fills.length > 0 && slow.length === 0,
  })
  const first = scale[0]
  const last = scale[scale.length - 1]
  if (first && last && first !== last) {
    const flat = first.queries
      .filter(
        (q) =>
          q.name === 'LINEAGE_3_HOPS' ||
          q.name.startsWith('FILTER_') ||
          q.name === 'ARTIFACTS_BY_TYPE(page)' ||
          q.name === 'ARTIFACTS_BY_LARGE_CONTEXT(page)',
      )
      .map((q) => {
        const l = last.queries.find((x) => x.name === q.name)
        const growth = (l?.targets.ts?.p50_us ?? Number.NaN) / (q.targets.ts?.p50_us ?? Number.NaN)
        return { name: q.name, growth, pending: q.status === 'pending' || l?.status === 'pending' }
      })
    const measured = flat.filter((f) => !f.pending)
    const flatPending = flat.some((f) => f.pending)
    goals.push({
      goal: `lineage 3 hops, filtered, by-type and large-context first pages flat (≤ 2× p50) from ${fmtNodes(first.nodes)} to ${fmtNodes(last.nodes)} nodes (in-process)`,
      value: flat.map((f) => `${f.name} ${f.pending ? 'pending' : fmtRatio(f.growth)}`).join(', '),
      met:
        flatPending && measured.length === 0
          ? 'pending'
          : measured.every((f) => f.growth <= 2) && !flatPending,
    })
  }
  return goals
}

export function goalsTable(goals: readonly Goal[]): string {
  return goals
    .map(
      (g) =>
        `  [${g.met === true ? 'met' : g.met === 'pending' ? 'pending' : 'MISSED'}] ${g.goal}: ${g.value}`,
    )
    .join('\n')
}
