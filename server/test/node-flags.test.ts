import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SERVER_NODE_FLAGS } from '../../scripts/node-flags.ts'

describe('the flags the server runs with', () => {
  // The bench and the spawned-server tests read SERVER_NODE_FLAGS; `npm start` cannot, so it spells them out.
  it('`npm start` and `npm run dev` pass every flag in scripts/node-flags.ts, before the script', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>
    }
    for (const name of ['start', 'dev']) {
      expect(scripts[name]).toBe(`node ${SERVER_NODE_FLAGS.join(' ')} scripts/start.mjs${name === 'dev' ? ' --dev' : ''}`)
    }
  })
})
