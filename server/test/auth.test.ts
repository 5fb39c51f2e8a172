/**
 * Promises 8 and 9: read-only means read-only; with AUTH_SECRET set every WebSocket and API route needs a valid,
 * unexpired token for the room; browser origins are checked; tokens never appear in logs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import { createLogger } from '../log.ts'
import { issueToken } from '../auth/tokens.ts'
import { AUTH_SUBPROTOCOL } from '../auth/tokens.ts'
import WebSocket from 'ws'
import { addParagraph, closeEvent, connectClient, rawSocket, startTestServer, waitFor, type TestClient, type TestServer } from './harness.ts'

const SECRET = 'test-secret-that-is-long-enough-0123456789'
const logLines: string[] = []
const sink = new Writable({
  write(chunk, _enc, cb) {
    logLines.push(chunk.toString())
    cb()
  },
})
const usedTokens: string[] = []
async function token(opts: Parameters<typeof issueToken>[1], secret = SECRET): Promise<string> {
  const t = await issueToken(secret, opts)
  usedTokens.push(t)
  return t
}

let t: TestServer
const clients: TestClient[] = []
beforeAll(async () => {
  t = await startTestServer(
    { AUTH_SECRET: SECRET, ALLOWED_ORIGINS: 'https://docs.example.com,http://localhost:5173' },
    { log: createLogger({ level: 'debug', destination: sink }) },
  )
})
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy()
})
afterAll(async () => {
  await t.dispose()
  // Promise 9: no token used in this file appears in any log line, whatever happened above.
  const log = logLines.join('')
  expect(log.length).toBeGreaterThan(0)
  for (const tok of usedTokens) {
    expect(log.includes(tok)).toBe(false)
    expect(log.includes(tok.split('.')[2])).toBe(false)
  }
})

function client(room: string, tok?: string, opts: { protocols?: boolean } = {}): TestClient {
  const c = opts.protocols
    ? connectClient(t.wsUrl, room, { protocols: [AUTH_SUBPROTOCOL, tok!] })
    : connectClient(t.wsUrl, room, { params: tok ? { token: tok } : {} })
  clients.push(c)
  return c
}

async function refusal(url: string, headers: Record<string, string> = {}) {
  const ws = await rawSocket(url, headers)
  return closeEvent(ws)
}

describe('WebSocket access', () => {
  it('refuses a connection without a token with 4401 and a reason', async () => {
    const { code, reason } = await refusal(`${t.wsUrl}/locked`)
    expect(code).toBe(4401)
    expect(reason).toMatch(/token is required/)
  })

  it('refuses a forged token with 4401', async () => {
    const forged = await token({ room: 'locked', mode: 'write', ttlSeconds: 60 }, 'another-secret-also-long-enough-0123456789')
    expect((await refusal(`${t.wsUrl}/locked?token=${forged}`)).code).toBe(4401)
  })

  it('refuses a token for another room with 4403', async () => {
    const other = await token({ room: 'other', mode: 'write', ttlSeconds: 60 })
    const { code, reason } = await refusal(`${t.wsUrl}/locked?token=${other}`)
    expect(code).toBe(4403)
    expect(reason).toMatch(/another document/)
  })

  it('refuses an expired token with 4401', async () => {
    const expired = await token({ room: 'locked', mode: 'write', ttlSeconds: -10 })
    const { code, reason } = await refusal(`${t.wsUrl}/locked?token=${expired}`)
    expect(code).toBe(4401)
    expect(reason).toMatch(/expired/)
  })

  it('a prefix token opens every room under its prefix and no other', async () => {
    const tok = await token({ prefix: 'team-', mode: 'write', ttlSeconds: 60 })
    const a = client('team-notes', tok)
    await a.synced
    expect((await refusal(`${t.wsUrl}/private?token=${tok}`)).code).toBe(4403)
  })

  it('accepts the token as a y-websocket subprotocol as well as a parameter', async () => {
    const tok = await token({ room: 'proto', mode: 'write', ttlSeconds: 60 })
    const a = client('proto', tok, { protocols: true })
    await a.synced
    expect(a.provider.ws?.protocol).toBe(AUTH_SUBPROTOCOL)
  })

  it('closes a session with 4401 when its token expires, and the client stops retrying', async () => {
    const tok = await token({ room: 'expiring', mode: 'write', ttlSeconds: 1 })
    const a = client('expiring', tok)
    await a.synced
    const codes: number[] = []
    a.provider.on('connection-close', (e: CloseEvent | null) => e && codes.push(e.code))
    await waitFor(() => codes.includes(4401), 'closed at expiry', 5000)
    // y-websocket 3.1 gives up after a 44xx close: it clears shouldConnect instead of scheduling a retry.
    expect(a.provider.shouldConnect).toBe(false)
    expect(a.provider.wsconnected).toBe(false)
  })

  it('refuses a browser origin outside ALLOWED_ORIGINS with 4403, and allows listed ones and programs', async () => {
    const tok = await token({ room: 'origins', mode: 'write', ttlSeconds: 60 })
    const url = `${t.wsUrl}/origins?token=${tok}`
    expect((await refusal(url, { Origin: 'https://evil.example' })).code).toBe(4403)
    expect((await refusal(url, { Origin: 'https://docs.example.com.evil.example' })).code).toBe(4403)
    expect((await refusal(url, { Origin: 'null' })).code).toBe(4403)
    // Listed origins and programs without an Origin header are served: they receive the server's sync step 1.
    for (const headers of [{ Origin: 'https://docs.example.com' }, {}]) {
      const ws = new WebSocket(url, { headers })
      await new Promise((resolve, reject) => {
        ws.once('message', resolve)
        ws.once('close', (code) => reject(new Error(`closed with ${code}`)))
      })
      ws.close()
    }
  })
})

describe('read-only connections', () => {
  it('receive live updates and a sync answer, but their edits never touch the document', async () => {
    const write = await token({ room: 'ro', mode: 'write', ttlSeconds: 60 })
    const read = await token({ room: 'ro', mode: 'read', ttlSeconds: 60 })
    const writer = client('ro', write)
    await writer.synced
    writer.doc.getText('t').insert(0, 'from the writer')
    const reader = client('ro', read)
    await reader.synced
    await waitFor(() => reader.doc.getText('t').toString() === 'from the writer', 'reader got the content')
    // The reader edits: sync updates and (on reconnect) step 2 are both dropped.
    reader.doc.getText('t').insert(0, 'VANDAL ')
    writer.doc.getText('t').insert(15, '!')
    await waitFor(() => reader.doc.getText('t').toString().endsWith('!'), 'reader still receives live updates')
    const room = t.server.registry.peek('ro')!
    expect(room.doc.getText('t').toString()).toBe('from the writer!')
    expect(writer.doc.getText('t').toString()).toBe('from the writer!')
    reader.provider.disconnect()
    reader.provider.connect()
    await waitFor(() => reader.provider.synced, 'reader resynced')
    await room.whenDurable()
    expect(room.doc.getText('t').toString()).toBe('from the writer!')
  })

  it("shows a read-only user's cursor to the others by default", async () => {
    const read = await token({ room: 'ro-aware', mode: 'read', ttlSeconds: 60 })
    const write = await token({ room: 'ro-aware', mode: 'write', ttlSeconds: 60 })
    const writer = client('ro-aware', write)
    const reader = client('ro-aware', read)
    reader.provider.awareness.setLocalStateField('user', { name: 'Reader' })
    await Promise.all([writer.synced, reader.synced])
    await waitFor(() => writer.provider.awareness.getStates().has(reader.doc.clientID), 'writer sees the reader')
  })
})

describe('HTTP API access', () => {
  async function seedRoom(room: string): Promise<void> {
    const tok = await token({ room, mode: 'write', ttlSeconds: 60 })
    const c = client(room, tok)
    await c.synced
    addParagraph(c.doc, 'x')
    await waitFor(() => t.server.registry.peek(room)?.doc.getXmlFragment('prosemirror').length === 1, 'stored')
    await t.server.registry.peek(room)!.whenDurable()
  }

  it('needs a token (401), for the right room (403); a valid one works by header or query', async () => {
    await seedRoom('api-doc')
    const url = `${t.httpUrl}/api/docs/api-doc/export?format=text`
    const none = await fetch(url)
    expect(none.status).toBe(401)
    expect((await none.json()).error).toMatch(/token is required/)
    const other = await token({ room: 'nope', mode: 'read', ttlSeconds: 60 })
    expect((await fetch(url, { headers: { Authorization: `Bearer ${other}` } })).status).toBe(403)
    const forged = await token({ room: 'api-doc', mode: 'read', ttlSeconds: 60 }, 'forged-secret-long-enough-0123456789abcdef')
    expect((await fetch(url, { headers: { Authorization: `Bearer ${forged}` } })).status).toBe(401)
    const read = await token({ room: 'api-doc', mode: 'read', ttlSeconds: 60 })
    const ok = await fetch(url, { headers: { Authorization: `Bearer ${read}` } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('x')
    expect((await fetch(`${url}&token=${read}`)).status).toBe(200)
  })

  it('lists only the documents a token covers', async () => {
    await seedRoom('scope-a')
    await seedRoom('scope-b')
    const tok = await token({ room: 'scope-a', mode: 'read', ttlSeconds: 60 })
    const { docs } = await (await fetch(`${t.httpUrl}/api/docs`, { headers: { Authorization: `Bearer ${tok}` } })).json()
    expect(docs.map((d: { name: string }) => d.name)).toEqual(['scope-a'])
  })

  it('issues tokens only for an admin token', async () => {
    const admin = await token({ admin: true, mode: 'write', ttlSeconds: 60 })
    const user = await token({ room: 'x', mode: 'write', ttlSeconds: 60 })
    const body = JSON.stringify({ room: 'issued', mode: 'read', ttl: '5m', name: 'Guest' })
    const denied = await fetch(`${t.httpUrl}/api/tokens`, { method: 'POST', body, headers: { Authorization: `Bearer ${user}` } })
    expect(denied.status).toBe(403)
    const res = await fetch(`${t.httpUrl}/api/tokens`, { method: 'POST', body, headers: { Authorization: `Bearer ${admin}` } })
    expect(res.status).toBe(201)
    const { token: issued } = await res.json()
    usedTokens.push(issued)
    const c = client('issued', issued)
    await c.synced
    const bad = await fetch(`${t.httpUrl}/api/tokens`, { method: 'POST', body: '{"room":"../x"}', headers: { Authorization: `Bearer ${admin}` } })
    expect(bad.status).toBe(400)
  })
})

describe('auth off', () => {
  it('with no AUTH_SECRET, rooms and the API are open', async () => {
    const open = await startTestServer()
    try {
      const c = connectClient(open.wsUrl, 'free')
      await c.synced
      c.destroy()
      expect((await fetch(`${open.httpUrl}/api/docs`)).status).toBe(200)
    } finally {
      await open.dispose()
    }
  })
})

