/**
 * The visitor's identity: a display name and a cursor colour, made up on the first visit and kept in localStorage
 * under `inkwell:user`. Other peers see it through the awareness field `user`, which y-prosemirror's cursor plugin
 * reads, so its shape is fixed: `{ name, color }` with `color` as `#rrggbb`.
 */
import { cryptoBytes, randomUserColor, randomUserName, type RandomBytes } from './names.ts'

export interface User {
  name: string
  color: string
}

export const USER_STORAGE_KEY = 'inkwell:user'
/** Names travel to every peer with each awareness renewal and are drawn over the text, so they are kept short. */
export const USER_NAME_MAX = 40

/** The part of `Storage` this module needs, so tests can pass a Map-backed fake. */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem'>

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/

export function isHexColor(value: unknown): value is string {
  return typeof value === 'string' && HEX_COLOR.test(value)
}

/** A display name as typed, tidied: outer spaces trimmed, runs of whitespace made one space, cut to the limit. */
export function cleanName(raw: string): string {
  return Array.from(raw.replace(/\s+/g, ' ').trim()).slice(0, USER_NAME_MAX).join('').trim()
}

/** The user stored as JSON, or null if it is missing or not a usable `{ name, color }`. */
export function parseUser(json: string | null): User | null {
  if (json === null) return null
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { name, color } = value as Record<string, unknown>
  if (typeof name !== 'string' || !isHexColor(color)) return null
  const cleaned = cleanName(name)
  return cleaned === '' ? null : { name: cleaned, color: color.toLowerCase() }
}

/** The stored user, or a new random one that is stored for next time. */
export function loadUser(store: KeyValueStore | null, random: RandomBytes = cryptoBytes): User {
  const stored = parseUser(readSafely(store))
  if (stored !== null) return stored
  const fresh = { name: randomUserName(random), color: randomUserColor(random) }
  saveUser(store, fresh)
  return fresh
}

export function saveUser(store: KeyValueStore | null, user: User): void {
  try {
    store?.setItem(USER_STORAGE_KEY, JSON.stringify(user))
  } catch {
    // Storage full or blocked: the identity still works for this page, it just is not remembered.
  }
}

/** Whether this browser already remembers a chosen identity. */
export function hasSavedUser(store: KeyValueStore | null): boolean {
  return readSafely(store) !== null
}

function readSafely(store: KeyValueStore | null): string | null {
  try {
    return store?.getItem(USER_STORAGE_KEY) ?? null
  } catch {
    return null
  }
}

/** `window.localStorage`, or null where reading the property itself throws (storage disabled by the browser). */
export function browserStorage(): KeyValueStore | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}
