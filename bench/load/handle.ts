/**
 * The bench's side of the load generator (agent.ts): starts it as a child process and runs jobs in it, each bounded
 * in time. Its pid is what the reports call "generator".
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { JobName, Jobs } from './jobs.ts'
import { ROOT, track } from '../servers/spawn.ts'

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

export class Agent {
  private nextId = 1
  private waiting = new Map<number, (r: Reply) => void>()

  private constructor(private proc: ChildProcess) {
    proc.on('message', (r: Reply) => {
      this.waiting.get(r.id)?.(r)
      this.waiting.delete(r.id)
    })
    proc.once('exit', (code, signal) => {
      for (const done of this.waiting.values()) done({ id: 0, ok: false, error: `the load generator exited (${code ?? signal})` })
      this.waiting.clear()
    })
  }

  get pid(): number {
    return this.proc.pid!
  }

  static async start(): Promise<Agent> {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./agent.ts', import.meta.url))], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    track(proc)
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve())
      proc.once('exit', (code) => reject(new Error(`the load generator exited (${code}) before it was ready`)))
    })
    return new Agent(proc)
  }

  /** Runs `job` in the generator; rejects with its error, or after `timeoutMs` (and then kills the generator). */
  run<N extends JobName>(job: N, params: Parameters<Jobs[N]>[0], timeoutMs = 300_000): Promise<Awaited<ReturnType<Jobs[N]>>> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        this.proc.kill('SIGKILL')
        reject(new Error(`job ${job} took longer than ${timeoutMs} ms; the load generator was killed`))
      }, timeoutMs)
      this.waiting.set(id, (r) => {
        clearTimeout(timer)
        if (r.ok) resolve(r.value as Awaited<ReturnType<Jobs[N]>>)
        else reject(new Error(`job ${job} failed in the load generator: ${r.error}`))
      })
      this.proc.send({ id, job, params })
    })
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null
  }

  close(): void {
    if (this.alive) this.proc.kill('SIGTERM')
  }
}
