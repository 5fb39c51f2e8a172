/**
 * How other people's carets and selections are drawn (y-prosemirror's cursor plugin calls these).
 *
 * The DOM is the same as y-prosemirror's default builders, so the `.ProseMirror-yjs-cursor` styles apply, but the
 * colour and name pass through `displayUser` first: the default builders paste the peer's colour into a `style`
 * attribute unchecked, which lets any peer inject CSS into everyone's page.
 */
import type { DecorationAttrs } from 'prosemirror-view'
import { displayUser, FALLBACK_COLOR } from './people.ts'

function userOf(raw: unknown, clientId: number): { name: string; color: string } {
  return displayUser(raw, `User ${clientId}`) ?? { name: `User ${clientId}`, color: FALLBACK_COLOR }
}

/** A zero-width caret with the name in a label above it. Word joiners keep the caret from being a line-break point. */
export function cursorBuilder(raw: unknown, clientId: number): HTMLElement {
  const { name, color } = userOf(raw, clientId)
  const caret = document.createElement('span')
  caret.className = 'ProseMirror-yjs-cursor'
  caret.style.borderColor = color
  const label = document.createElement('div')
  label.style.backgroundColor = color
  label.textContent = name
  caret.append('\u2060', label, '\u2060')
  return caret
}

/** A light wash of the person's colour (alpha 0x33) so text stays readable under overlapping selections. */
export function selectionBuilder(raw: unknown, clientId: number): DecorationAttrs {
  return { class: 'ProseMirror-yjs-selection', style: `background-color: ${userOf(raw, clientId).color}33` }
}
