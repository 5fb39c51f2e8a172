/**
 * Promise 1 (durability), tested by breaking it on purpose: a real server process, stock clients typing into
 * several rooms, one observer per room recording everything the server relays, `kill -9` at a seeded random moment,
 * a restart on the same data directory, and a check that every update any observer saw is in the reloaded rooms.
 *
 * Two cases: writers still typing at the kill (their providers are destroyed before the restart, so nothing can be
 * re-sent), and writers that disconnected before the kill, so rooms are unloading and compacting when it lands.
 * Small compaction thresholds make kills during compaction likely. Pinned seeds run on every `npm test`;
 * `INKWELL_CRASH_SEEDS=50` runs more.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { spawnServer, type ChildServer } from './child-server.ts'
import { connectClient, waitFor, type TestClient } from './harness.ts'
import { int, rng } from './rng.ts'

const ROOMS = 3
const WRITERS_PER_ROOM = 4 // 12 writers in all
const extra = Number(process.env.INKWELL_CRASH_SEEDS ?? 0)
const SEEDS = [11, 23, 37, ...Array.from({ length: extra }, (_, i) => 1000 + i)]

let cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const f of cleanup.reverse()) await f()
  cleanup = []
})

function textOf(doc: Y.Doc): string {
  return doc.getText('t').toString()
}

/** Everything in `seen` is also in `reloaded`: merging `seen` into it changes nothing. */
function contains(reloaded: Uint8Array, seen: Uint8Array): boolean {
  const a = new Y.Doc()
  Y.applyUpdate(a, reloaded)
  const before = textOf(a)
  const svBefore = Y.encodeStateVector(a)
  Y.applyUpdate(a, seen)
  return textOf(a) === before && Buffer.compare(Buffer.from(Y.encodeStateVector(a)), Buffer.from(svBefore)) === 0
}

async function crashRun(seed: number, writersLeaveFirst: boolean): Promise<{ observed: number; rooms: string[] }> {
  const r = rng(seed)
  const dataDir = mkdtempSync(join(tmpdir(), 'inkwell-crash-'))
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const env = { DATA_DIR: dataDir, DURABILITY: 'fsync', COMPACT_RECORDS: '25', COMPACT_INTERVAL_MS: '0', ROOM_IDLE_MS: String(int(r, 0, 30)) }
  let server: ChildServer = await spawnServer(env)
  cleanup.push(() => void server.proc.kill('SIGKILL'))

  const rooms = Array.from({ length: ROOMS }, (_, i) => `crash-${seed}-${i}`)
  const observers = rooms.map((room) => connectClient(server.wsUrl, room))
  cleanup.push(() => observers.forEach((o) => o.destroy()))
  await Promise.all(observers.map((o) => o.synced))
  let observed = 0
  for (const o of observers) o.doc.on('update', () => observed++)

  const writers: TestClient[] = []
  for (const room of rooms) for (let w = 0; w < WRITERS_PER_ROOM; w++) writers.push(connectClient(server.wsUrl, room))
  cleanup.push(() => writers.forEach((w) => w.destroy()))
  await Promise.all(writers.map((w) => w.synced))

  // Typing: each writer inserts or deletes at a seeded position on every turn until stopped.
  let typing = true
  const typed = (async () => {
    while (typing) {
      const w = writers[int(r, 0, writers.length - 1)]
      const text = w.doc.getText('t')
      if (text.length > 5 && r() < 0.25) text.delete(int(r, 0, text.length - 2), 1)
      else text.insert(int(r, 0, text.length), String.fromCharCode(97 + int(r, 0, 25)))
      await new Promise((res) => setImmediate(res))
    }
  })()

  const killAfter = int(r, 30, 250)
  await waitFor(() => observed >= killAfter, `observers saw ${killAfter} updates`, 20_000)
  if (writersLeaveFirst) {
    typing = false
    await typed
    for (const w of writers) w.provider.disconnect()
    // The kill lands while rooms drain, unload and compact (ROOM_IDLE_MS is 0–30 ms).
    const extraTurns = int(r, 0, 40)
    for (let i = 0; i < extraTurns; i++) await new Promise((res) => setImmediate(res))
  }
  server.proc.kill('SIGKILL')
  await server.exited
  typing = false
  await typed
  // Nobody may re-send after the restart: what survives is only what the server stored.
  for (const w of writers) w.destroy()
  for (const o of observers) o.provider.disconnect()
  const seen = observers.map((o) => Y.encodeStateAsUpdate(o.doc))

  server = await spawnServer(env)
  for (let i = 0; i < rooms.length; i++) {
    const res = await fetch(`${server.httpUrl}/api/docs/${rooms[i]}/export?format=yjs`)
    expect(res.status, `room ${rooms[i]} exists after the crash`).toBe(200)
    const reloaded = new Uint8Array(await res.arrayBuffer())
    expect(contains(reloaded, seen[i]), `seed ${seed}: everything observed in ${rooms[i]} survived kill -9`).toBe(true)
  }
  // The reloaded store is healthy: nothing was quarantined.
  for (const room of rooms) {
    const meta = await (await fetch(`${server.httpUrl}/api/docs/${room}`)).json()
    expect(meta.quarantined, `${room} has no quarantined records`).toBe(0)
  }
  server.proc.kill('SIGTERM')
  expect(await server.exited).toBe(0)
  return { observed, rooms }
}

describe('kill -9 loses nothing any client saw', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: writers typing at the kill`, { timeout: 60_000 }, async () => {
      const { observed } = await crashRun(seed, false)
      expect(observed).toBeGreaterThan(0)
    })
    it(`seed ${seed}: writers gone before the kill, rooms unloading`, { timeout: 60_000 }, async () => {
      const { observed } = await crashRun(seed + 5000, true)
      expect(observed).toBeGreaterThan(0)
    })
  }
})

describe('clean shutdown', () => {
  it('SIGTERM closes clients with 1012, stores everything, and exits 0', { timeout: 30_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inkwell-term-'))
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const server = await spawnServer({ DATA_DIR: dataDir })
    cleanup.push(() => void server.proc.kill('SIGKILL'))
    const a = connectClient(server.wsUrl, 'term')
    cleanup.push(() => a.destroy())
    await a.synced
    const codes: number[] = []
    a.provider.on('connection-close', (e: CloseEvent | null) => e && codes.push(e.code))
    for (let i = 0; i < 200; i++) a.doc.getText('t').insert(0, 'x')
    const expected = textOf(a.doc)
    server.proc.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    await waitFor(() => codes.length > 0, 'the client saw the close')
    expect(codes[0]).toBe(1012)
    a.provider.disconnect()
    const again = await spawnServer({ DATA_DIR: dataDir })
    cleanup.push(() => void again.proc.kill('SIGKILL'))
    const doc = new Y.Doc()
    Y.applyUpdate(doc, new Uint8Array(await (await fetch(`${again.httpUrl}/api/docs/term/export?format=yjs`)).arrayBuffer()))
    // Every update the client sent before SIGTERM reached the server (same socket, in order) and was stored.
    expect(textOf(doc)).toBe(expected)
  })
})
