/**
 * Starting the storage threads (the storage worker, and the compactor it starts), from the sources or from the
 * server bundle alike.
 *
 * In the bundle (scripts/build-server.mjs defines `INKWELL_BUNDLED`), every thread's entry is a module of its own
 * beside the module starting it, in dist/. From the sources (tsx, vitest) a worker does not inherit the TypeScript
 * loader, so it starts at boot.mjs, which registers tsx and then imports the real entry.
 */
import { Worker } from 'node:worker_threads'

declare const INKWELL_BUNDLED: boolean | undefined

export type StorageThread = 'storage-worker' | 'storage-compactor'

export function spawnStorageThread(name: StorageThread, source: URL, workerData: object): Worker {
  if (typeof INKWELL_BUNDLED !== 'undefined') {
    return new Worker(new URL(`./${name}.mjs`, import.meta.url), { workerData })
  }
  return new Worker(new URL('./boot.mjs', import.meta.url), { workerData: { ...workerData, entry: source.href } })
}
