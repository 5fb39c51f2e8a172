import { describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from './config.ts'
import { HAVE_OPENSSL, selfSignedCert } from './test/tls-cert.ts'

describe('config', () => {
  it('TLS is off unless both TLS_CERT and TLS_KEY are set; one alone is one clear error', () => {
    expect(loadConfig({}).tls).toBeNull()
    expect(() => loadConfig({ TLS_CERT: '/x/cert.pem' })).toThrow(new ConfigError('TLS_KEY is not set: TLS needs both TLS_CERT and TLS_KEY (PEM file paths), or neither'))
    expect(() => loadConfig({ TLS_KEY: '/x/key.pem' })).toThrow(/^TLS_CERT is not set/)
  })

  it('a TLS file that cannot be read is one line naming the variable, the path and the fix', () => {
    expect(() => loadConfig({ TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem' })).toThrow(
      new ConfigError('TLS_CERT="/nonexistent/cert.pem" cannot be read (no such file): give the path of a PEM file this user can read'),
    )
  })

  it.skipIf(!HAVE_OPENSSL)('a certificate with the wrong key, or files that are not PEM, are refused at start-up', () => {
    const a = selfSignedCert()
    const b = selfSignedCert()
    expect(loadConfig({ TLS_CERT: a.certFile, TLS_KEY: a.keyFile }).tls?.certFile).toBe(a.certFile)
    expect(() => loadConfig({ TLS_CERT: a.certFile, TLS_KEY: b.keyFile })).toThrow(/^TLS_CERT and TLS_KEY are not a usable pair \(.*\): give a PEM certificate and the private key it was issued for$/)
    const junk = join(mkdtempSync(join(tmpdir(), 'inkwell-cfg-')), 'junk.pem')
    writeFileSync(junk, 'not a certificate')
    expect(() => loadConfig({ TLS_CERT: junk, TLS_KEY: a.keyFile })).toThrow(/not a usable pair/)
  })

  it('PING_INTERVAL_MS is 30 s unless set; 0 turns the heartbeat off; anything else is one clear error', () => {
    expect(loadConfig({}).limits.pingIntervalMs).toBe(30_000)
    expect(loadConfig({ PING_INTERVAL_MS: '0' }).limits.pingIntervalMs).toBe(0)
    expect(() => loadConfig({ PING_INTERVAL_MS: '30s' })).toThrow(
      new ConfigError('PING_INTERVAL_MS="30s" is not valid: expected a whole number from 0 to 3600000'),
    )
  })
})
