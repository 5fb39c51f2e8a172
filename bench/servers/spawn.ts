/**
 * Starting and stopping server child processes. Every server the bench compares runs as its own process on
 * 127.0.0.1, port 0; its port is read from /proc (see proc.ts), so no server has to print it. Every child started
 * here is remembered and killed when the bench exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { listeningPort } from '../proc.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** How long a server may take to start listening (Inkwell compiles its TypeScript on start). */
const START_TIMEOUT_MS = 30_000
/** How long a graceful stop may take before the process is killed. */
const STOP_TIMEOUT_MS = 20_000

const children = new Set<ChildProcess>()

/** Kills every child still running (on exit, on a signal, on a crash of the bench). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
}
process.once('exit', killAll)

/** Remembers a child started elsewhere (the load generator) so that `killAll` ends it too. */
export function track(proc: ChildProcess): void {
  children.add(proc)
  proc.once('exit', () => children.delete(proc))
}

export interface Child {
  proc: ChildProcess
  pid: number
  port: number
  /** Everything the process printed (stdout and stderr), for error messages. */
  output: string[]
  exited: Promise<number | string>
  /** Sends `signal` and resolves once the process has exited (SIGKILL after STOP_TIMEOUT_MS). */
  stop(signal?: NodeJS.Signals): Promise<number | string>
}

/** Starts `node <args>` with `env` added, and resolves once it listens on a TCP port. */
export async function spawnChild(args: string[], env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(proc)
  const output: string[] = []
  proc.stdout!.on('data', (c: Buffer) => output.push(c.toString()))
  proc.stderr!.on('data', (c: Buffer) => output.push(c.toString()))
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc)
      resolve(code ?? signal ?? 'unknown')
    }),
  )
  let gone: number | string | null = null
  void exited.then((code) => (gone = code))
  const deadline = Date.now() + START_TIMEOUT_MS
  let port: number | null = null
  while (port === null) {
    if (gone !== null) throw new Error(`${args.join(' ')} exited (${gone}) before listening:\n${output.join('')}`)
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`${args.join(' ')} did not listen within ${START_TIMEOUT_MS} ms:\n${output.join('')}`)
    }
    await new Promise((r) => setTimeout(r, 25))
    if (proc.pid !== undefined) port = listeningPort(proc.pid)
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (gone !== null) return gone
    proc.kill(signal)
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS)
    const code = await exited
    clearTimeout(timer)
    return code
  }
  return { proc, pid: proc.pid!, port, output, exited, stop }
}

/** Node arguments that run a TypeScript entry point with tsx's loader in the same process (so the pid is it). */
export function tsEntry(path: string): string[] {
  return ['--import', 'tsx', path]
}
