/**
 * The editor in real browsers: headless Chromium pages, each a separate user with its own storage, editing through
 * the built editor served by a real server running as a child process on a temporary data directory. The tests
 * drive the product only from outside (keyboard, DOM, HTTP, a stock y-websocket client, a TCP proxy that cuts a
 * connection the way a lost network does) and wait for conditions, never for durations; the one exception is the
 * opt-in idle test (INKWELL_SLOW=1), whose subject is a duration.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { spawnServer, type ChildServer } from '../server/test/child-server.ts'
import { connectClient, paragraphs, waitFor, type TestClient } from '../server/test/harness.ts'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts'
import {
  badgeHistory,
  caretToEnd,
  docText,
  ensureClientBuilt,
  eventually,
  exportDoc,
  launchBrowser,
  newUserContext,
  openDoc,
  presenceNames,
  recordBadge,
  remoteCarets,
  shownBlocks,
  stopServer,
  waitConnected,
  waitForText,
  type User,
  type UserPage,
} from './browser.ts'

const ADA: User = { name: 'Ada Lovelace', color: '#c92a2a' }
const ALAN: User = { name: 'Alan Turing', color: '#1864ab' }
const GRACE: User = { name: 'Grace Hopper', color: '#087f5b' }

let browser: Browser
/** The server most tests share; each test uses its own room. */
let shared: ChildServer
/** Servers a single test started (the restart test); stopped after that test. */
const ownServers: ChildServer[] = []
const dirs: string[] = []
const contexts: BrowserContext[] = []
const nodeClients: TestClient[] = []
const proxies: TcpProxy[] = []

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inkwell-e2e-'))
  dirs.push(dir)
  return dir
}

async function open(room: string, user: User, server: ChildServer = shared): Promise<UserPage> {
  const opened = await openDoc(browser, server.httpUrl, room, user)
  contexts.push(opened.context)
  return opened
}

/** Types each line as a new paragraph: Enter, then the line. */
async function typeParagraphs(page: Page, lines: string[]): Promise<void> {
  for (const line of lines) {
    await page.keyboard.press('Enter')
    await page.keyboard.type(line)
  }
}

beforeAll(async () => {
  ensureClientBuilt()
  const [b, s] = await Promise.all([launchBrowser(), spawnServer({ DATA_DIR: tempDir() })])
  browser = b
  shared = s
}, 90_000)

afterEach(async () => {
  for (const c of nodeClients.splice(0)) c.destroy()
  await Promise.all(proxies.splice(0).map((p) => p.close()))
  await Promise.all(contexts.splice(0).map((c) => c.close()))
  await Promise.all(ownServers.splice(0).map((s) => stopServer(s)))
})

