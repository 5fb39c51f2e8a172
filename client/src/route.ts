/**
 * The page's routes. The server returns index.html for `/` and `/d/:room`; the client decides what to show from
 * `location.pathname`. The room name is returned as written in the URL, valid or not: the document page explains
 * what is wrong with an invalid one rather than showing a generic "not found".
 */

export type Route = { page: 'home' } | { page: 'doc'; room: string } | { page: 'not-found' }

const DOC_PREFIX = '/d/'

export function routeOf(pathname: string): Route {
  if (pathname === '/' || pathname === '' || pathname === '/index.html') return { page: 'home' }
  if (pathname.startsWith(DOC_PREFIX)) return { page: 'doc', room: decodeSafely(pathname.slice(DOC_PREFIX.length)) }
  return { page: 'not-found' }
}

export function docPath(room: string): string {
  return DOC_PREFIX + encodeURIComponent(room)
}

/** The access token passed in the page URL as `?token=`, handed on to the socket and the export links. */
export function tokenOf(search: string): string | null {
  const token = new URLSearchParams(search).get('token')
  return token === null || token === '' ? null : token
}

function decodeSafely(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
