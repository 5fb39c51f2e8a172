/**
 * 1. Typing latency: one room, 20 clients, each inserting one character every 200 ms. Relay latency from the
 * writer's send to each other client's receipt, server CPU per delivered update, peak RSS.
 */
import { FLOOR } from '../servers/index.ts'
import type { Scenario } from './types.ts'
import { mib, withServer } from './with-server.ts'

export const typing: Scenario = {
  id: 'typing',
  title: 'Typing latency',
  describe: (m) =>
    `1 room × ${m.typing.clients} clients, one keystroke every ${1000 / m.typing.rate} ms each; ` +
    `${m.typing.measureMs / 1000} s measured after ${m.typing.warmupMs / 1000} s warm-up; median of ${m.typing.repeats} runs`,
  floor: FLOOR,
  repeats: (m) => m.typing.repeats,
  columns: [
    { key: 'p50', label: 'p50 ms', digits: 2, better: 'lower' },
    { key: 'p95', label: 'p95 ms', digits: 2, better: 'lower' },
    { key: 'p99', label: 'p99 ms', digits: 2, better: 'lower' },
    { key: 'max', label: 'max ms', digits: 1, better: 'lower' },
    { key: 'cpuPerDelivery', label: 'CPU µs/deliv', digits: 1, better: 'lower' },
    { key: 'deliveredPerSec', label: 'deliv/s', digits: 0, better: 'higher' },
    { key: 'serverCores', label: 'server cores', digits: 3, better: 'lower' },
    { key: 'genCores', label: 'gen cores', digits: 3, better: 'lower', ratio: false },
    { key: 'peakRss', label: 'peak RSS MiB', digits: 1, better: 'lower' },
    { key: 'eventLoopP99', label: 'ev-loop p99 ms', digits: 2, better: 'lower', ratio: false },
    { key: 'lost', label: 'lost', digits: 0, better: 'lower', ratio: false },
  ],
  async runOnce(ctx, spec) {
    const m = ctx.mode.typing
    return withServer(ctx, spec, async (server) => {
      const r = await ctx.agent.run('keystrokes', {
        protocol: spec.protocol,
        url: server.wsUrl,
        serverPid: server.pid,
        metricsUrl: server.metricsUrl,
        roomPrefix: 'typing',
        rooms: 1,
        perRoom: m.clients,
        rates: [m.rate],
        warmupMs: m.warmupMs,
        measureMs: m.measureMs,
        drainMs: 3000,
        seed: 5,
      })
      const s = r.steps[0]
      return [
        {
          server: spec.name,
          case: '',
          values: {
            p50: s.latency.p50,
            p95: s.latency.p95,
            p99: s.latency.p99,
            max: s.latency.max,
            cpuPerDelivery: s.serverCpuUsPerDelivery,
            deliveredPerSec: s.deliveredPerSec,
            serverCores: s.serverCores,
            genCores: s.genCores,
            peakRss: mib(r.peakRssKb),
            eventLoopP99: s.eventLoopP99Ms,
            lost: s.lost,
          },
        },
      ]
    })
  },
  notes: (rows) =>
    rows.some((r) => r.values.eventLoopP99 !== null)
      ? []
      : ['ev-loop p99: n/a — no server exposes its event-loop delay yet (Inkwell will, via GET /metrics).'],
}
