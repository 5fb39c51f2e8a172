/**
 * The rule for room names, the same on the server, in the editor and in the CLI.
 *
 * Names are storage keys, never file paths, but the rule is strict anyway so that a name is safe in a URL, a log
 * line, a file name of an export and a shell: 1–128 characters of ASCII letters, digits, `-`, `_` and `.`, not
 * starting with `.` (no `.`, `..` or hidden names). The bound keeps keys and log lines small.
 */
export const ROOM_NAME_MAX = 128
const ROOM_NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/

/** Why `name` is not a valid room name, or `null` when it is. The message tells the user what to change. */
export function roomNameProblem(name: string): string | null {
  if (name.length === 0) return 'room name is empty: use 1–128 letters, digits, "-", "_" or "."'
  if (name.length > ROOM_NAME_MAX) return `room name is ${name.length} characters long: use at most ${ROOM_NAME_MAX}`
  if (name.startsWith('.')) return 'room name starts with ".": start with a letter, digit, "-" or "_"'
  if (!ROOM_NAME_RE.test(name)) return 'room name has characters other than letters, digits, "-", "_" and "."'
  return null
}

export function isValidRoomName(name: string): boolean {
  return roomNameProblem(name) === null
}
