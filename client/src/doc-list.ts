/**
 * The home page, `/`: the documents on the server, a button for a new one and a field to open one by name.
 *
 * The list refreshes when the tab becomes visible again and every 15 s while it is, since who is editing changes
 * all the time. Rows are rebuilt only when the data changed, so a link does not vanish under the pointer.
 */
import { roomNameProblem } from '../../shared/room-name.ts'
import type { DocInfo } from '../../shared/types.ts'
import { fetchDocs } from './api.ts'
import { byRecentEdit } from './doc-order.ts'
import { h } from './dom.ts'
import { editingLabel, humanSize, relativeTime } from './format.ts'
import { pageHeader } from './header.ts'
import { randomRoomName } from './names.ts'
import { docPath } from './route.ts'
import { userControls } from './user-controls.ts'
import { browserStorage, loadUser, saveUser } from './user.ts'

const REFRESH_MS = 15_000

export function mountDocList(app: HTMLElement): void {
  document.title = 'Inkwell'
  const store = browserStorage()

  const newDoc = h('button', { id: 'new-doc', type: 'button', class: 'button primary' }, 'New document')
  newDoc.addEventListener('click', () => window.location.assign(docPath(randomRoomName())))

  const list = h('ul', { id: 'docs', class: 'doc-list', 'aria-live': 'polite' })
  const status = h('p', { id: 'docs-status', class: 'muted' }, 'Loading documents…')

  app.replaceChildren(
    pageHeader([], [], [userControls(loadUser(store), (user) => saveUser(store, user))]),
    h('main', { class: 'home' },
      h('section', { class: 'home-intro' },
        h('div', {},
          h('h1', {}, 'Documents'),
          h('p', { class: 'muted' }, 'Write together in real time. Anyone with the link can edit.')),
        newDoc),
      openByNameForm(),
      h('section', { class: 'card doc-card' },
        h('div', { class: 'doc-row doc-head', 'aria-hidden': 'true' },
          h('span', {}, 'Name'), h('span', {}, 'Size'), h('span', {}, 'Last edit'), h('span', {}, 'Editing now')),
        list,
        status)))

  let shown = ''
  const refresh = async () => {
    try {
      const docs = byRecentEdit(await fetchDocs())
      const json = JSON.stringify(docs)
      if (json !== shown) {
        shown = json
        list.replaceChildren(...docs.map(docRow))
      }
      refreshTimes(list)
      status.textContent = docs.length === 0 ? 'No documents yet. Start one with “New document”.' : ''
      status.hidden = docs.length > 0
      status.classList.remove('error')
    } catch (error) {
      status.textContent = `Could not load the documents: ${(error as Error).message}`
      status.hidden = false
      status.classList.add('error')
    }
  }
  void refresh()
  setInterval(() => {
    if (document.visibilityState === 'visible') void refresh()
  }, REFRESH_MS)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refresh()
  })
}

function docRow(doc: DocInfo): HTMLLIElement {
  const updated = h('time', { class: 'doc-updated' })
  if (doc.updatedAt !== null) {
    updated.dateTime = doc.updatedAt
    updated.title = new Date(doc.updatedAt).toLocaleString()
  }
  return h('li', { class: 'doc-row', 'data-name': doc.name },
    h('a', { class: 'doc-link', href: docPath(doc.name) }, doc.name),
    h('span', { class: 'doc-size' }, humanSize(doc.size)),
    updated,
    h('span', { class: doc.clients > 0 ? 'doc-clients live' : 'doc-clients' }, editingLabel(doc.clients)))
}

function refreshTimes(list: HTMLElement): void {
  const now = Date.now()
  for (const time of list.querySelectorAll<HTMLTimeElement>('time.doc-updated')) {
    time.textContent = relativeTime(time.dateTime === '' ? null : time.dateTime, now)
  }
}

/** Opens (or, by opening, creates) a document by name; the shared room-name rule explains a rejected name. */
function openByNameForm(): HTMLFormElement {
  const input = h('input', {
    id: 'doc-name', name: 'name', type: 'text', placeholder: 'e.g. meeting-notes', autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'doc-name-problem', required: true,
  })
  const problemText = h('p', { id: 'doc-name-problem', class: 'form-error', role: 'alert' })
  const form = h('form', { id: 'open-doc', class: 'open-doc', novalidate: true },
    h('label', { for: 'doc-name' }, 'Open or create by name'),
    h('div', { class: 'open-doc-row' }, input, h('button', { type: 'submit', class: 'button' }, 'Open')),
    problemText)
  const showProblem = (problem: string | null) => {
    problemText.textContent = problem === null ? '' : problem.charAt(0).toUpperCase() + problem.slice(1)
    input.setAttribute('aria-invalid', String(problem !== null))
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const name = input.value.trim()
    const problem = roomNameProblem(name)
    showProblem(problem)
    if (problem === null) window.location.assign(docPath(name))
  })
  input.addEventListener('input', () => showProblem(null))
  return form
}
