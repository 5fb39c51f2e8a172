/** Order statistics for latency samples and for medians over repeats. */

/** The q-quantile (0..1) of `values` by nearest rank; NaN for no values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.ceil(q * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v))
  if (finite.length === 0) return NaN
  const s = [...finite].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export interface Latency {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
}

export function latency(samples: ArrayLike<number>): Latency {
  let max = samples.length ? -Infinity : NaN
  for (let i = 0; i < samples.length; i++) max = Math.max(max, samples[i])
  return {
    n: samples.length,
    p50: quantile(samples, 0.5),
    p95: quantile(samples, 0.95),
    p99: quantile(samples, 0.99),
    max,
  }
}

/** The seeded generator the tests use, so every server gets the same keystrokes. */
export { rng } from '../server/test/rng.ts'
