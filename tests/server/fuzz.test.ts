/**
 * Fuzz: a few thousand random and malformed requests (seeded, so a failure replays) against the
 * app server as `npm start` composes it, over HTTP/2 + TLS, HTTP/1.1 + TLS and plain HTTP/1.1,
 * plus raw garbage bytes and broken HTTP/2 frames. Afterwards the server must still answer a
 * trivial query, must have answered no 5xx and logged no failure, every 4xx must be in the
 * route's error format, and the dataset must be exactly as before.
 *
 * FUZZ_SEED and FUZZ_COUNT override the seed and the number of HTTP requests.
 */
import {connect as h2connect, type ClientHttp2Session} from 'node:http2'
import {connect as netConnect} from 'node:net'
import {connect as tlsConnect} from 'node:tls'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {type AppServer, startAppServer} from './app'

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202)
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000)
const RAW_COUNT = 150
const FRAME_COUNT = 80
const CONCURRENCY = 16
/** The client gives up on an answer after this (the server's request timeout is shorter). */
const ANSWER_WAIT_MS = 4000

type Transport = 'h2' | 'h1-tls' | 'h1-plain'

interface FuzzRequest {
  transport: Transport
  host: 'studio' | 'site' | 'ip' | 'foreign' | 'missing'
  method: string
  path: string
  headers: [string, string][]
  body: Buffer | undefined
  /** HTTP/1.1 only: declare a Content-Length that does not match the body. */
  lengthSkew: number
}

interface Outcome {
  status: number
  contentType: string
  body: string
}

// ---- generators -------------------------------------------------------------------------

const PREFIXES = [
  '/',
  '/films/',
  '/reviews/',
  '/people/',
  '/api/comments',
  '/api/',
  '/static/',
  '/structure/',
  '/auth/login',
  '/auth/logout',
  '/v2025-02-19/data/query/production',
  '/v2025-02-19/data/query/',
  '/v1/data/doc/production/',
  '/vX/data/listen/production',
  '/v2025-02-19/data/mutate/production',
  '/v2025-02-19/data/actions/production',
  '/v2025-02-19/data/export/production',
  '/v2025-02-19/data/references/production/documents/',
  '/v2025-02-19/data/history/production/transactions/',
  '/v2025-02-19/users/me',
  '/v2025-02-19/users/me/keyvalue/',
  '/v2025-02-19/users/',
  '/v2025-02-19/projects/local/datasets',
  '/v2025-02-19/projects/local/datasets/production/acl',
  '/v2025-02-19/socket/production',
  '/v2025-02-19/auth/providers',
  '/v2025-02-19/ping',
  '/v99999999999999999999/data/query/production',
  '//',
]

const ESCAPES = ['%', '%E0%A4%A', '%00', '%FF', '%C0%AE', '%2F..%2F', '..', '%2e%2e', '%u0041', '%%', '%ZZ', '%F0%9F%98', '\u00e9', '\u{1F600}', ';', '#frag', '?', '&', '%0d%0a']

const segment = fc.oneof(
  fc.constantFrom(...ESCAPES),
  fc.string({maxLength: 12}),
  fc.string({unit: 'grapheme', maxLength: 6}),
  fc.constantFrom('film-her-2013', 'drafts.film-her-2013', 'production', 'her-2013', 'x'.repeat(300), ''),
)

const GROQ = fc.oneof(
  fc.constantFrom('*', '*[', 'count(*)', '*[_type == $t]', '*[_id in path("**")]', '*[_type == "film"]{title}', '*[]{', 'text::query($q)', '*[_type=="x"]{"n": count(*)}', '1 +', '$', '"unterminated'),
  fc.string({maxLength: 40}),
)

const queryString = fc
  .array(
    fc.oneof(
      GROQ.map((groq) => `query=${encodeURIComponent(groq)}`),
      fc.tuple(fc.string({maxLength: 8}), fc.oneof(fc.jsonValue({maxDepth: 2}).map((value) => JSON.stringify(value)), fc.string({maxLength: 10}))).map(
        ([name, value]) => `$${encodeURIComponent(name)}=${encodeURIComponent(value ?? '')}`,
      ),
      fc.constantFrom('perspective=drafts', 'perspective=%5B', 'returnQuery=false', 'origin=https%3A%2F%2Fevil.example%2F', 'secret=guess', 'dryRun=true', 'visibility=nope', 'types=film,%E0', 'after=2015-03-01~x'),
      fc.constantFrom(...ESCAPES).map((escape) => `${escape}=${escape}`),
    ),
    {maxLength: 4},
  )
  .map((parts) => (parts.length > 0 ? `?${parts.join('&')}` : ''))

