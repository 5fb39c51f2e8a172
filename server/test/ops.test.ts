/**
 * Operating a real server: the Prometheus scrape moves when traffic flows, one log line per connection open and
 * close, health routes, and the operator API (delete with clients connected, import of every format).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { createLogger } from '../log.ts'
import { readLock } from '../ops/lock.ts'
import { ForwardingStore } from '../storage/forwarding.ts'
import { SqliteStore } from '../storage/sqlite/store.ts'
import { issueToken } from '../auth/tokens.ts'
import { addParagraph, closeEvent, connectClient, paragraphs, rawSocket, startTestServer, waitFor, type TestClient, type TestServer } from './harness.ts'

/** Prometheus text exposition → `name{labels}` → value. Labels are kept in the order the exposition writes them. */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line)
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`)
    out.set(m[1], Number(m[2]))
  }
  return out
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
function sample(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  let found = false
  for (const [key, value] of samples) {
    const brace = key.indexOf('{')
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue
    if (!Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) continue
    sum += value
    found = true
  }
  if (!found) throw new Error(`no sample ${name}${JSON.stringify(labels)} in the scrape`)
  return sum
}

function jsonSink(lines: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line))
      cb()
    },
  })
}

const clients: TestClient[] = []
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})
function client(t: TestServer, room: string, opts: Parameters<typeof connectClient>[2] = {}): TestClient {
  const c = connectClient(t.wsUrl, room, opts)
  clients.push(c)
  return c
}

describe('without auth', () => {
  let t: TestServer
  const logs: Record<string, unknown>[] = []
  beforeAll(async () => {
    t = await startTestServer({}, { log: createLogger({ level: 'info', destination: jsonSink(logs) }) })
  })
  afterAll(() => t.dispose())

  const scrape = async () => {
    const res = await fetch(`${t.httpUrl}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    return parseExposition(await res.text())
  }

  it('/metrics parses as Prometheus text and its counters move when clients edit', async () => {
    const before = await scrape()
    // Defaults: process memory and event-loop delay percentiles.
    expect(sample(before, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(before.has('nodejs_eventloop_lag_p50_seconds')).toBe(true)
    expect(before.has('nodejs_eventloop_lag_p99_seconds')).toBe(true)
    expect(sample(before, 'inkwell_connections_open')).toBe(0)

    const a = client(t, 'metered')
    const b = client(t, 'metered')
    await Promise.all([a.synced, b.synced])
    for (let i = 0; i < 5; i++) addParagraph(a.doc, `line ${i}`)
    await waitFor(() => paragraphs(b.doc).length === 5, 'b has every edit')
    const after = await scrape()

    expect(sample(after, 'inkwell_connections_open')).toBe(2)
    expect(sample(after, 'inkwell_rooms_loaded')).toBe(1)
    expect(sample(after, 'inkwell_connections_opened_total') - sample(before, 'inkwell_connections_opened_total')).toBe(2)
    expect(sample(after, 'inkwell_messages_total', { direction: 'in', type: 'sync-update' })).toBeGreaterThanOrEqual(5)
    expect(sample(after, 'inkwell_messages_total', { direction: 'out', type: 'sync-update' })).toBeGreaterThanOrEqual(5)
    expect(sample(after, 'inkwell_message_bytes_total', { direction: 'in', type: 'sync-step1' })).toBeGreaterThan(0)
    // Every relayed update was timed, its durable write included, and every write was counted.
    expect(sample(after, 'inkwell_relay_latency_seconds_count')).toBeGreaterThanOrEqual(5)
    expect(sample(after, 'inkwell_relay_latency_seconds_bucket', { le: '+Inf' })).toBe(sample(after, 'inkwell_relay_latency_seconds_count'))
    expect(sample(after, 'inkwell_storage_commit_latency_seconds_count')).toBeGreaterThanOrEqual(5)
    const commits = sample(after, 'inkwell_storage_commits_total') - sample(before, 'inkwell_storage_commits_total')
    expect(commits).toBeGreaterThanOrEqual(1)
    expect(commits).toBeLessThanOrEqual(5 + 1) // group commit: never more than one per append

    // A malformed frame is counted as rejected by its close code.
    const ws = await rawSocket(`${t.wsUrl}/metered`)
    ws.send(new Uint8Array([0, 9, 9]))
    expect((await closeEvent(ws)).code).toBe(1002)
    const rejected = await scrape()
    expect(sample(rejected, 'inkwell_rejected_frames_total', { code: 'protocolError' })).toBe(1)
    expect(sample(rejected, 'inkwell_connections_closed_total', { code: 'protocolError' })).toBe(1)
  })

  it('logs one line when a connection opens and one when it closes, with room, duration, bytes, code and reason', async () => {
    const a = client(t, 'logged')
    await a.synced
    addParagraph(a.doc, 'x')
    await waitFor(() => t.server.registry.peek('logged')?.doc.getXmlFragment('prosemirror').length === 1, 'stored')
    a.provider.disconnect()
    await waitFor(() => logs.some((l) => l.msg === 'connection closed' && l.room === 'logged'), 'close line')
    const opened = logs.filter((l) => l.msg === 'connection opened' && l.room === 'logged')
    const closed = logs.filter((l) => l.msg === 'connection closed' && l.room === 'logged')
    expect(opened).toHaveLength(1)
    expect(closed).toHaveLength(1)
    expect(opened[0]).toMatchObject({ level: 30, room: 'logged', mode: 'write', conn: expect.stringMatching(/^c\d+$/) })
    expect(closed[0]).toMatchObject({
      level: 30,
      room: 'logged',
      conn: opened[0].conn,
      mode: 'write',
      code: 1005, // y-websocket's disconnect() closes without a code
      by: 'client',
      ms: expect.any(Number),
      bytesIn: expect.any(Number),
      bytesOut: expect.any(Number),
    })
    expect(closed[0].bytesIn as number).toBeGreaterThan(0)
    expect(typeof closed[0].time).toBe('string')
  })

  it('/healthz and /readyz answer 200 on a live server', async () => {
    expect((await fetch(`${t.httpUrl}/healthz`)).status).toBe(200)
    const ready = await fetch(`${t.httpUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ ready: true })
  })

  it('DELETE closes connected stock clients with 4404, they do not reconnect, and the document is gone', async () => {
    const a = client(t, 'doomed')
    const b = client(t, 'doomed')
    await Promise.all([a.synced, b.synced])
    addParagraph(a.doc, 'soon gone')
    await waitFor(() => paragraphs(b.doc).length === 1, 'b has it')
    const codes: number[] = []
    for (const c of [a, b]) c.provider.on('connection-close', (e: CloseEvent | null) => e && codes.push(e.code))

    const res = await fetch(`${t.httpUrl}/api/docs/doomed`, { method: 'DELETE' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ deleted: 'doomed', clients: 2 })
    await waitFor(() => codes.length === 2, 'both clients closed')
    expect(codes).toEqual([4404, 4404])
    expect(a.provider.shouldConnect).toBe(false)
    expect(b.provider.shouldConnect).toBe(false)
    const { docs } = await (await fetch(`${t.httpUrl}/api/docs`)).json()
    expect(docs.map((d: { name: string }) => d.name)).not.toContain('doomed')
    expect((await fetch(`${t.httpUrl}/api/docs/doomed/export`)).status).toBe(404)
    expect((await fetch(`${t.httpUrl}/api/docs/doomed`, { method: 'DELETE' })).status).toBe(404)
    // A new editor on the same name starts from nothing: the old content does not come back.
    const c = client(t, 'doomed')
    await c.synced
    expect(paragraphs(c.doc)).toEqual([])
  })

  it('PUT imports each format through the room: a connected client sees it live, and the export matches', async () => {
    const watcher = client(t, 'imported')
    await watcher.synced
    const put = (body: BodyInit, type: string) =>
      fetch(`${t.httpUrl}/api/docs/imported`, { method: 'PUT', body, headers: { 'Content-Type': type } })
    const exported = async (format: string) => (await fetch(`${t.httpUrl}/api/docs/imported/export?format=${format}`)).text()

    const md = '# Imported\n\nfrom *markdown*'
    const res = await put(md, 'text/markdown; charset=utf-8')
    expect(res.status).toBe(200)
    expect((await res.json()).name).toBe('imported')
    expect(await exported('markdown')).toBe(md)
    await waitFor(() => watcher.doc.getXmlFragment('prosemirror').toString().includes('<em>markdown</em>'), 'the watcher saw the import live')

    expect((await put('<h1>Html</h1><p>from <strong>html</strong></p>', 'text/html')).status).toBe(200)
    expect(await exported('markdown')).toBe('# Html\n\nfrom **html**')

    const json = JSON.stringify({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'from json' }] }] })
    expect((await put(json, 'application/json')).status).toBe(200)
    expect(await exported('json')).toBe(json)

    // A Yjs update of another document is merged: into a fresh room it restores that document exactly.
    const other = new Y.Doc()
    addParagraph(other, 'from yjs')
    const update = Y.encodeStateAsUpdate(other)
    const fresh = await fetch(`${t.httpUrl}/api/docs/from-yjs`, { method: 'PUT', body: new Uint8Array(update), headers: { 'Content-Type': 'application/octet-stream' } })
    expect(fresh.status).toBe(200)
    expect(await (await fetch(`${t.httpUrl}/api/docs/from-yjs/export?format=text`)).text()).toBe('from yjs')

    expect(paragraphs(watcher.doc)).toEqual(['from json'])
    // The room the import loaded for nobody unloads like any idle room.
    await waitFor(() => t.server.registry.peek('from-yjs') === undefined, 'the imported room unloaded')
  })

  it('PUT refuses an unknown Content-Type (415), bad content (400) and a body over MAX_BODY_BYTES (413)', async () => {
    const put = (body: BodyInit, type: string) => fetch(`${t.httpUrl}/api/docs/refused`, { method: 'PUT', body, headers: { 'Content-Type': type } })
    const unknown = await put('x', 'text/plain')
    expect(unknown.status).toBe(415)
    expect((await unknown.json()).error).toMatch(/text\/markdown, text\/html, application\/json or|text\/markdown, text\/html, application\/json, application\/octet-stream/)
    expect((await put('{"type":"nope"}', 'application/json')).status).toBe(400)
    expect((await put(new Uint8Array([0, 200, 200]), 'application/octet-stream')).status).toBe(400)
    const big = await put('x'.repeat(t.config.limits.bodyBytes + 1), 'text/markdown')
    expect(big.status).toBe(413)
    expect((await (await fetch(`${t.httpUrl}/api/docs`)).json()).docs.map((d: { name: string }) => d.name)).not.toContain('refused')
  })
})

describe('with auth', () => {
  const SECRET = 'ops-test-secret-that-is-long-enough-0123456789'
  let t: TestServer
  const logs: Record<string, unknown>[] = []
  const raw: string[] = []
  beforeAll(async () => {
    const sink = jsonSink(logs)
    const tee = new Writable({
      write(chunk, enc, cb) {
        raw.push(chunk.toString())
        sink.write(chunk, enc, cb)
      },
    })
    t = await startTestServer({ AUTH_SECRET: SECRET }, { log: createLogger({ level: 'trace', destination: tee }) })
  })
  afterAll(async () => {
    await t.dispose()
    // Neither the secret nor any part of it is ever logged, whatever happened above (promise 9).
    const text = raw.join('')
    expect(text.length).toBeGreaterThan(0)
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(SECRET.slice(0, 16))
  })

  it('/metrics needs an admin token; refusals are counted as auth failures and logged', async () => {
    const admin = await issueToken(SECRET, { admin: true, mode: 'write', ttlSeconds: 60 })
    const user = await issueToken(SECRET, { room: 'x', mode: 'write', ttlSeconds: 60 })
    expect((await fetch(`${t.httpUrl}/metrics`)).status).toBe(401)
    expect((await fetch(`${t.httpUrl}/metrics`, { headers: { Authorization: `Bearer ${user}` } })).status).toBe(403)
    const ws = new WebSocket(`${t.wsUrl}/x?token=forged.token.value`)
    expect((await closeEvent(ws)).code).toBe(4401)
    const res = await fetch(`${t.httpUrl}/metrics`, { headers: { Authorization: `Bearer ${admin}` } })
    expect(res.status).toBe(200)
    const samples = parseExposition(await res.text())
    expect(sample(samples, 'inkwell_auth_failures_total', { transport: 'http', reason: 'missing' })).toBe(1)
    expect(sample(samples, 'inkwell_auth_failures_total', { transport: 'http', reason: 'forbidden' })).toBe(1)
    expect(sample(samples, 'inkwell_auth_failures_total', { transport: 'ws', reason: 'invalid' })).toBe(1)
    expect(logs.filter((l) => l.msg === 'request refused').map((l) => [l.status, l.kind, l.path])).toEqual([
      [401, 'missing', '/metrics'],
      [403, 'forbidden', '/metrics'],
    ])
    expect(logs.some((l) => l.msg === 'connection refused' && l.kind === 'invalid' && l.code === 4401)).toBe(true)
  })

  it('DELETE and PUT need an admin token', async () => {
    const write = await issueToken(SECRET, { room: 'guarded', mode: 'write', ttlSeconds: 60 })
    const admin = await issueToken(SECRET, { admin: true, mode: 'write', ttlSeconds: 60 })
    const put = (token: string) =>
      fetch(`${t.httpUrl}/api/docs/guarded`, { method: 'PUT', body: 'hi', headers: { 'Content-Type': 'text/markdown', Authorization: `Bearer ${token}` } })
    expect((await put(write)).status).toBe(403)
    expect((await put(admin)).status).toBe(200)
    const del = (token: string) => fetch(`${t.httpUrl}/api/docs/guarded`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } })
    expect((await del(write)).status).toBe(403)
    expect((await del(admin)).status).toBe(200)
  })
})

describe('data directory lock', () => {
  it('a second server on the same data directory refuses to start; a clean shutdown removes the lock', async () => {
    const t = await startTestServer()
    expect(readLock(t.dataDir)).toMatchObject({ pid: process.pid, holder: 'server', url: t.httpUrl, auth: false })
    await expect(startTestServer({}, { dataDir: t.dataDir })).rejects.toThrow(/Inkwell server .* is using the data directory/)
    // The refused server touched nothing: the first one still serves.
    expect((await fetch(`${t.httpUrl}/readyz`)).status).toBe(200)
    await t.stop()
    expect(readLock(t.dataDir)).toBeNull()
    const again = await startTestServer({}, { dataDir: t.dataDir })
    await again.dispose()
  })
})

/** A real store whose `ping` and `close` the test holds and releases (fault injection, as in storage-faults.test.ts). */
class HeldStore extends ForwardingStore {
  private pings: (() => void)[] = []
  private closing: (() => void) | null = null
  holdClose = false
  get heldPings(): number {
    return this.pings.length
  }
  releasePings(): void {
    for (const release of this.pings.splice(0)) release()
  }
  releaseClose(): void {
    this.closing?.()
  }
  override async ping(): Promise<void> {
    await new Promise<void>((resolve) => this.pings.push(resolve))
    return super.ping()
  }
  override async close(): Promise<void> {
    if (this.holdClose) await new Promise<void>((resolve) => (this.closing = resolve))
    return super.close()
  }
}

describe('readiness during shutdown', () => {
  it('a probe answered after shutdown began says 503 "shutting down", even if storage said yes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inkwell-ready-'))
    const store = new HeldStore(await SqliteStore.open({ dir, durability: 'fsync' }))
    const t = await startTestServer({}, { parts: { store }, dataDir: dir })
    const probe = fetch(`${t.httpUrl}/readyz`)
    await waitFor(() => store.heldPings === 1, 'the probe is asking storage')
    store.holdClose = true
    const stopping = t.stop()
    store.releasePings()
    const res = await probe
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ ready: false, reason: 'shutting down' })
    store.releaseClose()
    await stopping
  })
})
