// Offline supply-chain check: the installed versions of the packages with known advisories are at or above the
// fixed releases (ws 8.21.1: fragment-flood memory exhaustion; hono 4.13.11; yjs 13.6.31: documents that could not
// load again). Runs in CI whether or not the registry's advisory endpoint answers.
import { readFileSync } from 'node:fs'

const MIN = { ws: '8.21.1', hono: '4.13.11', yjs: '13.6.31' }

const parse = (v) => v.split('-')[0].split('.').map(Number)
const atLeast = (have, want) => {
  const [a, b] = [parse(have), parse(want)]
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i]
  return true
}

let bad = 0
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'))
for (const [name, min] of Object.entries(MIN)) {
  // Every copy in the tree counts, not only the top-level one.
  const copies = Object.entries(lock.packages).filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
  for (const [path, info] of copies) {
    if (!atLeast(info.version, min)) {
      console.log(`pins: ${path} is ${info.version}, below ${min}`)
      bad++
    }
  }
  // Read the file directly: some packages' `exports` do not expose package.json.
  const installed = JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
  console.log(`pins: ${name} ${installed} (>= ${min}), ${copies.length} cop${copies.length === 1 ? 'y' : 'ies'} in the lockfile`)
}
process.exit(bad ? 1 : 0)
