import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from '../../shared/close-codes.ts'
import { silentLogger } from '../log.ts'
import { ForwardingStore } from '../storage/forwarding.ts'
import { MemoryStore } from '../storage/memory.ts'
import { StorageError, type CompactResult, type DocStore, type LoadedDoc } from '../storage/store.ts'
import { MemoryClient, drainMicrotasks, expectConverged, settle } from './memory-client.ts'
import { RoomLimitError, RoomRegistry, type RegistryOptions } from './registry.ts'

// ---------------------------------------------------------------------------------------------------------------
// A DocStore decorator over the real MemoryStore that counts calls and can hold or fail them (fault injection).

/** A queue of held calls that the test releases. */
class Gate {
  private waiting: (() => void)[] = []
  closed = false
  get size(): number {
    return this.waiting.length
  }
  /** Resolves at once while open; otherwise when released. */
  pass(): Promise<void> {
    if (!this.closed) return Promise.resolve()
    return new Promise((resolve) => this.waiting.push(resolve))
  }
  /** Lets every held call through and opens the gate. */
  open(): void {
    this.closed = false
    for (const w of this.waiting.splice(0)) w()
  }
}

class TestStore extends ForwardingStore {
  readonly calls = { load: 0, append: 0, compact: 0 }
  readonly loadGate = new Gate()
  readonly appendGate = new Gate()
  readonly compactGate = new Gate()
  /** When set, appends reject with this error and store nothing. */
  failAppends: Error | null = null
  /** When set, the next load rejects with this error. */
  failNextLoad: Error | null = null

  constructor(inner: MemoryStore = new MemoryStore()) {
    super(inner)
  }

  override async load(room: string): Promise<LoadedDoc> {
    this.calls.load++
    await this.loadGate.pass()
    if (this.failNextLoad) {
      const err = this.failNextLoad
      this.failNextLoad = null
      throw err
    }
    return super.load(room)
  }
  override async append(room: string, update: Uint8Array): Promise<void> {
    this.calls.append++
    await this.appendGate.pass()
    if (this.failAppends) throw this.failAppends
    return super.append(room, update)
  }
  override async compact(room: string): Promise<CompactResult> {
    this.calls.compact++
    await this.compactGate.pass()
    return super.compact(room)
  }
}

// ---------------------------------------------------------------------------------------------------------------

const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function makeRegistry(options: Partial<RegistryOptions> = {}, store = new TestStore()) {
  const registry = new RoomRegistry(store, silentLogger(), { idleMs: 60_000, ...options })
  cleanups.push(async () => {
    store.loadGate.open()
    store.appendGate.open()
    store.compactGate.open()
    await registry.shutdown(CloseCode.serviceRestart, 'test over', 0).catch(() => {})
  })
  return { registry, store }
}

function client(name: string): MemoryClient {
  const c = new MemoryClient(name)
  cleanups.push(() => c.destroy())
  return c
}

/** Whether `p` has settled, without waiting for it. */
function tracked<T>(p: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  let settled = false
  const promise = p.finally(() => (settled = true))
  promise.catch(() => {})
  return {
    promise,
    get settled() {
      return settled
    },
  }
}

/** The text of the room as stored, rebuilt from its records. */
async function storedText(store: DocStore, name: string): Promise<string> {
  const doc = new Y.Doc()
  for (const r of (await store.load(name)).records) Y.applyUpdate(doc, r.update)
  const text = doc.getText('text').toString()
  doc.destroy()
  return text
}

const waitOpts = { timeout: 5_000, interval: 1 }

