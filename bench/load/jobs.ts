/** Every job the load generator runs, by name (the bench calls them through handle.ts). */
import { runKeystrokes } from './keystrokes.ts'
import { runIdle } from './idle.ts'
import { applyFloor, open, release, traceState, upload } from './bigdoc.ts'
import { runReplay } from './replay.ts'

export const JOBS = {
  keystrokes: runKeystrokes,
  idle: runIdle,
  traceState,
  applyFloor,
  upload,
  release,
  open,
  replay: runReplay,
}

export type Jobs = typeof JOBS
export type JobName = keyof Jobs
