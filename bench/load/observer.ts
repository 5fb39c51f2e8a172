/**
 * The replay's observer, in its own worker thread (so that receiving does not queue behind sending): connects,
 * reports `ready` once it sees the writer's paragraph, then reports `done` with the time (epoch ms, comparable
 * across threads) at which the writer's final marker arrived and the text was checked.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { connect, type Protocol } from './clients.ts'
import { paragraphText } from '../trace.ts'

const { protocol, url, room, finalText } = workerData as { protocol: Protocol; url: string; room: string; finalText: string }
const port = parentPort!
const now = () => performance.timeOrigin + performance.now()

const client = connect(protocol, url, room)
const meta = client.doc.getMap<number>('bench')
let ready = false
client.doc.on('update', () => {
  if (!ready && paragraphText(client.doc) !== null) {
    ready = true
    port.postMessage({ kind: 'ready' })
  }
})
meta.observe((e) => {
  if (!e.keysChanged.has('done')) return
  const at = now()
  port.postMessage({ kind: 'done', at, ok: paragraphText(client.doc) === finalText })
})
await client.synced
port.postMessage({ kind: 'synced' })
port.on('message', (m: { kind: string }) => {
  if (m.kind === 'close') {
    client.destroy()
    port.close()
  }
})
