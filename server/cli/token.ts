/**
 * `inkwell token`: issues an access token signed with AUTH_SECRET (read from the environment, never from the
 * command line, where other users could see it in the process list).
 *
 *   npm run token -- --room notes --mode write --ttl 8h --name "Ada"
 *   npm run token -- --prefix team- --mode read --ttl 7d
 *   npm run token -- --admin --ttl 1h
 */
import { issueToken, parseTtl, type Mode } from '../auth/tokens.ts'
import { roomNameProblem } from '../../shared/room-name.ts'
import { UsageError, checkFlags, flag, type Parsed } from './args.ts'

export const TOKEN_USAGE = `usage: inkwell token (--room NAME | --prefix PREFIX | --admin) [--mode read|write] [--ttl 1h] [--name "Display Name"]
  AUTH_SECRET must be set in the environment (the same value the server uses).`

export async function tokenCommand(p: Parsed, env: Record<string, string | undefined>): Promise<string> {
  checkFlags(p, ['room', 'prefix', 'admin', 'mode', 'ttl', 'name'])
  const secret = env.AUTH_SECRET
  if (!secret) throw new UsageError('AUTH_SECRET is not set: export the same AUTH_SECRET the server runs with')
  if (secret.length < 32) throw new UsageError('AUTH_SECRET is shorter than 32 characters: the server would refuse it too')
  const room = flag(p, 'room')
  const prefix = flag(p, 'prefix')
  const admin = p.flags.get('admin') === true
  if (!admin && room === undefined && prefix === undefined) throw new UsageError(`say which documents.\n${TOKEN_USAGE}`)
  if (room !== undefined) {
    const problem = roomNameProblem(room)
    if (problem) throw new UsageError(problem)
  }
  const mode = (flag(p, 'mode') ?? 'write') as Mode
  if (mode !== 'read' && mode !== 'write') throw new UsageError('--mode must be read or write')
  let ttlSeconds: number
  try {
    ttlSeconds = parseTtl(flag(p, 'ttl') ?? '1h')
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  return issueToken(secret, { room, prefix, mode, ttlSeconds, name: flag(p, 'name'), admin })
}
