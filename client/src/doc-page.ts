/**
 * The document page, `/d/:room`: one `Y.Doc` per page load, synced through the provider and edited through
 * ProseMirror, with the header showing connection, presence and the user's identity.
 */
import type { EditorView } from 'prosemirror-view'
import type { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { roomNameProblem } from '../../shared/room-name.ts'
import { mountCloseBanner } from './close-banner.ts'
import { connectDoc } from './collab.ts'
import { mountConnectionBadge } from './connection-badge.ts'
import { copyLinkButton } from './copy-link.ts'
import { h } from './dom.ts'
import { createEditor } from './editor.ts'
import { exportMenu } from './export-menu.ts'
import { pageHeader } from './header.ts'
import { mountPresence } from './presence.ts'
import { userControls } from './user-controls.ts'
import { browserStorage, hasSavedUser, loadUser, saveUser, type User } from './user.ts'
import { readTokenClaims } from './token-claims.ts'

declare global {
  interface Window {
    /** Handles for end-to-end tests to inspect the page's document, connection and editor. */
    inkwell?: { ydoc: Y.Doc; provider: WebsocketProvider; view: EditorView }
  }
}

export function mountDocPage(app: HTMLElement, room: string, token: string | null): void {
  const problem = roomNameProblem(room)
  if (problem !== null) {
    showInvalidName(app, room, problem)
    return
  }
  document.title = `${room} · Inkwell`

  const store = browserStorage()
  let user = loadUser(store)
  const claims = readTokenClaims(token)
  const readOnly = claims?.mode === 'read'
  // A name given in the share link is who the link was made for: show it unless the user already chose one here.
  if (claims?.name && !hasSavedUser(store)) user = { ...user, name: claims.name.slice(0, 40) }
  const ydoc = new Y.Doc()
  const provider = connectDoc(room, ydoc, token)
  const { awareness } = provider
  awareness.setLocalStateField('user', user)
  const onUserChange = (next: User) => {
    user = next
    saveUser(store, user)
    awareness.setLocalStateField('user', user)
  }

  const badge = h('span', { id: 'connection', class: 'badge', role: 'status' })
  const presence = h('ul', { id: 'presence', class: 'presence' })
  const banner = h('div', { id: 'banner', class: 'banner', role: 'alert' })
  const editor = h('div', { id: 'editor', class: 'editor' })
  app.replaceChildren(
    pageHeader(
      [
        h('h1', { class: 'doc-title', title: room }, room),
        badge,
        ...(readOnly ? [h('span', { id: 'read-only', class: 'badge read-only', title: 'This link lets you read and follow along, not edit' }, 'read-only')] : []),
      ],
      [presence],
      [userControls(user, onUserChange), exportMenu(room, token), copyLinkButton()]),
    banner,
    h('main', { class: 'doc' }, editor))

  const view = createEditor(editor, ydoc, awareness)
  if (readOnly) view.setProps({ editable: () => false })
  mountConnectionBadge(badge, provider)
  mountPresence(presence, awareness)
  // Edits typed after a refusal could never be saved, so the editor turns read-only; reading and copying still work.
  mountCloseBanner(banner, provider, () => view.setProps({ editable: () => false }))

  // Leave the presence bars of others at once instead of after the 30 s awareness timeout; come back if the page is
  // restored from the back/forward cache.
  window.addEventListener('pagehide', () => awareness.setLocalState(null))
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) awareness.setLocalStateField('user', user)
  })

  window.inkwell = { ydoc, provider, view }
  view.focus()
}

function showInvalidName(app: HTMLElement, room: string, problem: string): void {
  document.title = 'Invalid document name · Inkwell'
  app.replaceChildren(
    pageHeader([], [], []),
    h('main', { class: 'notice' },
      h('div', { id: 'room-problem', class: 'card', role: 'alert' },
        h('h1', {}, 'This document name is not valid'),
        h('p', {}, h('code', { class: 'bad-name' }, room === '' ? '(empty)' : room)),
        h('p', {}, problem.charAt(0).toUpperCase() + problem.slice(1), '.'),
        h('p', {}, h('a', { href: '/' }, 'Back to all documents')))))
}
