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
      // A shared function, not a closure: a closure here would keep this request (headers and all) and `head`
      // reachable from the socket for as long as the connection lives.
      socket.on('error', destroySocket)
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

/** The socket's error listener until `ws` takes the socket over (it adds its own); called with the socket as `this`. */
function destroySocket(this: Duplex): void {
  this.destroy()
}

/**
 * What a connection's `WSContext` does, as one small object: a class with its methods on the prototype instead of an
 * object literal with three closures and a getter for every connection.
 */
class WsInit {
  constructor(readonly raw: WebSocket) {}
  get protocol(): string {
    return this.raw.protocol
  }
  get readyState(): 0 | 1 | 2 | 3 {
    return this.raw.readyState as 0 | 1 | 2 | 3
  }
  send(data: string | ArrayBuffer | Uint8Array): void {
    this.raw.send(data)
  }
  close(code?: number, reason?: string): void {
    this.raw.close(code, reason)
  }
}

/** The route's events and context of each accepted socket, for the shared listeners below. */
interface Attached {
  events: WSEvents<WebSocket>
  ctx: WSContext<WebSocket>
}
const ATTACHED = Symbol('inkwell.attached')
type AttachedSocket = WebSocket & { [ATTACHED]: Attached }

function attach(ws: WebSocket, events: WSEvents<WebSocket>): void {
  // No `url`: the route reads what it needs from its request before the upgrade, and a URL kept per connection (two,
  // as WSContext copies it) is half a kilobyte of every idle connection's heap.
  const ctx = new WSContext<WebSocket>(new WsInit(ws))
  ;(ws as AttachedSocket)[ATTACHED] = { events, ctx }
  dispatch(ws, events, 'onOpen', new Event('open'), ctx)
  // Shared listeners (`ws` calls them with the socket as `this`), not closures per connection.
  ws.on('message', onSocketMessage)
  ws.on('close', onSocketClose)
  ws.on('error', onSocketError)
  ws.on('pong', onSocketPong)
}

/**
 * Hono's WebSocket events have no pong; the route may take one as `onPong` (its heartbeat: see heartbeat.ts).
 */
export interface PongEvents {
  onPong?(): void
}

/**
 * Calls one of the route's handlers; if it throws, closes only this connection, never the process. Called with the
 * handler's name rather than a closure around the call: messages come through here, and a closure each would be an
 * allocation per message.
 */
function dispatch<K extends 'onOpen' | 'onMessage' | 'onClose' | 'onError'>(
  ws: WebSocket,
  events: WSEvents<WebSocket>,
  handler: K,
  evt: Parameters<NonNullable<WSEvents<WebSocket>[K]>>[0],
  ctx: WSContext<WebSocket>,
): void {
  try {
    ;(events[handler] as ((evt: unknown, ctx: WSContext<WebSocket>) => void) | undefined)?.call(events, evt, ctx)
  } catch {
    ws.close(1011, 'internal error')
  }
}

function onSocketMessage(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  const { events, ctx } = (this as AttachedSocket)[ATTACHED]
  // Handlers read only `data`; a full MessageEvent per message would cost more than relaying it.
  const payload = isBinary ? (data as Buffer) : data.toString()
  dispatch(this, events, 'onMessage', { data: payload } as unknown as MessageEvent, ctx)
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  const { events, ctx } = (this as AttachedSocket)[ATTACHED]
  dispatch(this, events, 'onClose', { code, reason: reason.toString(), wasClean: true } as CloseEvent, ctx)
}

function onSocketPong(this: WebSocket): void {
  const { events } = (this as AttachedSocket)[ATTACHED]
  try {
    ;(events as PongEvents).onPong?.()
  } catch {
    this.close(1011, 'internal error')
  }
}

function onSocketError(this: WebSocket, error: Error): void {
  const { events, ctx } = (this as AttachedSocket)[ATTACHED]
  // Node 20 has no global ErrorEvent: an Event carrying the error, as the route would read it.
  dispatch(this, events, 'onError', Object.assign(new Event('error'), { error }) as ErrorEvent, ctx)
}
