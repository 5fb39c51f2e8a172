/**
 * Who is in the document, read from awareness states.
 *
 * Awareness states come from other browsers and are not to be trusted: a name may be missing, huge or not a string,
 * a colour may be a CSS injection. Everything drawn from them goes through `personFrom`, which keeps only a clean
 * name and a `#rrggbb` colour.
 */
import { cleanName, isHexColor } from './user.ts'

export interface Person {
  clientId: number
  name: string
  color: string
  self: boolean
}

/** Drawn for peers whose colour is not `#rrggbb`. */
export const FALLBACK_COLOR = '#868e96'

/** The `{ name, color }` to show for a raw awareness `user` field, or null if the field is not an object. */
export function displayUser(raw: unknown, fallbackName: string): { name: string; color: string } | null {
  if (typeof raw !== 'object' || raw === null) return null
  const { name, color } = raw as Record<string, unknown>
  const cleaned = typeof name === 'string' ? cleanName(name) : ''
  return {
    name: cleaned === '' ? fallbackName : cleaned,
    color: isHexColor(color) ? color.toLowerCase() : FALLBACK_COLOR,
  }
}

/**
 * Everyone whose awareness state has a `user` field: yourself first, then by name. Clients without one (an editor
 * that does not share an identity, a monitoring script) are left out.
 */
export function peopleIn(states: ReadonlyMap<number, Record<string, unknown>>, selfId: number): Person[] {
  const people: Person[] = []
  for (const [clientId, state] of states) {
    const user = displayUser(state.user, 'Anonymous')
    if (user !== null) people.push({ clientId, ...user, self: clientId === selfId })
  }
  return people.sort((a, b) =>
    Number(b.self) - Number(a.self) || a.name.localeCompare(b.name) || a.clientId - b.clientId)
}
