/** The bar at the top of every page: the app name (a link home), then what the page puts at the start and the end. */
import { h } from './dom.ts'

export function pageHeader(start: Node[], middle: Node[], end: Node[]): HTMLElement {
  return h('header', { class: 'topbar' },
    h('div', { class: 'topbar-start' }, h('a', { class: 'brand', href: '/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'Inkwell'), ...start),
    h('div', { class: 'topbar-middle' }, ...middle),
    h('div', { class: 'topbar-end' }, ...end))
}
