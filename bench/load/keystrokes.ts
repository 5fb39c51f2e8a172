/**
 * Keystroke load, shared by the typing and fan-out scenarios: `rooms × perRoom` clients, each inserting one
 * character at a steady rate, at one or more rates in turn.
 *
 * Relay latency is measured from the writer's send to each other client's receipt. All clients live in this one
 * thread, so they share a clock: every keystroke also sets the Y.Map key `<writer>` to the keystroke's sequence
 * number in the same transaction, and a receiver looks up when that writer sent that number.
 */
import * as Y from 'yjs'
import { connect, connectMany, type Client, type Protocol } from './clients.ts'
import { RssSampler, Window, sleep } from './window.ts'
import { latency, rng, type Latency } from '../stats.ts'
import { paragraphText, textNode } from '../trace.ts'

export interface KeystrokeParams {
  protocol: Protocol
  url: string
  serverPid: number
  metricsUrl: string | null
  roomPrefix: string
  rooms: number
  perRoom: number
  /** Keystrokes per second per client, one step each, in this order. */
  rates: number[]
  warmupMs: number
  measureMs: number
  /** At most this long after a step to wait for its last deliveries. */
  drainMs: number
  seed: number
}

export interface StepResult {
  rate: number
  clients: number
  sentPerSec: number
  deliveredPerSec: number
  /** What the clients would receive per second if every keystroke sent were delivered. */
  expectedPerSec: number
  latency: Latency
  /** Deliveries of keystrokes sent in the window that never arrived within the drain time. */
  lost: number
  serverCpuUsPerDelivery: number
  /** Server CPU as cores busy (1 = one core all the time). */
  serverCores: number
  genCores: number
  eventLoopP99Ms: number | null
}

export interface KeystrokeResult {
  connectMs: number
  peakRssKb: number
  steps: StepResult[]
}

interface Bot {
  client: Client
  name: string
  text: Y.XmlText | null
  meta: Y.Map<number>
  seq: number
  /** Send time of each sequence number. */
  sentAt: number[]
  timer: NodeJS.Timeout | null
}

/** Bounds the wait for every client to connect and sync. */
const CONNECT_TIMEOUT_MS = 60_000

export async function runKeystrokes(p: KeystrokeParams): Promise<KeystrokeResult> {
  const rss = new RssSampler(p.serverPid)
  const total = p.rooms * p.perRoom
  const started = performance.now()
  const clients = await connectMany(
    total,
    50,
    (i) => connect(p.protocol, p.url, `${p.roomPrefix}-${Math.floor(i / p.perRoom)}`),
    CONNECT_TIMEOUT_MS,
  )
  const connectMs = performance.now() - started
  const bots: Bot[] = clients.map((client, i) => ({
    client,
    name: `w${i}`,
    text: null,
    meta: client.doc.getMap<number>('bench'),
    seq: 0,
    sentAt: [],
    timer: null,
  }))

  try {
    // One client per room creates the paragraph; the others receive it through the server (every client is
    // connected already, so even the raw relay delivers it).
    for (let r = 0; r < p.rooms; r++) bots[r * p.perRoom].client.doc.transact(() => textNode(bots[r * p.perRoom].client.doc))
    const deadline = performance.now() + 10_000
    while (bots.some((b) => paragraphText(b.client.doc) === null)) {
      if (performance.now() > deadline) throw new Error('timed out after 10000 ms: every client to receive its room paragraph')
      await sleep(5)
    }
    for (const b of bots) b.text = textNode(b.client.doc)

    // Recording state, shared by every receiver.
    let from = Infinity
    let to = -Infinity
    let samples: number[] = []
    let delivered = 0
    let deliveredOfWindowSends = 0
    for (const b of bots) {
      b.meta.observe((e) => {
        if (e.transaction.local) return
        const now = performance.now()
        for (const key of e.keysChanged) {
          const writer = bots[Number(key.slice(1))]
          const sent = writer?.sentAt[b.meta.get(key) as number]
          if (sent === undefined) continue
          if (sent >= from && sent <= to) {
            samples.push(now - sent)
            deliveredOfWindowSends++
          }
          if (now >= from && now <= to) delivered++
        }
      })
    }

    const random = rng(p.seed)
    const keystroke = (b: Bot) => {
      const text = b.text!
      const pos = Math.floor(random() * (text.length + 1))
      const ch = String.fromCharCode(97 + Math.floor(random() * 26))
      const seq = b.seq++
      b.sentAt[seq] = performance.now()
      b.client.doc.transact(() => {
        text.insert(pos, ch)
        b.meta.set(b.name, seq)
      })
    }

    const steps: StepResult[] = []
    for (const rate of p.rates) {
      // Every client fires every `interval` ms, phases spread evenly so the load is steady, not a burst per tick.
      const interval = 1000 / rate
      const origin = performance.now() + 10
      let sending = true
      bots.forEach((b, j) => {
        let due = origin + (j / bots.length) * interval
        const tick = () => {
          if (!sending) return
          keystroke(b)
          due += interval
          b.timer = setTimeout(tick, Math.max(0, due - performance.now()))
        }
        b.timer = setTimeout(tick, Math.max(0, due - performance.now()))
      })
      await sleep(p.warmupMs)

      samples = []
      delivered = 0
      deliveredOfWindowSends = 0
      const seq0 = bots.map((b) => b.seq)
      const window = new Window(p.serverPid, p.metricsUrl)
      await window.start()
      from = performance.now()
      to = Infinity
      await sleep(p.measureMs)
      to = performance.now()
      const w = await window.stop()
      const sent = bots.reduce((n, b, j) => n + countSentBetween(b, seq0[j], from, to), 0)
      sending = false
      for (const b of bots) if (b.timer) clearTimeout(b.timer)
      const expected = sent * (p.perRoom - 1)
      const drainUntil = performance.now() + p.drainMs
      while (deliveredOfWindowSends < expected && performance.now() < drainUntil) await sleep(10)
      // Let the receivers settle before the next step starts.
      await sleep(100)

      steps.push({
        rate,
        clients: total,
        sentPerSec: (sent * 1000) / w.wallMs,
        deliveredPerSec: (delivered * 1000) / w.wallMs,
        expectedPerSec: (expected * 1000) / w.wallMs,
        latency: latency(samples),
        lost: expected - deliveredOfWindowSends,
        serverCpuUsPerDelivery: delivered > 0 ? w.serverCpuUs / delivered : NaN,
        serverCores: w.serverCpuUs / 1000 / w.wallMs,
        genCores: w.genCpuUs / 1000 / w.wallMs,
        eventLoopP99Ms: w.eventLoopP99Ms,
      })
      from = Infinity
      to = -Infinity
    }
    return { connectMs, peakRssKb: rss.stop(), steps }
  } finally {
    rss.stop()
    for (const b of bots) {
      if (b.timer) clearTimeout(b.timer)
      b.client.destroy()
    }
  }
}

function countSentBetween(b: Bot, fromSeq: number, from: number, to: number): number {
  let n = 0
  for (let s = fromSeq; s < b.seq; s++) if (b.sentAt[s] >= from && b.sentAt[s] <= to) n++
  return n
}
