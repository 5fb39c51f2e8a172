/**
 * The cold floor of the big-document scenario: in a fresh process (as a just-restarted server is, with nothing
 * compiled yet), time `Y.applyUpdate` of the stored state into a fresh doc and reading its text.
 *
 * Run: `node --import tsx bench/load/floor-cold.ts <state file> <expected text length>`; prints `{"ms":…}`.
 */
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { paragraphText } from '../trace.ts'

const [file, expected] = process.argv.slice(2)
const state = new Uint8Array(readFileSync(file))
const t0 = performance.now()
const doc = new Y.Doc()
Y.applyUpdate(doc, state)
const text = paragraphText(doc)
const ms = performance.now() - t0
if (text?.length !== Number(expected)) {
  process.stderr.write(`floor-cold: the state gave ${text?.length} characters, expected ${expected}\n`)
  process.exit(1)
}
process.stdout.write(JSON.stringify({ ms }) + '\n')
