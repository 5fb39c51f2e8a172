/**
 * The identity controls in the header: a colour swatch and a name field. Changes apply as you type; an emptied name
 * field keeps the previous name and shows it again when you leave the field.
 */
import { h } from './dom.ts'
import { cleanName, USER_NAME_MAX, type User } from './user.ts'

export function userControls(initial: User, onChange: (user: User) => void): HTMLElement {
  let user = initial
  const color = h('input', { id: 'user-color', type: 'color', value: user.color, title: 'Your cursor colour', 'aria-label': 'Your cursor colour' })
  const name = h('input', {
    id: 'user-name', type: 'text', value: user.name, maxlength: String(USER_NAME_MAX), autocomplete: 'nickname',
    spellcheck: 'false', title: 'Your name, as others see it', 'aria-label': 'Your name',
  })
  const update = (next: User) => {
    if (next.name === user.name && next.color === user.color) return
    user = next
    onChange(user)
  }
  color.addEventListener('input', () => update({ ...user, color: color.value }))
  name.addEventListener('input', () => {
    const cleaned = cleanName(name.value)
    if (cleaned !== '') update({ ...user, name: cleaned })
  })
  name.addEventListener('change', () => (name.value = user.name))
  name.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') name.blur()
  })
  return h('div', { class: 'identity' }, color, name)
}
