/** `inkwell list [--json]`: every stored document, read straight from the database (safe beside a running server). */
import { LIST_USAGE } from '../usage.ts'
import { checkFlags, type Parsed } from '../args.ts'
import type { Cli } from '../context.ts'
import { openDb } from '../open-db.ts'


function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

export function listCommand(p: Parsed, cli: Cli): number {
  checkFlags(p, ['data-dir', 'json'])
  const log = openDb(cli, 'read')
  try {
    const docs = log.list()
    if (p.flags.get('json') === true) {
      cli.out.write(JSON.stringify(docs.map((d) => ({ ...d, updatedAt: d.updatedAt === null ? null : new Date(d.updatedAt).toISOString() }))) + '\n')
      return 0
    }
    if (docs.length === 0) {
      cli.out.write(`no documents in ${cli.dataDir}\n`)
      return 0
    }
    const rows = [
      ['NAME', 'SIZE', 'RECORDS', 'LAST EDIT', 'QUARANTINED'],
      ...docs.map((d) => [
        d.name,
        size(d.size),
        String(d.records),
        d.updatedAt === null ? '-' : new Date(d.updatedAt).toISOString().replace('T', ' ').slice(0, 19),
        String(d.quarantined),
      ]),
    ]
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
    for (const r of rows) cli.out.write(r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n')
    return 0
  } finally {
    log.close()
  }
}
