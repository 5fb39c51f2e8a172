/**
 * Makes the README screenshot: two people writing one document, side by side, each page showing the other's named
 * caret. Starts its own server on a temporary data directory and builds the editor first if it is not built.
 *
 *   npx tsx scripts/screenshot.ts [out.png]      (default docs/screenshot.png)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { spawnServer, type ChildServer } from '../server/test/child-server.ts'
import { caretToEnd, ensureClientBuilt, launchBrowser, openDoc, stopServer, waitForText, type User } from '../e2e/browser.ts'

const ADA: User = { name: 'Ada Lovelace', color: '#a61e4d' }
const ALAN: User = { name: 'Alan Turing', color: '#1864ab' }
// Wide enough for the header to show both presence chips in full (at 1000 px it scrolls them out of sight).
const TAB = { width: 1100, height: 620 }
const GAP = 16

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'docs/screenshot.png')
  ensureClientBuilt()
  const dataDir = mkdtempSync(join(tmpdir(), 'inkwell-screenshot-'))
  let server: ChildServer | undefined
  let browser: Browser | undefined
  try {
    ;[server, browser] = await Promise.all([spawnServer({ DATA_DIR: dataDir }), launchBrowser()])
    const room = 'launch-notes'
    const ada = (await openDoc(browser, server.httpUrl, room, ADA, TAB)).page
    const alan = (await openDoc(browser, server.httpUrl, room, ALAN, TAB)).page

    await ada.locator('#editor .ProseMirror').click()
    await ada.keyboard.type('# Launch notes')
    await ada.keyboard.press('Enter')
    await ada.keyboard.type('We open the beta to the first hundred teams on Monday. ')
    await ada.keyboard.type('The editor, the export menu and the document list are ready.')
    await waitForText(alan, 'Ada’s paragraph', { includes: ['document list are ready.'] })

    await caretToEnd(alan)
    await alan.keyboard.press('Enter')
    await alan.keyboard.type('## Before Monday')
    await alan.keyboard.press('Enter')
    await alan.keyboard.type('* Write the self-hosting guide')
    await alan.keyboard.press('Enter')
    await alan.keyboard.type('Run the crash tests on the release build')
    await alan.keyboard.press('Enter')
    await alan.keyboard.type('Invite the first teams')
    await waitForText(ada, 'Alan’s list', { includes: ['Invite the first teams'] })

    // Ada adds to her paragraph while Alan's caret sits in his list: two carets in two places.
    await caretToEnd(ada, 1)
    await ada.keyboard.type(' Feedback goes to the launch channel.')
    await waitForText(alan, 'Ada’s last sentence', { includes: ['launch channel.'] })

    await caretLabel(ada, ALAN.name)
    await caretLabel(alan, ADA.name)
    const [left, right] = await Promise.all([ada.screenshot(), alan.screenshot()])
    const composed = await compose(browser, left, right)
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, composed)
    process.stdout.write(`wrote ${out}\n`)
  } finally {
    await browser?.close()
    if (server) await stopServer(server)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Waits until the page draws the caret of `name` with its label visible. */
async function caretLabel(page: Page, name: string): Promise<void> {
  await page.locator('#editor .ProseMirror-yjs-cursor > div', { hasText: name }).waitFor({ state: 'visible' })
}

/** Both tab screenshots side by side in one PNG, laid out by a third page. */
async function compose(browser: Browser, left: Buffer, right: Buffer): Promise<Buffer> {
  const page = await browser.newPage({ viewport: { width: TAB.width * 2 + GAP * 3, height: TAB.height + GAP * 2 } })
  const img = (png: Buffer) => `<img src="data:image/png;base64,${png.toString('base64')}" width="${TAB.width}" height="${TAB.height}">`
  await page.setContent(
    `<body style="margin:0;padding:${GAP}px;display:flex;gap:${GAP}px;background:#dee2e6">` +
      `<style>img{display:block;border-radius:6px;box-shadow:0 2px 8px rgb(0 0 0 / 0.18)}</style>` +
      `${img(left)}${img(right)}</body>`,
  )
  await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0))
  const png = await page.screenshot()
  await page.close()
  return png
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshot failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
