/**
 * The toolbar: prosemirror-example-setup's full menu, with its undo and redo buttons swapped for y-prosemirror's.
 * The stock buttons call prosemirror-history, which is not installed (the Yjs undo manager replaces it, so that undo
 * reverts only your own edits), and would stay greyed out forever.
 */
import { buildMenuItems } from 'prosemirror-example-setup'
import { icons, MenuItem, type MenuElement } from 'prosemirror-menu'
import type { Schema } from 'prosemirror-model'
import { redoCommand, undoCommand } from 'y-prosemirror'

export function menuContent(schema: Schema): MenuElement[][] {
  const items = buildMenuItems(schema)
  const undo = new MenuItem({ title: 'Undo your last change', icon: icons.undo, enable: (s) => undoCommand(s), run: undoCommand })
  const redo = new MenuItem({ title: 'Redo your last undone change', icon: icons.redo, enable: (s) => redoCommand(s), run: redoCommand })
  return [...items.inlineMenu, [items.insertMenu, items.typeMenu], [undo, redo], ...items.blockMenu]
}
