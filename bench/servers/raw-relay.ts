/**
 * The floor: a `ws` server that forwards every binary message to the other sockets on the same URL path, without
 * decoding it. It stores nothing and keeps no document, so it cannot serve content to a newcomer; it exists to show
 * what relaying bytes costs on this machine, and every other server is measured as a ratio to it.
 *
 * One concession to the stock y-websocket client: a sync step 1 (`[0, 0, …]`) is answered here with an empty sync
 * step 2 instead of being forwarded, so the client reports `synced` (and the other clients are not asked to send
 * their whole state to the newcomer, which a real server would never relay either).
 *
 * Run: `node --import tsx bench/servers/raw-relay.ts` (listens on 127.0.0.1, port 0 or $PORT).
 */
import { WebSocketServer, type WebSocket } from 'ws'

/** messageSync, syncStep2, a 2-byte update: no structs, empty delete set. */
const EMPTY_STEP2 = new Uint8Array([0, 1, 2, 0, 0])

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0), perMessageDeflate: false })
const rooms = new Map<string, Set<WebSocket>>()

wss.on('connection', (ws, req) => {
  const path = req.url ?? '/'
  let peers = rooms.get(path)
  if (!peers) rooms.set(path, (peers = new Set()))
  const room = peers
  room.add(ws)
  ws.on('error', () => ws.terminate())
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return
    if (data[0] === 0 && data[1] === 0) {
      ws.send(EMPTY_STEP2)
      return
    }
    for (const peer of room) if (peer !== ws && peer.readyState === 1) peer.send(data)
  })
  ws.on('close', () => {
    room.delete(ws)
    if (room.size === 0) rooms.delete(path)
  })
})

const stop = () => {
  for (const ws of wss.clients) ws.terminate()
  wss.close(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
