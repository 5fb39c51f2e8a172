/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): the functions with the most self time, and self time by package.
 *
 * Run: `SKIP_MS=3000 TAIL_MS=1000 npx tsx bench/profile.ts /tmp/prof/*.cpuprofile` (profiles come from
 * `BENCH_PROFILE=/tmp/prof npm run bench`, or from `node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/start.mjs --dev`).
 * A profile samples wall time: a thread blocked in a system call (an fsync) shows as the function that made the call,
 * so read the storage worker's figures as time spent, not CPU used.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/**
 * SKIP_MS and TAIL_MS leave out the first and last milliseconds of each profile: start-up (module loading and
 * compiling) and shutdown (flushing and compacting every room), so that what remains is the steady state.
 */
const SKIP_US = Number(process.env.SKIP_MS ?? 0) * 1000
const TAIL_US = Number(process.env.TAIL_MS ?? 0) * 1000

/** `node_modules/yjs/…` → yjs; our own files by their path under the repo; V8's pseudo-frames as they are. */
function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)'
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]
  if (url.startsWith('node:')) return 'node: core'
  const own = /\/(server|shared|scripts)\/(.+)$/.exec(url)
  return own ? `inkwell ${own[1]}/${own[2].split('/')[0]}` : url
}

function summarise(file: string, top: number): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  let total = 0
  let elapsed = 0
  const end = p.timeDeltas.reduce((a, b) => a + b, 0) - TAIL_US
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    elapsed += dt
    if (elapsed < SKIP_US || elapsed > end) return
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
  })
  const byFn = new Map<string, number>()
  const byPkg = new Map<string, number>()
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(server|shared|scripts)\//, '$1/')}:${lineNumber + 1}` : ''
    const key = `${functionName || '(anonymous)'} ${where}`.trim()
    byFn.set(key, (byFn.get(key) ?? 0) + us)
    const pkg = packageOf(url, functionName)
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us)
  }
  const busy = total - (byFn.get('(idle)') ?? 0)
  const fmt = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%`
  const out = [`${basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (percentages of busy)`]
  out.push('  top self time:')
  for (const [k, us] of [...byFn].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) {
    out.push(`  ${fmt(us)}  ${k}`)
  }
  out.push('  self time by package:')
  for (const [k, us] of [...byPkg].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    out.push(`  ${fmt(us)}  ${k}`)
  }
  return out
}

const files = process.argv.slice(2)
if (files.length === 0) {
  process.stderr.write('usage: npx tsx bench/profile.ts <file.cpuprofile>…\n')
  process.exit(2)
}
for (const f of files) console.log(summarise(f, Number(process.env.TOP ?? 25)).join('\n') + '\n')
