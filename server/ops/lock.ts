/**
 * The data directory's lock file, `server.json`: who is using this data directory right now.
 *
 * Two servers on one data directory would each hold their own copy of a room in memory and diverge (SQLite keeps
 * the file consistent, not the rooms). So a server takes the lock at start and refuses to start while another live
 * process holds it; a lock left by a process that is gone (a crash, `kill -9`) is taken over. A clean shutdown
 * removes it. The admin CLI reads it to find a running server (its URL) and takes it itself while it changes the
 * database directly, so that a server cannot start in the middle.
 *
 * A holder is "live" if `kill(pid, 0)` finds its pid and, on Linux, that pid is still the same process: the lock
 * records the process's identity (the kernel's boot id and the process's start time), because pids are recycled. A
 * container restarted after a crash gives its server the same pid as before, so without the identity the new server
 * would find "itself" holding the lock and refuse to start. Elsewhere (no `/proc`), a recycled pid can look live: the
 * error message says how to check and what to delete.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

export const LOCK_FILE = 'server.json'

export interface LockInfo {
  pid: number
  /** Which process had that pid: `<boot id>/<start time>` (Linux), to tell a recycled pid from the holder. */
  process?: string
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
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Which process has this pid now, as `<boot id>/<start time in clock ticks since boot>`; null where `/proc` cannot
 * tell (not Linux, or the process is gone).
 */
export function processIdentity(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22, counted after the command name (field 2), which may hold spaces and parentheses.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    return startTime ? `${bootId}/${startTime}` : null
  } catch {
    return null
  }
}

/** Whether the process that wrote this lock still runs: its pid exists and, where it can be told, is the same process. */
function isAlive(info: LockInfo): boolean {
  if (!pidExists(info.pid)) return false
  if (info.process === undefined) return true
  const now = processIdentity(info.pid)
  return now === null || now === info.process
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
  return info && isAlive(info) ? info : null
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
  const identity = processIdentity(process.pid)
  if (identity !== null) info.process = identity
  let tookOver: LockInfo | null = null
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(info, null, 2) + '\n', { flag: 'wx', mode: 0o644 })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err
    }
    const current = readLock(dir)
    if (current && isAlive(current)) {
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
