/** How the document list shows sizes and times: short, readable, and the same in every locale. */

const SIZE_UNITS = ['kB', 'MB', 'GB', 'TB'] as const

/** Bytes in SI units: "0 B", "812 B", "1.5 kB", "23 kB", "4.2 MB". One decimal only below 10, where it matters. */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–'
  if (bytes < 1000) return `${Math.round(bytes)} B`
  let value = bytes
  let unit: string = SIZE_UNITS[0]
  for (const next of SIZE_UNITS) {
    value /= 1000
    unit = next
    if (value < 999.5) break
  }
  const rounded = value < 9.95 ? value.toFixed(1) : String(Math.round(value))
  return `${rounded.replace(/\.0$/, '')} ${unit}`
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/**
 * How long ago `iso` was, seen from `now` (ms since the epoch): "just now", "5 min ago", "3 h ago", "yesterday",
 * "4 days ago", then the date. A time slightly in the future (the server's clock ahead of ours) is "just now".
 */
export function relativeTime(iso: string | null, now: number): string {
  if (iso === null) return 'never'
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return 'unknown'
  const ago = now - then
  if (ago < MINUTE) return 'just now'
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`
  if (ago < DAY) return `${Math.floor(ago / HOUR)} h ago`
  if (ago < 2 * DAY) return 'yesterday'
  if (ago < 30 * DAY) return `${Math.floor(ago / DAY)} days ago`
  const date = new Date(then)
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`
}

/** Who is in a document, for the list: "2 editing", or an empty string when nobody is. */
export function editingLabel(clients: number): string {
  return clients > 0 ? `${clients} editing` : ''
}
