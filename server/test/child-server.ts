/**
 * A real Inkwell server as a child process (`node scripts/start.mjs`), for tests that must kill it (-9), send it
 * signals, or drive it only from outside (e2e). It listens on port 0; the port is read from its first log line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { SERVER_NODE_FLAGS } from '../../scripts/node-flags.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface ChildServer {
  proc: ChildProcess
  port: number
  httpUrl: string
  wsUrl: string
  /** Every line the server printed so far (JSON log lines). */
  output: string[]
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>
}

export async function spawnServer(env: Record<string, string>, opts: { port?: number } = {}): Promise<ChildServer> {
  const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, `${ROOT}scripts/start.mjs`, '--dev'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(opts.port ?? 0), HOST: '127.0.0.1', LOG_JSON: '1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  )
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    const onData = (chunk: Buffer) => {
      buf += chunk.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        output.push(line)
        const m = /"port":(\d+).*"msg":"inkwell listening"/.exec(line)
        if (m) resolve(Number(m[1]))
      }
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', (c: Buffer) => output.push(c.toString()))
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${output.join('\n')}`)))
  })
  return { proc, port, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/collab`, output, exited }
}
