/**
 * `inkwell backup <file>`: a consistent copy of the database, taken with SQLite's online backup API, so it may run
 * beside a server that is writing. SQLite restarts a backup when another connection writes meanwhile; if that keeps
 * happening the rest is copied in one step (holding a read snapshot for that step) so a busy server cannot starve it.
 *
 * The copy is written under a temporary name and linked into place at the end, so `file` never exists half-written
 * and an existing file is never overwritten. It is a single self-contained database file (rollback journal mode):
 * restore it by copying it to `inkwell.db` in an empty data directory, with the server stopped.
 */
import { existsSync, linkSync, statSync, unlinkSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { BACKUP_USAGE } from '../usage.ts'
import { UsageError, checkFlags, type Parsed } from '../args.ts'
import { CliError, type Cli } from '../context.ts'
import { openDb } from '../open-db.ts'
import { progress } from '../progress.ts'


/** Restarts tolerated before copying the rest in one step. */
const MAX_RESTARTS = 3

export async function backupCommand(p: Parsed, cli: Cli): Promise<number> {
  checkFlags(p, ['data-dir'])
  const target = p.positional[0]
  if (target === undefined) throw new UsageError(`usage: ${BACKUP_USAGE}`)
  const file = resolve(target)
  if (existsSync(file)) throw new CliError(`${file} already exists: choose a new file name (a backup never overwrites)`)
  if (!existsSync(dirname(file))) throw new CliError(`the directory ${dirname(file)} does not exist: create it first`)
  const tmp = `${file}.${process.pid}.partial`
  const log = openDb(cli, 'read')
  const bar = progress('backing up', cli.err)
  let documents = 0
  try {
    documents = log.list().length
    let restarts = 0
    let lastRemaining = Infinity
    const { totalPages } = await log.db.backup(tmp, {
      progress({ totalPages, remainingPages }) {
        if (remainingPages > lastRemaining) restarts++
        lastRemaining = remainingPages
        bar.update(totalPages - remainingPages, totalPages)
        // 64 steps for a progress bar; everything at once after repeated restarts.
        return restarts >= MAX_RESTARTS ? 0x7fffffff : Math.max(100, Math.ceil(totalPages / 64))
      },
    })
    bar.update(totalPages, totalPages) // the last step reports nothing: it resolves the promise instead
    bar.end()
    const copy = new Database(tmp)
    try {
      copy.pragma('journal_mode = DELETE')
      const check = copy.pragma('quick_check', { simple: true })
      if (check !== 'ok') throw new CliError(`the copy failed its integrity check (${check}): run \`inkwell verify\` on the data directory`)
    } finally {
      copy.close()
    }
    try {
      linkSync(tmp, file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${file} appeared while backing up: choose a new file name`)
      throw err
    }
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`backup failed: ${(err as Error).message}`)
  } finally {
    bar.end()
    log.close()
    for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) if (existsSync(f)) unlinkSync(f)
  }
  cli.out.write(`backed up ${documents} document(s) to ${file} (${statSync(file).size} bytes)\n`)
  return 0
}
