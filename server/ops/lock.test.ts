import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LockError, acquireLock, liveHolder, lockPath, processIdentity, readLock } from './lock.ts'

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'inkwell-lock-'))
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!
}

describe('data directory lock', () => {
  it('is taken, updated, and removed on release', () => {
    const dir = tmp()
    const lock = acquireLock(dir, 'server')
    expect(readLock(dir)).toMatchObject({ pid: process.pid, holder: 'server' })
    lock.update({ url: 'http://127.0.0.1:1234' })
    expect(liveHolder(dir)?.url).toBe('http://127.0.0.1:1234')
    lock.release()
    expect(existsSync(lockPath(dir))).toBe(false)
  })

  it('refuses a second holder while the first is alive, naming it and the fix', () => {
    const dir = tmp()
    const lock = acquireLock(dir, 'server')
    lock.update({ url: 'http://127.0.0.1:1234' })
    expect(() => acquireLock(dir, 'server')).toThrow(LockError)
    expect(() => acquireLock(dir, 'cli')).toThrow(/Inkwell server \(pid \d+, http:\/\/127.0.0.1:1234\) is using the data directory .*stop it first/)
    lock.release()
  })

  it('takes over a lock left by a process that is gone, or one torn by a crash', () => {
    const dir = tmp()
    const pid = deadPid()
    writeFileSync(lockPath(dir), JSON.stringify({ pid, holder: 'server', startedAt: 'then' }))
    expect(liveHolder(dir)).toBeNull()
    const lock = acquireLock(dir, 'server')
    expect(lock.tookOver?.pid).toBe(pid)
    expect(readLock(dir)?.pid).toBe(process.pid)
    lock.release()
    writeFileSync(lockPath(dir), '{"pid": 12')
    acquireLock(dir, 'cli').release()
  })

  it('takes over a lock whose pid now belongs to another process: a container restarted after a crash reuses pids', () => {
    const dir = tmp()
    // What a crashed incarnation with this very pid left behind: the same pid, another process.
    const mine = processIdentity(process.pid)
    expect(mine).toMatch(/^[0-9a-f-]+\/\d+$/)
    writeFileSync(lockPath(dir), JSON.stringify({ pid: process.pid, process: `${mine!.split('/')[0]}/1`, holder: 'server', startedAt: 'then' }))
    expect(liveHolder(dir)).toBeNull()
    const lock = acquireLock(dir, 'server')
    expect(lock.tookOver?.process).toBe(`${mine!.split('/')[0]}/1`)
    expect(readLock(dir)).toMatchObject({ pid: process.pid, process: mine })
    lock.release()
  })

  it('refuses a lock whose pid is still the process that wrote it', () => {
    const dir = tmp()
    // The test runner's parent process: alive, and not this one.
    const holder = { pid: process.ppid, process: processIdentity(process.ppid), holder: 'server', startedAt: 'now' }
    writeFileSync(lockPath(dir), JSON.stringify(holder))
    expect(liveHolder(dir)?.pid).toBe(process.ppid)
    expect(() => acquireLock(dir, 'server')).toThrow(LockError)
  })

  it('release leaves a lock that another process holds alone', () => {
    const dir = tmp()
    const lock = acquireLock(dir, 'server')
    writeFileSync(lockPath(dir), JSON.stringify({ pid: 1, holder: 'server', startedAt: 'x' }))
    lock.release()
    expect(readLock(dir)?.pid).toBe(1)
  })
})
