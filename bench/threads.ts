/**
 * One server under keystroke load, and the CPU each of its threads used: for A/B comparisons of a change, where the
 * full bench's medians over repeats are too slow to iterate on. Prints the keystroke step's figures (deliveries/s,
 * server CPU µs per delivery, p99) and, per thread, the CPU used from `AT_MS` after start to the end of the window
 * (the main thread, V8's platform threads, the storage worker and the compactor show as separate lines).
 *
 * Run: `npx tsx bench/threads.ts` with
 *   SERVER=fsync|os|memory|raw   (default fsync; raw is the floor, bench/servers/raw-relay.ts)
 *   ROOMS=1 PER=20 RATE=5        (the typing scenario; ROOMS=20 PER=10 RATE=10 is fan-out at 10/s)
 *   WARMUP_MS=3000 MEASURE_MS=10000 AT_MS=4000
 *   NODE_ARGS="--cpu-prof"       (extra node flags for the server)
 * Alternate runs of the old and new code (git stash) and compare; single runs move by ±10% on a shared machine.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runKeystrokes } from './load/keystrokes.ts'
import { ROOT, spawnChild, tsEntry } from './servers/spawn.ts'

// Every stock y-websocket provider adds a process 'exit' listener.
process.setMaxListeners(0)

const env = process.env
const server = env.SERVER ?? 'fsync'
const raw = server === 'raw'
const num = (name: string, fallback: number) => Number(env[name] ?? fallback)

const dataDir = mkdtempSync(join(tmpdir(), 'inkwell-threads-'))
const nodeArgs = env.NODE_ARGS ? env.NODE_ARGS.split(' ') : []
const child = await spawnChild(
  raw ? [...nodeArgs, ...tsEntry(join(ROOT, 'bench/servers/raw-relay.ts'))] : [...nodeArgs, join(ROOT, 'scripts/start.mjs'), '--dev'],
  {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    STORAGE: server === 'memory' ? 'memory' : 'sqlite',
    DURABILITY: server === 'os' ? 'os' : 'fsync',
    // As in the bench (servers/index.ts): no rate limit ends a measurement.
    MAX_MESSAGES_PER_SECOND: '1000000',
    MAX_MESSAGE_BURST: '10000000',
    MAX_CPU_MS_PER_SECOND: '1000',
    MAX_CPU_BURST_MS: '600000',
  },
)

/** CPU milliseconds used so far by each thread of the server, by thread id. */
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10)
    } catch {
      // The thread ended while we looked.
    }
  }
  return out
}

try {
  let before = new Map<string, number>()
  const sampler = setTimeout(() => (before = threadCpuMs()), num('AT_MS', 4000))
  const url = raw ? `ws://127.0.0.1:${child.port}` : `ws://127.0.0.1:${child.port}/collab`
  const result = await runKeystrokes({
    protocol: 'y-websocket',
    url,
    serverPid: child.pid,
    metricsUrl: null,
    roomPrefix: 'threads',
    rooms: num('ROOMS', 1),
    perRoom: num('PER', 20),
    rates: [num('RATE', 5)],
    warmupMs: num('WARMUP_MS', 3000),
    measureMs: num('MEASURE_MS', 10_000),
    drainMs: 3000,
    seed: 5,
  })
  clearTimeout(sampler)
  const after = threadCpuMs()
  const step = result.steps[0]
  console.log(
    `${server}: ${step.deliveredPerSec.toFixed(0)} deliveries/s, ${step.serverCpuUsPerDelivery.toFixed(1)} µs CPU per ` +
      `delivery, p99 ${step.latency.p99.toFixed(2)} ms, lost ${step.lost}`,
  )
  let total = 0
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) ?? 0)
    total += used
    if (used > 0) console.log(`  thread ${tid}: ${used} ms`)
  }
  console.log(`  all threads: ${total} ms`)
} finally {
  await child.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
