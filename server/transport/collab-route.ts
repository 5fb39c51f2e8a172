/**
 * `GET /collab/:room`: the WebSocket endpoint, where a socket becomes a room peer.
 *
 * The room loads after the upgrade; messages that arrive meanwhile (the stock client sends step 1 and its awareness
 * at once) wait in a bounded queue and are handled in order once the peer has joined. Text frames are refused with
 * 1003: the protocol is binary.
 */
import type { UpgradeWebSocket, WSContext } from 'hono/ws'
import type { WebSocket } from 'ws'
import { CloseCode } from '../../shared/close-codes.ts'
import type { Logger } from '../log.ts'
import type { Room } from '../room/room.ts'
import type { RoomRegistry } from '../room/registry.ts'
import { WsPeer } from './ws-peer.ts'

/**
 * Messages a connection may send before its room has loaded. The stock client sends two (step 1, awareness); the
 * bound keeps a client that floods a slow-loading room from buffering without end.
 */
const MAX_QUEUED_BEFORE_LOAD = 256

let nextConnection = 1

export interface CollabDeps {
  registry: RoomRegistry
  log: Logger
  upgradeWebSocket: UpgradeWebSocket<WebSocket>
}

export function collabHandler({ registry, log, upgradeWebSocket }: CollabDeps) {
  return upgradeWebSocket((c) => {
    const name = c.req.param('room') as string
    const id = `c${nextConnection++}`
    const opened = Date.now()
    let peer: WsPeer
    let room: Room | null = null
    let queue: Uint8Array[] = []

    return {
      onOpen(_evt, ws: WSContext<WebSocket>) {
        peer = new WsPeer(id, ws.raw!, false)
        registry.open(name).then(
          (r) => {
            if (peer.gone) return
            room = r
            r.join(peer)
            for (const msg of queue) r.receive(peer, msg)
            queue = []
          },
          (err: Error) => {
            log.error({ room: name, conn: id, err: err.message }, 'room unavailable')
            peer.close(CloseCode.internalError, 'document storage is unavailable; try again later')
          },
        )
      },
      onMessage(evt) {
        if (peer.gone) return
        if (typeof evt.data === 'string') {
          log.warn({ room: name, conn: id }, 'text frame refused')
          peer.close(CloseCode.unsupportedData, 'text frames are not accepted: the protocol is binary')
          room?.leave(peer)
          return
        }
        const bytes = new Uint8Array(evt.data as ArrayBuffer)
        peer.bytesIn += bytes.byteLength
        if (room) room.receive(peer, bytes)
        else if (queue.length < MAX_QUEUED_BEFORE_LOAD) queue.push(bytes)
        else peer.close(CloseCode.policyViolation, 'too many messages before the document loaded')
      },
      onClose(evt) {
        if (peer) {
          peer.gone = true
          room?.leave(peer)
        }
        log.info(
          {
            room: name,
            conn: id,
            ms: Date.now() - opened,
            bytesIn: peer?.bytesIn ?? 0,
            bytesOut: peer?.bytesOut ?? 0,
            code: evt.code,
            reason: evt.reason || undefined,
          },
          'connection closed',
        )
      },
    }
  })
}
