/**
 * `npm run bench`: every scenario against every server, servers interleaved within each repeat (A, B, C, A, B, C…)
 * so that noise from the machine hits them alike; medians over the repeats, every figure also as a ratio to the
 * floor measured in the same run. Prints one table per scenario and writes latest.json and chart.svg: to
 * bench/results/ for a whole full-mode run (what the README shows), to bench/results/tmp/ otherwise.
 *
 * Environment: BENCH_FULL=1 for the full mode; BENCH_ONLY=typing,fanout to run some scenarios; BENCH_SERVERS=
 * inkwell-fsync,hocuspocus to run some servers (the floor always runs); INKWELL_TRACE for the trace's path.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mode as pickMode, type Mode } from './config.ts'
import { Agent } from './load/handle.ts'
import { machine } from './proc.ts'
import { aggregate, table, type ScenarioResult } from './report.ts'
import { chart } from './chart.ts'
import { goals, goalsTable } from './goals.ts'
import { FLOOR, SERVERS, type ServerSpec } from './servers/index.ts'
import { killAll } from './servers/spawn.ts'
import { checkTrace, tracePath } from './trace.ts'
import type { Context, Row, Scenario } from './scenarios/types.ts'
import { typing } from './scenarios/typing.ts'
import { fanout } from './scenarios/fanout.ts'
import { idle } from './scenarios/idle.ts'
import { bigdoc } from './scenarios/bigdoc.ts'
import { replay } from './scenarios/replay.ts'

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))
const ALL: Scenario[] = [typing, fanout, idle, bigdoc, replay]
const NEEDS_TRACE = new Set(['bigdoc', 'replay'])

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : null)

/** Why a server cannot run here (its packages are not installed), or null. */
function unavailable(spec: ServerSpec): string | null {
  if (spec.protocol !== 'hocuspocus') return null
  const require = createRequire(import.meta.url)
  for (const pkg of ['@hocuspocus/server', '@hocuspocus/provider', '@hocuspocus/extension-sqlite']) {
    try {
      require.resolve(pkg)
    } catch {
      return `not benchmarked: ${pkg} is not installed (npm install -D ${pkg})`
    }
  }
  return null
}

const say = (s: string) => process.stderr.write(`${s}\n`)

/** What a scenario run needs besides the scenario: the generator (restarted if a job killed it) and the servers. */
interface Runner {
  agent: Agent
  servers: ServerSpec[]
  /** Servers that are not installed, with the reason: shown as skipped in every table. */
  missing: Record<string, string>
  context(): Context
}

