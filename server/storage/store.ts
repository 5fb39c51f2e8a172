/**
 * The storage interface every backend implements, and the only part of storage that rooms see.
 *
 * The contract (checked for every backend by `contract.ts`):
 * - `append` resolves only once the update is stored with the backend's durability (fsynced in `fsync` mode).
 *   Appends to the backend resolve in the order they were made. A rejected append means nothing is promised about
 *   that update; later appends may still succeed.
 * - `load` returns a room's records in append order. Records that fail their checksum are set aside
 *   (quarantined) by the backend, counted in the result, and never returned.
 * - `compact` replaces a room's records with one snapshot in one atomic step: a crash leaves the old records or the
 *   snapshot, never neither. Records that do not apply are quarantined in the same step, not dropped.
 * - Room names are keys, never paths.
 * - `ping` resolves only if a write could be stored now; it rejects with the reason otherwise (readiness probes).
 */
export interface StoredRecord {
  seq: number
  update: Uint8Array
}

export interface LoadedDoc {
  records: StoredRecord[]
  /** Records the backend set aside while loading (bad checksum). */
  quarantined: number
}

export interface DocMeta {
  name: string
  /** Bytes of stored update data. */
  size: number
  records: number
  /** Milliseconds since the epoch of the last stored record, or null. */
  updatedAt: number | null
  quarantined: number
}

export interface CompactResult {
  /** Records before compaction. */
  before: number
  /** Bytes after compaction. */
  bytes: number
  /** Records quarantined because they did not apply. */
  quarantined: number
}

/** Counts since the store opened, for metrics. */
export interface StoreStats {
  /** Transactions that committed appends: one fsync each in `fsync` mode (a batch of appends shares one). */
  commits: number
  /** Compactions that replaced a log with a snapshot (on unload, on demand, or past the size thresholds). */
  compactions: number
  /** Records and data set aside: bad checksum, does not apply, or does not integrate. */
  quarantined: number
}

export interface DocStore {
  load(room: string): Promise<LoadedDoc>
  append(room: string, update: Uint8Array): Promise<void>
  compact(room: string): Promise<CompactResult>
  /** Set a record aside: it stays readable for an operator, but no longer loads. */
  quarantine(room: string, seq: number, reason: string): Promise<void>
  /** Store data that could not be integrated (pending structs) for an operator, without loading it again. */
  quarantineData(room: string, data: Uint8Array, reason: string): Promise<void>
  meta(room: string): Promise<DocMeta | null>
  list(): Promise<DocMeta[]>
  delete(room: string): Promise<boolean>
  /** Resolves if a write could be stored now; rejects with a `StorageError` that says why not. */
  ping(): Promise<void>
  stats(): StoreStats
  close(): Promise<void>
}

/** How hard an append tries before it resolves. */
export type Durability = 'fsync' | 'os'

/** A storage failure that must stop writes to the rooms it touched. */
export class StorageError extends Error {
  override readonly name = 'StorageError'
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message)
  }
}
