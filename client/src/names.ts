/**
 * Random names: document names for "New document", and the made-up identity a visitor gets on first visit.
 *
 * Randomness is passed in as a function returning bytes so that tests can script it; the default is the browser's
 * (and Node's) `crypto.getRandomValues`.
 */

export type RandomBytes = (length: number) => Uint8Array

export const cryptoBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length))

const ROOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'
/** 252 = 36 × 7: bytes from 252 up are dropped, so that `byte % 36` picks every character equally often. */
const UNBIASED_BYTE_LIMIT = 252
export const RANDOM_ROOM_NAME_LENGTH = 10

/** A fresh document name of 10 characters from [a-z0-9]: about 52 bits, so two visitors never collide. */
export function randomRoomName(random: RandomBytes = cryptoBytes): string {
  let name = ''
  while (name.length < RANDOM_ROOM_NAME_LENGTH) {
    for (const byte of random(RANDOM_ROOM_NAME_LENGTH - name.length)) {
      if (byte < UNBIASED_BYTE_LIMIT) name += ROOM_ALPHABET[byte % ROOM_ALPHABET.length]
    }
  }
  return name
}

const ADJECTIVES = [
  'Swift', 'Quiet', 'Bright', 'Clever', 'Gentle', 'Brave', 'Curious', 'Jolly', 'Nimble', 'Calm',
  'Lucky', 'Merry', 'Witty', 'Bold', 'Keen', 'Sunny', 'Mellow', 'Plucky', 'Dapper', 'Cosy',
]
const ANIMALS = [
  'Otter', 'Falcon', 'Badger', 'Heron', 'Lynx', 'Panda', 'Fox', 'Owl', 'Koala', 'Marten',
  'Puffin', 'Walrus', 'Gecko', 'Ibis', 'Bison', 'Crane', 'Hare', 'Seal', 'Wren', 'Yak',
]

/**
 * Cursor colours. Each is dark enough for the white name label drawn on it and distinct from its neighbours; all
 * are `#rrggbb` because y-prosemirror appends an alpha byte to the colour for the selection highlight.
 */
export const USER_COLORS = [
  '#c92a2a', '#a61e4d', '#862e9c', '#5f3dc4', '#364fc7',
  '#1864ab', '#0b7285', '#087f5b', '#2b8a3e', '#b35900',
] as const

/** Picks one item. A 32-bit draw makes the modulo bias (under 1e-8 for these lists) irrelevant. */
function pick<T>(items: readonly T[], random: RandomBytes): T {
  const [a, b, c, d] = random(4)
  const draw = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
  return items[draw % items.length]
}

/** A friendly made-up name such as "Swift Otter". */
export function randomUserName(random: RandomBytes = cryptoBytes): string {
  return `${pick(ADJECTIVES, random)} ${pick(ANIMALS, random)}`
}

export function randomUserColor(random: RandomBytes = cryptoBytes): string {
  return pick(USER_COLORS, random)
}
