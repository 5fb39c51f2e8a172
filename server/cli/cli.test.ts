/**
 * The admin CLI as an operator runs it: `node scripts/inkwell.mjs <command>` in a child process, on a temporary data
 * directory, with the server stopped or running (an in-process test server, so the child reaches it over HTTP).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { SqliteLog } from '../storage/sqlite/db.ts'
import { addParagraph, connectClient, paragraphs, startTestServer, waitFor, type TestClient, type TestServer } from '../test/harness.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI without blocking this process's event loop (an in-process server must keep answering it). */
function inkwell(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const { AUTH_SECRET: _drop, ...base } = process.env
    const child = spawn(process.execPath, [join(ROOT, 'scripts/inkwell.mjs'), ...args], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c))
    child.stderr.on('data', (c: Buffer) => (stderr += c))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function tmp(prefix = 'inkwell-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

function client(t: TestServer, room: string): TestClient {
  const c = connectClient(t.wsUrl, room)
  cleanup.push(() => c.destroy())
  return c
}

const MARKDOWN = '# Notes\n\nSome *emphasis* and **strong** text.\n\n* one\n* two'

describe('inkwell CLI on a stopped server', () => {
  it('import, list, export, compact, verify, delete and backup each do their job', { timeout: 90_000 }, async () => {
    const dir = tmp()
    const env = { DATA_DIR: dir }
    const files = tmp('inkwell-files-')
    writeFileSync(join(files, 'notes.md'), MARKDOWN)
    writeFileSync(join(files, 'page.html'), '<h1>Page</h1><p>from <em>html</em></p>')

    // import creates the database and the document.
    const imported = await inkwell(['import', 'notes', join(files, 'notes.md')], env)
    expect(imported.stderr).toMatch(/imported .*notes\.md into "notes" .*no server running/)
    expect(imported.code).toBe(0)
    expect((await inkwell(['import', 'page', join(files, 'page.html')], env)).code).toBe(0)

    const list = await inkwell(['list'], env)
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^NAME\s+SIZE\s+RECORDS\s+LAST EDIT\s+QUARANTINED\n/)
    expect(list.stdout).toMatch(/\nnotes\s+\d+(\.\d)? (B|KiB)\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+0\n/)
    const json = JSON.parse((await inkwell(['list', '--json'], env)).stdout)
    expect(json.map((d: { name: string }) => d.name)).toEqual(['notes', 'page'])

    // Every import format, exported again in the same format, is the same document.
    const md = await inkwell(['export', 'notes', '--format', 'markdown'], env)
    expect(md.stdout).toBe(`${MARKDOWN}\n`)
    expect((await inkwell(['export', 'page', '--format', 'markdown'], env)).stdout).toBe('# Page\n\nfrom *html*\n')
    const pmJson = join(files, 'notes.json')
    expect((await inkwell(['export', 'notes', '--format', 'json', '--out', pmJson], env)).code).toBe(0)
    expect((await inkwell(['import', 'from-json', pmJson], env)).code).toBe(0)
    expect((await inkwell(['export', 'from-json', '--format', 'json'], env)).stdout).toBe(`${readFileSync(pmJson, 'utf8')}\n`)
    const yjsFile = join(files, 'notes.yjs')
    expect((await inkwell(['export', 'notes', '--format', 'yjs', '--out', yjsFile], env)).code).toBe(0)
    expect((await inkwell(['import', 'from-yjs', yjsFile], env)).code).toBe(0)
    expect((await inkwell(['export', 'from-yjs', '--format', 'markdown'], env)).stdout).toBe(`${MARKDOWN}\n`)
    // Importing again replaces the content.
    expect((await inkwell(['import', 'notes', join(files, 'page.html')], env)).code).toBe(0)
    expect((await inkwell(['export', 'notes', '--format', 'text'], env)).stdout).toBe('Page\n\nfrom html\n')

    const compact = await inkwell(['compact'], env)
    expect(compact.code).toBe(0)
    expect(compact.stdout).toMatch(/compacted 4 document\(s\): 5 records became 4/)
    expect(compact.stderr).toMatch(/^compacting: 0\/4 \(0%\)\n/) // plain progress lines when not on a terminal
    expect((await inkwell(['export', 'notes', '--format', 'text'], env)).stdout).toBe('Page\n\nfrom html\n')

    const verify = await inkwell(['verify'], env)
    expect(verify.code).toBe(0)
    expect(verify.stdout).toMatch(/ok: 4 document\(s\) verified/)

    const backupFile = join(files, 'backup.db')
    const backup = await inkwell(['backup', backupFile], env)
    expect(backup.code).toBe(0)
    expect(backup.stdout).toMatch(/backed up 4 document\(s\) to .*backup\.db/)
    const again = await inkwell(['backup', backupFile], env)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already exists: choose a new file name/)

    const deleted = await inkwell(['delete', 'page'], env)
    expect(deleted.code).toBe(0)
    expect(JSON.parse((await inkwell(['list', '--json'], env)).stdout).map((d: { name: string }) => d.name)).toEqual(['from-json', 'from-yjs', 'notes'])
    const gone = await inkwell(['export', 'page'], env)
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/no document named "page": see `inkwell list`/)
    expect((await inkwell(['delete', 'page'], env)).code).toBe(1)

    // The backup, restored, has what was there when it was taken.
    const restored = tmp()
    copyFileSync(backupFile, join(restored, 'inkwell.db'))
    expect((await inkwell(['export', 'page', '--format', 'markdown'], { DATA_DIR: restored })).stdout).toBe('# Page\n\nfrom *html*\n')
  })

  it('usage errors exit 2 and failures exit 1, each with one line that says what to do', async () => {
    const dir = tmp()
    const noDb = await inkwell(['list'], { DATA_DIR: dir })
    expect(noDb.code).toBe(1)
    expect(noDb.stderr).toBe(`inkwell: no database at ${join(dir, 'inkwell.db')}: pass --data-dir (or set DATA_DIR) to the server's data directory\n`)
    expect((await inkwell(['frobnicate'])).code).toBe(2)
    expect((await inkwell(['export'], { DATA_DIR: dir })).code).toBe(2)
    const badName = await inkwell(['export', '../etc', '--data-dir', dir])
    expect(badName.code).toBe(2)
    expect(badName.stderr).toMatch(/room name/)
    const format = await inkwell(['import', 'x', 'notes.txt'], { DATA_DIR: dir })
    expect(format.code).toBe(2)
    expect(format.stderr).toMatch(/name it \.md, \.html, \.json or \.yjs, or add --format/)
    expect((await inkwell(['list', '--bogus'], { DATA_DIR: dir })).code).toBe(2)
    expect((await inkwell(['help'])).code).toBe(0)
  })

  it('verify reports a record that is not a valid update, and a flipped byte, and exits 1', async () => {
    const dir = tmp()
    const log = new SqliteLog(join(dir, 'inkwell.db'), 'fsync')
    const good = new Y.Doc()
    addParagraph(good, 'fine')
    log.appendBatch([
      { room: 'healthy', update: Y.encodeStateAsUpdate(good) },
      { room: 'poisoned', update: Y.encodeStateAsUpdate(good) },
      // A valid frame for the log (checksum and all), but not a Yjs update.
      { room: 'poisoned', update: new Uint8Array([0, 7, 1, 2, 3, 250, 250]) },
    ])
    log.db.prepare("UPDATE records SET crc = crc + 1 WHERE room = 'healthy'").run()
    log.close()

    const verify = await inkwell(['verify'], { DATA_DIR: dir })
    expect(verify.code).toBe(1)
    expect(verify.stdout).toMatch(/problem: "healthy": 1 record\(s\) fail their checksum/)
    expect(verify.stdout).toMatch(/problem: "poisoned": record \d+ does not apply/)
    expect(verify.stdout).toMatch(/2 problem\(s\) in 2 document\(s\)/)
    // verify changed nothing: the server would still find and quarantine both.
    const after = new SqliteLog(join(dir, 'inkwell.db'), 'fsync', { readonly: true })
    expect(after.list().map((d) => [d.name, d.records, d.quarantined])).toEqual([
      ['healthy', 1, 0],
      ['poisoned', 2, 0],
    ])
    after.close()
  })
})

