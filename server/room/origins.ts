/**
 * Transaction origins that are not peers. A peer object is the origin of the updates it sent, so the room never
 * echoes an update to its sender; updates that came from storage are never stored again.
 */
export const STORAGE_ORIGIN = Symbol('storage')
/** Changes the server makes itself (an HTTP import): stored and relayed to every peer. */
export const SERVER_ORIGIN = Symbol('server')
