/**
 * Integration test harness: a real server on 127.0.0.1 port 0 with a temporary data directory, and stock
 * `y-websocket` providers connected to it. No part of Inkwell is replaced.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { loadConfig, type Config } from '../config.ts'
import { silentLogger, type Logger } from '../log.ts'
import { startServer, type RunningServer, type ServerParts } from '../server.ts'

export interface TestServer {
  server: RunningServer
  dataDir: string
  config: Config
  httpUrl: string
  wsUrl: string
  /** Graceful stop, then start again on the same data directory and port. */
  restart(): Promise<void>
  stop(): Promise<void>
  /** Stops and removes the data directory. */
  dispose(): Promise<void>
}

export async function startTestServer(
  env: Record<string, string> = {},
  opts: { log?: Logger; parts?: ServerParts; dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'inkwell-test-'))
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ROOM_IDLE_MS: '200', ...env })
  const log = opts.log ?? silentLogger()
  let running = await startServer(config, log, opts.parts)
  let stopped = false
  const t: TestServer = {
    server: running,
    dataDir,
    config,
    httpUrl: running.url,
    wsUrl: `ws://127.0.0.1:${running.port}/collab`,
    async restart() {
      await running.close()
      // Same port, as a real restart: clients reconnect to the URL they know.
      running = await startServer({ ...config, port: running.port }, log, opts.parts)
      t.server = running
      t.httpUrl = running.url
      t.wsUrl = `ws://127.0.0.1:${running.port}/collab`
    },
    async stop() {
      if (stopped) return
      stopped = true
      await running.close()
    },
    async dispose() {
      await t.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return t
}

export interface TestClient {
  doc: Y.Doc
  provider: WebsocketProvider
  /** Resolves once the provider has synced with the server. */
  synced: Promise<void>
  destroy(): void
}

/** A stock y-websocket provider in Node (ws as its WebSocket; Node 20 has no global one). */
export function connectClient(
  wsUrl: string,
  room: string,
  opts: { doc?: Y.Doc; params?: Record<string, string>; protocols?: string[]; connect?: boolean; name?: string } = {},
): TestClient {
  const doc = opts.doc ?? new Y.Doc()
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: opts.params ?? {},
    protocols: opts.protocols ?? [],
    connect: opts.connect ?? true,
  })
  if (opts.name) provider.awareness.setLocalStateField('user', { name: opts.name, color: '#336699' })
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve()
    else provider.once('sync', (s: boolean) => s && resolve())
  })
  return {
    doc,
    provider,
    synced,
    destroy() {
      provider.destroy()
      doc.destroy()
    },
  }
}

/**
 * Waits until `condition()` is true, checking on every macrotask turn (bounded by `timeoutMs`). This waits for a
 * state, never for a duration: it returns as soon as the condition holds.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Appends a paragraph with `text` to the document's ProseMirror fragment, as y-prosemirror would store it. */
export function addParagraph(doc: Y.Doc, text: string): void {
  const p = new Y.XmlElement('paragraph')
  p.insert(0, [new Y.XmlText(text)])
  doc.getXmlFragment('prosemirror').push([p])
}

/** The text of every paragraph in the ProseMirror fragment, one per line. */
export function paragraphs(doc: Y.Doc): string[] {
  return doc
    .getXmlFragment('prosemirror')
    .toArray()
    .map((el) => (el instanceof Y.XmlElement ? el.toArray().map((t) => (t as Y.XmlText).toString()).join('') : ''))
}

/** Opens a raw WebSocket and resolves with how it was closed (or `open` if it opened). */
export function rawSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.binaryType = 'nodebuffer'
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

export function closeEvent(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
}
