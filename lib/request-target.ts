/**
 * How every server in the package reads an HTTP request target (browser-safe: the lake, the local
 * server and the comment handler's Node adapter share it, so a target means the same everywhere).
 */

/** What a server answers a request target it cannot read with (400). */
export const UNREADABLE_TARGET = 'The request target must be a URL path starting with "/"'

/**
 * The request target as a URL on `origin`. An origin-form target (`/path?query`) is always a
 * path: `//a:99999/x` is the path `//a:99999/x`, never an authority, as RFC 9112 reads it (URL
 * resolution would take `a:99999` as a host). An absolute-form target (`http://host/path`) keeps
 * only its path and query. Anything else (`*`, `x`, garbage) is `undefined`: answer 400.
 */
export function requestTargetUrl(target: string | undefined, origin: string): URL | undefined {
  const value = target ?? '/'
  try {
    if (value.startsWith('/')) return new URL(`${origin}${value}`)
    if (/^https?:\/\//i.test(value)) {
      const absolute = new URL(value)
      return new URL(`${origin}${absolute.pathname}${absolute.search}`)
    }
  } catch {
    // Not a URL at all: undefined below.
  }
  return undefined
}
