/**
 * What the connection badge shows, derived from the y-websocket provider's events.
 *
 * `connected` means more than an open socket: the document has synced with the server, so edits now reach others.
 * After a drop the state stays `offline` through the provider's reconnect attempts (a retry every few seconds would
 * otherwise make the badge flicker) until a new connection has synced. Edits made meanwhile stay in the local
 * `Y.Doc` and are sent by the provider on that sync.
 */

export type ConnectionState = 'connecting' | 'connected' | 'offline'

export type ProviderEvent =
  | { type: 'status'; status: 'connecting' | 'connected' | 'disconnected' }
  | { type: 'sync'; synced: boolean }
  | { type: 'close' }

export function initialConnectionState(synced: boolean): ConnectionState {
  return synced ? 'connected' : 'connecting'
}

export function nextConnectionState(state: ConnectionState, event: ProviderEvent): ConnectionState {
  switch (event.type) {
    case 'close':
      return 'offline'
    case 'sync':
      if (event.synced) return 'connected'
      return state === 'connected' ? 'offline' : state
    case 'status':
      switch (event.status) {
        case 'disconnected':
          return 'offline'
        case 'connecting':
          return state === 'offline' ? 'offline' : 'connecting'
        case 'connected':
          return state
      }
  }
}
