import { describe, it, expect } from 'vitest'
import { docPath, routeOf, tokenOf } from './route.ts'

describe('routeOf', () => {
  it('routes the document list', () => {
    expect(routeOf('/')).toEqual({ page: 'home' })
    expect(routeOf('/index.html')).toEqual({ page: 'home' })
  })

  it('routes a document by name', () => {
    expect(routeOf('/d/notes-2025')).toEqual({ page: 'doc', room: 'notes-2025' })
  })

  it('decodes the name, and passes invalid names on for the page to explain', () => {
    expect(routeOf('/d/a%20b')).toEqual({ page: 'doc', room: 'a b' })
    expect(routeOf('/d/a/b')).toEqual({ page: 'doc', room: 'a/b' })
    expect(routeOf('/d/')).toEqual({ page: 'doc', room: '' })
    expect(routeOf('/d/%E0%A4%A')).toEqual({ page: 'doc', room: '%E0%A4%A' })
  })

  it('does not route other paths', () => {
    expect(routeOf('/docs')).toEqual({ page: 'not-found' })
    expect(routeOf('/d')).toEqual({ page: 'not-found' })
  })

  it('round-trips with docPath', () => {
    for (const room of ['plain', 'with space', 'ü', 'a/b']) expect(routeOf(docPath(room))).toEqual({ page: 'doc', room })
  })
})

describe('tokenOf', () => {
  it('reads ?token=', () => {
    expect(tokenOf('?token=abc.def')).toBe('abc.def')
    expect(tokenOf('?x=1&token=a%2Bb')).toBe('a+b')
  })

  it('is null when absent or empty', () => {
    expect(tokenOf('')).toBeNull()
    expect(tokenOf('?token=')).toBeNull()
  })
})
