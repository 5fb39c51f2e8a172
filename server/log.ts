/**
 * The logger: pino, JSON lines by default and pretty on a terminal. Every module logs through the instance made
 * here so that redaction applies everywhere: tokens and secrets never reach a log line.
 */
import pino from 'pino'

export type Logger = pino.Logger

export interface LogOptions {
  level: string
  /** Pretty lines for a person at a terminal; JSON lines otherwise (for log shippers and tests). */
  pretty?: boolean
  /** Where JSON lines go (default stdout). */
  destination?: pino.DestinationStream
}

export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'secret',
  '*.secret',
  'authSecret',
  '*.authSecret',
]

export function createLogger(opts: LogOptions): Logger {
  const base: pino.LoggerOptions = {
    level: opts.level,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (opts.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } })
  }
  return opts.destination ? pino(base, opts.destination) : pino(base)
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

/** A URL path with its query string removed: query strings can carry tokens. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  return q < 0 ? url : `${url.slice(0, q)}?[redacted]`
}
