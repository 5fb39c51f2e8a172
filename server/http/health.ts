/**
 * Health routes for load balancers and orchestrators:
 * - `GET /healthz`: liveness. 200 whenever the process answers HTTP at all.
 * - `GET /readyz`: readiness. 200 `{"ready":true}` only while storage can take a write now (`DocStore.ping`) and the
 *   server is not shutting down; otherwise 503 `{"ready":false,"reason":"…"}`.
 *
 * Neither needs a token: they reveal nothing about documents, and probes rarely carry credentials.
 */
import { Hono } from 'hono'
import type { DocStore } from '../storage/store.ts'

export interface HealthDeps {
  store: Pick<DocStore, 'ping'>
  shuttingDown(): boolean
  /** How long a storage probe may take before the server is called not ready (a stuck disk never answers). */
  probeTimeoutMs?: number
}

export type Readiness = { ready: true } | { ready: false; reason: string }

export async function readiness({ store, shuttingDown, probeTimeoutMs = 2000 }: HealthDeps): Promise<Readiness> {
  if (shuttingDown()) return { ready: false, reason: 'shutting down' }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`storage did not answer within ${probeTimeoutMs} ms`)), probeTimeoutMs)
    timer.unref()
  })
  try {
    await Promise.race([store.ping(), timeout])
  } catch (err) {
    return { ready: false, reason: `storage is not writable: ${(err as Error).message}` }
  } finally {
    clearTimeout(timer)
  }
  // Shutdown may have begun while the probe ran.
  if (shuttingDown()) return { ready: false, reason: 'shutting down' }
  return { ready: true }
}

export function healthRoutes(deps: HealthDeps): Hono {
  const app = new Hono()
  app.use('*', async (c, next) => {
    await next()
    c.header('Cache-Control', 'no-store')
  })
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const r = await readiness(deps)
    return c.json(r, r.ready ? 200 : 503)
  })
  return app
}
