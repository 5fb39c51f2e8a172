import { describe, it, expect } from 'vitest'
import { editingLabel, humanSize, relativeTime } from './format.ts'

describe('humanSize', () => {
  it('shows bytes below one kilobyte as they are', () => {
    expect(humanSize(0)).toBe('0 B')
    expect(humanSize(1)).toBe('1 B')
    expect(humanSize(999)).toBe('999 B')
  })

  it('uses SI units with one decimal below 10', () => {
    expect(humanSize(1000)).toBe('1 kB')
    expect(humanSize(1500)).toBe('1.5 kB')
    expect(humanSize(9_940)).toBe('9.9 kB')
    expect(humanSize(9_960)).toBe('10 kB')
    expect(humanSize(23_456)).toBe('23 kB')
    expect(humanSize(4_200_000)).toBe('4.2 MB')
    expect(humanSize(16 * 1024 * 1024)).toBe('17 MB')
    expect(humanSize(3e12)).toBe('3 TB')
  })

  it('moves to the next unit instead of showing 1000', () => {
    expect(humanSize(999_600)).toBe('1 MB')
    expect(humanSize(999_400)).toBe('999 kB')
  })

  it('shows a dash for nonsense', () => {
    expect(humanSize(-1)).toBe('–')
    expect(humanSize(Number.NaN)).toBe('–')
  })
})

describe('relativeTime', () => {
  const now = Date.parse('2025-03-10T12:00:00Z')
  const ago = (ms: number) => new Date(now - ms).toISOString()

  it('says never for a document that was never stored', () => {
    expect(relativeTime(null, now)).toBe('never')
  })

  it('counts minutes, hours and days', () => {
    expect(relativeTime(ago(30_000), now)).toBe('just now')
    expect(relativeTime(ago(60_000), now)).toBe('1 min ago')
    expect(relativeTime(ago(59 * 60_000), now)).toBe('59 min ago')
    expect(relativeTime(ago(3 * 3_600_000 + 1), now)).toBe('3 h ago')
    expect(relativeTime(ago(30 * 3_600_000), now)).toBe('yesterday')
    expect(relativeTime(ago(4 * 86_400_000), now)).toBe('4 days ago')
  })

  it('shows the date for anything older than a month', () => {
    expect(relativeTime('2024-12-25T08:00:00Z', now)).toBe('25 Dec 2024')
  })

  it('treats a time in the future as just now (clock skew)', () => {
    expect(relativeTime(ago(-5 * 60_000), now)).toBe('just now')
  })

  it('says unknown for a string that is not a date', () => {
    expect(relativeTime('yesterday-ish', now)).toBe('unknown')
  })
})

describe('editingLabel', () => {
  it('counts open connections and is empty when nobody is there', () => {
    expect(editingLabel(0)).toBe('')
    expect(editingLabel(2)).toBe('2 editing')
  })
})
