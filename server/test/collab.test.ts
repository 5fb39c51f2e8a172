/**
 * The product end to end in Node: a real server, real storage on a temporary directory, stock y-websocket clients.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { existsSync, readdirSync } from 'node:fs'
import * as decoding from 'lib0/decoding'
import WebSocket from 'ws'
import { ForwardingStore } from '../storage/forwarding.ts'
import { SqliteStore } from '../storage/sqlite/store.ts'
import {
  addParagraph,
  connectClient,
  paragraphs,
  startTestServer,
  waitFor,
  type TestClient,
  type TestServer,
} from './harness.ts'

let t: TestServer
const clients: TestClient[] = []
function client(room: string, name?: string): TestClient {
  const c = connectClient(t.wsUrl, room, { name })
  clients.push(c)
  return c
}

/** A client writes one paragraph into `room`, waits until the server has it, and leaves. */
async function writeAndLeave(room: string, text: string): Promise<void> {
  const a = client(room)
  await a.synced
  addParagraph(a.doc, text)
  await waitFor(() => paragraphs(t.server.registry.peek(room)?.doc ?? new Y.Doc()).length === 1, 'the server has it')
  a.destroy()
}

beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  await t.dispose()
})

describe('collaboration with the stock y-websocket client', () => {
  it('two clients editing at once converge', async () => {
    const a = client('converge')
    const b = client('converge')
    await Promise.all([a.synced, b.synced])
    for (let i = 0; i < 20; i++) {
      addParagraph(a.doc, `a${i}`)
      addParagraph(b.doc, `b${i}`)
    }
    await waitFor(() => paragraphs(a.doc).length === 40 && paragraphs(b.doc).length === 40, 'both clients have 40 paragraphs')
    expect(paragraphs(a.doc)).toEqual(paragraphs(b.doc))
    const room = t.server.registry.peek('converge')!
    expect(paragraphs(room.doc)).toEqual(paragraphs(a.doc))
  })

  it('a late joiner receives the whole document', async () => {
    const a = client('late')
    await a.synced
    addParagraph(a.doc, 'first')
    addParagraph(a.doc, 'second')
    const b = client('late')
    await waitFor(() => paragraphs(b.doc).length === 2, 'late joiner has both paragraphs')
    expect(paragraphs(b.doc)).toEqual(['first', 'second'])
  })

  it('awareness reaches the others and is removed as soon as its connection closes', async () => {
    const a = client('aware', 'Ada')
    const b = client('aware', 'Bob')
    await Promise.all([a.synced, b.synced])
    const aId = a.doc.clientID
    await waitFor(() => (b.provider.awareness.getStates().get(aId) as any)?.user?.name === 'Ada', 'Bob sees Ada')
    a.provider.disconnect()
    // Well under the 30 s awareness timeout: the server removes the state when the socket closes.
    await waitFor(() => !b.provider.awareness.getStates().has(aId), "Ada's state is gone for Bob", 3000)
  })

  it('a lone client hears its awareness renewals back, so its 30 s silence timeout never fires', async () => {
    const a = client('lonely', 'Solo')
    await a.synced
    // Count frames rather than compare `wsLastMessageReceived`: it has millisecond resolution, and on a fast
    // loopback the echo can land in the same millisecond as the sync answer before it.
    let heard = 0
    a.provider.ws!.addEventListener('message', (e: MessageEvent) => {
      if (Buffer.from(e.data as ArrayBuffer).includes('#000000')) heard++
    })
    // What the provider does every 15 s: renew its own state. Nobody else is in the room.
    a.provider.awareness.setLocalStateField('user', { name: 'Solo', color: '#000000' })
    await waitFor(() => heard > 0, 'the server echoed the renewal')
  })

  it('content survives a restart on the same data directory', async () => {
    await writeAndLeave('durable', 'kept across restarts')
    await t.restart()
    const b = client('durable')
    await b.synced
    await waitFor(() => paragraphs(b.doc).length === 1, 'reloaded content')
    expect(paragraphs(b.doc)).toEqual(['kept across restarts'])
  })

  it('a newcomer with an empty document is answered from the stored snapshot before the room is built, and once', async () => {
    await writeAndLeave('snapshot', 'stored before the restart')
    await t.stop() // shutdown compacts the log into one snapshot record

    // The same data directory again, with the room's load held until the server has the newcomer's step 1: the
    // early answer needs that step 1 waiting, which for a small document on loopback is a race the load can win.
    let release!: () => void
    const stepOneArrived = new Promise<void>((r) => (release = r))
    const store = new (class extends ForwardingStore {
      override load(room: string) {
        return stepOneArrived.then(() => super.load(room))
      }
    })(await SqliteStore.open({ dir: t.dataDir, durability: 'fsync' }))
    const events = { message: (direction: 'in' | 'out', kind: string) => direction === 'in' && kind === 'sync-step1' && release() }
    const t2 = await startTestServer({}, { dataDir: t.dataDir, parts: { store, events } })
    try {
      const ws = new WebSocket(`${t2.wsUrl}/snapshot`)
      const frames: Buffer[] = []
      ws.on('message', (data: Buffer) => frames.push(data))
      // Sync step 1 with an empty state vector: what a fresh stock client sends first.
      ws.on('open', () => ws.send(Buffer.from([0, 0, 1, 0])))
      await waitFor(() => frames.some((f) => f[0] === 0 && f[1] === 0), "the server's own step 1 (the room is built)")
      ws.send(Buffer.from([3])) // query awareness: answered after everything sent before it
      await waitFor(() => frames.some((f) => f[0] === 1), 'the awareness answer')
      ws.close()
      const step2s = frames.filter((f) => f[0] === 0 && f[1] === 1)
      expect(step2s).toHaveLength(1)
      // First of all: sent as soon as the snapshot was read, before the room sent its own step 1 on joining.
      expect(frames[0]).toBe(step2s[0])
      const decoder = decoding.createDecoder(step2s[0])
      decoding.readVarUint(decoder)
      decoding.readVarUint(decoder)
      const doc = new Y.Doc()
      Y.applyUpdate(doc, decoding.readVarUint8Array(decoder))
      expect(paragraphs(doc)).toEqual(['stored before the restart'])
    } finally {
      await t2.stop()
    }
  })

  it('a client that reconnects after a restart does not duplicate content', async () => {
    const a = client('reconnect')
    await a.synced
    addParagraph(a.doc, 'one')
    addParagraph(a.doc, 'two')
    await waitFor(() => paragraphs(t.server.registry.peek('reconnect')?.doc ?? new Y.Doc()).length === 2, 'stored')
    let closes = 0
    a.provider.on('connection-close', () => closes++)
    await t.restart()
    await waitFor(() => closes > 0 && a.provider.wsconnected && a.provider.synced, 'the provider reconnected by itself')
    addParagraph(a.doc, 'three')
    const b = client('reconnect')
    await waitFor(() => paragraphs(b.doc).length === 3, 'three paragraphs')
    expect(paragraphs(b.doc)).toEqual(['one', 'two', 'three'])
  })
})

