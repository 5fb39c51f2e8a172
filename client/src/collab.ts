/** Opens the collaboration socket for one document with the stock y-websocket client. */
import { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'
import { COLLAB_PATH } from '../../shared/protocol.ts'

/** The socket's base URL on the page's own origin; the provider appends `/<room>`. */
export function collabUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${COLLAB_PATH}`
}

/**
 * Connects `ydoc` to `room`. The provider reconnects by itself after drops (and sends what was edited offline when
 * it does); it stops only on a 44xx close, which the page reports.
 */
export function connectDoc(room: string, ydoc: Y.Doc, token: string | null): WebsocketProvider {
  const provider = new WebsocketProvider(collabUrl(window.location), room, ydoc, {
    params: token === null ? {} : { token },
  })
  // On every (re)connect, renew our awareness state, so that it reaches the server with a newer clock than the one it
  // has. After a lost network the server may still hold our previous connection, and with it our client id. A newer
  // claim on that id makes the server check the old connection at once (server/room/room.ts, `contest`), so our
  // cursor is back within seconds rather than at the provider's next renewal, 15 s on.
  provider.on('status', ({ status }: { status: string }) => {
    const state = provider.awareness.getLocalState()
    if (status === 'connected' && state !== null) provider.awareness.setLocalState(state)
  })
  return provider
}
