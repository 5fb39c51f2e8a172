import { describe, it, expect } from 'vitest'
import { CloseCode } from '../../shared/close-codes.ts'
import { permanentCloseMessage } from './close-reason.ts'

describe('permanentCloseMessage', () => {
  it('shows the reason the server gave', () => {
    expect(permanentCloseMessage(CloseCode.unauthorized, 'token expired'))
      .toBe("This document can't be opened: token expired")
  })

  it('explains the known codes when the reason is empty', () => {
    expect(permanentCloseMessage(CloseCode.roomDeleted, '')).toBe("This document can't be opened: it was deleted")
    expect(permanentCloseMessage(CloseCode.forbidden, '  ')).toMatch(/does not allow this document/)
    expect(permanentCloseMessage(4499, '')).toMatch(/close code 4499/)
  })

  it('is null for closes the provider retries', () => {
    for (const code of [1000, 1006, CloseCode.serviceRestart, CloseCode.internalError, 4000, 4399, 4500]) {
      expect(permanentCloseMessage(code, 'whatever')).toBeNull()
    }
  })
})
