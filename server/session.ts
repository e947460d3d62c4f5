import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {isIP} from 'node:net'
import {join} from 'node:path'

/**
 * The Studio's local session: a bearer token the server hands to the Studio page
 * (as `#token=…` in the URL, which the Studio's auth store consumes and keeps in
 * localStorage). It stands in for the lake token, so the lake token itself never
 * reaches the browser. Kept in `<dir>/studio-session` (mode 0600) so that Studio
 * tabs stay signed in across restarts.
 */
export function resolveSessionToken(dir: string): string {
  const file = join(dir, 'studio-session')
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim()
    // The Studio only consumes hash tokens of 32 characters or more.
    if (stored.length >= 32) return stored
  }
  mkdirSync(dir, {recursive: true})
  const token = `studio_${randomBytes(32).toString('base64url')}`
  writeFileSync(file, `${token}\n`, {mode: 0o600})
  chmodSync(file, 0o600)
  return token
}

export function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(a), digest(b))
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null
  return match?.[1]
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'))
}

/**
 * Whether a Host header names this machine. Checked on every request so that a
 * page whose DNS name was re-bound to 127.0.0.1 cannot talk to the server.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false
  const name = host.replace(/:\d+$/, '').toLowerCase()
  return name === 'localhost' || name.endsWith('.localhost') || name === '127.0.0.1' || name === '[::1]'
}
