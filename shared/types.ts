/** Shapes of the HTTP API's JSON bodies, shared by the server that sends them and the editor that reads them. */

/** One document as `GET /api/docs` and `GET /api/docs/:room` describe it. */
export interface DocInfo {
  name: string
  /** Bytes of stored Yjs data (log records plus snapshot). */
  size: number
  /** Last time an update was stored, ISO 8601, or null if never. */
  updatedAt: string | null
  /** Connections currently open on the room in this process. */
  clients: number
}

/** `GET /api/docs/:room`: a document with its storage health. */
export interface DocDetail extends DocInfo {
  /** Stored records in the update log (1 after compaction). */
  records: number
  /** Records set aside because they could not be read or applied. */
  quarantined: number
  /** Set while the room refuses edits because storage failed. */
  storageError: string | null
}

export interface ApiError {
  error: string
}

export const EXPORT_FORMATS = ['json', 'html', 'markdown', 'text', 'yjs'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]
