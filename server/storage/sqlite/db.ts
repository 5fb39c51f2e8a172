/**
 * Inkwell's embedded store: one SQLite database in WAL mode under the data directory.
 *
 * Synchronous, and used from exactly one thread per process (the storage worker, or the admin CLI). Schema:
 * - `records(seq, room, data, crc, at, codec)`: the append-only update log of every room; `seq` orders records and a
 *   compaction snapshot is just one record. `crc` is a CRC-32 of `data` as stored, checked on every read, because
 *   SQLite does not checksum page contents: a flipped bit in a blob would otherwise load as a different, or broken,
 *   update. `codec` says how `data` is stored: 0, the Yjs update itself (every appended update); 1, deflate-raw
 *   (compaction snapshots of 1 KiB or more, when that is smaller: text compresses about 2–3×).
 * - `quarantine(id, room, seq, data, reason, at)`: records set aside because they failed their checksum or did not
 *   apply. Nothing is ever deleted from here by Inkwell; an operator can inspect it with the sqlite3 shell.
 *
 * - `probe(id, at)`: one row that readiness probes rewrite, to prove that a write commits.
 *
 * Durability: in WAL mode a transaction commits by appending frames to the WAL. `synchronous=FULL` fsyncs the WAL
 * on every commit (`fsync` mode); `synchronous=NORMAL` leaves flushing to the OS (`os` mode), which survives a
 * process crash but not a power cut. Either way a commit is atomic: SQLite's WAL frames carry checksums, and a torn
 * tail is ignored on recovery.
 */
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import { buildDoc, pendingData } from '../build-doc.ts'
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib'
import { statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import { StorageError, type CompactResult, type DocMeta, type Durability, type StoreStats, type StoredRecord } from '../store.ts'

/** How a record's `data` is stored. */
const enum Codec {
  raw = 0,
  deflateRaw = 1,
}

/** Snapshots at least this large are stored compressed (when compressing makes them smaller). */
const COMPRESS_MIN_BYTES = 1024

/** A snapshot as stored: compressed when that pays. */
function encodeSnapshot(snapshot: Uint8Array): { data: Uint8Array; codec: Codec } {
  if (snapshot.byteLength < COMPRESS_MIN_BYTES) return { data: snapshot, codec: Codec.raw }
  const packed = deflateRawSync(snapshot, { level: 6 })
  return packed.byteLength < snapshot.byteLength ? { data: packed, codec: Codec.deflateRaw } : { data: snapshot, codec: Codec.raw }
}

/** A snapshot built from a room's log, and which records it replaces (see `planCompaction`). */
export interface CompactionPlan {
  room: string
  first: number
  last: number
  records: number
  snapshot: Uint8Array
}

export interface AppendOp {
  room: string
  update: Uint8Array
}

export class SqliteLog {
  readonly db: Database.Database
  /** What this connection did since it opened (the storage worker reports it for metrics). */
  readonly counts: StoreStats = { commits: 0, compactions: 0, quarantined: 0 }
  private stmts

  constructor(file: string, durability: Durability, opts: { readonly?: boolean; maxPageCount?: number } = {}) {
    this.db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false })
    // Another process (the admin CLI next to a running server) may hold the write lock for a moment.
    this.db.pragma('busy_timeout = 5000')
    if (!opts.readonly) {
      // Pages a compaction frees go back to the file system (see `compact`). Takes effect only on a new database:
      // an older one keeps its mode, and its free pages are reused by later writes instead.
      this.db.pragma('auto_vacuum = INCREMENTAL')
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`)
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS records (
          seq  INTEGER PRIMARY KEY AUTOINCREMENT,
          room TEXT NOT NULL,
          data BLOB NOT NULL,
          crc  INTEGER NOT NULL,
          at   INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS records_room ON records (room, seq);
        CREATE TABLE IF NOT EXISTS quarantine (
          id     INTEGER PRIMARY KEY AUTOINCREMENT,
          room   TEXT NOT NULL,
          seq    INTEGER,
          data   BLOB NOT NULL,
          reason TEXT NOT NULL,
          at     INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS quarantine_room ON quarantine (room);
        CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
      `)
      // Databases made before snapshots were compressed have no `codec`: every record in them is raw.
      if (!this.hasCodec()) this.db.exec('ALTER TABLE records ADD COLUMN codec INTEGER NOT NULL DEFAULT 0')
    }
    // A read-only connection to such an old database reads every record as raw, and writes none.
    const hasCodec = this.hasCodec()
    const codec = hasCodec ? 'codec' : '0 AS codec'
    if (opts.maxPageCount !== undefined) this.db.pragma(`max_page_count = ${opts.maxPageCount}`)
    this.stmts = {
      insert: this.db.prepare('INSERT INTO records (room, data, crc, at) VALUES (?, ?, ?, ?)'),
      insertSnapshot: hasCodec ? this.db.prepare('INSERT INTO records (room, data, crc, at, codec) VALUES (?, ?, ?, ?, ?)') : null,
      insertSnapshotAt: hasCodec
        ? this.db.prepare('INSERT INTO records (seq, room, data, crc, at, codec) VALUES (?, ?, ?, ?, ?, ?)')
        : null,
      span: this.db.prepare('SELECT count(*) AS n, min(seq) AS first FROM records WHERE room = ? AND seq <= ?'),
      load: this.db.prepare(`SELECT seq, data, crc, ${codec} FROM records WHERE room = ? ORDER BY seq`),
      deleteUpTo: this.db.prepare('DELETE FROM records WHERE room = ? AND seq <= ?'),
      deleteOne: this.db.prepare('DELETE FROM records WHERE room = ? AND seq = ?'),
      deleteRoom: this.db.prepare('DELETE FROM records WHERE room = ?'),
      quarantine: this.db.prepare('INSERT INTO quarantine (room, seq, data, reason, at) VALUES (?, ?, ?, ?, ?)'),
      getOne: this.db.prepare(`SELECT data, ${codec} FROM records WHERE room = ? AND seq = ?`),
      meta: this.db.prepare(
        'SELECT count(*) AS records, coalesce(sum(length(data)), 0) AS size, max(at) AS updatedAt FROM records WHERE room = ?',
      ),
      quarantinedCount: this.db.prepare('SELECT count(*) AS n FROM quarantine WHERE room = ?'),
      list: this.db.prepare(
        `SELECT room AS name, count(*) AS records, sum(length(data)) AS size, max(at) AS updatedAt,
                (SELECT count(*) FROM quarantine q WHERE q.room = r.room) AS quarantined
         FROM records r GROUP BY room ORDER BY room`,
      ),
    }
  }

  private hasCodec(): boolean {
    return (this.db.pragma('table_info(records)') as { name: string }[]).some((c) => c.name === 'codec')
  }

  /** Appends every op in one transaction: one WAL commit, so one fsync for the whole batch (group commit). */
  appendBatch(ops: AppendOp[]): void {
    const now = Date.now()
    // IMMEDIATE: take the write lock first, so that while the compactor's connection holds it, this waits
    // (busy_timeout) instead of failing.
    this.db.transaction(() => {
      for (const op of ops) this.stmts.insert.run(op.room, op.update, crc32(op.update), now)
    }).immediate()
    this.counts.commits++
  }

  /** A room's records in order; those that fail their checksum are moved to quarantine first. */
  load(room: string): { records: StoredRecord[]; quarantined: number } {
    const rows = this.stmts.load.all(room) as StoredRow[]
    const good: StoredRecord[] = []
    const bad: (StoredRow & { reason: string })[] = []
    for (const row of rows) {
      const decoded = decodeRow(row)
      if ('reason' in decoded) bad.push({ ...row, reason: decoded.reason })
      else good.push({ seq: row.seq, update: decoded.update })
    }
    if (bad.length > 0 && !this.db.readonly) {
      this.db.transaction(() => {
        for (const row of bad) this.moveToQuarantine(room, row.seq, row.data, row.reason)
      })()
    }
    return { records: good, quarantined: bad.length }
  }

  private moveToQuarantine(room: string, seq: number, data: Uint8Array, reason: string): void {
    this.stmts.quarantine.run(room, seq, data, reason, Date.now())
    this.stmts.deleteOne.run(room, seq)
    this.counts.quarantined++
  }

  quarantine(room: string, seq: number, reason: string): void {
    this.db.transaction(() => {
      const row = this.stmts.getOne.get(room, seq) as { data: Buffer; codec: Codec } | undefined
      if (row) this.moveToQuarantine(room, seq, row.data, withCodec(reason, row.codec))
    })()
  }

  quarantineData(room: string, data: Uint8Array, reason: string): void {
    this.stmts.quarantine.run(room, null, data, reason, Date.now())
    this.counts.quarantined++
  }

  /**
   * Replaces the room's log with one snapshot, in one transaction.
   *
   * The snapshot is `Y.encodeStateAsUpdate` of a document built from the log, not `Y.mergeUpdates` of it: merging
   * keeps the content of deleted items, while a document garbage-collects it, so the snapshot is as small as the
   * state itself. A record that does not apply is quarantined in the same transaction rather than dropped.
   *
   * `BEGIN IMMEDIATE`: the admin CLI compacts while a server appends from another connection. A deferred
   * transaction would read, then fail at its first write with SQLITE_BUSY if the server committed meanwhile (a
   * stale snapshot cannot be upgraded, and busy_timeout does not retry that); taking the write lock first makes the
   * server's appends wait instead, for as long as one room's compaction takes.
   */
  compact(room: string): CompactResult {
    const result = this.db.transaction((): CompactResult => {
      const { records } = this.load(room)
      if (records.length === 0) return { before: 0, bytes: 0, quarantined: 0 }
      const { doc, bad } = buildDoc(records)
      for (const r of bad) this.moveToQuarantine(room, r.seq, r.update, r.reason)
      const snapshot = Y.encodeStateAsUpdate(doc)
      const pending = pendingData(doc)
      if (pending) this.quarantineData(room, pending, 'does not integrate: references missing state')
      doc.destroy()
      const last = records[records.length - 1].seq
      this.stmts.deleteUpTo.run(room, last)
      const stored = encodeSnapshot(snapshot)
      this.stmts.insertSnapshot!.run(room, stored.data, crc32(stored.data), Date.now(), stored.codec)
      return { before: records.length, bytes: snapshot.byteLength, quarantined: bad.length }
    }).immediate()
    if (result.before > 0) this.compacted()
    return result
  }

  /**
   * The first half of a compaction that runs beside the writer (the compactor thread, on a connection of its own):
   * reads the room's log and builds its snapshot, holding no lock (a WAL reader never blocks the writer, and sees
   * one consistent state). Returns null when there is nothing worth doing, or when any record is damaged: the
   * room's next load or unload compacts it then, with quarantine, on the writer's connection.
   */
  planCompaction(room: string): CompactionPlan | null {
    const rows = this.stmts.load.all(room) as StoredRow[]
    if (rows.length < 2) return null
    const records: StoredRecord[] = []
    for (const row of rows) {
      const decoded = decodeRow(row)
      if ('reason' in decoded) return null
      records.push({ seq: row.seq, update: decoded.update })
    }
    const { doc, bad } = buildDoc(records)
    const pending = pendingData(doc)
    const snapshot = bad.length > 0 || pending ? null : Y.encodeStateAsUpdate(doc)
    doc.destroy()
    if (!snapshot) return null
    return { room, first: rows[0].seq, last: rows[rows.length - 1].seq, records: rows.length, snapshot }
  }

  /**
   * The second half: in one short write transaction, replaces exactly the records the plan was built from with its
   * snapshot, which takes the last one's `seq`, so that updates appended since stay after it. Writes nothing and
   * returns null if those records changed meanwhile (the room was deleted, or compacted on another connection).
   */
  applyCompaction(plan: CompactionPlan): CompactResult | null {
    const result = this.db.transaction((): CompactResult | null => {
      const span = this.stmts.span.get(plan.room, plan.last) as { n: number; first: number | null }
      if (span.n !== plan.records || span.first !== plan.first) return null
      this.stmts.deleteUpTo.run(plan.room, plan.last)
      const stored = encodeSnapshot(plan.snapshot)
      this.stmts.insertSnapshotAt!.run(plan.last, plan.room, stored.data, crc32(stored.data), Date.now(), stored.codec)
      return { before: plan.records, bytes: plan.snapshot.byteLength, quarantined: 0 }
    }).immediate()
    if (result) this.compacted()
    return result
  }

  /** After a compaction committed: count it, and give the log's freed pages back to the file system. */
  private compacted(): void {
    this.counts.compactions++
    // So that a compacted document takes about its snapshot's size on disk rather than its log's high-water mark.
    // A no-op on a database without auto_vacuum (made before it was turned on).
    this.db.pragma('incremental_vacuum')
  }

  /**
   * Throws a `StorageError` unless a write can be stored now. What it detects, and nothing more:
   * - the database cannot commit (locked by another process past busy_timeout, read-only file or file system,
   *   I/O error): it commits a one-row write, with the configured fsync;
   * - the database has reached its page limit (`max_page_count`), where every growing write fails with SQLITE_FULL;
   * - the file system has less than `minFreeBytes` free, where the next WAL growth would fail with ENOSPC. A commit
   *   alone cannot see that: a rewritten row reuses WAL space that was already allocated.
   */
  probe(minFreeBytes: number): void {
    this.db.prepare('INSERT INTO probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(Date.now())
    const pages = this.db.pragma('page_count', { simple: true }) as number
    const free = this.db.pragma('freelist_count', { simple: true }) as number
    const max = this.db.pragma('max_page_count', { simple: true }) as number
    if (pages - free >= max) {
      throw new StorageError(`the database is full: it reached its limit of ${max} pages`, 'SQLITE_FULL')
    }
    const fs = statfsSync(dirname(this.db.name))
    const avail = fs.bavail * fs.bsize
    if (avail < minFreeBytes) {
      throw new StorageError(
        `the disk holding ${dirname(this.db.name)} has ${avail} bytes free, under the ${minFreeBytes} needed to keep writing: free some space`,
        'ENOSPC',
      )
    }
  }

  meta(room: string): DocMeta | null {
    const m = this.stmts.meta.get(room) as { records: number; size: number; updatedAt: number | null }
    const q = (this.stmts.quarantinedCount.get(room) as { n: number }).n
    if (m.records === 0 && q === 0) return null
    return { name: room, size: m.size, records: m.records, updatedAt: m.updatedAt, quarantined: q }
  }

  list(): DocMeta[] {
    return this.stmts.list.all() as DocMeta[]
  }

  delete(room: string): boolean {
    return this.stmts.deleteRoom.run(room).changes > 0
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

/** A record as stored. */
interface StoredRow {
  seq: number
  data: Buffer
  crc: number
  codec: Codec
}

/** A stored row's update (checked against its CRC, then decompressed if it was stored compressed), or why it is none. */
function decodeRow(row: StoredRow): { update: Uint8Array } | { reason: string } {
  if (crc32(row.data) !== row.crc) return { reason: withCodec('checksum mismatch', row.codec) }
  let update: Uint8Array
  if (row.codec === Codec.raw) update = row.data
  else if (row.codec === Codec.deflateRaw) {
    try {
      update = inflateRawSync(row.data)
    } catch (err) {
      return { reason: withCodec(`cannot decompress: ${(err as Error).message}`, row.codec) }
    }
  } else return { reason: `unknown codec ${row.codec}` }
  // A plain Uint8Array view: records cross to the main thread, where a Buffer would arrive as a Uint8Array anyway.
  return { update: new Uint8Array(update.buffer, update.byteOffset, update.byteLength) }
}

/** A quarantine reason, saying how the set-aside bytes are stored when they are not a plain update. */
function withCodec(reason: string, codec: Codec): string {
  return codec === Codec.deflateRaw ? `${reason} (stored deflate-raw compressed)` : reason
}
