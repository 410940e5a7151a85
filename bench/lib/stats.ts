/** Latency summaries and ratios. */

export interface Summary {
  /** Operations timed. */
  readonly n: number
  /** Operations per second of serial work: 1e6 / mean latency. */
  readonly ops_per_s: number
  readonly mean_us: number
  readonly p50_us: number
  readonly p99_us: number
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export function summarize(latUs: readonly number[]): Summary {
  const sorted = [...latUs].sort((a, b) => a - b)
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)
  return {
    n: sorted.length,
    ops_per_s: sorted.length === 0 ? 0 : 1e6 / mean,
    mean_us: mean,
    p50_us: percentile(sorted, 50),
    p99_us: percentile(sorted, 99),
  }
}

export function geomean(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0)
  if (finite.length === 0) return Number.NaN
  return Math.exp(finite.reduce((s, v) => s + Math.log(v), 0) / finite.length)
}

/**
 * How many times faster `ours` is than `theirs` (> 1 means faster): the ratio of median
 * latencies by default, which other processes' bursts on a shared machine move least; or of
 * mean latencies (the throughput ratio of serial calls).
 */
export function speedup(
  ours: Summary | undefined,
  theirs: Summary | undefined,
  by: 'p50_us' | 'mean_us' = 'p50_us',
): number {
  if (!ours || !theirs || ours.n === 0 || theirs.n === 0) return Number.NaN
  return theirs[by] / ours[by]
}
