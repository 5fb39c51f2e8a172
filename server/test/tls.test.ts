/**
 * TLS served directly: `https://` and `wss://` when TLS_CERT and TLS_KEY are set, checked with a self-signed
 * certificate trusted as a CA by the clients (never by turning verification off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get } from 'node:https'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { HAVE_OPENSSL, selfSignedCert, type TestCert } from './tls-cert.ts'
import { addParagraph, paragraphs, startTestServer, waitFor, type TestServer } from './harness.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe.skipIf(!HAVE_OPENSSL)('TLS (skipped: no openssl command to make a test certificate)', () => {
  let cert: TestCert
  let t: TestServer
  let wssUrl: string
  beforeAll(async () => {
    cert = selfSignedCert()
    t = await startTestServer({ TLS_CERT: cert.certFile, TLS_KEY: cert.keyFile })
    wssUrl = `wss://127.0.0.1:${t.server.port}/collab`
  })
  afterAll(() => t?.dispose())

  it('serves https: /healthz answers over TLS with the certificate as the only trusted CA', async () => {
    expect(t.server.url).toBe(`https://127.0.0.1:${t.server.port}`)
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${t.server.url}/healthz`, { ca: cert.cert }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      }).once('error', reject)
    })
    expect(status).toBe(200)
    expect(JSON.parse(body)).toEqual({ status: 'ok' })
    // Plain HTTP on the TLS port gets no answer from the app.
    await expect(fetch(`http://127.0.0.1:${t.server.port}/healthz`)).rejects.toThrow()
  })

  it('serves wss: two stock y-websocket providers sync through it', async () => {
    // The stock provider constructs its socket as `new WebSocketPolyfill(url, protocols)`: inject the CA there.
    const ca = cert.cert
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca })
      }
    }
    const docs = [new Y.Doc(), new Y.Doc()]
    const providers = docs.map(
      (doc) =>
        new WebsocketProvider(wssUrl, 'secure', doc, {
          WebSocketPolyfill: TrustingWebSocket as unknown as typeof globalThis.WebSocket,
          disableBc: true,
        }),
    )
    try {
      await waitFor(() => providers.every((p) => p.synced), 'both providers synced over wss')
      addParagraph(docs[0], 'over TLS')
      await waitFor(() => paragraphs(docs[1]).includes('over TLS'), 'the edit crossed over wss')
    } finally {
      for (const p of providers) p.destroy()
    }
  })

  it('the admin CLI reaches a TLS server by pinning its certificate', { timeout: 30_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'inkwell-tls-files-')), 'doc.md')
    writeFileSync(file, 'through *TLS*')
    const { AUTH_SECRET: _drop, ...env } = process.env
    const importDoc = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(ROOT, 'scripts/inkwell.mjs'), 'import', 'pinned', file], {
          env: { ...env, DATA_DIR: t.dataDir },
          stdio: ['ignore', 'ignore', 'pipe'],
        })
        let stderr = ''
        child.stderr.on('data', (c: Buffer) => (stderr += c))
        child.on('close', (code) => resolve({ code, stderr }))
      })
    expect((await importDoc()).code).toBe(0)
    expect(t.server.registry.peek('pinned')?.doc.getXmlFragment('prosemirror').toString()).toContain('<em>TLS</em>')
    // A server that presents another certificate than TLS_CERT gets nothing, not even the request.
    const lockFile = join(t.dataDir, 'server.json')
    const lock = readFileSync(lockFile, 'utf8')
    writeFileSync(lockFile, JSON.stringify({ ...JSON.parse(lock), tlsCert: selfSignedCert().certFile }))
    try {
      const refused = await importDoc()
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/does not present the certificate in/)
    } finally {
      writeFileSync(lockFile, lock)
    }
  })
})
