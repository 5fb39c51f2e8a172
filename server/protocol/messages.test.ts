import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as prng from 'lib0/prng'
import * as syncProtocol from 'y-protocols/sync'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { CloseCode } from '../../shared/close-codes.ts'
import {
  ProtocolError,
  decodeAwarenessEntries,
  decodeMessage,
  encodeAwareness,
  encodeAwarenessEntries,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  messageKind,
  type AwarenessEntry,
} from './messages.ts'

/** Asserts `f` throws a ProtocolError with close code 1002 (or `code`). */
function expectProtocolError(f: () => unknown, code: number = CloseCode.protocolError): ProtocolError {
  let caught: unknown
  try {
    f()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(ProtocolError)
  expect((caught as ProtocolError).code).toBe(code)
  return caught as ProtocolError
}

function sampleDoc(): Y.Doc {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, 'hello ✍ world')
  doc.getXmlFragment('prosemirror').insert(0, [new Y.XmlElement('paragraph')])
  return doc
}

describe('protocol messages: round trips', () => {
  const doc = sampleDoc()
  const stateVector = Y.encodeStateVector(doc)
  const update = Y.encodeStateAsUpdate(doc)

  it('a sync step 1 decodes to the state vector it carries', () => {
    expect(decodeMessage(encodeSyncStep1(stateVector))).toEqual({ type: 'sync-step1', stateVector })
  })

  it('a sync step 2 decodes to the update it carries', () => {
    expect(decodeMessage(encodeSyncStep2(update))).toEqual({ type: 'sync-step2', update })
  })

  it('a sync update decodes to the update it carries', () => {
    expect(decodeMessage(encodeUpdate(update))).toEqual({ type: 'sync-update', update })
  })

  it('empty payloads round trip', () => {
    const empty = new Uint8Array(0)
    expect(decodeMessage(encodeSyncStep1(empty))).toEqual({ type: 'sync-step1', stateVector: empty })
    expect(decodeMessage(encodeUpdate(empty))).toEqual({ type: 'sync-update', update: empty })
    expect(decodeMessage(encodeAwareness(empty))).toEqual({ type: 'awareness', update: empty })
  })

  it('an awareness message decodes to the awareness update it carries', () => {
    const awareness = new Awareness(doc)
    awareness.setLocalState({ user: 'ada', cursor: { anchor: 1, head: 4 } })
    const inner = encodeAwarenessUpdate(awareness, [doc.clientID])
    awareness.destroy()
    expect(decodeMessage(encodeAwareness(inner))).toEqual({ type: 'awareness', update: inner })
  })

  it('a query-awareness message round trips', () => {
    expect(decodeMessage(encodeQueryAwareness())).toEqual({ type: 'query-awareness' })
  })

  it('a permission-denied auth message round trips with its reason', () => {
    expect(decodeMessage(encodePermissionDenied('token expired: ask for a new link'))).toEqual({
      type: 'auth',
      denied: true,
      reason: 'token expired: ask for a new link',
    })
  })

  it('the encoders write the same bytes as y-protocols, so the stock client reads them', () => {
    const viaYProtocols = (write: (e: encoding.Encoder) => void) => {
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, 0)
      write(e)
      return encoding.toUint8Array(e)
    }
    expect(encodeSyncStep1(stateVector)).toEqual(viaYProtocols((e) => syncProtocol.writeSyncStep1(e, doc)))
    expect(encodeSyncStep2(update)).toEqual(viaYProtocols((e) => syncProtocol.writeSyncStep2(e, doc, new Uint8Array([0]))))
    expect(encodeUpdate(update)).toEqual(viaYProtocols((e) => syncProtocol.writeUpdate(e, update)))
  })

  it('random payloads of every sync type round trip (seeded)', () => {
    const rng = prng.create(20240601)
    for (let i = 0; i < 50; i++) {
      const payload = prng.uint8Array(rng, prng.int32(rng, 0, 200))
      expect(decodeMessage(encodeSyncStep1(payload))).toEqual({ type: 'sync-step1', stateVector: payload })
      expect(decodeMessage(encodeSyncStep2(payload))).toEqual({ type: 'sync-step2', update: payload })
      expect(decodeMessage(encodeUpdate(payload))).toEqual({ type: 'sync-update', update: payload })
      expect(decodeMessage(encodeAwareness(payload))).toEqual({ type: 'awareness', update: payload })
    }
  })
})

