/**
 * Helpers for the browser tests: a headless Debian Chromium driven by playwright-core, pages opened as named users,
 * and reads of what a page shows. Everything here talks to the product from outside: the built editor over HTTP,
 * the page's DOM and the `window.inkwell` handles the editor exposes for tests, and the HTTP export API.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { ChildServer } from '../server/test/child-server.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Without the background-networking flags Chromium floods the closed network with refused connections. */
const CHROME_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', headless: true, args: CHROME_ARGS })
}

/**
 * Builds the editor into client/dist unless it is there: the server only serves a built editor, and `--dev` (what
 * the child server runs) does not build it. CI runs on a fresh clone, where it is missing.
 */
export function ensureClientBuilt(): void {
  const built = join(ROOT, 'client/dist/index.html')
  if (existsSync(built)) {
    const newer = newestSource()
    if (newer !== null && newer.mtimeMs > statSync(built).mtimeMs) {
      // Not rebuilt here: another run may be serving this directory, and vite empties it first. Said loudly instead,
      // because a test of an old build can pass or fail for reasons that are no longer in the code.
      process.stderr.write(`e2e: client/dist is older than ${newer.path}: these tests run the old editor; run \`npm run build\`\n`)
    }
    return
  }
  const vite = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(ROOT, 'client/vite.config.ts'), '--logLevel', 'warn'],
    { cwd: ROOT, encoding: 'utf8' },
  )
  if (vite.status !== 0 || !existsSync(join(ROOT, 'client/dist/index.html'))) {
    throw new Error(
      `building the editor for the browser tests failed (exit ${vite.status ?? vite.signal}); ` +
        `run \`npm run build\` to see why:\n${vite.stderr}${vite.stdout}`,
    )
  }
}

/** The most recently modified file the editor is built from (tests excluded). */
function newestSource(): { path: string; mtimeMs: number } | null {
  let newest: { path: string; mtimeMs: number } | null = null
  const visit = (rel: string) => {
    const full = join(ROOT, rel)
    if (!existsSync(full)) return
    const st = statSync(full)
    if (st.isDirectory()) {
      for (const name of readdirSync(full)) visit(join(rel, name))
    } else if (!rel.endsWith('.test.ts') && (newest === null || st.mtimeMs > newest.mtimeMs)) {
      newest = { path: rel, mtimeMs: st.mtimeMs }
    }
  }
  for (const rel of ['client/src', 'client/index.html', 'client/vite.config.ts', 'shared']) visit(rel)
  return newest
}

/** The identity the editor keeps in localStorage under `inkwell:user` (client/src/user.ts). */
export interface User {
  name: string
  color: string
}

export interface UserPage {
  context: BrowserContext
  page: Page
}

/**
 * Opens `room` in a fresh browser context (its own localStorage, so its own identity) as `user`, and resolves once
 * the connection badge says the document has synced with the server.
 */
export async function openDoc(
  browser: Browser,
  httpUrl: string,
  room: string,
  user: User,
  viewport = { width: 1000, height: 700 },
): Promise<UserPage> {
  const context = await newUserContext(browser, user, viewport)
  const page = await context.newPage()
  await page.goto(`${httpUrl}/d/${encodeURIComponent(room)}`)
  await waitConnected(page)
  return { context, page }
}

/** A browser context whose pages start with `user` stored as the editor's identity. */
export async function newUserContext(
  browser: Browser,
  user: User,
  viewport = { width: 1000, height: 700 },
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport })
  // Well inside a test's own timeout, so that a wait that never ends fails with its own message.
  context.setDefaultTimeout(10_000)
  await context.addInitScript((u: User) => localStorage.setItem('inkwell:user', JSON.stringify(u)), user)
  return context
}

export async function waitConnected(page: Page, timeout = 10_000): Promise<void> {
  await page.locator('#connection[data-status="connected"]').waitFor({ timeout })
}

