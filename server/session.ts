import {createHash, createHmac, randomBytes, timingSafeEqual} from 'node:crypto'
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
    chmodSync(file, 0o600)
    const stored = readFileSync(file, 'utf8').trim()
    // The Studio only consumes hash tokens of 32 characters or more.
    if (stored.length >= 32) return stored
  }
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const token = `studio_${randomBytes(32).toString('base64url')}`
  writeFileSync(file, `${token}\n`, {mode: 0o600})
  // The mode option is subject to umask; make sure it is exactly 0600.
  chmodSync(file, 0o600)
  return token
}

/**
 * Who may receive the session. Loopback alone is no proof (any local user or process can
 * connect), so, as notebook servers do, each start makes a one-time secret that only the
 * person who ran `npm start` sees (it is printed in the login link). Redeeming it, or
 * presenting the lake token, signs a browser in; the browser then keeps a login cookie
 * (HttpOnly, Secure, SameSite=Strict, this port only) that lets the Studio's own login
 * redirect hand it the session again, after a reload or in another tab.
 */
export class StudioAccess {
  readonly session: string
  readonly #lakeToken: string
  #secret: string | undefined
  readonly #cookieValue: string

  constructor(session: string, lakeToken: string) {
    this.session = session
    this.#lakeToken = lakeToken
    this.#secret = randomBytes(24).toString('base64url')
    // Derived from the stored session: it survives restarts and changes with the session.
    this.#cookieValue = createHmac('sha256', session).update('studio-login-cookie').digest('base64url')
  }

  /** The one-time secret for the login link, until it has been used. */
  get oneTimeSecret(): string | undefined {
    return this.#secret
  }

  /** True for the unused one-time secret (which is then used up) and for the lake token. */
  redeem(credential: string): boolean {
    if (sameSecret(credential, this.#lakeToken)) return true
    if (this.#secret !== undefined && sameSecret(credential, this.#secret)) {
      this.#secret = undefined
      return true
    }
    return false
  }

  /** Cookie names are not scoped by port, so the port is part of the name. */
  cookieName(port: number): string {
    return `__Host-lake-studio-${port}`
  }

  /** The `Set-Cookie` value that signs this browser in (or out, with `maxAgeSeconds` 0). */
  setCookie(port: number, maxAgeSeconds = 30 * 24 * 3600): string {
    const value = maxAgeSeconds > 0 ? this.#cookieValue : ''
    return `${this.cookieName(port)}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`
  }

  /** Whether a `Cookie` header carries this browser's login cookie. */
  hasLoginCookie(header: string | undefined, port: number): boolean {
    if (typeof header !== 'string') return false
    const name = this.cookieName(port)
    for (const part of header.split(';')) {
      const separator = part.indexOf('=')
      if (separator > 0 && part.slice(0, separator).trim() === name && sameSecret(part.slice(separator + 1).trim(), this.#cookieValue)) return true
    }
    return false
  }
}

export function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(a), digest(b))
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerToken(header: unknown): string | undefined {
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null
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
export function isLoopbackHost(host: unknown): boolean {
  if (typeof host !== 'string' || !host) return false
  const name = host.replace(/:\d+$/, '').toLowerCase()
  return name === 'localhost' || name.endsWith('.localhost') || name === '127.0.0.1' || name === '[::1]'
}