describe('protocol messages: errors', () => {
  const update = Y.encodeStateAsUpdate(sampleDoc())

  it('an unknown message type is a ProtocolError with code 1002', () => {
    for (const type of [4, 5, 127, 128, 100000]) {
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, type)
      const err = expectProtocolError(() => decodeMessage(encoding.toUint8Array(e)))
      expect(err.message).toContain(`unknown message type ${type}`)
    }
  })

  it('an unknown sync type is a ProtocolError with code 1002', () => {
    for (const syncType of [3, 9, 300]) {
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, 0)
      encoding.writeVarUint(e, syncType)
      encoding.writeVarUint8Array(e, update)
      const err = expectProtocolError(() => decodeMessage(encoding.toUint8Array(e)))
      expect(err.message).toContain(`unknown sync message type ${syncType}`)
    }
  })

  it('an empty frame is a ProtocolError with code 1002', () => {
    expectProtocolError(() => decodeMessage(new Uint8Array(0)))
  })

  it('every truncation of every message kind is a ProtocolError with code 1002', () => {
    const frames = [
      encodeSyncStep1(Y.encodeStateVector(sampleDoc())),
      encodeSyncStep2(update),
      encodeUpdate(update),
      encodeAwareness(encodeAwarenessEntries([{ clientID: 1, clock: 2, state: '{"a":1}' }])),
      encodePermissionDenied('no'),
    ]
    for (const frame of frames) {
      for (let k = 0; k < frame.length; k++) {
        // A copy, so that no bytes past the cut are reachable through the underlying buffer.
        expectProtocolError(() => decodeMessage(frame.slice(0, k)))
        // A view into the longer buffer must be refused as well.
        expectProtocolError(() => decodeMessage(frame.subarray(0, k)))
      }
    }
  })

  it('trailing bytes after one message are a ProtocolError with code 1002', () => {
    const frames = [
      encodeSyncStep1(new Uint8Array([0])),
      encodeUpdate(update),
      encodeAwareness(new Uint8Array([0])),
      encodeQueryAwareness(),
      encodePermissionDenied('no'),
    ]
    for (const frame of frames) {
      const err = expectProtocolError(() => decodeMessage(Uint8Array.of(...frame, 0)))
      expect(err.message).toContain('trailing bytes')
      // Two messages in one frame are refused too: one WebSocket message holds exactly one.
      expectProtocolError(() => decodeMessage(Uint8Array.of(...frame, ...frame)))
    }
  })

  it('ProtocolError defaults to 1002 and carries another code when given one', () => {
    expect(new ProtocolError('x').code).toBe(CloseCode.protocolError)
    expect(new ProtocolError('x', CloseCode.policyViolation).code).toBe(CloseCode.policyViolation)
    expect(new ProtocolError('x').name).toBe('ProtocolError')
  })
})

describe('protocol messages: awareness entries', () => {
  it('entries round trip through encode and decode', () => {
    const entries: AwarenessEntry[] = [
      { clientID: 1, clock: 0, state: '{}' },
      { clientID: 2 ** 31, clock: 12345, state: '{"user":{"name":"Zoë ✍","color":"#ff0"},"cursor":null}' },
      { clientID: 7, clock: 3, state: 'null' },
    ]
    expect(decodeAwarenessEntries(encodeAwarenessEntries(entries))).toEqual(entries)
    expect(decodeAwarenessEntries(encodeAwarenessEntries([]))).toEqual([])
  })

  it('entries decoded from a y-protocols awareness update match its states', () => {
    const doc = new Y.Doc()
    const awareness = new Awareness(doc)
    awareness.setLocalState({ user: 'ada' })
    const entries = decodeAwarenessEntries(encodeAwarenessUpdate(awareness, [doc.clientID]))
    expect(entries).toEqual([{ clientID: doc.clientID, clock: 1, state: '{"user":"ada"}' }])
    awareness.setLocalState(null)
    expect(decodeAwarenessEntries(encodeAwarenessUpdate(awareness, [doc.clientID]))).toEqual([
      { clientID: doc.clientID, clock: 2, state: 'null' },
    ])
    awareness.destroy()
  })

  it('a malformed awareness update is a ProtocolError with code 1002', () => {
    const good = encodeAwarenessEntries([
      { clientID: 5, clock: 1, state: '{"a":1}' },
      { clientID: 6, clock: 1, state: '{"b":2}' },
    ])
    for (let k = 0; k < good.length; k++) {
      const err = expectProtocolError(() => decodeAwarenessEntries(good.slice(0, k)))
      expect(err.message).toContain('malformed awareness update')
    }
    expectProtocolError(() => decodeAwarenessEntries(Uint8Array.of(...good, 0)))
    // A count larger than the entries present.
    expectProtocolError(() => decodeAwarenessEntries(Uint8Array.of(3, ...good.subarray(1))))
  })
})

describe('messageKind', () => {
  it('names every frame the encoders make, and calls anything else unknown without throwing', () => {
    expect(messageKind(encodeSyncStep1(new Uint8Array([0])))).toBe('sync-step1')
    expect(messageKind(encodeSyncStep2(new Uint8Array([0, 0])))).toBe('sync-step2')
    expect(messageKind(encodeUpdate(new Uint8Array([0, 0])))).toBe('sync-update')
    expect(messageKind(encodeAwareness(new Uint8Array([0])))).toBe('awareness')
    expect(messageKind(encodeQueryAwareness())).toBe('query-awareness')
    expect(messageKind(encodePermissionDenied('no'))).toBe('auth')
    for (const bad of [[], [0], [0, 9], [200, 1], [7]]) expect(messageKind(new Uint8Array(bad))).toBe('unknown')
  })
})
