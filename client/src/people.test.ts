import { describe, it, expect } from 'vitest'
import { displayUser, FALLBACK_COLOR, peopleIn } from './people.ts'

describe('peopleIn', () => {
  it('lists yourself first, then everyone else by name', () => {
    const states = new Map<number, Record<string, unknown>>([
      [3, { user: { name: 'Zoe', color: '#112233' } }],
      [1, { user: { name: 'Bea', color: '#445566' }, cursor: null }],
      [7, { user: { name: 'Max', color: '#778899' } }],
    ])
    expect(peopleIn(states, 7)).toEqual([
      { clientId: 7, name: 'Max', color: '#778899', self: true },
      { clientId: 1, name: 'Bea', color: '#445566', self: false },
      { clientId: 3, name: 'Zoe', color: '#112233', self: false },
    ])
  })

  it('leaves out clients that share no user', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, {}],
      [2, { user: null }],
      [3, { cursor: { anchor: 1 } }],
      [4, { user: { name: 'Ada', color: '#123456' } }],
    ])
    expect(peopleIn(states, 1).map((p) => p.name)).toEqual(['Ada'])
  })

  it('keeps two people with the same name apart', () => {
    const states = new Map<number, Record<string, unknown>>([
      [9, { user: { name: 'Ada', color: '#123456' } }],
      [2, { user: { name: 'Ada', color: '#654321' } }],
    ])
    expect(peopleIn(states, 0).map((p) => p.clientId)).toEqual([2, 9])
  })
})

describe('displayUser', () => {
  it('cleans names and refuses colours that are not #rrggbb', () => {
    expect(displayUser({ name: '  Ada  ', color: '#ABCDEF' }, 'x')).toEqual({ name: 'Ada', color: '#abcdef' })
    expect(displayUser({ name: 'Eve', color: 'red; background: url(//evil)' }, 'x'))
      .toEqual({ name: 'Eve', color: FALLBACK_COLOR })
    expect(displayUser({ name: 'x'.repeat(5000), color: '#123456' }, 'x')?.name).toHaveLength(40)
  })

  it('uses the fallback name when the name is missing or blank', () => {
    expect(displayUser({ color: '#123456' }, 'User 4')?.name).toBe('User 4')
    expect(displayUser({ name: ' ', color: '#123456' }, 'User 4')?.name).toBe('User 4')
    expect(displayUser({ name: 42 }, 'User 4')).toEqual({ name: 'User 4', color: FALLBACK_COLOR })
  })

  it('is null when there is no user object', () => {
    expect(displayUser(undefined, 'x')).toBeNull()
    expect(displayUser('Ada', 'x')).toBeNull()
  })
})
