/**
 * The heartbeat (server/transport/heartbeat.ts), on a real server with a short `PING_INTERVAL_MS`: a connection
 * whose other end is gone is dropped, and everything it held goes with it; one that answers stays, however quiet.
 * "Gone" is a real `ws` client with its automatic pong turned off, which is what the server sees of a laptop that
 * went to sleep: a socket that says nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { awarenessFrame } from './attack-frames.ts'
import { closeEvent, connectClient, startTestServer, waitFor, type TestClient, type TestServer } from './harness.ts'

const INTERVAL_MS = 100

let t: TestServer
beforeAll(async () => {
  t = await startTestServer({ PING_INTERVAL_MS: String(INTERVAL_MS) })
})
afterAll(() => t.dispose())

function open(room: string, opts: { autoPong?: boolean; server?: TestServer } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${(opts.server ?? t).wsUrl}/${room}`, { autoPong: opts.autoPong ?? true })
    ws.binaryType = 'nodebuffer'
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function nameIn(c: TestClient, id: number): string | undefined {
  return (c.provider.awareness.getStates().get(id) as { user?: { name?: string } } | undefined)?.user?.name
}

async function closedCount(code: string): Promise<number> {
  const text = await (await fetch(`${t.httpUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`inkwell_connections_closed_total{code="${code}"}`))
  return line ? Number(line.split(' ').pop()) : 0
}

describe('heartbeat (PING_INTERVAL_MS)', () => {
  it('drops a connection that answers nothing, removes its cursor, and frees its awareness id for the reconnect', async () => {
    const room = 'heartbeat-gone'
    const watcher = connectClient(t.wsUrl, room, { name: 'Watcher' })
    await watcher.synced
    const abnormalBefore = await closedCount('abnormal')
    // The editor's first connection shows a cursor, then its laptop sleeps: no pong, no message from here on.
    const id = 424242
    const gone = await open(room, { autoPong: false })
    const closed = closeEvent(gone)
    gone.send(awarenessFrame([{ clientID: id, clock: 1, state: { user: { name: 'Ada' } } }]))
    await waitFor(() => nameIn(watcher, id) === 'Ada', 'the watcher sees Ada')

    // Dropped without a close frame (nothing would answer one): the client side sees 1006.
    expect((await closed).code).toBe(1006)
    await waitFor(() => t.server.registry.peek(room)?.peerCount === 1, 'the room has only the watcher left')
    await waitFor(() => !watcher.provider.awareness.getStates().has(id), 'Ada’s cursor is removed for the watcher')
    expect(await closedCount('abnormal')).toBe(abnormalBefore + 1)

    // The same editor reconnects with the same awareness client id (the stock provider keeps it): the id is free
    // again, so its cursor shows. While the dead connection held it, this claim would have been dropped.
    const back = await open(room)
    back.send(awarenessFrame([{ clientID: id, clock: 2, state: { user: { name: 'Ada, back' } } }]))
    await waitFor(() => nameIn(watcher, id) === 'Ada, back', 'the watcher sees Ada again')
    back.close()
    watcher.destroy()
  })

  it('keeps connections that answer pings, however quiet, and stock providers stay connected', async () => {
    const room = 'heartbeat-quiet'
    const editor = connectClient(t.wsUrl, room)
    await editor.synced
    let closes = 0
    editor.provider.on('connection-close', () => closes++)
    const quiet = await open(room)
    let pings = 0
    quiet.on('ping', () => pings++)
    await waitFor(() => pings >= 5, 'five heartbeat rounds')
    expect(quiet.readyState).toBe(WebSocket.OPEN)
    expect(editor.provider.wsconnected).toBe(true)
    expect(closes).toBe(0)
    expect(t.server.registry.peek(room)?.peerCount).toBe(2)
    quiet.close()
    editor.destroy()
  })

  it('counts any message as an answer: a client that never pongs but keeps talking stays', async () => {
    const room = 'heartbeat-talking'
    const talker = await open(room, { autoPong: false })
    let pings = 0
    talker.on('ping', () => {
      pings++
      talker.send(Uint8Array.of(3)) // query-awareness: a message the server answers and stores nothing for
    })
    await waitFor(() => pings >= 5, 'five heartbeat rounds')
    expect(talker.readyState).toBe(WebSocket.OPEN)
    expect(t.server.registry.peek(room)?.peerCount).toBe(1)
    talker.close()
  })

  it('an editor that reconnects while its old connection lingers gets its cursor back in seconds, not at the next round', async () => {
    // Rounds 10 minutes apart: only the check that a contested awareness id sets off can explain a quick drop.
    const slow = await startTestServer({ PING_INTERVAL_MS: '600000' })
    try {
      const room = 'heartbeat-reconnect'
      const watcher = connectClient(slow.wsUrl, room, { name: 'Watcher' })
      await watcher.synced
      const id = 515151
      const gone = await open(room, { autoPong: false, server: slow })
      const closed = closeEvent(gone)
      gone.send(awarenessFrame([{ clientID: id, clock: 1, state: { user: { name: 'Ada' } } }]))
      await waitFor(() => nameIn(watcher, id) === 'Ada', 'the watcher sees Ada')

      // The same editor (same Yjs client id) on a new connection, a stock provider; its state changed since.
      const doc = new Y.Doc()
      doc.clientID = id
      const back = connectClient(slow.wsUrl, room, { doc, name: 'Ada' })
      back.provider.awareness.setLocalStateField('user', { name: 'Ada, back', color: '#336699' })
      await waitFor(() => nameIn(watcher, id) === 'Ada, back', 'the watcher sees Ada’s new connection', 10_000)
      expect((await closed).code).toBe(1006)
      expect(slow.server.registry.peek(room)?.peerCount).toBe(2)
      back.destroy()
      watcher.destroy()
    } finally {
      await slow.dispose()
    }
  })

  it('a contested id stays with its owner while the owner answers', async () => {
    const room = 'heartbeat-contested'
    const watcher = connectClient(t.wsUrl, room, { name: 'Watcher' })
    await watcher.synced
    const owner = connectClient(t.wsUrl, room, { name: 'Owner' })
    await owner.synced
    const id = owner.doc.clientID
    await waitFor(() => nameIn(watcher, id) === 'Owner', 'the watcher sees the owner')
    const clock = t.server.registry.peek(room)!.awareness.meta.get(id)!.clock
    const rival = await open(room)
    rival.send(awarenessFrame([{ clientID: id, clock: clock + 10, state: { user: { name: 'Rival' } } }]))
    // Several heartbeat rounds later the owner is still there, with its own state.
    let pings = 0
    rival.on('ping', () => pings++)
    await waitFor(() => pings >= 5, 'five heartbeat rounds')
    expect(owner.provider.wsconnected).toBe(true)
    expect(nameIn(watcher, id)).toBe('Owner')
    rival.close()
    owner.destroy()
    watcher.destroy()
  })
})
