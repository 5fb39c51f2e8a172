/** The messages between `SqliteStore` (main thread) and the storage worker. */
import type { Durability, StoreStats } from '../store.ts'

export interface WorkerConfig {
  file: string
  durability: Durability
  /** Compact a room's log once it has more records than this... */
  compactRecords: number
  /** ...or more bytes than this. */
  compactBytes: number
  /**
   * ...but automatically at most once per this many milliseconds per room: each compaction rebuilds the whole
   * document, so under a flood of writes compacting every time the thresholds pass would cost more than it saves.
   */
  compactIntervalMs: number
  maxPageCount?: number
  /** `ping` fails when the file system has fewer bytes free than this. */
  minFreeBytes: number
}

export type Request =
  | { id: number; op: 'append'; room: string; update: Uint8Array }
  | { id: number; op: 'load'; room: string }
  | { id: number; op: 'compact'; room: string }
  | { id: number; op: 'quarantine'; room: string; seq: number; reason: string }
  | { id: number; op: 'quarantineData'; room: string; data: Uint8Array; reason: string }
  | { id: number; op: 'meta'; room: string }
  | { id: number; op: 'list' }
  | { id: number; op: 'delete'; room: string }
  | { id: number; op: 'setMaxPageCount'; pages: number }
  | { id: number; op: 'ping' }
  | { id: number; op: 'close' }

/** Distributes `Omit` over a union, so each request keeps its own fields. */
export type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } }

/**
 * What the worker posts after each flush (the replies in request order) and when the compactor answers (no
 * replies): its counts so far, for metrics, and the background compactions that failed since the last batch.
 */
export interface ReplyBatch {
  replies: Reply[]
  stats: StoreStats
  compactionErrors?: { room: string; error: string }[]
}

/** The storage worker asks the compactor thread to compact one room's log. */
export interface CompactorRequest {
  room: string
}

export type CompactorReply =
  | { room: string; ok: true; compacted: boolean }
  | { room: string; ok: false; error: string }