describe('inkwell CLI beside a running server', () => {
  it('import and delete go through the server: clients see the import live and are closed with 4404', { timeout: 60_000 }, async () => {
    const t = await startTestServer()
    cleanup.push(() => t.dispose())
    const env = { DATA_DIR: t.dataDir }
    const a = client(t, 'live')
    await a.synced
    addParagraph(a.doc, 'typed before')
    const files = tmp('inkwell-files-')
    writeFileSync(join(files, 'new.md'), 'imported *live*')

    const imported = await inkwell(['import', 'live', join(files, 'new.md')], env)
    expect(imported.code).toBe(0)
    expect(imported.stderr).toMatch(/through the server at http:\/\/127\.0\.0\.1:\d+/)
    await waitFor(() => a.doc.getXmlFragment('prosemirror').toString().includes('<em>live</em>'), 'the client saw the import')
    expect(a.doc.getXmlFragment('prosemirror').length).toBe(1)

    // Read-only commands and compact open the database directly, beside the server.
    expect((await inkwell(['export', 'live', '--format', 'markdown'], env)).stdout).toBe('imported *live*\n')
    expect((await inkwell(['compact', 'live'], env)).code).toBe(0)
    expect((await inkwell(['verify'], env)).code).toBe(0)
    // The server keeps storing edits after a compaction from outside.
    addParagraph(a.doc, 'typed after compaction')
    await waitFor(() => t.server.registry.peek('live')?.doc.getXmlFragment('prosemirror').length === 2, 'server has the edit')
    await t.server.registry.peek('live')!.whenDurable()
    expect((await inkwell(['export', 'live', '--format', 'text'], env)).stdout).toBe('imported live\n\ntyped after compaction\n')

    const codes: number[] = []
    a.provider.on('connection-close', (e: CloseEvent | null) => e && codes.push(e.code))
    const deleted = await inkwell(['delete', 'live'], env)
    expect(deleted.code).toBe(0)
    expect(deleted.stderr).toMatch(/deleted "live" through the server .*1 connection\(s\) closed/)
    await waitFor(() => codes.includes(4404), 'the client was closed with 4404')
    expect(a.provider.shouldConnect).toBe(false)
    expect((await inkwell(['list', '--json'], env)).stdout).toBe('[]\n')
  })

  it('with auth on, the CLI needs AUTH_SECRET and signs an admin token with it', { timeout: 60_000 }, async () => {
    const secret = 'cli-test-secret-that-is-long-enough-0123456789'
    const t = await startTestServer({ AUTH_SECRET: secret })
    cleanup.push(() => t.dispose())
    const files = tmp('inkwell-files-')
    writeFileSync(join(files, 'doc.md'), 'guarded')
    const without = await inkwell(['import', 'guarded', join(files, 'doc.md')], { DATA_DIR: t.dataDir })
    expect(without.code).toBe(1)
    expect(without.stderr).toMatch(/requires tokens: export the AUTH_SECRET it runs with/)
    const withSecret = await inkwell(['import', 'guarded', join(files, 'doc.md')], { DATA_DIR: t.dataDir, AUTH_SECRET: secret })
    expect(withSecret.code).toBe(0)
    expect((await inkwell(['export', 'guarded', '--format', 'text'], { DATA_DIR: t.dataDir })).stdout).toBe('guarded\n')
  })

  it('a server refuses to start while an admin command holds the data directory, and the CLI refuses a live lock it does not own', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'server.json'), JSON.stringify({ pid: process.pid, holder: 'cli', startedAt: 'now' }))
    await expect(startTestServer({}, { dataDir: dir })).rejects.toThrow(/an admin command \(pid \d+\) is using the data directory/)
    const files = tmp('inkwell-files-')
    writeFileSync(join(files, 'x.md'), 'x')
    const refused = await inkwell(['import', 'x', join(files, 'x.md')], { DATA_DIR: dir })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/is using the data directory/)
    expect(existsSync(join(dir, 'inkwell.db'))).toBe(false)
  })

  it('backup while clients type is consistent: restored, it holds everything relayed before it began', { timeout: 90_000 }, async () => {
    const t = await startTestServer()
    cleanup.push(() => t.dispose())
    const writers = [client(t, 'busy'), client(t, 'busy')]
    const observer = client(t, 'busy')
    await Promise.all([...writers, observer].map((c) => c.synced))
    let typing = true
    let n = 0
    const typed = (async () => {
      while (typing) {
        addParagraph(writers[n % 2].doc, `p${n++}`)
        await new Promise((r) => setTimeout(r, 2))
      }
    })()
    await waitFor(() => paragraphs(observer.doc).length >= 50, 'some typing went through')
    // Everything the observer has seen was stored before the server relayed it.
    const seenBefore = Y.encodeStateAsUpdate(observer.doc)
    const file = join(tmp('inkwell-backup-'), 'during.db')
    const backup = await inkwell(['backup', file], { DATA_DIR: t.dataDir })
    expect(backup.code).toBe(0)
    typing = false
    await typed
    await waitFor(() => paragraphs(observer.doc).length === n, 'observer caught up')

    const restoredDir = tmp()
    copyFileSync(file, join(restoredDir, 'inkwell.db'))
    const restored = await startTestServer({}, { dataDir: restoredDir })
    cleanup.push(() => restored.dispose())
    const snapshot = new Uint8Array(await (await fetch(`${restored.httpUrl}/api/docs/busy/export?format=yjs`)).arrayBuffer())
    expect((await (await fetch(`${restored.httpUrl}/api/docs/busy`)).json()).quarantined).toBe(0)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, snapshot)
    const restoredParagraphs = paragraphs(doc)
    // Nothing relayed before the backup is missing, and nothing in it was never seen by the clients.
    const before = new Y.Doc()
    Y.applyUpdate(before, seenBefore)
    for (const p of paragraphs(before)) expect(restoredParagraphs).toContain(p)
    for (const p of restoredParagraphs) expect(paragraphs(observer.doc)).toContain(p)
    expect(restoredParagraphs.length).toBeGreaterThanOrEqual(paragraphs(before).length)
  })
})
