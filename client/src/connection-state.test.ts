import { describe, it, expect } from 'vitest'
import { initialConnectionState, nextConnectionState, type ConnectionState, type ProviderEvent } from './connection-state.ts'

function run(start: ConnectionState, events: ProviderEvent[]): ConnectionState[] {
  const seen: ConnectionState[] = []
  let state = start
  for (const event of events) seen.push((state = nextConnectionState(state, event)))
  return seen
}

const connecting: ProviderEvent = { type: 'status', status: 'connecting' }
const open: ProviderEvent = { type: 'status', status: 'connected' }
const disconnected: ProviderEvent = { type: 'status', status: 'disconnected' }
const synced: ProviderEvent = { type: 'sync', synced: true }
const unsynced: ProviderEvent = { type: 'sync', synced: false }
const close: ProviderEvent = { type: 'close' }

describe('connection state', () => {
  it('starts from whether the provider has synced', () => {
    expect(initialConnectionState(false)).toBe('connecting')
    expect(initialConnectionState(true)).toBe('connected')
  })

  it('is connected only once the document has synced, not when the socket opens', () => {
    expect(run('connecting', [connecting, open, synced])).toEqual(['connecting', 'connecting', 'connected'])
  })

  it('goes offline on a close, in the order the provider emits its events', () => {
    expect(run('connected', [close, unsynced, disconnected])).toEqual(['offline', 'offline', 'offline'])
  })

  it('stays offline while the provider retries, and is connected again after the next sync', () => {
    expect(run('offline', [unsynced, connecting, close, connecting, open, synced]))
      .toEqual(['offline', 'offline', 'offline', 'offline', 'offline', 'connected'])
  })

  it('goes offline when a first connection attempt fails', () => {
    expect(run('connecting', [connecting, close])).toEqual(['connecting', 'offline'])
  })

  it('treats losing sync while connected as going offline', () => {
    expect(run('connected', [unsynced])).toEqual(['offline'])
  })
})
