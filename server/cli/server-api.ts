/**
 * Calls the HTTP API of the server running on a data directory, for commands that must go through its live rooms
 * (import, delete): changing the database under a running server would leave its rooms in memory stale.
 *
 * With auth on, the command signs a short-lived admin token with AUTH_SECRET from its environment. With TLS, the
 * server's certificate is pinned: the command connects to the address in the lock file (often 127.0.0.1, which a
 * certificate for a domain name does not cover), so instead of checking names it checks that the server presents
 * exactly the certificate in TLS_CERT, before it sends anything.
 */
import { request } from 'node:http'
import { connect, type TLSSocket } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { issueToken } from '../auth/tokens.ts'
import type { LockInfo } from '../ops/lock.ts'
import { CliError } from './context.ts'

export interface ApiAnswer {
  status: number
  body: Record<string, unknown>
}

/** The server's URL as reachable from here: a wildcard listen address is reached on loopback. */
function reachable(url: string): URL {
  const u = new URL(url)
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1'
  if (u.hostname === '[::]') u.hostname = '[::1]'
  return u
}

async function adminToken(server: LockInfo, env: Record<string, string | undefined>): Promise<string | null> {
  if (!server.auth) return null
  const secret = env.AUTH_SECRET
  if (!secret || secret.length < 32) {
    throw new CliError(`the server at ${server.url} requires tokens: export the AUTH_SECRET it runs with, then run this again`)
  }
  return issueToken(secret, { admin: true, mode: 'write', ttlSeconds: 60 })
}

function pinnedTls(url: URL, certFile: string): Promise<TLSSocket> {
  let expected: string
  try {
    expected = new X509Certificate(readFileSync(certFile)).fingerprint256
  } catch (err) {
    throw new CliError(`cannot read the server's certificate ${certFile} (${(err as Error).message}): run this as a user who can`)
  }
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), rejectUnauthorized: false })
    socket.once('secureConnect', () => {
      if (socket.getPeerCertificate().fingerprint256 !== expected) {
        socket.destroy()
        reject(new CliError(`the server at ${url.origin} does not present the certificate in ${certFile}: is another program on that port?`))
      } else resolve(socket)
    })
    socket.once('error', reject)
  })
}

export async function callServer(
  server: LockInfo & { url: string },
  env: Record<string, string | undefined>,
  method: string,
  path: string,
  body?: { bytes: Uint8Array; type: string },
): Promise<ApiAnswer> {
  const url = reachable(server.url)
  const token = await adminToken(server, env)
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body) {
    headers['content-type'] = body.type
    headers['content-length'] = String(body.bytes.byteLength)
  }
  const socket = url.protocol === 'https:' && server.tlsCert ? await pinnedTls(url, server.tlsCert) : undefined
  return new Promise<ApiAnswer>((resolve, reject) => {
    const req = request(
      { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path, method, headers, ...(socket ? { createConnection: () => socket } : {}) },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          let parsed: Record<string, unknown>
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString() || '{}')
          } catch {
            parsed = { error: Buffer.concat(chunks).toString().slice(0, 200) }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed })
        })
      },
    )
    req.once('error', (err) =>
      reject(new CliError(`cannot reach the server at ${server.url} (${err.message}); if it is not running, delete its stale lock file`)),
    )
    req.end(body ? Buffer.from(body.bytes) : undefined)
  })
}
