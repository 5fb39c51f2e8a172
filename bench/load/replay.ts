/**
 * Replay: one client replays the trace in batches (one transaction per batch) as fast as its socket drains; an
 * observer in another thread waits for the final text. The figure is end-to-end edits per second.
 */
import { Worker } from 'node:worker_threads'
import * as Y from 'yjs'
import { applyEdits, loadTrace, textNode } from '../trace.ts'
import { connect, within, type Protocol } from './clients.ts'
import { RssSampler, Window, sleep } from './window.ts'

export interface ReplayParams {
  protocol: Protocol
  url: string
  serverPid: number
  metricsUrl: string | null
  room: string
  tracePath: string
  batch: number
  /** Replay only the first `edits` edits (all when 0). */
  edits: number
  timeoutMs: number
}

export interface ReplayResult {
  edits: number
  ms: number
  editsPerSec: number
  /** Time the writer took to apply and hand every batch to its socket. */
  sendMs: number
  serverCores: number
  serverCpuUsPerEdit: number
  genCores: number
  peakRssKb: number
  eventLoopP99Ms: number | null
}

/** Past this many unsent bytes the writer waits for its socket (a real client cannot out-type its network). */
const MAX_BUFFERED = 1 << 20

const now = () => performance.timeOrigin + performance.now()

export async function runReplay(p: ReplayParams): Promise<ReplayResult> {
  const trace = loadTrace(p.tracePath)
  const count = p.edits > 0 ? Math.min(p.edits, trace.edits.length) : trace.edits.length
  const doc = new Y.Doc()
  // The observer checks the text the writer will end with, which for a prefix of the trace is computed here.
  const expected = new Y.Doc()
  expected.transact(() => applyEdits(textNode(expected), trace.edits, 0, count))
  const finalText = textNode(expected).toString()
  expected.destroy()

  const observer = new Worker(new URL('./boot.mjs', import.meta.url), {
    workerData: { entry: new URL('./observer.ts', import.meta.url).href, protocol: p.protocol, url: p.url, room: p.room, finalText },
  })
  const messages: { kind: string; at?: number; ok?: boolean }[] = []
  let wake: (() => void) | null = null
  observer.on('message', (m) => {
    messages.push(m)
    wake?.()
  })
  observer.on('error', (err) => messages.push({ kind: `error: ${err.message}` }))
  const waitFor = (kind: string, ms: number) =>
    within(
      (async () => {
        for (;;) {
          const m = messages.find((x) => x.kind === kind || x.kind.startsWith('error'))
          if (m?.kind.startsWith('error')) throw new Error(`observer ${m.kind}`)
          if (m) return m
          await new Promise<void>((r) => (wake = r))
        }
      })(),
      ms,
      `the observer to report ${kind}`,
    )

  const rss = new RssSampler(p.serverPid)
  const writer = connect(p.protocol, p.url, p.room, doc)
  try {
    await within(writer.synced, 30_000, 'the writer to sync')
    await waitFor('synced', 30_000)
    doc.transact(() => textNode(doc))
    await waitFor('ready', 30_000)
    const text = textNode(doc)
    const meta = doc.getMap<number>('bench')

    const window = new Window(p.serverPid, p.metricsUrl)
    await window.start()
    const t0 = now()
    for (let from = 0, n = 0; from < count; from += p.batch, n++) {
      const to = Math.min(count, from + p.batch)
      doc.transact(() => {
        applyEdits(text, trace.edits, from, to)
        if (to === count) meta.set('done', n)
      })
      // Yield now and then so the socket writes and the client reads what the server sends back.
      if (writer.bufferedAmount() > MAX_BUFFERED) while (writer.bufferedAmount() > MAX_BUFFERED / 2) await sleep(1)
      else if (n % 20 === 19) await new Promise((r) => setImmediate(r))
    }
    const sendMs = now() - t0
    const done = await waitFor('done', p.timeoutMs)
    const w = await window.stop()
    if (!done.ok) throw new Error("the observer's text differs from the trace's after the final batch")
    const ms = done.at! - t0
    return {
      edits: count,
      ms,
      editsPerSec: (count * 1000) / ms,
      sendMs,
      serverCores: w.serverCpuUs / 1000 / w.wallMs,
      serverCpuUsPerEdit: w.serverCpuUs / count,
      genCores: w.genCpuUs / 1000 / w.wallMs,
      peakRssKb: rss.stop(),
      eventLoopP99Ms: w.eventLoopP99Ms,
    }
  } finally {
    rss.stop()
    writer.destroy()
    observer.postMessage({ kind: 'close' })
    await Promise.race([new Promise((r) => observer.once('exit', r)), sleep(2000)])
    await observer.terminate()
  }
}
