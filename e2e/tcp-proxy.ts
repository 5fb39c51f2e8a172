/**
 * A TCP proxy in front of a test server that can cut a WebSocket the way a lost network does: the browser's side
 * is reset, so the page sees its connection drop and reconnects (through the proxy again), while the server's side
 * stays open and silent — no close frame, no FIN, no pong — as a server sees a laptop that changed networks.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

interface Pair {
  browser: Socket
  server: Socket
  /** The first bytes from the browser were a WebSocket upgrade to `/collab/`. */
  collab: boolean
}

export interface TcpProxy {
  url: string
  /** Cuts every open collab WebSocket: reset toward the browser, left open and silent toward the server. */
  cutCollabSockets(): number
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>()
  /** Server-side sockets of cut connections, held open and unread until `close()`. */
  const held: Socket[] = []
  const server: Server = createServer((browser) => {
    const upstream = connect(target.port, target.host)
    const pair: Pair = { browser, server: upstream, collab: false }
    pairs.add(pair)
    browser.once('data', (chunk: Buffer) => {
      pair.collab = chunk.subarray(0, 32).toString('latin1').startsWith('GET /collab/')
    })
    browser.pipe(upstream)
    upstream.pipe(browser)
    for (const s of [browser, upstream]) {
      s.on('error', () => s.destroy())
      s.on('close', () => pairs.delete(pair))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    cutCollabSockets() {
      let cut = 0
      for (const pair of [...pairs]) {
        if (!pair.collab || pair.browser.destroyed) continue
        pair.browser.unpipe(pair.server)
        pair.server.unpipe(pair.browser)
        // The server's socket: nothing read from it, nothing written to it, never closed (until close()).
        pair.server.pause()
        pair.browser.resetAndDestroy()
        pairs.delete(pair)
        held.push(pair.server)
        cut++
      }
      return cut
    },
    async close() {
      for (const s of held) s.destroy()
      for (const pair of pairs) {
        pair.browser.destroy()
        pair.server.destroy()
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