/** Every repeat of one scenario, servers interleaved within each repeat; medians and ratios. */
async function runScenario(scenario: Scenario, run: Runner, m: Mode): Promise<ScenarioResult> {
  const result: ScenarioResult = {
    id: scenario.id,
    title: scenario.title,
    description: scenario.describe(m),
    floor: scenario.floor,
    columns: scenario.columns,
    rows: [],
    skipped: { ...run.missing },
    errors: {},
    notes: [],
  }
  const fail = (server: string, err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err)
    ;(result.errors[server] ??= []).push(msg)
    say(`bench: ${scenario.id} on ${server} failed: ${msg}`)
  }
  const rows: Row[] = []
  try {
    await scenario.prepare?.(run.context())
    result.description = scenario.describe(m)
  } catch (err) {
    fail('prepare', err)
    return result
  }
  const repeats = scenario.repeats(m)
  for (let rep = 0; rep < repeats; rep++) {
    if (scenario.floorRows) {
      try {
        rows.push(...(await scenario.floorRows(run.context())))
      } catch (err) {
        fail(scenario.floor, err)
      }
    }
    for (const spec of run.servers) {
      const why = scenario.skip?.(spec)
      if (why) {
        result.skipped[spec.name] = why
        continue
      }
      if (!run.agent.alive) run.agent = await Agent.start()
      const t = performance.now()
      try {
        rows.push(...(await scenario.runOnce(run.context(), spec)))
        say(`  ${scenario.id} ${rep + 1}/${repeats} ${spec.name}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
      } catch (err) {
        fail(spec.name, err)
      }
    }
  }
  result.rows = aggregate(
    scenario,
    rows,
    run.servers.map((s) => s.name),
  )
  result.notes = scenario.notes?.(result.rows.map((a) => ({ server: a.server, case: a.case, values: a.median }))) ?? []
  return result
}

async function main(): Promise<number> {
  const started = performance.now()
  const m = pickMode()
  const only = list(process.env.BENCH_ONLY)
  const pickServers = list(process.env.BENCH_SERVERS)
  const mach = machine()
  const loadStart = loadavg()[0]

  let trace: string | null = null
  try {
    trace = checkTrace(tracePath())
  } catch (err) {
    say(`bench: ${(err as Error).message}`)
    say('bench: the big-document and replay scenarios are skipped.')
  }
  const missing: Record<string, string> = {}
  const servers = SERVERS.filter((s) => s.name === FLOOR || !pickServers || pickServers.includes(s.name)).filter((s) => {
    const why = unavailable(s)
    if (why) missing[s.name] = why
    return !why
  })

  console.log(`Inkwell bench, ${m.name} mode — ${mach.nproc} cores, ${mach.cpu}, Node ${mach.node}, ${mach.date}`)
  console.log(`servers: ${servers.map((s) => s.name).join(', ')}`)
  for (const s of servers) console.log(`  ${s.name.padEnd(15)} ${s.about}`)
  for (const [name, why] of Object.entries(missing)) console.log(`  ${name.padEnd(15)} ${why}`)
  if (loadStart > 0.5) {
    console.log(`note: load average ${loadStart.toFixed(2)} at start: other processes compete for the cores, expect noise`)
  }

  const tmpDir = join(RESULTS, 'tmp')
  mkdirSync(tmpDir, { recursive: true })
  const run: Runner = {
    agent: await Agent.start(),
    servers,
    missing,
    context: () => ({ agent: run.agent, mode: m, tracePath: trace ?? '', tmpDir }),
  }
  const results: ScenarioResult[] = []
  for (const scenario of ALL.filter((s) => !only || only.includes(s.id))) {
    if (NEEDS_TRACE.has(scenario.id) && !trace) {
      console.log(`\n== ${scenario.title}: skipped, the editing trace is missing (set INKWELL_TRACE)`)
      continue
    }
    const t0 = performance.now()
    const result = await runScenario(scenario, run, m)
    results.push(result)
    console.log(`\n${table(result)}`)
    say(`  (${scenario.id}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  }
  run.agent.close()

  const checks = goals(results)
  console.log(`\n${goalsTable(checks)}`)
  const seconds = (performance.now() - started) / 1000
  const loadEnd = loadavg()[0]
  const json = {
    machine: mach,
    mode: m,
    seconds,
    loadAverage: { start: loadStart, end: loadEnd },
    servers: servers.map((s) => ({ name: s.name, about: s.about })),
    unavailable: missing,
    traceMissing: trace === null,
    goals: checks,
    scenarios: results,
  }
  // Six significant digits are more than any figure here is worth, and keep the file readable.
  const round = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v)
  // bench/results/ holds what the README shows: only a whole full-mode run writes there. A quick run, or one of some
  // scenarios or servers, goes beside the cache, so running the bench never rewrites the committed figures.
  const partial = only !== null || pickServers !== null
  const readme = !partial && m.name === 'full'
  const outDir = readme ? RESULTS : tmpDir
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(json, round, 2) + '\n')
  writeFileSync(join(outDir, 'chart.svg'), chart(results, mach, m.name))
  rmDataDirs(tmpDir)
  const shown = readme ? 'bench/results/' : `bench/results/tmp/ (${partial ? 'a partial run' : 'quick mode'})`
  console.log(
    `\nwrote latest.json and chart.svg in ${shown}; ${seconds.toFixed(0)} s in all; ` +
      `load average ${loadStart.toFixed(2)} → ${loadEnd.toFixed(2)}`,
  )
  const failed = results.some((r) => Object.keys(r.errors).length > 0) || !trace
  return failed ? 1 : 0
}

/**
 * Data directories are removed after each measurement; this catches any that a failure left behind. They are named
 * `<server>-XXXXXX` (scenarios/with-server.ts); the trace cache (trace-*.yjs) stays.
 */
function rmDataDirs(tmpDir: string): void {
  const names = SERVERS.map((s) => s.name)
  for (const entry of readdirSync(tmpDir)) {
    if (names.some((n) => entry.startsWith(`${n}-`))) rmSync(join(tmpDir, entry), { recursive: true, force: true })
  }
}

main().then(
  (code) => {
    killAll()
    process.exit(code)
  },
  (err: Error) => {
    say(`bench: ${err.stack ?? err.message}`)
    killAll()
    process.exit(1)
  },
)
