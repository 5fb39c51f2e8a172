/**
 * Hostile payloads for the hostile-client tests, written with lib0 and yjs alone so they never share code with the
 * server's decoder. Pure functions: bytes in, bytes out; the tests decide where they go.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { int } from './rng.ts'

/** A sync frame (message type 0) of `syncType` around `payload`: the varuint length always matches. */
export function syncFrame(syncType: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0)
  encoding.writeVarUint(e, syncType)
  encoding.writeVarUint8Array(e, payload)
  return encoding.toUint8Array(e)
}

export const step1Frame = (stateVector: Uint8Array): Uint8Array => syncFrame(0, stateVector)
export const updateFrame = (update: Uint8Array): Uint8Array => syncFrame(2, update)

/** A sync step 1 with an empty state vector: the server must answer it with a step 2, so it marks a round trip. */
export const PROBE = step1Frame(Y.encodeStateVector(new Y.Doc()))

/** An awareness frame (message type 1) around raw awareness-update bytes. */
export function awarenessFrameOf(inner: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint8Array(e, inner)
  return encoding.toUint8Array(e)
}

export interface AwarenessClaim {
  clientID: number
  clock: number
  /** Any JSON value; `null` removes the state. */
  state: unknown
}

/** Awareness-update bytes claiming any client ids and clocks (y-protocols format). */
export function awarenessUpdate(entries: AwarenessClaim[]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, entries.length)
  for (const c of entries) {
    encoding.writeVarUint(e, c.clientID)
    encoding.writeVarUint(e, c.clock)
    encoding.writeVarString(e, JSON.stringify(c.state))
  }
  return encoding.toUint8Array(e)
}

export const awarenessFrame = (entries: AwarenessClaim[]): Uint8Array => awarenessFrameOf(awarenessUpdate(entries))

/** The message type and, for sync messages, the sync type of a frame; null if it does not even start like one. */
export function frameType(frame: Uint8Array): { type: number; syncType?: number } | null {
  try {
    const d = decoding.createDecoder(frame)
    const type = decoding.readVarUint(d)
    return type === 0 ? { type, syncType: decoding.readVarUint(d) } : { type }
  } catch {
    return null
  }
}

/** The byte-array payload of a sync or awareness frame (a state vector, an update, an awareness update). */
export function payloadOf(frame: Uint8Array): Uint8Array {
  const d = decoding.createDecoder(frame)
  if (decoding.readVarUint(d) === 0) decoding.readVarUint(d)
  return decoding.readVarUint8Array(d)
}

/**
 * Whether a frame is one complete protocol message as PROTOCOL.md describes it, checked with lib0 only: a known
 * type, every length matching, no trailing bytes. (It says nothing about whether a Yjs payload is valid.)
 */
export function wellFormed(frame: Uint8Array): boolean {
  try {
    const d = decoding.createDecoder(frame)
    const type = decoding.readVarUint(d)
    if (type === 0) {
      if (decoding.readVarUint(d) > 2) return false
      return decoding.readVarUint(d) === frame.length - d.pos
    }
    if (type === 1) return decoding.readVarUint(d) === frame.length - d.pos
    if (type === 2) {
      decoding.readVarUint(d)
      decoding.readVarString(d)
      return d.pos === frame.length
    }
    return type === 3 && d.pos === frame.length
  } catch {
    return false
  }
}

/** Whether awareness-update bytes are complete: every entry present, its state JSON, nothing after them. */
export function awarenessComplete(inner: Uint8Array): boolean {
  try {
    const d = decoding.createDecoder(inner)
    for (let n = decoding.readVarUint(d); n > 0; n--) {
      decoding.readVarUint(d)
      decoding.readVarUint(d)
      JSON.parse(decoding.readVarString(d))
    }
    return !decoding.hasContent(d)
  } catch {
    return false
  }
}