const path = fc
  .tuple(fc.constantFrom(...PREFIXES), fc.array(segment, {maxLength: 3}), queryString)
  // Characters a request line cannot carry are sent percent-encoded; the malformed escapes stay as they are.
  .map(([prefix, segments, query]) => `${prefix}${segments.join('/')}${query}`.replace(/[^\x21-\x7e]/gu, (char) => encodeURIComponent(char)))

const METHOD = fc.oneof(
  {weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS')},
  {weight: 2, arbitrary: fc.constantFrom('PUT', 'PATCH', 'DELETE')},
  {weight: 1, arbitrary: fc.constantFrom('TRACE', 'BREW', 'get', 'CONNECT', 'PROPFIND', 'M-SEARCH')},
)

/** Header values a client can put on the wire (visible ASCII and spaces). */
const headerValue = fc.oneof(
  fc.string({maxLength: 30}).map((value) => value.replace(/[^\x20-\x7e]/g, '')),
  fc.constantFrom('Bearer ', 'Bearer lake_wrong', 'Bearer studio_wrong', 'Basic Zm9vOmJhcg==', 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', '-1', '99999999999999999999', 'https://evil.example', 'null', '*/*', 'text/html'),
)

const HEADER_NAMES = ['authorization', 'content-type', 'origin', 'cookie', 'accept', 'x-forwarded-for', 'access-control-request-method', 'access-control-request-headers', 'if-none-match', 'range', 'x-junk', 'expect', 'transfer-encoding', 'te']

const headers = fc.oneof(
  {weight: 10, arbitrary: fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), headerValue), {maxLength: 5})},
  // A header over the 16 KiB limit, and a great many small ones.
  {weight: 1, arbitrary: fc.constant<[string, string][]>([['x-huge', 'a'.repeat(20_000)]])},
  {weight: 1, arbitrary: fc.integer({min: 100, max: 400}).map((n) => Array.from({length: n}, (_, i): [string, string] => [`x-many-${i}`, 'v']))},
)

const truncatedJson = fc
  .tuple(
    fc.constantFrom(
      {mutations: [{create: {_id: 'fuzz-doc', _type: 'film', title: 'Fuzz'}}]},
      {mutations: [{patch: {id: 'film-her-2013', set: {title: 'Fuzzed'}}}]},
      {mutations: [{delete: {id: 'film-her-2013'}}]},
      {actions: [{actionType: 'sanity.action.document.delete', publishedId: 'film-her-2013'}]},
      {query: '*[_type == "film"]', params: {a: 1}},
      {reviewSlug: 'no-such-review', authorName: 'Fuzz', body: 'Hello', website: ''},
      [{key: 'studio.prefs', value: {a: 1}}],
    ),
    fc.nat(),
  )
  .map(([value, cut]) => {
    const text = JSON.stringify(value)
    return text.slice(0, cut % (text.length + 1))
  })

