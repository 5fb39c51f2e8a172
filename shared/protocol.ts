/**
 * Constants of the y-websocket wire protocol, as the stock `y-websocket` client speaks it.
 *
 * Every WebSocket message is binary and starts with a varuint message type:
 *
 * | type | name            | body                                                             |
 * |------|-----------------|------------------------------------------------------------------|
 * | 0    | sync            | varuint sync type, then varUint8Array payload (see below)         |
 * | 1    | awareness       | varUint8Array awareness update (y-protocols/awareness)           |
 * | 2    | auth            | varuint 0 = permission denied, then varString reason             |
 * | 3    | query-awareness | nothing; the receiver answers with all awareness states it knows |
 *
 * Sync types: 0 = step 1 (payload: state vector), 1 = step 2 (payload: update), 2 = update (payload: update).
 * The full description is in server/protocol/PROTOCOL.md.
 */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

export const SyncType = {
  step1: 0,
  step2: 1,
  update: 2,
} as const
export type SyncType = (typeof SyncType)[keyof typeof SyncType]

/** WebSocket path prefix: the stock client connects to `${base}/${room}`, so the base URL is `ws://host:port/collab`. */
export const COLLAB_PATH = '/collab'
