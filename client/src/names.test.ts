import { describe, it, expect } from 'vitest'
import { isValidRoomName } from '../../shared/room-name.ts'
import { randomRoomName, randomUserColor, randomUserName, USER_COLORS, type RandomBytes } from './names.ts'

/** A random source that hands out the given bytes in order, then repeats them. */
function scripted(bytes: number[]): RandomBytes {
  let next = 0
  return (length) => Uint8Array.from({ length }, () => bytes[next++ % bytes.length])
}

describe('randomRoomName', () => {
  it('makes 10 characters of [a-z0-9] that are a valid room name', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomRoomName()
      expect(name).toMatch(/^[a-z0-9]{10}$/)
      expect(isValidRoomName(name)).toBe(true)
    }
  })

  it('maps bytes onto the alphabet', () => {
    expect(randomRoomName(scripted([0, 1, 25, 26, 35, 36, 37, 71, 72, 251]))).toBe('abz09ab9a9')
  })

  it('drops bytes of 252 and above so no character is favoured', () => {
    // 252, 255, 253 and 254 are skipped; the source then wraps round to 252 and 255 before 0 comes up again.
    expect(randomRoomName(scripted([252, 255, 0, 253, 1, 254, 2, 3, 4, 5, 6, 7, 8]))).toBe('abcdefghia')
  })

  it('does not repeat itself', () => {
    const names = new Set(Array.from({ length: 1000 }, () => randomRoomName()))
    expect(names.size).toBe(1000)
  })
})

describe('randomUserName', () => {
  it('is an adjective and an animal, both capitalised', () => {
    expect(randomUserName()).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/)
  })

  it('takes both words from the random source', () => {
    expect(randomUserName(scripted([0, 0, 0, 0]))).toBe('Swift Otter')
    expect(randomUserName(scripted([0, 0, 0, 1, 0, 0, 0, 2]))).toBe('Quiet Badger')
  })
})

describe('randomUserColor', () => {
  it('comes from the palette of #rrggbb colours', () => {
    for (const color of USER_COLORS) expect(color).toMatch(/^#[0-9a-f]{6}$/)
    expect(USER_COLORS).toContain(randomUserColor())
    expect(randomUserColor(scripted([0, 0, 0, 3]))).toBe(USER_COLORS[3])
  })
})
