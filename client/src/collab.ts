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
  return new WebsocketProvider(collabUrl(window.location), room, ydoc, {
    params: token === null ? {} : { token },
  })
}