/** Runs `f` on a fresh document with a fixed client id and returns the one update it made. */
export function updateFrom(clientID: number, f: (doc: Y.Doc) => void, base?: Uint8Array): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientID
  if (base) Y.applyUpdate(doc, base)
  let update: Uint8Array | null = null
  doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin !== 'base') update = update ? Y.mergeUpdates([update, u]) : u
  })
  f(doc)
  doc.destroy()
  if (!update) throw new Error('the edit made no update')
  return update
}

/** A paragraph as y-prosemirror stores it: an element holding one text, here with a bold run. */
export function paragraph(text: string, bold = ''): Y.XmlElement {
  const p = new Y.XmlElement('paragraph')
  const t = new Y.XmlText()
  t.insert(0, text)
  if (bold) t.insert(text.length, bold, { strong: true })
  p.insert(0, [t])
  return p
}

/** Stored content for an attacked room: two paragraphs by client 1001, one with a bold run. */
export function seedUpdate(clientID = 1001): Uint8Array {
  return updateFrom(clientID, (doc) => {
    doc.getXmlFragment('prosemirror').push([paragraph('Stored before the attack. ', 'Bold.'), paragraph('Second.')])
  })
}

/**
 * A valid, self-contained update (a new paragraph with formatting, and a deletion, so it has structs and a delete
 * set): every part of it integrates into any document.
 */
export function validUpdate(clientID: number): Uint8Array {
  return updateFrom(clientID, (doc) => {
    const frag = doc.getXmlFragment('prosemirror')
    doc.transact(() => {
      frag.push([paragraph('Written by the attacker ', 'with bold')])
    })
    doc.transact(() => {
      const t = (frag.get(0) as Y.XmlElement).get(0) as Y.XmlText
      t.delete(3, 4)
      t.format(0, 3, { em: true })
    })
  })
}

/**
 * An update whose structs start past clock 0 of a client nobody has seen: a gap that can never close. `size` bytes
 * of text each. Client ids are `base + i`.
 */
export function farFutureClockUpdates(n: number, size: number, base = 7_000_000): Uint8Array[] {
  const out: Uint8Array[] = []
  const filler = 'x'.repeat(size)
  for (let i = 0; i < n; i++) {
    const doc = new Y.Doc()
    doc.clientID = base + i
    const text = doc.getText('t')
    text.insert(0, 'a') // clock 0: never sent
    let later: Uint8Array | null = null
    doc.on('update', (u: Uint8Array) => (later = u))
    text.insert(1, filler) // clocks 1..size
    out.push(later!)
    doc.destroy()
  }
  return out
}

/**
 * An update by a new client that starts at clock 0 (so no gap in its own clocks) but is anchored to an item of
 * client `missingClient` that the server never saw: it cannot integrate either.
 */
export function unknownOriginUpdate(clientID: number, missingClient: number, size = 16): Uint8Array {
  const a = new Y.Doc()
  a.clientID = missingClient
  a.getXmlFragment('prosemirror').push([paragraph('anchor text')])
  const b = new Y.Doc()
  b.clientID = clientID
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  let update: Uint8Array | null = null
  b.on('update', (u: Uint8Array) => (update = u))
  const t = (b.getXmlFragment('prosemirror').get(0) as Y.XmlElement).get(0) as Y.XmlText
  t.insert(3, 'y'.repeat(size))
  a.destroy()
  b.destroy()
  return update!
}

/** An update with no structs and a delete set claiming `[clock, clock + length)` of `client`. */
export function deleteRangeUpdate(client: number, clock: number, length: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // no structs
  encoding.writeVarUint(e, 1) // delete set: one client
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, 1) // one range
  encoding.writeVarUint(e, clock)
  encoding.writeVarUint(e, length)
  return encoding.toUint8Array(e)
}

