/**
 * One server under keystroke load, and the CPU each of its threads used: for A/B comparisons of a change, where the
 * full bench's medians over repeats are too slow to iterate on. Prints the keystroke step's figures (deliveries/s,
 * server CPU µs per delivery, p99) and, per thread, the CPU used from `AT_MS` after the load starts to the end of the
 * window (the main thread, V8's platform threads, the storage worker and the compactor show as separate lines).
 *
 * Run: `npx tsx bench/threads.ts` with
 *   SERVER=inkwell-fsync         (any name from bench/servers/index.ts: raw-relay, inkwell-os, inkwell-memory…)
 *   ROOMS=1 PER=20 RATE=5        (the typing scenario; ROOMS=20 PER=10 RATE=10 is fan-out at 10/s)
 *   WARMUP_MS=3000 MEASURE_MS=10000 AT_MS=4000
 * The server starts as the bench starts it (same limits; BENCH_PROFILE works too). Alternate runs of the old and new
 * code (git stash) and compare: single runs move by ±10% on a shared machine.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runKeystrokes } from './load/keystrokes.ts'
import { threadCpuUs } from './proc.ts'
import { SERVERS } from './servers/index.ts'

// Every stock y-websocket provider adds a process 'exit' listener.
process.setMaxListeners(0)

const env = process.env
const num = (name: string, fallback: number) => Number(env[name] ?? fallback)
const name = env.SERVER ?? 'inkwell-fsync'
const spec = SERVERS.find((s) => s.name === name && s.protocol === 'y-websocket')
if (!spec) {
  const names = SERVERS.filter((s) => s.protocol === 'y-websocket').map((s) => s.name)
  process.stderr.write(`threads: SERVER=${name} is not one of ${names.join(', ')}\n`)
  process.exit(2)
}

const dataDir = mkdtempSync(join(tmpdir(), 'inkwell-threads-'))
const server = await spec.start(dataDir)
try {
  let before = new Map<string, number>()
  const sampler = setTimeout(() => (before = threadCpuUs(server.pid)), num('AT_MS', 4000))
  const result = await runKeystrokes({
    protocol: spec.protocol,
    url: server.wsUrl,
    serverPid: server.pid,
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
  const after = threadCpuUs(server.pid)
  const step = result.steps[0]
  console.log(
    `${name}: ${step.deliveredPerSec.toFixed(0)} deliveries/s, ${step.serverCpuUsPerDelivery.toFixed(1)} µs CPU per ` +
      `delivery, p99 ${step.latency.p99.toFixed(2)} ms, lost ${step.lost}`,
  )
  let total = 0
  for (const [tid, us] of after) {
    const ms = (us - (before.get(tid) ?? 0)) / 1000
    total += ms
    if (ms > 0) console.log(`  thread ${tid}: ${ms} ms`)
  }
  console.log(`  all threads: ${total} ms`)
} finally {
  await server.child.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
