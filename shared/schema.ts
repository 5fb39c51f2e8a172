/**
 * The one ProseMirror schema of Inkwell documents, shared by the editor (to edit) and the server (to export).
 *
 * It is prosemirror-schema-basic's schema with the list nodes of prosemirror-schema-list added to the block group.
 * Node and mark names are the stock ones, so prosemirror-markdown's default serializer and any other
 * y-prosemirror client that uses the basic schema can read the same `Y.XmlFragment`.
 */
import { Schema } from 'prosemirror-model'
import { schema as basic } from 'prosemirror-schema-basic'
import { addListNodes } from 'prosemirror-schema-list'

export const schema = new Schema({
  nodes: addListNodes(basic.spec.nodes, 'paragraph block*', 'block'),
  marks: basic.spec.marks,
})

/** The name of the `Y.XmlFragment` that holds the document: y-prosemirror's default, so other clients interoperate. */
export const FRAGMENT_NAME = 'prosemirror'
