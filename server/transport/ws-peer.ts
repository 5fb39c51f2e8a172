/** A `Peer` over a `ws` WebSocket: the only place a room's bytes meet a socket. */
import type { WebSocket } from 'ws'
import { CloseCode } from '../../shared/close-codes.ts'
import type { Peer } from '../room/peer.ts'
import { sendBinary } from './frames.ts'

/** The connection a peer belongs to (the WebSocket route's). */
export interface PeerOwner {
  /** Every frame sent (metrics). */
  sent(frame: Uint8Array): void
  /** Called once when the peer kicks itself or is kicked, after the current broadcast loop: leave the room. */
  kicked(): void
  /** The room suspects the client is gone (`Peer.suspect`): check. */
  suspected(): void
}

export class WsPeer implements Peer {
  bytesIn = 0
  bytesOut = 0
  /** The socket has closed (not merely been asked to). */
  gone = false
  /** Why the server closed it, if it did: for the connection's log line. */
  closedWith: { code: number; reason: string } | null = null
  /** Closed for misbehaving: nothing it sends is handled any more, and it has left its room. */
  kicked = false

  constructor(
    readonly id: string,
    private ws: WebSocket,
    readonly readOnly: boolean,
    /** Bytes queued to this socket (unread by the client) past which it is closed as a slow consumer. */
    private maxBuffered: number,
    private owner: PeerOwner,
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
    this.owner.sent(frame)
    sendBinary(this.ws, frame)
  }

  /** Closes for misbehaviour: stops handling its messages and takes it out of its room. */
  kick(code: number, reason: string): void {
    if (this.kicked) return
    this.kicked = true
    this.close(code, reason)
    // After the current broadcast loop, not inside it.
    queueMicrotask(() => this.owner.kicked())
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason }
    if (this.ws.readyState <= 1) this.ws.close(code, reason)
  }

  suspect(): void {
    if (!this.gone && !this.kicked) this.owner.suspected()
  }

  /** Pings the client: its pong (browsers and `ws` send one by themselves) shows it is still there. */
  ping(): void {
    if (this.ws.readyState === 1 /* OPEN */) this.ws.ping()
  }

  /** Bytes queued to this socket that have not reached the OS yet (a ping sent now would wait behind them). */
  get queued(): number {
    return this.ws.bufferedAmount
  }

  /**
   * Drops a connection whose other end is gone (see heartbeat.ts): no close handshake, since nothing would answer
   * it. Logged and counted as 1006, the code for a connection that ended without a close frame.
   */
  drop(reason: string): void {
    this.closedWith ??= { code: ABNORMAL_CLOSURE, reason }
    this.kicked = true
    this.ws.terminate()
  }
}

/** RFC 6455's code for a connection closed without a close frame: never sent, only logged and counted. */
const ABNORMAL_CLOSURE = 1006