/**
 * Puts the caret at the end of a top-level block (`block`: its index, negative counts from the end; the default is
 * the last block, i.e. the end of the document), the way a user does: a click right of the block's last line, then
 * End. Resolves once the editor's own selection is there.
 *
 * Why it checks and retries: ProseMirror learns of a native caret move only from the `selectionchange` event that
 * follows it, and a view update arriving in between (a collaborator's edit, or just their caret moving, which
 * redraws decorations) puts the DOM selection back where the editor state still has it. prosemirror-view guards
 * against that only for mouse drags (see the comment above `selectionToDOM` in its `updateStateInner`). A user
 * would simply press End again; so does this.
 */
export async function caretToEnd(page: Page, block = -1): Promise<void> {
  const blocks = page.locator('#editor .ProseMirror > *')
  for (let attempt = 1; ; attempt++) {
    const target = block < 0 ? blocks.nth((await blocks.count()) + block) : blocks.nth(block)
    const box = await target.boundingBox()
    if (box === null) throw new Error(`block ${block} of the editor is not displayed`)
    await target.click({ position: { x: box.width - 2, y: box.height - 3 } })
    await page.keyboard.press('End')
    const there = await page
      .waitForFunction(
        (index: number) => {
          const { state } = window.inkwell!.view
          const { doc, selection } = state
          const i = index < 0 ? doc.childCount + index : index
          let start = 0
          for (let k = 0; k < i; k++) start += doc.child(k).nodeSize
          const node = doc.child(i)
          // The end of the last textblock inside the block (the block itself if it is one).
          let end = node.isTextblock ? start + 1 + node.content.size : -1
          node.descendants((n, offset) => {
            if (n.isTextblock) end = start + 1 + offset + 1 + n.content.size
          })
          return selection.empty && selection.head === end
        },
        block,
        { timeout: 2_000, polling: 'raf' },
      )
      .then(
        () => true,
        () => false,
      )
    if (there) return
    if (attempt === 3) throw new Error(`the caret did not stay at the end of block ${block} after ${attempt} tries`)
  }
}

/**
 * The page's document as plain text, made exactly as the server's `?format=text` export makes it (blocks joined by a
 * blank line, hard breaks as newlines), so the two can be compared.
 */
export function docText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const doc = window.inkwell!.view.state.doc
    return doc.textBetween(0, doc.content.size, '\n\n', (leaf) => (leaf.type.name === 'hard_break' ? '\n' : ''))
  })
}

/**
 * The text of each top-level block as drawn in the editor's DOM, without other people's caret labels (which are
 * drawn inside the text). This is what a reader sees, independently of the editor state.
 */
export function shownBlocks(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.querySelector('#editor .ProseMirror')!
    return Array.from(root.children, (block) => {
      const copy = block.cloneNode(true) as Element
      for (const caret of copy.querySelectorAll('.ProseMirror-yjs-cursor')) caret.remove()
      return (copy.textContent ?? '').replace(/\u2060/g, '')
    })
  })
}

/** Another person's caret as a page draws it: the name on its label, and where it stands in which block. */
export interface ShownCaret {
  name: string
  /** The text of the top-level block holding the caret, without caret labels. */
  block: string
  /** How many characters of that block come before the caret. */
  offset: number
}

/** Every remote caret drawn in the page's editor. */
export function remoteCarets(page: Page): Promise<ShownCaret[]> {
  return page.evaluate(() => {
    const root = document.querySelector('#editor .ProseMirror')!
    const carets: ShownCaret[] = []
    for (const block of Array.from(root.children)) {
      const live = block.querySelectorAll('.ProseMirror-yjs-cursor')
      live.forEach((caret, i) => {
        // Measured on a copy: the editor observes its own DOM, and this must not look like an edit to it.
        const copy = block.cloneNode(true) as Element
        copy.querySelectorAll('.ProseMirror-yjs-cursor').forEach((c, j) => c.replaceWith(j === i ? '\u0001' : ''))
        const text = (copy.textContent ?? '').replace(/\u2060/g, '')
        carets.push({
          name: caret.querySelector('div')?.textContent ?? '',
          block: text.replace('\u0001', ''),
          offset: text.indexOf('\u0001'),
        })
      })
    }
    return carets
  })
}

