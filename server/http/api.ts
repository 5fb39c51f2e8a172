/**
 * The document API under `/api`:
 * - `GET /api/docs`: every stored document with its size, last update and connected clients.
 * - `GET /api/docs/:room`: one document with its storage health (records, quarantined records, storage error).
 * - `GET /api/docs/:room/export?format=json|html|markdown|text|yjs`: a snapshot of the content.
 * - `PUT /api/docs/:room` (admin): import. The body is Markdown, HTML or ProseMirror JSON, which replaces the content,
 *   or a Yjs update, which is merged; `Content-Type` says which. Creates the room if needed. The change goes through
 *   the live room as the server's own (stored write-ahead, relayed to connected editors) and the answer comes once it
 *   is durable.
 * - `DELETE /api/docs/:room` (admin): closes the room's connections with 4404 (the stock client does not
 *   reconnect), then deletes its stored log. Quarantined records stay for an operator.
 *
 * Exports of a loaded room come from its durable snapshot (everything relayed before the request began, and only
 * stored data); exports of an unloaded room are built from storage without loading the room. An unknown room is a
 * 404 and creates nothing.
 */
import { Hono } from 'hono'
import { CloseCode } from '../../shared/close-codes.ts'
import { roomNameProblem } from '../../shared/room-name.ts'
import { EXPORT_FORMATS, type DocDetail, type DocInfo, type ExportFormat } from '../../shared/types.ts'
import { buildDoc } from '../storage/build-doc.ts'
import type { DocMeta, DocStore } from '../storage/store.ts'
import type { RoomRegistry } from '../room/registry.ts'
import { exportSnapshot } from '../export/export.ts'
import { HttpError } from './errors.ts'
import { canSee, requireAdmin, requireRoom } from './auth.ts'
import { issueToken, parseTtl } from '../auth/tokens.ts'
import { CONTENT_TYPES, ImportError, formatFromContentType, importChange, parseImport } from '../import/import.ts'
import { RoomLimitError, ShuttingDownError } from '../room/registry.ts'
import type { Logger } from '../log.ts'
import * as Y from 'yjs'

export interface ApiDeps {
  store: DocStore
  registry: RoomRegistry
  /** Set when auth is on: needed to issue tokens. */
  authSecret: string | null
  /** For an audit line per import and delete. */
  log?: Logger
}

export function checkRoomName(name: string): string {
  const problem = roomNameProblem(name)
  if (problem) throw new HttpError(400, problem)
  return name
}

function info(meta: DocMeta, registry: RoomRegistry): DocInfo {
  return {
    name: meta.name,
    size: meta.size,
    updatedAt: meta.updatedAt === null ? null : new Date(meta.updatedAt).toISOString(),
    clients: registry.peek(meta.name)?.peerCount ?? 0,
  }
}

function emptyMeta(name: string): DocMeta {
  return { name, size: 0, records: 0, updatedAt: null, quarantined: 0 }
}

