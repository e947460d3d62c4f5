/**
 * The local app server without a browser: one port for TLS (HTTP/2) and plain HTTP, the
 * Studio session behind the one-time login link, CORS, private data files, the Actions API
 * the Studio writes through, and text::query search.
 */
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import {connect, type ClientHttp2Session} from 'node:http2'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createClient, type SanityClient} from '@sanity/client'
import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {type RunningServer, startServer} from '../../server'
import {lakeClient, seedHer} from './support'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

describe('local app server', () => {
  let server: RunningServer
  let client: SanityClient
  let dir: string
  let h2: ClientHttp2Session
  let ids: {reviewId: string; filmId: string; commentId: string}

  /** An HTTP/2 request over TLS, as the browser makes it (the certificate is self-signed). */
  const secure = (path: string, options: {method?: string; host?: string; headers?: Record<string, string>; body?: unknown; rawBody?: string} = {}) =>
    new Promise<Answer>((resolveAnswer, reject) => {
      const stream = h2.request({
        ':method': options.method ?? 'GET',
        ':path': path,
        ':authority': options.host ?? `local.localhost:${server.port}`,
        ...(options.body === undefined ? {} : {'content-type': 'application/json'}),
        ...options.headers,
      })
      let body = ''
      let headers: Record<string, string | string[] | undefined> = {}
      stream.on('response', (received) => {
        headers = received as Record<string, string | string[] | undefined>
      })
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => (body += chunk))
      stream.on('end', () => resolveAnswer({status: Number(headers[':status']), headers, body}))
      stream.on('error', reject)
      stream.end(options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)))
    })

  const studioOrigin = () => `https://local.localhost:${server.port}`
  const loginPath = (query: string) => `/auth/login?${query}`
  const tokenIn = (answer: Answer) => /#token=(.+)$/.exec(String(answer.headers.location))?.[1]
  const cookieOf = (answer: Answer) => String(answer.headers['set-cookie'] ?? '').split(';')[0] ?? ''

  /** The Studio's session, fetched the way the Studio gets it: the login redirect's `#token=` (here with the lake token). */
  const session = async () => {
    const answer = await secure(loginPath(`origin=${encodeURIComponent(`${studioOrigin()}/`)}`), {headers: {authorization: `Bearer ${server.token}`}})
    const token = tokenIn(answer)
    if (!token) throw new Error(`no session in ${String(answer.headers.location)}`)
    return token
  }

  const actions = async (body: unknown, token?: string) =>
    secure('/v2025-02-19/data/actions/production', {method: 'POST', body, headers: token ? {authorization: `Bearer ${token}`} : {}})

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'server-test-'))
    server = await startServer({port: 0, dir, studioDir: join(dir, 'no-studio'), corsOrigins: ['http://localhost:3333']})
    client = lakeClient(server)
    ids = await seedHer(client)
    h2 = connect(`https://localhost:${server.port}`, {rejectUnauthorized: false})
  })

  afterAll(async () => {
    h2?.close()
    await server?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('serves HTTP/2 over TLS and plain HTTP on the same loopback port', async () => {
    expect(server.studioUrl).toBe(`https://local.localhost:${server.port}/`)
    const overTls = await secure('/v2025-02-19/data/query/production?query=count(*[_type=="film"])')
    expect(JSON.parse(overTls.body).result).toBe(1)
    expect(await client.fetch('count(*[_type == "review"])')).toBe(1)
    // Pages over plain HTTP go to the Studio's TLS origin.
    const page = await new Promise<Answer>((resolveAnswer, reject) => {
      httpRequest(`${server.apiUrl}/structure`, (res) => {
        res.resume()
        res.on('end', () => resolveAnswer({status: res.statusCode ?? 0, headers: res.headers, body: ''}))
      })
        .on('error', reject)
        .end()
    })
    expect(page.status).toBe(302)
    expect(page.headers.location).toBe(`https://local.localhost:${server.port}/structure`)
  })

  test('the one-time login link signs a browser in once; its cookie signs the same browser in again', async () => {
    const secret = new URL(server.loginUrl).searchParams.get('secret')
    expect(server.loginUrl).toBe(`${studioOrigin()}/auth/login?secret=${secret}`)
    expect(secret?.length).toBeGreaterThanOrEqual(24)
    // The Studio's own login redirect without any credential: refused, to scripts as JSON and to a browser as a page.
    const studioLogin = loginPath(`origin=${encodeURIComponent(`${studioOrigin()}/structure`)}&projectId=local&type=dual`)
    const anonymous = await secure(studioLogin)
    expect(anonymous.status).toBe(403)
    expect(JSON.parse(anonymous.body).error.type).toBe('loginRequired')
    expect(anonymous.headers.location).toBeUndefined()
    const page = await secure(studioLogin, {headers: {accept: 'text/html'}})
    expect(page.status).toBe(403)
    expect(page.body).toContain('npm start')
    expect(page.body).toContain('<form method="post" action="/auth/login">')
    expect(page.body).not.toContain(server.token)

    // The printed link: the session in the fragment, and a login cookie for this port only.
    const first = await secure(new URL(server.loginUrl).pathname + new URL(server.loginUrl).search)
    expect(first.status).toBe(302)
    expect(first.headers.location).toMatch(new RegExp(`^${studioOrigin()}/#token=studio_`))
    const token = tokenIn(first)
    expect(String(first.headers['set-cookie'])).toMatch(new RegExp(`^__Host-lake-studio-${server.port}=[\\w-]{40,}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=`))
    const cookie = cookieOf(first)
    expect(cookie).not.toContain(token)

    // Used up: the same link again (another browser) gets the login page, not the session.
    const again = await secure(new URL(server.loginUrl).pathname + new URL(server.loginUrl).search, {headers: {accept: 'text/html'}})
    expect(again.status).toBe(403)
    expect(again.body).toContain('already used')
    // The browser that used it: a reload or a second tab goes through the Studio's login redirect with the cookie.
    const withCookie = await secure(studioLogin, {headers: {cookie: `other=1; ${cookie}`}})
    expect(withCookie.status).toBe(302)
    expect(withCookie.headers.location).toBe(`${studioOrigin()}/structure#token=${token}`)
    // A forged cookie, or the right cookie for another port, is nothing.
    expect((await secure(studioLogin, {headers: {cookie: `${cookie.split('=')[0]}=forged`}})).status).toBe(403)
    expect((await secure(studioLogin, {headers: {cookie: cookie.replace(String(server.port), '1')}})).status).toBe(403)

    // Logging out forgets the cookie (the session itself stays valid for other tabs).
    const logout = await secure('/v2025-02-19/auth/logout', {method: 'POST', headers: {authorization: `Bearer ${token}`, cookie}})
    expect(logout.status).toBe(200)
    expect(String(logout.headers['set-cookie'])).toContain('Max-Age=0')
    expect(JSON.parse((await secure('/v2025-02-19/users/me', {headers: {authorization: `Bearer ${token}`}})).body).id).toBe('local-editor')
  })

  test('the lake token yields the session too: as a bearer token or pasted into the login form', async () => {
    const origin = `${studioOrigin()}/desk`
    const form = await secure('/auth/login', {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      rawBody: new URLSearchParams({origin, token: server.token}).toString(),
    })
    expect(form.status).toBe(303)
    expect(form.headers.location).toBe(`${origin}#token=${await session()}`)
    expect(cookieOf(form)).toMatch(/^__Host-lake-studio-/)
    const wrong = await secure('/auth/login', {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded', accept: 'text/html'},
      rawBody: new URLSearchParams({origin, token: 'not-the-token'}).toString(),
    })
    expect(wrong.status).toBe(403)
    expect(wrong.headers.location).toBeUndefined()
  })

  test('hands the session only to its own Studio origin, and refuses other hosts', async () => {
    const token = await session()
    expect(token.length).toBeGreaterThanOrEqual(32)
    expect(token).not.toBe(server.token)
    for (const origin of ['https://evil.example/', `http://local.localhost:${server.port}/`, `https://local.localhost:1/`]) {
      const refused = await secure(`/auth/login?origin=${encodeURIComponent(origin)}`, {headers: {authorization: `Bearer ${server.token}`}})
      expect(refused.status).toBe(403)
      expect(refused.headers.location).toBeUndefined()
    }
    // A DNS name re-bound to 127.0.0.1 is not a loopback host name.
    expect((await secure('/v2025-02-19/users/me', {host: `attacker.example:${server.port}`})).status).toBe(403)
    expect(JSON.parse((await secure('/v2025-02-19/users/me')).body)).toEqual({})
    const me = JSON.parse((await secure('/v2025-02-19/users/me', {headers: {authorization: `Bearer ${token}`}})).body)
    expect(me.id).toBe('local-editor')
  })

  test('CORS: credentials only for the Studio origin and configured origins; other origins get no CORS headers', async () => {
    const preflight = (origin: string) =>
      secure('/v2025-02-19/data/query/production', {
        method: 'OPTIONS',
        headers: {origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type'},
      })
    for (const origin of [studioOrigin(), 'http://localhost:3333']) {
      const allowed = await preflight(origin)
      expect(allowed.status).toBe(204)
      expect(allowed.headers['access-control-allow-origin']).toBe(origin)
      expect(allowed.headers['access-control-allow-credentials']).toBe('true')
      expect(allowed.headers['access-control-allow-headers']).toBe('authorization,content-type')
    }
    for (const origin of ['https://evil.example', 'http://localhost:4444', `https://localhost:${server.port}`]) {
      const refused = await preflight(origin)
      expect(refused.status).toBe(403)
      expect(JSON.parse(refused.body).error.type).toBe('corsOriginNotAllowed')
      const read = await secure('/v2025-02-19/data/query/production?query=count(*)', {headers: {origin}})
      expect(read.status).toBe(200)
      expect(read.headers['access-control-allow-origin']).toBeUndefined()
      expect(read.headers['access-control-allow-credentials']).toBeUndefined()
    }
  })

  test('the data files the server writes are private to their owner', () => {
    const mode = (path: string) => statSync(join(dir, path)).mode & 0o777
    expect({tls: mode('tls'), key: mode('tls/key.pem'), cert: mode('tls/cert.pem'), session: mode('studio-session')}).toEqual({
      tls: 0o700,
      key: 0o600,
      cert: 0o600,
      session: 0o600,
    })
  })

  test('writes through the Actions API need the session; edit makes the draft, publish replaces the published document', async () => {
    const token = await session()
    const edit = {
      actionType: 'sanity.action.document.edit',
      draftId: `drafts.${ids.filmId}`,
      publishedId: ids.filmId,
      patch: {set: {logline: 'Edited through the Actions API.'}},
    }
    expect((await actions({actions: [edit]})).status).toBe(401)
    const published = await client.getDocument(ids.filmId)
    const edited = await actions({actions: [edit], transactionId: 'tx-edit-1'}, token)
    expect(edited.status).toBe(200)
    expect(JSON.parse(edited.body)).toEqual({transactionId: 'tx-edit-1'})
    const draft = await client.getDocument(`drafts.${ids.filmId}`)
    expect(draft).toMatchObject({title: published?.title, logline: 'Edited through the Actions API.', _rev: 'tx-edit-1'})

    const stale = await actions({actions: [{actionType: 'sanity.action.document.publish', draftId: `drafts.${ids.filmId}`, publishedId: ids.filmId, ifPublishedRevisionId: 'not-the-revision'}]}, token)
    expect(stale.status).toBe(409)
    const publish = await actions(
      {actions: [{actionType: 'sanity.action.document.publish', draftId: `drafts.${ids.filmId}`, publishedId: ids.filmId, ifPublishedRevisionId: published?._rev}]},
      token,
    )
    expect(publish.status).toBe(200)
    expect(await client.getDocument(`drafts.${ids.filmId}`)).toBeUndefined()
    expect(await client.getDocument(ids.filmId)).toMatchObject({logline: 'Edited through the Actions API.', _createdAt: published?._createdAt})
  })

  test('create then publish in one request, and unsupported actions are refused by name', async () => {
    const token = await session()
    const created = await actions(
      {
        actions: [
          {actionType: 'sanity.action.document.create', publishedId: 'person-test-new', attributes: {_id: 'drafts.person-test-new', _type: 'person', name: 'New Person'}, ifExists: 'fail'},
          {actionType: 'sanity.action.document.publish', draftId: 'drafts.person-test-new', publishedId: 'person-test-new'},
        ],
      },
      token,
    )
    expect(created.status).toBe(200)
    expect(await client.getDocument('person-test-new')).toMatchObject({name: 'New Person'})
    const unknown = await actions({actions: [{actionType: 'sanity.action.document.variant.publish', publishedId: 'x'}]}, token)
    expect(unknown.status).toBe(400)
    expect(unknown.body).toContain('sanity.action.document.variant.publish')
  })

  test('an image the Studio uploads is recorded in history as made by the editor, not the lake token', async () => {
    const token = await session()
    const studio = createClient({projectId: server.projectId, dataset: 'production', apiVersion: '2025-02-19', apiHost: server.apiUrl, useProjectHostname: false, useCdn: false, token})
    const png = await sharp({create: {width: 8, height: 8, channels: 3, background: '#336699'}}).png().toBuffer()
    const asset = await studio.assets.upload('image', png, {filename: 'swatch.png'})
    const log = await studio.request<string>({url: `/data/history/production/transactions/${asset._id}?excludeContent=true`, json: false})
    const authors = String(log)
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as {author: string}).author)
    expect(authors).toEqual(['local-editor'])
  })

  test('text::query search as the Studio sends it finds the film and the review for "Her"', async () => {
    const query = '*[_type in $__types && ([@, _id] match text::query($__query) || references($__rawQuery))]{_id, _type} | order(_id asc)'
    const result = await client.fetch<{_id: string}[]>(query, {__types: ['film', 'review', 'person'], __query: 'Her*', __rawQuery: 'Her'})
    expect(result.map((doc) => doc._id)).toEqual(expect.arrayContaining([ids.filmId, ids.reviewId]))
    // Exclusions and unmatched words narrow the result; the hidden text never leaks into results.
    expect(await client.fetch('*[_type == "film" && @ match text::query("Her -drama")]._id')).toEqual([])
    const whole = await client.fetch<Record<string, unknown>[]>('*[_type == "film" && [@, _id] match text::query("Theodore*")]')
    expect(whole.map((doc) => doc._id)).toEqual([ids.filmId])
    expect(Object.keys(whole[0] ?? {}).some((key) => key.includes('lake:text'))).toBe(false)
  })
})
