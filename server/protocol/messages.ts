/**
 * Pure encode and decode of y-websocket messages (wire format: PROTOCOL.md). No sockets, no documents: the room
 * decides what to do with a decoded message, and the caller decides where encoded bytes go.
 *
 * Decoding is strict: one WebSocket message holds exactly one protocol message, as the stock client sends it.
 * Anything else (truncated, unknown type, trailing bytes) throws a `ProtocolError` carrying the close code.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { CloseCode } from '../../shared/close-codes.ts'
import { MessageType, SyncType } from '../../shared/protocol.ts'

export type Incoming =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'auth'; denied: boolean; reason: string }

/** What a frame is, as metrics label it: an `Incoming` type, or `unknown` for anything that is not one. */
export type MessageKind = Incoming['type'] | 'unknown'

const SYNC_KINDS: Record<number, MessageKind> = {
  [SyncType.step1]: 'sync-step1',
  [SyncType.step2]: 'sync-step2',
  [SyncType.update]: 'sync-update',
}
const KINDS: Record<number, MessageKind> = {
  [MessageType.awareness]: 'awareness',
  [MessageType.queryAwareness]: 'query-awareness',
  [MessageType.auth]: 'auth',
}

/**
 * The kind of a frame from its first bytes, without decoding the rest: cheap enough to run on every frame in and
 * out, and it never throws. Every type and sync type is below 128, so each is one varint byte.
 */
export function messageKind(data: Uint8Array): MessageKind {
  if (data.length === 0) return 'unknown'
  if (data[0] === MessageType.sync) return SYNC_KINDS[data[1]] ?? 'unknown'
  return KINDS[data[0]] ?? 'unknown'
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  constructor(
    message: string,
    readonly code: number = CloseCode.protocolError,
  ) {
    super(message)
  }
}

export function decodeMessage(data: Uint8Array): Incoming {
  const decoder = decoding.createDecoder(data)
  let msg: Incoming
  try {
    msg = readMessage(decoder)
  } catch (err) {
    if (err instanceof ProtocolError) throw err
    throw new ProtocolError(`malformed message: ${(err as Error).message}`)
  }
  if (decoding.hasContent(decoder)) throw new ProtocolError('malformed message: trailing bytes after the message')
  return msg
}

function readMessage(decoder: decoding.Decoder): Incoming {
  const type = decoding.readVarUint(decoder)
  switch (type) {
    case MessageType.sync: {
      const syncType = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      switch (syncType) {
        case SyncType.step1:
          return { type: 'sync-step1', stateVector: payload }
        case SyncType.step2:
          return { type: 'sync-step2', update: payload }
        case SyncType.update:
          return { type: 'sync-update', update: payload }
        default:
          throw new ProtocolError(`unknown sync message type ${syncType}`)
      }
    }
    case MessageType.awareness:
      return { type: 'awareness', update: decoding.readVarUint8Array(decoder) }
    case MessageType.queryAwareness:
      return { type: 'query-awareness' }
    case MessageType.auth: {
      const denied = decoding.readVarUint(decoder) === 0
      return { type: 'auth', denied, reason: decoding.readVarString(decoder) }
    }
    default:
      throw new ProtocolError(`unknown message type ${type}`)
  }
}

function syncMessage(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.sync)
  encoding.writeVarUint(encoder, syncType)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array => syncMessage(SyncType.step1, stateVector)
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array => syncMessage(SyncType.step2, update)
export const encodeUpdate = (update: Uint8Array): Uint8Array => syncMessage(SyncType.update, update)

/** Whether a frame is a sync step 1 from a client that has nothing yet (an empty state vector): it needs everything. */
export function isEmptyStep1(frame: Uint8Array): boolean {
  return frame.length === 4 && frame[0] === MessageType.sync && frame[1] === SyncType.step1 && frame[2] === 1 && frame[3] === 0
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.awareness)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

export function encodeQueryAwareness(): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.queryAwareness)
  return encoding.toUint8Array(encoder)
}

/** The auth message y-websocket understands: "permission denied" with a reason (the client logs it). */
export function encodePermissionDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MessageType.auth)
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarString(encoder, reason)
  return encoding.toUint8Array(encoder)
}

/** One entry of an awareness update: a client's state as a JSON string, or `"null"` for a removal. */
export interface AwarenessEntry {
  clientID: number
  clock: number
  /** The state exactly as sent (JSON text); parsing is left to y-protocols so the bytes stay as the client wrote. */
  state: string
}

/** Reads the entries of an awareness update (y-protocols/awareness format). Throws `ProtocolError` on bad data. */
export function decodeAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  try {
    const decoder = decoding.createDecoder(update)
    const n = decoding.readVarUint(decoder)
    const entries: AwarenessEntry[] = []
    for (let i = 0; i < n; i++) {
      const clientID = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const state = decoding.readVarString(decoder)
      entries.push({ clientID, clock, state })
    }
    if (decoding.hasContent(decoder)) throw new Error('trailing bytes')
    return entries
  } catch (err) {
    throw new ProtocolError(`malformed awareness update: ${(err as Error).message}`)
  }
}

export function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const e of entries) {
    encoding.writeVarUint(encoder, e.clientID)
    encoding.writeVarUint(encoder, e.clock)
    encoding.writeVarString(encoder, e.state)
  }
  return encoding.toUint8Array(encoder)
}
