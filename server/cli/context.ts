/**
 * What every admin command works on: the data directory (`--data-dir`, else DATA_DIR, else ./data), its database,
 * and the server running on it, if any (found through its lock file, see server/ops/lock.ts).
 */
import { resolve } from 'node:path'
import { liveHolder, type LockInfo } from '../ops/lock.ts'
import { roomNameProblem } from '../../shared/room-name.ts'
import { UsageError, flag, type Parsed } from './args.ts'

/** A failure the operator can act on; the message says how. Exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError'
}

export interface Cli {
  dataDir: string
  env: Record<string, string | undefined>
  out: NodeJS.WriteStream
  err: NodeJS.WriteStream
}

export function cliContext(p: Parsed, env: Record<string, string | undefined>): Cli {
  return {
    dataDir: resolve(flag(p, 'data-dir') ?? (env.DATA_DIR || './data')),
    env,
    out: process.stdout,
    err: process.stderr,
  }
}

/** The server running on this data directory, if one is. */
export function runningServer(cli: Cli): (LockInfo & { url: string }) | null {
  const holder = liveHolder(cli.dataDir)
  if (holder?.holder === 'server' && holder.url) return holder as LockInfo & { url: string }
  if (holder?.holder === 'server') {
    throw new CliError(`a server (pid ${holder.pid}) is starting on ${cli.dataDir}: try again in a moment`)
  }
  return null
}

export function roomArg(p: Parsed, index: number, usage: string): string {
  const room = p.positional[index]
  if (room === undefined) throw new UsageError(usage)
  const problem = roomNameProblem(room)
  if (problem) throw new UsageError(problem)
  return room
}
