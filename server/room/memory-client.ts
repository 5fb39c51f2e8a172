/**
 * An in-memory client for room tests (the house equivalent of tldraw's `TestSocketPair`).
 *
 * It speaks the protocol the way the stock y-websocket client does, with y-protocols' own `readSyncMessage` and
 * `applyAwarenessUpdate` and lib0 framing, so it does not share code with the room's decoder. Nothing moves on its
 * own: frames wait in `outbox` (client → server) and `inbox` (server → client) until a test delivers them, which makes
 * reorderings, drops and reconnects scriptable without timers.
 */
import { expect } from 'vitest'
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'
import * as syncProtocol from 'y-protocols/sync'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { FRAGMENT_NAME } from '../../shared/schema.ts'
import { buildDoc, pendingData } from '../storage/build-doc.ts'
import type { DocStore } from '../storage/store.ts'
import type { Peer } from './peer.ts'
import type { Room } from './room.ts'

/** The name of the `Y.Text` that room tests use next to the `prosemirror` fragment. */
export const TEXT_NAME = 'text'

export interface CloseRecord {
  code: number
  reason: string
}

/**
 * One connection's end of the pair, as the room sees it. A reconnect makes a new one, as a new socket would.
 *
 * Closing follows a socket's close handshake: `close` only marks the connection closing; the room hears that it is
 * gone (`room.leave`, as the WebSocket route's `onClose` does) once the client has read every frame sent before the
 * close, or at once when the client disconnects.
 */
export class MemoryPeer implements Peer {
  /** How the connection was closed (by the server, or 1000 by the client), or null while open. */
  closed: CloseRecord | null = null
  /** The room has been told the connection is gone. */
  gone = false
  /** Frames the room sent after closing this peer (a real socket drops them; tests may assert there are none). */
  sentAfterClose = 0
  /** Times the room suspected this connection is gone (`Peer.suspect`); the WebSocket route would ping it. */
  suspected = 0

  constructor(
    readonly id: string,
    readonly readOnly: boolean,
    private deliver: (frame: Uint8Array) => void,
    private onClose: (record: CloseRecord) => void,
  ) {}

  send(frame: Uint8Array): void {
    if (this.closed) {
      this.sentAfterClose++
      return
    }
    // The room may reuse a frame for several peers: copy, as a socket would.
    this.deliver(frame.slice())
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.closed = { code, reason }
    this.onClose(this.closed)
  }

  suspect(): void {
    this.suspected++
  }
}

/** What a frame is, decoded with lib0 alone (not with the module under test). */
export type FrameKind = 'sync-step1' | 'sync-step2' | 'sync-update' | 'awareness' | 'auth' | 'query-awareness' | 'other'

export function frameKind(frame: Uint8Array): FrameKind {
  try {
    const decoder = decoding.createDecoder(frame)
    const type = decoding.readVarUint(decoder)
    if (type === 0) return (['sync-step1', 'sync-step2', 'sync-update'] as const)[decoding.readVarUint(decoder)] ?? 'other'
    return (['other', 'awareness', 'auth', 'query-awareness'] as const)[type] ?? 'other'
  } catch {
    return 'other'
  }
}

/** The payload of a sync frame (a state vector or an update). */
export function syncPayload(frame: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(frame)
  decoding.readVarUint(decoder)
  decoding.readVarUint(decoder)
  return decoding.readVarUint8Array(decoder)
}

export interface MemoryClientOptions {
  readOnly?: boolean
  /** Fixed Yjs client id (awareness uses the same id). */
  clientID?: number
  /**
   * Queue every awareness change, remote ones included, as the stock y-websocket client does (it re-broadcasts other
   * clients' states). Off by default: only local changes are sent.
   */
  echoAwareness?: boolean
}

export class MemoryClient {
  readonly doc: Y.Doc
  readonly awareness: Awareness
  readonly readOnly: boolean
  /** Frames from this client to the server, in send order, not yet delivered. Kept across disconnects. */
  outbox: Uint8Array[] = []
  /** Frames from the server to this client, not yet delivered. Lost on disconnect, as on a real socket. */
  inbox: Uint8Array[] = []
  /** Every frame this client delivered to the room, in order. */
  readonly sent: Uint8Array[] = []
  /** Every frame delivered to this client, in order. */
  readonly received: Uint8Array[] = []
  /** Every close the server made on this client's connections. */
  readonly closes: CloseRecord[] = []
  /** A sync step 2 arrived on the current connection. */
  synced = false
  peer: MemoryPeer | null = null
  private room: Room | null = null
  private connections = 0
  private echoAwareness: boolean

