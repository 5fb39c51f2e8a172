/**
 * The registry maps room names to rooms and owns their lifecycles.
 *
 * - Concurrent opens of one room share one load (one promise), so two clients never get two documents.
 * - A room is loaded from storage completely before anyone can join it.
 * - A room with no peers is unloaded after `idleMs`; unloading waits for its last write and compacts its log, and an
 *   open that arrives meanwhile waits for the unload to finish, then loads the room again.
 * - A room whose storage failed is dropped at once (its peers are already closed); the error is kept for the API.
 */
import type { DocStore } from '../storage/store.ts'
import { buildDoc, pendingData } from '../storage/build-doc.ts'
import { Room, type RoomOptions, DEFAULT_ROOM_OPTIONS } from './room.ts'
import type { Peer } from './peer.ts'
import type { RoomObserver } from './observer.ts'
import type { Logger } from '../log.ts'

export interface RegistryOptions {
  /** How long a room with no connections stays in memory. */
  idleMs: number
  /** Rooms in memory at once (loaded, loading or unloading); opening one more is refused. */
  maxRooms?: number
  room?: RoomOptions
  /** Told about relays, writes, rejections and storage failures in every room (metrics). */
  observer?: RoomObserver
}

/** Opening a room was refused because `maxRooms` are in memory. */
export class RoomLimitError extends Error {
  readonly code = 'ROOM_LIMIT'
}

/** Opening a room was refused because the server is shutting down. */
export class ShuttingDownError extends Error {
  readonly code = 'SHUTTING_DOWN'
  constructor() {
    super('server is shutting down')
  }
}

/**
 * Told the document's stored state, as one encoded update, as soon as it is read and before the document is built
 * from it: only when the log is one record (a compaction snapshot, usually), which is then the whole document.
 */
export type StoredStateListener = (state: Uint8Array) => void

type Entry =
  | { kind: 'loading'; promise: Promise<Room>; early: StoredStateListener[] }
  | { kind: 'live'; room: Room; idleTimer: NodeJS.Timeout | null }
  | { kind: 'closing'; done: Promise<void> }

export class RoomRegistry {
  private entries = new Map<string, Entry>()
  /** The last storage error of each room, until it loads or writes successfully again. */
  readonly storageErrors = new Map<string, string>()
  private shuttingDown = false
  /** During shutdown: rooms waiting for their last peer to finish closing. */
  private drained = new Map<Room, () => void>()

  constructor(
    private store: DocStore,
    private log: Logger,
    private options: RegistryOptions,
  ) {}

  /**
   * The live room called `name`, loading it if needed; rejects if storage cannot load it. `onStoredState` (see
   * `StoredStateListener`) lets a newcomer be answered from the stored bytes while the document is still being built
   * from them: for a large document, building is most of the time a cold open takes.
   */
  async open(name: string, onStoredState?: StoredStateListener): Promise<Room> {
    for (;;) {
      if (this.shuttingDown) throw new ShuttingDownError()
      const entry = this.entries.get(name)
      if (!entry) {
        if (this.entries.size >= (this.options.maxRooms ?? Infinity)) {
          throw new RoomLimitError(`${this.entries.size} documents are open, the limit (MAX_ROOMS)`)
        }
        return this.load(name, onStoredState)
      }
      switch (entry.kind) {
        case 'loading':
          if (onStoredState) entry.early.push(onStoredState)
          return entry.promise
        case 'live':
          this.clearIdle(entry)
          return entry.room
        case 'closing':
          await entry.done
          continue
      }
    }
  }

  /** The room if it is in memory now; never loads. */
  peek(name: string): Room | undefined {
    const entry = this.entries.get(name)
    return entry?.kind === 'live' ? entry.room : undefined
  }

  get size(): number {
    return this.entries.size
  }

  /** Every live room. */
  rooms(): Room[] {
    const out: Room[] = []
    for (const e of this.entries.values()) if (e.kind === 'live') out.push(e.room)
    return out
  }

  private load(name: string, onStoredState?: StoredStateListener): Promise<Room> {
    const early: StoredStateListener[] = onStoredState ? [onStoredState] : []
    const promise = this.loadRoom(name, early).then(
      (room) => {
        const entry: Entry = { kind: 'live', room, idleTimer: null }
        this.entries.set(name, entry)
        // Nobody may join after all (the opener went away): unload unless someone does.
        this.scheduleIdle(entry)
        return room
      },
      (err: Error) => {
        this.entries.delete(name)
        this.options.observer?.storageFailed?.()
        this.storageErrors.set(name, `cannot load: ${err.message}`)
        this.log.error({ room: name, err: err.message }, 'room failed to load')
        throw err
      },
    )
    this.entries.set(name, { kind: 'loading', promise, early })
    return promise
  }

  private async loadRoom(name: string, early: StoredStateListener[]): Promise<Room> {
    const started = performance.now()
    const loaded = await this.store.load(name)
    // One record that passed its checksum is the whole document as the server stored it: durable, and checked when it
    // was written (a client's update is fully decoded before it is stored; a snapshot is the server's own encoding).
    const listeners = early.splice(0)
    if (loaded.records.length === 1 && loaded.quarantined === 0) {
      for (const listener of listeners) listener(loaded.records[0].update)
    }
    const { doc, bad } = buildDoc(loaded.records)
    for (const record of bad) {
      await this.store.quarantine(name, record.seq, record.reason)
      this.log.error({ room: name, seq: record.seq, reason: record.reason }, 'stored record quarantined')
    }
    if (loaded.quarantined > 0) {
      this.log.error({ room: name, records: loaded.quarantined }, 'stored records failed their checksum and were quarantined')
    }
    const pending = pendingData(doc)
    if (pending) {
      await this.store.quarantineData(name, pending, 'does not integrate: references missing state')
      doc.store.pendingStructs = null
      doc.store.pendingDs = null
      this.log.error({ room: name, bytes: pending.byteLength }, 'stored data that does not integrate was quarantined')
    }
    this.storageErrors.delete(name)
    const room = new Room(name, doc, this.store, this.hooks, this.options.room ?? DEFAULT_ROOM_OPTIONS, this.options.observer)
    // One clean record (a compaction snapshot, usually) is the whole document already encoded: newcomers get it as is.
    if (loaded.records.length === 1 && bad.length === 0 && !pending) room.seedFullState(loaded.records[0].update)
    this.log.debug(
      { room: name, records: loaded.records.length, ms: Math.round(performance.now() - started) },
      'room loaded',
    )
    return room
  }

