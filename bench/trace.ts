/**
 * The automerge-paper editing trace (../shared/traces/README.md): 259,778 single-character edits of a LaTeX paper.
 * Its path comes from $INKWELL_TRACE, or the copy in the shared folder beside the repo.
 *
 * The bench stores the text the way y-prosemirror would: the `prosemirror` XmlFragment holds one `paragraph`
 * element with one XmlText (the trace is LaTeX with newlines; one text node holds it all).
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import * as Y from 'yjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** `[pos, 0, char]` inserts `char` at `pos`; `[pos, 1]` deletes the character at `pos`. */
export type Edit = [number, 0, string] | [number, 1]

export interface Trace {
  edits: Edit[]
  finalText: string
}

export function tracePath(): string {
  return resolve(ROOT, process.env.INKWELL_TRACE || '../shared/traces/automerge-paper.json.gz')
}

/** Throws an error that says where the trace was looked for and how to point at it. */
export function checkTrace(path = tracePath()): string {
  if (!existsSync(path)) {
    throw new Error(
      `the editing trace is missing: looked for ${path}. The big-document and replay scenarios need ` +
        'automerge-paper.json.gz (see ../shared/traces/README.md); set INKWELL_TRACE=/path/to/automerge-paper.json.gz',
    )
  }
  return path
}

export function loadTrace(path = tracePath()): Trace {
  const { edits, finalText } = JSON.parse(gunzipSync(readFileSync(checkTrace(path))).toString('utf8')) as Trace
  if (!Array.isArray(edits) || typeof finalText !== 'string') throw new Error(`${path} is not an editing trace`)
  return { edits, finalText }
}

/** The paragraph's text node, creating the paragraph if the document has none. */
export function textNode(doc: Y.Doc): Y.XmlText {
  const fragment = doc.getXmlFragment('prosemirror')
  if (fragment.length === 0) {
    const p = new Y.XmlElement('paragraph')
    p.insert(0, [new Y.XmlText()])
    fragment.insert(0, [p])
  }
  return (fragment.get(0) as Y.XmlElement).get(0) as Y.XmlText
}

/** The paragraph's text, or null while the document has no paragraph yet. */
export function paragraphText(doc: Y.Doc): string | null {
  const p = doc.getXmlFragment('prosemirror').get(0) as Y.XmlElement | undefined
  const t = p?.get(0) as Y.XmlText | undefined
  return t ? t.toString() : null
}

/** Applies `edits[from, to)` to `text`, in the current transaction (the caller decides how many per transaction). */
export function applyEdits(text: Y.XmlText, edits: Edit[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const e = edits[i]
    if (e[1] === 0) text.insert(e[0], e[2])
    else text.delete(e[0], 1)
  }
}

/**
 * The document an editor would have after the whole trace: one transaction per edit, as keystrokes arrive.
 * Returns its state as one update (`Y.encodeStateAsUpdate`).
 */
export function buildTraceState(trace: Trace): Uint8Array {
  const doc = new Y.Doc()
  doc.transact(() => textNode(doc))
  const text = textNode(doc)
  for (let i = 0; i < trace.edits.length; i++) doc.transact(() => applyEdits(text, trace.edits, i, i + 1))
  if (text.toString() !== trace.finalText) throw new Error('the trace did not rebuild its final text: is the file intact?')
  const state = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return state
}
