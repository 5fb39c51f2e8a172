import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { SHARED_FRAME_MAX_BYTES, binaryFrame, sendBinary } from './frames.ts'

let wss: WebSocketServer | null = null
afterEach(async () => {
  for (const c of wss?.clients ?? []) c.terminate()
  await new Promise((r) => wss?.close(r) ?? r(null))
  wss = null
})

/** A real ws server and `clients` real ws clients; resolves with the server side of each connection. */
async function connected(clients: number): Promise<{ server: WebSocket[]; client: WebSocket[] }> {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await once(wss, 'listening')
  const port = (wss.address() as AddressInfo).port
  const server: WebSocket[] = []
  const client: WebSocket[] = []
  const accepted = new Promise<void>((resolve) =>
    wss!.on('connection', (ws) => {
      server.push(ws)
      if (server.length === clients) resolve()
    }),
  )
  for (let i = 0; i < clients; i++) {
    const c = new WebSocket(`ws://127.0.0.1:${port}`)
    c.binaryType = 'nodebuffer'
    client.push(c)
    await once(c, 'open')
  }
  await accepted
  return { server, client }
}

function payload(size: number, seed: number): Uint8Array {
  const p = new Uint8Array(size)
  for (let i = 0; i < size; i++) p[i] = (i * 31 + seed) & 0xff
  return p
}

describe('sendBinary', () => {
  it('delivers every payload size intact, in order, to every socket, across the header-length boundaries', async () => {
    const { server, client } = await connected(3)
    const sizes = [0, 1, 125, 126, 127, 1000, 65535, 65536, SHARED_FRAME_MAX_BYTES + 1, 200_000]
    const payloads = sizes.map((s, i) => payload(s, i))
    const received = client.map((c) => {
      const got: Buffer[] = []
      const done = new Promise<Buffer[]>((resolve) =>
        c.on('message', (data: Buffer, isBinary) => {
          expect(isBinary).toBe(true)
          got.push(data)
          if (got.length === payloads.length) resolve(got)
        }),
      )
      return done
    })
    // As a relay does: each payload to every socket in turn, so the shared frame is reused across sockets.
    for (const p of payloads) for (const ws of server) sendBinary(ws, p)
    for (const got of await Promise.all(received)) {
      expect(got.map((b) => b.length)).toEqual(sizes)
      got.forEach((b, i) => expect(Buffer.compare(b, Buffer.from(payloads[i]))).toBe(0))
    }
  })

  it('keeps order with frames ws queued itself', async () => {
    const { server, client } = await connected(1)
    const got: number[] = []
    const done = new Promise<void>((resolve) =>
      client[0].on('message', (data: Buffer) => {
        got.push(data[0])
        if (got.length === 4) resolve()
      }),
    )
    // A Blob makes ws queue what follows until it has read the Blob's bytes: the frames after it must wait too.
    sendBinary(server[0], new Uint8Array([1]))
    server[0].send(new Blob([new Uint8Array([2])]))
    sendBinary(server[0], new Uint8Array([3]))
    sendBinary(server[0], new Uint8Array([4]))
    await done
    expect(got).toEqual([1, 2, 3, 4])
  })
})

describe('binaryFrame', () => {
  it('writes the 64-bit length form for payloads over 65,535 bytes', () => {
    const frame = binaryFrame(new Uint8Array(70_000))
    expect([...frame.subarray(0, 10)]).toEqual([0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70])
    expect(frame.length).toBe(70_010)
  })
})
