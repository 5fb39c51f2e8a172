/**
 * Exports of a document snapshot. Every format is made from one Yjs update (a durable snapshot of the room), via the
 * same Yjs→ProseMirror mapping the editor uses, so an export shows exactly what the editor shows.
 */
import * as Y from 'yjs'
import type { Node } from 'prosemirror-model'
import { defaultMarkdownSerializer } from 'prosemirror-markdown'
import { yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'
import { FRAGMENT_NAME, schema } from '../../shared/schema.ts'
import type { ExportFormat } from '../../shared/types.ts'
import { docToHtmlPage } from './html.ts'

export interface Exported {
  body: string | Uint8Array
  contentType: string
  extension: string
}

/** The ProseMirror document held by a Yjs update. */
export function snapshotToNode(snapshot: Uint8Array): Node {
  // A scratch document: y-prosemirror deletes elements that do not fit the schema while converting, and that must
  // never touch the room's own document.
  const doc = new Y.Doc()
  try {
    Y.applyUpdate(doc, snapshot)
    return yXmlFragmentToProseMirrorRootNode(doc.getXmlFragment(FRAGMENT_NAME), schema)
  } finally {
    doc.destroy()
  }
}

export function nodeToText(node: Node): string {
  return node.textBetween(0, node.content.size, '\n\n', (leaf) => (leaf.type.name === 'hard_break' ? '\n' : ''))
}

/**
 * prosemirror-markdown's serialization, with tight lists: the editor's lists have no spacing of their own, and
 * its default (a blank line between items) makes every list "loose" in CommonMark, which renderers space out.
 */
export function nodeToMarkdown(node: Node): string {
  return defaultMarkdownSerializer.serialize(node, { tightLists: true })
}

export function exportSnapshot(snapshot: Uint8Array, format: ExportFormat, title: string): Exported {
  if (format === 'yjs') return { body: snapshot, contentType: 'application/octet-stream', extension: 'yjs' }
  const node = snapshotToNode(snapshot)
  switch (format) {
    case 'json':
      return { body: JSON.stringify(node.toJSON()), contentType: 'application/json; charset=utf-8', extension: 'json' }
    case 'html':
      return { body: docToHtmlPage(node, title), contentType: 'text/html; charset=utf-8', extension: 'html' }
    case 'markdown':
      return { body: nodeToMarkdown(node), contentType: 'text/markdown; charset=utf-8', extension: 'md' }
    case 'text':
      return { body: nodeToText(node), contentType: 'text/plain; charset=utf-8', extension: 'txt' }
  }
}
