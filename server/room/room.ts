/**
 * A room owns one document: its `Y.Doc`, its `Awareness`, its peers and its pending writes.
 *
 * Invariants:
 * - **Write-ahead.** An update from a peer is applied to the document, appended to storage, and relayed to the
 *   other peers only once the store has it. Relays leave in the order updates arrived, whatever order the store
 *   answers in. A sync step 2 (and any snapshot) is encoded first and sent only once every write it contains is
 *   durable, so nothing a client sees can be lost by a crash.
 * - **Only integrated data is kept.** An update whose dependencies the room lacks would sit in the doc as pending
 *   structs, be sent to every newcomer and stored forever. The room keeps only what integrated (the doc's `update`
 *   event carries exactly that), clears the pending part, and asks the sender for a resync.
 * - **Storage errors stop the room, loudly.** A failed write fails the room: every peer is closed with 1011 and the
 *   registry drops it, so the in-memory doc holding the unstored update is never served. Nothing unstored was
 *   relayed; the clients still hold their edits and re-send them when they reconnect to a reloaded room.
 * - **Awareness belongs to the connection that introduced it.** A peer may set or remove only the awareness client
 *   ids it introduced; entries for others are dropped silently (the stock client echoes everyone's state). A claim
 *   with a newer clock on an id another peer holds is what an editor that reconnected sends while the server still
 *   holds its old, dead connection: the holder is then suspected (`Peer.suspect`), and if it turns out gone, the
 *   claimant is asked for its state again (query-awareness) once the id is free.
 */
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { CloseCode } from '../../shared/close-codes.ts'
import type { DocStore } from '../storage/store.ts'
import {
  ProtocolError,
  decodeAwarenessEntries,
  decodeMessage,
  encodeAwareness,
  encodeAwarenessEntries,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from '../protocol/messages.ts'
import { SERVER_ORIGIN, STORAGE_ORIGIN } from './origins.ts'
import type { Peer } from './peer.ts'
import type { RoomObserver } from './observer.ts'

export interface RoomOptions {
  /** Unintegrated updates a peer may send in a row before it is closed with 1008. */
  maxUnintegrated: number
  /** Bytes of unintegrated updates a peer may send in its lifetime before it is closed with 1008. */
  maxUnintegratedBytes: number
  /** Awareness client ids one peer may introduce. */
  maxAwarenessIds: number
  /** Bytes of one awareness state (JSON text). */
  maxAwarenessStateBytes: number
  /** Whether awareness from read-only peers (their cursors) is shown to the others. */
  readOnlyAwareness: boolean
}

export const DEFAULT_ROOM_OPTIONS: RoomOptions = {
  maxUnintegrated: 8,
  maxUnintegratedBytes: 1024 * 1024,
  maxAwarenessIds: 4,
  maxAwarenessStateBytes: 16 * 1024,
  readOnlyAwareness: true,
}

export interface RoomHooks {
  /** The last peer left. */
  idle(room: Room): void
  /** A peer joined an idle room. */
  busy(room: Room): void
  /** Storage failed; the room has closed its peers and must be dropped. */
  failed(room: Room, error: Error): void
  /** A peer was closed for a protocol or policy violation. */
  rejected?(room: Room, peer: Peer, code: number, reason: string): void
}

type RoomState = { kind: 'live' } | { kind: 'failed'; error: Error } | { kind: 'closed' }

interface PeerState {
  /** Awareness client ids this peer introduced: the only ones it may change or remove. */
  awarenessIds: Set<number>
  /** Consecutive updates from this peer that did not integrate. */
  unintegrated: number
  /** Bytes of updates from this peer that did not integrate, over its lifetime. */
  unintegratedBytes: number
}

interface Relay {
  frame: Uint8Array
  origin: unknown
  durable: boolean
  /** `performance.now()` when the update was applied, for the relay latency. */
  at: number
}

export class Room {
  readonly awareness: Awareness
  private state: RoomState = { kind: 'live' }
  private peers = new Map<Peer, PeerState>()
  private awarenessOwner = new Map<number, Peer>()
  /** Peers whose newer claims on an id another peer holds were dropped: asked again if the holder leaves. */
  private claimants = new Map<number, Set<Peer>>()
  /** The whole document as one encoded update, while it is known and current (see `answerStep1`). */
  private fullState: Uint8Array | null = null
  /** Updates applied but not yet relayed, in arrival order. */
  private outbox: Relay[] = []
  /** Writes not yet answered by the store. Each settles (never rejects); failures fail the room. */
  private inflight = new Set<Promise<void>>()

  constructor(
    readonly name: string,
    readonly doc: Y.Doc,
    private store: DocStore,
    private hooks: RoomHooks,
    private options: RoomOptions = DEFAULT_ROOM_OPTIONS,
    private observer: RoomObserver = {},
  ) {
    this.awareness = new Awareness(doc)
    // The server is not a participant: it has no cursor of its own.
    this.awareness.setLocalState(null)
    doc.on('update', this.onDocUpdate)
    this.awareness.on('update', this.onAwarenessUpdate)
  }

  get peerCount(): number {
    return this.peers.size
  }

  get live(): boolean {
    return this.state.kind === 'live'
  }

  get failure(): Error | null {
    return this.state.kind === 'failed' ? this.state.error : null
  }

  /** Updates applied but not yet durable. */
  get pendingWrites(): number {
    return this.inflight.size
  }

  join(peer: Peer): void {
    if (this.state.kind !== 'live') {
      peer.close(CloseCode.internalError, 'room is not available, try again')
      return
    }
    this.peers.set(peer, { awarenessIds: new Set(), unintegrated: 0, unintegratedBytes: 0 })
    if (this.peers.size === 1) this.hooks.busy(this)
    peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
    if (this.awareness.getStates().size > 0) {
      peer.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()])))
    }
  }

  leave(peer: Peer): void {
    const ps = this.peers.get(peer)
    if (!ps) return
    this.peers.delete(peer)
    const ids = [...ps.awarenessIds]
    for (const id of ids) this.awarenessOwner.delete(id)
    // Remove the cursor now, not after the 30 s awareness timeout.
    if (ids.length > 0 && this.state.kind === 'live') removeAwarenessStates(this.awareness, ids, 'disconnect')
    // Whoever claimed an id this peer held may have it now: ask them for their state again.
    const askAgain = new Set<Peer>()
    for (const [id, waiting] of this.claimants) {
      waiting.delete(peer)
      if (ps.awarenessIds.has(id)) {
        for (const p of waiting) askAgain.add(p)
        this.claimants.delete(id)
      } else if (waiting.size === 0) this.claimants.delete(id)
    }
    if (this.state.kind === 'live') for (const p of askAgain) if (this.peers.has(p)) p.send(encodeQueryAwareness())
    if (this.peers.size === 0) this.hooks.idle(this)
  }

  /** Handles one binary message from `peer`. A bad message closes only that peer. */
  receive(peer: Peer, data: Uint8Array): void {
    const ps = this.peers.get(peer)
    if (!ps || this.state.kind !== 'live') return
    try {
      const msg = decodeMessage(data)
      switch (msg.type) {
        case 'sync-step1':
          this.answerStep1(peer, msg.stateVector)
          break
        case 'sync-step2':
        case 'sync-update':
          if (!peer.readOnly) this.applyFromPeer(peer, ps, msg.update)
          break
        case 'awareness':
          if (!peer.readOnly || this.options.readOnlyAwareness) this.applyAwareness(peer, ps, msg.update)
          break
        case 'query-awareness':
          peer.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()])))
          break
        case 'auth':
          // Only servers send auth messages; a client's is meaningless and harmless.
          break
      }
    } catch (err) {
      const code = err instanceof ProtocolError ? err.code : CloseCode.protocolError
      this.reject(peer, code, (err as Error).message)
    }
  }

  /** Closes `peer` for a violation and reports it. */
  reject(peer: Peer, code: number, reason: string): void {
    this.hooks.rejected?.(this, peer, code, reason)
    this.observer.rejected?.(code, reason)
    peer.close(code, reason.slice(0, 120))
    this.leave(peer)
  }

  /**
   * Gives the room the encoded state it was loaded from, to answer newcomers without encoding the document. Only
   * valid until the document changes, and only when `state` holds exactly the document.
   */
  seedFullState(state: Uint8Array): void {
    this.fullState = state
  }

  private answerStep1(peer: Peer, stateVector: Uint8Array): void {
    let update: Uint8Array
    try {
      // A newcomer with an empty document (state vector `[0]`) needs everything: the same bytes for every such
      // newcomer until the document changes. Encoding a large document per newcomer costs tens of milliseconds.
      update =
        stateVector.length === 1 && stateVector[0] === 0
          ? (this.fullState ??= Y.encodeStateAsUpdate(this.doc))
          : Y.encodeStateAsUpdate(this.doc, stateVector)
    } catch (err) {
      throw new ProtocolError(`malformed state vector: ${(err as Error).message}`)
    }
    const frame = encodeSyncStep2(update)
    if (this.inflight.size === 0) {
      peer.send(frame)
      return
    }
    // The answer may hold updates whose writes are still in flight: send it once those are durable. Only those:
    // waiting for later writes too would starve a newcomer while others keep typing.
    void Promise.all([...this.inflight]).then(() => {
      if (this.state.kind === 'live' && this.peers.has(peer)) peer.send(frame)
    })
  }

  private applyFromPeer(peer: Peer, ps: PeerState, update: Uint8Array): void {
    if (this.startsPastOurState(update)) {
      // It cannot integrate: do not let it near the document (pending structs merge in quadratic time).
      this.unintegrated(peer, ps, update)
      return
    }
    try {
      Y.applyUpdate(this.doc, update, peer)
    } catch (err) {
      this.clearPending()
      throw new ProtocolError(`update does not apply: ${(err as Error).message}`)
    }
    if (this.clearPending()) this.unintegrated(peer, ps, update)
    else ps.unintegrated = 0
  }

  /**
   * Decodes the whole update (structs and delete set) before the document sees any of it: Yjs integrates structs
   * before it reads the delete set, so a frame cut inside its delete set would otherwise store half of itself.
   * Returns whether some client's structs start past the clock we have for that client: such an update has a gap
   * and would sit as pending structs.
   */
  private startsPastOurState(update: Uint8Array): boolean {
    return startsPastState(this.doc, update)
  }

  private unintegrated(peer: Peer, ps: PeerState, update: Uint8Array): void {
    ps.unintegrated++
    ps.unintegratedBytes += update.byteLength
    if (ps.unintegrated > this.options.maxUnintegrated || ps.unintegratedBytes > this.options.maxUnintegratedBytes) {
      throw new ProtocolError('too many updates that reference missing state', CloseCode.policyViolation)
    }
    // An honest client that lost track re-sends what we lack when it sees our state vector.
    peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  /** Drops what did not integrate. Returns whether there was any. */
  private clearPending(): boolean {
    const store = this.doc.store
    if (store.pendingStructs === null && store.pendingDs === null) return false
    store.pendingStructs = null
    store.pendingDs = null
    return true
  }

  private applyAwareness(peer: Peer, ps: PeerState, update: Uint8Array): void {
    const entries = decodeAwarenessEntries(update)
    const accepted = entries.filter((e) => {
      const owner = this.awarenessOwner.get(e.clientID)
      if (owner !== undefined && owner !== peer) {
        if (e.state !== 'null' && e.clock > (this.awareness.meta.get(e.clientID)?.clock ?? 0)) this.contest(e.clientID, owner, peer)
        return false
      }
      if (e.state === 'null') return owner === peer
      return true
    })
    if (accepted.length === 0) return
    let introduced = 0
    for (const e of accepted) {
      // UTF-8 bytes, as the state travels: `length` would count UTF-16 units and let non-ASCII states run ~3× over.
      if (e.state.length > this.options.maxAwarenessStateBytes / 3 && Buffer.byteLength(e.state) > this.options.maxAwarenessStateBytes) {
        throw new ProtocolError(
          `awareness state larger than ${this.options.maxAwarenessStateBytes} bytes`,
          CloseCode.messageTooBig,
        )
      }
      try {
        JSON.parse(e.state)
      } catch {
        throw new ProtocolError('malformed awareness state: not JSON')
      }
      if (e.state !== 'null' && !ps.awarenessIds.has(e.clientID)) introduced++
    }
    if (ps.awarenessIds.size + introduced > this.options.maxAwarenessIds) {
      throw new ProtocolError(
        `more than ${this.options.maxAwarenessIds} awareness client ids on one connection`,
        CloseCode.policyViolation,
      )
    }
    applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(accepted), peer)
    const metas = this.awareness.meta
    for (const e of accepted) {
      const present = this.awareness.getStates().has(e.clientID)
      if (e.state !== 'null' && present && metas.get(e.clientID)?.clock === e.clock) {
        this.awarenessOwner.set(e.clientID, peer)
        ps.awarenessIds.add(e.clientID)
      } else if (!present && this.awarenessOwner.get(e.clientID) === peer) {
        this.awarenessOwner.delete(e.clientID)
        ps.awarenessIds.delete(e.clientID)
      }
    }
  }

  /**
   * `claimant` sent a newer state for an id `owner` holds. The stock client echoes other people's states, but with
   * the clock it received, never a newer one; a newer clock is the id's own editor, reconnected, or a spoofer. Either
   * way the owner is checked, not replaced: if it is alive it keeps the id.
   */
  private contest(id: number, owner: Peer, claimant: Peer): void {
    let waiting = this.claimants.get(id)
    if (!waiting) this.claimants.set(id, (waiting = new Set()))
    // Bounded: one entry per peer in the room for each id held.
    waiting.add(claimant)
    owner.suspect?.()
  }

  private onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    this.fullState = null
    if (origin === STORAGE_ORIGIN || this.state.kind !== 'live') return
    const at = performance.now()
    const relay: Relay = { frame: encodeUpdate(update), origin, durable: false, at }
    this.outbox.push(relay)
    const write: Promise<void> = this.store.append(this.name, update).then(
      () => {
        this.observer.stored?.(performance.now() - at)
        this.inflight.delete(write)
        relay.durable = true
        this.drainOutbox()
      },
      (err: Error) => {
        this.inflight.delete(write)
        this.fail(err)
      },
    )
    this.inflight.add(write)
  }

  private drainOutbox(): void {
    while (this.outbox.length > 0 && this.outbox[0].durable) {
      const { frame, origin, at } = this.outbox.shift()!
      for (const peer of this.peers.keys()) if (peer !== origin) peer.send(frame)
      this.observer.relayed?.(performance.now() - at)
    }
  }

  private onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    _origin: unknown,
  ): void => {
    for (const id of removed) {
      const owner = this.awarenessOwner.get(id)
      if (owner) {
        this.awarenessOwner.delete(id)
        this.peers.get(owner)?.awarenessIds.delete(id)
      }
    }
    if (this.state.kind !== 'live') return
    const changed = added.concat(updated, removed)
    const frame = encodeAwareness(encodeAwarenessUpdate(this.awareness, changed))
    // Sent to the sender too: a provider that hears nothing for 30 s reconnects, and a lone client's only traffic
    // is its own awareness renewal every 15 s.
    for (const peer of this.peers.keys()) peer.send(frame)
  }

  /**
   * Applies a change the server makes itself (an operator's import) as one transaction with `SERVER_ORIGIN`: it is
   * stored write-ahead and relayed to every peer, like any update. Data that does not integrate is dropped, never
   * kept as pending structs. Resolves once the change is durable; rejects if the room is not live or storage fails.
   */
  async serverChange(change: (doc: Y.Doc) => void): Promise<{ droppedUnintegrated: boolean }> {
    if (this.state.kind === 'failed') throw this.state.error
    if (this.state.kind === 'closed') throw new Error('room is closed')
    this.doc.transact(() => change(this.doc), SERVER_ORIGIN)
    const droppedUnintegrated = this.clearPending()
    await Promise.all([...this.inflight])
    // The state may have changed while the write was in flight.
    const failure = this.failure
    if (failure) throw failure
    return { droppedUnintegrated }
  }

  /** Resolves once every write issued so far has settled (stored, or failed the room). */
  async whenDurable(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight])
  }

  /**
   * The room's content as one Yjs update holding only durable data: encoded now, returned once every write it
   * contains is stored. Throws if storage failed meanwhile.
   */
  async durableSnapshot(): Promise<Uint8Array> {
    const snapshot = Y.encodeStateAsUpdate(this.doc)
    const writes = [...this.inflight]
    await Promise.all(writes)
    if (this.state.kind === 'failed') throw this.state.error
    return snapshot
  }

  /** Storage failed: close every peer with 1011 and hand the room to the registry to drop. */
  private fail(error: Error): void {
    if (this.state.kind !== 'live') return
    this.state = { kind: 'failed', error }
    this.outbox = []
    const reason = 'storage failed; edits are not accepted until it recovers'
    for (const peer of [...this.peers.keys()]) peer.close(CloseCode.internalError, reason)
    this.peers.clear()
    this.awarenessOwner.clear()
    this.hooks.failed(this, error)
    this.destroy()
  }

  /**
   * Asks every peer to close with `code` (1012 on shutdown) without dropping them yet: their messages are still
   * handled until each socket has closed, so frames a client sent before it saw the close are not lost.
   */
  closePeers(code: number, reason: string): void {
    for (const peer of this.peers.keys()) peer.close(code, reason)
  }

  /** Drops every peer at once (after `closePeers`, for those that never finished closing). */
  dropPeers(): void {
    for (const peer of [...this.peers.keys()]) this.leave(peer)
  }

  /** Waits for every write, then releases the document. The room is unusable afterwards. */
  async close(): Promise<void> {
    await this.whenDurable()
    if (this.state.kind === 'live') this.state = { kind: 'closed' }
    this.destroy()
  }

  private destroy(): void {
    this.doc.off('update', this.onDocUpdate)
    this.awareness.off('update', this.onAwarenessUpdate)
    this.awareness.destroy()
    this.doc.destroy()
  }
}

/**
 * Decodes the whole update (structs and delete set), throwing a `ProtocolError` if it is malformed, and returns
 * whether some client's structs start past the clock `doc` has for that client: such an update has a gap and would
 * sit in the document as pending structs.
 */
export function startsPastState(doc: Y.Doc, update: Uint8Array): boolean {
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch (err) {
    throw new ProtocolError(`update does not decode: ${(err as Error).message}`)
  }
  const { structs, ds } = decoded
  // `decodeUpdate` ignores bytes after the delete set. An update that holds nothing encodes as 2 bytes; more bytes
  // that decode to nothing are not an update (the V2 payloads of yjs#687 read as V1 look like this).
  if (structs.length === 0 && ds.clients.size === 0 && update.byteLength > 2) {
    throw new ProtocolError('update does not decode: bytes after an empty update')
  }
  let client = -1
  for (const s of structs) {
    // Structs come grouped by client, lowest clock first.
    if (s.id.client === client) continue
    client = s.id.client
    if (s.id.clock > Y.getState(doc.store, client)) return true
  }
  return false
}
