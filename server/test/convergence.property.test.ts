/**
 * Promise 5 (convergence), as a property: whatever 3–6 editors do, in whatever order their messages travel, once
 * messages stop every client, the server's document and a document rebuilt from the store are equal.
 *
 * fast-check generates a scenario (how many clients, then a list of commands) and runs it against the real `Room`
 * with in-memory clients (server/room/memory-client.ts) over a `MemoryStore`. The documents have y-prosemirror's
 * shape: the `prosemirror` XmlFragment holding paragraph XmlElements, each holding one XmlText. Commands: insert text,
 * delete a range, bold or italicise a range (and remove it), add, split and remove paragraphs, undo and redo (a
 * `Y.UndoManager` per client that tracks only its own origin, as y-prosemirror's yUndoPlugin does), disconnect,
 * reconnect, deliver some queued frames out of order in either direction, drop queued frames while disconnected, and
 * let the store answer. At the end everyone reconnects and traffic settles; the only close allowed on the way is
 * 1008, which reordered deliveries can earn by tripping the unintegrated-update limit.
 *
 * Everything Inkwell owns is compared on every run: the same items and deletions everywhere (Yjs snapshots), nothing
 * left unintegrated, the store included. The text as each editor shows it is compared too, except in the rare runs
 * where Yjs itself loses track of item order (yjs/yjs#699, see `upstreamAnomalies`).
 *
 * Seeds are pinned so CI replays exactly. `INKWELL_SLOW=1` runs many more cases; a failure prints the seed, the path
 * and the shrunk scenario: pass them back as `{ seed, path }` to replay it.
 */
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { MemoryStore } from '../storage/memory.ts'
import { buildDoc, pendingData } from '../storage/build-doc.ts'
import { MemoryClient, settle, drainMicrotasks } from '../room/memory-client.ts'
import { DEFAULT_ROOM_OPTIONS, Room, type RoomHooks, type RoomOptions } from '../room/room.ts'
import { CloseCode } from '../../shared/close-codes.ts'

const SLOW = process.env.INKWELL_SLOW === '1'

// ---------------------------------------------------------------------------------------------------------------
// Commands. Indices are plain naturals, reduced modulo whatever exists when the command runs, so every generated
// command means something in every state and shrinking keeps scenarios valid.

type Mark = 'strong' | 'em'
type Command =
  | { kind: 'insert'; client: number; para: number; at: number; text: string }
  | { kind: 'delete'; client: number; para: number; at: number; length: number }
  | { kind: 'format'; client: number; para: number; at: number; length: number; mark: Mark; on: boolean }
  | { kind: 'paragraph'; client: number; at: number; text: string }
  | { kind: 'split'; client: number; para: number; at: number }
  | { kind: 'removeParagraph'; client: number; para: number }
  | { kind: 'undo'; client: number }
  | { kind: 'redo'; client: number }
  | { kind: 'disconnect'; client: number }
  | { kind: 'reconnect'; client: number }
  /** Deliver up to `count` queued client → server frames, the one at `first` (mod queue length) before the rest. */
  | { kind: 'toServer'; client: number; count: number; first: number }
  /** The same, server → client. */
  | { kind: 'toClient'; client: number; count: number; first: number }
  /** While disconnected: lose the queued client → server frames whose bit is set in `mask`. */
  | { kind: 'drop'; client: number; mask: number }
  /** Let the store answer every pending write, so deferred relays and answers go out. */
  | { kind: 'durable' }

const idx = fc.nat({ max: 1_000 })
const client = fc.nat({ max: 5 })
// Spaces, accents and a character outside the BMP (a surrogate pair in Yjs's UTF-16 positions).
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', 'é', 'ß', '😀'), minLength: 1, maxLength: 6 })

const edit: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('insert' as const), client, para: idx, at: idx, text }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), client, para: idx, at: idx, length: fc.integer({ min: 1, max: 8 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('format' as const),
      client,
      para: idx,
      at: idx,
      length: fc.integer({ min: 1, max: 8 }),
      mark: fc.constantFrom<Mark>('strong', 'em'),
      on: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('paragraph' as const), client, at: idx, text }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('split' as const), client, para: idx, at: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeParagraph' as const), client, para: idx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('undo' as const), client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('redo' as const), client }) },
)

