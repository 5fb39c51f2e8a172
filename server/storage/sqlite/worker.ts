/**
 * The storage worker: owns the SQLite connection so that commits and fsyncs never block the event loop that relays
 * messages for every room.
 *
 * Group commit: requests that arrive while a commit is running queue up in the message port; the next flush runs
 * every queued append, from every room, in one transaction with one fsync. Requests are executed strictly in the
 * order they were posted, so an append posted before a compaction is inside that compaction's snapshot, and
 * replies go back in the same order.
 *
 * Compaction past the size thresholds runs on the compactor thread (compactor.ts), on a connection of its own, so
 * that building a snapshot never holds up the appends queued behind it. Compactions asked for (on unload, on
 * shutdown, by the CLI) run here, in order with the appends, as before.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SqliteLog, type AppendOp } from './db.ts'
import type { CompactorReply, Request, Reply, ReplyBatch, WorkerConfig } from './messages.ts'
import { spawnStorageThread } from './spawn-worker.ts'

const config = workerData.config as WorkerConfig
const port = parentPort!
let log: SqliteLog
try {
  log = new SqliteLog(config.file, config.durability, { maxPageCount: config.maxPageCount })
  port.postMessage({ ready: true })
} catch (err) {
  port.postMessage({ ready: false, error: (err as Error).message })
  process.exit(1)
}

/** Per-room log size since the last compaction, to compact a room's log once it grows past the thresholds. */
const logSize = new Map<string, { records: number; bytes: number }>()

/** Rooms the compactor is working on: each is asked for once at a time. */
const compacting = new Set<string>()
/** When each room was last given to the compactor (`performance.now()`), for `compactIntervalMs`. */
const lastCompacted = new Map<string, number>()
/** Set if the compactor thread could not run: thresholds then compact here, as one step between commits. */
let compactorDown = false
const compactor = spawnStorageThread('storage-compactor', new URL('./compactor.ts', import.meta.url), { config })
compactor.on('message', (r: CompactorReply) => {
  compacting.delete(r.room)
  if (r.ok && r.compacted) log.counts.compactions++
  const compactionErrors = r.ok ? undefined : [{ room: r.room, error: r.error }]
  port.postMessage({ replies: [], stats: { ...log.counts }, compactionErrors } satisfies ReplyBatch)
})
compactor.on('error', (err) => {
  compactorDown = true
  const error = `compactor thread stopped (${err.message}); compacting on the storage thread from now on`
  const compactionErrors = [...compacting, '*'].map((room) => ({ room, error }))
  compacting.clear()
  port.postMessage({ replies: [], stats: { ...log.counts }, compactionErrors } satisfies ReplyBatch)
})
let queue: Request[] = []
let scheduled = false

// The store posts the requests of one turn as one array (see SqliteStore.post), in order.
port.on('message', (reqs: Request[]) => {
  for (const req of reqs) queue.push(req)
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
})

function flush(): void {
  scheduled = false
  const batch = queue
  queue = []
  const replies: Reply[] = []
  const grown = new Set<string>()
  for (let i = 0; i < batch.length; ) {
    if (batch[i].op === 'append') {
      // Every consecutive append shares one transaction.
      let j = i
      const ops: AppendOp[] = []
      while (j < batch.length && batch[j].op === 'append') {
        const r = batch[j] as Extract<Request, { op: 'append' }>
        ops.push({ room: r.room, update: r.update })
        j++
      }
      try {
        log.appendBatch(ops)
        for (let k = i; k < j; k++) replies.push({ id: batch[k].id, ok: true, value: undefined })
        for (const op of ops) {
          const size = sizeOf(op.room)
          size.records++
          size.bytes += op.update.byteLength
          grown.add(op.room)
        }
      } catch (err) {
        for (let k = i; k < j; k++) replies.push(failure(batch[k].id, err))
      }
      i = j
    } else {
      replies.push(execute(batch[i]))
      i++
    }
  }
  // The counts ride along with the replies: commits per batch are known only here, and a separate message
  // would need its own ordering with the replies.
  port.postMessage({ replies, stats: { ...log.counts } } satisfies ReplyBatch)
  for (const room of grown) {
    const size = logSize.get(room)!
    if (size.records <= config.compactRecords && size.bytes <= config.compactBytes) continue
    if (!compactorDown) {
      const now = performance.now()
      if (compacting.has(room) || now - (lastCompacted.get(room) ?? -Infinity) < config.compactIntervalMs) continue
      lastCompacted.set(room, now)
      compacting.add(room)
      // Counted afresh from here: what is appended while the compactor works comes after its snapshot.
      logSize.set(room, { records: 0, bytes: 0 })
      compactor.postMessage({ room })
      continue
    }
    // Without the compactor: here, after the replies are out, so it never delays the commits it follows.
    try {
      const result = log.compact(room)
      logSize.set(room, { records: 1, bytes: result.bytes })
    } catch (err) {
      // The log stays as it was (the transaction rolled back); the next append retries.
      const compactionErrors = [{ room, error: (err as Error).message }]
      port.postMessage({ replies: [], stats: { ...log.counts }, compactionErrors } satisfies ReplyBatch)
    }
  }
}

function sizeOf(room: string): { records: number; bytes: number } {
  let size = logSize.get(room)
  if (!size) {
    const meta = log.meta(room)
    size = { records: meta?.records ?? 0, bytes: meta?.size ?? 0 }
    logSize.set(room, size)
  }
  return size
}

function execute(req: Request): Reply {
  try {
    switch (req.op) {
      case 'load': {
        const loaded = log.load(req.room)
        logSize.set(req.room, {
          records: loaded.records.length,
          bytes: loaded.records.reduce((n, r) => n + r.update.byteLength, 0),
        })
        return { id: req.id, ok: true, value: loaded }
      }
      case 'compact': {
        lastCompacted.delete(req.room)
        const result = log.compact(req.room)
        logSize.set(req.room, { records: result.before === 0 ? 0 : 1, bytes: result.bytes })
        return { id: req.id, ok: true, value: result }
      }
      case 'quarantine':
        log.quarantine(req.room, req.seq, req.reason)
        logSize.delete(req.room)
        return { id: req.id, ok: true, value: undefined }
      case 'quarantineData':
        log.quarantineData(req.room, req.data, req.reason)
        return { id: req.id, ok: true, value: undefined }
      case 'meta':
        return { id: req.id, ok: true, value: log.meta(req.room) }
      case 'list':
        return { id: req.id, ok: true, value: log.list() }
      case 'delete':
        logSize.delete(req.room)
        lastCompacted.delete(req.room)
        return { id: req.id, ok: true, value: log.delete(req.room) }
      case 'ping':
        log.probe(config.minFreeBytes)
        return { id: req.id, ok: true, value: undefined }
      case 'setMaxPageCount':
        log.db.pragma(`max_page_count = ${Math.floor(req.pages)}`)
        return { id: req.id, ok: true, value: undefined }
      case 'close':
        void compactor.terminate()
        log.close()
        return { id: req.id, ok: true, value: undefined }
      case 'append':
        throw new Error('unreachable: appends are batched')
    }
  } catch (err) {
    return failure(req.id, err)
  }
}

function failure(id: number, err: unknown): Reply {
  const e = err as Error & { code?: string }
  return { id, ok: false, error: { message: e.message, code: e.code } }
}
