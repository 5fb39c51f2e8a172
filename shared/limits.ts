/**
 * Default limits. Each bounds a buffer or a cost that a single connection could otherwise grow without end.
 * The server's configuration may change them; these are the defaults documented in the README.
 */
export const DEFAULT_LIMITS = {
  /**
   * Largest WebSocket message in bytes. `ws` defaults to 100 MiB, which lets one client make the server allocate
   * that much per frame; 16 MiB is far above any honest keystroke update but still lets a large paste or an
   * offline client's catch-up through.
   */
  maxMessageBytes: 16 * 1024 * 1024,
} as const
