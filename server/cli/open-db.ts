/** The database of the data directory, opened for an admin command. */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { acquireLock, LockError } from '../ops/lock.ts'
import { SqliteLog } from '../storage/sqlite/db.ts'
import { DB_FILE } from '../storage/sqlite/store.ts'
import { CliError, type Cli } from './context.ts'

export function dbFile(cli: Cli): string {
  return join(cli.dataDir, DB_FILE)
}

/**
 * Opens the database. Read-only connections never change anything, even records that fail their checksum (the
 * server quarantines those when it loads the room); they read beside a running server thanks to WAL. Writers wait
 * up to busy_timeout (5 s) for a running server's commit.
 */
export function openDb(cli: Cli, mode: 'read' | 'write' | 'create'): SqliteLog {
  const file = dbFile(cli)
  if (mode === 'create') mkdirSync(cli.dataDir, { recursive: true })
  else if (!existsSync(file)) {
    throw new CliError(`no database at ${file}: pass --data-dir (or set DATA_DIR) to the server's data directory`)
  }
  try {
    return new SqliteLog(file, 'fsync', { readonly: mode === 'read' })
  } catch (err) {
    throw new CliError(`cannot open ${file}: ${(err as Error).message}`)
  }
}

/**
 * Runs `use` on the database opened to change it, under the data directory's lock so that no server starts
 * meanwhile (see server/ops/lock.ts). The database is closed and the lock released as soon as `use` returns or
 * throws, so `use` must be synchronous.
 */
export function withLockedDb<T>(cli: Cli, mode: 'write' | 'create', use: (log: SqliteLog) => T): T {
  let lock
  try {
    lock = acquireLock(cli.dataDir, 'cli')
  } catch (err) {
    if (err instanceof LockError) throw new CliError(err.message)
    throw err
  }
  try {
    const log = openDb(cli, mode)
    try {
      return use(log)
    } finally {
      log.close()
    }
  } finally {
    lock.release()
  }
}
