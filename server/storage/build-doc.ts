/**
 * Rebuilding a document from stored records, shared by every backend's compaction and by room loading.
 * One bad record must cost only itself: a document is never served empty because one record is broken.
 */
import * as Y from 'yjs'
import type { StoredRecord } from './store.ts'

/**
 * Builds a document from records: all in one transaction when every record applies, and one by one, each checked
 * first, otherwise, so that one bad record costs only itself.
 *
 * The records are applied one after another inside one transaction, not merged first: `Y.mergeUpdates` is
 * quadratic in the number of updates (1,000 keystroke records take ~100 ms to merge, 10,000 take ~7 s), while
 * applying them in one transaction is linear (~10 µs a record) and gives the same document.
 */
export function buildDoc(records: StoredRecord[]): { doc: Y.Doc; bad: (StoredRecord & { reason: string })[] } {
  let doc = new Y.Doc({ gc: true })
  try {
    doc.transact(() => {
      for (const r of records) Y.applyUpdate(doc, r.update)
    })
    return { doc, bad: [] }
  } catch {
    doc.destroy()
    doc = new Y.Doc({ gc: true })
  }
  const bad: (StoredRecord & { reason: string })[] = []
  for (const r of records) {
    try {
      Y.decodeUpdate(r.update) // throws on malformed data before touching the document
      Y.applyUpdate(doc, r.update)
    } catch (err) {
      bad.push({ ...r, reason: `does not apply: ${(err as Error).message}` })
    }
  }
  return { doc, bad }
}

/** Update data that sits in the document without integrating (its dependencies are missing), or null. */
export function pendingData(doc: Y.Doc): Uint8Array | null {
  const { pendingStructs, pendingDs } = doc.store
  if (!pendingStructs && !pendingDs) return null
  const parts: Uint8Array[] = []
  if (pendingStructs) parts.push(pendingStructs.update)
  if (pendingDs) parts.push(pendingDs)
  return parts.length === 1 ? parts[0] : Y.mergeUpdates(parts)
}
