import { describe, it, expect } from 'vitest'
import type { DocInfo } from '../../shared/types.ts'
import { byRecentEdit } from './doc-order.ts'

const doc = (name: string, updatedAt: string | null): DocInfo => ({ name, size: 1, updatedAt, clients: 0 })

describe('byRecentEdit', () => {
  it('puts the latest edit first and never-edited documents last', () => {
    const docs = [
      doc('old', '2024-01-01T00:00:00Z'),
      doc('blank', null),
      doc('new', '2025-06-01T10:00:00Z'),
      doc('mid', '2025-01-01T00:00:00.000Z'),
    ]
    expect(byRecentEdit(docs).map((d) => d.name)).toEqual(['new', 'mid', 'old', 'blank'])
  })

  it('orders ties by name and leaves the input alone', () => {
    const docs = [doc('b', null), doc('a', null), doc('d', '2025-01-01T00:00:00Z'), doc('c', '2025-01-01T00:00:00Z')]
    expect(byRecentEdit(docs).map((d) => d.name)).toEqual(['c', 'd', 'a', 'b'])
    expect(docs.map((d) => d.name)).toEqual(['b', 'a', 'd', 'c'])
  })
})
