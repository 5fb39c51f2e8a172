/** The server's HTTP API as the page uses it: the document list and the export links. */
import type { ApiError, DocInfo, ExportFormat } from '../../shared/types.ts'

/** Every document the server knows, or an Error whose message is the server's own explanation. */
export async function fetchDocs(signal?: AbortSignal): Promise<DocInfo[]> {
  const response = await fetch('/api/docs', { headers: { accept: 'application/json' }, signal })
  const body: unknown = await response.json().catch(() => null)
  if (!response.ok) {
    const message = (body as Partial<ApiError> | null)?.error
    throw new Error(typeof message === 'string' ? message : `the server answered ${response.status}`)
  }
  const docs = (body as { docs?: unknown } | null)?.docs
  if (!Array.isArray(docs)) throw new Error('the server sent a document list this page cannot read')
  return docs as DocInfo[]
}

/** The URL that downloads `room` in `format`, carrying the page's token because a download cannot set headers. */
export function exportHref(room: string, format: ExportFormat, token: string | null): string {
  const query = new URLSearchParams({ format })
  if (token !== null) query.set('token', token)
  return `/api/docs/${encodeURIComponent(room)}/export?${query}`
}

const EXTENSIONS: Record<ExportFormat, string> = { markdown: 'md', html: 'html', json: 'json', text: 'txt', yjs: 'yjs' }

/** The name the browser saves an export under: the room name is already safe as a file name (shared/room-name.ts). */
export function exportFileName(room: string, format: ExportFormat): string {
  return `${room}.${EXTENSIONS[format]}`
}
