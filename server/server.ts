/**
 * Composes the server: data directory lock → storage → rooms → HTTP and WebSocket routes → a listening socket
 * (`http`, or `https` when TLS_CERT and TLS_KEY are set). `startServer` is what `main.ts` runs and what integration
 * tests start on port 0 with a temporary data directory.
 */
import { existsSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { createNodeWebSocket } from './transport/node-websocket.ts'
import { Heartbeat } from './transport/heartbeat.ts'
import { Hono } from 'hono'
import type { WebSocket } from 'ws'
import type { UpgradeWebSocket } from 'hono/ws'
import { CloseCode } from '../shared/close-codes.ts'
import type { Config } from './config.ts'
import type { Logger } from './log.ts'
import { RoomRegistry } from './room/registry.ts'
import type { DocStore } from './storage/store.ts'
import { SqliteStore } from './storage/sqlite/store.ts'
import { MemoryStore } from './storage/memory.ts'
import { apiRoutes, checkRoomName } from './http/api.ts'
import { HttpError, errorHandler } from './http/errors.ts'
import { collabHandler, type ConnectionEvents } from './transport/collab-route.ts'
import { AUTH_SUBPROTOCOL } from './auth/tokens.ts'
import { apiAuth, requireAdmin, type AuthFailureHook } from './http/auth.ts'
import { healthRoutes } from './http/health.ts'
import { bodyLimit } from 'hono/body-limit'
import { Metrics } from './metrics.ts'
import { acquireLock, type HeldLock } from './ops/lock.ts'
import { redactUrl } from './log.ts'

export const CLIENT_DIST = fileURLToPath(new URL('../client/dist', import.meta.url))

export interface RunningServer {
  port: number
  url: string
  store: DocStore
  registry: RoomRegistry
  metrics: Metrics
  /** Graceful stop: closes clients with 1012, flushes every room, closes storage. */
  close(): Promise<void>
}

export interface ServerParts {
  /** A store to use instead of the one `config.storage` names (fault-injection tests wrap a real one). */
  store?: DocStore
  /** More connection events, besides the metrics' own. */
  events?: ConnectionEvents
}

/** Calls every hook set on any of `all`. */
function fanOut(...all: (ConnectionEvents | undefined)[]): ConnectionEvents {
  const sinks = all.filter((e): e is ConnectionEvents => e !== undefined)
  const each =
    <K extends keyof ConnectionEvents>(key: K) =>
    (...args: Parameters<NonNullable<ConnectionEvents[K]>>) => {
      for (const sink of sinks) (sink[key] as ((...a: typeof args) => void) | undefined)?.(...args)
    }
  return {
    opened: each('opened'),
    closed: each('closed'),
    message: each('message'),
    refused: each('refused'),
    authFailed: each('authFailed'),
    rejected: each('rejected'),
  }
}

export async function startServer(config: Config, log: Logger, parts: ServerParts = {}): Promise<RunningServer> {
  // The lock comes first: a second server must not even open the database (see ops/lock.ts).
  let lock: HeldLock | null = null
  if (config.storage === 'sqlite') {
    const held = acquireLock(config.dataDir, 'server')
    if (held.tookOver) log.warn({ pid: held.tookOver.pid, startedAt: held.tookOver.startedAt }, 'took over the lock of a server that is gone (crashed?)')
    lock = held
  }
  let store: DocStore
  try {
    store =
      parts.store ??
      (config.storage === 'memory'
        ? new MemoryStore()
        : await SqliteStore.open({
            dir: config.dataDir,
            durability: config.durability,
            compactRecords: config.compactRecords,
            compactBytes: config.compactBytes,
            compactIntervalMs: config.compactIntervalMs,
            onCompactionError: (room, error) => log.warn({ room, err: error }, 'background compaction failed; the log is intact and it is tried again'),
          }))
  } catch (err) {
    lock?.release()
    throw err
  }
  try {
    return await compose(config, log, parts, store, lock)
  } catch (err) {
    await store.close().catch(() => {})
    lock?.release()
    throw err
  }
}

async function compose(config: Config, log: Logger, parts: ServerParts, store: DocStore, lock: HeldLock | null): Promise<RunningServer> {
  const { limits } = config
  const connections = { count: 0 }
  const heartbeat = new Heartbeat(limits.pingIntervalMs)
  // The metrics read the registry's size at scrape time; the registry reports to the metrics as it works.
  const metrics: Metrics = new Metrics({ connections: () => connections.count, rooms: () => registry.size, store: () => store.stats() })
  const registry: RoomRegistry = new RoomRegistry(store, log, {
    observer: metrics.rooms,
    idleMs: config.roomIdleMs,
    maxRooms: limits.roomsInMemory,
    room: {
      maxUnintegrated: limits.unintegratedInARow,
      maxUnintegratedBytes: limits.unintegratedBytes,
      maxAwarenessIds: limits.awarenessIdsPerConnection,
      maxAwarenessStateBytes: limits.awarenessStateBytes,
      readOnlyAwareness: config.readOnlyAwareness,
    },
  })
  let shuttingDown = false
  const authFailed: AuthFailureHook = ({ kind, status, reason, method, path }) => {
    metrics.authFailed('http', kind)
    log.warn({ method, path: redactUrl(path), status, kind, reason }, 'request refused')
  }

  const app = new Hono()
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket(app, {
    // `ws` accepts 100 MiB messages by default; see shared/limits.ts for why ours is smaller.
    maxPayload: config.maxMessageBytes,
    // Browsers never fragment their messages; a flood of tiny fragments only costs memory (ws 8.21 advisory).
    maxFragments: 1024,
    maxBufferedChunks: 16 * 1024,
    // Compression stays off: a deflated frame can inflate far past its size on the wire (decompression bombs).
    perMessageDeflate: false,
    // A client that passes its token as y-websocket `protocols: ['inkwell-auth', token]` must get a protocol back,
    // or browsers drop the connection; the token itself is never echoed.
    handleProtocols: (protocols: Set<string>) => (protocols.has(AUTH_SUBPROTOCOL) ? AUTH_SUBPROTOCOL : false),
  })

  app.onError(errorHandler(log))
  app.route('/', healthRoutes({ store, shuttingDown: () => shuttingDown }))
  // Metrics are operator data (document activity, error rates): with auth on they need an admin token.
  app.use('/metrics', apiAuth(config.authSecret, authFailed))
  app.get('/metrics', async (c) => {
    requireAdmin(c)
    c.header('Content-Type', metrics.contentType)
    c.header('Cache-Control', 'no-store')
    return c.body(await metrics.scrape())
  })
  app.use('/api/*', bodyLimit({
    maxSize: limits.bodyBytes,
    onError: (c) => c.json({ error: `request body is larger than ${limits.bodyBytes} bytes: raise MAX_BODY_BYTES or send less` }, 413),
  }))
  app.use('/api/*', apiAuth(config.authSecret, authFailed))
  app.route('/api', apiRoutes({ store, registry, authSecret: config.authSecret, log }))

  app.get('/collab/:room', (c, next) => {
    checkRoomName(c.req.param('room'))
    return next()
  })
  app.get(
    '/collab/:room',
    collabHandler({
      registry,
      log,
      upgradeWebSocket,
      limits,
      authSecret: config.authSecret,
      allowedOrigins: config.allowedOrigins,
      connections,
      heartbeat,
      events: fanOut(metrics.connections, parts.events),
    }),
  )
  app.all('/collab/*', () => {
    throw new HttpError(400, 'room name has characters other than letters, digits, "-", "_" and "."')
  })

  if (existsSync(CLIENT_DIST)) {
    const index = join(CLIENT_DIST, 'index.html')
    app.get('/', serveStatic({ path: index }))
    app.get('/d/:room', serveStatic({ path: index }))
    app.use('/*', serveStatic({ root: CLIENT_DIST }))
  } else {
    app.get('/', (c) => c.text('The editor is not built: run `npm run build` (npm start does it for you).', 503))
  }
  app.notFound((c) => c.json({ error: `nothing at ${c.req.path}: the editor is at / and the API under /api` }, 404))

  const tls = config.tls
  // Handshakes that never finish (slowloris): headers, upgrade included, must arrive within the limit. Node checks
  // these timeouts every `connectionsCheckingInterval` (30 s by default, fixed when the server is made), so the
  // interval is set here, at construction, to a fraction of the limit.
  const timeouts = {
    headersTimeout: limits.handshakeTimeoutMs,
    requestTimeout: Math.max(limits.handshakeTimeoutMs, 30_000),
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.handshakeTimeoutMs / 4))),
  }
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve(
      tls
        ? { fetch: app.fetch, port: config.port, hostname: config.host, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key, ...timeouts } }
        : { fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: timeouts },
      () => resolve(s),
    )
    s.once('error', reject)
  })
  injectWebSocket(server as import('node:http').Server)
  const port = (server.address() as AddressInfo).port
  const url = `${tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  lock?.update({ url, auth: config.authSecret !== null, tlsCert: tls?.certFile })
  log.info(
    { port, host: config.host, url, tls: tls !== null, dataDir: config.dataDir, storage: config.storage, durability: config.durability },
    'inkwell listening',
  )
  if (config.storage === 'memory') log.warn('STORAGE=memory: nothing is written to disk and nothing survives a restart')

  let closing: Promise<void> | null = null
  const close = () =>
    (closing ??= (async () => {
      shuttingDown = true
      heartbeat.stop()
      // Stop accepting connections, then flush rooms: every client hears 1012 and reconnects after the restart.
      server.close()
      await registry.shutdown(CloseCode.serviceRestart, 'server restarting')
      for (const ws of wss.clients) ws.terminate()
      await store.close()
      ;(server as import('node:http').Server).closeAllConnections()
      lock?.release()
      log.info('inkwell stopped')
    })())

  return { port, url, store, registry, metrics, close }
}
