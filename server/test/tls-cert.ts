/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, made with the `openssl` command line (present on
 * Debian and in CI). Tests that need one skip, saying why, when `openssl` is missing.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0

export interface TestCert {
  certFile: string
  keyFile: string
  cert: Buffer
}

export function selfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'inkwell-tls-'))
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ])
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`)
  return { certFile, keyFile, cert: readFileSync(certFile) }
}
