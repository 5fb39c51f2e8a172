/** The presence bar: a coloured chip for everyone in the document, yourself included, redrawn on awareness changes. */
import type { Awareness } from 'y-protocols/awareness'
import { h } from './dom.ts'
import { peopleIn } from './people.ts'

export function mountPresence(list: HTMLElement, awareness: Awareness): void {
  const render = () => {
    const people = peopleIn(awareness.getStates() as Map<number, Record<string, unknown>>, awareness.clientID)
    list.replaceChildren(...people.map((person) => {
      const chip = h('li', { class: person.self ? 'chip self' : 'chip', 'data-name': person.name, title: person.name },
        h('span', { class: 'chip-name' }, person.name),
        person.self && h('span', { class: 'chip-you' }, ' (you)'))
      chip.style.setProperty('--user-color', person.color)
      return chip
    }))
    list.setAttribute('aria-label', people.length === 1 ? 'Only you are here' : `${people.length} people here`)
  }
  awareness.on('change', render)
  render()
}
