/** A `Peer` over a `ws` WebSocket: the only place a room's bytes meet a socket. */
import type { WebSocket } from 'ws'
import { CloseCode } from '../../shared/close-codes.ts'
import type { Peer } from '../room/peer.ts'
import { sendBinary } from './frames.ts'

export class WsPeer implements Peer {
  bytesIn = 0
  bytesOut = 0
  /** The socket has closed (not merely been asked to). */
  gone = false
  /** Why the server closed it, if it did: for the connection's log line. */
  closedWith: { code: number; reason: string } | null = null
  /** Closed for misbehaving: nothing it sends is handled any more, and it has left its room. */
  kicked = false
  /** Called once when the peer kicks itself (slow consumer), so the route can take it out of its room. */
  onKicked: (() => void) | null = null

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
    if (this.ws.readyState !== 1 /* OPEN */ || this.kicked) return
    // The bound is on the unread backlog, checked before queueing: one frame larger than the bound (the first sync of
    // a very large document) still goes out to a client that reads.
    if (this.ws.bufferedAmount > this.maxBuffered) {
      // The client stopped reading. Buffering on would grow without end; its close frame would queue behind the
      // same unread bytes, so the socket is also destroyed shortly after.
      this.kick(CloseCode.policyViolation, 'slow consumer: the connection is not reading its messages')
      setTimeout(() => this.ws.terminate(), 1000).unref()
      return
    }
    this.bytesOut += frame.byteLength
    this.onSent?.(frame)
    sendBinary(this.ws, frame)
  }

  /** Closes for misbehaviour: stops handling its messages and takes it out of its room. */
  kick(code: number, reason: string): void {
    if (this.kicked) return
    this.kicked = true
    this.close(code, reason)
    // After the current broadcast loop, not inside it.
    if (this.onKicked) queueMicrotask(this.onKicked)
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason }
    if (this.ws.readyState <= 1) this.ws.close(code, reason)
  }
}
