/**
 * The load generator: a child process of the bench that owns every client, so that the clients never share a core's
 * time slices with the bench's bookkeeping, and their CPU is measured on their own (reported next to the server's).
 *
 * It runs one job at a time, as asked over the IPC channel, and exits when the bench goes away.
 */
import { JOBS, type JobName } from './jobs.ts'

// Every stock y-websocket provider adds a process 'exit' listener; hundreds of clients are the point here.
process.setMaxListeners(0)

interface Request {
  id: number
  job: JobName
  params: unknown
}

process.on('message', (msg: Request) => {
  const job = JOBS[msg.job] as ((p: unknown) => Promise<unknown>) | undefined
  if (!job) {
    process.send!({ id: msg.id, ok: false, error: `unknown job ${msg.job}` })
    return
  }
  job(msg.params).then(
    (value) => process.send!({ id: msg.id, ok: true, value }),
    (err: Error) => process.send!({ id: msg.id, ok: false, error: err.stack ?? String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
process.send!({ ready: true })
