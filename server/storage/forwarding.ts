import type { CompactResult, DocMeta, DocStore, LoadedDoc, StoreStats } from './store.ts'

/**
 * A `DocStore` that forwards every call to the store it wraps: the base of store decorators (fault injection in
 * tests, instrumentation), which override only the methods they change. A method added to `DocStore` is forwarded
 * here, in one place, instead of in every decorator.
 */
export class ForwardingStore implements DocStore {
  constructor(protected readonly inner: DocStore) {}

  load(room: string): Promise<LoadedDoc> {
    return this.inner.load(room)
  }
  append(room: string, update: Uint8Array): Promise<void> {
    return this.inner.append(room, update)
  }
  compact(room: string): Promise<CompactResult> {
    return this.inner.compact(room)
  }
  quarantine(room: string, seq: number, reason: string): Promise<void> {
    return this.inner.quarantine(room, seq, reason)
  }
  quarantineData(room: string, data: Uint8Array, reason: string): Promise<void> {
    return this.inner.quarantineData(room, data, reason)
  }
  meta(room: string): Promise<DocMeta | null> {
    return this.inner.meta(room)
  }
  list(): Promise<DocMeta[]> {
    return this.inner.list()
  }
  delete(room: string): Promise<boolean> {
    return this.inner.delete(room)
  }
  ping(): Promise<void> {
    return this.inner.ping()
  }
  stats(): StoreStats {
    return this.inner.stats()
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}
