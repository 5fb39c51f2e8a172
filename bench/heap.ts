/**
 * What one idle connection costs in Inkwell's JavaScript heap, by kind of object: a heap snapshot of a fresh server,
 * then one after N idle clients have connected and synced, and the difference per connection, largest first.
 * RSS (the idle scenario's figure) also holds native memory and heap reserve; this shows what the server keeps.
 *
 * Run: `npx tsx bench/heap.ts` (CLIENTS=500 ROOMS=25 STORAGE=sqlite by default); `SERVER=raw` measures the floor
 * (bench/servers/raw-relay.ts) the same way, to see which objects every `ws` connection costs anyway.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, connectMany } from './load/clients.ts'
import { SERVER_NODE_FLAGS } from '../scripts/node-flags.ts'
import { ROOT, spawnChild, tsEntry, type Child } from './servers/spawn.ts'

const CLIENTS = Number(process.env.CLIENTS ?? 500)
const ROOMS = Number(process.env.ROOMS ?? 25)

// Every stock y-websocket provider adds a process 'exit' listener.
process.setMaxListeners(0)

interface Totals {
  total: number
  by: Map<string, { count: number; size: number }>
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
  nodes: number[]
  strings: string[]
}

/** Asks the server for a heap snapshot (SIGUSR2) and waits until the file is complete. */
async function snapshot(child: Child, dir: string): Promise<HeapSnapshot> {
  const before = new Set(readdirSync(dir))
  child.proc.kill('SIGUSR2')
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300))
    const fresh = readdirSync(dir).filter((f) => !before.has(f))
    if (fresh.length === 0) continue
    try {
      return JSON.parse(readFileSync(join(dir, fresh[0]), 'utf8')) as HeapSnapshot
    } catch {
      // Still being written.
    }
  }
  throw new Error('the server wrote no heap snapshot within 60 s')
}

/** Self size and count per kind of node (constructor name for objects, the V8 type otherwise). */
function totals(s: HeapSnapshot): Totals {
  const fields = s.snapshot.meta.node_fields
  const types = s.snapshot.meta.node_types[0]
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f))
  const by = new Map<string, { count: number; size: number }>()
  let total = 0
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + ti]]
    const size = s.nodes[i + si]
    const name = ['object', 'closure', 'native', 'synthetic'].includes(type) ? s.strings[s.nodes[i + ni]] : ''
    const key = `${type}${name ? ` ${name}` : ''}`.slice(0, 70)
    const e = by.get(key) ?? { count: 0, size: 0 }
    e.count++
    e.size += size
    by.set(key, e)
    total += size
  }
  return { total, by }
}

const dataDir = mkdtempSync(join(tmpdir(), 'inkwell-heap-'))
const snapDir = mkdtempSync(join(tmpdir(), 'inkwell-heapsnap-'))
const raw = process.env.SERVER === 'raw'
const entry = raw ? tsEntry(join(ROOT, 'bench/servers/raw-relay.ts')) : [...SERVER_NODE_FLAGS, join(ROOT, 'scripts/start.mjs'), '--dev']
const child = await spawnChild(['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapDir}`, ...entry], {
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  STORAGE: process.env.STORAGE ?? 'sqlite',
})
try {
  const before = totals(await snapshot(child, snapDir))
  const url = raw ? `ws://127.0.0.1:${child.port}` : `ws://127.0.0.1:${child.port}/collab`
  const clients = await connectMany(CLIENTS, 100, (i) => connect('y-websocket', url, `idle-${i % ROOMS}`), 60_000)
  await new Promise((r) => setTimeout(r, 1000))
  const after = totals(await snapshot(child, snapDir))
  for (const c of clients) c.destroy()
  console.log(
    `JS heap ${(before.total / 1024).toFixed(0)} → ${(after.total / 1024).toFixed(0)} KiB with ${CLIENTS} idle clients ` +
      `over ${ROOMS} rooms: ${((after.total - before.total) / CLIENTS / 1024).toFixed(2)} KiB per connection`,
  )
  const rows = [...after.by]
    .map(([k, v]) => {
      const b = before.by.get(k) ?? { count: 0, size: 0 }
      return { k, count: (v.count - b.count) / CLIENTS, bytes: (v.size - b.size) / CLIENTS }
    })
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, Number(process.env.TOP ?? 30))
  for (const r of rows) console.log(`${r.bytes.toFixed(0).padStart(7)} B/conn ${r.count.toFixed(1).padStart(6)} per conn  ${r.k}`)
} finally {
  await child.stop()
  rmSync(snapDir, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
}
