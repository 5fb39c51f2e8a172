/**
 * What a room knows of a connection: three members, no transport. Only the WebSocket route knows Hono and `ws`,
 * so rooms are tested with in-memory peers.
 */
export interface Peer {
  /** A short id for logs. */
  readonly id: string
  /** Read-only peers receive everything; their document-changing messages are dropped before they touch the doc. */
  readonly readOnly: boolean
  /** Queue one binary frame. Must not throw when the connection is already closing. */
  send(frame: Uint8Array): void
  close(code: number, reason: string): void
  /**
   * Another connection claims something this one holds (an awareness client id): check soon that this one is still
   * there, and drop it if it is not. Optional: a transport without liveness checks leaves it out.
   */
  suspect?(): void
}
