/**
 * `GET /collab/:room`: the WebSocket endpoint, where a socket becomes a room peer.
 *
 * Before the upgrade: the room name is checked (400). After it: origin and token are checked first, and a refusal
 * is a close with a 44xx code and a reason (a browser sees nothing of an HTTP refusal but close 1006, and the stock
 * client stops retrying on 44xx). The room loads after the upgrade; messages that arrive meanwhile (the stock client
 * sends step 1 and its awareness at once) wait in a bounded queue and are handled in order once the peer has joined.
 *
 * Every message is metered: messages per second and milliseconds of server time per second, each a token bucket.
 * Text frames are refused with 1003: the protocol is binary.
 */
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws'
import type { WebSocket } from 'ws'
import { CloseCode } from '../../shared/close-codes.ts'
import type { Limits } from '../config.ts'
import type { Logger } from '../log.ts'
import type { Room } from '../room/room.ts'
import type { RoomRegistry } from '../room/registry.ts'
import { originAllowed } from '../auth/origin.ts'
import { allowsRoom, tokenFrom, verifyToken, type AuthFailure, type Claims } from '../auth/tokens.ts'
import { encodeSyncStep2, isEmptyStep1, messageKind, type MessageKind } from '../protocol/messages.ts'
import { TokenBucket } from './budget.ts'
import type { Beating, Heartbeat } from './heartbeat.ts'
import type { PongEvents } from './node-websocket.ts'
import { WsPeer, type PeerOwner } from './ws-peer.ts'

/**
 * Messages a connection may send before its room has loaded. The stock client sends two (step 1, awareness); the
 * bound keeps a client that floods a slow-loading room from buffering without end.
 */
const MAX_QUEUED_BEFORE_LOAD = 256

/**
 * How long a suspected connection (see `Connection.suspected`) has to answer a ping. A live client answers within a
 * round trip; this leaves room for a slow mobile link.
 */
const PROBE_MS = 3000

/** Timers hold at most ~24.8 days; a token's expiry further away is re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1

let nextConnection = 1

/**
 * The kind of a frame being sent, decoded once per frame: a relay sends the same frame object to every peer of the
 * room, so decoding it again for each peer's metrics would repeat the same work across the whole relay loop.
 */
let lastSent: Uint8Array | null = null
let lastSentKind: MessageKind = 'unknown'
function kindOfSent(frame: Uint8Array): MessageKind {
  if (frame !== lastSent) {
    lastSent = frame
    lastSentKind = messageKind(frame)
  }
  return lastSentKind
}

export interface CollabDeps {
  registry: RoomRegistry
  log: Logger
  upgradeWebSocket: UpgradeWebSocket<WebSocket>
  limits: Limits
  authSecret: string | null
  allowedOrigins: string[] | null
  /** Open connections, shared with the server for the connection cap. */
  connections: { count: number }
  /** Pings every accepted connection and drops those that stopped answering. */
  heartbeat: Heartbeat
  events?: ConnectionEvents
}

/** Hooks for metrics: the route reports, it does not count. */
export interface ConnectionEvents {
  /** A connection passed origin and token checks. */
  opened?(room: string): void
  /** A connection closed (accepted or not), with the code the server sent or the client's. */
  closed?(room: string, code: number): void
  /** One WebSocket message, received (`in`) or sent (`out`). */
  message?(direction: 'in' | 'out', kind: MessageKind, bytes: number): void
  /** A connection refused for a limit or unavailable storage. */
  refused?(reason: 'limit' | 'storage'): void
  /** A connection refused, or closed at its token's expiry, by auth or the origin allowlist. */
  authFailed?(reason: AuthFailure): void
  /** A connection closed for bad input by the route itself (rate, server time, text frames); the room reports its own. */
  rejected?(code: number, reason: string): void
}

type Access = { ok: true; claims: Claims | null } | { ok: false; code: number; reason: string; kind: AuthFailure }

export function collabHandler(deps: CollabDeps) {
  return deps.upgradeWebSocket(async (c) => {
    const name = c.req.param('room') as string
    const id = `c${nextConnection++}`
    const opened = Date.now()
    const access = await checkAccess(c.req.header('origin'), tokenFrom(c.req), name, deps.authSecret, deps.allowedOrigins)
    return new Connection(deps, name, id, opened, access)
  })
}

/**
 * One WebSocket connection: the route's handlers for it, as methods on one object (the adapter calls them with the
 * connection as `this`), and its state as fields. A class rather than closures over the route's locals: an idle
 * connection then costs one object, not a closure context and a closure per handler.
 */
