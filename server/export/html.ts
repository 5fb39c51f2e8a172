/**
 * ProseMirror nodes to HTML text without a DOM: each node's and mark's `toDOM` output spec (the same one the
 * editor renders with) is written out as a string. Text and attribute values are escaped.
 */
import type { DOMOutputSpec, Mark, Node } from 'prosemirror-model'

const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'source', 'wbr'])

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`)
}

/** Attributes that hold URLs. Their values must not run script when an exported page is opened. */
const URL_ATTRS = new Set(['href', 'src'])

/**
 * Keeps http(s), mailto and relative URLs; anything else (`javascript:`, `data:`, `vbscript:`…) is dropped. Any
 * editor can type a link, so an export must not carry script into whoever opens it.
 */
export function safeUrl(value: string): string | null {
  // Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
  const compact = value.replace(/[\u0000-\u0020\u007f]/g, '')
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(compact)
  if (!scheme) return value
  return ['http', 'https', 'mailto'].includes(scheme[1].toLowerCase()) ? value : null
}

/** Writes one output spec; the content hole (`0`) is filled by `inner`. */
function renderSpec(spec: DOMOutputSpec, inner: () => string): string {
  if (typeof spec === 'string') return escapeHtml(spec)
  if (!Array.isArray(spec)) throw new Error('DOM nodes in toDOM specs are not supported when exporting HTML')
  const [tagWithNs, ...rest] = spec as [string, ...unknown[]]
  const tag = tagWithNs.includes(' ') ? tagWithNs.slice(tagWithNs.indexOf(' ') + 1) : tagWithNs
  let i = 0
  let attrs = ''
  const first = rest[0]
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    for (const [k, v] of Object.entries(first as Record<string, unknown>)) {
      if (v === null || v === undefined) continue
      const value = URL_ATTRS.has(k) ? safeUrl(String(v)) : String(v)
      if (value !== null) attrs += ` ${k}="${escapeHtml(value)}"`
    }
    i = 1
  }
  let body = ''
  for (; i < rest.length; i++) {
    const child = rest[i]
    body += child === 0 ? inner() : renderSpec(child as DOMOutputSpec, inner)
  }
  return VOID.has(tag) ? `<${tag}${attrs}>` : `<${tag}${attrs}>${body}</${tag}>`
}

function renderMarks(marks: readonly Mark[], text: string): string {
  let out = text
  for (let i = marks.length - 1; i >= 0; i--) {
    const mark = marks[i]
    const toDOM = mark.type.spec.toDOM
    if (!toDOM) continue
    const inner = out
    out = renderSpec(toDOM(mark, true), () => inner)
  }
  return out
}

function renderNode(node: Node): string {
  if (node.isText) return renderMarks(node.marks, escapeHtml(node.text ?? ''))
  const toDOM = node.type.spec.toDOM
  const content = () => {
    let s = ''
    node.forEach((child) => (s += renderNode(child)))
    return s
  }
  const html = toDOM ? renderSpec(toDOM(node), content) : content()
  return node.isInline ? renderMarks(node.marks, html) : html
}

/** The HTML of a document's content (no surrounding page). */
export function fragmentToHtml(doc: Node): string {
  let out = ''
  doc.forEach((child) => (out += renderNode(child) + '\n'))
  return out
}

/** A standalone HTML page holding the document. */
export function docToHtmlPage(doc: Node, title: string): string {
  return `<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n</head>\n<body>\n${fragmentToHtml(doc)}</body>\n</html>\n`
}
