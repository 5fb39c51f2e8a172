/** A `Peer` over a `ws` WebSocket: the only place a room's bytes meet a socket. */
import type { WebSocket } from 'ws'
import { CloseCode } from '../../shared/close-codes.ts'
import type { Peer } from '../room/peer.ts'

export class WsPeer implements Peer {
  bytesIn = 0
  bytesOut = 0
  /** The socket has closed (not merely been asked to). */
  gone = false
  /** Why the server closed it, if it did: for the connection's log line. */
  closedWith: { code: number; reason: string } | null = null

  constructor(
    readonly id: string,
    private ws: WebSocket,
    readonly readOnly: boolean,
    /** Bytes queued to this socket (unread by the client) past which it is closed as a slow consumer. */
    private maxBuffered: number,
    /** Told about every frame sent (metrics). */
    private onSent?: (frame: Uint8Array) => void,
  ) {}

  send(frame: Uint8Array): void {
    if (this.ws.readyState !== 1 /* OPEN */) return
    if (this.ws.bufferedAmount + frame.byteLength > this.maxBuffered) {
      // The client stopped reading. Buffering on would grow without end; its close frame would queue behind the
      // same unread bytes, so the socket is also destroyed shortly after.
      this.close(CloseCode.policyViolation, 'slow consumer: the connection is not reading its messages')
      setTimeout(() => this.ws.terminate(), 1000).unref()
      return
    }
    this.bytesOut += frame.byteLength
    this.onSent?.(frame)
    this.ws.send(frame, { binary: true })
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason }
    if (this.ws.readyState <= 1) this.ws.close(code, reason)
  }
}
