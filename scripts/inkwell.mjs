#!/usr/bin/env node
// `npx inkwell <command>`: the admin CLI (server/cli/main.ts), run through tsx.
import { register } from 'tsx/esm/api'

register()
await import('../server/cli/main.ts')
