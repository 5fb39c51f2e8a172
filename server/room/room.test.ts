import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'
import { CloseCode } from '../../shared/close-codes.ts'
import { ForwardingStore } from '../storage/forwarding.ts'
import { MemoryStore } from '../storage/memory.ts'
import { StorageError, type DocStore } from '../storage/store.ts'
import {
  MemoryClient,
  docContent,
  drainMicrotasks,
  expectConverged,
  frameKind,
  settle,
  syncPayload,
  TEXT_NAME,
} from './memory-client.ts'
import { awarenessFrameOf, awarenessUpdate, updateFrame, type AwarenessClaim } from '../test/attack-frames.ts'
import { DEFAULT_ROOM_OPTIONS, Room, type RoomHooks, type RoomOptions } from './room.ts'
import type { RoomObserver } from './observer.ts'
import type { Peer } from './peer.ts'

// ---------------------------------------------------------------------------------------------------------------
// Fault injection: a DocStore decorator over the real MemoryStore that holds appends until the test releases them.

interface HeldAppend {
  room: string
  update: Uint8Array
  resolve: () => void
  reject: (err: Error) => void
}

/** Appends wait in `held` and reach the inner store only when released; the test decides when and in what order. */
class GatedStore extends ForwardingStore {
  readonly held: HeldAppend[] = []
  constructor(inner: DocStore = new MemoryStore()) {
    super(inner)
  }

