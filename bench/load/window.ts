/**
 * A measurement window over one server process, taken from inside the load generator so that it lines up exactly
 * with the traffic it measures: the server's CPU time (all threads, from /proc), the generator's own CPU time, and
 * the server's event-loop delay p99 when the server exposes prom-client's default metrics at /metrics.
 */
import { cpuUs, rssKb } from '../proc.ts'

export interface WindowResult {
  wallMs: number
  serverCpuUs: number
  /** CPU the generator (this whole process, every thread) used. */
  genCpuUs: number
  /** null when the server exposes no event-loop metric. */
  eventLoopP99Ms: number | null
}

/**
 * prom-client resets its event-loop histogram on every scrape, so a scrape at the start of the window clears it and
 * one at the end reads the p99 of the window alone.
 *
 * Node's `monitorEventLoopDelay` records the interval between the ticks of a timer that fires every `resolution` ms
 * (prom-client's default: 10), not the delay past it: an idle loop reads ~10.1 ms. The figure reported is the delay,
 * the p99 less that period.
 */
const EVENT_LOOP_SAMPLING_MS = 10

async function scrapeEventLoopP99(metricsUrl: string | null): Promise<number | null> {
  if (!metricsUrl) return null
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })
    if (!res.ok) return null
    const m = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([0-9.e+-]+)/m.exec(await res.text())
    return m ? Math.max(0, Number(m[1]) * 1000 - EVENT_LOOP_SAMPLING_MS) : null
  } catch {
    return null
  }
}

export class Window {
  private t0 = 0
  private server0 = 0
  private gen0 = 0

  constructor(
    private serverPid: number,
    private metricsUrl: string | null,
  ) {}

  async start(): Promise<void> {
    await scrapeEventLoopP99(this.metricsUrl)
    this.t0 = performance.now()
    this.server0 = cpuUs(this.serverPid)
    this.gen0 = cpuUs('self')
  }

  async stop(): Promise<WindowResult> {
    const wallMs = performance.now() - this.t0
    const serverCpuUs = cpuUs(this.serverPid) - this.server0
    const genCpuUs = cpuUs('self') - this.gen0
    const eventLoopP99Ms = await scrapeEventLoopP99(this.metricsUrl)
    return { wallMs, serverCpuUs, genCpuUs, eventLoopP99Ms }
  }
}

/** Samples the server's resident memory every `everyMs` and keeps the peak, for the whole of a job. */
export class RssSampler {
  private timer: NodeJS.Timeout
  peakKb = 0

  constructor(
    private pid: number,
    everyMs = 100,
  ) {
    this.sample()
    this.timer = setInterval(() => this.sample(), everyMs)
  }

  private sample(): void {
    try {
      this.peakKb = Math.max(this.peakKb, rssKb(this.pid))
    } catch {
      // The server exited; the job will report that itself.
    }
  }

  stop(): number {
    clearInterval(this.timer)
    this.sample()
    return this.peakKb
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
