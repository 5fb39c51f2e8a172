import { describe, expect, it } from 'vitest'
import { readTokenClaims } from './token-claims.ts'

function jwt(payload: object): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64url')
  return `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify(payload))}.sig`
}

describe('readTokenClaims', () => {
  it('reads the mode and name of a token', () => {
    expect(readTokenClaims(jwt({ mode: 'read', name: 'Zoë', exp: 1 }))).toEqual({ mode: 'read', name: 'Zoë' })
    expect(readTokenClaims(jwt({ mode: 'write', exp: 1 }))).toEqual({ mode: 'write', name: undefined })
  })
  it('returns null for no token, garbage, or a payload without a mode', () => {
    expect(readTokenClaims(null)).toBeNull()
    expect(readTokenClaims('not-a-jwt')).toBeNull()
    expect(readTokenClaims('a.%%%.c')).toBeNull()
    expect(readTokenClaims(jwt({ mode: 'admin' }))).toBeNull()
  })
})
