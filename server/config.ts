/**
 * Configuration from environment variables (and `--name=value` flags, which win), validated at start-up. A bad value
 * stops the server with one line that names the variable, the value and what is expected.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createSecureContext } from 'node:tls'
import type { Durability } from './storage/store.ts'
import { DEFAULT_LIMITS } from '../shared/limits.ts'

export interface Config {
  port: number
  host: string
  dataDir: string
  /** `sqlite` (the default, durable) or `memory` (nothing survives a restart: benchmarks' no-storage baseline). */
  storage: 'sqlite' | 'memory'
  durability: Durability
  logLevel: string
  /** Milliseconds a room with no connections stays loaded. */
  roomIdleMs: number
  /** Compact a room's log past this many records... */
  compactRecords: number
  /** ...or this many bytes. */
  compactBytes: number
  /** ...but automatically at most once per this many milliseconds per room (each compaction rebuilds the document). */
  compactIntervalMs: number
  maxMessageBytes: number
  /** Milliseconds SIGTERM waits for rooms to flush before exiting anyway. */
  shutdownTimeoutMs: number
  limits: Limits
  /** Set: tokens are required on every WebSocket and API route. Unset: open, for local use. */
  authSecret: string | null
  /** Browser origins allowed to open WebSockets (`scheme://host[:port]`), or null for any. */
  allowedOrigins: string[] | null
  /** Whether read-only connections' cursors are shown to others. */
  readOnlyAwareness: boolean
  /** Set: serve `https://` and `wss://` with this certificate and key. */
  tls: TlsConfig | null
}

export interface TlsConfig {
  certFile: string
  keyFile: string
  cert: Buffer
  key: Buffer
}

/**
 * Per-connection and per-process bounds. Each one caps a buffer or a cost that one client could otherwise grow
 * without end; crossing one closes only that connection (1008, or 1009 for sizes). Defaults sit far above what an
 * honest editor does (see the README's limits table for the reasoning).
 */
export interface Limits {
  /** Messages per second a connection may send on average (token bucket)... */
  messagesPerSecond: number
  /** ...and in a burst (a reconnect sends a handful at once; a fast typist ~20/s). */
  messageBurst: number
  /** Server time (ms of handling) a connection may use per second on average, and in a burst: bounds costly updates. */
  cpuMsPerSecond: number
  cpuBurstMs: number
  /** Awareness client ids one connection may introduce (an honest provider introduces one). */
  awarenessIdsPerConnection: number
  /** Bytes of one awareness state (a cursor with a name and colour is ~200). */
  awarenessStateBytes: number
  /** Updates in a row that reference missing state before the connection is closed. */
  unintegratedInARow: number
  /** Bytes of updates referencing missing state one connection may send in its lifetime. */
  unintegratedBytes: number
  /** Rooms held in memory at once; opening one more is refused. */
  roomsInMemory: number
  /** Open WebSocket connections at once. */
  connections: number
  /** Bytes queued to a connection that does not read (a slow consumer) before it is closed. */
  sendBufferBytes: number
  /** Milliseconds a client may take to send its HTTP request headers, upgrade included. */
  handshakeTimeoutMs: number
  /**
   * Milliseconds between pings to every connection; one that answers neither a ping nor with any message for this
   * long is dropped (its other end is gone). 0: never.
   */
  pingIntervalMs: number
  /** Largest HTTP request body (imports). */
  bodyBytes: number
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

type Source = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function int(src: Source, key: string, def: number, min: number, max: number): number {
  const raw = src[key]
  if (raw === undefined || raw === '') return def
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${key}=${JSON.stringify(raw)} is not valid: expected a whole number from ${min} to ${max}`)
  }
  return Number(raw)
}

function oneOf<T extends string>(src: Source, key: string, def: T, allowed: readonly T[]): T {
  const raw = src[key]
  if (raw === undefined || raw === '') return def
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${key}=${JSON.stringify(raw)} is not valid: expected one of ${allowed.join(', ')}`)
  }
  return raw as T
}

/** `--data-dir=x` → `DATA_DIR=x`. */
export function flagsToEnv(argv: string[]): Source {
  const out: Source = {}
  for (const arg of argv) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg)
    if (!m) throw new ConfigError(`unknown argument ${JSON.stringify(arg)}: use --name=value, e.g. --port=1234`)
    out[m[1].toUpperCase().replace(/-/g, '_')] = m[2] ?? 'true'
  }
  return out
}

