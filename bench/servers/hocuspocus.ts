/**
 * Hocuspocus as its users run it: `@hocuspocus/server` with the SQLite extension (`@hocuspocus/extension-sqlite`),
 * default debounce (stores 2 s after the last change, at least every 10 s), one database file at $DATABASE.
 *
 * `Server.listen()` passes `address` to `http.Server.listen` as an option Node ignores, so it would listen on every
 * interface; the bench only ever targets 127.0.0.1, so the HTTP server is bound here instead. On SIGTERM it does what
 * its own `stopOnSignals` handler does: `destroy()` (closes connections, stores and unloads documents), then exits.
 *
 * Run: `DATABASE=/tmp/x/hocuspocus.sqlite node --import tsx bench/servers/hocuspocus.ts`.
 */
import { Server } from '@hocuspocus/server'
import { SQLite } from '@hocuspocus/extension-sqlite'

const database = process.env.DATABASE
if (!database) {
  process.stderr.write('hocuspocus bench server: set DATABASE to the path of its SQLite file\n')
  process.exit(2)
}

const server = new Server({
  quiet: true,
  stopOnSignals: false,
  extensions: [new SQLite({ database })],
})
server.httpServer.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  void server.destroy().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
