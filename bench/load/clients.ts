/**
 * One interface over the two client libraries the servers speak: the stock y-websocket `WebsocketProvider` and
 * Hocuspocus's own `HocuspocusProvider` (its protocol prefixes every message with the document name). Each client
 * gets its own WebSocket, as a browser tab would.
 */
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'

export type Protocol = 'y-websocket' | 'hocuspocus'

export interface Client {
  doc: Y.Doc
  /** Resolves once the server's state has been received (the provider's own `synced`). */
  synced: Promise<void>
  /** Bytes the client's socket has not yet handed to the kernel (for backpressure in the replay). */
  bufferedAmount(): number
  destroy(): void
}

const Polyfill = WebSocket as unknown as typeof globalThis.WebSocket

export function connect(protocol: Protocol, url: string, room: string, doc = new Y.Doc()): Client {
  switch (protocol) {
    case 'y-websocket': {
      const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: Polyfill, disableBc: true })
      const synced = new Promise<void>((resolve) => {
        if (provider.synced) resolve()
        else provider.once('sync', (s: boolean) => s && resolve())
      })
      return {
        doc,
        synced,
        bufferedAmount: () => provider.ws?.bufferedAmount ?? 0,
        destroy() {
          provider.destroy()
          doc.destroy()
        },
      }
    }
    case 'hocuspocus': {
      let resolveSynced!: () => void
      const synced = new Promise<void>((r) => (resolveSynced = r))
      // One socket per client, as one browser tab has (Hocuspocus can multiplex documents over one; we don't).
      const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: Polyfill })
      const provider = new HocuspocusProvider({
        websocketProvider: socket,
        name: room,
        document: doc,
        onSynced: () => resolveSynced(),
      })
      // A provider given its socket does not attach itself.
      provider.attach()
      return {
        doc,
        synced,
        bufferedAmount: () => (socket.webSocket as unknown as WebSocket | null)?.bufferedAmount ?? 0,
        destroy() {
          provider.destroy()
          socket.destroy()
          doc.destroy()
        },
      }
    }
  }
}

/** Rejects after `ms` with a message naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    }),
  ])
}

/**
 * Connects `count` clients with at most `concurrency` handshakes in flight (a burst of thousands of SYNs overflows
 * the listen backlog and the kernel retries them a second later, which would measure the backlog, not the server).
 * Resolves once every client has synced; on timeout, destroys every client it made (a provider left behind would
 * keep reconnecting to a server that is gone) and rejects.
 */
export async function connectMany(
  count: number,
  concurrency: number,
  open: (i: number) => Client,
  timeoutMs: number,
): Promise<Client[]> {
  const clients: Client[] = []
  let next = 0
  let aborted = false
  const lane = async () => {
    while (next < count && !aborted) {
      const i = next++
      clients[i] = open(i)
      await clients[i].synced
    }
  }
  try {
    await within(Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane)), timeoutMs, `${count} clients to sync`)
  } catch (err) {
    aborted = true
    for (const c of clients) c?.destroy()
    throw err
  }
  return clients
}
