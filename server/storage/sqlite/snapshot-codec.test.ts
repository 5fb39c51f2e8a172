/**
 * Compaction snapshots of 1 KiB or more are stored deflate-raw compressed; appended updates are stored as they are.
 * Databases made before the `codec` column existed open and load unchanged.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateRawSync } from 'node:zlib'
import Database from 'better-sqlite3'
import * as Y from 'yjs'
import { SqliteLog } from './db.ts'
import { buildDoc } from '../build-doc.ts'

function file(): string {
  return join(mkdtempSync(join(tmpdir(), 'inkwell-codec-')), 'inkwell.db')
}

/** A document typed one character per update, as an editor sends it: the log the server keeps. */
function typed(text: string): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  const t = doc.getText('t')
  for (const ch of text) t.insert(t.length, ch)
  return { doc, updates }
}

function stored(f: string): { data: Buffer; codec: number }[] {
  const db = new Database(f, { readonly: true })
  try {
    return db.prepare('SELECT data, codec FROM records ORDER BY seq').all() as { data: Buffer; codec: number }[]
  } finally {
    db.close()
  }
}

const PROSE = 'Collaborative editing keeps every keystroke. '.repeat(80)

describe('snapshot codec', () => {
  it('stores a large snapshot compressed and loads it back as the same state', () => {
    const f = file()
    const log = new SqliteLog(f, 'fsync')
    const { doc, updates } = typed(PROSE)
    log.appendBatch(updates.map((update) => ({ room: 'r', update })))
    expect(stored(f).every((r) => r.codec === 0)).toBe(true)

    const state = Y.encodeStateAsUpdate(doc)
    log.compact('r')
    const rows = stored(f)
    expect(rows).toHaveLength(1)
    expect(rows[0].codec).toBe(1)
    expect(rows[0].data.byteLength).toBeLessThan(state.byteLength / 2)

    const { records, quarantined } = log.load('r')
    expect(quarantined).toBe(0)
    expect(Buffer.compare(Buffer.from(records[0].update), Buffer.from(state))).toBe(0)
    expect(buildDoc(records).doc.getText('t').toString()).toBe(PROSE)
    log.close()
  })

  it('gives the pages the log took back to the file system after compacting', () => {
    const f = file()
    const log = new SqliteLog(f, 'fsync')
    const { updates } = typed(PROSE)
    log.appendBatch(updates.map((update) => ({ room: 'r', update })))
    const pages = () => log.db.pragma('page_count', { simple: true }) as number
    const before = pages()
    log.compact('r')
    expect(log.db.pragma('freelist_count', { simple: true })).toBe(0)
    expect(pages()).toBeLessThan(before / 2)
    log.close()
  })

  it('keeps a small snapshot raw', () => {
    const f = file()
    const log = new SqliteLog(f, 'fsync')
    log.appendBatch(typed('hi').updates.map((update) => ({ room: 'r', update })))
    log.compact('r')
    expect(stored(f).map((r) => r.codec)).toEqual([0])
    expect(buildDoc(log.load('r').records).doc.getText('t').toString()).toBe('hi')
    log.close()
  })

  it('quarantines a compressed record that passes its checksum but does not decompress, and loads the rest', () => {
    const f = file()
    const log = new SqliteLog(f, 'fsync')
    const good = typed('kept').updates
    log.appendBatch(good.map((update) => ({ room: 'r', update })))
    const garbage = Buffer.from([0xff, 0xfe, 0xfd, 0xfc])
    log.db.prepare('INSERT INTO records (room, data, crc, at, codec) VALUES (?, ?, ?, ?, 1)').run('r', garbage, crc32(garbage), Date.now())
    const { records, quarantined } = log.load('r')
    expect(quarantined).toBe(1)
    expect(buildDoc(records).doc.getText('t').toString()).toBe('kept')
    const q = log.db.prepare('SELECT reason FROM quarantine').all() as { reason: string }[]
    expect(q.map((r) => r.reason)).toEqual([expect.stringMatching(/^cannot decompress: .*\(stored deflate-raw compressed\)$/)])
    log.close()
  })

  it('opens a database made before the codec column, read-only and read-write, and loads its records as raw', () => {
    const f = file()
    const old = new Database(f)
    old.pragma('journal_mode = WAL')
    // The schema as Inkwell 0.1 made it.
    old.exec(`CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, data BLOB NOT NULL,
                                    crc INTEGER NOT NULL, at INTEGER NOT NULL);
              CREATE INDEX records_room ON records (room, seq);
              CREATE TABLE quarantine (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, seq INTEGER,
                                       data BLOB NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
              CREATE INDEX quarantine_room ON quarantine (room);
              CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);`)
    for (const u of typed('legacy').updates) {
      old.prepare('INSERT INTO records (room, data, crc, at) VALUES (?, ?, ?, ?)').run('r', u, crc32(u), Date.now())
    }
    old.close()

    const ro = new SqliteLog(f, 'fsync', { readonly: true })
    expect(buildDoc(ro.load('r').records).doc.getText('t').toString()).toBe('legacy')
    ro.close()

    const rw = new SqliteLog(f, 'fsync')
    expect(buildDoc(rw.load('r').records).doc.getText('t').toString()).toBe('legacy')
    rw.compact('r')
    expect(buildDoc(rw.load('r').records).doc.getText('t').toString()).toBe('legacy')
    rw.close()
  })

  it('a compressed snapshot is exactly deflate-raw of the state (readable with any zlib)', () => {
    const f = file()
    const log = new SqliteLog(f, 'fsync')
    const { doc, updates } = typed(PROSE)
    log.appendBatch(updates.map((update) => ({ room: 'r', update })))
    log.compact('r')
    expect(Buffer.compare(stored(f)[0].data, deflateRawSync(Y.encodeStateAsUpdate(doc), { level: 6 }))).toBe(0)
    log.close()
  })
})
