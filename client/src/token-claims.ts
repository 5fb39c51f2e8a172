/**
 * What the page can read from its share link's token, for display only: the server verifies every token and
 * enforces the mode; a page that lied to itself about its mode would still have its edits dropped.
 */
export interface TokenView {
  mode: 'read' | 'write'
  name?: string
}

/** The claims of a JWT's payload, or null if it is not one. Never verifies anything. */
export function readTokenClaims(token: string | null): TokenView | null {
  if (!token) return null
  const part = token.split('.')[1]
  if (!part) return null
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='))
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))))
    if (claims.mode !== 'read' && claims.mode !== 'write') return null
    return { mode: claims.mode, name: typeof claims.name === 'string' ? claims.name : undefined }
  } catch {
    return null
  }
}
