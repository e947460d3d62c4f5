import {LakeError, type RouteContext} from '../lake'
import {escapeHtml} from './boundary'
import type {StudioAccess} from './session'

export interface LoginOptions {
  access: StudioAccess
  /** The port the server listens on (known once it listens). */
  port(): number
  /** The Studio's host name, e.g. `local.localhost`. */
  projectHost: string
}

const FORM_LIMIT = 16 * 1024

/**
 * `/auth/login`, the one way into the Studio's session. The Studio's own login redirect
 * (`?origin=<studio page>`) comes back to that page with `#token=<session>` when the browser
 * proves itself: the login cookie, the one-time secret of the printed link (`?secret=`), or
 * the lake token (`Authorization: Bearer`, or pasted into the form this page shows otherwise).
 */
export function createLoginHandlers(options: LoginOptions): {login: (ctx: RouteContext) => Promise<void>; logout: (ctx: RouteContext) => void} {
  const {access, projectHost} = options
  const studioRoot = () => `https://${projectHost}:${options.port()}/`

  /** Only this server's own Studio pages may receive the session. */
  const redirectTarget = (origin: string | null): URL | undefined => {
    let target: URL
    try {
      target = new URL(origin || studioRoot())
    } catch {
      return undefined
    }
    const port = String(options.port())
    if (target.protocol !== 'https:' || target.port !== port || (target.hostname !== projectHost && target.hostname !== 'localhost')) return undefined
    return target
  }

  const login = async (ctx: RouteContext) => {
    const {req, res} = ctx
    const port = options.port()
    let origin = ctx.url.searchParams.get('origin')
    let credential = ctx.url.searchParams.get('secret')
    if (ctx.method === 'POST') {
      const type = String(req.headers['content-type'] ?? '')
      if (!type.startsWith('application/x-www-form-urlencoded')) {
        throw new LakeError(415, 'unsupportedMediaType', 'Send the login form as application/x-www-form-urlencoded (fields "token" and "origin")')
      }
      const body = await ctx.readBody()
      if (body.length > FORM_LIMIT) throw new LakeError(413, 'payloadTooLarge', `The login form is larger than ${FORM_LIMIT} bytes`)
      const form = new URLSearchParams(body.toString('utf8'))
      origin = form.get('origin') ?? origin
      credential = form.get('token') ?? credential
    }
    const target = redirectTarget(origin)
    if (!target) throw new LakeError(403, 'forbidden', 'The local session is only handed to the Studio served by this server, on this computer')
    const signedIn = ctx.authenticated || access.hasLoginCookie(req.headers.cookie, port) || (credential !== null && credential !== '' && access.redeem(credential))
    res.setHeader('cache-control', 'no-store')
    res.setHeader('referrer-policy', 'no-referrer')
    if (!signedIn) {
      const wantsPage = String(req.headers.accept ?? '').includes('text/html')
      if (!wantsPage) {
        throw new LakeError(403, 'loginRequired', 'Open the login link that "npm start" printed (it carries a one-time secret), or send the lake token')
      }
      const html = loginPage(target.toString(), credential !== null)
      res.statusCode = 403
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.setHeader('content-length', Buffer.byteLength(html))
      res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
      res.end(html)
      return
    }
    target.hash = `token=${access.session}`
    res.statusCode = ctx.method === 'POST' ? 303 : 302
    res.setHeader('set-cookie', access.setCookie(port))
    res.setHeader('location', target.toString())
    res.end()
  }

  const logout = (ctx: RouteContext) => {
    // The session stays valid for other tabs; this browser has to log in again.
    ctx.send(200, {}, {'set-cookie': access.setCookie(options.port(), 0)})
  }

  return {login, logout}
}

function loginPage(origin: string, triedSecret: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Sign in to the local Studio</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}input{width:100%;font:inherit;padding:.4rem}button{font:inherit;margin-top:.5rem}</style></head>
<body><h1>Sign in to the local Studio</h1>
${triedSecret ? '<p><strong>This login link was already used or is from an earlier start.</strong></p>' : ''}
<p>Open the login link that <code>npm start</code> printed in its terminal: it carries a one-time secret.
Each start prints a new one.</p>
<p>Or paste the lake token (the file <code>.lake/token</code> in the data folder, or <code>SANITY_API_WRITE_TOKEN</code>):</p>
<form method="post" action="/auth/login"><input type="hidden" name="origin" value="${escapeHtml(origin)}">
<label>Lake token <input name="token" type="password" autocomplete="off" required></label>
<button type="submit">Sign in</button></form></body></html>
`
}
