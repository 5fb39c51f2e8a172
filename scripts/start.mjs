// `npm start`: build the editor if it has not been built, build the server (scripts/build-server.mjs, ~50 ms), then
// run it in this process (so SIGTERM reaches it directly). `--dev` skips the editor's build check; use `vite dev` for
// the editor then.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildServer } from './build-server.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2).filter((a) => a !== '--dev')
if (!process.argv.includes('--dev') && !existsSync(`${root}client/dist/index.html`)) {
  process.stderr.write('inkwell: building the editor (first start only)…\n')
  const vite = spawnSync(process.execPath, [`${root}node_modules/vite/bin/vite.js`, 'build', '--config', `${root}client/vite.config.ts`, '--logLevel', 'warn'], { stdio: 'inherit', cwd: root })
  if (vite.status !== 0) {
    process.stderr.write('inkwell: the editor build failed (see above); run `npm run build` to retry\n')
    process.exit(1)
  }
}
process.argv = [process.argv[0], process.argv[1], ...args]
const bundle = await buildServer()
// Stack traces in logs point at the TypeScript sources, not the bundle.
process.setSourceMapsEnabled(true)
await import(pathToFileURL(bundle).href)
