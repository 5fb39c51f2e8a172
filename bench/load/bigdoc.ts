/**
 * The big document, client side: the trace's final state (built once and cached), the in-process floor
 * (`Y.applyUpdate` of the state into a fresh doc), uploading the state to a server, and timing a fresh client from
 * connect to synced with the right text.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as Y from 'yjs'
import { buildTraceState, loadTrace, paragraphText } from '../trace.ts'
import { connect, within, type Client, type Protocol } from './clients.ts'
import { median } from '../stats.ts'

let finalText: string | null = null
let state: Uint8Array | null = null
const kept = new Map<number, Client>()
let nextHandle = 1

export interface TraceStateParams {
  tracePath: string
  cacheDir: string
}

/**
 * Loads the trace and the state built from it. Building takes seconds (one transaction per edit), so the state is
 * cached in `cacheDir` under the trace file's size and modification time.
 */
export async function traceState(p: TraceStateParams): Promise<{ stateBytes: number; stateFile: string; buildMs: number }> {
  const trace = loadTrace(p.tracePath)
  finalText = trace.finalText
  const st = statSync(p.tracePath)
  const stateFile = join(p.cacheDir, `trace-${st.size}-${Math.round(st.mtimeMs)}.yjs`)
  const started = performance.now()
  if (existsSync(stateFile)) {
    state = new Uint8Array(readFileSync(stateFile))
    const doc = new Y.Doc()
    Y.applyUpdate(doc, state)
    if (paragraphText(doc) !== finalText) state = null
    doc.destroy()
  }
  if (!state) {
    state = buildTraceState(trace)
    mkdirSync(dirname(stateFile), { recursive: true })
    writeFileSync(stateFile, state)
  }
  return { stateBytes: state.byteLength, stateFile, buildMs: performance.now() - started }
}

function need(): { state: Uint8Array; finalText: string } {
  if (!state || finalText === null) throw new Error('traceState must run first')
  return { state, finalText }
}

/** `Y.applyUpdate` of the state into a fresh doc plus reading its text, `repeats` times in this warm process. */
export async function applyFloor(p: { repeats: number }): Promise<{ warmMs: number; samples: number[] }> {
  const { state, finalText } = need()
  const samples: number[] = []
  for (let i = 0; i < p.repeats; i++) {
    const t0 = performance.now()
    const doc = new Y.Doc()
    Y.applyUpdate(doc, state)
    const ok = paragraphText(doc) === finalText
    samples.push(performance.now() - t0)
    doc.destroy()
    if (!ok) throw new Error('applyUpdate of the trace state did not give the final text')
  }
  return { warmMs: median(samples), samples }
}

export interface UploadParams {
  protocol: Protocol
  url: string
  room: string
}

/**
 * Connects a client that already holds the whole document: on sync it sends the server everything. The client stays
 * connected (the returned handle releases it) until the bench has seen the server store the document.
 */
export async function upload(p: UploadParams): Promise<{ handle: number }> {
  const { state } = need()
  const doc = new Y.Doc()
  Y.applyUpdate(doc, state)
  const client = connect(p.protocol, p.url, p.room, doc)
  try {
    await within(client.synced, 60_000, 'the uploading client to sync')
  } catch (err) {
    client.destroy()
    throw err
  }
  const handle = nextHandle++
  kept.set(handle, client)
  return { handle }
}

export async function release(p: { handle: number }): Promise<void> {
  kept.get(p.handle)?.destroy()
  kept.delete(p.handle)
}

/** Time from a fresh client's connect until it has synced and holds the trace's final text. */
export async function open(p: UploadParams & { timeoutMs: number }): Promise<{ ms: number }> {
  const { finalText } = need()
  const t0 = performance.now()
  const client = connect(p.protocol, p.url, p.room)
  try {
    await within(client.synced, p.timeoutMs, `a fresh client to sync ${p.room}`)
    const right = () => paragraphText(client.doc) === finalText
    if (!right()) {
      await within(
        new Promise<void>((resolve) => {
          const check = () => {
            if (right()) {
              client.doc.off('update', check)
              resolve()
            }
          }
          client.doc.on('update', check)
        }),
        p.timeoutMs,
        `the fresh client of ${p.room} to hold the trace's final text after its sync`,
      )
    }
    return { ms: performance.now() - t0 }
  } finally {
    client.destroy()
  }
}