  constructor(
    readonly name: string,
    opts: MemoryClientOptions = {},
  ) {
    this.readOnly = opts.readOnly ?? false
    this.echoAwareness = opts.echoAwareness ?? false
    this.doc = new Y.Doc()
    if (opts.clientID !== undefined) this.doc.clientID = opts.clientID
    this.awareness = new Awareness(this.doc)
    this.doc.on('update', this.onDocUpdate)
    this.awareness.on('update', this.onAwarenessUpdate)
  }

  /** Connected and not closed (by either side). */
  get connected(): boolean {
    return this.peer !== null && this.peer.closed === null
  }

  /** Whether queued frames can reach the room now (the socket is not gone). */
  get canSend(): boolean {
    return this.peer !== null && !this.peer.gone && this.room !== null
  }

  /** How the server closed the current connection, or null. */
  get closed(): CloseRecord | null {
    return this.peer?.closed ?? null
  }

  /**
   * Opens a connection: the room greets the peer, then the client sends its step 1 and its own awareness state, as
   * y-websocket does on open. A connection the server closed is finished first.
   */
  connect(room: Room): void {
    if (this.connected) throw new Error(`${this.name} is already connected`)
    if (this.peer) this.disconnect()
    this.room = room
    this.synced = false
    this.inbox = []
    const peer = new MemoryPeer(
      `${this.name}#${++this.connections}`,
      this.readOnly,
      (frame) => this.inbox.push(frame),
      (record) => this.closes.push(record),
    )
    this.peer = peer
    room.join(peer)
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 0)
    syncProtocol.writeSyncStep1(encoder, this.doc)
    this.outbox.push(encoding.toUint8Array(encoder))
    if (this.awareness.getLocalState() !== null) this.queueAwareness([this.doc.clientID])
  }

  /**
   * Closes the connection from the client's side (or finishes one the server closed): the room is told at once,
   * undelivered server frames are lost, queued client frames stay for the next connection.
   */
  disconnect(): void {
    const peer = this.peer
    if (peer === null) return
    if (peer.closed === null) peer.closed = { code: 1000, reason: 'client disconnected' }
    this.finish(peer)
    this.peer = null
    this.inbox = []
    this.synced = false
    // As y-websocket does: everyone else's cursor goes when the connection does.
    const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.doc.clientID)
    removeAwarenessStates(this.awareness, others, this)
  }

  /** The socket is gone: tell the room, as the WebSocket route's `onClose` does. */
  private finish(peer: MemoryPeer): void {
    if (peer.gone) return
    peer.gone = true
    this.room?.leave(peer)
  }

  /** Queues a raw frame for the server (for malformed-input tests). */
  send(frame: Uint8Array): void {
    this.outbox.push(frame)
  }

  /**
   * Delivers up to `max` queued frames to the room, in order, until the socket is gone: frames sent before the client
   * read the server's close still arrive (the room ignores them if it already dropped the peer). Returns how many.
   */
  flushToServer(max = Infinity): number {
    let n = 0
    while (n < max && this.outbox.length > 0 && this.canSend) {
      const frame = this.outbox.shift()!
      this.sent.push(frame)
      this.room!.receive(this.peer!, frame)
      n++
    }
    return n
  }

  /**
   * Delivers up to `max` frames the server sent. Frames sent before a server-side close still arrive; once the last
   * of them is read, the close completes and the room is told the connection is gone.
   */
  flushToClient(max = Infinity): number {
    let n = 0
    while (n < max && this.inbox.length > 0) {
      const frame = this.inbox.shift()!
      this.received.push(frame)
      this.handle(frame)
      n++
    }
    if (this.inbox.length === 0 && this.peer?.closed && !this.peer.gone) this.finish(this.peer)
    return n
  }

  /** Loses every frame the server sent that has not been delivered. */
  dropInbox(): Uint8Array[] {
    const dropped = this.inbox
    this.inbox = []
    return dropped
  }

  /** Loses queued client → server frames: those at `indices`, or all. */
  dropOutbox(indices?: number[]): Uint8Array[] {
    if (!indices) return this.dropOutboxWhere(() => true)
    const set = new Set(indices)
    return this.dropOutboxWhere((_, i) => set.has(i))
  }

  /** Loses each queued client → server frame with probability `p`. */
  dropOutboxRandomly(rng: prng.PRNG, p: number): Uint8Array[] {
    return this.dropOutboxWhere(() => prng.real53(rng) < p)
  }

  /** Shuffles the queued client → server frames (Fisher–Yates with the given generator). */
  reorderOutbox(rng: prng.PRNG): void {
    shuffle(rng, this.outbox)
  }

  /** Shuffles the undelivered server → client frames. */
  reorderInbox(rng: prng.PRNG): void {
    shuffle(rng, this.inbox)
  }

  /** Kinds of the frames waiting in the inbox. */
  inboxKinds(): FrameKind[] {
    return this.inbox.map(frameKind)
  }

  /** Kinds of every frame delivered so far. */
  receivedKinds(): FrameKind[] {
    return this.received.map(frameKind)
  }

  get fragment(): Y.XmlFragment {
    return this.doc.getXmlFragment(FRAGMENT_NAME)
  }

  get text(): Y.Text {
    return this.doc.getText(TEXT_NAME)
  }

  destroy(): void {
    this.doc.off('update', this.onDocUpdate)
    this.awareness.off('update', this.onAwarenessUpdate)
    this.awareness.destroy()
    this.doc.destroy()
  }

  private dropOutboxWhere(pred: (frame: Uint8Array, i: number) => boolean): Uint8Array[] {
    const dropped: Uint8Array[] = []
    this.outbox = this.outbox.filter((f, i) => {
      if (!pred(f, i)) return true
      dropped.push(f)
      return false
    })
    return dropped
  }

  /** What y-websocket's `messageHandlers` do with one server frame. */
  private handle(frame: Uint8Array): void {
    const decoder = decoding.createDecoder(frame)
    const encoder = encoding.createEncoder()
    const type = decoding.readVarUint(decoder)
    switch (type) {
      case 0: {
        encoding.writeVarUint(encoder, 0)
        const syncType = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this)
        if (syncType === syncProtocol.messageYjsSyncStep2) this.synced = true
        // Only a step 1 has an answer; the encoder then holds more than the message type.
        if (encoding.length(encoder) > 1) this.outbox.push(encoding.toUint8Array(encoder))
        break
      }
      case 1:
        applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this)
        break
      case 2:
        // Permission denied: the stock client only logs it.
        break
      case 3:
        this.queueAwareness([...this.awareness.getStates().keys()])
        break
      default:
        throw new Error(`${this.name}: the server sent an unknown message type ${type}`)
    }
  }

  private queueAwareness(ids: number[]): void {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(this.awareness, ids))
    this.outbox.push(encoding.toUint8Array(encoder))
  }

  private onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    // Updates that came from the server are not sent back; local edits are queued even while offline.
    if (origin === this) return
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 0)
    syncProtocol.writeUpdate(encoder, update)
    this.outbox.push(encoding.toUint8Array(encoder))
  }

  private onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    // Remote changes carry this client as origin; the stock client re-sends those too, but only while connected.
    if (origin === this && (!this.echoAwareness || !this.connected)) return
    this.queueAwareness(added.concat(updated, removed))
  }
}