const network: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('toServer' as const), client, count: fc.integer({ min: 1, max: 4 }), first: fc.nat({ max: 7 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('toClient' as const), client, count: fc.integer({ min: 1, max: 4 }), first: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), client, mask: fc.nat({ max: 0xffff }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'durable' as const }) },
)

interface Scenario {
  clients: number
  commands: Command[]
}

/** `editWeight` : `networkWeight` sets how much typing there is between deliveries. */
function scenarios(editWeight: number, networkWeight: number, maxCommands: number): fc.Arbitrary<Scenario> {
  return fc.record({
    clients: fc.integer({ min: 3, max: 6 }),
    commands: fc.array(fc.oneof({ weight: editWeight, arbitrary: edit }, { weight: networkWeight, arbitrary: network }), {
      minLength: 10,
      maxLength: maxCommands,
      size: 'max', // lengths spread up to maxCommands, not fast-check's default of a few
    }),
  })
}

// ---------------------------------------------------------------------------------------------------------------
// The system under test: one room, its store, and the clients with their undo managers.

interface Editor {
  client: MemoryClient
  /** The origin of this client's own edits: the only one its undo manager tracks (y-prosemirror's ySyncPluginKey). */
  origin: object
  undo: Y.UndoManager
}

class World {
  readonly store = new MemoryStore()
  readonly room: Room
  readonly editors: Editor[]
  readonly failures: Error[] = []

  constructor(n: number, options: Partial<RoomOptions> = {}) {
    const hooks: RoomHooks = { idle() {}, busy() {}, failed: (_room, err) => void this.failures.push(err) }
    this.room = new Room('property', new Y.Doc(), this.store, hooks, { ...DEFAULT_ROOM_OPTIONS, ...options })
    this.editors = Array.from({ length: n }, (_, i) => {
      const c = new MemoryClient(`c${i}`)
      const origin = { editor: i }
      // captureTimeout 0: every edit is its own undo step, so a run does not depend on the clock.
      const undo = new Y.UndoManager(c.fragment, { trackedOrigins: new Set([origin]), captureTimeout: 0 })
      c.connect(this.room)
      return { client: c, origin, undo }
    })
  }

  get clients(): MemoryClient[] {
    return this.editors.map((e) => e.client)
  }

  async run(cmd: Command): Promise<void> {
    if (cmd.kind === 'durable') {
      await this.room.whenDurable()
      await drainMicrotasks()
      return
    }
    const e = this.editors[cmd.client % this.editors.length]
    const c = e.client
    switch (cmd.kind) {
      case 'insert':
      case 'delete':
      case 'format':
      case 'paragraph':
      case 'split':
      case 'removeParagraph':
        c.doc.transact(() => applyEdit(c.fragment, cmd), e.origin)
        break
      case 'undo':
        e.undo.undo()
        break
      case 'redo':
        e.undo.redo()
        break
      case 'disconnect':
        if (c.peer) c.disconnect()
        break
      case 'reconnect':
        if (!c.connected) {
          c.disconnect() // forget a connection the server closed
          c.connect(this.room)
        }
        break
      case 'toServer':
        if (c.canSend) {
          moveToFront(c.outbox, cmd.first)
          c.flushToServer(cmd.count)
        }
        break
      case 'toClient':
        moveToFront(c.inbox, cmd.first)
        c.flushToClient(cmd.count)
        break
      case 'drop':
        if (!c.connected) c.dropOutbox(c.outbox.map((_, i) => i).filter((i) => i < 16 && cmd.mask & (1 << i)))
        break
    }
  }

  /** Everyone reconnects and traffic settles; repeated while reordered leftovers get a client closed (1008). */
  async finish(): Promise<void> {
    for (let round = 0; round < 5; round++) {
      for (const c of this.clients) {
        if (!c.connected) {
          c.disconnect()
          c.connect(this.room)
        }
      }
      await settle(this.room, this.clients)
      if (this.clients.every((c) => c.connected)) return
    }
    throw new Error('clients still being closed after 5 reconnect rounds')
  }

  async destroy(): Promise<void> {
    for (const e of this.editors) {
      e.undo.destroy()
      e.client.destroy()
    }
    await this.room.whenDurable()
    if (this.room.live) await this.room.close()
  }
}

