import { describe, it, expect } from 'vitest'
import { exportFileName, exportHref } from './api.ts'

describe('exportHref', () => {
  it('points at the export route with the format', () => {
    expect(exportHref('notes', 'markdown', null)).toBe('/api/docs/notes/export?format=markdown')
    expect(exportHref('notes', 'json', null)).toBe('/api/docs/notes/export?format=json')
  })

  it('adds the token, encoded', () => {
    expect(exportHref('notes', 'html', 'a+b/c=')).toBe('/api/docs/notes/export?format=html&token=a%2Bb%2Fc%3D')
  })
})

describe('exportFileName', () => {
  it('uses the usual extension of each format', () => {
    expect(exportFileName('notes', 'markdown')).toBe('notes.md')
    expect(exportFileName('notes', 'html')).toBe('notes.html')
    expect(exportFileName('notes', 'json')).toBe('notes.json')
  })
})