export function loadConfig(env: Source, argv: string[] = []): Config {
  const src = { ...env, ...flagsToEnv(argv) }
  const host = src.HOST || '127.0.0.1'
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) {
    throw new ConfigError(`HOST=${JSON.stringify(host)} is not valid: expected an IP address or host name`)
  }
  return {
    port: int(src, 'PORT', 1234, 0, 65535),
    host,
    dataDir: resolve(src.DATA_DIR || './data'),
    storage: oneOf(src, 'STORAGE', 'sqlite', ['sqlite', 'memory'] as const),
    durability: oneOf<Durability>(src, 'DURABILITY', 'fsync', ['fsync', 'os']),
    logLevel: oneOf(src, 'LOG_LEVEL', 'info', LOG_LEVELS),
    roomIdleMs: int(src, 'ROOM_IDLE_MS', 30_000, 0, 24 * 3600_000),
    compactRecords: int(src, 'COMPACT_RECORDS', 1000, 2, 10_000_000),
    compactBytes: int(src, 'COMPACT_BYTES', 1024 * 1024, 1024, 1024 ** 3),
    compactIntervalMs: int(src, 'COMPACT_INTERVAL_MS', 10_000, 0, 24 * 3600_000),
    maxMessageBytes: int(src, 'MAX_MESSAGE_BYTES', DEFAULT_LIMITS.maxMessageBytes, 1024, 1024 ** 3),
    shutdownTimeoutMs: int(src, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    limits: {
      messagesPerSecond: int(src, 'MAX_MESSAGES_PER_SECOND', 200, 1, 1_000_000),
      messageBurst: int(src, 'MAX_MESSAGE_BURST', 1000, 1, 10_000_000),
      cpuMsPerSecond: int(src, 'MAX_CPU_MS_PER_SECOND', 250, 1, 1000),
      cpuBurstMs: int(src, 'MAX_CPU_BURST_MS', 3000, 1, 600_000),
      awarenessIdsPerConnection: int(src, 'MAX_AWARENESS_IDS', 4, 1, 1000),
      awarenessStateBytes: int(src, 'MAX_AWARENESS_STATE_BYTES', 16 * 1024, 64, 16 * 1024 * 1024),
      unintegratedInARow: int(src, 'MAX_UNINTEGRATED_IN_A_ROW', 8, 0, 1_000_000),
      unintegratedBytes: int(src, 'MAX_UNINTEGRATED_BYTES', 1024 * 1024, 0, 1024 ** 3),
      roomsInMemory: int(src, 'MAX_ROOMS', 10_000, 1, 10_000_000),
      connections: int(src, 'MAX_CONNECTIONS', 10_000, 1, 10_000_000),
      sendBufferBytes: int(src, 'MAX_SEND_BUFFER_BYTES', 64 * 1024 * 1024, 1024, 1024 ** 3),
      handshakeTimeoutMs: int(src, 'HANDSHAKE_TIMEOUT_MS', 10_000, 100, 600_000),
      pingIntervalMs: int(src, 'PING_INTERVAL_MS', 30_000, 0, 3_600_000),
      bodyBytes: int(src, 'MAX_BODY_BYTES', DEFAULT_LIMITS.maxMessageBytes, 1024, 1024 ** 3),
    },
    authSecret: secret(src),
    allowedOrigins: origins(src),
    readOnlyAwareness: bool(src, 'READ_ONLY_AWARENESS', true),
    tls: tlsFiles(src),
  }
}

/** `TLS_CERT` and `TLS_KEY`: both or neither, both readable, and a certificate that matches its key. */
function tlsFiles(src: Source): TlsConfig | null {
  const certFile = src.TLS_CERT || undefined
  const keyFile = src.TLS_KEY || undefined
  if (!certFile && !keyFile) return null
  if (!certFile || !keyFile) {
    throw new ConfigError(`${certFile ? 'TLS_KEY' : 'TLS_CERT'} is not set: TLS needs both TLS_CERT and TLS_KEY (PEM file paths), or neither`)
  }
  const read = (key: string, file: string): Buffer => {
    try {
      return readFileSync(resolve(file))
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message
      throw new ConfigError(`${key}=${JSON.stringify(file)} cannot be read (${why}): give the path of a PEM file this user can read`)
    }
  }
  const cert = read('TLS_CERT', certFile)
  const key = read('TLS_KEY', keyFile)
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new ConfigError(
      `TLS_CERT and TLS_KEY are not a usable pair (${(err as Error).message}): give a PEM certificate and the private key it was issued for`,
    )
  }
  return { certFile: resolve(certFile), keyFile: resolve(keyFile), cert, key }
}

function bool(src: Source, key: string, def: boolean): boolean {
  const raw = src[key]
  if (raw === undefined || raw === '') return def
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(`${key}=${JSON.stringify(raw)} is not valid: expected true or false`)
}

/** HS256 keys shorter than 32 bytes are guessable offline from one token. */
function secret(src: Source): string | null {
  const raw = src.AUTH_SECRET
  if (raw === undefined || raw === '') return null
  if (raw.length < 32) {
    throw new ConfigError(
      `AUTH_SECRET is ${raw.length} characters long: use at least 32 random characters, e.g. \`openssl rand -hex 32\``,
    )
  }
  return raw
}

function origins(src: Source): string[] | null {
  const raw = src.ALLOWED_ORIGINS
  if (raw === undefined || raw.trim() === '') return null
  return raw.split(',').map((o) => {
    const origin = o.trim()
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new ConfigError(`ALLOWED_ORIGINS has ${JSON.stringify(origin)}: expected origins like https://docs.example.com`)
    }
    if (url.origin !== origin.replace(/\/$/, '').toLowerCase() || !/^https?:$/.test(url.protocol)) {
      throw new ConfigError(
        `ALLOWED_ORIGINS has ${JSON.stringify(origin)}: write just scheme://host[:port], e.g. ${url.origin}`,
      )
    }
    return url.origin
  })
}
