/**
 * `inkwell compact [room]`: replaces each room's update log with one snapshot (one transaction per room, so a crash
 * leaves the old log or the snapshot). Content-preserving, so it is safe beside a running server: its appends wait
 * for the write lock while a room compacts, and its rooms in memory hold the same content.
 */
import { COMPACT_USAGE } from '../usage.ts'
import { checkFlags, type Parsed } from '../args.ts'
import { CliError, roomArg, type Cli } from '../context.ts'
import { openDb } from '../open-db.ts'
import { progress } from '../progress.ts'


export function compactCommand(p: Parsed, cli: Cli): number {
  checkFlags(p, ['data-dir'])
  const one = p.positional.length > 0 ? roomArg(p, 0, `usage: ${COMPACT_USAGE}`) : null
  const log = openDb(cli, 'write')
  try {
    const rooms = one ? [one] : log.list().map((d) => d.name)
    if (one && !log.meta(one)?.records) throw new CliError(`no document named "${one}": see \`inkwell list\``)
    const bar = progress('compacting', cli.err)
    let before = 0
    let quarantined = 0
    for (let i = 0; i < rooms.length; i++) {
      bar.update(i, rooms.length)
      const result = log.compact(rooms[i])
      before += result.before
      quarantined += result.quarantined
      if (result.quarantined > 0) cli.err.write(`"${rooms[i]}": ${result.quarantined} record(s) did not apply and were quarantined\n`)
    }
    bar.update(rooms.length, rooms.length)
    bar.end()
    cli.out.write(`compacted ${rooms.length} document(s): ${before} records became ${rooms.length}${quarantined ? `; ${quarantined} quarantined` : ''}\n`)
    return 0
  } finally {
    log.close()
  }
}
