/**
 * `inkwell import <room> <file.md|.html|.json|.yjs>`: Markdown, HTML and ProseMirror JSON replace the document's
 * content; a Yjs update is merged. With a server running on the data directory the import goes through its API, so
 * connected editors see it live; with none, it is appended to the stored log directly, under the data directory's
 * lock so that no server starts meanwhile.
 */
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { CONTENT_TYPES, IMPORT_FORMATS, ImportError, formatFromFileName, importChange, parseImport, type ImportFormat } from '../../import/import.ts'
import { IMPORT_USAGE } from '../usage.ts'
import { UsageError, checkFlags, flag, type Parsed } from '../args.ts'
import { CliError, roomArg, runningServer, type Cli } from '../context.ts'
import { withLockedDb } from '../open-db.ts'
import { callServer } from '../server-api.ts'
import { loadRoomDoc } from './room-doc.ts'


export async function importCommand(p: Parsed, cli: Cli): Promise<number> {
  checkFlags(p, ['data-dir', 'format'])
  const room = roomArg(p, 0, `usage: ${IMPORT_USAGE}`)
  const file = p.positional[1]
  if (file === undefined) throw new UsageError(`usage: ${IMPORT_USAGE}`)
  const format = (flag(p, 'format') ?? formatFromFileName(file)) as ImportFormat | null
  if (!format || !IMPORT_FORMATS.includes(format)) {
    throw new UsageError(`cannot tell the format of ${file}: name it .md, .html, .json or .yjs, or add --format`)
  }
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`)
  }
  let content
  try {
    content = parseImport(bytes, format)
  } catch (err) {
    if (err instanceof ImportError) throw new CliError(`${file}: ${err.message}`)
    throw err
  }

  const server = runningServer(cli)
  if (server) {
    const res = await callServer(server, cli.env, 'PUT', `/api/docs/${room}`, { bytes, type: CONTENT_TYPES[format] })
    if (res.status !== 200) throw new CliError(`the server refused the import (${res.status}): ${res.body.error}`)
    cli.err.write(`imported ${file} into "${room}" through the server at ${server.url}\n`)
    if (res.body.warning) cli.err.write(`warning: ${res.body.warning}\n`)
    return 0
  }

  withLockedDb(cli, 'create', (log) => {
    const { doc } = loadRoomDoc(log, room)
    const updates: Uint8Array[] = []
    doc.on('update', (u: Uint8Array) => updates.push(u))
    doc.transact(() => importChange(content)(doc))
    const dropped = doc.store.pendingStructs !== null || doc.store.pendingDs !== null
    // What did not integrate is not stored, as the server would not store it (see Room.serverChange).
    if (updates.length > 0) log.appendBatch([{ room, update: updates.length === 1 ? updates[0] : Y.mergeUpdates(updates) }])
    doc.destroy()
    cli.err.write(`imported ${file} into "${room}" in ${cli.dataDir} (no server running)\n`)
    if (dropped) cli.err.write('warning: part of the update references state this document does not have and was not applied\n')
  })
  return 0
}
