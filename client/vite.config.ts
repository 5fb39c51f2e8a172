/**
 * Builds the editor page into client/dist, where the server serves it from.
 *
 * Paths are relative to this file, not to the working directory, because `npm run build` runs vite from the repo
 * root with `--config client/vite.config.ts`. In `vite dev` the API and the collaboration socket are proxied to a
 * server on the default port, so the page is served from one origin just as in production.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const here = fileURLToPath(new URL('.', import.meta.url))
const backend = 'http://127.0.0.1:1234'
const proxy = {
  '/api': backend,
  '/healthz': backend,
  '/collab': { target: backend, ws: true },
}

export default defineConfig({
  root: here,
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
  },
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
})