/** A V1 update header that claims `structs` structs for one client and then ends: a few bytes, millions promised. */
export function structCountBomb(structs: number, clients = 1): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, clients)
  encoding.writeVarUint(e, structs)
  encoding.writeVarUint(e, 424242) // client
  encoding.writeVarUint(e, 0) // first clock
  return encoding.toUint8Array(e)
}

/**
 * The payloads of yjs issue #687 (and its PR #688 tests): V2 updates that claim 4,398,046,511,101 structs, 265,828
 * or 7,658,324,286 merged updates, a GC item of length 553,253, and 267,854,847 structs in one update. The server
 * speaks V1, so they arrive as V1 updates: what a V2 client talking to a V1 server would send.
 */
export const YJS_687: Record<string, number[]> = {
  'V2, 4,398,046,511,101 structs (the issue’s hex example)': [
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00, 0x00, 0x16, 0x02, 0x00, 0x00, 0x01,
    0xfd, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00,
  ],
  'V1, 265,828 updates': [
    228, 156, 16, 0, 5, 255, 255, 5, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 237, 0, 0, 0, 1, 1, 0, 254, 184, 194, 233, 173, 135,
    217, 18, 0, 0, 1, 1, 255, 237, 246,
  ],
  'V2, 7,658,324,286 updates': [
    228, 149, 0, 0, 1, 24, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 237, 1, 190, 130, 227, 195, 28, 1, 2, 228, 149, 0, 0, 1, 24,
    0, 0, 1, 24, 0, 0, 1, 0, 1, 237, 0,
  ],
  'V2, a GC item of length 553,253': [
    143, 1, 128, 0, 0, 0, 1, 170, 1, 0, 1, 2, 0, 0, 22, 2, 0, 229, 196, 67, 20, 231, 166, 139, 147, 174, 181, 253, 93,
    232, 38, 154, 138, 89, 0, 49, 213, 15, 18, 1, 48, 0, 0, 0,
  ],
  'V2, 267,854,847 structs in one update': [
    0, 1, 35, 0, 0, 0, 1, 2, 129, 0, 0, 16, 0, 199, 220, 0, 196, 122, 128, 0, 65, 171, 234, 214, 0, 1, 0, 0, 1, 0, 0,
    132, 0, 0, 16, 255, 199, 220, 255, 0, 0, 0,
  ],
}

/** A real document's content encoded as V2, to be sent where V1 is expected. */
export function v2Update(clientID: number): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientID
  doc.getXmlFragment('prosemirror').push([paragraph('encoded as V2 ', 'by mistake')])
  const update = Y.encodeStateAsUpdateV2(doc)
  doc.destroy()
  return update
}

/**
 * One random frame for the fuzzer, from five families: any bytes; a well-framed sync message of any sync type
 * around random bytes; a valid update with a few bytes changed, inserted or removed; a well-framed awareness
 * message around random bytes; a valid frame with one byte changed.
 */
export function randomFrame(r: () => number, valid: Uint8Array[]): Uint8Array {
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(r, 0, 255))
  const family = int(r, 0, 4)
  switch (family) {
    case 0:
      return bytes(int(r, 0, 48))
    case 1:
      return syncFrame(int(r, 0, 3), bytes(int(r, 0, 40)))
    case 2: {
      const base = valid[int(r, 0, valid.length - 1)]
      const u = Array.from(base)
      for (let k = int(r, 1, 3); k > 0; k--) {
        const at = int(r, 0, u.length - 1)
        const op = int(r, 0, 2)
        if (op === 0) u[at] = int(r, 0, 255)
        else if (op === 1) u.splice(at, 0, int(r, 0, 255))
        else u.splice(at, 1)
      }
      return updateFrame(Uint8Array.from(u))
    }
    case 3:
      return awarenessFrameOf(bytes(int(r, 0, 40)))
    default: {
      const f = updateFrame(valid[int(r, 0, valid.length - 1)])
      f[int(r, 0, f.length - 1)] = int(r, 0, 255)
      return f
    }
  }
}