function shuffle<T>(rng: prng.PRNG, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = prng.int32(rng, 0, i)
    ;[items[i], items[j]] = [items[j], items[i]]
  }
}

/** Lets pending promise callbacks run (one event-loop turn, no timer): the room's deferred sends go out. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Delivers frames both ways, waiting for the room's writes in between, until a whole round moves nothing.
 * Disconnected clients keep their outbox. Throws if traffic never stops (a livelock is a bug too).
 */
export async function settle(room: Room, clients: MemoryClient[], maxRounds = 500): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    let moved = 0
    for (const c of clients) moved += c.flushToServer()
    await room.whenDurable()
    await drainMicrotasks()
    for (const c of clients) moved += c.flushToClient()
    // A close that completed this round may have queued frames for clients already flushed: go round again.
    const quiet = clients.every((c) => c.inbox.length === 0 && (c.outbox.length === 0 || !c.canSend))
    if (moved === 0 && quiet && room.pendingWrites === 0) return
  }
  throw new Error(`settle: frames still moving after ${maxRounds} rounds`)
}

/** What convergence compares: the ProseMirror fragment, the side text, and the state vector. */
export function docContent(doc: Y.Doc): { prosemirror: string; text: string; stateVector: [number, number][] } {
  return {
    prosemirror: doc.getXmlFragment(FRAGMENT_NAME).toString(),
    text: doc.getText(TEXT_NAME).toString(),
    stateVector: [...Y.decodeStateVector(Y.encodeStateVector(doc))].sort((a, b) => a[0] - b[0]),
  }
}

/**
 * Every client, the server's document and the document reloaded from the store hold the same content and state
 * vector, and none of them holds data that did not integrate.
 */
export async function expectConverged(room: Room, clients: MemoryClient[], store: DocStore): Promise<void> {
  await room.whenDurable()
  const server = docContent(room.doc)
  expect(pendingData(room.doc), 'server doc holds unintegrated data').toBeNull()
  const { records } = await store.load(room.name)
  const { doc: reloaded, bad } = buildDoc(records)
  try {
    expect(bad, 'stored records that do not apply').toEqual([])
    expect(pendingData(reloaded), 'stored data that does not integrate').toBeNull()
    expect(docContent(reloaded), 'doc reloaded from the store').toEqual(server)
  } finally {
    reloaded.destroy()
  }
  for (const c of clients) {
    expect(pendingData(c.doc), `${c.name} holds unintegrated data`).toBeNull()
    expect(docContent(c.doc), `${c.name}`).toEqual(server)
  }
}
