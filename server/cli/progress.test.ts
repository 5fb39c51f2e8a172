import { describe, expect, it } from 'vitest'
import { progress } from './progress.ts'

function stream(isTTY: boolean) {
  const written: string[] = []
  return { written, s: { isTTY, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream }
}

describe('progress', () => {
  it('off a terminal, writes one plain line per tenth, however many updates', () => {
    const { written, s } = stream(false)
    const bar = progress('verifying', s)
    for (let i = 0; i <= 1000; i++) bar.update(i, 1000)
    bar.end()
    expect(written).toHaveLength(11)
    expect(written[0]).toBe('verifying: 0/1000 (0%)\n')
    expect(written[10]).toBe('verifying: 1000/1000 (100%)\n')
  })

  it('on a terminal, redraws one line in place and ends it once', () => {
    const { written, s } = stream(true)
    const bar = progress('copying', s)
    bar.update(1, 2)
    bar.update(2, 2)
    bar.end()
    bar.end()
    expect(written[0]).toMatch(/^\rcopying \[#{15}\.{15}\] 1\/2 50%\x1b\[K$/)
    expect(written[1]).toMatch(/^\rcopying \[#{30}\] 2\/2 100%/)
    expect(written.slice(2)).toEqual(['\n'])
  })
})
