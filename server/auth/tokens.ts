/**
 * Access tokens: HS256 JWTs made and checked with Hono's JWT helpers, signed with `AUTH_SECRET`.
 *
 * Claims: `room` (one room) or `prefix` (every room whose name starts with it), `mode` (`read` or `write`), `exp`
 * (seconds since the epoch; required), `name` (the user's display name, optional). An admin token has `admin: true`
 * and may do everything, including issuing tokens and operator routes.
 */
import { sign, verify } from 'hono/jwt'

export type Mode = 'read' | 'write'

export interface Claims {
  room?: string
  prefix?: string
  mode: Mode
  exp: number
  name?: string
  admin?: boolean
}

export interface IssueOptions {
  room?: string
  prefix?: string
  mode: Mode
  /** Seconds the token is valid. */
  ttlSeconds: number
  name?: string
  admin?: boolean
}

export async function issueToken(secret: string, opts: IssueOptions, now = Date.now()): Promise<string> {
  if (!opts.admin && opts.room === undefined && opts.prefix === undefined) {
    throw new Error('a token needs a room or a prefix (or admin)')
  }
  const claims: Claims & Record<string, unknown> = {
    mode: opts.mode,
    exp: Math.floor(now / 1000) + opts.ttlSeconds,
  }
  if (opts.room !== undefined) claims.room = opts.room
  if (opts.prefix !== undefined) claims.prefix = opts.prefix
  if (opts.name !== undefined) claims.name = opts.name
  if (opts.admin) claims.admin = true
  return sign(claims, secret, 'HS256')
}

/** Why a request was refused, as logs and metrics label it. */
export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'forbidden' | 'origin'

export type Verified = { ok: true; claims: Claims } | { ok: false; reason: string; kind: 'invalid' | 'expired' }

/** Checks signature, expiry and shape. The reason is safe to send to the client (it never echoes the token). */
export async function verifyToken(secret: string, token: string): Promise<Verified> {
  let payload: Record<string, unknown>
  try {
    payload = (await verify(token, secret, 'HS256')) as Record<string, unknown>
  } catch (err) {
    const name = (err as Error).name
    if (name === 'JwtTokenExpired') return { ok: false, reason: 'token expired: ask for a new link', kind: 'expired' }
    return { ok: false, reason: 'token is not valid: check the link or ask for a new one', kind: 'invalid' }
  }
  const mode = payload.mode
  if ((mode !== 'read' && mode !== 'write') || typeof payload.exp !== 'number') {
    return { ok: false, reason: 'token is missing its mode or expiry: issue a new one', kind: 'invalid' }
  }
  return { ok: true, claims: payload as unknown as Claims }
}

/** Whether `claims` cover `room`. */
export function allowsRoom(claims: Claims, room: string): boolean {
  if (claims.admin) return true
  if (claims.room !== undefined) return claims.room === room
  if (claims.prefix !== undefined) return room.startsWith(claims.prefix)
  return false
}

/** `90s`, `15m`, `1h`, `7d` or plain seconds → seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim())
  if (!m) throw new Error(`ttl ${JSON.stringify(text)} is not valid: use e.g. 90s, 15m, 1h or 7d`)
  const n = Number(m[1])
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd']
  if (n <= 0) throw new Error('ttl must be more than zero')
  return n * unit
}

/** Where a request carries its token: `Authorization: Bearer`, the `token` query parameter, or a WebSocket subprotocol. */
export function tokenFrom(req: { header(name: string): string | undefined; query(name: string): string | undefined }): string | null {
  const auth = req.header('authorization')
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
  const q = req.query('token')
  if (q) return q
  // y-websocket's `protocols` option: ['inkwell-auth', '<token>'].
  const protocols = req.header('sec-websocket-protocol')?.split(',').map((p) => p.trim())
  const at = protocols?.indexOf(AUTH_SUBPROTOCOL) ?? -1
  if (protocols && at >= 0 && protocols[at + 1]) return protocols[at + 1]
  return null
}

export const AUTH_SUBPROTOCOL = 'inkwell-auth'
