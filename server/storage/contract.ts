/**
 * The storage contract suite: every `DocStore` backend runs these same tests (see store.ts for the contract).
 * A backend's test file calls `storageContract(name, open)` where `open` returns a fresh, empty store, and
 * `reopen` (when the backend persists) returns a store on the same data.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { DocStore } from './store.ts'

export interface ContractHooks {
  open(): Promise<DocStore>
  /** Closes `store` and opens the same data again; absent for backends that do not persist. */
  reopen?(store: DocStore): Promise<DocStore>
}

function textUpdate(doc: Y.Doc, text: string): Uint8Array {
  let update: Uint8Array | null = null
  const handler = (u: Uint8Array) => (update = u)
  doc.on('update', handler)
  doc.getText('t').insert(doc.getText('t').length, text)
  doc.off('update', handler)
  return update!
}

function textOf(updates: Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc.getText('t').toString()
}

export function storageContract(name: string, hooks: ContractHooks): void {
  describe(`storage contract: ${name}`, () => {
    it('an unknown room loads as no records and has no meta', async () => {
      const store = await hooks.open()
      expect((await store.load('nothing-here')).records).toEqual([])
      expect(await store.meta('nothing-here')).toBeNull()
      await store.close()
    })

    it('appended updates load back in append order', async () => {
      const store = await hooks.open()
      const doc = new Y.Doc()
      const updates = ['a', 'b', 'c'].map((s) => textUpdate(doc, s))
      await Promise.all(updates.map((u) => store.append('r1', u)))
      const loaded = await store.load('r1')
      expect(loaded.records.map((r) => Array.from(r.update))).toEqual(updates.map((u) => Array.from(u)))
      const seqs = loaded.records.map((r) => r.seq)
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
      await store.close()
    })

    it('rooms are independent keys', async () => {
      const store = await hooks.open()
      const doc = new Y.Doc()
      await store.append('a', textUpdate(doc, 'x'))
      expect((await store.load('b')).records).toEqual([])
      expect((await store.list()).map((m) => m.name)).toEqual(['a'])
      await store.close()
    })

    it('compaction replaces the log with one snapshot holding the same content', async () => {
      const store = await hooks.open()
      const doc = new Y.Doc()
      for (const ch of 'hello world') await store.append('r', textUpdate(doc, ch))
      doc.getText('t').delete(0, 6)
      await store.append('r', Y.encodeStateAsUpdate(doc))
      const result = await store.compact('r')
      expect(result.before).toBe(12)
      const loaded = await store.load('r')
      expect(loaded.records).toHaveLength(1)
      expect(textOf(loaded.records.map((r) => r.update))).toBe('world')
      // The snapshot is the garbage-collected state, not a merge that keeps deleted text.
      expect(loaded.records[0].update.byteLength).toBeLessThanOrEqual(Y.encodeStateAsUpdate(doc).byteLength)
      await store.close()
    })

    it('a record that does not apply is quarantined by compaction and the rest survives', async () => {
      const store = await hooks.open()
      const doc = new Y.Doc()
      await store.append('r', textUpdate(doc, 'good'))
      await store.append('r', new Uint8Array([0, 7, 1, 2, 3, 250, 250]))
      await store.append('r', textUpdate(doc, ' text'))
      const result = await store.compact('r')
      expect(result.quarantined).toBe(1)
      const loaded = await store.load('r')
      expect(textOf(loaded.records.map((r) => r.update))).toBe('good text')
      expect((await store.meta('r'))!.quarantined).toBe(1)
      await store.close()
    })

    it('quarantine sets one record aside without touching the others', async () => {
      const store = await hooks.open()
      const doc = new Y.Doc()
      await store.append('r', textUpdate(doc, 'keep'))
      await store.append('r', textUpdate(doc, '!'))
      const before = await store.load('r')
      await store.quarantine('r', before.records[1].seq, 'test')
      const after = await store.load('r')
      expect(after.records.map((r) => r.seq)).toEqual([before.records[0].seq])
      expect((await store.meta('r'))!.quarantined).toBe(1)
      await store.close()
    })

    it('meta reports size, records and last update time', async () => {
      const store = await hooks.open()
      const doc = new Y.Doc()
      const u = textUpdate(doc, 'abc')
      const t0 = Date.now()
      await store.append('m', u)
      const meta = (await store.meta('m'))!
      expect(meta).toMatchObject({ name: 'm', size: u.byteLength, records: 1, quarantined: 0 })
      expect(meta.updatedAt).toBeGreaterThanOrEqual(t0 - 1000)
      await store.close()
    })

    it('delete removes a room and reports whether it existed', async () => {
      const store = await hooks.open()
      await store.append('d', textUpdate(new Y.Doc(), 'x'))
      expect(await store.delete('d')).toBe(true)
      expect(await store.delete('d')).toBe(false)
      expect((await store.load('d')).records).toEqual([])
      await store.close()
    })

    it('room names are opaque keys, even ones that look like paths', async () => {
      const store = await hooks.open()
      const key = '../../etc/passwd'
      await store.append(key, textUpdate(new Y.Doc(), 'x'))
      expect((await store.load(key)).records).toHaveLength(1)
      await store.close()
    })

    if (hooks.reopen) {
      const reopen = hooks.reopen
      it('an appended update survives a restart', async () => {
        let store = await hooks.open()
        const doc = new Y.Doc()
        for (const s of ['one ', 'two ', 'three']) await store.append('p', textUpdate(doc, s))
        store = await reopen(store)
        expect(textOf((await store.load('p')).records.map((r) => r.update))).toBe('one two three')
        await store.close()
      })

      it('a compacted log survives a restart', async () => {
        let store = await hooks.open()
        const doc = new Y.Doc()
        for (const s of ['x', 'y', 'z']) await store.append('c', textUpdate(doc, s))
        await store.compact('c')
        store = await reopen(store)
        const loaded = await store.load('c')
        expect(loaded.records).toHaveLength(1)
        expect(textOf(loaded.records.map((r) => r.update))).toBe('xyz')
        await store.close()
      })
    }

    it('ping resolves while a write could be stored, and rejects once the store is closed', async () => {
      const store = await hooks.open()
      await expect(store.ping()).resolves.toBeUndefined()
      await store.close()
      await expect(store.ping()).rejects.toThrow()
    })

    it('stats count commits, compactions and quarantined records', async () => {
      const store = await hooks.open()
      const doc = new Y.Doc()
      await store.append('s', textUpdate(doc, 'a'))
      await store.append('s', new Uint8Array([0, 7, 1, 2, 3, 250, 250]))
      const before = store.stats()
      expect(before.commits).toBeGreaterThanOrEqual(1)
      await store.compact('s')
      const after = store.stats()
      expect(after.compactions).toBe(before.compactions + 1)
      expect(after.quarantined).toBe(before.quarantined + 1)
      await store.close()
    })

    it('a closed store rejects appends instead of pretending', async () => {
      const store = await hooks.open()
      await store.close()
      await expect(store.append('r', new Uint8Array([0, 0]))).rejects.toThrow()
    })
  })
}
