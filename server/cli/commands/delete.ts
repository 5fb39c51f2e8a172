/**
 * `inkwell delete <room>`: deletes a document's stored log (its quarantined records stay). With a server running
 * on the data directory it goes through the API, which first closes the room's connections with 4404; otherwise it
 * deletes from the database under the data directory's lock. There is no undo: `inkwell backup` first.
 */
import { DELETE_USAGE } from '../usage.ts'
import { checkFlags, type Parsed } from '../args.ts'
import { CliError, roomArg, runningServer, type Cli } from '../context.ts'
import { withLockedDb } from '../open-db.ts'
import { callServer } from '../server-api.ts'


export async function deleteCommand(p: Parsed, cli: Cli): Promise<number> {
  checkFlags(p, ['data-dir'])
  const room = roomArg(p, 0, `usage: ${DELETE_USAGE}`)
  const server = runningServer(cli)
  if (server) {
    const res = await callServer(server, cli.env, 'DELETE', `/api/docs/${room}`)
    if (res.status === 404) throw new CliError(`no document named "${room}": see \`inkwell list\``)
    if (res.status !== 200) throw new CliError(`the server refused the delete (${res.status}): ${res.body.error}`)
    cli.err.write(`deleted "${room}" through the server at ${server.url} (${res.body.clients} connection(s) closed)\n`)
    return 0
  }
  withLockedDb(cli, 'write', (log) => {
    if (!log.delete(room)) throw new CliError(`no document named "${room}": see \`inkwell list\``)
  })
  cli.err.write(`deleted "${room}" from ${cli.dataDir}\n`)
  return 0
}