/** The names in the page's presence bar, in the order shown. */
export function presenceNames(page: Page): Promise<string[]> {
  return page.locator('#presence .chip').evaluateAll((chips) => chips.map((c) => c.getAttribute('data-name') ?? ''))
}

/**
 * Starts recording every value the connection badge's `data-status` takes from now on, in the page; read them back
 * with `badgeHistory`.
 */
export async function recordBadge(page: Page): Promise<void> {
  await page.evaluate(() => {
    const badge = document.getElementById('connection')!
    const seen: string[] = [badge.dataset.status ?? '']
    ;(window as unknown as { e2eBadge: string[] }).e2eBadge = seen
    new MutationObserver(() => {
      const status = badge.dataset.status ?? ''
      if (seen[seen.length - 1] !== status) seen.push(status)
    }).observe(badge, { attributes: true, attributeFilter: ['data-status'] })
  })
}

export function badgeHistory(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { e2eBadge: string[] }).e2eBadge)
}

/**
 * Re-reads `read()` until `ok` accepts its value (bounded by `timeout`), for state that lives on the server and
 * announces no change, such as what an export contains. Returns the accepted value.
 */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout
  let last: T | undefined
  for (;;) {
    last = await read()
    if (ok(last)) return last
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** What to wait for in a page's document text: all given conditions must hold. */
export interface TextCondition {
  equals?: string
  includes?: string[]
  excludes?: string[]
}

/**
 * Waits until the page's document text (as `docText` reads it) meets `cond`, and returns that text. On timeout the
 * error names what was awaited and shows the text the page had, which is what one needs to see a divergence.
 */
export async function waitForText(page: Page, what: string, cond: TextCondition, timeout = 15_000): Promise<string> {
  try {
    await page.waitForFunction(
      (c: TextCondition) => {
        const doc = window.inkwell?.view.state.doc
        if (!doc) return false
        const text = doc.textBetween(0, doc.content.size, '\n\n', (leaf) => (leaf.type.name === 'hard_break' ? '\n' : ''))
        return (
          (c.equals === undefined || text === c.equals) &&
          (c.includes ?? []).every((s) => text.includes(s)) &&
          !(c.excludes ?? []).some((s) => text.includes(s))
        )
      },
      cond,
      { timeout, polling: 20 },
    )
  } catch (err) {
    const text = await docText(page).catch((e: Error) => `<unreadable: ${e.message}>`)
    throw new Error(
      `timed out after ${timeout} ms waiting for ${what} (${JSON.stringify(cond)}); the page has:\n` +
        `${JSON.stringify(text)}\n(${(err as Error).message.split('\n')[0]})`,
    )
  }
  return docText(page)
}

/** `GET /api/docs/<room>/export?format=…` as text; throws with the server's answer on a non-200. */
export async function exportDoc(httpUrl: string, room: string, format: 'markdown' | 'html' | 'json' | 'text'): Promise<string> {
  const res = await fetch(`${httpUrl}/api/docs/${encodeURIComponent(room)}/export?format=${format}`)
  const body = await res.text()
  if (res.status !== 200) throw new Error(`export of ${room} as ${format} answered ${res.status}: ${body}`)
  return body
}

/**
 * Stops a child server: SIGTERM (a clean shutdown), then SIGKILL if it has not exited within `graceMs`. Resolves once
 * the process is gone.
 */
export async function stopServer(server: ChildServer, graceMs = 5_000): Promise<void> {
  const { proc } = server
  if (proc.exitCode !== null || proc.signalCode !== null) return
  proc.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const gone = await Promise.race([
    server.exited.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ])
  clearTimeout(timer)
  if (!gone) {
    proc.kill('SIGKILL')
    await server.exited
  }
}