afterAll(async () => {
  await browser?.close()
  if (shared) await stopServer(shared)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('two browsers on one document', () => {
  it('typing at the same time in both converges to the same text, which is also what the server exports', async () => {
    const room = 'e2e-converge'
    const ada = await open(room, ADA)
    const alan = await open(room, ALAN)
    // One paragraph per writer, so the expected result is exact: each writer's lines follow their own heading line.
    await ada.page.locator('#editor .ProseMirror').click()
    await ada.page.keyboard.type('Ada:')
    await ada.page.keyboard.press('Enter')
    await ada.page.keyboard.type('Alan:')
    await waitForText(alan.page, 'the two heading lines', { equals: 'Ada:\n\nAlan:' })
    await caretToEnd(ada.page, 0)
    await caretToEnd(alan.page)

    const adaLines = ['The quick brown fox jumps over the lazy dog', 'Pack my box with five dozen liquor jugs', 'Sphinx of black quartz judge my vow']
    const alanLines = ['How vexingly quick daft zebras jump', 'The five boxing wizards jump quickly', 'Jackdaws love my big sphinx of quartz']
    await Promise.all([typeParagraphs(ada.page, adaLines), typeParagraphs(alan.page, alanLines)])

    const blocks = ['Ada:', ...adaLines, 'Alan:', ...alanLines]
    const expected = blocks.join('\n\n')
    await waitForText(ada.page, "both writers' lines on Ada's page", { equals: expected })
    await waitForText(alan.page, "both writers' lines on Alan's page", { equals: expected })
    expect(await shownBlocks(ada.page)).toEqual(blocks)
    expect(await shownBlocks(alan.page)).toEqual(blocks)
    // Both pages have everything, so the server has relayed (and stored) everything: the export must have it too.
    expect(await exportDoc(shared.httpUrl, room, 'text')).toBe(expected)
  }, 60_000)

  it("each page shows the other's caret with their name, and the presence bar lists both", async () => {
    const room = 'e2e-carets'
    const ada = await open(room, ADA)
    const alan = await open(room, ALAN)
    await ada.page.locator('#editor .ProseMirror').click()
    await ada.page.keyboard.type('Ada writes here')
    await waitForText(alan.page, "Ada's line", { equals: 'Ada writes here' })
    await caretToEnd(alan.page)
    await typeParagraphs(alan.page, ['Alan writes there'])
    await waitForText(ada.page, "Alan's line", { equals: 'Ada writes here\n\nAlan writes there' })

    // The label is what a reader sees; waiting for it to be visible waits for the awareness update to arrive.
    await ada.page.locator('#editor .ProseMirror-yjs-cursor > div', { hasText: ALAN.name }).waitFor({ state: 'visible' })
    await alan.page.locator('#editor .ProseMirror-yjs-cursor > div', { hasText: ADA.name }).waitFor({ state: 'visible' })
    // Each caret comes to stand where its owner stopped typing (cursor updates trail the keystrokes), and nobody sees
    // their own caret drawn as a remote one.
    const alanAtEnd = [{ name: ALAN.name, block: 'Alan writes there', offset: 'Alan writes there'.length }]
    const adaAtEnd = [{ name: ADA.name, block: 'Ada writes here', offset: 'Ada writes here'.length }]
    const same = (want: unknown) => (got: unknown) => JSON.stringify(got) === JSON.stringify(want)
    expect(await eventually(() => remoteCarets(ada.page), same(alanAtEnd), "Alan's caret on Ada's page")).toEqual(alanAtEnd)
    expect(await eventually(() => remoteCarets(alan.page), same(adaAtEnd), "Ada's caret on Alan's page")).toEqual(adaAtEnd)

    for (const { page } of [ada, alan]) {
      await page.locator(`#presence .chip[data-name="${ALAN.name}"]`).waitFor()
      await page.locator(`#presence .chip[data-name="${ADA.name}"]`).waitFor()
    }
    // Yourself first, then the others.
    expect(await presenceNames(ada.page)).toEqual([ADA.name, ALAN.name])
    expect(await presenceNames(alan.page)).toEqual([ALAN.name, ADA.name])
    expect(await ada.page.locator('#presence .chip.self').getAttribute('data-name')).toBe(ADA.name)
  }, 60_000)

  it('after a server restart both pages reconnect by themselves, with the text intact and nothing duplicated', async () => {
    const room = 'e2e-restart'
    const dir = tempDir()
    const first = await spawnServer({ DATA_DIR: dir })
    ownServers.push(first)
    const ada = await open(room, ADA, first)
    const alan = await open(room, ALAN, first)
    await ada.page.locator('#editor .ProseMirror').click()
    await ada.page.keyboard.type('Written before the restart')
    await typeParagraphs(ada.page, ['A second paragraph by Ada'])
    await waitForText(alan.page, "Ada's paragraphs", { equals: 'Written before the restart\n\nA second paragraph by Ada' })
    await caretToEnd(alan.page)
    await typeParagraphs(alan.page, ['And one by Alan'])
    const before = 'Written before the restart\n\nA second paragraph by Ada\n\nAnd one by Alan'
    await waitForText(ada.page, "Alan's paragraph", { equals: before })
    expect(await exportDoc(first.httpUrl, room, 'text')).toBe(before)

    await Promise.all([recordBadge(ada.page), recordBadge(alan.page)])
    first.proc.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    for (const { page } of [ada, alan]) {
      await page.locator('#connection:not([data-status="connected"])').waitFor({ timeout: 5_000 })
    }

    const second = await spawnServer({ DATA_DIR: dir }, { port: first.port })
    ownServers.push(second)
    // y-websocket backs off to at most 2.5 s between attempts.
    await Promise.all([waitConnected(ada.page, 15_000), waitConnected(alan.page, 15_000)])
    for (const { page } of [ada, alan]) {
      const history = await badgeHistory(page)
      expect(history[0]).toBe('connected')
      expect(['offline', 'connecting']).toContain(history[1])
      expect(history[history.length - 1]).toBe('connected')
      expect(await docText(page)).toBe(before)
    }
    expect(await exportDoc(second.httpUrl, room, 'text')).toBe(before)

    // The reconnected pages still edit together.
    await caretToEnd(ada.page)
    await typeParagraphs(ada.page, ['Written after the restart'])
    const after = `${before}\n\nWritten after the restart`
    await waitForText(alan.page, "Ada's paragraph typed after the restart", { equals: after })
    await waitForText(ada.page, 'no late duplicate on the typing page', { equals: after })
    expect(await exportDoc(second.httpUrl, room, 'text')).toBe(after)
  }, 60_000)

  it('undo takes back only your own edits, never a collaborator’s', async () => {
    const room = 'e2e-undo'
    const ada = await open(room, ADA)
    const alan = await open(room, ALAN)
    await ada.page.locator('#editor .ProseMirror').click()
    await ada.page.keyboard.type('alpha')
    await waitForText(alan.page, "Ada's word", { equals: 'alpha' })
    await caretToEnd(alan.page)
    await typeParagraphs(alan.page, ['beta'])
    await waitForText(ada.page, "Alan's word", { equals: 'alpha\n\nbeta' })

    // y-prosemirror groups edits typed within its capture timeout, so the number of steps is not fixed: undo until
    // Ada's word is gone (an editor handles the key synchronously, so the page is up to date when press returns).
    let presses = 0
    while ((await docText(ada.page)).includes('alpha')) {
      expect(presses, 'Ada pressed undo 10 times and her word is still there').toBeLessThan(10)
      await ada.page.keyboard.press('Control+z')
      presses++
    }
    // More undo than Ada has edits must still not touch Alan's.
    for (let i = 0; i < 3; i++) await ada.page.keyboard.press('Control+z')

    await waitForText(alan.page, "Ada's undo", { excludes: ['alpha'] })
    expect(await docText(ada.page)).toBe(await docText(alan.page))
    for (const { page } of [ada, alan]) expect((await docText(page)).trim()).toBe('beta')
    expect((await exportDoc(shared.httpUrl, room, 'text')).trim()).toBe('beta')
  }, 60_000)

  it('edits made while one page is offline merge when it reconnects', async () => {
    const room = 'e2e-offline'
    const ada = await open(room, ADA)
    const alan = await open(room, ALAN)
    await ada.page.locator('#editor .ProseMirror').click()
    await ada.page.keyboard.type('Shared start')
    await waitForText(alan.page, 'the shared start', { equals: 'Shared start' })
    await caretToEnd(alan.page)
    await alan.page.locator(`#presence .chip[data-name="${ADA.name}"]`).waitFor()

    await ada.page.evaluate(() => window.inkwell!.provider.disconnect())
    await ada.page.locator('#connection[data-status="offline"]').waitFor()
    // The server saw Ada leave, so nothing Ada types now can reach anyone.
    await alan.page.locator(`#presence .chip[data-name="${ADA.name}"]`).waitFor({ state: 'detached' })

    await caretToEnd(ada.page)
    await typeParagraphs(ada.page, ['Typed by Ada while offline'])
    await typeParagraphs(alan.page, ['Typed by Alan while Ada was away'])
    await waitForText(ada.page, "Ada's offline paragraph", { equals: 'Shared start\n\nTyped by Ada while offline' })
    expect(await docText(alan.page)).not.toContain('Typed by Ada')
    expect(await ada.page.locator('#connection').getAttribute('data-status')).toBe('offline')

    await ada.page.evaluate(() => window.inkwell!.provider.connect())
    await waitConnected(ada.page)
    const both = { includes: ['Typed by Ada while offline', 'Typed by Alan while Ada was away'] }
    const onAda = await waitForText(ada.page, 'both edits on Ada’s page', both)
    const onAlan = await waitForText(alan.page, 'both edits on Alan’s page', both)
    expect(onAda).toBe(onAlan)
    // Both paragraphs were inserted after the shared one at once; the CRDT picks one order, the same everywhere.
    const blocks = onAda.split('\n\n')
    expect(blocks[0]).toBe('Shared start')
    expect(blocks.slice(1).sort()).toEqual(['Typed by Ada while offline', 'Typed by Alan while Ada was away'])
    expect(await exportDoc(shared.httpUrl, room, 'text')).toBe(onAda)
  }, 60_000)
})

describe('what the server makes of the page', () => {
  it('the Markdown and JSON exports equal what the page shows', async () => {
    const room = 'e2e-markdown'
    const ada = await open(room, ADA)
    const { page } = ada
    await page.locator('#editor .ProseMirror').click()
    // Input rules from prosemirror-example-setup: "# " and "## " make headings, "* " a bullet list; Mod-b is bold.
    await page.keyboard.type('# Launch plan')
    await page.keyboard.press('Enter')
    await page.keyboard.type('We ship the ')
    await page.keyboard.press('Control+b')
    await page.keyboard.type('editor')
    await page.keyboard.press('Control+b')
    await page.keyboard.type(' on Monday.')
    await page.keyboard.press('Enter')
    await page.keyboard.type('* Write the docs')
    await page.keyboard.press('Enter')
    await page.keyboard.type('Test in real browsers')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Enter') // an empty last item leaves the list
    await page.keyboard.type('## Risks')
    await page.keyboard.press('Enter')
    await page.keyboard.type('None known so far.')

    // What the page shows, read from its DOM.
    const editor = page.locator('#editor .ProseMirror')
    const shown = await editor.evaluate((root) =>
      Array.from(root.children, (el) => ({
        tag: el.tagName.toLowerCase(),
        text: el.textContent,
        html: el.tagName === 'P' ? el.innerHTML : undefined,
        items: el.tagName === 'UL' ? Array.from(el.children, (li) => li.textContent) : undefined,
      })),
    )
    expect(shown).toEqual([
      { tag: 'h1', text: 'Launch plan' },
      { tag: 'p', text: 'We ship the editor on Monday.', html: 'We ship the <strong>editor</strong> on Monday.' },
      { tag: 'ul', text: 'Write the docsTest in real browsers', items: ['Write the docs', 'Test in real browsers'] },
      { tag: 'h2', text: 'Risks' },
      { tag: 'p', text: 'None known so far.', html: 'None known so far.' },
    ])

    // A second reader that has everything proves the server relayed everything, so the export must include it all.
    const alan = await open(room, ALAN)
    const pageJson = await page.evaluate(() => window.inkwell!.view.state.doc.toJSON() as unknown)
    await alan.page.waitForFunction(
      (want: string) => JSON.stringify(window.inkwell?.view.state.doc.toJSON()) === want,
      JSON.stringify(pageJson),
    )

    expect(await exportDoc(shared.httpUrl, room, 'markdown')).toBe(
      [
        '# Launch plan',
        '',
        'We ship the **editor** on Monday.',
        '',
        '* Write the docs',
        '* Test in real browsers',
        '',
        '## Risks',
        '',
        'None known so far.',
      ].join('\n'),
    )
    expect(JSON.parse(await exportDoc(shared.httpUrl, room, 'json'))).toEqual(pageJson)
  }, 60_000)

  it('a stock y-websocket client in Node and the browser see each other’s edits', async () => {
    const room = 'e2e-node-peer'
    const ada = await open(room, ADA)
    const node = connectClient(shared.wsUrl, room, { name: 'Node script' })
    nodeClients.push(node)
    await node.synced

    // Stored the way y-prosemirror stores a paragraph.
    const p = new Y.XmlElement('paragraph')
    p.insert(0, [new Y.XmlText('Inserted from Node')])
    node.doc.getXmlFragment('prosemirror').push([p])
    await waitForText(ada.page, 'the paragraph from Node', { equals: 'Inserted from Node' })
    expect(await shownBlocks(ada.page)).toEqual(['Inserted from Node'])
    await ada.page.locator('#presence .chip[data-name="Node script"]').waitFor()

    await caretToEnd(ada.page)
    await typeParagraphs(ada.page, ['Typed in the browser'])
    await waitFor(
      () => paragraphs(node.doc).join('|') === 'Inserted from Node|Typed in the browser',
      `the Node client has both paragraphs (it has ${JSON.stringify(paragraphs(node.doc))})`,
      10_000,
    )
  }, 60_000)
})

describe('a lost network', () => {
  it('after a reconnect the server finds the old, silent connection gone within seconds, and the cursor stays', async () => {
    const room = 'e2e-lost-network'
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(shared.httpUrl).port) })
    proxies.push(proxy)
    const ada = await openDoc(browser, proxy.url, room, ADA)
    contexts.push(ada.context)
    const alan = await open(room, ALAN)
    await alan.page.locator(`#presence .chip[data-name="${ADA.name}"]`).waitFor()
    await caretToEnd(ada.page)
    await typeParagraphs(ada.page, ['Before the lost network'])
    await waitForText(alan.page, 'Ada’s paragraph', { includes: ['Before the lost network'] })
    const clients = async () => ((await (await fetch(`${shared.httpUrl}/api/docs/${room}`)).json()) as { clients: number }).clients
    await eventually(clients, (n) => n === 2, 'two connections')

    // Ada's network goes: her page sees its socket reset and reconnects; the server's side stays open and silent.
    expect(proxy.cutCollabSockets()).toBe(1)
    await eventually(clients, (n) => n === 3, 'the new connection beside the lingering one')
    await waitConnected(ada.page)
    // The page renews its awareness state on connect: a newer claim on Ada's client id, so the server pings the old
    // connection at once and drops it when it does not answer (3 s), not at a heartbeat round or her next renewal.
    await eventually(clients, (n) => n === 2, 'the old connection dropped', 8_000)
    await alan.page.locator(`#presence .chip[data-name="${ADA.name}"]`).waitFor()
    expect(await presenceNames(alan.page)).toEqual([ALAN.name, ADA.name])

    // And the reconnected page edits as before.
    await caretToEnd(ada.page)
    await typeParagraphs(ada.page, ['After the lost network'])
    await waitForText(alan.page, 'Ada’s paragraph after the reconnect', { includes: ['After the lost network'] })
  }, 60_000)
})

