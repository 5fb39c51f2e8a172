import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { storageContract } from '../contract.ts'
import { SqliteStore } from './store.ts'
import type { DocStore } from '../store.ts'

const dirs = new WeakMap<DocStore, string>()

async function openAt(dir: string): Promise<DocStore> {
  const store = await SqliteStore.open({ dir, durability: 'fsync' })
  dirs.set(store, dir)
  return store
}

storageContract('sqlite', {
  open: () => openAt(mkdtempSync(join(tmpdir(), 'inkwell-store-'))),
  reopen: async (store) => {
    const dir = dirs.get(store)!
    await store.close()
    return openAt(dir)
  },
})

describe('SqliteStore ping (readiness)', () => {
  it('rejects when the database has reached its page limit (SQLITE_FULL), and resolves once it is raised', async () => {
    const store = await SqliteStore.open({ dir: mkdtempSync(join(tmpdir(), 'inkwell-ping-')), durability: 'fsync' })
    await store.ping()
    await store.setMaxPageCount(1)
    await expect(store.ping()).rejects.toThrow(/database is full/)
    await store.setMaxPageCount(1_000_000)
    await expect(store.ping()).resolves.toBeUndefined()
    await store.close()
  })

  it('rejects when the file system has less free space than it needs to keep writing', async () => {
    const store = await SqliteStore.open({
      dir: mkdtempSync(join(tmpdir(), 'inkwell-ping-')),
      durability: 'fsync',
      minFreeBytes: Number.MAX_SAFE_INTEGER,
    })
    await expect(store.ping()).rejects.toThrow(/bytes free/)
    await store.close()
  })

  it('counts one commit for a batch of appends that arrive together (group commit)', async () => {
    const store = await SqliteStore.open({ dir: mkdtempSync(join(tmpdir(), 'inkwell-ping-')), durability: 'fsync' })
    await store.ping() // a round trip, so the counts below are fresh
    const before = store.stats().commits
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append('g', new Uint8Array([0, 0, i]))))
    const commits = store.stats().commits - before
    expect(commits).toBeGreaterThanOrEqual(1)
    expect(commits).toBeLessThan(20)
    await store.close()
  })
})
