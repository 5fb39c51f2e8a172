/**
 * 3. Idle connections: synced clients that then do nothing, spread over rooms. Server memory per connection (RSS
 * growth ÷ clients, rooms included) and the time to connect and sync them all.
 */
import { FLOOR } from '../servers/index.ts'
import type { Scenario } from './types.ts'
import { mib, withServer } from './with-server.ts'

/** Clients that connect, sync and leave before the baseline is read (see load/idle.ts). */
const WARMUP = 100

export const idle: Scenario = {
  id: 'idle',
  title: 'Idle connections',
  describe: (m) =>
    `${m.idle.rooms * m.idle.perRoom} synced idle clients over ${m.idle.rooms} rooms` +
    (m.name === 'quick' ? ' (quick mode; full mode: 2,000 over 100)' : '') +
    `, at most 100 handshakes in flight; median of ${m.idle.repeats} runs`,
  floor: FLOOR,
  repeats: (m) => m.idle.repeats,
  columns: [
    { key: 'kibPerConnection', label: 'KiB/conn', digits: 1, better: 'lower' },
    { key: 'kibFromCold', label: 'KiB/conn cold', digits: 1, better: 'lower' },
    { key: 'syncAllMs', label: 'sync all ms', digits: 0, better: 'lower' },
    { key: 'cpuPerConnection', label: 'CPU µs/conn', digits: 0, better: 'lower' },
    { key: 'rssAfter', label: 'RSS MiB', digits: 1, better: 'lower' },
    { key: 'genCores', label: 'gen cores', digits: 3, better: 'lower', ratio: false },
  ],
  notes: () => [
    'KiB/conn: server RSS growth ÷ clients, rooms included, read 5 times over 0.5 s after the settle time, from a server',
    `that has served ${WARMUP} clients before (they connected, synced and left). KiB/conn cold: the same growth from the freshly`,
    'started process, which also holds one-off costs (code compiled on first use, heaps and pools sized in steps).',
  ],
  async runOnce(ctx, spec) {
    const m = ctx.mode.idle
    return withServer(ctx, spec, async (server) => {
      const r = await ctx.agent.run('idle', {
        protocol: spec.protocol,
        url: server.wsUrl,
        serverPid: server.pid,
        roomPrefix: 'idle',
        rooms: m.rooms,
        perRoom: m.perRoom,
        concurrency: 100,
        settleMs: m.settleMs,
        warmupClients: WARMUP,
      })
      return [
        {
          server: spec.name,
          case: '',
          values: {
            kibPerConnection: r.kibPerConnection,
            kibFromCold: r.kibFromCold,
            syncAllMs: r.syncAllMs,
            cpuPerConnection: r.serverCpuUsPerConnection,
            rssAfter: mib(r.rssAfterKb),
            genCores: r.genCores,
          },
        },
      ]
    })
  },
}