export function apiRoutes({ store, registry, authSecret, log }: ApiDeps): Hono {
  const api = new Hono()

  api.get('/docs', async (c) => {
    // A token scoped to a room or prefix lists only what it may open.
    const docs = (await store.list()).filter((m) => canSee(c, m.name)).map((m) => info(m, registry))
    return c.json({ docs })
  })

  api.post('/tokens', async (c) => {
    requireAdmin(c)
    if (authSecret === null) throw new HttpError(400, 'auth is off: set AUTH_SECRET to issue tokens')
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null
    if (!body || typeof body !== 'object') throw new HttpError(400, 'send a JSON body like {"room":"notes","mode":"write","ttl":"1h"}')
    const { room, prefix, mode = 'write', ttl = '1h', name } = body
    if (room === undefined && prefix === undefined) throw new HttpError(400, 'say which documents: "room" or "prefix"')
    if (room !== undefined) checkRoomName(String(room))
    if (mode !== 'read' && mode !== 'write') throw new HttpError(400, '"mode" must be "read" or "write"')
    let ttlSeconds: number
    try {
      ttlSeconds = parseTtl(String(ttl))
    } catch (err) {
      throw new HttpError(400, (err as Error).message)
    }
    const token = await issueToken(authSecret, {
      room: room === undefined ? undefined : String(room),
      prefix: prefix === undefined ? undefined : String(prefix),
      mode,
      ttlSeconds,
      name: name === undefined ? undefined : String(name).slice(0, 100),
    })
    return c.json({ token, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() }, 201)
  })

  api.get('/docs/:room', async (c) => {
    const name = checkRoomName(c.req.param('room'))
    requireRoom(c, name)
    const storageError = registry.storageErrors.get(name) ?? null
    // A room whose first write failed has nothing stored, but its error must still be visible.
    const meta = (await store.meta(name)) ?? (storageError ? emptyMeta(name) : null)
    if (!meta) throw new HttpError(404, `no document named "${name}": open /d/${name} in the editor to create it`)
    const detail: DocDetail = {
      ...info(meta, registry),
      records: meta.records,
      quarantined: meta.quarantined,
      storageError,
    }
    return c.json(detail)
  })

  api.get('/docs/:room/export', async (c) => {
    const name = checkRoomName(c.req.param('room'))
    requireRoom(c, name)
    const format = (c.req.query('format') ?? 'json') as ExportFormat
    if (!EXPORT_FORMATS.includes(format)) {
      throw new HttpError(400, `unknown format "${format}": use one of ${EXPORT_FORMATS.join(', ')}`)
    }
    const snapshot = await snapshotOf(name, store, registry)
    const out = exportSnapshot(snapshot, format, name)
    c.header('Content-Type', out.contentType)
    c.header('Content-Disposition', `inline; filename="${name}.${out.extension}"`)
    c.header('Cache-Control', 'no-store')
    // An export is content written by any editor: never let it run script or load anything on our origin.
    c.header('Content-Security-Policy', "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; sandbox")
    c.header('X-Content-Type-Options', 'nosniff')
    return c.body(typeof out.body === 'string' ? out.body : new Uint8Array(out.body))
  })

  api.put('/docs/:room', async (c) => {
    const name = checkRoomName(c.req.param('room'))
    requireAdmin(c)
    const format = formatFromContentType(c.req.header('content-type'))
    if (!format) {
      const types = Object.values(CONTENT_TYPES).join(', ')
      throw new HttpError(415, `send the document with Content-Type ${types}`)
    }
    let content
    try {
      content = parseImport(new Uint8Array(await c.req.arrayBuffer()), format)
    } catch (err) {
      if (err instanceof ImportError) throw new HttpError(400, err.message)
      throw err
    }
    let dropped: boolean
    try {
      dropped = (await registry.use(name, (room) => room.serverChange(importChange(content)))).droppedUnintegrated
    } catch (err) {
      if (err instanceof RoomLimitError) throw new HttpError(503, `${err.message}: try again later or raise MAX_ROOMS`)
      if (err instanceof ShuttingDownError) throw new HttpError(503, 'the server is shutting down: retry after it restarts')
      throw err
    }
    log?.info({ room: name, format, bytes: Number(c.req.header('content-length') ?? 0) || undefined }, 'document imported')
    const meta = (await store.meta(name)) ?? emptyMeta(name)
    return c.json({
      ...info(meta, registry),
      // Parts of a Yjs update that depend on state this document never had cannot be applied; say so.
      ...(dropped ? { warning: 'part of the update references state this document does not have and was not applied' } : {}),
    })
  })

  api.delete('/docs/:room', async (c) => {
    const name = checkRoomName(c.req.param('room'))
    requireAdmin(c)
    const meta = await store.meta(name)
    if ((!meta || meta.records === 0) && !registry.peek(name)) {
      throw new HttpError(404, `no document named "${name}": check the name with GET /api/docs`)
    }
    const clients = registry.peek(name)?.peerCount ?? 0
    await registry.delete(name, CloseCode.roomDeleted, 'this document was deleted')
    log?.info({ room: name, clients }, 'document deleted')
    return c.json({ deleted: name, clients })
  })

  api.all('/docs/*', () => {
    throw new HttpError(400, 'room name has characters other than letters, digits, "-", "_" and "."')
  })
  api.all('*', (c) => {
    throw new HttpError(404, `no API route ${c.req.method} ${c.req.path}: see the README's HTTP API section`)
  })
  return api
}

/** A snapshot holding every update the server relayed before this call, and only stored data. */
async function snapshotOf(name: string, store: DocStore, registry: RoomRegistry): Promise<Uint8Array> {
  const room = registry.peek(name)
  if (room?.live) {
    try {
      return await room.durableSnapshot()
    } catch {
      throw new HttpError(503, `document "${name}" is unavailable: its storage failed; see GET /api/docs/${name}`)
    }
  }
  const meta = await store.meta(name)
  if (!meta || meta.records === 0) {
    throw new HttpError(404, `no document named "${name}": check the name with GET /api/docs`)
  }
  const { records } = await store.load(name)
  const { doc } = buildDoc(records)
  try {
    return Y.encodeStateAsUpdate(doc)
  } finally {
    doc.destroy()
  }
}