const body = fc.oneof(
  {weight: 4, arbitrary: fc.constant(undefined)},
  {weight: 3, arbitrary: truncatedJson.map((text) => Buffer.from(text))},
  {weight: 3, arbitrary: fc.jsonValue({maxDepth: 4}).map((value) => Buffer.from(JSON.stringify(value) ?? 'null'))},
  {weight: 2, arbitrary: fc.uint8Array({maxLength: 300}).map((bytes) => Buffer.from(bytes))},
  {weight: 1, arbitrary: fc.string({maxLength: 80}).map((text) => Buffer.from(`token=${encodeURIComponent(text)}&origin=${encodeURIComponent(text)}`))},
  // Deeply nested JSON.
  {weight: 1, arbitrary: fc.integer({min: 100, max: 5000}).map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`))},
)

const request: fc.Arbitrary<FuzzRequest> = fc.record({
  transport: fc.constantFrom<Transport>('h2', 'h1-tls', 'h1-plain'),
  host: fc.oneof({weight: 6, arbitrary: fc.constantFrom('studio' as const, 'site' as const, 'ip' as const)}, {weight: 1, arbitrary: fc.constantFrom('foreign' as const, 'missing' as const)}),
  method: METHOD,
  path,
  headers,
  body,
  lengthSkew: fc.oneof({weight: 12, arbitrary: fc.constant(0)}, {weight: 1, arbitrary: fc.integer({min: -5, max: 20})}),
})

// ---- clients ----------------------------------------------------------------------------

function hostHeader(host: FuzzRequest['host'], port: number): string | undefined {
  return {studio: `local.localhost:${port}`, site: `localhost:${port}`, ip: `127.0.0.1:${port}`, foreign: `attacker.example:${port}`, missing: undefined}[host]
}

/** Reads an answer until the body ends (up to 64 KiB), a stream's headers arrive, or the wait runs out. */
function http1(port: number, tls: boolean, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let done = false
    const socket = tls
      ? tlsConnect({port, host: '127.0.0.1', servername: 'local.localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1']}, () => socket.write(bytes))
      : netConnect({port, host: '127.0.0.1'}, () => socket.write(bytes))
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const head = split >= 0 ? text.slice(0, split) : text
      const rest = split >= 0 ? text.slice(split + 4) : ''
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
        contentType: /^content-type:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? '',
        body: /^transfer-encoding:\s*chunked/im.test(head) ? dechunk(rest) : rest,
      })
    }
    const timer = setTimeout(finish, ANSWER_WAIT_MS)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      const text = Buffer.concat(chunks).toString('latin1')
      // One answer is all that is needed; event streams never end.
      if (/content-type:\s*text\/event-stream/i.test(text) || Buffer.concat(chunks).length > 65_536) finish()
    })
    socket.on('error', finish)
    socket.on('close', finish)
  })
}

/** The body of a chunked HTTP/1.1 answer (as far as it arrived). */
function dechunk(text: string): string {
  let body = ''
  let rest = text
  for (;;) {
    const lineEnd = rest.indexOf('\r\n')
    if (lineEnd < 0) return body
    const size = Number.parseInt(rest.slice(0, lineEnd), 16)
    if (!Number.isFinite(size) || size === 0) return body
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size)
    rest = rest.slice(lineEnd + 2 + size + 2)
  }
}

function http2(session: ClientHttp2Session, headers: Record<string, string>, body: Buffer | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    let outcome: Outcome = {status: 0, contentType: '', body: ''}
    let done = false
    const chunks: Buffer[] = []
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({...outcome, body: Buffer.concat(chunks).toString('utf8')})
    }
    const timer = setTimeout(() => {
      stream?.close()
      finish()
    }, ANSWER_WAIT_MS)
    let stream: ReturnType<ClientHttp2Session['request']> | undefined
    try {
      stream = session.request(headers, {endStream: body === undefined})
    } catch {
      // The client refuses to send it (an invalid header, a session that went away).
      finish()
      return
    }
    stream.on('response', (received) => {
      outcome = {...outcome, status: Number(received[':status']), contentType: String(received['content-type'] ?? '')}
      if (outcome.contentType.startsWith('text/event-stream')) {
        stream?.close()
        finish()
      }
    })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', finish)
    stream.on('close', finish)
    stream.on('error', finish)
    if (body !== undefined) stream.end(body)
  })
}

function rawRequest(request: FuzzRequest, port: number): Buffer {
  const host = hostHeader(request.host, port)
  const lines = [`${request.method} ${request.path} HTTP/1.1`]
  if (host) lines.push(`Host: ${host}`)
  for (const [name, value] of request.headers) if (name !== 'transfer-encoding' && name !== 'expect') lines.push(`${name}: ${value}`)
  const length = (request.body?.length ?? 0) + request.lengthSkew
  if (request.body !== undefined || request.lengthSkew !== 0) lines.push(`Content-Length: ${Math.max(0, length)}`)
  lines.push('Connection: close', '', '')
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), request.body ?? Buffer.alloc(0)])
}

/** HTTP/2 forbids connection-specific headers; the fuzz sends the rest. */
const H2_FORBIDDEN = new Set(['transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'expect'])

function h2Headers(request: FuzzRequest, port: number): Record<string, string> {
  const headers: Record<string, string> = {':method': request.method, ':path': request.path}
  const host = hostHeader(request.host, port)
  if (host) headers[':authority'] = host
  for (const [name, value] of request.headers) if (!H2_FORBIDDEN.has(name)) headers[name] = value
  return headers
}

// ---- broken HTTP/2 frames ---------------------------------------------------------------

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

function h2Frame(type: number, flags: number, streamId: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(declaredLength & 0xffffff, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(streamId >>> 0, 5)
  return Buffer.concat([head, payload])
}

const brokenFrames = fc.array(
  fc.oneof(
    fc.record({type: fc.integer({min: 0, max: 12}), flags: fc.integer({min: 0, max: 255}), streamId: fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x7fffffff), fc.nat()), payload: fc.uint8Array({maxLength: 64})}).map(({type, flags, streamId, payload}) =>
      h2Frame(type, flags, streamId, Buffer.from(payload)),
    ),
    fc.constantFrom(
      h2Frame(0x4, 0, 0, Buffer.from([0, 2, 0, 0, 0, 2])), // SETTINGS_ENABLE_PUSH = 2
      h2Frame(0x4, 0, 0, Buffer.from([0, 4, 0xff, 0xff, 0xff, 0xff])), // initial window too large
      h2Frame(0x8, 0, 0, Buffer.from([0, 0, 0, 0])), // WINDOW_UPDATE of 0
      h2Frame(0x6, 0, 0, Buffer.from([1, 2, 3])), // PING of the wrong length
      h2Frame(0x0, 0, 0, Buffer.from('data on stream 0')),
      h2Frame(0x9, 0, 1, Buffer.from([0x82])), // CONTINUATION without HEADERS
      h2Frame(0x1, 0x4, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])), // HEADERS with broken HPACK
      h2Frame(0x1, 0x4, 1, Buffer.alloc(10), 0xffffff), // a frame longer than any allowed
      h2Frame(0x2, 0, 1, Buffer.from([0, 0, 0, 1, 16])), // PRIORITY depending on itself
      h2Frame(0x3, 0, 5, Buffer.from([0, 0, 0, 8])), // RST_STREAM on an idle stream
    ),
  ),
  {minLength: 1, maxLength: 6},
)

/** Sends the preface, an empty SETTINGS and the frames over TLS (ALPN h2); resolves when the server closes or after a moment. */
function sendFrames(port: number, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = tlsConnect({port, host: '127.0.0.1', servername: 'local.localhost', rejectUnauthorized: false, ALPNProtocols: ['h2']}, () => {
      socket.write(Buffer.concat([PREFACE, h2Frame(0x4, 0, 0, Buffer.alloc(0)), ...frames]))
    })
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve()
    }
    const timer = setTimeout(finish, 1500)
    socket.on('error', finish)
    socket.on('close', finish)
    socket.resume()
  })
}

// ---- the run ----------------------------------------------------------------------------

describe(`fuzz: ${COUNT} random requests (seed ${SEED}) over HTTP/2, HTTP/1.1 over TLS and plain HTTP`, () => {
  let app: AppServer
  let before: unknown[]
  const sessions: ClientHttp2Session[] = []

  const exportAll = () => app.client.fetch<unknown[]>('*[!(_id in path("_.**"))] | order(_id asc)', {}, {perspective: 'raw'})

  beforeAll(async () => {
    // Short request timeouts so that a body that never comes answers 408 within the client's wait.
    app = await startAppServer({timeouts: {headersMs: 1500, requestMs: 2000}})
    before = await exportAll()
  })

  afterAll(async () => {
    for (const session of sessions) session.destroy()
    await app?.close()
  })

  test('no request, garbage or broken frame gets a 5xx or takes the server down; the dataset is unchanged', async () => {
    const port = app.server.port
    const started = performance.now()
    const requests = fc.sample(request, {seed: SEED, numRuns: COUNT})
    const garbage = fc.sample(fc.uint8Array({minLength: 1, maxLength: 400}), {seed: SEED + 1, numRuns: RAW_COUNT})
    const frameRuns = fc.sample(brokenFrames, {seed: SEED + 2, numRuns: FRAME_COUNT})

    /** A few shared HTTP/2 sessions, replaced when one dies (a bad request may end its session). */
    const sessionFor = (index: number): ClientHttp2Session => {
      const slot = index % 4
      const current = sessions[slot]
      if (current && !current.closed && !current.destroyed) return current
      const session = h2connect(`https://localhost:${port}`, {rejectUnauthorized: false})
      session.on('error', () => {})
      sessions[slot] = session
      return session
    }

    const statuses = new Map<number, number>()
    const problems: string[] = []
    const record = (what: string, outcome: Outcome, request?: FuzzRequest) => {
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1)
      const describe = () => `${what}: ${outcome.status} ${outcome.contentType} ${outcome.body.slice(0, 200)}${request ? ` <- ${JSON.stringify({...request, body: request.body?.toString('latin1').slice(0, 100), headers: request.headers.slice(0, 5)})}` : ''}`
      if (outcome.status >= 500) problems.push(describe())
      // A 4xx says why, in the format of its route: Sanity's JSON error shape or an HTML page.
      if (outcome.status >= 400 && outcome.status < 500 && request?.method !== 'HEAD' && outcome.body) {
        const json = outcome.contentType.startsWith('application/json')
        const html = outcome.contentType.startsWith('text/html')
        if (json) {
          let parsed: unknown
          try {
            parsed = JSON.parse(outcome.body)
          } catch {
            problems.push(`unparsable JSON error: ${describe()}`)
          }
          if (typeof parsed !== 'object' || parsed === null || !('error' in parsed)) problems.push(`JSON error without "error": ${describe()}`)
        } else if (!html) {
          problems.push(`4xx neither JSON nor HTML: ${describe()}`)
        }
      }
    }

    const jobs: (() => Promise<void>)[] = [
      ...requests.map((item, index) => async () => {
        const outcome =
          item.transport === 'h2' ? await http2(sessionFor(index), h2Headers(item, port), item.body) : await http1(port, item.transport === 'h1-tls', rawRequest(item, port))
        record(`#${index} ${item.transport}`, outcome, item)
      }),
      ...garbage.map((bytes, index) => async () => {
        const tls = index % 2 === 0
        record(`garbage #${index} ${tls ? 'tls' : 'plain'}`, await http1(port, tls, Buffer.from(bytes)))
      }),
      ...frameRuns.map((frames) => () => sendFrames(port, frames)),
    ]
    let next = 0
    const worker = async () => {
      for (let job = jobs[next++]; job; job = jobs[next++]) await job()
    }
    await Promise.all(Array.from({length: CONCURRENCY}, worker))
    const seconds = (performance.now() - started) / 1000

    // Afterwards: still serving over every transport, nothing failed, nothing changed.
    expect(await app.client.fetch('count(*[_type == "film"])')).toBe(1)
    const h2 = await http2(sessionFor(99), {':path': '/v2025-02-19/data/query/production?query=count(*%5B_type%3D%3D%22review%22%5D)', ':authority': `local.localhost:${port}`}, undefined)
    expect(JSON.parse(h2.body).result).toBe(1)
    const tls = await http1(port, true, Buffer.from(`GET /v1/ping HTTP/1.1\r\nHost: local.localhost:${port}\r\nConnection: close\r\n\r\n`))
    expect(tls.body).toBe('PONG')
    const counts = Object.fromEntries([...statuses].sort(([a], [b]) => a - b))
    console.info(`fuzz: ${requests.length} requests + ${garbage.length} garbage + ${frameRuns.length} frame runs in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(counts)}`)
    expect(problems.slice(0, 20)).toEqual([])
    expect(app.logs.filter((line) => /failed|uncaught|error/i.test(line))).toEqual([])
    expect(await exportAll()).toEqual(before)
    // Most requests were answered (status 0 is a connection the server closed or refused).
    expect(statuses.get(0) ?? 0).toBeLessThan(requests.length / 10)
  }, 120_000)
})