/** Moves `items[first mod length]` to the front: the next delivery overtakes the frames queued before it. */
function moveToFront<T>(items: T[], first: number): void {
  if (items.length < 2 || first % items.length === 0) return
  const [item] = items.splice(first % items.length, 1)
  items.unshift(item)
}

function paragraphsOf(fragment: Y.XmlFragment): { el: Y.XmlElement; text: Y.XmlText }[] {
  return fragment
    .toArray()
    .filter((n): n is Y.XmlElement => n instanceof Y.XmlElement)
    .map((el) => ({ el, text: el.get(0) as Y.XmlText }))
    .filter((p) => p.text instanceof Y.XmlText)
}

function newParagraph(text: string): Y.XmlElement {
  const p = new Y.XmlElement('paragraph')
  const t = new Y.XmlText()
  t.insert(0, text)
  p.insert(0, [t])
  return p
}

/**
 * One edit as y-prosemirror would make it. Commands that do not fit the document (no paragraph yet) do nothing.
 * Positions never fall inside a surrogate pair, as in an editor: Yjs counts UTF-16 units, and half a pair cannot be
 * encoded (it would travel as U+FFFD and differ from the sender's copy, which is not what this property is about).
 */
function applyEdit(fragment: Y.XmlFragment, cmd: Command): void {
  const paras = paragraphsOf(fragment)
  if (cmd.kind === 'paragraph') {
    fragment.insert(cmd.at % (fragment.length + 1), [newParagraph(cmd.text)])
    return
  }
  if (paras.length === 0 || !('para' in cmd)) return
  const { el, text } = paras[cmd.para % paras.length]
  const plain = plainText(text)
  const len = plain.length
  const snap = (i: number) => (i > 0 && i < len && isLowSurrogate(plain.charCodeAt(i)) ? i - 1 : i)
  switch (cmd.kind) {
    case 'insert':
      text.insert(snap(cmd.at % (len + 1)), cmd.text)
      break
    case 'delete':
    case 'format': {
      if (len === 0) return
      const at = snap(cmd.at % len)
      const end = snap(Math.min(len, at + cmd.length))
      if (end <= at) return
      if (cmd.kind === 'delete') text.delete(at, end - at)
      else text.format(at, end - at, { [cmd.mark]: cmd.on ? true : null })
      break
    }
    case 'split': {
      // Enter in the middle of a paragraph: the tail moves, with its formatting, into a new paragraph after it.
      const at = snap(cmd.at % (len + 1))
      const tail = sliceDelta(text, at)
      text.delete(at, len - at)
      const p = new Y.XmlElement('paragraph')
      const t = new Y.XmlText()
      p.insert(0, [t])
      fragment.insert(fragment.toArray().indexOf(el) + 1, [p])
      t.applyDelta(tail)
      break
    }
    case 'removeParagraph':
      fragment.delete(fragment.toArray().indexOf(el), 1)
      break
  }
}

type DeltaOp = { insert: string; attributes?: Record<string, unknown> }

