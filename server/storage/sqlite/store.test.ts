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
