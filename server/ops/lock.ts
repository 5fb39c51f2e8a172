/**
 * The data directory's lock file, `server.json`: who is using this data directory right now.
 *
 * Two servers on one data directory would each hold their own copy of a room in memory and diverge (SQLite keeps
 * the file consistent, not the rooms). So a server takes the lock at start and refuses to start while another live
 * process holds it; a lock left by a process that is gone (a crash, `kill -9`) is taken over. A clean shutdown
 * removes it. The admin CLI reads it to find a running server (its URL) and takes it itself while it changes the
 * database directly, so that a server cannot start in the middle.
 *
 * A process is "live" if `kill(pid, 0)` finds it. After a reboot a recycled pid can look live: the error message
 * says how to check and what to delete.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

export const LOCK_FILE = 'server.json'

export interface LockInfo {
  pid: number
  /** A server, or an admin command changing the database directly. */
  holder: 'server' | 'cli'
  startedAt: string
  /** Set once a server listens: where the CLI reaches its API (`http://` or `https://`). */
  url?: string
  /** Whether the server requires tokens (the CLI then signs an admin token with AUTH_SECRET). */
  auth?: boolean
  /** The certificate file a TLS server serves, so the CLI can pin it when it calls the API. */
  tlsCert?: string
}

export class LockError extends Error {
  override readonly name = 'LockError'
}

export function lockPath(dir: string): string {
  return join(dir, LOCK_FILE)
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The lock's contents, or null if there is none or it cannot be read (a torn write from a crash is no lock). */
export function readLock(dir: string): LockInfo | null {
  let text: string
  try {
    text = readFileSync(lockPath(dir), 'utf8')
  } catch {
    return null
  }
  try {
    const info = JSON.parse(text) as LockInfo
    return Number.isInteger(info.pid) && info.pid > 0 ? info : null
  } catch {
    return null
  }
}

/** The live holder of the lock, or null if nobody live holds it. */
export function liveHolder(dir: string): LockInfo | null {
  const info = readLock(dir)
  return info && isAlive(info.pid) ? info : null
}

export interface HeldLock {
  readonly info: LockInfo
  /** Rewrites the lock with more facts (the server's URL once it listens). */
  update(patch: Partial<LockInfo>): void
  /** Removes the lock if it is still ours. */
  release(): void
}

function describe(info: LockInfo): string {
  return info.holder === 'server'
    ? `an Inkwell server (pid ${info.pid}${info.url ? `, ${info.url}` : ''})`
    : `an admin command (pid ${info.pid})`
}

/**
 * Takes the lock on `dir` for this process, or throws a `LockError` that names the live holder. Returns what the
 * stale lock said, if one was taken over, so the caller can log it.
 */
export function acquireLock(dir: string, holder: LockInfo['holder']): HeldLock & { tookOver: LockInfo | null } {
  mkdirSync(dir, { recursive: true })
  const path = lockPath(dir)
  let info: LockInfo = { pid: process.pid, holder, startedAt: new Date().toISOString() }
  let tookOver: LockInfo | null = null
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(info, null, 2) + '\n', { flag: 'wx', mode: 0o644 })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err
    }
    const current = readLock(dir)
    if (current && isAlive(current.pid)) {
      throw new LockError(
        `${describe(current)} is using the data directory ${dir}: stop it first, or use another DATA_DIR ` +
          `(if no such process is Inkwell, delete ${path})`,
      )
    }
    tookOver = current
    try {
      unlinkSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  const write = () => {
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o644 })
    renameSync(tmp, path)
  }
  return {
    get info() {
      return info
    },
    tookOver,
    update(patch) {
      info = { ...info, ...patch }
      write()
    },
    release() {
      if (readLock(dir)?.pid !== process.pid) return
      try {
        unlinkSync(path)
      } catch {
        // Already gone: nothing to release.
      }
    },
  }
}