class Connection implements WSEvents<WebSocket>, PongEvents, PeerOwner, Beating {
  private readonly rate: TokenBucket
  private readonly cpu: TokenBucket
  private peer!: WsPeer
  private room: Room | null = null
  /** Messages that arrived before the room loaded; null once it has. */
  private queue: Uint8Array[] | null = []
  private expiry: NodeJS.Timeout | undefined
  /** Pongs and messages heard so far: a count, so that marking one costs an increment, not a clock read per message. */
  private heard = 0
  /** `heard` when the last heartbeat round pinged this connection (-1: not pinged yet). */
  private heardAtPing = -1
  /** A pending check that the client is still there (see `suspected`). */
  private probe: NodeJS.Timeout | undefined

  constructor(
    private readonly deps: CollabDeps,
    private readonly name: string,
    private readonly id: string,
    private readonly opened: number,
    private readonly access: Access,
  ) {
    this.rate = new TokenBucket(deps.limits.messagesPerSecond, deps.limits.messageBurst)
    this.cpu = new TokenBucket(deps.limits.cpuMsPerSecond, deps.limits.cpuBurstMs)
  }

  private get readOnly(): boolean {
    return this.access.ok && this.access.claims?.mode === 'read'
  }

  onOpen(_evt: Event, ws: WSContext<WebSocket>): void {
    const { registry, log, limits, connections, events } = this.deps
    const { name, id, access } = this
    const peer = (this.peer = new WsPeer(id, ws.raw!, this.readOnly, limits.sendBufferBytes, this))
    connections.count++
    if (!access.ok) {
      events?.authFailed?.(access.kind)
      log.warn({ room: name, conn: id, code: access.code, reason: access.reason, kind: access.kind }, 'connection refused')
      peer.close(access.code, access.reason)
      return
    }
    if (connections.count > limits.connections) {
      events?.refused?.('limit')
      peer.close(CloseCode.policyViolation, 'server has too many connections; try again later')
      return
    }
    if (access.claims) this.armExpiry(access.claims.exp)
    this.deps.heartbeat.add(this)
    events?.opened?.(name)
    log.info({ room: name, conn: id, mode: this.readOnly ? 'read' : 'write' }, 'connection opened')
    // A newcomer with an empty document whose step 1 is already waiting gets the stored state as soon as it is
    // read, while the server builds the document from it; its step 1 is then answered and leaves the queue.
    const answerEarly = (state: Uint8Array) => {
      const step1 = this.queue?.findIndex(isEmptyStep1) ?? -1
      if (step1 < 0 || peer.gone || peer.closedWith) return
      this.queue!.splice(step1, 1)
      peer.send(encodeSyncStep2(state))
    }
    registry.open(name, answerEarly).then(
      (r) => {
        if (peer.gone || peer.closedWith) return
        this.room = r
        r.join(peer)
        const queued = this.queue!
        this.queue = null
        for (const msg of queued) r.receive(peer, msg)
      },
      (err: Error & { code?: string }) => {
        const limit = err.code === 'ROOM_LIMIT'
        events?.refused?.(limit ? 'limit' : 'storage')
        log.error({ room: name, conn: id, err: err.message }, 'room unavailable')
        peer.close(
          limit ? CloseCode.policyViolation : CloseCode.internalError,
          limit ? 'server has too many documents open; try again later' : 'document storage is unavailable; try again later',
        )
      },
    )
  }

  onMessage(evt: MessageEvent): void {
    const { peer, room, deps } = this
    this.heard++
    // A peer the server asked to close is still heard until its socket closes: during shutdown, frames it sent
    // before it saw the close must be stored. A kicked peer (bad input, slow consumer) is not heard at all.
    if (peer.gone || peer.kicked) return
    if (typeof evt.data === 'string') {
      this.reject(CloseCode.unsupportedData, 'text frames are not accepted: the protocol is binary')
      return
    }
    if (!this.rate.take(1)) {
      this.reject(CloseCode.policyViolation, `more than ${deps.limits.messagesPerSecond} messages per second`)
      return
    }
    const data = evt.data as Uint8Array | ArrayBuffer
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    peer.bytesIn += bytes.byteLength
    deps.events?.message?.('in', messageKind(bytes), bytes.byteLength)
    if (!room) {
      if (peer.closedWith || !this.queue) return
      if (this.queue.length < MAX_QUEUED_BEFORE_LOAD) this.queue.push(bytes)
      else this.reject(CloseCode.policyViolation, 'too many messages before the document loaded')
      return
    }
    const started = performance.now()
    room.receive(peer, bytes)
    if (!this.cpu.take(performance.now() - started)) {
      this.reject(CloseCode.policyViolation, 'connection is using too much server time')
    }
  }

  onPong(): void {
    this.heard++
  }

