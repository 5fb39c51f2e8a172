// Builds the server for running: server/main.ts and its storage threads as ES modules in dist/, with source maps.
// Packages stay external (imported from node_modules as they are), so only Inkwell's own TypeScript is compiled.
//
// Why not run the sources through tsx as the tests do: tsx keeps every function's name by wrapping each named
// closure in an Object.defineProperty call. That costs a property array (~250 bytes) per closure created, several
// per connection, and the time to make it; tsx also adds a module-loader thread to the server and to its storage
// worker. The bundle is what `npm start` runs; it takes ~50 ms to build, so it is built on every start.
//
// Run: `node scripts/build-server.mjs` (also part of `npm run build`).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
export const SERVER_BUNDLE = join(root, 'dist/server.mjs')

/** Builds dist/server.mjs and the storage threads' modules beside it; returns the server bundle's path. */
export async function buildServer() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      server: 'server/main.ts',
      'storage-worker': 'server/storage/sqlite/worker.ts',
      'storage-compactor': 'server/storage/sqlite/compactor.ts',
    },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    // Threads start from their bundled entries beside the module starting them (server/storage/sqlite/spawn-worker.ts).
    define: { INKWELL_BUNDLED: 'true' },
    write: false,
    logLevel: 'error',
  })
  // Several servers may start at once from one checkout (the test suites do): each writes its files under a name of
  // its own and renames them into place, so none ever imports a half-written file.
  mkdirSync(dirname(SERVER_BUNDLE), { recursive: true })
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`
    writeFileSync(tmp, file.contents)
    renameSync(tmp, file.path)
  }
  return SERVER_BUNDLE
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now()
  await buildServer()
  process.stdout.write(`built ${SERVER_BUNDLE} in ${Math.round(performance.now() - started)} ms\n`)
}
