/** The "Copy link" button: copies the page URL, token included, so the link opens the same document for others. */
import { h } from './dom.ts'

const FEEDBACK_MS = 1800

export function copyLinkButton(): HTMLButtonElement {
  const button = h('button', { id: 'copy-link', type: 'button', class: 'button' }, 'Copy link')
  let reset: ReturnType<typeof setTimeout> | undefined
  button.addEventListener('click', async () => {
    const copied = await copyText(window.location.href)
    button.textContent = copied ? 'Copied!' : 'Copy failed'
    clearTimeout(reset)
    reset = setTimeout(() => (button.textContent = 'Copy link'), FEEDBACK_MS)
  })
  return button
}

/**
 * The async clipboard API exists only in secure contexts (https or localhost); a server reached over plain http
 * by its LAN address falls back to the older execCommand route.
 */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // Permission refused: try the fallback.
  }
  const area = h('textarea', { readonly: true, class: 'offscreen' })
  area.value = text
  document.body.append(area)
  area.select()
  try {
    return document.execCommand('copy')
  } catch {
    return false
  } finally {
    area.remove()
  }
}
