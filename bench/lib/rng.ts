/**
 * mlmd_bench's random machinery: `minstd_rand0` (a Lehmer generator, x ← 16807·x mod 2³¹−1),
 * uniform integers, Dirichlet-prior categorical distributions (Gamma(α, 1) weights) and Zipf
 * distributions (weight(rank) = 1/rank^skew, ranks shuffled). mlmd_bench seeds from the clock;
 * we take a fixed seed so that every target receives exactly the same work.
 */

const MODULUS = 2147483647
const MULTIPLIER = 16807

export class MinStdRand0 {
  private state: number

  constructor(seed: number) {
    const s = Math.abs(Math.trunc(seed)) % MODULUS
    this.state = s === 0 ? 1 : s
  }

  /** The next raw value, in [1, 2³¹−2]. */
  next(): number {
    // 16807 · (2³¹−2) < 2⁴⁶, exact in a double.
    this.state = (this.state * MULTIPLIER) % MODULUS
    return this.state
  }

  /** A uniform double in (0, 1). */
  unit(): number {
    return this.next() / MODULUS
  }

  /** A uniform integer in [min, max]. */
  int(min: number, max: number): number {
    if (max < min) throw new Error(`empty range [${min}, ${max}]`)
    return min + Math.floor(this.unit() * (max - min + 1))
  }

  /** A standard normal draw (Box–Muller). */
  normal(): number {
    const u = this.unit()
    const v = this.unit()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** A Gamma(alpha, 1) draw (Marsaglia–Tsang; boosted for alpha < 1). */
  gamma(alpha: number): number {
    if (alpha < 1) return this.gamma(alpha + 1) * this.unit() ** (1 / alpha)
    const d = alpha - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      let x: number
      let v: number
      do {
        x = this.normal()
        v = 1 + c * x
      } while (v <= 0)
      v = v * v * v
      const u = this.unit()
      if (u < 1 - 0.0331 * x ** 4) return d * v
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
    }
  }

  /** Shuffles in place (Fisher–Yates). */
  shuffle<T>(values: T[]): T[] {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      const t = values[i] as T
      values[i] = values[j] as T
      values[j] = t
    }
    return values
  }

  /** `n` distinct picks from `values` (all of them when there are fewer). */
  sample<T>(values: readonly T[], n: number): T[] {
    if (n >= values.length) return [...values]
    const picked = new Set<number>()
    while (picked.size < n) picked.add(this.int(0, values.length - 1))
    return [...picked].map((i) => values[i] as T)
  }

  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new Error('pick from an empty list')
    return values[this.int(0, values.length - 1)] as T
  }
}

/** `std::discrete_distribution`: index i with probability weight[i] / Σ weights. */
export class Discrete {
  private readonly cumulative: Float64Array
  private readonly total: number

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new Error('a discrete distribution needs at least one weight')
    this.cumulative = new Float64Array(weights.length)
    let sum = 0
    weights.forEach((w, i) => {
      sum += w
      this.cumulative[i] = sum
    })
    this.total = sum
  }

  draw(rng: MinStdRand0): number {
    const x = rng.unit() * this.total
    let lo = 0
    let hi = this.cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.cumulative[mid] as number) <= x) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** A categorical distribution over `size` items with a symmetric Dirichlet(alpha) prior. */
export function dirichletCategorical(rng: MinStdRand0, size: number, alpha: number): Discrete {
  return new Discrete(Array.from({ length: size }, () => rng.gamma(alpha)))
}

/** A Zipf(skew) popularity over `size` items, ranks assigned to items at random. */
export function zipf(rng: MinStdRand0, size: number, skew: number): Discrete {
  return new Discrete(rng.shuffle(Array.from({ length: size }, (_, i) => 1 / (i + 1) ** skew)))
}
