import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { exportSnapshot } from '../export/export.ts'
import { FRAGMENT_NAME } from '../../shared/schema.ts'
import { ImportError, formatFromContentType, formatFromFileName, importChange, parseImport, type ImportFormat } from './import.ts'

const enc = (s: string) => new TextEncoder().encode(s)

function imported(text: string | Uint8Array, format: ImportFormat, into = new Y.Doc()): Y.Doc {
  importChange(parseImport(typeof text === 'string' ? enc(text) : text, format))(into)
  return into
}

function exported(doc: Y.Doc, format: 'markdown' | 'html' | 'json' | 'text'): string {
  return exportSnapshot(Y.encodeStateAsUpdate(doc), format, 't').body as string
}

const MARKDOWN = [
  '# Title',
  '',
  'Some *emphasis*, **strong**, `code` and a [link](https://example.com).',
  '',
  '> quoted',
  '',
  '* one',
  '',
  '* two',
  '',
  '1. first',
  '',
  '2. second',
  '',
  '```',
  'let x = 1',
  '```',
  '',
  '---',
].join('\n')

describe('imports', () => {
  it('markdown round-trips through the shared schema: every node type of the editor survives', () => {
    const doc = imported(MARKDOWN, 'markdown')
    const md = exported(doc, 'markdown')
    expect(md).toContain('# Title')
    expect(md).toContain('*emphasis*')
    expect(md).toContain('**strong**')
    expect(md).toContain('`code`')
    expect(md).toContain('[link](https://example.com)')
    expect(md).toContain('> quoted')
    expect(md).toMatch(/\* one/)
    expect(md).toMatch(/1\. first/)
    expect(md).toContain('```\nlet x = 1\n```')
    expect(md).toContain('---')
    // A second round trip is a fixed point.
    expect(exported(imported(md, 'markdown'), 'markdown')).toBe(md)
  })

  it('lists export tight, and every list comes back as the same document: items of one paragraph or of several, nested', () => {
    const json = (doc: Y.Doc) => JSON.parse(exported(doc, 'json'))
    const html =
      '<ul><li><p>one</p></li><li><p>two</p></li></ul>' +
      '<ol><li><p>first</p><p>second paragraph of the first</p></li><li><p>next</p><ul><li><p>inner</p></li></ul></li></ol>'
    const doc = imported(html, 'html')
    const md = exported(doc, 'markdown')
    expect(md.startsWith('* one\n* two\n\n1. first')).toBe(true)
    expect(json(imported(md, 'markdown'))).toEqual(json(doc))
    expect(exported(imported(md, 'markdown'), 'markdown')).toBe(md)
  })

  it('HTML imports as the same document the markdown makes, ignoring scripts and styles', () => {
    const html =
      '<html><head><title>x</title><style>p{}</style></head><body><h1>Title</h1><script>alert(1)</script>' +
      '<p>plain <strong>bold</strong> <em>em</em></p><ul><li><p>a</p></li><li>b</li></ul></body></html>'
    const json = JSON.parse(exported(imported(html, 'html'), 'json'))
    expect(json.content.map((n: { type: string }) => n.type)).toEqual(['heading', 'paragraph', 'bullet_list'])
    expect(exported(imported(html, 'html'), 'text')).toBe('Title\n\nplain bold em\n\na\n\nb')
  })

  it('ProseMirror JSON from an export imports as the same document', () => {
    const original = imported(MARKDOWN, 'markdown')
    const json = exported(original, 'json')
    expect(exported(imported(json, 'json'), 'json')).toBe(json)
  })

  it('a Yjs update is merged as is, so an export restores into an empty document exactly', () => {
    const original = imported(MARKDOWN, 'markdown')
    const update = Y.encodeStateAsUpdate(original)
    const restored = imported(update, 'yjs')
    expect(restored.getXmlFragment(FRAGMENT_NAME).toString()).toBe(original.getXmlFragment(FRAGMENT_NAME).toString())
  })

  it('markdown, HTML and JSON replace the content as one change; parts that did not change are kept', () => {
    const doc = imported('# Keep\n\nold text', 'markdown')
    const heading = doc.getXmlFragment(FRAGMENT_NAME).get(0)
    let updates = 0
    doc.on('update', () => updates++)
    doc.transact(() => importChange(parseImport(enc('# Keep\n\nnew text'), 'markdown'))(doc))
    expect(updates).toBe(1)
    expect(exported(doc, 'markdown')).toBe('# Keep\n\nnew text')
    expect(doc.getXmlFragment(FRAGMENT_NAME).get(0)).toBe(heading)
  })

  it('links and images that could run script are dropped', () => {
    const doc = imported('<p><a href="javascript:alert(1)">x</a> <a href="https://ok.example">y</a><img src="javascript:1" alt="pic"></p>', 'html')
    const html = exported(doc, 'html')
    expect(html).not.toContain('javascript')
    expect(html).toContain('href="https://ok.example"')
    expect(html).toContain('pic')
  })

  it('bad input is an ImportError that says what was expected', () => {
    expect(() => parseImport(enc('{nope'), 'json')).toThrow(ImportError)
    expect(() => parseImport(enc('{"type":"doc","content":[{"type":"table"}]}'), 'json')).toThrow(/schema/)
    expect(() => parseImport(new Uint8Array([0, 200, 200, 200]), 'yjs')).toThrow(/not a Yjs update/)
  })

  it('formats come from Content-Type headers and file names', () => {
    expect(formatFromContentType('text/markdown; charset=utf-8')).toBe('markdown')
    expect(formatFromContentType('application/octet-stream')).toBe('yjs')
    expect(formatFromContentType('text/plain')).toBeNull()
    expect(formatFromFileName('notes.MD')).toBe('markdown')
    expect(formatFromFileName('page.htm')).toBe('html')
    expect(formatFromFileName('x.yjs')).toBe('yjs')
    expect(formatFromFileName('x.txt')).toBeNull()
  })
})
