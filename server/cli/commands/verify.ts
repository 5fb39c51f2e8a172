/**
 * `inkwell verify`: loads every document the way the server does (checksums, then `buildDoc`) and SQLite's own
 * `quick_check`, without changing anything. Exits 1 if anything is damaged: a record that fails its checksum or does
 * not apply, data that references missing state, a document that cannot be read, or a damaged database file.
 * Records quarantined earlier are listed, not counted as damage: they were found and set aside already.
 */
import { VERIFY_USAGE } from '../usage.ts'
import { checkFlags, type Parsed } from '../args.ts'
import type { Cli } from '../context.ts'
import { openDb } from '../open-db.ts'
import { progress } from '../progress.ts'
import { loadRoomDoc } from './room-doc.ts'


export function verifyCommand(p: Parsed, cli: Cli): number {
  checkFlags(p, ['data-dir'])
  const log = openDb(cli, 'read')
  const problems: string[] = []
  const notes: string[] = []
  try {
    const fileCheck = log.db.pragma('quick_check', { simple: false }) as { quick_check: string }[]
    const fileProblems = fileCheck.map((r) => r.quick_check).filter((r) => r !== 'ok')
    for (const f of fileProblems) problems.push(`database file: ${f}`)

    const rooms = log.list().map((d) => d.name)
    const bar = progress('verifying', cli.err)
    for (let i = 0; i < rooms.length; i++) {
      bar.update(i, rooms.length)
      const room = rooms[i]
      try {
        const r = loadRoomDoc(log, room)
        r.doc.destroy()
        if (r.checksumFailures) problems.push(`"${room}": ${r.checksumFailures} record(s) fail their checksum`)
        for (const b of r.bad) problems.push(`"${room}": record ${b.seq} ${b.reason}`)
        if (r.pendingBytes) problems.push(`"${room}": ${r.pendingBytes} bytes reference state the document does not have`)
      } catch (err) {
        problems.push(`"${room}": cannot be read: ${(err as Error).message}`)
      }
    }
    bar.update(rooms.length, rooms.length)
    bar.end()
    const earlier = log.db.prepare('SELECT room, count(*) AS n FROM quarantine GROUP BY room ORDER BY room').all() as { room: string; n: number }[]
    for (const q of earlier) notes.push(`"${q.room}": ${q.n} record(s) quarantined earlier (table quarantine in ${log.db.name})`)

    for (const n of notes) cli.out.write(`note: ${n}\n`)
    for (const pr of problems) cli.out.write(`problem: ${pr}\n`)
    if (problems.length === 0) {
      cli.out.write(`ok: ${rooms.length} document(s) verified in ${cli.dataDir}\n`)
      return 0
    }
    cli.out.write(
      `${problems.length} problem(s) in ${rooms.length} document(s). The server quarantines damaged records when it loads ` +
        `a document and serves the rest; restore from a backup to recover them.\n`,
    )
    return 1
  } finally {
    log.close()
  }
}
