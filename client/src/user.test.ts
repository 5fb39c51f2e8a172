import { describe, it, expect } from 'vitest'
import { cleanName, loadUser, parseUser, saveUser, USER_NAME_MAX, USER_STORAGE_KEY, type KeyValueStore } from './user.ts'
import { USER_COLORS } from './names.ts'

function memoryStore(initial: Record<string, string> = {}): KeyValueStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial))
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
  }
}

const throwingStore: KeyValueStore = {
  getItem: () => { throw new Error('SecurityError') },
  setItem: () => { throw new Error('QuotaExceededError') },
}

describe('cleanName', () => {
  it('trims and collapses whitespace', () => {
    expect(cleanName('  Ada \n  Lovelace  ')).toBe('Ada Lovelace')
    expect(cleanName('   ')).toBe('')
  })

  it(`cuts names to ${USER_NAME_MAX} characters without splitting an emoji`, () => {
    expect(cleanName('x'.repeat(100))).toHaveLength(USER_NAME_MAX)
    const cut = cleanName('🦦'.repeat(50))
    expect(Array.from(cut)).toHaveLength(USER_NAME_MAX)
    expect(cut).toBe('🦦'.repeat(USER_NAME_MAX))
  })
})

describe('parseUser', () => {
  it('reads a stored user and normalises the colour', () => {
    expect(parseUser('{"name":" Ada ","color":"#AABBCC"}')).toEqual({ name: 'Ada', color: '#aabbcc' })
  })

  it('rejects anything that is not a usable user', () => {
    for (const json of [null, '', 'not json', 'null', '"Ada"', '{"name":"Ada"}', '{"name":"  ","color":"#aabbcc"}',
      '{"name":"Ada","color":"red"}', '{"name":"Ada","color":"#abc"}', '{"name":1,"color":"#aabbcc"}']) {
      expect(parseUser(json)).toBeNull()
    }
  })
})

describe('loadUser', () => {
  it('returns the stored user', () => {
    const store = memoryStore({ [USER_STORAGE_KEY]: '{"name":"Ada","color":"#123456"}' })
    expect(loadUser(store)).toEqual({ name: 'Ada', color: '#123456' })
  })

  it('makes up a user on the first visit and remembers it', () => {
    const store = memoryStore()
    const user = loadUser(store)
    expect(user.name).toMatch(/^\w+ \w+$/)
    expect(USER_COLORS).toContain(user.color)
    expect(parseUser(store.data.get(USER_STORAGE_KEY) ?? null)).toEqual(user)
    expect(loadUser(store)).toEqual(user)
  })

  it('replaces a corrupt stored value', () => {
    const store = memoryStore({ [USER_STORAGE_KEY]: '{broken' })
    const user = loadUser(store)
    expect(parseUser(store.data.get(USER_STORAGE_KEY) ?? null)).toEqual(user)
  })

  it('still gives a user when storage is missing or throws', () => {
    expect(loadUser(null).name).not.toBe('')
    expect(loadUser(throwingStore).name).not.toBe('')
    expect(() => saveUser(throwingStore, { name: 'Ada', color: '#123456' })).not.toThrow()
  })
})
