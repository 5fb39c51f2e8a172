/**
 * The ProseMirror editor bound to a Yjs document.
 *
 * Plugin order matters: y-prosemirror's undo keys come before exampleSetup's keymaps so that Mod-z reaches the Yjs
 * undo manager, which tracks only changes made through this editor (origin `ySyncPluginKey`) and so undoes your
 * own edits, never a collaborator's. exampleSetup's history is off for the same reason.
 */
import { exampleSetup } from 'prosemirror-example-setup'
import { keymap } from 'prosemirror-keymap'
import { EditorState } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { redo, undo, yCursorPlugin, ySyncPlugin, yUndoPlugin } from 'y-prosemirror'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'
import { FRAGMENT_NAME, schema } from '../../shared/schema.ts'
import { cursorBuilder, selectionBuilder } from './cursors.ts'
import { menuContent } from './menu.ts'
import { placeholder } from './placeholder.ts'

export function createEditor(mount: HTMLElement, ydoc: Y.Doc, awareness: Awareness): EditorView {
  const state = EditorState.create({
    schema,
    plugins: [
      ySyncPlugin(ydoc.getXmlFragment(FRAGMENT_NAME)),
      yCursorPlugin(awareness, { cursorBuilder, selectionBuilder }),
      yUndoPlugin(),
      keymap({ 'Mod-z': undo, 'Mod-y': redo, 'Mod-Shift-z': redo }),
      ...exampleSetup({ schema, history: false, menuBar: true, menuContent: menuContent(schema) }),
      placeholder('Start writing…'),
    ],
  })
  return new EditorView(mount, {
    state,
    attributes: { 'aria-label': 'Document', spellcheck: 'true' },
  })
}
