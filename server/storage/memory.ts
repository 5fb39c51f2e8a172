/**
 * `DocStore` in process memory: nothing survives a restart. It is the "no storage" baseline of the benchmarks and
 * backs room unit tests; it keeps the same contract as the SQLite store (contract.ts runs on both).
 */
import * as Y from 'yjs'
import type { CompactResult, DocMeta, DocStore, LoadedDoc, StoreStats, StoredRecord } from './store.ts'
import { StorageError } from './store.ts'
import { buildDoc, pendingData } from './build-doc.ts'

interface MemRoom {
  records: (StoredRecord & { at: number })[]
  quarantine: { seq: number | null; data: Uint8Array; reason: string }[]
}

export class MemoryStore implements DocStore {
  private rooms = new Map<string, MemRoom>()
  private seq = 0
  private closed = false
  private counts: StoreStats = { commits: 0, compactions: 0, quarantined: 0 }

  private room(name: string): MemRoom {
    let r = this.rooms.get(name)
    if (!r) this.rooms.set(name, (r = { records: [], quarantine: [] }))
    return r
  }
  private check(): void {
    if (this.closed) throw new StorageError('storage is closed')
  }

  async load(room: string): Promise<LoadedDoc> {
    this.check()
    const r = this.rooms.get(room)
    return { records: r ? r.records.map(({ seq, update }) => ({ seq, update })) : [], quarantined: 0 }
  }
  async append(room: string, update: Uint8Array): Promise<void> {
    this.check()
    this.room(room).records.push({ seq: ++this.seq, update: update.slice(), at: Date.now() })
    this.counts.commits++
  }
  async compact(room: string): Promise<CompactResult> {
    this.check()
    const r = this.rooms.get(room)
    if (!r || r.records.length === 0) return { before: 0, bytes: 0, quarantined: 0 }
    const { doc, bad } = buildDoc(r.records)
    for (const b of bad) r.quarantine.push({ seq: b.seq, data: b.update, reason: b.reason })
    const pending = pendingData(doc)
    if (pending) r.quarantine.push({ seq: null, data: pending, reason: 'does not integrate: references missing state' })
    const snapshot = Y.encodeStateAsUpdate(doc)
    doc.destroy()
    const before = r.records.length
    r.records = [{ seq: ++this.seq, update: snapshot, at: Date.now() }]
    this.counts.compactions++
    this.counts.quarantined += bad.length + (pending ? 1 : 0)
    return { before, bytes: snapshot.byteLength, quarantined: bad.length }
  }
  async quarantine(room: string, seq: number, reason: string): Promise<void> {
    this.check()
    const r = this.room(room)
    const i = r.records.findIndex((x) => x.seq === seq)
    if (i < 0) return
    r.quarantine.push({ seq, data: r.records[i].update, reason })
    r.records.splice(i, 1)
    this.counts.quarantined++
  }
  async quarantineData(room: string, data: Uint8Array, reason: string): Promise<void> {
    this.check()
    this.room(room).quarantine.push({ seq: null, data, reason })
    this.counts.quarantined++
  }
  async meta(room: string): Promise<DocMeta | null> {
    this.check()
    const r = this.rooms.get(room)
    if (!r || (r.records.length === 0 && r.quarantine.length === 0)) return null
    return {
      name: room,
      size: r.records.reduce((n, x) => n + x.update.byteLength, 0),
      records: r.records.length,
      updatedAt: r.records.length ? Math.max(...r.records.map((x) => x.at)) : null,
      quarantined: r.quarantine.length,
    }
  }
  async list(): Promise<DocMeta[]> {
    this.check()
    const out: DocMeta[] = []
    for (const name of [...this.rooms.keys()].sort()) {
      const m = await this.meta(name)
      if (m && m.records > 0) out.push(m)
    }
    return out
  }
  async delete(room: string): Promise<boolean> {
    this.check()
    const r = this.rooms.get(room)
    const had = !!r && r.records.length > 0
    if (r) r.records = []
    return had
  }
  async ping(): Promise<void> {
    this.check()
  }
  stats(): StoreStats {
    return { ...this.counts }
  }
  async close(): Promise<void> {
    this.closed = true
  }
}