  private hooks = {
    idle: (room: Room) => {
      this.drained.get(room)?.()
      const entry = this.entries.get(room.name)
      if (entry?.kind === 'live' && entry.room === room) this.scheduleIdle(entry)
    },
    busy: (room: Room) => {
      const entry = this.entries.get(room.name)
      if (entry?.kind === 'live' && entry.room === room) this.clearIdle(entry)
    },
    failed: (room: Room, error: Error) => {
      const entry = this.entries.get(room.name)
      if (entry?.kind === 'live' && entry.room === room) {
        this.clearIdle(entry)
        this.entries.delete(room.name)
      }
      this.storageErrors.set(room.name, error.message)
      this.options.observer?.storageFailed?.()
      this.log.error({ room: room.name, err: error.message }, 'storage write failed; room closed its connections')
    },
    rejected: (room: Room, peer: Peer, code: number, reason: string) => {
      this.log.warn({ room: room.name, peer: peer.id, code, reason }, 'connection closed for bad input')
    },
  }

  /**
   * Runs `fn` on the room called `name` (loading it if needed) on behalf of no connection, such as an HTTP import,
   * then lets the room unload after `idleMs` if nobody has joined it meanwhile.
   */
  async use<T>(name: string, fn: (room: Room) => Promise<T>): Promise<T> {
    const room = await this.open(name)
    try {
      return await fn(room)
    } finally {
      const entry = this.entries.get(name)
      if (entry?.kind === 'live' && entry.room === room) this.scheduleIdle(entry)
    }
  }

  private scheduleIdle(entry: Extract<Entry, { kind: 'live' }>): void {
    this.clearIdle(entry)
    if (entry.room.peerCount > 0 || this.shuttingDown) return
    entry.idleTimer = setTimeout(() => void this.unload(entry.room), this.options.idleMs)
    entry.idleTimer.unref()
  }

  private clearIdle(entry: Extract<Entry, { kind: 'live' }>): void {
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    entry.idleTimer = null
  }

  /** Unloads a room: waits for its last write, compacts its log, then forgets it. */
  private async unload(room: Room): Promise<void> {
    const entry = this.entries.get(room.name)
    if (entry?.kind !== 'live' || entry.room !== room || room.peerCount > 0) return
    this.clearIdle(entry)
    const done = (async () => {
      await room.close()
      if (!room.failure) {
        try {
          await this.store.compact(room.name)
        } catch (err) {
          // The log is intact (compaction is one transaction); it is compacted on a later unload.
          this.log.warn({ room: room.name, err: (err as Error).message }, 'compaction on unload failed')
        }
      }
    })()
    this.entries.set(room.name, { kind: 'closing', done })
    try {
      await done
    } finally {
      if (this.entries.get(room.name)?.kind === 'closing') this.entries.delete(room.name)
    }
    this.log.debug({ room: room.name }, 'room unloaded')
  }

  /** Forgets a room's stored data and closes its peers (operator delete). */
  async delete(name: string, closeCode: number, reason: string): Promise<boolean> {
    let room: Room | undefined
    for (;;) {
      const entry = this.entries.get(name)
      if (entry?.kind === 'loading') await entry.promise.catch(() => {})
      else if (entry?.kind === 'closing') await entry.done
      else {
        room = entry?.room
        break
      }
    }
    if (room) {
      room.closePeers(closeCode, reason)
      room.dropPeers()
      await room.close()
      this.entries.delete(name)
    }
    this.storageErrors.delete(name)
    return this.store.delete(name)
  }

  /**
   * Shutdown: refuse new opens, ask every peer to close with `code`, keep handling their messages until their
   * sockets have closed (at most `drainMs`), then wait for every write and compact.
   */
  async shutdown(code: number, reason: string, drainMs = 3000): Promise<void> {
    this.shuttingDown = true
    for (const entry of this.entries.values()) if (entry.kind === 'loading') await entry.promise.catch(() => {})
    const waits: Promise<unknown>[] = []
    for (const entry of this.entries.values()) {
      switch (entry.kind) {
        case 'loading':
          break
        case 'live':
          this.clearIdle(entry)
          waits.push(this.closeForShutdown(entry.room, code, reason, drainMs))
          break
        case 'closing':
          waits.push(entry.done)
          break
      }
    }
    await Promise.all(waits)
    this.entries.clear()
  }

  private async closeForShutdown(room: Room, code: number, reason: string, drainMs: number): Promise<void> {
    if (room.peerCount > 0) {
      const drained = new Promise<void>((resolve) => this.drained.set(room, resolve))
      room.closePeers(code, reason)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, drainMs)))])
      clearTimeout(timer)
      this.drained.delete(room)
      room.dropPeers()
    }
    await room.close()
    if (!room.failure) await this.store.compact(room.name).catch(() => {})
  }
}
