/**
 * The browser-origin allowlist for WebSocket upgrades. The check reads the request's real `Origin` header and
 * compares its normalized origin exactly; it never derives anything from the request target, so a `//evil.host`
 * request path cannot pose as an allowed origin (GHSA-7v5p-43qr-wch5). Requests without an `Origin` header come
 * from programs, not browsers: they are left to token auth.
 */
export function originAllowed(header: string | undefined, allowed: string[] | null): boolean {
  if (allowed === null || header === undefined) return true
  let origin: string
  try {
    origin = new URL(header).origin
  } catch {
    return false
  }
  // `new URL('null').origin` throws; opaque origins ("null") from sandboxed frames are refused.
  return header.toLowerCase().replace(/\/$/, '') === origin && allowed.includes(origin)
}