describe('the presence bar', () => {
  it('never hides anyone: chips that do not fit become dots, then "+N" names the rest, and they come back with room', async () => {
    const room = 'e2e-presence-crowd'
    const names = Array.from({ length: 15 }, (_, i) => `Guest number ${i + 1}`)
    for (const name of names) {
      const c = connectClient(shared.wsUrl, room, { name })
      nodeClients.push(c)
      await c.synced
    }
    const ada = await open(room, ADA)
    const everyone = [ADA.name, ...names].sort()
    /** Who the bar accounts for: each chip's person, and each person a "+N" chip stands for; and whether it overflows. */
    const bar = () =>
      ada.page.locator('#presence').evaluate((list) => ({
        named: [...list.querySelectorAll('.chip')].flatMap((c) =>
          c.classList.contains('more') ? (JSON.parse(c.getAttribute('data-names') ?? '[]') as string[]) : [c.getAttribute('data-name') ?? ''],
        ),
        more: list.querySelector('.chip.more') !== null,
        compact: list.classList.contains('compact'),
        overflows: list.scrollWidth > list.clientWidth,
      }))
    // 1000 px wide: the bar shares the header row with the title and the controls. Sixteen people fit neither as
    // chips nor as dots there.
    const same = (a: string[]) => JSON.stringify([...a].sort()) === JSON.stringify(everyone)
    const crowded = await eventually(bar, (b) => same(b.named), 'the bar to account for all sixteen people')
    expect(crowded).toMatchObject({ compact: true, more: true, overflows: false })
    expect(await ada.page.locator('#presence .chip.self').getAttribute('data-name')).toBe(ADA.name)

    // Wide: a dot for everyone, no "+N".
    await ada.page.setViewportSize({ width: 2400, height: 700 })
    const wide = await eventually(bar, (b) => !b.more, 'no "+N" chip at 2400 px')
    expect(wide.overflows).toBe(false)
    expect([...wide.named].sort()).toEqual(everyone)

    // Most guests leave: the rest get their names back.
    const leaving = nodeClients.splice(0, 12)
    for (const c of leaving) c.destroy()
    const few = await eventually(bar, (b) => b.named.length === 4, 'four people left in the bar')
    expect(few).toMatchObject({ compact: false, more: false, overflows: false })
    expect(await ada.page.locator('#presence .chip-name').allTextContents()).toEqual([ADA.name, 'Guest number 13', 'Guest number 14', 'Guest number 15'])
  }, 60_000)
})

