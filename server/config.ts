/**
 * Configuration from environment variables (and `--name=value` flags, which win), validated at start-up. A bad value
 * stops the server with one line that names the variable, the value and what is expected.
 */
import { resolve } from 'node:path'
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
  maxMessageBytes: number
  /** Milliseconds SIGTERM waits for rooms to flush before exiting anyway. */
  shutdownTimeoutMs: number
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
    maxMessageBytes: int(src, 'MAX_MESSAGE_BYTES', DEFAULT_LIMITS.maxMessageBytes, 1024, 1024 ** 3),
    shutdownTimeoutMs: int(src, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
  }
}
