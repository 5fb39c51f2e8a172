import { describe, expect, it } from 'vitest'
import { ROOM_NAME_MAX, isValidRoomName, roomNameProblem } from './room-name.ts'

describe('room names', () => {
  it('letters, digits, "-", "_" and "." (not first) make a valid name', () => {
    for (const name of ['a', 'Z', '0', 'notes', 'Team-Notes_2024', 'v1.2.3', 'a.', '-dash', '_under', 'a..b']) {
      expect(roomNameProblem(name), name).toBeNull()
      expect(isValidRoomName(name), name).toBe(true)
    }
  })

  it('a name of exactly 128 characters is valid; 129 is not', () => {
    expect(ROOM_NAME_MAX).toBe(128)
    expect(isValidRoomName('a'.repeat(128))).toBe(true)
    expect(isValidRoomName('a'.repeat(129))).toBe(false)
  })

  it.each([
    ['empty', ''],
    ['a lone dot', '.'],
    ['a hidden name', '.x'],
    ['the parent directory', '..'],
    ['a path traversal', '../../etc/x'],
    ['a percent-encoded traversal', '%2e%2e%2fx'],
    ['a backslash', 'a\\b'],
    ['a slash', 'a/b'],
    ['a NUL byte', 'a\0b'],
    ['a trailing newline', 'abc\n'],
    ['129 characters', 'a'.repeat(129)],
    ['a space', 'my notes'],
    ['a leading space', ' notes'],
    ['a non-ASCII letter', 'café'],
    ['a fullwidth letter', 'ｎｏｔｅｓ'],
    ['the Kelvin sign (folds to K)', '\u212A'],
    ['an emoji', 'notes✍'],
    ['a query string', 'a?b=c'],
    ['a colon', 'c:notes'],
  ])('%s is rejected', (_what, name) => {
    expect(roomNameProblem(name)).not.toBeNull()
    expect(isValidRoomName(name)).toBe(false)
  })

  it('the message for an empty name says what a name may hold', () => {
    const problem = roomNameProblem('')!
    expect(problem).toContain('empty')
    expect(problem).toMatch(/use 1–128 letters, digits/)
  })

  it('the message for a long name gives its length and the limit', () => {
    const problem = roomNameProblem('a'.repeat(129))!
    expect(problem).toContain('129 characters')
    expect(problem).toContain('use at most 128')
  })

  it('the message for a leading dot says what to start with', () => {
    for (const name of ['.x', '..', '../../etc/x']) {
      const problem = roomNameProblem(name)!
      expect(problem, name).toContain('starts with "."')
      expect(problem, name).toMatch(/start with a letter, digit/)
    }
  })

  it('the message for other characters names the characters that are allowed', () => {
    for (const name of ['a/b', 'a\\b', 'my notes', 'café', '%2e%2e%2fx', 'a\0b']) {
      const problem = roomNameProblem(name)!
      expect(problem, name).toContain('letters, digits, "-", "_" and "."')
    }
  })
})
