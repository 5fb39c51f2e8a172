/**
 * Promise 2 (atomic storage): a crash at any instant leaves the old or the new state; a corrupt record is set aside
 * and reported while the rest of the document loads; a broken page refuses the room instead of serving less.
 * These tests damage real database files on purpose.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, openSync, readFileSync, closeSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { SqliteLog } from './db.ts'
import { buildDoc } from '../build-doc.ts'
import { rng, int } from '../../test/rng.ts'

const SLOW = process.env.INKWELL_SLOW === '1'

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'inkwell-corrupt-'))
}

/** An update from a fresh client: independent of every other, so losing one loses only its own text. */
function independentUpdate(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

function textOf(records: { update: Uint8Array }[]): string {
  const { doc } = buildDoc(records.map((r, i) => ({ seq: i, update: r.update })))
  return doc.getText('t').toString()
}

describe('torn writes', () => {
  it('a WAL cut at any byte of its last commit loads as the old state or the new one', () => {
    const dir = tmp()
    const file = join(dir, 'inkwell.db')
    const log = new SqliteLog(file, 'fsync')
    log.db.pragma('wal_autocheckpoint = 0')
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    for (const ch of 'stable') doc.getText('t').insert(doc.getText('t').length, ch)
    log.appendBatch(updates.map((update) => ({ room: 'r', update })))
    const walBefore = statSync(`${file}-wal`).size
    updates.length = 0
    doc.getText('t').insert(6, ' and new')
    log.appendBatch(updates.map((update) => ({ room: 'r', update })))
    const walAfter = statSync(`${file}-wal`).size
    expect(walAfter).toBeGreaterThan(walBefore)
    // Copy the files as a crash would leave them: the process never closed the database.
    const snapDb = readFileSync(file)
    const snapWal = readFileSync(`${file}-wal`)
    log.close()

    const stride = SLOW ? 1 : 37
    const outcomes = new Set<string>()
    for (let cut = walBefore; cut <= walAfter; cut += cut + stride > walAfter && cut !== walAfter ? walAfter - cut : stride) {
      const d = tmp()
      const f = join(d, 'inkwell.db')
      const fd = openSync(f, 'w')
      writeSync(fd, snapDb)
      closeSync(fd)
      const wfd = openSync(`${f}-wal`, 'w')
      writeSync(wfd, snapWal.subarray(0, cut))
      closeSync(wfd)
      const reopened = new SqliteLog(f, 'fsync')
      const text = textOf(reopened.load('r').records)
      reopened.close()
      expect(['stable', 'stable and new'], `WAL cut at byte ${cut}`).toContain(text)
      outcomes.add(text)
    }
    // Both outcomes occur: cuts inside the last commit lose it whole, the full WAL keeps it.
    expect(outcomes).toEqual(new Set(['stable', 'stable and new']))
  })
})

describe('damaged records', () => {
  it('a flipped byte in a middle record is quarantined, reported, and the rest of the room loads', () => {
    const dir = tmp()
    const file = join(dir, 'inkwell.db')
    const log = new SqliteLog(file, 'fsync')
    const parts = ['alpha ', 'bravo-bravo-bravo-bravo ', 'charlie ']
    log.appendBatch(parts.map((p) => ({ room: 'r', update: independentUpdate(p) })))
    log.db.pragma('wal_checkpoint(TRUNCATE)')
    log.close()
    // Find the middle record's bytes in the file and flip one inside its text.
    const bytes = readFileSync(file)
    const at = bytes.indexOf(Buffer.from('bravo-bravo'))
    expect(at).toBeGreaterThan(0)
    const fd = openSync(file, 'r+')
    writeSync(fd, Buffer.from([bytes[at + 3] ^ 0x20]), 0, 1, at + 3)
    closeSync(fd)

    const reopened = new SqliteLog(file, 'fsync')
    const loaded = reopened.load('r')
    expect(loaded.quarantined).toBe(1)
    const text = textOf(loaded.records)
    expect(text).toContain('alpha ')
    expect(text).toContain('charlie ')
    expect(text).not.toContain('bravo')
    expect(reopened.meta('r')!.quarantined).toBe(1)
    // The damaged record is kept for an operator, with the reason.
    const q = reopened.db.prepare('SELECT reason, length(data) AS n FROM quarantine WHERE room = ?').all('r') as { reason: string; n: number }[]
    expect(q).toEqual([{ reason: 'checksum mismatch', n: expect.any(Number) }])
    reopened.close()
  })

  it('a page of garbage never serves a room partly: each room loads whole or is refused', () => {
    const dir = tmp()
    const file = join(dir, 'inkwell.db')
    const log = new SqliteLog(file, 'fsync')
    const expected = new Map<string, string>()
    const r = rng(7)
    for (let i = 0; i < 40; i++) {
      const room = `room-${i}`
      let text = ''
      const ops = []
      for (let j = 0; j < 20; j++) {
        const piece = `${room}:${j}:${'x'.repeat(int(r, 10, 200))};`
        text += piece
        ops.push({ room, update: independentUpdate(piece) })
      }
      log.appendBatch(ops)
      expected.set(room, text)
    }
    log.db.pragma('wal_checkpoint(TRUNCATE)')
    const pageSize = log.db.pragma('page_size', { simple: true }) as number
    const pages = statSync(file).size / pageSize
    log.close()
    // Overwrite a page in the middle of the file with garbage.
    const page = Math.floor(pages / 2)
    const fd = openSync(file, 'r+')
    const garbage = Buffer.alloc(pageSize)
    for (let i = 0; i < pageSize; i++) garbage[i] = int(r, 0, 255)
    writeSync(fd, garbage, 0, pageSize, page * pageSize)
    closeSync(fd)

    const reopened = new SqliteLog(file, 'fsync')
    let affected = 0
    for (const [room, text] of expected) {
      let loaded
      try {
        loaded = reopened.load(room)
      } catch (err) {
        affected++
        expect((err as Error).message).toMatch(/malformed|corrupt|not a database/i)
        continue
      }
      // Loaded: it is the whole room, or the damaged records are accounted for as quarantined, never silently gone.
      if (loaded.quarantined > 0) affected++
      const got = textOf(loaded.records)
      const pieces = text.split(';').filter(Boolean)
      const present = pieces.filter((p) => got.includes(p + ';')).length
      expect(present + loaded.quarantined, room).toBeGreaterThanOrEqual(pieces.length)
    }
    reopened.close()
    // The damage was seen (refused or quarantined), not silently served.
    expect(affected).toBeGreaterThan(0)
  })
})
