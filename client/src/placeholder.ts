/** Shows a hint in an empty document, so a new page does not look broken. Drawn with CSS from `data-placeholder`. */
import { Plugin } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'

export function placeholder(text: string): Plugin {
  return new Plugin({
    props: {
      decorations(state) {
        const { doc } = state
        const first = doc.firstChild
        const empty = doc.childCount === 1 && first !== null && first.isTextblock && first.content.size === 0
        if (!empty) return null
        return DecorationSet.create(doc, [
          Decoration.node(0, first.nodeSize, { class: 'is-empty', 'data-placeholder': text }),
        ])
      },
    },
  })
}
