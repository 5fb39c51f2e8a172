/**
 * Prometheus metrics, with prom-client on a registry of our own (not the global one: tests start several servers in
 * one process, and each must count only its own traffic).
 *
 * Nothing else imports prom-client. Rooms report through a `RoomObserver`, the WebSocket route through
 * `ConnectionEvents`, HTTP auth through `authFailed`; gauges and storage counts are read when Prometheus scrapes.
 * Every label has a small, fixed set of values: close codes and message kinds are mapped to names here, so a client
 * cannot grow the number of series by sending odd codes or bytes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { CloseCode } from '../shared/close-codes.ts'
import type { AuthFailure } from './auth/tokens.ts'
import type { MessageKind } from './protocol/messages.ts'
import type { RoomObserver } from './room/observer.ts'
import type { StoreStats } from './storage/store.ts'
import type { ConnectionEvents } from './transport/collab-route.ts'

/** What the metrics read at scrape time. */
export interface MetricSources {
  /** Open WebSocket connections. */
  connections(): number
  /** Rooms in memory (loaded, loading or unloading). */
  rooms(): number
  /** The store's counts since it opened. */
  store(): StoreStats
}

/**
 * Latency buckets in seconds: a relay or a commit takes well under a millisecond in `os` mode and a few
 * milliseconds with an fsync; the upper buckets catch a slow disk.
 */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

const CODE_NAMES = new Map<number, string>([
  [1000, 'normal'],
  [1001, 'goingAway'],
  [1005, 'noStatus'],
  [1006, 'abnormal'],
  ...Object.entries(CloseCode).map(([name, code]) => [code, name] as [number, string]),
])

/** A close code as a label value: known codes by name, anything else (a client may send any 3000–4999) as `other`. */
export function closeCodeLabel(code: number): string {
  return CODE_NAMES.get(code) ?? 'other'
}

/** A counter that mirrors a running total kept elsewhere (the storage worker's counts), read at scrape time. */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  let last = 0
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read()
      if (now > last) this.inc(now - last)
      last = Math.max(last, now)
    },
  })
}

/** One message type's traffic in one direction, and how much of it prom-client has been given. */
interface Tally {
  count: number
  bytes: number
  reported: { count: number; bytes: number }
}

type Tallies = Record<'in' | 'out', Partial<Record<MessageKind, Tally>>>

/** A counter by direction and type that takes what the tallies counted since the last scrape. */
function tallyCounter(
  registers: Registry[],
  name: string,
  help: string,
  tallies: () => Tallies,
  field: 'count' | 'bytes',
): Counter<'direction' | 'type'> {
  return new Counter({
    name,
    help,
    labelNames: ['direction', 'type'],
    registers,
    collect() {
      for (const [direction, kinds] of Object.entries(tallies())) {
        for (const [kind, t] of Object.entries(kinds)) {
          if (t[field] > t.reported[field]) this.labels(direction, kind).inc(t[field] - t.reported[field])
          t.reported[field] = t[field]
        }
      }
    },
  })
}

