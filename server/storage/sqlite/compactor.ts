/**
 * The compactor thread: compacts rooms whose logs grew past the thresholds, on a SQLite connection of its own, so
 * that the storage worker keeps committing appends meanwhile.
 *
 * It builds each snapshot holding no lock (`SqliteLog.planCompaction`), then swaps it in with one short write
 * transaction (`applyCompaction`); the storage worker's appends wait only for that. It handles one room at a time,
 * in the order asked, and answers each with what happened. A failure leaves the log as it was (the transaction
 * rolled back); the storage worker reports it and asks again once the log grows further.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SqliteLog } from './db.ts'
import type { CompactorReply, CompactorRequest, WorkerConfig } from './messages.ts'

const config = workerData.config as WorkerConfig
const port = parentPort!
const log = new SqliteLog(config.file, config.durability, { maxPageCount: config.maxPageCount })

port.on('message', (req: CompactorRequest) => {
  port.postMessage(compactRoom(log, req.room) satisfies CompactorReply)
})

function compactRoom(log: SqliteLog, room: string): CompactorReply {
  try {
    const plan = log.planCompaction(room)
    const result = plan && log.applyCompaction(plan)
    return { room, ok: true, compacted: result !== null }
  } catch (err) {
    return { room, ok: false, error: (err as Error).message }
  }
}
