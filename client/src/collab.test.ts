import { describe, it, expect } from 'vitest'
import { collabUrl } from './collab.ts'

describe('collabUrl', () => {
  it('uses ws on http and wss on https, on the page host', () => {
    expect(collabUrl({ protocol: 'http:', host: '127.0.0.1:1234' })).toBe('ws://127.0.0.1:1234/collab')
    expect(collabUrl({ protocol: 'https:', host: 'docs.example.org' })).toBe('wss://docs.example.org/collab')
  })
})
