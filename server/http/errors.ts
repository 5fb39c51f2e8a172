/**
 * One HTTP error type and one error handler: every failure answers JSON `{ "error": "…" }` whose message says what
 * to do about it.
 */
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from '../log.ts'
import { redactUrl } from '../log.ts'
import { StorageError } from '../storage/store.ts'

export class HttpError extends Error {
  override readonly name = 'HttpError'
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message)
  }
}

export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof HttpError) return c.json({ error: err.message }, err.status)
    if (err instanceof StorageError) {
      log.error({ err: err.message, path: redactUrl(c.req.path) }, 'storage failed during a request')
      return c.json({ error: `storage is unavailable (${err.message}); retry later and check the server log` }, 503)
    }
    log.error({ err: err.message, stack: err.stack, path: redactUrl(c.req.path) }, 'request failed')
    return c.json({ error: 'internal error; the server log has the details' }, 500)
  }
}
