/**
 * The `inkwell` command line (`npx inkwell <command>`, `npm run admin -- <command>`). Each command lives in its own
 * module; this file only dispatches and turns errors into one line and an exit code: 0 ok, 1 failure (the message
 * says what to do), 2 usage.
 */
import { UsageError, parseArgs } from './args.ts'
import { TOKEN_USAGE, tokenCommand } from './token.ts'
import { CliError, cliContext } from './context.ts'
import {
  BACKUP_USAGE,
  COMPACT_USAGE,
  DELETE_USAGE,
  EXPORT_USAGE,
  IMPORT_USAGE,
  LIST_USAGE,
  VERIFY_USAGE,
} from './usage.ts'

const USAGE = `usage: inkwell <command> [options]

Documents (the data directory is --data-dir DIR, else DATA_DIR, else ./data):
  ${LIST_USAGE}
      every stored document with its size, records, last edit and quarantined records
  ${EXPORT_USAGE}
      a document's content (default json) to stdout or FILE
  ${IMPORT_USAGE}
      REPLACES the document's content with a Markdown, HTML or ProseMirror JSON file (a .yjs update is merged
      instead); creates the document if needed. With a server running on the data directory this goes through its
      API, so connected editors see the change live (set AUTH_SECRET if the server uses auth).
  ${DELETE_USAGE}
      deletes a document; connected editors are closed with 4404. There is no undo: back up first.

Maintenance (safe while the server runs):
  ${COMPACT_USAGE}
      replaces each update log (or one room's) with a single snapshot; content does not change
  ${VERIFY_USAGE}
      loads every document as the server would and reports damaged records; exits 1 if any
  ${BACKUP_USAGE}
      a consistent copy of the database; refuses to overwrite FILE. Restore: stop the server, copy FILE to
      inkwell.db in an empty data directory, start the server on it.

Access:
  ${TOKEN_USAGE.replace('usage: ', '')}

Exit codes: 0 ok, 1 failure, 2 usage.`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'token': {
      const token = await tokenCommand(parseArgs(rest, ['admin']), process.env)
      process.stdout.write(`${token}\n`)
      return 0
    }
    case 'list': {
      const p = parseArgs(rest, ['json'])
      const { listCommand } = await import('./commands/list.ts')
      return listCommand(p, cliContext(p, process.env))
    }
    case 'export': {
      const p = parseArgs(rest)
      const { exportCommand } = await import('./commands/export.ts')
      return exportCommand(p, cliContext(p, process.env))
    }
    case 'import': {
      const p = parseArgs(rest)
      const { importCommand } = await import('./commands/import.ts')
      return importCommand(p, cliContext(p, process.env))
    }
    case 'delete': {
      const p = parseArgs(rest)
      const { deleteCommand } = await import('./commands/delete.ts')
      return deleteCommand(p, cliContext(p, process.env))
    }
    case 'compact': {
      const p = parseArgs(rest)
      const { compactCommand } = await import('./commands/compact.ts')
      return compactCommand(p, cliContext(p, process.env))
    }
    case 'verify': {
      const p = parseArgs(rest)
      const { verifyCommand } = await import('./commands/verify.ts')
      return verifyCommand(p, cliContext(p, process.env))
    }
    case 'backup': {
      const p = parseArgs(rest)
      const { backupCommand } = await import('./commands/backup.ts')
      return backupCommand(p, cliContext(p, process.env))
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      ;(command === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`)
      return command === undefined ? 2 : 0
    default:
      throw new UsageError(`unknown command "${command}"; run \`inkwell help\` for the list`)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    const known = err instanceof UsageError || err instanceof CliError
    process.stderr.write(`inkwell: ${known ? err.message : `${err.message} (this is a bug: please report it with the command you ran)`}\n`)
    process.exit(err instanceof UsageError ? 2 : 1)
  },
)
