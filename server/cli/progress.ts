/**
 * Progress of long admin commands (verify, compact, backup), on stderr so stdout stays clean for data. On a
 * terminal: one bar redrawn in place. Otherwise (a log file, CI): a plain line at each tenth, so a log shows progress
 * without thousands of lines.
 */
export interface Progress {
  /** `done` of `total` units. */
  update(done: number, total: number): void
  /** Finishes the bar (a terminal gets its newline). */
  end(): void
}

const WIDTH = 30

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true
  let shown = -1
  let drawn = false
  return {
    update(done, total) {
      const fraction = total > 0 ? Math.min(1, done / total) : 1
      if (tty) {
        const percent = Math.floor(fraction * 100)
        if (percent === shown) return
        shown = percent
        const filled = Math.round(fraction * WIDTH)
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total} ${percent}%\x1b[K`)
        drawn = true
      } else {
        const tenth = Math.floor(fraction * 10)
        if (tenth === shown) return
        shown = tenth
        stream.write(`${label}: ${done}/${total} (${tenth * 10}%)\n`)
      }
    },
    end() {
      if (tty && drawn) stream.write('\n')
      drawn = false
    },
  }
}
