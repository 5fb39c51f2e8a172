/**
 * The presence bar: a coloured chip for everyone in the document, yourself included, redrawn when who is here
 * changes.
 *
 * It never scrolls: a scrolling bar with its scroll bar hidden hides people without a sign that they are there.
 * When the chips do not fit, they become dots (the name stays in each dot's tooltip); when the dots do not fit
 * either, you and as many others as fit are shown, then a "+N" chip that names the rest.
 */
import type { Awareness } from 'y-protocols/awareness'
import { h } from './dom.ts'
import { FALLBACK_COLOR, peopleIn, type Person } from './people.ts'

export function mountPresence(list: HTMLElement, awareness: Awareness): void {
  let people: Person[] = []
  let drawn = ''
  const render = () => {
    people = peopleIn(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID)
    // Awareness changes on every caret move; the bar changes only when who is here (or their name or colour) does.
    const key = JSON.stringify(people)
    if (key === drawn) return
    drawn = key
    fit(list, people)
    list.setAttribute('aria-label', people.length === 1 ? 'Only you are here' : `${people.length} people here`)
  }
  awareness.on('change', render)
  render()
  // The bar's room changes with the window (and the title beside it), not with its own content: refit then.
  if (list.parentElement) new ResizeObserver(() => fit(list, people)).observe(list.parentElement)
}

function fit(list: HTMLElement, people: Person[]): void {
  const chips = people.map(chipOf)
  list.classList.remove('compact')
  list.replaceChildren(...chips)
  if (fits(list)) return
  list.classList.add('compact')
  if (fits(list)) return
  for (let shown = chips.length - 1; shown >= 1; shown--) {
    list.replaceChildren(...chips.slice(0, shown), moreChip(people.slice(shown)))
    if (fits(list)) return
  }
}

function fits(list: HTMLElement): boolean {
  return list.scrollWidth <= list.clientWidth
}

function chipOf(person: Person): HTMLElement {
  const chip = h('li', { class: person.self ? 'chip self' : 'chip', 'data-name': person.name, title: person.name },
    h('span', { class: 'chip-name' }, person.name),
    person.self && h('span', { class: 'chip-you' }, ' (you)'))
  chip.style.setProperty('--user-color', person.color)
  return chip
}

/** "+N", naming the people it stands for. */
function moreChip(rest: Person[]): HTMLElement {
  const names = rest.map((p) => p.name).join(', ')
  const chip = h('li', { class: 'chip more', title: names, 'aria-label': `${rest.length} more: ${names}`, 'data-names': JSON.stringify(rest.map((p) => p.name)) },
    `+${rest.length}`)
  chip.style.setProperty('--user-color', FALLBACK_COLOR)
  return chip
}
