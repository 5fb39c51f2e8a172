/**
 * The export menu: plain download links to the server's export route, so the browser handles the download and the
 * server is the one place that turns a document into Markdown, HTML or JSON.
 */
import type { ExportFormat } from '../../shared/types.ts'
import { exportFileName, exportHref } from './api.ts'
import { h } from './dom.ts'

const CHOICES: ReadonlyArray<{ format: ExportFormat; label: string }> = [
  { format: 'markdown', label: 'Markdown (.md)' },
  { format: 'html', label: 'HTML (.html)' },
  { format: 'json', label: 'ProseMirror JSON (.json)' },
]

export function exportMenu(room: string, token: string | null): HTMLElement {
  const menu = h('details', { id: 'export', class: 'menu' },
    h('summary', { class: 'button' }, 'Export'),
    h('ul', { class: 'menu-items' }, ...CHOICES.map(({ format, label }) =>
      h('li', {}, h('a', { href: exportHref(room, format, token), download: exportFileName(room, format), 'data-format': format }, label)))))
  menu.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a')) menu.open = false
  })
  document.addEventListener('click', (event) => {
    if (menu.open && !menu.contains(event.target as Node)) menu.open = false
  })
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') menu.open = false
  })
  return menu
}
