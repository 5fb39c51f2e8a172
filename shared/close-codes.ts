/**
 * Every close code the server sends, in one place.
 *
 * Codes below 4000 are the standard ones of RFC 6455; the stock y-websocket client reconnects after them.
 * Codes 4400–4499 mirror HTTP 4xx: y-websocket 3.1 does *not* reconnect after them, so they are for
 * conditions that retrying cannot fix (bad room name, refused token).
 */
export const CloseCode = {
  /** Server shutting down or restarting (SIGTERM): reconnect later. */
  serviceRestart: 1012,
  /** The peer sent something that is not the y-websocket protocol (truncated frame, unknown message type). */
  protocolError: 1002,
  /** The peer sent a kind of data we do not accept (text frames; the protocol is binary). */
  unsupportedData: 1003,
  /** The peer broke a policy: rate limit, awareness limits, repeated unintegrable updates, slow consumer. */
  policyViolation: 1008,
  /** A frame or message is larger than the configured limit. */
  messageTooBig: 1009,
  /** The server cannot keep its promise for this room (storage failed or unreadable): reconnect later. */
  internalError: 1011,
  /** The room name is not valid. Retrying will not help. */
  badRoomName: 4400,
  /** No token, or a forged or expired one. */
  unauthorized: 4401,
  /** The token is valid but not for this room, or the origin is not allowed. */
  forbidden: 4403,
  /** The room was deleted by an operator while the connection was open. */
  roomDeleted: 4404,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]
