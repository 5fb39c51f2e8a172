/** A `Peer` over a `ws` WebSocket: the only place a room's bytes meet a socket. */
import type { WebSocket } from 'ws'
import type { Peer } from '../room/peer.ts'

export class WsPeer implements Peer {
  bytesIn = 0
  bytesOut = 0
  /** The socket has closed (not merely been asked to). */
  gone = false

  constructor(
    readonly id: string,
    private ws: WebSocket,
    readonly readOnly: boolean,
  ) {}

  send(frame: Uint8Array): void {
    if (this.ws.readyState !== 1 /* OPEN */) return
    this.bytesOut += frame.byteLength
    this.ws.send(frame, { binary: true })
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState <= 1) this.ws.close(code, reason)
  }
}