  override append(room: string, update: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.held.push({ room, update: update.slice(), resolve, reject }))
  }
  /** Stores the held append at `index` (default: the oldest) and resolves it. */
  async release(index = 0): Promise<void> {
    const [h] = this.held.splice(index, 1)
    await super.append(h.room, h.update)
    h.resolve()
  }
  async releaseAll(): Promise<void> {
    while (this.held.length > 0) await this.release(0)
  }
  /** Rejects the held append at `index` without storing it. */
  fail(index: number, err: Error): void {
    const [h] = this.held.splice(index, 1)
    h.reject(err)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

interface HookLog {
  idle: number
  busy: number
  failed: Error[]
  rejected: { peer: string; code: number; reason: string }[]
}

const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const ROOM = 'room-under-test'

function makeRoom(store: DocStore = new MemoryStore(), options: Partial<RoomOptions> = {}, observer: RoomObserver = {}) {
  const log: HookLog = { idle: 0, busy: 0, failed: [], rejected: [] }
  const hooks: RoomHooks = {
    idle: () => void log.idle++,
    busy: () => void log.busy++,
    failed: (_room, err) => void log.failed.push(err),
    rejected: (_room, peer: Peer, code, reason) => void log.rejected.push({ peer: peer.id, code, reason }),
  }
  const room = new Room(ROOM, new Y.Doc(), store, hooks, { ...DEFAULT_ROOM_OPTIONS, ...options }, observer)
  cleanups.push(async () => {
    await room.whenDurable()
    if (room.live) await room.close()
  })
  return { room, store, log }
}

/** A room with clients `a` and `b` connected and synced: where most tests here start. */
async function connectedPair<S extends DocStore>(store: S, options: Partial<RoomOptions> = {}) {
  const made = makeRoom(store, options)
  const a = client('a')
  const b = client('b')
  a.connect(made.room)
  b.connect(made.room)
  await settle(made.room, [a, b])
  return { ...made, store, a, b }
}

function client(name: string, opts: ConstructorParameters<typeof MemoryClient>[1] = {}): MemoryClient {
  const c = new MemoryClient(name, opts)
  cleanups.push(() => c.destroy())
  return c
}

/** The stored records of the room, as bytes, to compare before and after. */
async function storedBytes(store: DocStore, name = ROOM): Promise<number[][]> {
  return (await store.load(name)).records.map((r) => Array.from(r.update))
}

/** An awareness frame claiming any client ids and clocks (built by hand in attack-frames.ts, not by the module under test). */
const awarenessFrame = (entries: AwarenessClaim[]): Uint8Array => awarenessFrameOf(awarenessUpdate(entries))

/** The client ids in an awareness frame, read with lib0. */
function awarenessIds(frame: Uint8Array): number[] {
  const outer = decoding.createDecoder(frame)
  decoding.readVarUint(outer)
  const d = decoding.createDecoder(decoding.readVarUint8Array(outer))
  const ids: number[] = []
  for (let n = decoding.readVarUint(d); n > 0; n--) {
    ids.push(decoding.readVarUint(d))
    decoding.readVarUint(d)
    decoding.readVarString(d)
  }
  return ids
}

/** Captures the updates a doc emits while `f` runs. */
function updatesOf(doc: Y.Doc, f: () => void): Uint8Array[] {
  const out: Uint8Array[] = []
  const on = (u: Uint8Array) => out.push(u)
  doc.on('update', on)
  f()
  doc.off('update', on)
  return out
}

/** Two updates where the second depends on the first: sending only the second references missing state. */
function dependentUpdates(): [Uint8Array, Uint8Array] {
  const a = new Y.Doc()
  const [u1] = updatesOf(a, () => a.getText('text').insert(0, 'abc'))
  const [u2] = updatesOf(a, () => a.getText('text').insert(3, 'def'))
  a.destroy()
  return [u1, u2]
}

/** Whether a frame is one well-formed protocol message as PROTOCOL.md describes it (an oracle written with lib0). */
function wellFormed(frame: Uint8Array): boolean {
  try {
    const d = decoding.createDecoder(frame)
    const type = decoding.readVarUint(d)
    if (type === 0) {
      if (decoding.readVarUint(d) > 2) return false
      const len = decoding.readVarUint(d)
      return len === frame.length - d.pos
    }
    if (type === 1) return decoding.readVarUint(d) === frame.length - d.pos
    if (type === 2) {
      decoding.readVarUint(d)
      decoding.readVarString(d)
      return d.pos === frame.length
    }
    if (type === 3) return d.pos === frame.length
    return false
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('Room: relay and convergence', () => {
  it('two clients editing concurrently converge through the room, and the store holds the same document', async () => {
    const { room, store, a, b } = await connectedPair(new MemoryStore())
    a.text.insert(0, 'hello')
    b.text.insert(0, 'world')
    b.fragment.insert(0, [new Y.XmlElement('paragraph')])
    await settle(room, [a, b])
    expect(a.text.toString()).toHaveLength(10)
    await expectConverged(room, [a, b], store)
  })

  it('a client that joins later receives the whole document in its sync step 2', async () => {
    const { room, store } = makeRoom()
    const a = client('a')
    a.connect(room)
    a.text.insert(0, 'early')
    await settle(room, [a])
    const late = client('late')
    late.connect(room)
    await settle(room, [a, late])
    expect(late.synced).toBe(true)
    expect(late.text.toString()).toBe('early')
    await expectConverged(room, [a, late], store)
  })

  it('newcomers with empty documents share one encoding of the state, and never a stale one', async () => {
    const { room, store } = makeRoom()
    const a = client('a')
    a.connect(room)
    a.text.insert(0, 'first')
    await settle(room, [a])
    const late1 = client('late1')
    const late2 = client('late2')
    late1.connect(room)
    late2.connect(room)
    await settle(room, [a, late1, late2])
    expect(late2.text.toString()).toBe('first')
    // A change after the cached encoding: the next newcomer must see it.
    a.text.insert(5, ' second')
    await settle(room, [a, late1, late2])
    const late3 = client('late3')
    late3.connect(room)
    await settle(room, [a, late1, late2, late3])
    expect(late3.text.toString()).toBe('first second')
    await expectConverged(room, [a, late1, late2, late3], store)
  })

  it('a room loaded from one snapshot answers newcomers with those stored bytes until it changes', async () => {
    const source = new Y.Doc()
    source.getText(TEXT_NAME).insert(0, 'from the snapshot')
    const snapshot = Y.encodeStateAsUpdate(source)
    const { room } = makeRoom()
    Y.applyUpdate(room.doc, snapshot)
    room.seedFullState(snapshot)
    const late = client('late')
    late.connect(room)
    await settle(room, [late])
    expect(late.text.toString()).toBe('from the snapshot')
  })

  it('an update is never echoed to its sender', async () => {
    const { room, a, b } = await connectedPair(new MemoryStore())
    a.text.insert(0, 'one')
    await settle(room, [a, b])
    a.text.insert(3, 'two')
    await settle(room, [a, b])
    expect(a.receivedKinds()).not.toContain('sync-update')
    expect(b.receivedKinds().filter((k) => k === 'sync-update')).toHaveLength(2)
  })
})

describe('Room: write-ahead relay', () => {
  it('an update is not relayed to the other peers before the store has it', async () => {
    const store = new GatedStore()
    const { room } = makeRoom(store)
    const a = client('a')
    const b = client('b')
    a.connect(room)
    b.connect(room)
    await settle(room, [a, b]) // empty docs: the handshake writes nothing
    a.text.insert(0, 'hello')
    a.flushToServer()
    await drainMicrotasks()
    expect(room.pendingWrites).toBe(1)
    expect(room.doc.getText('text').toString()).toBe('hello') // applied ...
    expect(await storedBytes(store)).toEqual([]) // ... not stored ...
    expect(b.inboxKinds()).not.toContain('sync-update') // ... so not relayed
    await store.release()
    await room.whenDurable()
    await drainMicrotasks()
    expect(await storedBytes(store)).toHaveLength(1)
    expect(b.inboxKinds()).toEqual(['sync-update'])
    b.flushToClient()
    expect(b.text.toString()).toBe('hello')
  })

  it('relays leave in the order updates arrived, whatever order the store answers in', async () => {
    const { room, store, a, b } = await connectedPair(new GatedStore())
    a.text.insert(0, 'first ')
    a.text.insert(6, 'second')
    a.flushToServer()
    expect(store.held).toHaveLength(2)
    await store.release(1) // the second write is stored first
    await drainMicrotasks()
    expect(b.inbox).toEqual([]) // the first is not durable yet, so neither leaves
    await store.release(0)
    await room.whenDurable()
    await drainMicrotasks()
    expect(b.inbox.map((f) => Y.decodeUpdate(syncPayload(f)).structs.length)).toHaveLength(2)
    const probe = new Y.Doc()
    Y.applyUpdate(probe, syncPayload(b.inbox[0]))
    expect(probe.getText('text').toString()).toBe('first ') // arrival order: the first update comes first
    probe.destroy()
    b.flushToClient()
    expect(b.text.toString()).toBe('first second')
  })

  it('a sync step 2 answer to a newcomer waits for the in-flight writes it contains', async () => {
    const store = new GatedStore()
    const { room } = makeRoom(store)
    const a = client('a')
    a.connect(room)
    await settle(room, [a])
    a.text.insert(0, 'unsaved')
    a.flushToServer()
    const newcomer = client('newcomer')
    newcomer.connect(room)
    newcomer.flushToServer() // its sync step 1 (and awareness)
    await drainMicrotasks()
    expect(newcomer.inboxKinds()).not.toContain('sync-step2')
    await store.release()
    await room.whenDurable()
    await drainMicrotasks()
    expect(await storedBytes(store)).toHaveLength(1)
    expect(newcomer.inboxKinds()).toContain('sync-step2')
    newcomer.flushToClient()
    expect(newcomer.synced).toBe(true)
    expect(newcomer.text.toString()).toBe('unsaved')
  })

  it('a sync step 2 answer is sent at once when no write is in flight', async () => {
    const { room } = makeRoom()
    const a = client('a')
    a.connect(room)
    a.flushToServer()
    expect(a.inboxKinds()).toEqual(['sync-step1', 'sync-step2'])
  })

  it('a failed append closes every peer with 1011, reports the failure, relays nothing and stores nothing', async () => {
    const store = new GatedStore()
    const { room, log } = makeRoom(store)
    const a = client('a')
    const b = client('b')
    a.connect(room)
    b.connect(room)
    await settle(room, [a, b])
    a.text.insert(0, 'doomed')
    a.flushToServer()
    store.fail(0, new StorageError('disk full'))
    await room.whenDurable()
    await drainMicrotasks()
    expect(a.closed?.code).toBe(CloseCode.internalError)
    expect(b.closed?.code).toBe(CloseCode.internalError)
    expect(log.failed.map((e) => e.message)).toEqual(['disk full'])
    expect(room.live).toBe(false)
    expect(room.failure?.message).toBe('disk full')
    expect(b.inboxKinds()).not.toContain('sync-update')
    expect(await storedBytes(store)).toEqual([])
    // A failed room refuses newcomers instead of serving the unstored update.
    const c = client('c')
    c.connect(room)
    expect(c.closed?.code).toBe(CloseCode.internalError)
    expect(c.inboxKinds()).toEqual([])
  })

  it('after a failed append, a later write that the store accepts is not relayed either', async () => {
    const { room, store, a, b } = await connectedPair(new GatedStore())
    a.text.insert(0, 'x')
    a.text.insert(1, 'y')
    a.flushToServer()
    expect(store.held).toHaveLength(2)
    store.fail(0, new StorageError('disk full'))
    await drainMicrotasks()
    await store.release(0)
    await room.whenDurable()
    await drainMicrotasks()
    expect(b.inboxKinds()).toEqual([])
    expect(b.peer?.sentAfterClose).toBe(0)
  })
})

describe('Room: observer (metrics)', () => {
  it('reports each write and each relay with its latency, the held write included', async () => {
    const store = new GatedStore()
    const seen = { stored: [] as number[], relayed: [] as number[], rejected: [] as number[] }
    const { room } = makeRoom(store, {}, {
      stored: (ms) => void seen.stored.push(ms),
      relayed: (ms) => void seen.relayed.push(ms),
      rejected: (code) => void seen.rejected.push(code),
    })
    const a = client('a')
    const b = client('b')
    a.connect(room)
    b.connect(room)
    await settle(room, [a, b])
    a.text.insert(0, 'x')
    a.flushToServer()
    expect(seen.relayed).toEqual([]) // not durable, not relayed
    await store.releaseAll()
    await room.whenDurable()
    await drainMicrotasks()
    expect(seen.stored).toHaveLength(1)
    expect(seen.relayed).toHaveLength(1)
    expect(seen.relayed[0]).toBeGreaterThanOrEqual(seen.stored[0])
    b.send(new Uint8Array([99]))
    b.flushToServer()
    expect(seen.rejected).toEqual([CloseCode.protocolError])
  })
})

describe('Room: server changes (imports)', () => {
  it('a server change is stored, then relayed to every peer, and resolves once durable', async () => {
    const store = new GatedStore()
    const { room } = makeRoom(store)
    const a = client('a')
    a.connect(room)
    await settle(room, [a])
    let done = false
    const change = room.serverChange((doc) => doc.getText('text').insert(0, 'imported')).then(() => (done = true))
    await drainMicrotasks()
    expect(done).toBe(false)
    expect(a.inboxKinds()).not.toContain('sync-update')
    await store.releaseAll()
    await change
    expect(await storedBytes(store)).toHaveLength(1)
    a.flushToClient()
    expect(a.text.toString()).toBe('imported')
  })

  it('data that does not integrate is dropped, not kept as pending, and reported', async () => {
    const { room, store } = makeRoom()
    const [, second] = dependentUpdates()
    const result = await room.serverChange((doc) => Y.applyUpdate(doc, second))
    expect(result.droppedUnintegrated).toBe(true)
    expect(room.doc.store.pendingStructs).toBeNull()
    expect(await storedBytes(store)).toEqual([])
  })
})

describe('Room: updates that do not integrate', () => {
  it('an update that references missing state is not stored or relayed, and its sender gets a sync step 1', async () => {
    const { room, store, a, b } = await connectedPair(new MemoryStore())
    const [, second] = dependentUpdates()
    a.send(updateFrame(second))
    a.flushToServer()
    await room.whenDurable()
    await drainMicrotasks()
    expect(room.doc.store.pendingStructs).toBeNull()
    expect(room.doc.store.pendingDs).toBeNull()
    expect(room.doc.getText('text').toString()).toBe('')
    expect(await storedBytes(store)).toEqual([])
    expect(b.inbox).toEqual([])
    expect(a.inboxKinds()).toEqual(['sync-step1'])
    expect(a.connected).toBe(true)
  })

  it('the missing state sent afterwards integrates both updates, as an honest client resyncing would', async () => {
    const { room, store, a, b } = await connectedPair(new MemoryStore())
    const [first, second] = dependentUpdates()
    a.send(updateFrame(second))
    a.flushToServer()
    a.send(updateFrame(first))
    a.send(updateFrame(second))
    a.flushToServer()
    await settle(room, [a, b])
    expect(room.doc.getText('text').toString()).toBe('abcdef')
    expect(b.text.toString()).toBe('abcdef')
    expect(await storedBytes(store)).toHaveLength(2)
  })

  it('after maxUnintegrated + 1 unintegrated updates in a row the sender is closed with 1008, another peer stays open', async () => {
    const maxUnintegrated = 3
    const { room, store, log } = makeRoom(new MemoryStore(), { maxUnintegrated })
    const a = client('a')
    const b = client('b')
    a.connect(room)
    b.connect(room)
    await settle(room, [a, b])
    const [, second] = dependentUpdates()
    for (let i = 0; i < maxUnintegrated; i++) {
      a.send(updateFrame(second))
      a.flushToServer()
      expect(a.connected).toBe(true)
    }
    expect(a.inboxKinds()).toEqual(Array(maxUnintegrated).fill('sync-step1'))
    a.send(updateFrame(second))
    a.flushToServer()
    expect(a.closed?.code).toBe(CloseCode.policyViolation)
    expect(log.rejected.map((r) => r.code)).toEqual([CloseCode.policyViolation])
    expect(b.connected).toBe(true)
    expect(room.peerCount).toBe(1)
    expect(room.doc.store.pendingStructs).toBeNull()
    expect(await storedBytes(store)).toEqual([])
  })

  it('unintegrated bytes past maxUnintegratedBytes close the sender with 1008, even between good updates', async () => {
    const [, second] = dependentUpdates()
    const { room } = makeRoom(new MemoryStore(), { maxUnintegrated: 100, maxUnintegratedBytes: second.byteLength * 3 })
    const a = client('a')
    a.connect(room)
    await settle(room, [a])
    for (let i = 0; i < 3; i++) {
      a.send(updateFrame(second))
      a.text.insert(0, 'x') // integrates: resets the count in a row, not the lifetime bytes
      a.flushToServer()
      expect(a.connected).toBe(true)
    }
    a.send(updateFrame(second))
    a.flushToServer()
    expect(a.closed?.code).toBe(CloseCode.policyViolation)
  })

  it('an update that integrates resets the count of unintegrated ones', async () => {
    const maxUnintegrated = 2
    const { room } = makeRoom(new MemoryStore(), { maxUnintegrated })
    const a = client('a')
    a.connect(room)
    await settle(room, [a])
    const [, second] = dependentUpdates()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < maxUnintegrated; i++) a.send(updateFrame(second))
      a.text.insert(0, 'x') // an ordinary edit that integrates
      a.flushToServer()
    }
    expect(a.connected).toBe(true)
  })
})

describe('Room: malformed frames', () => {
  /** A room with stored content, a bystander, and an attacker that reconnects after each close. */
  async function targetRoom() {
    const { room, store, log } = makeRoom()
    const bystander = client('bystander')
    bystander.connect(room)
    bystander.text.insert(0, 'keep me')
    bystander.fragment.insert(0, [new Y.XmlElement('paragraph')])
    await settle(room, [bystander])
    const attacker = client('attacker')
    const before = { stored: await storedBytes(store), doc: docContent(room.doc) }
    /** Sends one frame on a fresh connection; returns how the room closed it (or null). */
    async function attack(frame: Uint8Array) {
      if (attacker.peer) attacker.disconnect()
      attacker.outbox = []
      attacker.connect(room)
      attacker.outbox = [frame]
      attacker.flushToServer()
      await room.whenDurable()
      return attacker.closed
    }
    async function expectUnchanged(what: string) {
      expect(await storedBytes(store), `${what}: stored document`).toEqual(before.stored)
      expect(docContent(room.doc), `${what}: server document`).toEqual(before.doc)
      expect(bystander.connected, `${what}: bystander`).toBe(true)
    }
    return { room, store, log, bystander, attack, expectUnchanged }
  }

  it('random bytes close only the sender, with 1002 when they are not a protocol message, and never change the stored document', async () => {
    const t = await targetRoom()
    let rejected = 0
    for (const seed of [1, 2, 3]) {
      const rng = prng.create(seed)
      for (let i = 0; i < 200; i++) {
        const bytes = prng.uint8Array(rng, prng.int32(rng, 0, 48))
        // Three families: any bytes; a sync-update header over random bytes; a well-framed random Yjs payload.
        const frame =
          i % 3 === 0 ? bytes : i % 3 === 1 ? Uint8Array.of(0, 2, ...bytes) : updateFrame(bytes)
        const closed = await t.attack(frame)
        const what = `seed ${seed} frame ${i} [${Array.from(frame)}]`
        if (!wellFormed(frame) || i % 3 === 2) {
          expect(closed?.code, what).toBe(CloseCode.protocolError)
          rejected++
        } else if (closed) {
          expect(closed.code, what).toBe(CloseCode.protocolError)
        }
        await t.expectUnchanged(what)
      }
    }
    expect(rejected).toBeGreaterThan(500)
    expect(t.bystander.closes).toEqual([])
  })

  it('every truncation of a valid update frame closes only the sender with 1002 and stores nothing', async () => {
    const t = await targetRoom()
    const doc = new Y.Doc()
    doc.getText('text').insert(0, 'hello world')
    doc.getText('text').delete(2, 3)
    const frame = updateFrame(Y.encodeStateAsUpdate(doc))
    doc.destroy()
    for (let k = 0; k < frame.length; k++) {
      const closed = await t.attack(frame.slice(0, k))
      expect(closed?.code, `cut at ${k}`).toBe(CloseCode.protocolError)
      await t.expectUnchanged(`cut at ${k}`)
    }
    await drainMicrotasks()
    expect(t.bystander.inbox).toEqual([])
  })

  it('an update payload cut short inside a well-formed frame is refused whole: nothing of it is stored or relayed', async () => {
    // The frame's length prefix is right, but the Yjs update in it ends early. Cuts inside the delete set leave every
    // struct readable, so Yjs integrates the structs before it throws on the delete set.
    const t = await targetRoom()
    const doc = new Y.Doc()
    doc.getText('text').insert(0, 'hello world')
    doc.getText('text').delete(2, 3)
    const update = Y.encodeStateAsUpdate(doc)
    doc.destroy()
    for (let k = 0; k < update.length; k++) {
      const closed = await t.attack(updateFrame(update.slice(0, k)))
      expect(closed?.code, `update cut at ${k} of ${update.length}`).toBe(CloseCode.protocolError)
      await t.expectUnchanged(`update cut at ${k} of ${update.length}`)
    }
    await drainMicrotasks()
    expect(t.bystander.inboxKinds()).not.toContain('sync-update')
  })

  it('an unknown message type or sync type closes the sender with 1002', async () => {
    const t = await targetRoom()
    for (const frame of [Uint8Array.of(4), Uint8Array.of(9, 1, 2), Uint8Array.of(0, 3, 0), Uint8Array.of(0, 7, 1, 0)]) {
      expect((await t.attack(frame))?.code, `[${Array.from(frame)}]`).toBe(CloseCode.protocolError)
      await t.expectUnchanged(`[${Array.from(frame)}]`)
    }
  })

  it('trailing bytes after a message close the sender with 1002', async () => {
    const t = await targetRoom()
    const edit = new Y.Doc()
    const [update] = updatesOf(edit, () => edit.getText('text').insert(0, 'sneaky'))
    edit.destroy()
    const step1 = Uint8Array.of(0, 0, 1, 0)
    const frames = [
      Uint8Array.of(...step1, 0),
      Uint8Array.of(...updateFrame(update), 0),
      Uint8Array.of(3, 3),
      Uint8Array.of(...awarenessFrame([{ clientID: 77, clock: 1, state: {} }]), 1),
    ]
    for (const frame of frames) {
      expect((await t.attack(frame))?.code, `[${Array.from(frame)}]`).toBe(CloseCode.protocolError)
      await t.expectUnchanged(`[${Array.from(frame)}]`)
    }
  })

  it('a rejected peer is reported to the hook and its awareness state is removed for the others', async () => {
    const { room, log } = makeRoom()
    const a = client('a')
    const b = client('b')
    a.connect(room)
    b.connect(room)
    a.awareness.setLocalState({ user: 'a' })
    await settle(room, [a, b])
    expect(b.awareness.getStates().get(a.doc.clientID)).toEqual({ user: 'a' })
    a.send(Uint8Array.of(42))
    a.flushToServer()
    expect(a.closed?.code).toBe(CloseCode.protocolError)
    expect(log.rejected).toEqual([{ peer: a.peer!.id, code: CloseCode.protocolError, reason: expect.any(String) }])
    await settle(room, [b])
    expect(b.awareness.getStates().has(a.doc.clientID)).toBe(false)
  })
})

describe('Room: awareness', () => {
  it('an awareness state reaches the other peer', async () => {
    const { room, a, b } = await connectedPair(new MemoryStore())
    a.awareness.setLocalState({ user: 'a', cursor: 3 })
    await settle(room, [a, b])
    expect(b.awareness.getStates().get(a.doc.clientID)).toEqual({ user: 'a', cursor: 3 })
  })

  it('a newcomer receives every awareness state present when it joins', async () => {
    const { room } = makeRoom()
    const a = client('a')
    a.connect(room)
    a.awareness.setLocalState({ user: 'a' })
    await settle(room, [a])
    const b = client('b')
    b.connect(room)
    expect(b.inboxKinds()).toEqual(['sync-step1', 'awareness'])
    await settle(room, [a, b])
    expect(b.awareness.getStates().get(a.doc.clientID)).toEqual({ user: 'a' })
  })

  it('a peer cannot overwrite or remove an awareness client id that another peer introduced', async () => {
    const { room } = makeRoom()
    const owner = client('owner')
    const intruder = client('intruder')
    const watcher = client('watcher')
    for (const c of [owner, intruder, watcher]) c.connect(room)
    owner.awareness.setLocalState({ user: 'owner' })
    await settle(room, [owner, intruder, watcher])
    const id = owner.doc.clientID
    const clock = room.awareness.meta.get(id)!.clock
    intruder.send(awarenessFrame([{ clientID: id, clock: clock + 5, state: { user: 'mallory' } }]))
    intruder.send(awarenessFrame([{ clientID: id, clock: clock + 6, state: null }]))
    await settle(room, [owner, intruder, watcher])
    expect(intruder.connected).toBe(true) // dropped silently: the stock client echoes others' states
    expect(room.awareness.getStates().get(id)).toEqual({ user: 'owner' })
    expect(watcher.awareness.getStates().get(id)).toEqual({ user: 'owner' })
    expect(owner.awareness.getStates().get(id)).toEqual({ user: 'owner' })
    // The owner still controls its id.
    owner.awareness.setLocalState({ user: 'owner', cursor: 1 })
    await settle(room, [owner, intruder, watcher])
    expect(watcher.awareness.getStates().get(id)).toEqual({ user: 'owner', cursor: 1 })
  })

  it('a peer cannot remove an awareness client id that nobody introduced', async () => {
    const { room } = makeRoom()
    const a = client('a')
    a.connect(room)
    a.send(awarenessFrame([{ clientID: 4242, clock: 1, state: null }]))
    await settle(room, [a])
    expect(room.awareness.getStates().has(4242)).toBe(false)
    expect(a.connected).toBe(true)
  })

  it('a stock client that echoes everyone’s awareness does not take over the ids it echoes', async () => {
    const { room } = makeRoom()
    const a = client('a')
    const echo = client('echo', { echoAwareness: true })
    const c = client('c')
    for (const x of [a, echo, c]) x.connect(room)
    a.awareness.setLocalState({ user: 'a' })
    await settle(room, [a, echo, c])
    const echoed = echo.sent.filter((f) => frameKind(f) === 'awareness').flatMap(awarenessIds)
    expect(echoed).toContain(a.doc.clientID) // it did re-send a's state
    // An echo carries the clock the owner gave it: nothing to suspect.
    expect(a.peer!.suspected).toBe(0)
    a.disconnect()
    await settle(room, [echo, c])
    expect(room.awareness.getStates().has(a.doc.clientID)).toBe(false)
    expect(c.awareness.getStates().has(a.doc.clientID)).toBe(false)
    expect(echo.awareness.getStates().has(a.doc.clientID)).toBe(false)
  })

  it('an editor that reconnects while its old connection lingers: the old one is suspected, and once it is gone the new one is asked again and shows', async () => {
    const { room } = makeRoom()
    const id = 7001
    const old = client('ada', { clientID: id })
    const watcher = client('watcher')
    old.connect(room)
    watcher.connect(room)
    old.awareness.setLocalState({ user: 'ada' })
    await settle(room, [old, watcher])
    const oldPeer = old.peer!
    // The same editor on a new connection (the old one is half-open: the room still has it), its cursor moved since.
    const back = client('ada again', { clientID: id })
    back.awareness.setLocalState({ user: 'ada' })
    back.awareness.setLocalState({ user: 'ada, back' })
    back.connect(room)
    await settle(room, [back, watcher])
    expect(room.awareness.getStates().get(id)).toEqual({ user: 'ada' })
    expect(oldPeer.suspected).toBeGreaterThan(0)
    expect(back.received.filter((f) => frameKind(f) === 'query-awareness')).toEqual([])
    // The transport finds the old connection gone and drops it: the new one is asked for its state again.
    old.disconnect()
    await settle(room, [back, watcher])
    expect(back.received.filter((f) => frameKind(f) === 'query-awareness')).toHaveLength(1)
    expect(room.awareness.getStates().get(id)).toEqual({ user: 'ada, back' })
    expect(watcher.awareness.getStates().get(id)).toEqual({ user: 'ada, back' })
    // Its own id from now on: it may change it.
    back.awareness.setLocalState({ user: 'ada, back', cursor: 2 })
    await settle(room, [back, watcher])
    expect(watcher.awareness.getStates().get(id)).toEqual({ user: 'ada, back', cursor: 2 })
  })

  it('on leave the peer’s awareness states are removed at once and the others are told', async () => {
    const { room } = makeRoom()
    const a = client('a')
    const b = client('b')
    a.connect(room)
    b.connect(room)
    a.awareness.setLocalState({ user: 'a' })
    // A second id on the same connection (a tab that shares its socket) goes too.
    const extra = a.doc.clientID + 1
    a.send(awarenessFrame([{ clientID: extra, clock: 1, state: { user: 'a, second tab' } }]))
    await settle(room, [a, b])
    expect(b.awareness.getStates().has(extra)).toBe(true)
    a.disconnect()
    expect(room.awareness.getStates().has(a.doc.clientID)).toBe(false)
    expect(room.awareness.getStates().has(extra)).toBe(false)
    expect(b.inboxKinds()).toEqual(['awareness'])
    b.flushToClient()
    expect(b.awareness.getStates().has(a.doc.clientID)).toBe(false)
    expect(b.awareness.getStates().has(extra)).toBe(false)
  })

  it('a peer may introduce at most maxAwarenessIds awareness client ids; one more closes it with 1008', async () => {
    const { room } = makeRoom(new MemoryStore(), { maxAwarenessIds: 2 })
    const a = client('a')
    const b = client('b')
    a.connect(room)
    b.connect(room)
    a.awareness.setLocalState({ user: 'a' }) // a's own id is the first
    await settle(room, [a, b])
    expect(room.awareness.getStates().has(a.doc.clientID)).toBe(true)
    a.send(awarenessFrame([{ clientID: 9001, clock: 1, state: { tab: 2 } }]))
    a.flushToServer()
    expect(a.connected).toBe(true)
    a.send(awarenessFrame([{ clientID: 9002, clock: 1, state: { tab: 3 } }]))
    a.flushToServer()
    expect(a.closed?.code).toBe(CloseCode.policyViolation)
    expect(room.awareness.getStates().has(9002)).toBe(false)
    expect(b.connected).toBe(true)
  })

  it('an awareness state larger than maxAwarenessStateBytes closes the sender with 1009', async () => {
    const { room } = makeRoom(new MemoryStore(), { maxAwarenessStateBytes: 64 })
    const a = client('a')
    a.connect(room)
    a.awareness.setLocalState({ name: 'x'.repeat(100) })
    a.flushToServer()
    expect(a.closed?.code).toBe(CloseCode.messageTooBig)
    expect(room.awareness.getStates().has(a.doc.clientID)).toBe(false)
  })

  it('the awareness state limit counts UTF-8 bytes, not UTF-16 characters', async () => {
    // 30 characters of 'é' are 60 bytes of UTF-8: with the JSON around them, past a 64-byte limit.
    const { room } = makeRoom(new MemoryStore(), { maxAwarenessStateBytes: 64 })
    const a = client('a')
    a.connect(room)
    const state = { name: 'é'.repeat(30) }
    expect(JSON.stringify(state).length).toBeLessThanOrEqual(64)
    expect(new TextEncoder().encode(JSON.stringify(state)).byteLength).toBeGreaterThan(64)
    a.awareness.setLocalState(state)
    a.flushToServer()
    expect(a.closed?.code).toBe(CloseCode.messageTooBig)
  })

  it('awareness states that are not JSON close the sender with 1002', async () => {
    const { room } = makeRoom()
    const a = client('a')
    a.connect(room)
    const inner = encoding.createEncoder()
    encoding.writeVarUint(inner, 1)
    encoding.writeVarUint(inner, 5)
    encoding.writeVarUint(inner, 1)
    encoding.writeVarString(inner, '{not json')
    const outer = encoding.createEncoder()
    encoding.writeVarUint(outer, 1)
    encoding.writeVarUint8Array(outer, encoding.toUint8Array(inner))
    a.send(encoding.toUint8Array(outer))
    a.flushToServer()
    expect(a.closed?.code).toBe(CloseCode.protocolError)
    expect(room.awareness.getStates().has(5)).toBe(false)
  })
})

describe('Room: read-only peers', () => {
  it('a read-only peer’s updates are dropped: not applied, not stored, not relayed', async () => {
    const { room, store } = makeRoom()
    const writer = client('writer')
    writer.connect(room)
    writer.text.insert(0, 'base')
    await settle(room, [writer])
    const stored = await storedBytes(store)
    const reader = client('reader', { readOnly: true })
    reader.connect(room)
    await settle(room, [writer, reader])
    reader.text.insert(0, 'vandal ')
    reader.fragment.insert(0, [new Y.XmlElement('paragraph')])
    await settle(room, [writer, reader])
    expect(reader.connected).toBe(true)
    expect(await storedBytes(store)).toEqual(stored)
    expect(room.doc.getText('text').toString()).toBe('base')
    expect(writer.text.toString()).toBe('base')
    expect(writer.fragment.length).toBe(0)
  })

  it('a read-only peer gets an answer to its sync step 1 and receives live updates', async () => {
    const { room } = makeRoom()
    const writer = client('writer')
    writer.connect(room)
    writer.text.insert(0, 'before')
    await settle(room, [writer])
    const reader = client('reader', { readOnly: true })
    reader.connect(room)
    await settle(room, [writer, reader])
    expect(reader.synced).toBe(true)
    expect(reader.text.toString()).toBe('before')
    writer.text.insert(6, ' and after')
    await settle(room, [writer, reader])
    expect(reader.text.toString()).toBe('before and after')
  })

  it('a read-only peer’s cursor is shown only when readOnlyAwareness is on', async () => {
    for (const readOnlyAwareness of [true, false]) {
      const { room } = makeRoom(new MemoryStore(), { readOnlyAwareness })
      const writer = client('writer')
      const reader = client('reader', { readOnly: true })
      writer.connect(room)
      reader.connect(room)
      reader.awareness.setLocalState({ user: 'reader' })
      await settle(room, [writer, reader])
      expect(writer.awareness.getStates().has(reader.doc.clientID), `readOnlyAwareness ${readOnlyAwareness}`).toBe(
        readOnlyAwareness,
      )
    }
  })
})

describe('Room: seeded randomized convergence', () => {
  /** One random edit of the ProseMirror fragment: paragraphs holding one Y.XmlText each. */
  function randomEdit(rng: prng.PRNG, c: MemoryClient): void {
    const fragment = c.fragment
    const paragraphs = fragment.toArray().filter((n): n is Y.XmlElement => n instanceof Y.XmlElement)
    const roll = prng.real53(rng)
    c.doc.transact(() => {
      if (paragraphs.length === 0 || roll < 0.2) {
        const p = new Y.XmlElement('paragraph')
        fragment.insert(prng.int32(rng, 0, fragment.length), [p])
        const t = new Y.XmlText()
        p.insert(0, [t])
        t.insert(0, prng.word(rng, 1, 6))
        return
      }
      const p = prng.oneOf(rng, paragraphs)
      const t = p.get(0)
      if (roll < 0.25) {
        fragment.delete(fragment.toArray().indexOf(p), 1)
      } else if (!(t instanceof Y.XmlText)) {
        return
      } else if (roll < 0.75 || t.length === 0) {
        t.insert(prng.int32(rng, 0, t.length), prng.word(rng, 1, 5))
      } else if (roll < 0.9) {
        const at = prng.int32(rng, 0, t.length - 1)
        t.delete(at, prng.int32(rng, 1, Math.min(4, t.length - at)))
      } else {
        c.text.insert(prng.int32(rng, 0, c.text.length), prng.word(rng, 1, 3))
      }
    })
  }

  for (const seed of [1, 7, 42, 2024, 65535]) {
    it(`clients converge after random edits, disconnects, dropped and reordered deliveries (seed ${seed})`, async () => {
      const rng = prng.create(seed)
      const { room, store, log } = makeRoom()
      const clients = Array.from({ length: prng.int32(rng, 3, 6) }, (_, i) => client(`c${i}`))
      for (const c of clients) c.connect(room)
      for (let step = 0; step < 250; step++) {
        const c = prng.oneOf(rng, clients)
        const roll = prng.real53(rng)
        if (roll < 0.4) randomEdit(rng, c)
        else if (roll < 0.55) c.flushToServer(prng.int32(rng, 1, 3))
        else if (roll < 0.7) c.flushToClient(prng.int32(rng, 1, 3))
        else if (roll < 0.77) {
          await room.whenDurable()
          await drainMicrotasks()
        } else if (roll < 0.84) {
          if (c.connected) c.disconnect()
        } else if (roll < 0.91) {
          if (!c.connected) {
            c.disconnect() // forget a connection the server closed
            c.connect(room)
          }
        } else if (!c.connected) {
          if (prng.bool(rng)) c.reorderOutbox(rng)
          else c.dropOutboxRandomly(rng, 0.3)
        }
      }
      for (const c of clients) {
        if (!c.connected) {
          c.disconnect()
          c.connect(room)
        }
      }
      await settle(room, clients)
      // Reordered deliveries may trip the unintegrated-update limit (1008); nothing else may close a client.
      for (const c of clients) for (const close of c.closes) expect(close.code).toBe(CloseCode.policyViolation)
      for (const c of clients) {
        if (!c.connected) {
          c.disconnect()
          c.connect(room)
        }
      }
      await settle(room, clients)
      expect(log.failed).toEqual([])
      expect(room.doc.getXmlFragment('prosemirror').length + room.doc.getText('text').length).toBeGreaterThan(0)
      await expectConverged(room, clients, store)
    })
  }
})