describe('RoomRegistry', () => {
  it('concurrent opens of one room share one load and get the same Room', async () => {
    const { registry, store } = makeRegistry()
    store.loadGate.closed = true
    const opens = [registry.open('shared'), registry.open('shared'), registry.open('shared')]
    await drainMicrotasks()
    expect(store.calls.load).toBe(1)
    store.loadGate.open()
    const rooms = await Promise.all(opens)
    expect(new Set(rooms).size).toBe(1)
    expect(await registry.open('shared')).toBe(rooms[0])
    expect(store.calls.load).toBe(1)
  })

  it('a room with no peers unloads after idleMs and compacts its log to one record', async () => {
    const { registry, store } = makeRegistry({ idleMs: 0 })
    const room = await registry.open('idle')
    const a = client('a')
    a.connect(room)
    for (const word of ['one ', 'two ', 'three']) {
      a.text.insert(a.text.length, word)
      await settle(room, [a])
    }
    expect((await store.load('idle')).records).toHaveLength(3)
    a.disconnect()
    await vi.waitFor(() => expect(registry.size).toBe(0), waitOpts)
    expect(registry.peek('idle')).toBeUndefined()
    expect((await store.load('idle')).records).toHaveLength(1)
    expect(await storedText(store, 'idle')).toBe('one two three')
  })

  it('a room used on behalf of no connection (an import) unloads once idle, even if it was already loaded', async () => {
    const { registry, store } = makeRegistry({ idleMs: 0 })
    await registry.open('used') // loaded and idle: a later open clears its idle timer
    await registry.use('used', (room) => room.serverChange((doc) => doc.getText('text').insert(0, 'imported')))
    await vi.waitFor(() => expect(registry.size).toBe(0), waitOpts)
    expect(await storedText(store, 'used')).toBe('imported')
  })

  it('a room is not unloaded before its last write is stored', async () => {
    const { registry, store } = makeRegistry({ idleMs: 0 })
    const room = await registry.open('slow-disk')
    const a = client('a')
    a.connect(room)
    await settle(room, [a])
    store.appendGate.closed = true
    a.text.insert(0, 'late write')
    a.flushToServer()
    a.disconnect()
    await vi.waitFor(() => expect(store.appendGate.size).toBe(1), waitOpts)
    expect(store.calls.compact).toBe(0)
    store.appendGate.open()
    await vi.waitFor(() => expect(registry.size).toBe(0), waitOpts)
    expect(await storedText(store, 'slow-disk')).toBe('late write')
  })

  it('an open during unload waits for it, then gets a fresh room with the same content', async () => {
    const { registry, store } = makeRegistry({ idleMs: 0 })
    const first = await registry.open('reopen')
    const a = client('a')
    a.connect(first)
    a.text.insert(0, 'survives the unload')
    await settle(first, [a])
    store.compactGate.closed = true
    a.disconnect()
    await vi.waitFor(() => expect(store.compactGate.size).toBe(1), waitOpts) // unloading, held in compaction
    expect(registry.peek('reopen')).toBeUndefined()
    const reopening = tracked(registry.open('reopen'))
    await drainMicrotasks()
    expect(reopening.settled).toBe(false)
    store.compactGate.open()
    const second = await reopening.promise
    expect(second).not.toBe(first)
    expect(second.live).toBe(true)
    expect(second.doc.getText('text').toString()).toBe('survives the unload')
    expect(store.calls.load).toBe(2)
    const b = client('b')
    b.connect(second)
    await settle(second, [b])
    await expectConverged(second, [b], store)
  })

  it('a room whose store fails an append is dropped from the registry and storageErrors has the message', async () => {
    const { registry, store } = makeRegistry()
    const room = await registry.open('broken')
    const a = client('a')
    a.connect(room)
    a.text.insert(0, 'stored ')
    await settle(room, [a])
    store.failAppends = new StorageError('disk full')
    a.text.insert(7, 'unstored')
    a.flushToServer()
    await room.whenDurable()
    expect(a.closed?.code).toBe(CloseCode.internalError)
    expect(registry.peek('broken')).toBeUndefined()
    expect(registry.size).toBe(0)
    expect(registry.storageErrors.get('broken')).toBe('disk full')
    expect(await storedText(store, 'broken')).toBe('stored ')

    // Storage recovers: the room reloads without the unstored update, and the client re-sends it on reconnect.
    store.failAppends = null
    const reloaded = await registry.open('broken')
    expect(reloaded).not.toBe(room)
    expect(reloaded.doc.getText('text').toString()).toBe('stored ')
    expect(registry.storageErrors.has('broken')).toBe(false)
    a.disconnect()
    a.connect(reloaded)
    await settle(reloaded, [a])
    expect(reloaded.doc.getText('text').toString()).toBe('stored unstored')
    await expectConverged(reloaded, [a], store)
  })

  it('opening more rooms than maxRooms is refused with RoomLimitError; rooms already open still open', async () => {
    const { registry } = makeRegistry({ maxRooms: 2 })
    const first = await registry.open('first')
    await registry.open('second')
    await expect(registry.open('third')).rejects.toBeInstanceOf(RoomLimitError)
    expect(await registry.open('first')).toBe(first)
    expect(registry.size).toBe(2)
  })

  it('a failed load rejects the open, records the error, and the next open loads again', async () => {
    const { registry, store } = makeRegistry()
    store.failNextLoad = new StorageError('cannot read')
    await expect(registry.open('flaky')).rejects.toThrow('cannot read')
    expect(registry.size).toBe(0)
    expect(registry.storageErrors.get('flaky')).toContain('cannot read')
    const room = await registry.open('flaky')
    expect(room.live).toBe(true)
    expect(registry.storageErrors.has('flaky')).toBe(false)
  })

  it('shutdown closes peers with 1012, waits for every write and leaves it stored', async () => {
    const { registry, store } = makeRegistry()
    const r1 = await registry.open('one')
    const r2 = await registry.open('two')
    const a = client('a')
    const b = client('b')
    a.connect(r1)
    b.connect(r2)
    await settle(r1, [a])
    await settle(r2, [b])
    store.appendGate.closed = true
    a.text.insert(0, 'in flight one')
    b.text.insert(0, 'in flight two')
    a.flushToServer()
    b.flushToServer()
    const shutdown = tracked(registry.shutdown(CloseCode.serviceRestart, 'restarting'))
    expect(a.closed?.code).toBe(CloseCode.serviceRestart)
    expect(b.closed?.code).toBe(CloseCode.serviceRestart)
    // The clients read the close; their sockets are gone.
    a.flushToClient()
    b.flushToClient()
    await drainMicrotasks()
    expect(shutdown.settled).toBe(false)
    store.appendGate.open()
    await shutdown.promise
    expect(registry.size).toBe(0)
    expect(await storedText(store, 'one')).toBe('in flight one')
    expect(await storedText(store, 'two')).toBe('in flight two')
    expect((await store.load('one')).records).toHaveLength(1) // compacted
    await expect(registry.open('one')).rejects.toThrow(/shutting down/)
  })

  it('during shutdown, an update a client sent before it read the close is still stored', async () => {
    const { registry, store } = makeRegistry()
    const room = await registry.open('last-words')
    const a = client('a')
    a.connect(room)
    await settle(room, [a])
    a.text.insert(0, 'sent just before the close')
    const shutdown = registry.shutdown(CloseCode.serviceRestart, 'restarting')
    expect(a.closed?.code).toBe(CloseCode.serviceRestart)
    a.flushToServer() // already on the wire when the server closed
    a.flushToClient() // reads the close: the socket is gone
    await shutdown
    expect(await storedText(store, 'last-words')).toBe('sent just before the close')
  })

  it('shutdown does not wait past drainMs for a peer that never finishes closing', async () => {
    const { registry, store } = makeRegistry()
    const room = await registry.open('stuck')
    const a = client('a')
    a.connect(room)
    a.text.insert(0, 'kept')
    await settle(room, [a])
    await registry.shutdown(CloseCode.serviceRestart, 'restarting', 0)
    expect(a.closed?.code).toBe(CloseCode.serviceRestart)
    expect(room.peerCount).toBe(0)
    expect(await storedText(store, 'stuck')).toBe('kept')
  })

  it('a stored record that does not apply is quarantined at load and the rest of the document loads', async () => {
    const memory = new MemoryStore()
    const author = new Y.Doc()
    const updates: Uint8Array[] = []
    author.on('update', (u: Uint8Array) => updates.push(u))
    author.getText('text').insert(0, 'before ')
    author.getText('text').insert(7, 'after')
    await memory.append('damaged', updates[0])
    await memory.append('damaged', Uint8Array.of(0xff, 0xff, 0xff)) // not a Yjs update
    await memory.append('damaged', updates[1])
    author.destroy()
    const { registry } = makeRegistry({}, new TestStore(memory))
    const room = await registry.open('damaged')
    expect(room.doc.getText('text').toString()).toBe('before after')
    expect((await memory.load('damaged')).records).toHaveLength(2)
    expect((await memory.meta('damaged'))?.quarantined).toBe(1)
  })

  it('stored data that does not integrate is quarantined at load and the room holds no pending structs', async () => {
    const memory = new MemoryStore()
    const [, orphan] = (() => {
      const author = new Y.Doc()
      const updates: Uint8Array[] = []
      author.on('update', (u: Uint8Array) => updates.push(u))
      author.getText('text').insert(0, 'abc')
      author.getText('text').insert(3, 'def')
      author.destroy()
      return updates
    })()
    // Another author: its update does not depend on the lost one (the same author's later clocks would).
    const other = new Y.Doc()
    other.getText('side').insert(0, 'independent')
    await memory.append('orphan', orphan) // depends on the first update, which was never stored
    await memory.append('orphan', Y.encodeStateAsUpdate(other))
    other.destroy()
    const { registry } = makeRegistry({}, new TestStore(memory))
    const room = await registry.open('orphan')
    expect(room.doc.store.pendingStructs).toBeNull()
    expect(room.doc.store.pendingDs).toBeNull()
    expect(room.doc.getText('side').toString()).toBe('independent')
    expect((await memory.meta('orphan'))?.quarantined).toBe(1)
  })
})
