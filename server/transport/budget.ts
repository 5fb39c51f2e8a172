/**
 * A token bucket: `rate` units per second on average, up to `burst` at once. Used for messages per second and for
 * milliseconds of server time per second of each connection.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private rate: number,
    private burst: number,
    now = performance.now(),
  ) {
    this.tokens = burst
    this.last = now
  }

  /** Spends `n`; false when the bucket is empty (the spend still counts, so debt must be paid back). */
  take(n = 1, now = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
    this.tokens -= n
    return this.tokens >= 0
  }
}
