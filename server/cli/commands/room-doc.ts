/** A stored room rebuilt as the server would load it, for the commands that read the database directly. */
import * as Y from 'yjs'
import { buildDoc, pendingData } from '../../storage/build-doc.ts'
import type { SqliteLog } from '../../storage/sqlite/db.ts'

export interface RoomDoc {
  doc: Y.Doc
  /** Records that fail their checksum (a read-only connection leaves them in place). */
  checksumFailures: number
  /** Records that decode but do not apply. */
  bad: { seq: number; reason: string }[]
  /** Bytes of data that does not integrate (references missing state), or 0. */
  pendingBytes: number
}

export function loadRoomDoc(log: SqliteLog, room: string): RoomDoc {
  const loaded = log.load(room)
  const { doc, bad } = buildDoc(loaded.records)
  const pending = pendingData(doc)
  if (pending) {
    doc.store.pendingStructs = null
    doc.store.pendingDs = null
  }
  return {
    doc,
    checksumFailures: loaded.quarantined,
    bad: bad.map(({ seq, reason }) => ({ seq, reason })),
    pendingBytes: pending?.byteLength ?? 0,
  }
}
