/**
 * What the kernel says about a process, read from /proc (Linux only): CPU time, resident memory, the TCP port it
 * listens on, and the machine. Every server is measured from outside this way, so no server needs to cooperate.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'

/** Clock ticks per second of utime/stime in /proc/<pid>/stat: 100 on every Linux build we run on. */
const CLK_TCK = 100

/**
 * CPU time (user + system) a process has used since it started, in microseconds, all threads included (the
 * storage worker of Inkwell counts). The kernel counts in ticks of 10 ms, so a window must span many ticks.
 */
export function cpuUs(pid: number | 'self'): number {
  return statCpuUs(`/proc/${pid}/stat`)
}

/** CPU time (user + system) of each thread of a process, in microseconds, by thread id. */
export function threadCpuUs(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, statCpuUs(`/proc/${pid}/task/${tid}/stat`))
    } catch {
      // The thread ended while we looked.
    }
  }
  return out
}

function statCpuUs(path: string): number {
  const stat = readFileSync(path, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return ((utime + stime) * 1e6) / CLK_TCK
}

function statusKb(pid: number | 'self', key: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)
  return m ? Number(m[1]) : NaN
}

/** Resident memory now, in KiB. */
export function rssKb(pid: number | 'self'): number {
  return statusKb(pid, 'VmRSS')
}

/** The process's peak resident memory since it started (the kernel's high-water mark), in KiB. */
export function peakRssKb(pid: number | 'self'): number {
  return statusKb(pid, 'VmHWM')
}

/**
 * The TCP port a process listens on, or null if it listens on none yet. Found by matching the socket inodes among
 * its open file descriptors with the LISTEN entries of /proc/net/tcp, so it works for a server that prints nothing
 * (Inkwell at LOG_LEVEL=warn logs no "listening" line).
 */
export function listeningPort(pid: number): number | null {
  const inodes = new Set<string>()
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return null
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1])
    } catch {
      // The descriptor closed while we looked.
    }
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[]
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1)
    } catch {
      continue
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/)
      // f[1] local address "0100007F:1F90", f[3] state ("0A" = LISTEN), f[9] inode.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) return parseInt(f[1].split(':')[1], 16)
    }
  }
  return null
}

export interface Machine {
  nproc: number
  cpu: string
  node: string
  date: string
}

export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown'
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) cpu = m[1].trim()
  } catch {
    // Not Linux: keep what os.cpus() said.
  }
  return { nproc: availableParallelism(), cpu, node: process.version, date: new Date().toISOString() }
}
