/**
 * What rooms and the registry report while they work, for metrics. The room calls these hooks and never knows what
 * counts them: nothing under server/room/ imports a metrics library, and tests pass no observer at all.
 */
export interface RoomObserver {
  /**
   * An update was relayed to the room's other peers, `ms` after it was applied: the durable write is included,
   * because the room relays only what is stored (write-ahead).
   */
  relayed?(ms: number): void
  /** An append to storage resolved after `ms`. */
  stored?(ms: number): void
  /** A peer was closed for bad input (a protocol or policy violation) with `code`. */
  rejected?(code: number, reason: string): void
  /** A storage write or load failed. */
  storageFailed?(): void
}
