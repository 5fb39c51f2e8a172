/**
 * The goals of issue 5 (against the peers) and issue 3 (the cost of durability), read off the same run's medians:
 * each with the figure measured, the goal, and whether it is met. Printed after the tables and stored in the JSON.
 */
import type { ScenarioResult } from './report.ts'

export interface GoalCheck {
  issue: number
  goal: string
  measured: string
  /** null: the figure is missing (scenario skipped or failed), or the goal is informational. */
  met: boolean | null
}

type Pick = (scenario: string, server: string, key: string, opts?: { case?: 'first' | 'last'; ratio?: boolean }) => number | null

function picker(results: ScenarioResult[]): Pick {
  return (scenario, server, key, opts = {}) => {
    const r = results.find((x) => x.id === scenario)
    if (!r) return null
    const cases = [...new Set(r.rows.map((a) => a.case))]
    const c = opts.case === 'last' ? cases[cases.length - 1] : cases[0]
    const a = r.rows.find((x) => x.server === server && x.case === c)
    const v = opts.ratio ? a?.ratio[key] : a?.median[key]
    return v === undefined || v === null || !Number.isFinite(v) ? null : v
  }
}

const f = (v: number | null, digits = 2, unit = '') => (v === null ? 'n/a' : `${v.toFixed(digits)}${unit}`)
const x = (v: number | null) => f(v, 2, '×')
const div = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)
const check = (v: number | null, ok: (v: number) => boolean) => (v === null ? null : ok(v))

/** Inkwell's default mode is the one the goals are about (issue 5: "with fsync durability on"). */
const INK = 'inkwell-fsync'

export function goals(results: ScenarioResult[]): GoalCheck[] {
  const get = picker(results)
  const out: GoalCheck[] = []

  const typingCpu = get('typing', INK, 'cpuPerDelivery', { ratio: true })
  const fanCpu = get('fanout', INK, 'cpuPerDelivery', { ratio: true, case: 'last' })
  const fanCase = results.find((r) => r.id === 'fanout')?.rows.at(-1)?.case
  const fan = fanCase ? `fan-out ${fanCase}` : 'fan-out'
  out.push({
    issue: 5,
    goal: 'server CPU per delivered update ≤ 1.25× raw relay',
    measured: `typing ${x(typingCpu)}, ${fan} ${x(fanCpu)}`,
    met: typingCpu === null && fanCpu === null ? null : (typingCpu ?? 0) <= 1.25 && (fanCpu ?? 0) <= 1.25,
  })
  const p99 = get('typing', INK, 'p99', { ratio: true })
  out.push({ issue: 5, goal: 'typing p99 ≤ 1.2× raw relay', measured: x(p99), met: check(p99, (v) => v <= 1.2) })
  const kib = get('idle', INK, 'kibPerConnection')
  const kibCold = get('idle', INK, 'kibFromCold')
  out.push({
    issue: 5,
    goal: 'memory per idle connection ≤ 10 KiB',
    measured: `${f(kib, 1, ' KiB')} (from a cold start: ${f(kibCold, 1, ' KiB')})`,
    met: check(kib, (v) => v <= 10),
  })
  const cold = get('bigdoc', INK, 'coldMs')
  out.push({ issue: 5, goal: 'big document connect-to-synced ≤ 100 ms (cold, after restart)', measured: f(cold, 1, ' ms'), met: check(cold, (v) => v <= 100) })
  const disk = get('bigdoc', INK, 'diskRatio')
  out.push({ issue: 5, goal: 'big document disk ÷ state ≤ 1.05', measured: f(disk, 3), met: check(disk, (v) => v <= 1.05) })
  const replay = get('replay', INK, 'editsPerSec', { ratio: true })
  out.push({ issue: 5, goal: 'replay ≥ 0.8× raw relay edits/s', measured: x(replay), met: check(replay, (v) => v >= 0.8) })

  const p99Mem = div(get('typing', INK, 'p99'), get('typing', 'inkwell-memory', 'p99'))
  out.push({ issue: 3, goal: 'fsync typing p99 within 1.5× of no-storage', measured: x(p99Mem), met: check(p99Mem, (v) => v <= 1.5) })
  out.push({ issue: 3, goal: 'bytes on disk after compaction ÷ state size ≤ 1.1', measured: f(disk, 3), met: check(disk, (v) => v <= 1.1) })
  const coldRatio = get('bigdoc', INK, 'coldMs', { ratio: true })
  out.push({ issue: 3, goal: 'cold load ≤ 1.5× Y.applyUpdate floor (fresh process)', measured: x(coldRatio), met: check(coldRatio, (v) => v <= 1.5) })
  const loop = [get('typing', INK, 'eventLoopP99'), get('replay', INK, 'eventLoopP99')]
  out.push({
    issue: 3,
    goal: 'event-loop delay p99 under load (reported)',
    measured: loop.every((v) => v === null) ? 'n/a: not exposed by the server' : `typing ${f(loop[0], 1, ' ms')}, replay ${f(loop[1], 1, ' ms')}`,
    met: null,
  })
  // The cost of durability: each mode as a ratio to the no-storage baseline, same run.
  for (const mode of ['inkwell-fsync', 'inkwell-os']) {
    const r = (s: string, k: string, o?: { case?: 'last' }) => x(div(get(s, mode, k, o), get(s, 'inkwell-memory', k, o)))
    out.push({
      issue: 3,
      goal: `cost of durability, ${mode.slice(8)} ÷ memory (reported)`,
      measured:
        `typing p50 ${r('typing', 'p50')}, p99 ${r('typing', 'p99')}, CPU/deliv ${r('typing', 'cpuPerDelivery')}; ` +
        `${fan} deliv/s ${r('fanout', 'deliveredPerSec', { case: 'last' })}, p99 ${r('fanout', 'p99', { case: 'last' })}; ` +
        `replay edits/s ${r('replay', 'editsPerSec')}`,
      met: null,
    })
  }
  return out
}

export function goalsTable(checks: GoalCheck[]): string {
  const mark = (m: boolean | null) => (m === null ? '    ' : m ? 'MET ' : 'MISS')
  const w = Math.max(...checks.map((c) => c.goal.length))
  return [
    `== Goals (${INK} unless stated; medians of this run)`,
    ...checks.map((c) => `${mark(c.met)}  #${c.issue}  ${c.goal.padEnd(w)}  ${c.measured}`),
  ].join('\n')
}
