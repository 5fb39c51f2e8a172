/**
 * `inkwell export <room> [--format json|html|markdown|text|yjs] [--out FILE]`: the stored document, read straight
 * from the database. Beside a running server that is everything it has relayed (it relays only what is stored).
 */
import { writeFileSync } from 'node:fs'
import * as Y from 'yjs'
import { EXPORT_FORMATS, type ExportFormat } from '../../../shared/types.ts'
import { exportSnapshot } from '../../export/export.ts'
import { EXPORT_USAGE } from '../usage.ts'
import { UsageError, checkFlags, flag, type Parsed } from '../args.ts'
import { CliError, roomArg, type Cli } from '../context.ts'
import { openDb } from '../open-db.ts'
import { loadRoomDoc } from './room-doc.ts'


export function exportCommand(p: Parsed, cli: Cli): number {
  checkFlags(p, ['data-dir', 'format', 'out'])
  const room = roomArg(p, 0, `usage: ${EXPORT_USAGE}`)
  const format = (flag(p, 'format') ?? 'json') as ExportFormat
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`unknown format "${format}": use one of ${EXPORT_FORMATS.join(', ')}`)
  const out = flag(p, 'out')
  if (format === 'yjs' && !out && cli.out.isTTY) throw new UsageError('a Yjs export is binary: add --out FILE, or redirect stdout')
  const log = openDb(cli, 'read')
  let body: string | Uint8Array
  try {
    if (!log.meta(room)?.records) throw new CliError(`no document named "${room}": see \`inkwell list\``)
    const { doc } = loadRoomDoc(log, room)
    body = exportSnapshot(Y.encodeStateAsUpdate(doc), format, room).body
    doc.destroy()
  } finally {
    log.close()
  }
  if (out) {
    writeFileSync(out, body)
    cli.err.write(`exported "${room}" as ${format} to ${out}\n`)
  } else {
    cli.out.write(typeof body === 'string' ? (body.endsWith('\n') ? body : `${body}\n`) : Buffer.from(body))
  }
  return 0
}
