/**
 * The `#connection` badge. Its `data-status` attribute is the state from connection-state.ts, for styling and tests;
 * the text is the same word, with a longer explanation as the tooltip.
 */
import type { WebsocketProvider } from 'y-websocket'
import { initialConnectionState, nextConnectionState, type ConnectionState, type ProviderEvent } from './connection-state.ts'

const EXPLANATIONS: Record<ConnectionState, string> = {
  connecting: 'Connecting to the server…',
  connected: 'Connected: your edits are shared as you type',
  offline: 'Offline: keep writing, your edits are sent when the connection returns',
}

export function mountConnectionBadge(badge: HTMLElement, provider: WebsocketProvider): void {
  let state = initialConnectionState(provider.synced)
  const show = () => {
    badge.dataset.status = state
    badge.textContent = state
    badge.title = EXPLANATIONS[state]
  }
  const apply = (event: ProviderEvent) => {
    state = nextConnectionState(state, event)
    show()
  }
  provider.on('status', ({ status }) => apply({ type: 'status', status }))
  provider.on('sync', (synced) => apply({ type: 'sync', synced }))
  provider.on('connection-close', () => apply({ type: 'close' }))
  show()
}
