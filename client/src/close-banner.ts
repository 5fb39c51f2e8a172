/** Shows why the server refused the document, once the provider has given up reconnecting (a 44xx close). */
import type { WebsocketProvider } from 'y-websocket'
import { permanentCloseMessage } from './close-reason.ts'

export function mountCloseBanner(banner: HTMLElement, provider: WebsocketProvider, onRefused: () => void): void {
  banner.hidden = true
  provider.on('connection-close', (event) => {
    // A null event is a close the provider made itself (a stalled socket); it reconnects after those.
    const message = event === null ? null : permanentCloseMessage(event.code, event.reason)
    if (message === null) return
    banner.textContent = message
    banner.hidden = false
    onRefused()
  })
}