describe('the document list', () => {
  it('lists a document with who is editing it, and "New document" opens a working editor', async () => {
    const room = 'e2e-listed'
    const ada = await open(room, ADA)
    await ada.page.locator('#editor .ProseMirror').click()
    await ada.page.keyboard.type('Listed content')
    // The list shows stored documents only, and announces nothing: wait until the server has stored the edit.
    await eventually(() => exportDoc(shared.httpUrl, room, 'text').catch(() => ''), (t) => t === 'Listed content', 'the stored edit')

    const context = await newUserContext(browser, GRACE)
    contexts.push(context)
    const home = await context.newPage()
    await home.goto(`${shared.httpUrl}/`)
    const row = home.locator(`#docs li[data-name="${room}"]`)
    await row.waitFor()
    expect(await row.locator('a.doc-link').getAttribute('href')).toBe(`/d/${room}`)
    expect(await row.locator('.doc-clients').textContent()).toBe('1 editing')

    await home.locator('#new-doc').click()
    await home.waitForURL(/\/d\/[a-z0-9]{10}$/)
    const newRoom = new URL(home.url()).pathname.slice('/d/'.length)
    await waitConnected(home)
    await home.locator('#editor .ProseMirror').click()
    await home.keyboard.type('A brand new document')
    await eventually(
      () => exportDoc(shared.httpUrl, newRoom, 'text').catch(() => ''),
      (t) => t === 'A brand new document',
      'the new document stored on the server',
    )
  }, 60_000)
})