function plainText(text: Y.XmlText): string {
  return (text.toDelta() as DeltaOp[]).map((op) => op.insert).join('')
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/** The delta of `text` from `from` to its end. */
function sliceDelta(text: Y.XmlText, from: number): DeltaOp[] {
  const out: DeltaOp[] = []
  let pos = 0
  for (const op of text.toDelta() as DeltaOp[]) {
    const end = pos + op.insert.length
    if (end > from) out.push({ ...op, insert: op.insert.slice(Math.max(0, from - pos)) })
    pos = end
  }
  return out
}

/**
 * Yjs 13.6's UndoManager can recreate an item whose left and right origins are the same item (yjs/yjs#699, open).
 * Where such an item lands depends on the order items are integrated in, so peers holding exactly the same items
 * and deletions can show different text, and a document can read differently from its own encoding. No server can
 * repair that. A run where some document reads differently from its own encoding is counted as one of these; it is
 * still checked for everything Inkwell owns (every peer, the server and the store hold the same items and
 * deletions, nothing unintegrated), only the text comparison is left out. Inkwell never creates items, so a bug of
 * its own (a lost, duplicated or half-applied update) shows in the items and deletions, which are always compared.
 */
let upstreamAnomalies = 0

/** How a document reads (as an editor shows it), its items and deletions (a Yjs snapshot), and any leftovers. */
function view(doc: Y.Doc): { text: string; snapshot: string; unintegrated: boolean } {
  return {
    text: doc.getXmlFragment('prosemirror').toString(),
    snapshot: Buffer.from(Y.encodeSnapshot(Y.snapshot(doc))).toString('hex'),
    unintegrated: pendingData(doc) !== null,
  }
}

/** The text of a fresh document built from `doc`'s own encoding. */
function rebuilt(doc: Y.Doc): string {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  const text = copy.getXmlFragment('prosemirror').toString()
  copy.destroy()
  return text
}

async function converges(scenario: Scenario, options: Partial<RoomOptions> = {}): Promise<void> {
  const world = new World(scenario.clients, options)
  let stored: Y.Doc | null = null
  try {
    for (const cmd of scenario.commands) await world.run(cmd)
    await world.finish()
    expect(world.failures).toEqual([])
    for (const c of world.clients) for (const close of c.closes) expect(close.code, `${c.name} was closed`).toBe(CloseCode.policyViolation)

    await world.room.whenDurable()
    const reload = buildDoc((await world.store.load(world.room.name)).records)
    stored = reload.doc
    expect(reload.bad, 'stored records that do not apply').toEqual([])
    const docs = new Map<string, Y.Doc>([['server', world.room.doc], ['store', stored], ...world.clients.map((c) => [c.name, c.doc] as const)])
    const views = new Map([...docs].map(([who, doc]) => [who, view(doc)]))
    const server = views.get('server')!
    // Every peer and the store hold the same items and deletions, with nothing left unintegrated...
    for (const [who, v] of views) {
      expect({ snapshot: v.snapshot, unintegrated: v.unintegrated }, who).toEqual({ snapshot: server.snapshot, unintegrated: false })
    }
    // ...and read the same (y-prosemirror reads the fragment element by element; toString shows all of it).
    if ([...views.values()].every((v) => v.text === server.text)) return
    if ([...docs].some(([who, doc]) => rebuilt(doc) !== views.get(who)!.text)) {
      upstreamAnomalies++ // yjs/yjs#699, see above
      return
    }
    for (const [who, v] of views) expect(v.text, who).toBe(server.text)
  } finally {
    stored?.destroy()
    await world.destroy()
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('convergence property (promise 5)', () => {
  const runs = (n: number) => (SLOW ? n * 40 : n)
  const timeout = SLOW ? 3_600_000 : 30_000
  afterAll(() => {
    if (upstreamAnomalies > 0) console.warn(`${upstreamAnomalies} run(s) hit yjs/yjs#699 (see upstreamAnomalies): their live text was not compared`)
  })

  it('editors converge whatever they type and however their messages travel', { timeout }, async () => {
    await fc.assert(fc.asyncProperty(scenarios(3, 2, 80), (s) => converges(s)), { seed: 0x1e4f_2024, numRuns: runs(200) })
  })

  // With a resync limit of 0, any out-of-order update gets its sender closed (1008): this exercises the
  // close, reconnect and resync path that the default limit of 8 rarely reaches.
  it('editors converge when the network misbehaves more than they type, and reordering gets them closed', { timeout }, async () => {
    const strict = (s: Scenario) => converges(s, { maxUnintegrated: 0 })
    await fc.assert(fc.asyncProperty(scenarios(1, 3, 120), strict), { seed: 424_242, numRuns: runs(150) })
  })

  it('editors converge when they mostly format and undo each other’s work', { timeout }, async () => {
    const formatting = fc.record({
      clients: fc.integer({ min: 3, max: 6 }),
      commands: fc.array(
        fc.oneof(
          { weight: 2, arbitrary: edit },
          { weight: 3, arbitrary: edit.filter((c) => c.kind === 'format' || c.kind === 'undo' || c.kind === 'redo') },
          { weight: 2, arbitrary: network },
        ),
        { minLength: 10, maxLength: 80, size: 'max' },
      ),
    })
    await fc.assert(fc.asyncProperty(formatting, (s) => converges(s)), { seed: 7_001, numRuns: runs(150) })
  })
})
