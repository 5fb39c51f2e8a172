/**
 * Promise 3 (storage errors stop writes, loudly): when a write or fsync fails, the room closes its connections with
 * 1011, relays nothing it did not store, reports the error, and works again once storage recovers, with nothing
 * that was relayed missing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ForwardingStore } from '../storage/forwarding.ts'
import { SqliteStore } from '../storage/sqlite/store.ts'
import { StorageError } from '../storage/store.ts'
import { connectClient, startTestServer, waitFor, type TestClient, type TestServer } from './harness.ts'

/** A fault-injection double around a real store: fails appends with an errno on command, like a failed fsync. */
class FailingStore extends ForwardingStore {
  failing: string | null = null
  override append(room: string, update: Uint8Array): Promise<void> {
    if (this.failing) return Promise.reject(new StorageError(`fsync failed: ${this.failing}`, this.failing))
    return super.append(room, update)
  }
}

let t: TestServer
const clients: TestClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy()
  await t?.dispose()
})

function closes(c: TestClient): number[] {
  const codes: number[] = []
  c.provider.on('connection-close', (e: CloseEvent | null) => e && codes.push(e.code))
  return codes
}

async function storedText(room: string): Promise<string> {
  const res = await fetch(`${t.httpUrl}/api/docs/${room}/export?format=yjs`)
  const { Doc, applyUpdate } = await import('yjs')
  const doc = new Doc()
  applyUpdate(doc, new Uint8Array(await res.arrayBuffer()))
  return doc.getText('t').toString()
}

describe('storage faults', () => {
  it('a full disk (SQLITE_FULL) closes the room with 1011, relays nothing unstored, and recovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inkwell-full-'))
    const store = await SqliteStore.open({ dir, durability: 'fsync' })
    t = await startTestServer({}, { parts: { store }, dataDir: dir })
    const writer = connectClient(t.wsUrl, 'full')
    const observer = connectClient(t.wsUrl, 'full')
    clients.push(writer, observer)
    await Promise.all([writer.synced, observer.synced])
    writer.doc.getText('t').insert(0, 'before ')
    await waitFor(() => observer.doc.getText('t').toString() === 'before ', 'observer has the first edit')
    const writerCloses = closes(writer)
    const observerCloses = closes(observer)

    // Cap the database at its current size: the next large write fails for real inside SQLite.
    await store.setMaxPageCount(1)
    writer.doc.getText('t').insert(7, 'x'.repeat(200_000))
    await waitFor(() => writerCloses.includes(1011) && observerCloses.includes(1011), 'both closed with 1011')
    // Nothing that failed to store was relayed.
    expect(observer.doc.getText('t').toString()).toBe('before ')
    const meta = await (await fetch(`${t.httpUrl}/api/docs/full`)).json()
    expect(meta.storageError).toMatch(/full/i)

    // Storage recovers: the providers reconnect by themselves and the writer's edit is stored and relayed.
    await store.setMaxPageCount(1_000_000_000)
    await waitFor(() => observer.doc.getText('t').length === 200_007, 'observer got the edit after recovery', 15_000)
    expect(await storedText('full')).toBe(writer.doc.getText('t').toString())
    expect((await (await fetch(`${t.httpUrl}/api/docs/full`)).json()).storageError).toBeNull()
  })

  it('a failed fsync (EIO) is never retried into a success: the room closes and the update is not relayed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inkwell-eio-'))
    const failing = new FailingStore(await SqliteStore.open({ dir, durability: 'fsync' }))
    t = await startTestServer({}, { parts: { store: failing }, dataDir: dir })
    const writer = connectClient(t.wsUrl, 'eio')
    const observer = connectClient(t.wsUrl, 'eio')
    clients.push(writer, observer)
    await Promise.all([writer.synced, observer.synced])
    const observerCloses = closes(observer)
    failing.failing = 'EIO'
    writer.doc.getText('t').insert(0, 'lost?')
    await waitFor(() => observerCloses.includes(1011), 'observer closed with 1011')
    expect(observer.doc.getText('t').toString()).toBe('')
    expect((await (await fetch(`${t.httpUrl}/api/docs/eio`)).json()).storageError ?? '').toMatch(/EIO/)
    failing.failing = null
    // The writer still holds its edit and re-sends it on reconnect: nothing is lost.
    await waitFor(() => observer.doc.getText('t').toString() === 'lost?', 'edit arrives after recovery', 15_000)
    expect(await storedText('eio')).toBe('lost?')
  })
})
