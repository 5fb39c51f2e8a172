/**
 * 2. Fan-out: 20 rooms × 10 clients at rising keystroke rates. Delivered updates per second, p99, server CPU per
 * delivery, and the generator's CPU beside the server's, to show which one was the bottleneck.
 */
import { FLOOR } from '../servers/index.ts'
import type { Row, Scenario } from './types.ts'
import { mib, withServer } from './with-server.ts'

/** Past this share of a core the generator, not the server, may be what limits the rate. */
const GEN_BOUND = 0.85

export const fanout: Scenario = {
  id: 'fanout',
  title: 'Fan-out',
  describe: (m) =>
    `${m.fanout.rooms} rooms × ${m.fanout.perRoom} clients at ${m.fanout.rates.join(', ')} keystrokes/s per client; ` +
    `${m.fanout.measureMs / 1000} s measured per rate after ${m.fanout.warmupMs / 1000} s warm-up; median of ${m.fanout.repeats} runs`,
  floor: FLOOR,
  repeats: (m) => m.fanout.repeats,
  columns: [
    { key: 'sentPerSec', label: 'sent/s', digits: 0, better: 'higher' },
    { key: 'deliveredPerSec', label: 'deliv/s', digits: 0, better: 'higher' },
    { key: 'p50', label: 'p50 ms', digits: 2, better: 'lower' },
    { key: 'p99', label: 'p99 ms', digits: 2, better: 'lower' },
    { key: 'cpuPerDelivery', label: 'CPU µs/deliv', digits: 1, better: 'lower' },
    { key: 'serverCores', label: 'server cores', digits: 3, better: 'lower' },
    { key: 'genCores', label: 'gen cores', digits: 3, better: 'lower', ratio: false },
    { key: 'peakRss', label: 'peak RSS MiB', digits: 1, better: 'lower' },
    { key: 'lost', label: 'lost', digits: 0, better: 'lower', ratio: false },
  ],
  async runOnce(ctx, spec) {
    const m = ctx.mode.fanout
    return withServer(ctx, spec, async (server) => {
      const r = await ctx.agent.run('keystrokes', {
        protocol: spec.protocol,
        url: server.wsUrl,
        serverPid: server.pid,
        metricsUrl: server.metricsUrl,
        roomPrefix: 'fanout',
        rooms: m.rooms,
        perRoom: m.perRoom,
        rates: m.rates,
        warmupMs: m.warmupMs,
        measureMs: m.measureMs,
        drainMs: 3000,
        seed: 7,
      })
      return r.steps.map(
        (s): Row => ({
          server: spec.name,
          case: `${s.rate}/s`,
          values: {
            sentPerSec: s.sentPerSec,
            deliveredPerSec: s.deliveredPerSec,
            p50: s.latency.p50,
            p99: s.latency.p99,
            cpuPerDelivery: s.serverCpuUsPerDelivery,
            serverCores: s.serverCores,
            genCores: s.genCores,
            peakRss: mib(r.peakRssKb),
            lost: s.lost,
          },
        }),
      )
    })
  },
  notes(rows) {
    const bound = rows.filter((r) => (r.values.genCores ?? 0) > GEN_BOUND)
    return [
      'peak RSS is over the whole run (all rates). gen cores: CPU of the load generator (all clients, one process).',
      bound.length === 0
        ? `The generator stayed under ${GEN_BOUND} of a core at every rate: the server, not the generator, set the pace.`
        : `Generator-bound (> ${GEN_BOUND} core): ${bound.map((r) => `${r.server} at ${r.case}`).join(', ')}; ` +
          'the rates there measure the generator as much as the server.',
    ]
  },
}