describe('HTTP API', () => {
  async function seed(room: string): Promise<void> {
    const a = client(room)
    await a.synced
    const frag = a.doc.getXmlFragment('prosemirror')
    const h = new Y.XmlElement('heading')
    h.setAttribute('level', 1 as unknown as string)
    h.insert(0, [new Y.XmlText('Title')])
    const p = new Y.XmlElement('paragraph')
    const text = new Y.XmlText()
    text.insert(0, 'plain ')
    text.insert(6, 'bold', { strong: true })
    p.insert(0, [text])
    frag.push([h, p])
    await waitFor(() => t.server.registry.peek(room)?.doc.getXmlFragment('prosemirror').length === 2, 'server has it')
  }

  it('lists documents with size, update time and connected clients', async () => {
    await seed('listed')
    const res = await fetch(`${t.httpUrl}/api/docs`)
    expect(res.status).toBe(200)
    const { docs } = await res.json()
    expect(docs).toHaveLength(1)
    expect(docs[0]).toMatchObject({ name: 'listed', clients: 1 })
    expect(docs[0].size).toBeGreaterThan(0)
    expect(Date.parse(docs[0].updatedAt)).toBeGreaterThan(Date.now() - 60_000)
  })

  it('exports every format, matching the content', async () => {
    await seed('exported')
    const get = (format: string) => fetch(`${t.httpUrl}/api/docs/exported/export?format=${format}`)
    const json = await get('json')
    expect(json.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await json.json()).toEqual({
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'Title' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'plain ' },
            { type: 'text', text: 'bold', marks: [{ type: 'strong' }] },
          ],
        },
      ],
    })
    const md = await get('markdown')
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/)
    expect(await md.text()).toBe('# Title\n\nplain **bold**')
    const html = await get('html')
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await html.text()).toContain('<h1>Title</h1>\n<p>plain <strong>bold</strong></p>')
    const text = await get('text')
    expect(await text.text()).toBe('Title\n\nplain bold')
    const yjs = await get('yjs')
    expect(yjs.headers.get('content-type')).toBe('application/octet-stream')
    const doc = new Y.Doc()
    Y.applyUpdate(doc, new Uint8Array(await yjs.arrayBuffer()))
    expect(doc.getXmlFragment('prosemirror').toString()).toBe(
      t.server.registry.peek('exported')!.doc.getXmlFragment('prosemirror').toString(),
    )
    // The default format is JSON.
    expect((await fetch(`${t.httpUrl}/api/docs/exported/export`)).headers.get('content-type')).toMatch(/json/)
  })

  it('exports a room that is not loaded, from storage, without loading it', async () => {
    await seed('cold')
    for (const c of clients.splice(0)) c.destroy()
    await waitFor(() => t.server.registry.peek('cold') === undefined, 'room unloaded')
    const res = await fetch(`${t.httpUrl}/api/docs/cold/export?format=text`)
    expect(await res.text()).toBe('Title\n\nplain bold')
    expect(t.server.registry.peek('cold')).toBeUndefined()
  })

  it('an unknown room is 404 and creates nothing; an unknown format is 400', async () => {
    const res = await fetch(`${t.httpUrl}/api/docs/nope/export`)
    expect(res.status).toBe(404)
    expect((await res.json()).error).toMatch(/no document named "nope"/)
    expect((await (await fetch(`${t.httpUrl}/api/docs`)).json()).docs).toEqual([])
    await seed('fmt')
    const bad = await fetch(`${t.httpUrl}/api/docs/fmt/export?format=pdf`)
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toMatch(/use one of json, html, markdown, text, yjs/)
  })

  it('bad room names get 400 with the rule, on the API and on the WebSocket upgrade, and write nothing', async () => {
    for (const name of ['%2e%2e%2fx', '.hidden', 'a%5Cb', 'a%00b', 'x'.repeat(129), 'CON%20']) {
      const res = await fetch(`${t.httpUrl}/api/docs/${name}/export`)
      expect(res.status, name).toBe(400)
      expect((await res.json()).error).toMatch(/room name/)
      const up = await fetch(`${t.httpUrl}/collab/${name}`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      }).catch((e) => e as Error)
      if (!(up instanceof Error)) expect(up.status, name).toBe(400)
    }
    expect(t.server.registry.size).toBe(0)
    expect((await (await fetch(`${t.httpUrl}/api/docs`)).json()).docs).toEqual([])
    // Only the database and the server's lock file live in the data directory.
    expect(readdirSync(t.dataDir).every((f) => f.startsWith('inkwell.db') || f === 'server.json')).toBe(true)
    expect(existsSync(`${t.dataDir}/../etc`)).toBe(false)
  })

  it('healthz answers 200 when ready', async () => {
    const res = await fetch(`${t.httpUrl}/healthz`)
    expect(res.status).toBe(200)
  })
})
