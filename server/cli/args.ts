/** Minimal `--flag value` / `--flag=value` / `--switch` parsing for the CLI, with errors that name the fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export interface Parsed {
  positional: string[]
  flags: Map<string, string | true>
}

export function parseArgs(argv: string[], switches: string[] = []): Parsed {
  const positional: string[] = []
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq < 0 ? undefined : eq)
    if (eq >= 0) flags.set(name, arg.slice(eq + 1))
    else if (switches.includes(name)) flags.set(name, true)
    else {
      const value = argv[i + 1]
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`)
      flags.set(name, value)
      i++
    }
  }
  return { positional, flags }
}

export function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name)
  return typeof v === 'string' ? v : undefined
}

export function checkFlags(p: Parsed, allowed: string[]): void {
  for (const name of p.flags.keys()) {
    if (!allowed.includes(name)) throw new UsageError(`unknown option --${name}; options here: ${allowed.map((a) => `--${a}`).join(' ')}`)
  }
}
