/**
 * API authentication. With `AUTH_SECRET` unset every route is open (local use). With it set, every `/api` request
 * needs a valid token (`Authorization: Bearer`, or `?token=`); the verified claims are put on the context for the
 * routes, which check the room against them. Failures are 401 (no or bad token) or 403 (wrong room), with a message
 * that says what to do; the token never appears in the answer or in logs.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { HttpError } from './errors.ts'
import { allowsRoom, tokenFrom, verifyToken, type AuthFailure, type Claims } from '../auth/tokens.ts'

declare module 'hono' {
  interface ContextVariableMap {
    /** Verified token claims; null when auth is off. */
    claims: Claims | null
  }
}

/** Told about every refused request: 401 from here, 403 from a route's `requireRoom` or `requireAdmin`. */
export type AuthFailureHook = (failure: { kind: AuthFailure; status: 401 | 403; reason: string; method: string; path: string }) => void

export function apiAuth(secret: string | null, failed: AuthFailureHook = () => {}): MiddlewareHandler {
  return async (c, next) => {
    if (secret === null) {
      c.set('claims', null)
      return next()
    }
    const token = tokenFrom(c.req)
    if (!token) {
      const reason = 'a token is required: send Authorization: Bearer <token> or ?token=<token>'
      failed({ kind: 'missing', status: 401, reason, method: c.req.method, path: c.req.path })
      throw new HttpError(401, reason)
    }
    const verified = await verifyToken(secret, token)
    if (!verified.ok) {
      failed({ kind: verified.kind, status: 401, reason: verified.reason, method: c.req.method, path: c.req.path })
      throw new HttpError(401, verified.reason)
    }
    c.set('claims', verified.claims)
    await next()
    // Routes check the room and the admin claim themselves; their 403s are auth failures too.
    if (c.res.status === 403 && c.error instanceof HttpError) {
      failed({ kind: 'forbidden', status: 403, reason: c.error.message, method: c.req.method, path: c.req.path })
    }
  }
}

/** Throws 403 unless the request's token covers `room` (always passes with auth off). */
export function requireRoom(c: Context, room: string, mode: 'read' | 'write' = 'read'): void {
  const claims = c.get('claims')
  if (claims === null) return
  if (!allowsRoom(claims, room)) throw new HttpError(403, `this token is not for document "${room}"`)
  if (mode === 'write' && claims.mode !== 'write' && !claims.admin) {
    throw new HttpError(403, 'this token is read-only: use a write token')
  }
}

/** Throws 403 unless the request carries an admin token (always passes with auth off). */
export function requireAdmin(c: Context): void {
  const claims = c.get('claims')
  if (claims !== null && !claims.admin) throw new HttpError(403, 'this needs an admin token: run `npm run token -- --admin`')
}

/** Whether the request may see `room` in a listing. */
export function canSee(c: Context, room: string): boolean {
  const claims = c.get('claims')
  return claims === null || allowsRoom(claims, room)
}