  /** One heartbeat round (heartbeat.ts): ping a connection heard from since the last round; drop one that was not. */
  beat(): void {
    if (this.heard !== this.heardAtPing) {
      this.heardAtPing = this.heard
      this.peer.ping()
      return
    }
    this.dropIfSilent(`no answer to a ping in ${duration(this.deps.heartbeat.intervalMs)}: the client is gone`)
  }

  /**
   * The room suspects this client is gone: another connection claims the awareness id it holds (an editor that
   * reconnected while the server still holds its old connection). Ping it now rather than at the next round, and
   * drop it if it does not answer in time; a live client answers and keeps its id.
   */
  suspected(): void {
    const { heartbeat } = this.deps
    if (this.probe || heartbeat.intervalMs === 0) return
    const before = this.heard
    const ms = Math.min(PROBE_MS, heartbeat.intervalMs)
    this.peer.ping()
    this.probe = setTimeout(() => {
      this.probe = undefined
      if (this.heard === before) this.dropIfSilent(`no answer to a ping in ${duration(ms)} while another connection claimed its cursor`)
    }, ms)
    this.probe.unref()
  }

  private dropIfSilent(reason: string): void {
    const { peer } = this
    // Bytes still queued here (a large first sync on a slow link) hold the ping back: it may not have been sent
    // yet, so silence proves nothing. A client that stopped reading altogether is closed by MAX_SEND_BUFFER_BYTES.
    if (peer.gone || peer.queued > 0) return
    this.deps.log.info({ room: this.name, conn: this.id, reason }, 'connection dropped: no answer to a ping')
    peer.drop(reason)
  }

  onClose(evt: CloseEvent): void {
    clearTimeout(this.expiry)
    clearTimeout(this.probe)
    this.deps.heartbeat.delete(this)
    const { peer, access, name, id, deps } = this
    if (!peer) return
    deps.connections.count--
    peer.gone = true
    this.room?.leave(peer)
    const code = peer.closedWith?.code ?? evt.code
    deps.events?.closed?.(name, code)
    deps.log.info(
      {
        room: name,
        conn: id,
        mode: access.ok ? (this.readOnly ? 'read' : 'write') : 'refused',
        ms: Date.now() - this.opened,
        bytesIn: peer.bytesIn,
        bytesOut: peer.bytesOut,
        code,
        reason: peer.closedWith?.reason ?? (evt.reason || undefined),
        by: peer.closedWith ? 'server' : 'client',
      },
      'connection closed',
    )
  }

  /** The peer kicked itself (slow consumer): take it out of its room. */
  kicked(): void {
    this.room?.leave(this.peer)
  }

  /** Every frame sent to this connection, for the metrics. */
  sent(frame: Uint8Array): void {
    this.deps.events?.message?.('out', kindOfSent(frame), frame.byteLength)
  }

  /** Closes the connection for bad input, as the room does for the violations it sees. */
  private reject(code: number, reason: string): void {
    this.deps.events?.rejected?.(code, reason)
    this.deps.log.warn({ room: this.name, conn: this.id, code, reason }, 'connection closed for bad input')
    this.peer.kick(code, reason)
  }

  /** Closes the connection when its token expires (re-armed until then: timers hold at most ~24.8 days). */
  private armExpiry(exp: number): void {
    const ms = exp * 1000 - Date.now()
    if (ms > MAX_TIMER_MS) this.expiry = setTimeout(() => this.armExpiry(exp), MAX_TIMER_MS)
    else {
      this.expiry = setTimeout(() => {
        this.deps.events?.authFailed?.('expired')
        this.deps.log.info({ room: this.name, conn: this.id }, 'token expired; closing its connection')
        this.peer.kick(CloseCode.unauthorized, 'token expired: ask for a new link')
      }, Math.max(0, ms))
    }
    this.expiry.unref()
  }
}

/** `3 s`, `250 ms`: for close reasons. */
function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`
}

async function checkAccess(
  origin: string | undefined,
  token: string | null,
  room: string,
  secret: string | null,
  allowedOrigins: string[] | null,
): Promise<Access> {
  if (!originAllowed(origin, allowedOrigins)) {
    return { ok: false, code: CloseCode.forbidden, reason: 'origin not allowed: add it to ALLOWED_ORIGINS', kind: 'origin' }
  }
  if (secret === null) return { ok: true, claims: null }
  if (!token) return { ok: false, code: CloseCode.unauthorized, reason: 'a token is required: open the document with its share link', kind: 'missing' }
  const verified = await verifyToken(secret, token)
  if (!verified.ok) return { ok: false, code: CloseCode.unauthorized, reason: verified.reason, kind: verified.kind }
  if (!allowsRoom(verified.claims, room)) {
    return { ok: false, code: CloseCode.forbidden, reason: 'this token is for another document', kind: 'forbidden' }
  }
  return { ok: true, claims: verified.claims }
}
