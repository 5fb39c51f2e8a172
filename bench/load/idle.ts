/**
 * Idle connections: connect `rooms × perRoom` clients (round-robin over the rooms), wait until every one has
 * synced, let the server settle, and read how much its resident memory grew per connection.
 *
 * Before that, `warmupClients` clients connect, sync and leave (in rooms of their own), and the server settles: the
 * growth is then read from a server that has served connections before, as every server in use has. A fresh process
 * compiles its connection and sync code on first use and sizes its heaps and allocator pools in steps: one-off costs
 * of 3–7 MiB here, which would add 1.5–3.5 KiB to each of 2,000 connections. The growth from the cold start is
 * reported too (`kibFromCold`). (A marginal figure, the growth over a second batch of 2,000, was tried and dropped:
 * heap steps made it swing from 0 to 2× between repeats.)
 */
import { connect, connectMany, type Protocol } from './clients.ts'
import { Window, sleep } from './window.ts'
import { rssKb } from '../proc.ts'
import { median } from '../stats.ts'

export interface IdleParams {
  protocol: Protocol
  url: string
  serverPid: number
  roomPrefix: string
  rooms: number
  perRoom: number
  /** Handshakes in flight at once. */
  concurrency: number
  /** Quiet time after the last sync before memory is read (lets allocation settle, and a GC run). */
  settleMs: number
  /** Clients that connect, sync and leave before the baseline is read. */
  warmupClients: number
}

export interface IdleResult {
  clients: number
  syncAllMs: number
  rssBeforeKb: number
  rssAfterKb: number
  kibPerConnection: number
  /** The growth from the server's cold start (before the warm-up), per connection. */
  kibFromCold: number
  /** Server CPU spent connecting and syncing, per connection. */
  serverCpuUsPerConnection: number
  genCores: number
}

async function steadyRss(pid: number): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < 5; i++) {
    samples.push(rssKb(pid))
    await sleep(100)
  }
  return median(samples)
}

export async function runIdle(p: IdleParams): Promise<IdleResult> {
  const total = p.rooms * p.perRoom
  const rssColdKb = await steadyRss(p.serverPid)
  if (p.warmupClients > 0) {
    const warm = await connectMany(
      p.warmupClients,
      p.concurrency,
      (i) => connect(p.protocol, p.url, `${p.roomPrefix}-warmup-${i % 5}`),
      60_000,
    )
    for (const c of warm) c.destroy()
    await sleep(p.settleMs)
  }
  const rssBeforeKb = await steadyRss(p.serverPid)
  const window = new Window(p.serverPid, null)
  await window.start()
  const clients = await connectMany(
    total,
    p.concurrency,
    (i) => connect(p.protocol, p.url, `${p.roomPrefix}-${i % p.rooms}`),
    120_000,
  )
  const w = await window.stop()
  try {
    await sleep(p.settleMs)
    const rssAfterKb = await steadyRss(p.serverPid)
    return {
      clients: total,
      syncAllMs: w.wallMs,
      rssBeforeKb,
      rssAfterKb,
      kibPerConnection: (rssAfterKb - rssBeforeKb) / total,
      kibFromCold: (rssAfterKb - rssColdKb) / total,
      serverCpuUsPerConnection: w.serverCpuUs / total,
      genCores: w.genCpuUs / 1000 / w.wallMs,
    }
  } finally {
    for (const c of clients) c.destroy()
  }
}
