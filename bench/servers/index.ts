/**
 * The servers the bench compares. Each runs as a child process on 127.0.0.1, port 0, with its own data directory,
 * and is started fresh for every measurement.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Protocol } from '../load/clients.ts'
import { SERVER_NODE_FLAGS } from '../../scripts/node-flags.ts'
import { ROOT, spawnChild, tsEntry, type Child } from './spawn.ts'

export interface RunningServer {
  spec: ServerSpec
  child: Child
  pid: number
  /** What a client connects to; the room name is appended (y-websocket) or sent in messages (Hocuspocus). */
  wsUrl: string
  /** Where prom-client metrics would be (event-loop delay), or null for servers that have none. */
  metricsUrl: string | null
  dataDir: string
}

export interface ServerSpec {
  name: string
  protocol: Protocol
  /** One line for the tables: what this server is. */
  about: string
  /** Documents survive a restart. */
  persistent: boolean
  /** A newcomer receives the document's content (the raw relay keeps none). */
  servesContent: boolean
  start(dataDir: string): Promise<RunningServer>
  /** Resolves once `room` is stored (bounded); only for persistent servers. */
  waitStored?(server: RunningServer, room: string, timeoutMs: number): Promise<void>
  /** Bytes the server keeps in `dataDir` for its documents (read after it stopped). */
  diskBytes?(dataDir: string): number
}

function fileBytes(...paths: string[]): number {
  return paths.reduce((n, p) => n + (existsSync(p) ? statSync(p).size : 0), 0)
}

async function poll(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * The bench drives clients far faster than a person types (the replay sends thousands of updates a second on one
 * connection). These lift Inkwell's per-connection rate limits so that a policy close never ends a measurement;
 * the cost of checking the limits is still measured. Unknown variables are ignored by servers that lack them.
 */
const INKWELL_BENCH_LIMITS = {
  MAX_MESSAGES_PER_SECOND: '1000000',
  MAX_MESSAGE_BURST: '10000000',
  MAX_CPU_MS_PER_SECOND: '1000',
  MAX_CPU_BURST_MS: '600000',
}

function inkwell(name: string, about: string, env: Record<string, string>): ServerSpec {
  return {
    name,
    protocol: 'y-websocket',
    about,
    persistent: env.STORAGE !== 'memory',
    servesContent: true,
    async start(dataDir) {
      // BENCH_PROFILE=<dir>: write a V8 CPU profile per thread there on exit (summarise with bench/profile.ts).
      // BENCH_NODE_FLAGS='--flag …': node flags added to the ones `npm start` uses, to A/B a flag.
      const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []
      const extra = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []
      const child = await spawnChild([...SERVER_NODE_FLAGS, ...extra, ...profile, join(ROOT, 'scripts/start.mjs'), '--dev'], {
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        LOG_JSON: '1',
        ...INKWELL_BENCH_LIMITS,
        ...env,
      })
      const base = `127.0.0.1:${child.port}`
      return {
        spec: this,
        child,
        pid: child.pid,
        wsUrl: `ws://${base}/collab`,
        metricsUrl: `http://${base}/metrics`,
        dataDir,
      }
    },
    async waitStored(server, room, timeoutMs) {
      // Inkwell stores before it relays, and its API reports stored records.
      await poll(`inkwell to store ${room}`, timeoutMs, async () => {
        const res = await fetch(`http://127.0.0.1:${server.child.port}/api/docs/${room}`)
        if (!res.ok) return false
        return ((await res.json()) as { records?: number }).records! > 0
      })
    },
    diskBytes: (dir) => fileBytes(join(dir, 'inkwell.db'), join(dir, 'inkwell.db-wal')),
  }
}

const HOCUSPOCUS_DB = 'hocuspocus.sqlite'

const hocuspocus: ServerSpec = {
  name: 'hocuspocus',
  protocol: 'hocuspocus',
  about: '@hocuspocus/server 3.4 + extension-sqlite (stores 2 s after a change, at least every 10 s)',
  persistent: true,
  servesContent: true,
  async start(dataDir) {
    const child = await spawnChild(tsEntry(join(ROOT, 'bench/servers/hocuspocus.ts')), {
      PORT: '0',
      DATABASE: join(dataDir, HOCUSPOCUS_DB),
    })
    return { spec: this, child, pid: child.pid, wsUrl: `ws://127.0.0.1:${child.port}`, metricsUrl: null, dataDir }
  },
  async waitStored(server, room, timeoutMs) {
    const file = join(server.dataDir, HOCUSPOCUS_DB)
    await poll(`hocuspocus to store ${room}`, timeoutMs, () => {
      if (!existsSync(file)) return false
      const db = new Database(file, { readonly: true, fileMustExist: true })
      try {
        return db.prepare('SELECT 1 FROM documents WHERE name = ?').get(room) !== undefined
      } catch {
        return false
      } finally {
        db.close()
      }
    })
  },
  diskBytes: (dir) => fileBytes(join(dir, HOCUSPOCUS_DB), join(dir, `${HOCUSPOCUS_DB}-journal`), join(dir, `${HOCUSPOCUS_DB}-wal`)),
}

const rawRelay: ServerSpec = {
  name: 'raw-relay',
  protocol: 'y-websocket',
  about: 'the floor: a `ws` server forwarding bytes to the other sockets of the same path, decoding nothing',
  persistent: false,
  servesContent: false,
  async start(dataDir) {
    const child = await spawnChild(tsEntry(join(ROOT, 'bench/servers/raw-relay.ts')), { PORT: '0' })
    return { spec: this, child, pid: child.pid, wsUrl: `ws://127.0.0.1:${child.port}`, metricsUrl: null, dataDir }
  },
}

/** In table order; the first is the floor every ratio is taken against. */
export const SERVERS: ServerSpec[] = [
  rawRelay,
  inkwell('inkwell-fsync', 'Inkwell, SQLite, fsync before relay (the default)', { STORAGE: 'sqlite', DURABILITY: 'fsync' }),
  inkwell('inkwell-os', 'Inkwell, SQLite, written before relay, flushing left to the OS', { STORAGE: 'sqlite', DURABILITY: 'os' }),
  inkwell('inkwell-memory', 'Inkwell with no storage (STORAGE=memory): the no-storage baseline', { STORAGE: 'memory' }),
  hocuspocus,
]

export const FLOOR = rawRelay.name
