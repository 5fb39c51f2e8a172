/**
 * Sending one binary message to many sockets, framed once.
 *
 * A relay sends the same payload object to every other peer of a room. `ws.send` would build a WebSocket frame
 * header, two option objects and a two-buffer write for each of them; here the whole frame (header and payload) is
 * built once per payload and written to each socket as one buffer: one `write` per peer, nothing allocated per
 * peer. The frames are exactly what `ws` would send without permessage-deflate (which Inkwell turns off): FIN, opcode
 * 2 (binary), no mask (servers never mask).
 *
 * `ws` keeps its own queue only while it compresses or reads a Blob, which Inkwell never asks of it; whenever that
 * queue is in use, or the socket is gone, or the payload is large, the message goes through `ws.send` instead, so
 * frames never overtake each other.
 */
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'

/**
 * Payloads up to this size are framed into one shared buffer (a copy, made once for all peers). Larger ones (the
 * first sync of a big document, sent to one peer) go through `ws.send`, which writes header and payload without
 * copying the payload.
 */
export const SHARED_FRAME_MAX_BYTES = 64 * 1024

/** The parts of a `ws` WebSocket (8.x) this module reads: its socket and its sender's queue state. */
interface WsInternals {
  _socket: Socket | null
  _sender: { _state: number; _queue: unknown[] } | null
}

/** A complete server-to-client WebSocket frame: FIN + binary opcode, unmasked, then the payload. */
export function binaryFrame(payload: Uint8Array): Buffer {
  const length = payload.byteLength
  const header = length < 126 ? 2 : length <= 0xffff ? 4 : 10
  const frame = Buffer.allocUnsafe(header + length)
  frame[0] = 0x82
  if (length < 126) {
    frame[1] = length
  } else if (length <= 0xffff) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  frame.set(payload, header)
  return frame
}

/** The last payload framed and its frame: every peer of one relay gets the same payload object, one after another. */
let lastPayload: Uint8Array | null = null
let lastFrame: Buffer | null = null

/** Sends `payload` as one binary message on an open socket. */
export function sendBinary(ws: WebSocket, payload: Uint8Array): void {
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals
  if (
    payload.byteLength > SHARED_FRAME_MAX_BYTES ||
    socket === null ||
    sender === null ||
    sender._state !== 0 /* DEFAULT: not compressing, not reading a Blob */ ||
    sender._queue.length > 0
  ) {
    ws.send(payload, { binary: true })
    return
  }
  if (payload !== lastPayload) {
    lastFrame = binaryFrame(payload)
    lastPayload = payload
  }
  socket.write(lastFrame!)
}
