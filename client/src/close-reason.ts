/**
 * What to tell the reader when the server closes the connection for good.
 *
 * Close codes 4400–4499 mirror HTTP 4xx (shared/close-codes.ts): y-websocket 3.1 stops reconnecting after them, so
 * the page must say why instead of showing a badge that stays offline forever. The server's reason is shown as
 * sent; a fallback covers servers or proxies that drop it.
 */
import { CloseCode } from '../../shared/close-codes.ts'

const FALLBACK_REASONS: Record<number, string> = {
  [CloseCode.badRoomName]: 'the document name is not valid',
  [CloseCode.unauthorized]: 'this link has no valid access token; ask for a new link',
  [CloseCode.forbidden]: 'your access token does not allow this document',
  [CloseCode.roomDeleted]: 'it was deleted',
}

export function isPermanentClose(code: number): boolean {
  return code >= 4400 && code <= 4499
}

/** The banner text for a close, or null when the close is one the provider recovers from by reconnecting. */
export function permanentCloseMessage(code: number, reason: string): string | null {
  if (!isPermanentClose(code)) return null
  const why = reason.trim() || FALLBACK_REASONS[code] || `the server refused it (close code ${code})`
  return `This document can't be opened: ${why}`
}
