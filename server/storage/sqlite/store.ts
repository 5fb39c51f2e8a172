/**
 * `DocStore` on SQLite, with the database in a worker thread (see worker.ts for why and for group commit).
 * This side only posts requests and resolves their promises in order.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { CompactResult, DocMeta, DocStore, Durability, LoadedDoc, StoreStats } from '../store.ts'
import { StorageError } from '../store.ts'
import type { ReplyBatch, Request, RequestBody, WorkerConfig } from './messages.ts'
import { spawnStorageThread } from './spawn-worker.ts'

export interface SqliteStoreOptions {
  /** The data directory; the database is `inkwell.db` inside it. */
  dir: string
  durability: Durability
  compactRecords?: number
  compactBytes?: number
  /** At most one automatic compaction per room per this many milliseconds. Default 10 s. */
  compactIntervalMs?: number
  /** Caps the database size in pages (4 KiB each); writes past it fail as if the disk were full. */
  maxPageCount?: number
  /**
   * `ping` (readiness) fails when the data directory's file system has fewer bytes free than this: writes would
   * soon fail with ENOSPC. Default 16 MiB.
   */
  minFreeBytes?: number
  /** A compaction past the size thresholds failed (the log is intact; it is tried again as the log grows). */
  onCompactionError?(room: string, error: string): void
}

export const DB_FILE = 'inkwell.db'

export class SqliteStore implements DocStore {
  private nextId = 1
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private dead: StorageError | null = null
  private counts: StoreStats = { commits: 0, compactions: 0, quarantined: 0 }

  private constructor(
    private worker: Worker,
    onCompactionError: SqliteStoreOptions['onCompactionError'],
  ) {
    worker.on('message', ({ replies, stats, compactionErrors }: ReplyBatch) => {
      this.counts = stats
      for (const e of compactionErrors ?? []) onCompactionError?.(e.room, e.error)
      for (const reply of replies) {
        const p = this.pending.get(reply.id)
        if (!p) continue
        this.pending.delete(reply.id)
        if (reply.ok) p.resolve(reply.value)
        else p.reject(new StorageError(reply.error.message, reply.error.code))
      }
    })
    const die = (why: string) => {
      // A worker that exits after `close()` keeps the store's "closed" reason.
      this.dead ??= new StorageError(why)
      for (const p of this.pending.values()) p.reject(this.dead)
      this.pending.clear()
    }
    worker.on('error', (err) => die(`storage worker failed: ${err.message}`))
    worker.on('exit', (code) => die(`storage worker exited (code ${code})`))
  }

  static async open(opts: SqliteStoreOptions): Promise<SqliteStore> {
    mkdirSync(opts.dir, { recursive: true })
    const config: WorkerConfig = {
      file: join(opts.dir, DB_FILE),
      durability: opts.durability,
      compactRecords: opts.compactRecords ?? 1000,
      compactBytes: opts.compactBytes ?? 1024 * 1024,
      compactIntervalMs: opts.compactIntervalMs ?? 10_000,
      maxPageCount: opts.maxPageCount,
      minFreeBytes: opts.minFreeBytes ?? 16 * 1024 * 1024,
    }
    const worker = spawnStorageThread('storage-worker', new URL('./worker.ts', import.meta.url), { config })
    const ready = await new Promise<{ ready: boolean; error?: string }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    if (!ready.ready) {
      await worker.terminate()
      throw new StorageError(`cannot open the database ${config.file}: ${ready.error}`)
    }
    return new SqliteStore(worker, opts.onCompactionError)
  }

  private call<T>(body: RequestBody): Promise<T> {
    if (this.dead) return Promise.reject(this.dead)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.outbox.push({ ...body, id } as Request)
      if (this.outbox.length === 1) queueMicrotask(this.post)
    })
  }

  /**
   * Requests made in one turn of the event loop go to the worker as one message, in order: a relay of many updates
   * (or one incoming TCP read holding several) costs one `postMessage`, not one per update. The worker commits them
   * together anyway (group commit).
   */
  private outbox: Request[] = []
  private post = (): void => {
    const batch = this.outbox
    this.outbox = []
    if (this.dead) {
      for (const req of batch) this.settleDead(req.id)
      return
    }
    this.worker.postMessage(batch)
  }

  private settleDead(id: number): void {
    const p = this.pending.get(id)
    this.pending.delete(id)
    p?.reject(this.dead!)
  }

  load(room: string): Promise<LoadedDoc> {
    return this.call({ op: 'load', room })
  }
  append(room: string, update: Uint8Array): Promise<void> {
    return this.call({ op: 'append', room, update })
  }
  compact(room: string): Promise<CompactResult> {
    return this.call({ op: 'compact', room })
  }
  quarantine(room: string, seq: number, reason: string): Promise<void> {
    return this.call({ op: 'quarantine', room, seq, reason })
  }
  quarantineData(room: string, data: Uint8Array, reason: string): Promise<void> {
    return this.call({ op: 'quarantineData', room, data, reason })
  }
  meta(room: string): Promise<DocMeta | null> {
    return this.call({ op: 'meta', room })
  }
  list(): Promise<DocMeta[]> {
    return this.call({ op: 'list' })
  }
  delete(room: string): Promise<boolean> {
    return this.call({ op: 'delete', room })
  }
  ping(): Promise<void> {
    return this.call({ op: 'ping' })
  }
  stats(): StoreStats {
    return { ...this.counts }
  }
  /** Caps the database size (fault-injection tests use it to make the disk "full" for real, with SQLITE_FULL). */
  setMaxPageCount(pages: number): Promise<void> {
    return this.call({ op: 'setMaxPageCount', pages })
  }
  async close(): Promise<void> {
    if (this.dead) return
    await this.call({ op: 'close' })
    this.dead = new StorageError('storage is closed')
    await this.worker.terminate()
  }
}
