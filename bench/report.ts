/**
 * Turns the rows of every repeat into medians and ratios to the floor, prints them as one table per scenario, and
 * shapes the JSON written to bench/results/latest.json.
 */
import { median } from './stats.ts'
import type { Column, Row, Scenario } from './scenarios/types.ts'

export interface Aggregate {
  server: string
  case: string
  runs: number
  median: Record<string, number | null>
  /** median ÷ the floor's median for the same case; null where no ratio is meaningful. */
  ratio: Record<string, number | null>
  samples: Record<string, (number | null)[]>
}

export interface ScenarioResult {
  id: string
  title: string
  description: string
  floor: string
  columns: Column[]
  rows: Aggregate[]
  /** Servers that cannot run the scenario, with the reason. */
  skipped: Record<string, string>
  /** Servers whose run failed, with the errors. */
  errors: Record<string, string[]>
  notes: string[]
}

export function aggregate(scenario: Scenario, rows: Row[], serverOrder: string[]): Aggregate[] {
  const groups = new Map<string, Row[]>()
  for (const r of rows) {
    const k = JSON.stringify([r.case, r.server])
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  const cases = [...new Set(rows.map((r) => r.case))]
  const order = [scenario.floor, ...serverOrder.filter((s) => s !== scenario.floor)]
  const out: Aggregate[] = []
  for (const c of cases) {
    const aggs: Aggregate[] = []
    for (const server of order) {
      const group = groups.get(JSON.stringify([c, server]))
      if (!group) continue
      const agg: Aggregate = { server, case: c, runs: group.length, median: {}, ratio: {}, samples: {} }
      for (const col of scenario.columns) {
        const values = group.map((r) => r.values[col.key] ?? null)
        const present = values.filter((v): v is number => v !== null)
        agg.samples[col.key] = values
        agg.median[col.key] = present.length ? median(present) : null
      }
      aggs.push(agg)
    }
    const floor = aggs.find((a) => a.server === scenario.floor)
    for (const a of aggs) {
      for (const col of scenario.columns) {
        const v = a.median[col.key]
        const f = floor?.median[col.key]
        a.ratio[col.key] =
          col.ratio === false || v === null || f === null || f === undefined || !Number.isFinite(v) || !(f > 0)
            ? null
            : v / f
      }
    }
    out.push(...aggs)
  }
  return out
}

function cell(col: Column, a: Aggregate): string {
  const v = a.median[col.key]
  if (v === null) return 'n/a'
  if (!Number.isFinite(v)) return '—'
  const text = v.toLocaleString('en-US', { minimumFractionDigits: col.digits, maximumFractionDigits: col.digits })
  const r = a.ratio[col.key]
  return r === null ? text : `${text} ×${r < 10 ? r.toFixed(2) : r.toFixed(1)}`
}

/** One scenario as a plain-text table: value and ×ratio to the floor in every cell. */
export function table(result: ScenarioResult): string {
  const withCase = result.rows.some((r) => r.case !== '')
  const head = [...(withCase ? ['case'] : []), 'server', ...result.columns.map((c) => c.label)]
  const body = result.rows.map((a) => [...(withCase ? [a.case] : []), a.server, ...result.columns.map((c) => cell(c, a))])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < (withCase ? 2 : 1) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  const out = [
    `== ${result.title} — ${result.description}`,
    `   ratios (×) are to ${result.floor} in the same run; lower is better except where a column counts work done (sent/s, deliv/s, edits/s)`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ]
  for (const [server, reason] of Object.entries(result.skipped)) out.push(`${server.padEnd(widths[withCase ? 1 : 0])}  ${reason}`)
  for (const [server, errors] of Object.entries(result.errors)) {
    out.push(`${server}: FAILED ${errors.length}×: ${errors[0].split('\n')[0]}`)
  }
  for (const n of result.notes) out.push(`   ${n}`)
  return out.join('\n')
}
