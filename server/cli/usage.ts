/**
 * Every command's usage line, apart from the commands themselves: `main.ts` prints them all but loads a command's
 * module (and its dependencies: ProseMirror, a DOM, SQLite) only when that command runs.
 */
import { EXPORT_FORMATS } from '../../shared/types.ts'

export const LIST_USAGE = 'inkwell list [--json]'
export const EXPORT_USAGE = `inkwell export <room> [--format ${EXPORT_FORMATS.join('|')}] [--out FILE]`
export const IMPORT_USAGE = 'inkwell import <room> <file.md|file.html|file.json|file.yjs> [--format markdown|html|json|yjs]'
export const DELETE_USAGE = 'inkwell delete <room>'
export const COMPACT_USAGE = 'inkwell compact [room]'
export const VERIFY_USAGE = 'inkwell verify'
export const BACKUP_USAGE = 'inkwell backup <file>'
