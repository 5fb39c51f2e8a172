/**
 * The README chart: one group of bars per headline figure, one bar per server, each bar the server's figure as a
 * ratio to the floor measured in the same run (1 = as cheap as the floor). Every figure is turned into a cost, so
 * lower is better everywhere (replay edits/s becomes time per edit). Hand-written SVG on a log scale.
 */
import type { Machine } from './proc.ts'
import type { ScenarioResult } from './report.ts'

interface Headline {
  scenario: string
  key: string
  label: string
  /** Use the last case (the highest rate). */
  lastCase?: boolean
  /** The figure is a throughput: plot floor ÷ value, a cost. */
  invert?: boolean
}

const HEADLINES: Headline[] = [
  { scenario: 'typing', key: 'p99', label: 'typing p99' },
  { scenario: 'typing', key: 'cpuPerDelivery', label: 'typing CPU/delivery' },
  { scenario: 'fanout', key: 'p99', label: 'fan-out p99 (top rate)', lastCase: true },
  { scenario: 'fanout', key: 'cpuPerDelivery', label: 'fan-out CPU/delivery (top rate)', lastCase: true },
  { scenario: 'idle', key: 'kibPerConnection', label: 'memory per idle conn' },
  { scenario: 'bigdoc', key: 'coldMs', label: 'big doc cold open' },
  { scenario: 'replay', key: 'editsPerSec', label: 'replay time per edit', invert: true },
]

const COLORS = ['#1f6feb', '#54aeff', '#8250df', '#d4a72c', '#cf222e', '#2da44e']

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function chart(results: ScenarioResult[], m: Machine, modeName: string): string {
  const byId = new Map(results.map((r) => [r.id, r]))
  const servers = [
    ...new Set(results.flatMap((r) => r.rows.map((a) => a.server).filter((s) => s !== r.floor))),
  ]
  const groups = HEADLINES.map((h) => {
    const r = byId.get(h.scenario)
    const cases = r ? [...new Set(r.rows.map((a) => a.case))] : []
    const c = h.lastCase ? cases[cases.length - 1] : cases[0]
    const bars = servers.map((s) => {
      const a = r?.rows.find((x) => x.server === s && x.case === c)
      const ratio = a?.ratio[h.key] ?? null
      return { server: s, ratio: ratio === null ? null : h.invert ? 1 / ratio : ratio }
    })
    return { label: h.label + (h.lastCase && c ? ` ${c}` : ''), floor: r?.floor ?? '', bars }
  })

  const all = groups.flatMap((g) => g.bars.map((b) => b.ratio)).filter((v): v is number => v !== null && v > 0)
  const lo = Math.min(0.5, 2 ** Math.floor(Math.log2(Math.min(...all, 1))))
  const hi = Math.max(2, 2 ** Math.ceil(Math.log2(Math.max(...all, 1))))
  const barW = 16
  const groupW = servers.length * barW + 28
  const left = 56
  const top = 70
  const plotH = 300
  const width = left + groups.length * groupW + 20
  const height = top + plotH + 110 + 18 * Math.ceil(servers.length / 3)
  const y = (v: number) => top + plotH - ((Math.log2(v) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * plotH

  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">Inkwell benchmark: cost as a ratio to the floor (lower is better, 1 = floor)</text>`,
    `<text x="${left}" y="40" fill="#555">${esc(`${m.nproc} cores, ${m.cpu}, Node ${m.node}; ${m.date.slice(0, 10)}; ${modeName} mode; floor: raw ws relay (big doc: Y.applyUpdate in a fresh process)`)}</text>`,
  )
  for (let v = lo; v <= hi; v *= 2) {
    const yy = y(v).toFixed(1)
    out.push(
      `<line x1="${left}" x2="${width - 20}" y1="${yy}" y2="${yy}" stroke="${v === 1 ? '#000' : '#ddd'}" stroke-width="${v === 1 ? 1.5 : 1}"${v === 1 ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${left - 6}" y="${(Number(yy) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v < 1 ? v.toFixed(2) : v}×</text>`,
    )
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 14
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * barW
      if (b.ratio === null) {
        out.push(`<text x="${x + barW / 2}" y="${y(1) - 4}" text-anchor="middle" fill="#999" font-size="9">n/a</text>`)
        return
      }
      const v = Math.min(Math.max(b.ratio, lo), hi)
      const y1 = y(Math.max(v, 1))
      const y2 = y(Math.min(v, 1))
      out.push(
        `<rect x="${x + 1}" y="${y1.toFixed(1)}" width="${barW - 2}" height="${Math.max(1, y2 - y1).toFixed(1)}" fill="${COLORS[bi % COLORS.length]}"><title>${esc(`${b.server}: ${b.ratio.toFixed(2)}× ${g.floor}`)}</title></rect>`,
        `<text x="${x + barW / 2}" y="${(v >= 1 ? y1 - 3 : y2 + 10).toFixed(1)}" text-anchor="middle" font-size="8" fill="#333">${b.ratio < 10 ? b.ratio.toFixed(1) : b.ratio.toFixed(0)}</text>`,
      )
    })
    const cx = x0 + (servers.length * barW) / 2
    const words = g.label.split(' ')
    const lines: string[] = []
    for (const w of words) {
      if (lines.length && (lines[lines.length - 1] + ' ' + w).length <= 16) lines[lines.length - 1] += ' ' + w
      else lines.push(w)
    }
    lines.forEach((l, li) =>
      out.push(`<text x="${cx}" y="${top + plotH + 16 + li * 13}" text-anchor="middle">${esc(l)}</text>`),
    )
  })
  const ly = top + plotH + 72
  servers.forEach((s, i) => {
    const x = left + (i % 3) * 220
    const yy = ly + Math.floor(i / 3) * 18
    out.push(
      `<rect x="${x}" y="${yy - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${x + 18}" y="${yy + 1}">${esc(s)}</text>`,
    )
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
