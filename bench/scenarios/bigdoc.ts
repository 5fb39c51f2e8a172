/**
 * 4. Big document: the document built from the editing trace, uploaded by one client, stored, the server stopped
 * with SIGTERM and started again on the same data directory; then a fresh client's time from connect to synced with
 * the right text (cold: the first open after the restart; warm: a second client right after), the server's memory
 * with the document loaded, and bytes on disk ÷ `Y.encodeStateAsUpdate` size.
 *
 * The floor is not a server: it is `Y.applyUpdate` of the same bytes into a fresh doc (plus reading its text), cold
 * in a fresh process (what a just-restarted server faces) and warm in a process that has done it before.
 */
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { rssKb } from '../proc.ts'
import { ROOT, tsEntry } from '../servers/spawn.ts'
import type { RunningServer } from '../servers/index.ts'
import type { Context, Row, Scenario } from './types.ts'
import { dataDir, mib } from './with-server.ts'
import { sleep } from '../load/window.ts'
import { loadTrace } from '../trace.ts'

export const APPLY_FLOOR = 'Y.applyUpdate'
const ROOM = 'bigdoc'

let prepared: { stateBytes: number; stateFile: string; textLength: number } | null = null

function coldFloorMs(): number {
  const p = prepared!
  const run = spawnSync(
    process.execPath,
    [...tsEntry(join(ROOT, 'bench/load/floor-cold.ts')), p.stateFile, String(p.textLength)],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  )
  if (run.status !== 0) throw new Error(`the cold applyUpdate floor failed: ${run.stderr}`)
  return (JSON.parse(run.stdout) as { ms: number }).ms
}

async function open(ctx: Context, server: RunningServer): Promise<number> {
  const r = await ctx.agent.run('open', { protocol: server.spec.protocol, url: server.wsUrl, room: ROOM, timeoutMs: 60_000 })
  return r.ms
}

export const bigdoc: Scenario = {
  id: 'bigdoc',
  title: 'Big document',
  describe: (m) =>
    `the automerge-paper trace (259,778 edits, one transaction each) as one y-prosemirror paragraph` +
    (prepared ? `, ${(prepared.stateBytes / 1024).toFixed(0)} KiB as Y.encodeStateAsUpdate` : '') +
    `; uploaded, stored, SIGTERM, restart; median of ${m.bigdoc.repeats} runs`,
  floor: APPLY_FLOOR,
  repeats: (m) => m.bigdoc.repeats,
  columns: [
    { key: 'coldMs', label: 'cold open ms', digits: 1, better: 'lower' },
    { key: 'warmMs', label: 'warm open ms', digits: 1, better: 'lower' },
    { key: 'rssLoaded', label: 'RSS loaded MiB', digits: 1, better: 'lower', ratio: false },
    { key: 'rssGrowth', label: 'RSS growth MiB', digits: 1, better: 'lower', ratio: false },
    { key: 'diskKiB', label: 'disk KiB', digits: 0, better: 'lower', ratio: false },
    { key: 'diskRatio', label: 'disk ÷ state', digits: 3, better: 'lower', ratio: false },
  ],
  async prepare(ctx) {
    const r = await ctx.agent.run('traceState', { tracePath: ctx.tracePath, cacheDir: ctx.tmpDir })
    prepared = { stateBytes: r.stateBytes, stateFile: r.stateFile, textLength: loadTrace(ctx.tracePath).finalText.length }
  },
  async floorRows(ctx) {
    const coldMs = coldFloorMs()
    const { warmMs } = await ctx.agent.run('applyFloor', { repeats: ctx.mode.bigdoc.floorRepeats })
    const values = { coldMs, warmMs, rssLoaded: null, rssGrowth: null, diskKiB: null, diskRatio: null }
    return [{ server: APPLY_FLOOR, case: '', values }]
  },
  skip: (spec) => (spec.servesContent ? null : 'n/a: keeps no document, so a newcomer cannot load one'),
  async runOnce(ctx, spec) {
    const dir = dataDir(ctx, spec)
    let server: RunningServer | null = null
    try {
      server = await spec.start(dir)
      const { handle } = await ctx.agent.run('upload', { protocol: spec.protocol, url: server.wsUrl, room: ROOM })
      await spec.waitStored!(server, ROOM, 30_000)
      await ctx.agent.run('release', { handle })
      let coldMs: number | null = null
      let diskKiB: number | null = null
      let diskRatio: number | null = null
      let rss0: number | null = null
      if (spec.persistent) {
        const code = await server.child.stop('SIGTERM')
        server = null
        if (code !== 0) throw new Error(`${spec.name} exited with ${code} on SIGTERM`)
        const bytes = spec.diskBytes!(dir)
        diskKiB = bytes / 1024
        diskRatio = bytes / prepared!.stateBytes
        server = await spec.start(dir)
        await sleep(300)
        rss0 = rssKb(server.pid)
        coldMs = await open(ctx, server)
      }
      const rssAfterCold = rssKb(server.pid)
      const warmMs = await open(ctx, server)
      const rssLoaded = Math.max(rssAfterCold, rssKb(server.pid))
      const row: Row = {
        server: spec.name,
        case: '',
        values: {
          coldMs,
          warmMs,
          rssLoaded: mib(rssLoaded),
          rssGrowth: rss0 === null ? null : mib(rssLoaded - rss0),
          diskKiB,
          diskRatio,
        },
      }
      return [row]
    } finally {
      await server?.child.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  },
  notes: () => [
    'cold: first client after a restart (the server loads the document from disk); ratio to applyUpdate in a fresh process.',
    'warm: a second fresh client right after; ratio to applyUpdate in a warm process. inkwell-memory keeps nothing across a',
    'restart, so it has no cold figure; Hocuspocus unloads a document when its last client leaves, so its warm open loads again.',
    'disk: the data files after SIGTERM (Inkwell compacts on shutdown and checkpoints its WAL).',
  ],
}