// An idle test lasts minutes by nature, so it is defined only when asked for; the default run has no skipped test.
if (process.env.INKWELL_SLOW === '1') {
  describe('an idle tab (INKWELL_SLOW=1)', () => {
    it('a lone tab left idle for 70 s stays connected without reconnecting, and still edits afterwards', async () => {
      const room = 'e2e-idle'
      // Alone in the room: its only traffic is its own awareness renewal every 15 s, so this is the tab that would
      // hit y-websocket's 30 s silence timeout (and loop reconnecting) if the server did not echo renewals back.
      const ada = await open(room, ADA)
      await ada.page.evaluate(() => {
        const w = window as unknown as { e2eCloses: number }
        w.e2eCloses = 0
        window.inkwell!.provider.on('connection-close', () => w.e2eCloses++)
      })
      await recordBadge(ada.page)
      // The point is that nothing happens for longer than that timeout, twice over: this one waits for a duration.
      await ada.page.waitForTimeout(70_000)
      expect(await ada.page.evaluate(() => (window as unknown as { e2eCloses: number }).e2eCloses)).toBe(0)
      expect(await badgeHistory(ada.page)).toEqual(['connected'])

      const alan = await open(room, ALAN)
      await ada.page.locator('#editor .ProseMirror').click()
      await ada.page.keyboard.type('Still here')
      await waitForText(alan.page, 'an edit after the idle time', { equals: 'Still here' })
      expect(await ada.page.evaluate(() => (window as unknown as { e2eCloses: number }).e2eCloses)).toBe(0)
    }, 100_000)
  })
}
