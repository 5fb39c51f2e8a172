/**
 * Hono's WebSocket helper (`upgradeWebSocket`) on Node, over `ws`.
 *
 * It replaces @hono/node-ws 1.3.1, which keeps each upgrade request in a Map until `ws` emits 'connection' for it.
 * A handshake `ws` refuses (a broken key, an unknown version) or a socket that closes while the route runs never gets
 * there, so the request and its socket stay reachable forever: an unauthenticated memory leak (found by
 * server/test/hostile.test.ts). Here the route's events wait in a WeakMap keyed by the request and are taken out
 * before the handshake, so no refusal path retains anything.
 *
 * Also: the socket has an error listener from the first moment (a reset while the route runs would otherwise be an
 * unhandled 'error'); a refused upgrade gets the route's own status and JSON body; binary messages reach `onMessage`
 * as the Buffer `ws` made (a Uint8Array), not a copy.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Hono } from 'hono'
import { WSContext, defineWebSocketHelper, type UpgradeWebSocket, type WSEvents } from 'hono/ws'
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws'

/** Marks the env of requests that came through the 'upgrade' event. */
const UPGRADE = Symbol('inkwell.upgrade')

export interface NodeWebSocket {
  wss: WebSocketServer
  upgradeWebSocket: UpgradeWebSocket<WebSocket>
  injectWebSocket(server: Server): void
}

type UpgradeEnv = { incoming: IncomingMessage; outgoing: undefined; [UPGRADE]?: true }

export function createNodeWebSocket(app: Hono, options: Omit<ServerOptions, 'noServer' | 'server' | 'port'>): NodeWebSocket {
  const wss = new WebSocketServer({ ...options, noServer: true })
  const pending = new WeakMap<IncomingMessage, WSEvents<WebSocket>>()

  const upgradeWebSocket = defineWebSocketHelper<WebSocket>((c, events) => {
    const env = c.env as UpgradeEnv | undefined
    if (!env?.[UPGRADE]) {
      return c.json({ error: 'this is a WebSocket endpoint: connect with a WebSocket client (ws://…/collab/<room>)' }, 426)
    }
    pending.set(env.incoming, events)
    return new Response(null)
  })

  const injectWebSocket = (server: Server) => {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy())
      void route(req).then(
        ({ events, response }) => {
          if (!events) return refuse(socket, response)
          if (socket.destroyed) return
          wss.handleUpgrade(req, socket, head, (ws) => attach(ws, events))
        },
        () => socket.destroy(),
      )
    })
  }

  async function route(req: IncomingMessage): Promise<{ events?: WSEvents<WebSocket>; response: Response }> {
    const headers = new Headers()
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.append(key, Array.isArray(value) ? value[0] : value)
    }
    const env: UpgradeEnv = { incoming: req, outgoing: undefined, [UPGRADE]: true }
    const response = await app.request(new URL(req.url ?? '/', 'http://localhost'), { headers, method: req.method }, env)
    const events = pending.get(req)
    pending.delete(req)
    return { events, response }
  }

  return { wss, upgradeWebSocket, injectWebSocket }
}

/** Answers a refused upgrade with the route's status and body, then closes. */
async function refuse(socket: Duplex, response: Response): Promise<void> {
  if (socket.destroyed) return
  const status = response.status === 200 ? 400 : response.status
  const body = Buffer.from(response.status === 200 ? '' : await response.text().catch(() => ''))
  const type = response.headers.get('content-type') ?? 'text/plain'
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  )
}

function attach(ws: WebSocket, events: WSEvents<WebSocket>): void {
  // No `url`: the route reads what it needs from its request before the upgrade, and a URL kept per connection (two,
  // as WSContext copies it) is half a kilobyte of every idle connection's heap.
  const ctx = new WSContext<WebSocket>({
    raw: ws,
    protocol: ws.protocol,
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    get readyState() {
      return ws.readyState as 0 | 1 | 2 | 3
    },
  })
  const guard = (run: () => void) => {
    try {
      run()
    } catch {
      // A handler threw: close only this connection, never the process.
      ws.close(1011, 'internal error')
    }
  }
  guard(() => events.onOpen?.(new Event('open'), ctx))
  ws.on('message', (data, isBinary) => {
    // Handlers read only `data`; a full MessageEvent per message would cost more than relaying it.
    const payload = isBinary ? (data as Buffer) : data.toString()
    guard(() => events.onMessage?.({ data: payload } as unknown as MessageEvent, ctx))
  })
  ws.on('close', (code, reason) =>
    guard(() => events.onClose?.({ code, reason: reason.toString(), wasClean: true } as CloseEvent, ctx)),
  )
  ws.on('error', (error) => guard(() => events.onError?.(new ErrorEvent('error', { error }), ctx)))
}
