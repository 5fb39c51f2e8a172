/**
 * The `inkwell` command line (`npm run admin -- <command>`, `npm run token -- …`). Each command lives in its own
 * module; this file only dispatches and turns errors into one line and an exit code.
 */
import { UsageError, parseArgs } from './args.ts'
import { TOKEN_USAGE, tokenCommand } from './token.ts'

const USAGE = `usage: inkwell <command> [options]
commands:
  token     issue an access token (${TOKEN_USAGE.split('\n')[0].replace('usage: inkwell token ', '')})`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'token': {
      const token = await tokenCommand(parseArgs(rest, ['admin']), process.env)
      process.stdout.write(`${token}\n`)
      return 0
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`)
      return command === undefined ? 2 : 0
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`inkwell: ${err.message}\n`)
    process.exit(err instanceof UsageError ? 2 : 1)
  },
)
