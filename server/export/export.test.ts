import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { defaultMarkdownSerializer } from 'prosemirror-markdown'
import { prosemirrorJSONToYDoc, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'
import { FRAGMENT_NAME, schema } from '../../shared/schema.ts'
import { EXPORT_FORMATS } from '../../shared/types.ts'
import { escapeHtml } from './html.ts'
import { exportSnapshot } from './export.ts'

type Json = Record<string, unknown>

const text = (t: string, marks?: Json[]): Json => (marks ? { type: 'text', marks, text: t } : { type: 'text', text: t })
const para = (...content: Json[]): Json => ({ type: 'paragraph', content })
const item = (t: string): Json => ({ type: 'list_item', content: [para(text(t))] })

/** Every node and mark of the schema, with text that needs escaping in HTML. */
const FULL_DOC: Json = {
  type: 'doc',
  content: [
    { type: 'heading', attrs: { level: 1 }, content: [text(`Title <&> "q" 's`)] },
    { type: 'heading', attrs: { level: 3 }, content: [text('Section')] },
    para(
      text('plain '),
      text('em', [{ type: 'em' }]),
      text(' '),
      text('strong', [{ type: 'strong' }]),
      text(' '),
      text('a<b', [{ type: 'code' }]),
      text(' '),
      text('link', [{ type: 'link', attrs: { href: 'https://x.test/?a=1&b="2"', title: null } }, { type: 'strong' }]),
      { type: 'hard_break' },
      text('after break'),
    ),
    { type: 'bullet_list', content: [item('one'), item('two')] },
    { type: 'ordered_list', attrs: { order: 3 }, content: [item('three')] },
    { type: 'code_block', content: [text('if (a < b && c) {}')] },
    { type: 'horizontal_rule' },
    { type: 'blockquote', content: [para(text('quoted'))] },
    para({ type: 'image', attrs: { src: 'img.png?a=1&b=2', alt: 'a "quoted" <alt>', title: `it's` } }),
  ],
}

/** A Yjs snapshot of a ProseMirror document, made the way the editor stores it. */
function snapshotOf(json: Json): Uint8Array {
  const doc = prosemirrorJSONToYDoc(schema, json, FRAGMENT_NAME)
  const snapshot = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return snapshot
}

/** The part of an HTML page between <body> and </body>. */
function bodyOf(page: string): string {
  return page.slice(page.indexOf('<body>\n') + '<body>\n'.length, page.indexOf('</body>'))
}

describe('exportSnapshot', () => {
  const snapshot = snapshotOf(FULL_DOC)

  it('json: the export is the ProseMirror JSON the document was made from', () => {
    const out = exportSnapshot(snapshot, 'json', 'doc')
    expect(out.contentType).toBe('application/json; charset=utf-8')
    expect(out.extension).toBe('json')
    expect(JSON.parse(out.body as string)).toEqual(FULL_DOC)
  })

  it('an empty document exports in every format as empty content, not an error', () => {
    const empty = Y.encodeStateAsUpdate(new Y.Doc())
    expect(JSON.parse(exportSnapshot(empty, 'json', 'e').body as string)).toEqual({ type: 'doc' })
    expect(bodyOf(exportSnapshot(empty, 'html', 'e').body as string)).toBe('')
    expect(exportSnapshot(empty, 'markdown', 'e').body).toBe('')
    expect(exportSnapshot(empty, 'text', 'e').body).toBe('')
  })

  it('html: every node and mark is written as the editor renders it', () => {
    const out = exportSnapshot(snapshot, 'html', 'doc')
    expect(out.contentType).toBe('text/html; charset=utf-8')
    expect(out.extension).toBe('html')
    expect(bodyOf(out.body as string)).toBe(
      [
        '<h1>Title &lt;&amp;&gt; &quot;q&quot; &#39;s</h1>',
        '<h3>Section</h3>',
        '<p>plain <em>em</em> <strong>strong</strong> <code>a&lt;b</code> ' +
          '<a href="https://x.test/?a=1&amp;b=&quot;2&quot;"><strong>link</strong></a><br>after break</p>',
        '<ul><li><p>one</p></li><li><p>two</p></li></ul>',
        '<ol start="3"><li><p>three</p></li></ol>',
        '<pre><code>if (a &lt; b &amp;&amp; c) {}</code></pre>',
        '<hr>',
        '<blockquote><p>quoted</p></blockquote>',
        '<p><img src="img.png?a=1&amp;b=2" alt="a &quot;quoted&quot; &lt;alt&gt;" title="it&#39;s"></p>',
        '',
      ].join('\n'),
    )
  })

  it('html: the page has a doctype, a charset and the escaped title', () => {
    const page = exportSnapshot(snapshot, 'html', `Q&A <"draft">`).body as string
    expect(page.startsWith('<!doctype html>\n')).toBe(true)
    expect(page).toContain('<meta charset="utf-8">')
    expect(page).toContain('<title>Q&amp;A &lt;&quot;draft&quot;&gt;</title>')
  })

  it('html: markup typed as text never becomes markup', () => {
    const evil = `<script>alert("x")</script><img src=x onerror='y'>`
    const body = bodyOf(exportSnapshot(snapshotOf({ type: 'doc', content: [para(text(evil))] }), 'html', 'x').body as string)
    expect(body).toBe(`<p>${escapeHtml(evil)}</p>\n`)
    expect(body).not.toMatch(/<script|<img/)
  })

  it('html: attribute values cannot break out of their quotes', () => {
    const href = `" onmouseover="alert(1)`
    const doc = { type: 'doc', content: [para(text('x', [{ type: 'link', attrs: { href, title: `'><b>` } }]))] }
    const body = bodyOf(exportSnapshot(snapshotOf(doc), 'html', 'x').body as string)
    expect(body).toBe('<p><a href="&quot; onmouseover=&quot;alert(1)" title="&#39;&gt;&lt;b&gt;">x</a></p>\n')
  })

  it('html: an ordered list that starts at 1 has no start attribute', () => {
    const doc = { type: 'doc', content: [{ type: 'ordered_list', attrs: { order: 1 }, content: [item('a')] }] }
    expect(bodyOf(exportSnapshot(snapshotOf(doc), 'html', 'x').body as string)).toBe('<ol><li><p>a</p></li></ol>\n')
  })

  it('markdown: the export is prosemirror-markdown’s serialization, with tight lists', () => {
    const out = exportSnapshot(snapshot, 'markdown', 'doc')
    expect(out.contentType).toBe('text/markdown; charset=utf-8')
    expect(out.extension).toBe('md')
    expect(out.body).toBe(defaultMarkdownSerializer.serialize(schema.nodeFromJSON(FULL_DOC), { tightLists: true }))
    expect(out.body).toBe(
      [
        `# Title <&> "q" 's`,
        '',
        '### Section',
        '',
        'plain *em* **strong** `a<b` [**link**](https://x.test/?a=1&b=\\"2\\")\\',
        'after break',
        '',
        '* one',
        '* two',
        '',
        '3. three',
        '',
        '```',
        'if (a < b && c) {}',
        '```',
        '',
        '---',
        '',
        '> quoted',
        '',
        `![a "quoted" <alt>](img.png?a=1&b=2 "it's")`,
      ].join('\n'),
    )
  })

  it('text: blocks are separated by a blank line and a hard break is a newline', () => {
    const out = exportSnapshot(snapshot, 'text', 'doc')
    expect(out.contentType).toBe('text/plain; charset=utf-8')
    expect(out.extension).toBe('txt')
    expect(out.body).toBe(
      [
        `Title <&> "q" 's`,
        'Section',
        'plain em strong a<b link\nafter break',
        'one',
        'two',
        'three',
        'if (a < b && c) {}',
        'quoted',
        '',
      ].join('\n\n'),
    )
  })

  it('yjs: the export loads back with Y.applyUpdate to the same content', () => {
    const out = exportSnapshot(snapshot, 'yjs', 'doc')
    expect(out.contentType).toBe('application/octet-stream')
    expect(out.extension).toBe('yjs')
    const loaded = new Y.Doc()
    Y.applyUpdate(loaded, out.body as Uint8Array)
    expect(yXmlFragmentToProseMirrorRootNode(loaded.getXmlFragment(FRAGMENT_NAME), schema).toJSON()).toEqual(FULL_DOC)
    expect(loaded.store.pendingStructs).toBeNull()
    loaded.destroy()
  })

  it('every format exports without touching the snapshot it was given', () => {
    const copy = snapshot.slice()
    for (const format of EXPORT_FORMATS) exportSnapshot(snapshot, format, 'doc')
    expect(snapshot).toEqual(copy)
  })
})

describe('HTML export safety', () => {
  it('drops link and image URLs that could run script, and keeps safe ones', async () => {
    const { prosemirrorJSONToYDoc } = await import('y-prosemirror')
    const { schema } = await import('../../shared/schema.ts')
    const Y = await import('yjs')
    const { exportSnapshot } = await import('./export.ts')
    const link = (href: string, text: string) => ({ type: 'text', text, marks: [{ type: 'link', attrs: { href } }] })
    const doc = prosemirrorJSONToYDoc(schema, {
      type: 'doc',
      content: [
        {
          type: 'paragraph',
          content: [
            link('javascript:alert(1)', 'a'),
            link('  JaVa\tScRiPt:alert(2)', 'b'),
            link('data:text/html,<script>alert(3)</script>', 'c'),
            link('https://ok.example/x?y=1&z=2', 'd'),
            link('/relative', 'e'),
            link('mailto:a@b.c', 'f'),
            { type: 'image', attrs: { src: 'javascript:alert(4)', alt: 'i' } },
          ],
        },
      ],
    }, 'prosemirror')
    const html = exportSnapshot(Y.encodeStateAsUpdate(doc), 'html', 'x').body as string
    expect(html.toLowerCase()).not.toContain('script:')
    expect(html).not.toContain('data:text/html')
    expect(html).toContain('<a href="https://ok.example/x?y=1&amp;z=2">d</a>')
    expect(html).toContain('<a href="/relative">e</a>')
    expect(html).toContain('<a href="mailto:a@b.c">f</a>')
    expect(html).toContain('<a>a</a>')
  })
})
