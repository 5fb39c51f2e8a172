/**
 * Finds connections whose other end is gone without a word. A laptop that sleeps, a phone that loses its radio, a
 * network that changes: TCP tells the server nothing, and without this such a connection would stay in its room for
 * good. It would keep the room loaded, count against `MAX_CONNECTIONS`, and keep the awareness client id it
 * introduced, so the same editor, reconnecting, could not show its cursor again (the id belongs to the dead
 * connection).
 *
 * Every `intervalMs` each connection beats once (`Beating.beat`): one heard from since the last round (a pong, or
 * any message) is pinged again; one that was not is dropped, unless bytes are still queued to it (its ping may not
 * have left yet; `MAX_SEND_BUFFER_BYTES` bounds a client that stopped reading). Browsers and `ws` answer pings by
 * themselves, so an open tab always answers, busy or not. A round is one timer for all connections, not a timer
 * each. Between rounds, a connection whose awareness id another one claims is checked at once
 * (`Connection.suspected` in collab-route.ts).
 */
export interface Beating {
  beat(): void
}

export class Heartbeat {
  private readonly members = new Set<Beating>()
  private readonly timer: NodeJS.Timeout | null

  /** `intervalMs` 0 turns it off. */
  constructor(readonly intervalMs: number) {
    this.timer = intervalMs > 0 ? setInterval(() => this.round(), intervalMs) : null
    this.timer?.unref()
  }

  add(member: Beating): void {
    if (this.timer) this.members.add(member)
  }

  delete(member: Beating): void {
    this.members.delete(member)
  }

  private round(): void {
    // A member dropped during the round deletes itself from the set; iterating a copy keeps the round whole.
    for (const member of [...this.members]) member.beat()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.members.clear()
  }
}
