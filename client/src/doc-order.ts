/** The order of the document list: most recently edited first, never-edited ones last, ties by name. */
import type { DocInfo } from '../../shared/types.ts'

export function byRecentEdit(docs: readonly DocInfo[]): DocInfo[] {
  const time = (doc: DocInfo) => (doc.updatedAt === null ? Number.NEGATIVE_INFINITY : Date.parse(doc.updatedAt) || 0)
  return [...docs].sort((a, b) => time(b) - time(a) || a.name.localeCompare(b.name))
}
