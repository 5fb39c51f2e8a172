import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { healthRoutes } from './health.ts'
import { MemoryStore } from '../storage/memory.ts'
import { SqliteStore } from '../storage/sqlite/store.ts'
import type { DocStore } from '../storage/store.ts'

function routes(store: Pick<DocStore, 'ping'>, state = { shuttingDown: false }, probeTimeoutMs?: number) {
  return healthRoutes({ store, shuttingDown: () => state.shuttingDown, probeTimeoutMs })
}

describe('health routes', () => {
  it('/healthz is 200 whatever the storage does', async () => {
    const store = new MemoryStore()
    await store.close()
    const res = await routes(store).request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('/readyz is 200 while storage takes writes, 503 "shutting down" once shutdown begins', async () => {
    const state = { shuttingDown: false }
    const app = routes(new MemoryStore(), state)
    const ok = await app.request('/readyz')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ ready: true })
    state.shuttingDown = true
    const res = await app.request('/readyz')
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ ready: false, reason: 'shutting down' })
  })

  it('/readyz is 503 with the reason when the SQLite database is full (its page limit), and 200 again once it is not', async () => {
    const store = await SqliteStore.open({ dir: mkdtempSync(join(tmpdir(), 'inkwell-ready-')), durability: 'fsync' })
    const app = routes(store)
    expect((await app.request('/readyz')).status).toBe(200)
    await store.setMaxPageCount(1)
    const res = await app.request('/readyz')
    expect(res.status).toBe(503)
    expect((await res.json()).reason).toMatch(/^storage is not writable: the database is full/)
    await store.setMaxPageCount(1_000_000)
    expect((await app.request('/readyz')).status).toBe(200)
    await store.close()
  })

  it('/readyz is 503 when the storage worker is gone', async () => {
    const store = await SqliteStore.open({ dir: mkdtempSync(join(tmpdir(), 'inkwell-ready-')), durability: 'fsync' })
    await store.close()
    const res = await routes(store).request('/readyz')
    expect(res.status).toBe(503)
    expect((await res.json()).reason).toMatch(/storage is not writable: storage is closed/)
  })

  it('/readyz is 503 when storage does not answer in time', async () => {
    const stuck = { ping: () => new Promise<void>(() => {}) }
    const res = await routes(stuck, undefined, 20).request('/readyz')
    expect(res.status).toBe(503)
    expect((await res.json()).reason).toMatch(/did not answer within 20 ms/)
  })
})
