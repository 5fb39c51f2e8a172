/**
 * 5. Replay: one client replays the editing trace in batches of 100 edits (one transaction each) as fast as its
 * socket drains; an observer in another thread waits for the final text. End-to-end edits per second.
 */
import { FLOOR } from '../servers/index.ts'
import type { Scenario } from './types.ts'
import { mib, withServer } from './with-server.ts'

export const replay: Scenario = {
  id: 'replay',
  title: 'Replay',
  describe: (m) =>
    `${m.replay.edits > 0 ? `the first ${m.replay.edits} edits` : 'all 259,778 edits'} of the automerge-paper trace in ` +
    `batches of ${m.replay.batch}, writer and observer on separate threads of the generator; median of ${m.replay.repeats} runs`,
  floor: FLOOR,
  repeats: (m) => m.replay.repeats,
  columns: [
    { key: 'editsPerSec', label: 'edits/s', digits: 0, better: 'higher' },
    { key: 'ms', label: 'total ms', digits: 0, better: 'lower' },
    { key: 'cpuPerEdit', label: 'CPU µs/edit', digits: 2, better: 'lower' },
    { key: 'serverCores', label: 'server cores', digits: 3, better: 'lower' },
    { key: 'genCores', label: 'gen cores', digits: 3, better: 'lower', ratio: false },
    { key: 'peakRss', label: 'peak RSS MiB', digits: 1, better: 'lower' },
    { key: 'eventLoopP99', label: 'ev-loop p99 ms', digits: 2, better: 'lower', ratio: false },
  ],
  async runOnce(ctx, spec) {
    const m = ctx.mode.replay
    return withServer(ctx, spec, async (server) => {
      const r = await ctx.agent.run('replay', {
        protocol: spec.protocol,
        url: server.wsUrl,
        serverPid: server.pid,
        metricsUrl: server.metricsUrl,
        room: 'replay',
        tracePath: ctx.tracePath,
        batch: m.batch,
        edits: m.edits,
        timeoutMs: 120_000,
      })
      return [
        {
          server: spec.name,
          case: '',
          values: {
            editsPerSec: r.editsPerSec,
            ms: r.ms,
            cpuPerEdit: r.serverCpuUsPerEdit,
            serverCores: r.serverCores,
            genCores: r.genCores,
            peakRss: mib(r.peakRssKb),
            eventLoopP99: r.eventLoopP99Ms,
          },
        },
      ]
    })
  },
}
