/**
 * Imports: turning a Markdown, HTML, ProseMirror JSON or Yjs file into a change to a document. Used by the HTTP
 * `PUT /api/docs/:room` (through the live room) and by the admin CLI on a stopped server (on the stored log); both
 * apply the same change, so an import means the same thing either way.
 *
 * - Markdown, HTML and JSON become a ProseMirror document in the shared schema, which **replaces** the content: the
 *   fragment is diffed against it (y-prosemirror's `updateYFragment`), so it is one transaction that connected
 *   editors see live, and parts that did not change keep their identity (and the cursors in them).
 * - A `.yjs` file is a Yjs update, **merged** as it is (a CRDT merge: applying an export of this same document
 *   changes nothing; into an empty or deleted document it restores exactly what was exported).
 *
 * Links and images keep only URLs that cannot run script (the rule of the HTML export), since any import lands in
 * every collaborator's editor.
 */
import * as Y from 'yjs'
import { DOMParser as PMDOMParser, Fragment, Mark, type Node } from 'prosemirror-model'
import { MarkdownParser, defaultMarkdownParser } from 'prosemirror-markdown'
import { prosemirrorToYXmlFragment } from 'y-prosemirror'
import { parseHTML } from 'linkedom'
import { FRAGMENT_NAME, schema } from '../../shared/schema.ts'
import { safeUrl } from '../export/html.ts'

export const IMPORT_FORMATS = ['markdown', 'html', 'json', 'yjs'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

export type ImportContent = { kind: 'prosemirror'; node: Node } | { kind: 'yjs'; update: Uint8Array }

/** The input cannot be imported; the message says what is wrong with it. */
export class ImportError extends Error {
  override readonly name = 'ImportError'
}

/**
 * prosemirror-markdown's own parser targets its own schema; ours has the same node and mark names (basic + lists),
 * so its tokenizer (CommonMark, raw HTML off) and token rules build our nodes. Attributes our schema lacks
 * (`tight`, a code block's `params`) are ignored by `NodeType.create`.
 */
const markdownParser = new MarkdownParser(schema, defaultMarkdownParser.tokenizer, defaultMarkdownParser.tokens)

export const CONTENT_TYPES: Record<ImportFormat, string> = {
  markdown: 'text/markdown',
  html: 'text/html',
  json: 'application/json',
  yjs: 'application/octet-stream',
}

/** The format a `Content-Type` header names (parameters such as `charset` are ignored), or null. */
export function formatFromContentType(header: string | undefined): ImportFormat | null {
  const type = header?.split(';')[0].trim().toLowerCase()
  for (const format of IMPORT_FORMATS) if (CONTENT_TYPES[format] === type) return format
  return null
}

/** The format a file name's extension names, or null. */
export function formatFromFileName(name: string): ImportFormat | null {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1].toLowerCase()
  switch (ext) {
    case 'md':
    case 'markdown':
      return 'markdown'
    case 'html':
    case 'htm':
      return 'html'
    case 'json':
      return 'json'
    case 'yjs':
      return 'yjs'
    default:
      return null
  }
}

export function parseImport(bytes: Uint8Array, format: ImportFormat): ImportContent {
  if (format === 'yjs') {
    try {
      Y.decodeUpdate(bytes) // the whole update, before any document sees it
    } catch (err) {
      throw new ImportError(`not a Yjs update (${(err as Error).message}): export one with --format yjs`)
    }
    return { kind: 'yjs', update: bytes }
  }
  const text = new TextDecoder().decode(bytes)
  let node: Node
  switch (format) {
    case 'markdown':
      node = markdownParser.parse(text)
      break
    case 'html': {
      const { document } = parseHTML(`<!doctype html><html><body>${text}</body></html>`)
      // A full page parses as one with its <body> content; linkedom's nodes satisfy what ProseMirror's DOM parser reads.
      node = PMDOMParser.fromSchema(schema).parse(document.body as unknown as globalThis.Node)
      break
    }
    case 'json': {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (err) {
        throw new ImportError(`not JSON (${(err as Error).message}): send ProseMirror JSON, as --format json exports it`)
      }
      try {
        node = schema.nodeFromJSON(json)
        node.check()
      } catch (err) {
        throw new ImportError(`not a ProseMirror document in Inkwell's schema (${(err as Error).message})`)
      }
      if (node.type !== schema.topNodeType) throw new ImportError(`the top node is "${node.type.name}", not "doc"`)
      break
    }
  }
  return { kind: 'prosemirror', node: withSafeUrls(node) }
}

/** The node without link marks or images whose URL could run script. */
function withSafeUrls(node: Node): Node {
  if (node.isText) {
    const marks = node.marks.filter((m) => m.type.name !== 'link' || safeUrl(String(m.attrs.href)) !== null)
    return marks.length === node.marks.length ? node : node.mark(Mark.setFrom(marks))
  }
  if (node.type.name === 'image' && safeUrl(String(node.attrs.src)) === null) return schema.text(String(node.attrs.alt || '[image]'))
  const children: Node[] = []
  node.forEach((child) => children.push(withSafeUrls(child)))
  return node.copy(Fragment.from(children))
}

/**
 * The change that writes `content` into a document: replaces the ProseMirror fragment's content, or merges a Yjs
 * update. Run it inside the transaction that carries the origin (`Room.serverChange`, or a plain `doc.transact`).
 */
export function importChange(content: ImportContent): (doc: Y.Doc) => void {
  return (doc) => {
    if (content.kind === 'yjs') Y.applyUpdate(doc, content.update)
    else prosemirrorToYXmlFragment(content.node, doc.getXmlFragment(FRAGMENT_NAME))
  }
}