export class Metrics {
  readonly registry = new Registry()
  private readonly messages: Counter<'direction' | 'type'>
  private readonly bytes: Counter<'direction' | 'type'>
  private readonly opened: Counter
  private readonly closed: Counter<'code'>
  private readonly refused: Counter<'reason'>
  private readonly rejected: Counter<'code'>
  private readonly authFailures: Counter<'transport' | 'reason'>
  private readonly storageErrors: Counter
  private readonly relayLatency: Histogram
  private readonly commitLatency: Histogram

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    new Gauge({
      name: 'inkwell_connections_open',
      help: 'Open WebSocket connections.',
      registers,
      collect() {
        this.set(sources.connections())
      },
    })
    new Gauge({
      name: 'inkwell_rooms_loaded',
      help: 'Documents held in memory (loaded, loading or unloading).',
      registers,
      collect() {
        this.set(sources.rooms())
      },
    })
    this.opened = new Counter({ name: 'inkwell_connections_opened_total', help: 'WebSocket connections accepted.', registers })
    this.closed = new Counter({
      name: 'inkwell_connections_closed_total',
      help: 'WebSocket connections closed, by close code (named as in shared/close-codes.ts).',
      labelNames: ['code'],
      registers,
    })
    this.refused = new Counter({
      name: 'inkwell_connections_refused_total',
      help: 'WebSocket connections refused for a limit (MAX_CONNECTIONS, MAX_ROOMS) or unavailable storage.',
      labelNames: ['reason'],
      registers,
    })
    const tallies = () => this.tally
    this.messages = tallyCounter(
      registers,
      'inkwell_messages_total',
      'WebSocket messages, by direction (in, out) and y-websocket message type.',
      tallies,
      'count',
    )
    this.bytes = tallyCounter(
      registers,
      'inkwell_message_bytes_total',
      'WebSocket message bytes, by direction (in, out) and y-websocket message type.',
      tallies,
      'bytes',
    )
    this.relayLatency = new Histogram({
      name: 'inkwell_relay_latency_seconds',
      help: 'From applying an update to relaying it to the other clients, its durable write included.',
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.commitLatency = new Histogram({
      name: 'inkwell_storage_commit_latency_seconds',
      help: 'From posting an append to storage until it is durable (includes waiting for the group commit).',
      buckets: LATENCY_BUCKETS,
      registers,
    })
    mirroredCounter(
      this.registry,
      'inkwell_storage_commits_total',
      'Storage transactions that committed appends: one fsync each with DURABILITY=fsync.',
      () => sources.store().commits,
    )
    mirroredCounter(this.registry, 'inkwell_compactions_total', 'Update logs compacted into one snapshot.', () => sources.store().compactions)
    mirroredCounter(
      this.registry,
      'inkwell_quarantined_records_total',
      'Stored records set aside because they failed their checksum, did not apply or did not integrate.',
      () => sources.store().quarantined,
    )
    this.storageErrors = new Counter({
      name: 'inkwell_storage_errors_total',
      help: 'Storage writes or loads that failed (the room closed its connections with 1011).',
      registers,
    })
    this.rejected = new Counter({
      name: 'inkwell_rejected_frames_total',
      help: 'Connections closed for bad input, by close code: protocolError, unsupportedData, policyViolation, messageTooBig.',
      labelNames: ['code'],
      registers,
    })
    this.authFailures = new Counter({
      name: 'inkwell_auth_failures_total',
      help: 'Requests refused by auth, by transport (ws, http) and reason (missing, invalid, expired, forbidden, origin).',
      labelNames: ['transport', 'reason'],
      registers,
    })
  }

  /** For the room registry. */
  readonly rooms: RoomObserver = {
    relayed: (ms) => this.relayLatency.observe(ms / 1000),
    stored: (ms) => this.commitLatency.observe(ms / 1000),
    rejected: (code) => this.rejected.inc({ code: closeCodeLabel(code) }),
    storageFailed: () => this.storageErrors.inc(),
  }

  /**
   * Messages and bytes by direction and type, counted in plain numbers and handed to prom-client at scrape time:
   * every frame in and out is counted, and prom-client builds a label hash string on every `inc`, which cost ~5% of
   * the relay loop's time.
   */
  private tally: Tallies = { in: {}, out: {} }

  /** For the WebSocket route. */
  readonly connections: ConnectionEvents = {
    opened: () => this.opened.inc(),
    closed: (_room, code) => this.closed.inc({ code: closeCodeLabel(code) }),
    message: (direction, kind: MessageKind, bytes) => {
      const t = (this.tally[direction][kind] ??= { count: 0, bytes: 0, reported: { count: 0, bytes: 0 } })
      t.count++
      t.bytes += bytes
    },
    refused: (reason) => this.refused.inc({ reason }),
    authFailed: (reason) => this.authFailed('ws', reason),
    rejected: (code) => this.rejected.inc({ code: closeCodeLabel(code) }),
  }

  authFailed(transport: 'ws' | 'http', reason: AuthFailure): void {
    this.authFailures.inc({ transport, reason })
  }

  /** The exposition text for `GET /metrics`. */
  scrape(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
