/** Runs a measurement against a fresh server in a fresh data directory, and always stops it and cleans up. */
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { RunningServer, ServerSpec } from '../servers/index.ts'
import type { Context } from './types.ts'

export function dataDir(ctx: Context, spec: ServerSpec): string {
  return mkdtempSync(join(ctx.tmpDir, `${spec.name}-`))
}

export async function withServer<T>(ctx: Context, spec: ServerSpec, fn: (server: RunningServer) => Promise<T>): Promise<T> {
  const dir = dataDir(ctx, spec)
  let server: RunningServer | null = null
  try {
    server = await spec.start(dir)
    return await fn(server)
  } finally {
    await server?.child.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** KiB (as /proc reports them) to MiB. */
export const mib = (kb: number) => kb / 1024
