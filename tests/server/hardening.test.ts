/**
 * The app server under hostile input: malformed paths on every route and transport, the one
 * error boundary (also for failures that escape as events, in a child process), connection
 * timeouts, header limits and the presence WebSocket's origin and frame checks.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {type ClientHttp2Session, connect as connectH2} from 'node:http2'
import {connect as netConnect} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {startTestLake} from '../lake/helpers'
import {type AppServer, startAppServer} from './app'
import {closeCodeIn, h2Request, openH2, rawExchange, wsFrame} from './support'

const ROOT = resolve(import.meta.dirname, '../..')
const V = '/v2025-02-19'

describe('malformed requests on every route and transport', () => {
  let app: AppServer
  let h2: ClientHttp2Session

  beforeAll(async () => {
    app = await startAppServer({
      wrapApp: (site) => async (request) => (new URL(request.url).pathname === '/boom' ? Promise.reject(new Error('secret-detail from the app')) : site(request)),
    })
    app.server.handler.route('GET', /^\/boom$/, () => {
      throw new Error('secret-detail from a lake route')
    })
    h2 = await openH2(app.server.port)
  })

  afterAll(async () => {
    h2?.close()
    await app?.close()
  })

  const stillServes = async () => expect(await app.client.fetch('count(*[_type == "film"])')).toBe(1)

  test('the reported crash: a malformed percent-escape over TLS answers 400 and the server keeps serving', async () => {
    const answer = await h2Request(h2, {':path': '/%E0%A4%A', ':authority': `local.localhost:${app.server.port}`})
    expect(answer.status).toBe(400)
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(answer.body).toContain('malformed percent-escape')
    await stillServes()
  })

  /** [path, method, format] — every kind of route: site pages, comments, Studio files, lake API, Studio support API. */
  const ROUTES: [string, string, 'json' | 'html'][] = [
    ['/%E0%A4%A', 'GET', 'html'],
    ['/films/%E0%A4%A', 'GET', 'html'],
    ['/reviews/%ZZ', 'GET', 'html'],
    ['/static/%E0%A4%A.js', 'GET', 'html'],
    ['/api/comments/%E0%A4%A', 'POST', 'json'],
    [`${V}/data/query/%E0%A4%A?query=1`, 'GET', 'json'],
    [`${V}/data/doc/production/%E0%A4%A`, 'GET', 'json'],
    [`${V}/data/doc/%E0%A4%A/film-her-2013`, 'GET', 'json'],
    [`${V}/data/listen/%E0%A4%A?query=*`, 'GET', 'json'],
    [`${V}/data/mutate/%E0%A4%A`, 'POST', 'json'],
    [`${V}/data/actions/%E0`, 'POST', 'json'],
    [`${V}/users/me/keyvalue/%E0%A4%A`, 'GET', 'json'],
    [`${V}/users/%E0%A4%A`, 'GET', 'json'],
    ['/auth/%E0%A4%A', 'GET', 'json'],
  ]

  const expectAnswer = (status: number, contentType: unknown, body: string, format: 'json' | 'html', what: string) => {
    expect(status, what).toBe(400)
    if (format === 'json') {
      expect(contentType, what).toBe('application/json; charset=utf-8')
      expect(JSON.parse(body), what).toMatchObject({error: {type: 'invalidRequest'}, statusCode: 400})
    } else {
      expect(contentType, what).toBe('text/html; charset=utf-8')
      expect(body, what).toContain('<!doctype html>')
    }
    expect(body, what).toContain('malformed percent-escape')
  }

  test('HTTP/2 over TLS: the Studio host and the site host answer 400 in the route format', async () => {
    for (const authority of [`local.localhost:${app.server.port}`, `localhost:${app.server.port}`]) {
      for (const [path, method, format] of ROUTES) {
        const answer = await h2Request(h2, {':path': path, ':method': method, ':authority': authority}, method === 'POST' ? '{"x":1}' : undefined)
        expectAnswer(answer.status, answer.headers['content-type'], answer.body, format, `h2 ${authority} ${method} ${path}`)
      }
    }
    await stillServes()
  })

  test('HTTP/1.1 over TLS and plain: answer 400 in the route format', async () => {
    for (const tls of [true, false]) {
      for (const [path, method, format] of ROUTES) {
        const host = tls ? `local.localhost:${app.server.port}` : `127.0.0.1:${app.server.port}`
        const body = method === 'POST' ? '{"x":1}' : ''
        const request = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
        const answer = await rawExchange(app.server.port, request, {tls})
        const contentType = /^content-type: (.*)$/im.exec(answer.head)?.[1]
        expectAnswer(answer.status, contentType, answer.body, format, `${tls ? 'tls' : 'plain'} ${method} ${path}`)
      }
    }
    await stillServes()
  })

  test('request targets that are not paths, unknown methods, broken request lines and huge headers get a 4xx', async () => {
    const port = app.server.port
    const plain = (text: string) => rawExchange(port, text)
    const viaPlain = async (text: string) => (await plain(text)).status
    // A path that starts like an authority is still a path, never a host to parse (that threw before).
    const authorityLike = await rawExchange(port, `GET //a:99999${V}/ping HTTP/1.1\r\nHost: local.localhost:${port}\r\nConnection: close\r\n\r\n`, {tls: true})
    expect(authorityLike.status).toBe(200)
    expect(authorityLike.body).toContain('<title>Studio</title>')
    // On the site too: the page at that path (none: 404), not the home page (the Fetch adapter once read `a:99999` as a host and fell back to "/").
    const sitePath = await plain(`GET //a:99999/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)
    expect(sitePath.status).toBe(404)
    expect(sitePath.body).toContain('There is nothing at this address.')
    expect(await viaPlain(`GET * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)).toBe(400)
    expect(await viaPlain(`TRACE / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)).toBe(405)
    const broken = await plain('GARBAGE\r\n\r\n')
    expect(broken.status).toBe(400)
    expect(JSON.parse(broken.body)).toMatchObject({error: {type: 'invalidRequest'}, statusCode: 400})
    const huge = await plain(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(huge.status).toBe(431)
    expect(JSON.parse(huge.body).error.type).toBe('headersTooLarge')
    // HTTP/2: a made-up method, a forbidden one, and a header list over the limit.
    const authority = `local.localhost:${port}`
    expect((await h2Request(h2, {':path': '/', ':method': 'BREW', ':authority': authority})).status).toBe(405)
    expect((await h2Request(h2, {':path': `${V}/data/query/production?query=1`, ':method': 'TRACE', ':authority': authority})).status).toBe(405)
    // Sent before the server's SETTINGS arrive, so the client does not hold it back itself.
    const eager = connectH2(`https://localhost:${port}`, {rejectUnauthorized: false})
    const tooBig = await h2Request(eager, {':path': `${V}/ping`, ':authority': authority, 'x-big': 'a'.repeat(40_000)})
    eager.close()
    expect(tooBig.status).toBe(431)
    expect(JSON.parse(tooBig.body).error.type).toBe('headersTooLarge')
    await stillServes()
  })

  test('a body cut off mid-way and truncated JSON are 4xx, and nothing is stored', async () => {
    const port = app.server.port
    const before = await app.client.fetch('count(*)')
    const truncated = await rawExchange(
      port,
      `POST ${V}/data/mutate/production HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${app.server.token}\r\nContent-Type: application/json\r\nContent-Length: 30\r\nConnection: close\r\n\r\n{"mutations":[{"create":{"_i`,
      {waitMs: 500},
    )
    // The server waits for the rest of the body; the client gives up.
    expect(truncated.status).toBe(0)
    const badJson = await h2Request(
      h2,
      {':path': `${V}/data/mutate/production`, ':method': 'POST', ':authority': `local.localhost:${port}`, authorization: `Bearer ${app.server.token}`, 'content-type': 'application/json'},
      '{"mutations":[{"create":{"_id":"x","_type":"y"}}',
    )
    expect(badJson.status).toBe(400)
    expect(await app.client.fetch('count(*)')).toBe(before)
  })

  test('an unexpected exception answers 500 without details, is logged once with its stack, and the server lives on', async () => {
    for (const [path, authority] of [
      [`${V}/boom`, `local.localhost:${app.server.port}`],
      ['/boom', `localhost:${app.server.port}`],
    ] as const) {
      const before = app.logs.length
      const answer = await h2Request(h2, {':path': path, ':authority': authority})
      expect(answer.status).toBe(500)
      expect(answer.body).not.toContain('secret-detail')
      expect(answer.body).not.toMatch(/\bat .*\.ts:\d+/)
      const reference = /reference (\w+)/.exec(answer.body)?.[1]
      expect(reference).toBeDefined()
      const logged = app.logs.slice(before).filter((line) => line.includes('secret-detail'))
      expect(logged).toHaveLength(1)
      expect(logged[0]).toContain(`[${reference}]`)
      expect(logged[0]).toMatch(/\bat /)
    }
    expect(JSON.parse((await h2Request(h2, {':path': `${V}/boom`, ':authority': `local.localhost:${app.server.port}`})).body)).toMatchObject({
      error: {type: 'internalError'},
      statusCode: 500,
    })
    await stillServes()
  })
})

describe('the standalone lake', () => {
  test('answers malformed escapes in dataset names and document ids with 400, and unparsable targets too', async () => {
    const lake = await startTestLake()
    try {
      await lake.client.create({_id: 'x', _type: 'thing'})
      for (const path of [`${V}/data/query/%E0%A4%A?query=1`, `${V}/data/doc/test/%E0%A4%A`, `${V}/data/doc/%E0%A4%A/x`, `${V}/data/listen/%ZZ?query=*`, `${V}/data/export/%00`]) {
        const response = await fetch(`${lake.lake.url}${path}`)
        expect(response.status, path).toBe(400)
        expect(await response.json(), path).toMatchObject({error: {type: expect.stringMatching(/^invalid/)}, statusCode: 400})
      }
      const target = await rawExchange(lake.lake.port, `GET * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
      expect(target.status).toBe(400)
      expect(await lake.client.fetch('count(*)')).toBe(1)
    } finally {
      await lake.stop()
    }
  })
})

describe('failures that escape a request as events (child process)', () => {
  let child: ChildProcess
  let dir: string
  let port = 0
  let stderr = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'server-child-'))
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/fixtures/server-child.ts'), dir], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    port = await new Promise<number>((resolvePort, reject) => {
      let out = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const match = /ready (\d+)/.exec(out)
        if (match) resolvePort(Number(match[1]))
      })
      child.once('exit', (code) => reject(new Error(`the server child exited with ${code}: ${stderr}`)))
    })
  }, 60_000)

  afterAll(() => {
    child?.kill('SIGKILL')
    rmSync(dir, {recursive: true, force: true})
  })

  test('a timer throw, an unhandled emitter error and an unhandled rejection each answer 500 and the process lives on', async () => {
    for (const kind of ['timer', 'emitter', 'rejection', 'sync']) {
      const response = await fetch(`http://127.0.0.1:${port}/boom/${kind}`)
      expect(response.status, kind).toBe(500)
      expect(await response.text(), kind).not.toContain('secret-detail')
      expect(child.exitCode, kind).toBeNull()
    }
    const ping = await fetch(`http://127.0.0.1:${port}/v1/ping`)
    expect(await ping.text()).toBe('PONG')
    for (const what of ['thrown from a timer', 'emitter error', 'unhandled rejection', 'thrown by the handler']) {
      expect(stderr.split('\n').filter((line) => line.includes(`${what}: secret-detail`)), what).toHaveLength(1)
    }
    expect(stderr).toContain('escaped as an event')
  })
})

describe('timeouts and the presence socket', () => {
  let app: AppServer
  const timeouts = {firstByteMs: 400, tlsHandshakeMs: 400, headersMs: 600, requestMs: 900, keepAliveMs: 400, idleMs: 1500}

  beforeAll(async () => {
    app = await startAppServer({timeouts, corsOrigins: ['http://localhost:3333'], limits: {maxWebSocketFrameBytes: 1024, maxWebSocketBufferedBytes: 16 * 1024}})
  })

  afterAll(async () => {
    await app?.close()
  })

  test('a connection that sends nothing, or only part of a TLS handshake, is closed', async () => {
    const silent = await rawExchange(app.server.port, undefined)
    expect(silent.closed).toBe(true)
    expect(silent.closedAfterMs).toBeGreaterThanOrEqual(timeouts.firstByteMs - 50)
    expect(silent.closedAfterMs).toBeLessThan(3000)
    // The first byte of a TLS record, then nothing.
    const handshake = await rawExchange(app.server.port, Buffer.from([0x16, 0x03, 0x01]))
    expect(handshake.closed).toBe(true)
    expect(handshake.closedAfterMs).toBeLessThan(3000)
  })

  test('half-sent headers get 408 and the connection is closed, over plain HTTP and TLS', async () => {
    for (const tls of [false, true]) {
      const answer = await rawExchange(app.server.port, `GET ${V}/ping HTTP/1.1\r\nHost: localhost\r\n`, {tls})
      expect(answer.status, `tls=${tls}`).toBe(408)
      expect(answer.closed).toBe(true)
      expect(answer.closedAfterMs).toBeLessThan(4000)
    }
  })

  test('a body that stops arriving gets 408: HTTP/1.1 by request timeout, HTTP/2 by stream timeout', async () => {
    const http1 = await rawExchange(
      app.server.port,
      `POST ${V}/data/query/production HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":`,
    )
    expect(http1.status).toBe(408)
    expect(http1.closed).toBe(true)
    const h2 = await openH2(app.server.port)
    const started = Date.now()
    const answer = await h2Request(
      h2,
      {':path': `${V}/data/query/production`, ':method': 'POST', ':authority': `local.localhost:${app.server.port}`, 'content-type': 'application/json'},
      '{"query":',
      {endStream: false},
    )
    expect(answer.status).toBe(408)
    expect(Date.now() - started).toBeLessThan(4000)
    h2.close()
  })

  test('an idle keep-alive connection and an idle HTTP/2 session are closed', async () => {
    const keepAlive = await rawExchange(app.server.port, `GET ${V}/ping HTTP/1.1\r\nHost: localhost\r\n\r\n`)
    expect(keepAlive.status).toBe(200)
    expect(keepAlive.closed).toBe(true)
    expect(keepAlive.closedAfterMs).toBeLessThan(3000)
    const h2 = await openH2(app.server.port)
    const closedAfter = await new Promise<number>((resolveClose) => {
      const started = Date.now()
      h2.once('close', () => resolveClose(Date.now() - started))
    })
    expect(closedAfter).toBeGreaterThanOrEqual(timeouts.idleMs - 100)
    expect(closedAfter).toBeLessThan(5000)
  })

  /** Opens the presence socket with raw bytes and returns everything the server sent back. */
  const presence = (origin: string | undefined, frames: Buffer[]) =>
    new Promise<{head: string; rest: Buffer; closed: boolean}>((resolveSocket) => {
      const socket = netConnect(app.server.port, '127.0.0.1')
      const chunks: Buffer[] = []
      socket.on('connect', () => {
        socket.write(
          `GET ${V}/socket/production HTTP/1.1\r\nHost: local.localhost:${app.server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${origin ? `Origin: ${origin}\r\n` : ''}\r\n`,
        )
        for (const frame of frames) socket.write(frame)
      })
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        // The answer to the JSON-RPC call is all an open socket has to show.
        if (Buffer.concat(chunks).includes('"id":1')) finish(false)
      })
      const finish = (closed: boolean) => {
        socket.destroy()
        const all = Buffer.concat(chunks)
        const split = all.indexOf('\r\n\r\n')
        resolveSocket({head: all.subarray(0, split).toString('latin1'), rest: all.subarray(split + 4), closed})
      }
      socket.on('close', () => finish(true))
      setTimeout(() => finish(false), 2500)
    })

  test('the presence WebSocket refuses foreign origins and answers the Studio and configured ones', async () => {
    const hello = wsFrame(0x1, Buffer.from(JSON.stringify({jsonrpc: '2.0', id: 1, method: 'presence_rollCall'})))
    expect((await presence('https://evil.example', [hello])).head).toMatch(/^HTTP\/1\.1 403/)
    for (const origin of [`https://local.localhost:${app.server.port}`, 'http://localhost:3333', undefined]) {
      const answer = await presence(origin, [hello])
      expect(answer.head, String(origin)).toMatch(/^HTTP\/1\.1 101/)
      expect(answer.rest.toString('latin1'), String(origin)).toContain('"id":1')
    }
  })

  test('the presence WebSocket closes on a frame over the size limit (even one only declared), and on an unmasked frame', async () => {
    const origin = `https://local.localhost:${app.server.port}`
    const before = app.logs.length
    const big = await presence(origin, [wsFrame(0x1, Buffer.alloc(2000, 0x61))])
    expect(closeCodeIn(big.rest)).toBe(1009)
    expect(big.closed).toBe(true)
    // A header that announces 2^62 bytes: refused at once, nothing buffered.
    const declared = await presence(origin, [wsFrame(0x1, Buffer.alloc(10), {declaredLength: 2n ** 62n})])
    expect(closeCodeIn(declared.rest)).toBe(1009)
    const unmasked = await presence(origin, [wsFrame(0x1, Buffer.from('{}'), {mask: false})])
    expect(closeCodeIn(unmasked.rest)).toBe(1002)
    // Each one the server ended says so in its log, with why.
    expect(app.logs.slice(before).filter((line) => line.startsWith('presence socket closed by the server'))).toEqual([
      'presence socket closed by the server: a frame over 1024 bytes',
      'presence socket closed by the server: a frame over 1024 bytes',
      'presence socket closed by the server: a frame that breaks the WebSocket protocol',
    ])
    expect(await app.client.fetch('count(*[_type == "film"])')).toBe(1)
  })

  test('the presence WebSocket cuts a client that sends but never reads its answers', async () => {
    const socket = netConnect(app.server.port, '127.0.0.1')
    await new Promise((resolveConnect) => socket.once('connect', resolveConnect))
    // Never read: the answers pile up in the kernel buffers, then in the server's.
    socket.pause()
    socket.write(
      `GET ${V}/socket/production HTTP/1.1\r\nHost: local.localhost:${app.server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    const ping = wsFrame(0x9, Buffer.alloc(125, 0x70))
    let cut = false
    const closed = new Promise<boolean>((resolveClose) => {
      socket.once('close', () => {
        cut = true
        resolveClose(true)
      })
      setTimeout(() => resolveClose(false), 20_000)
    })
    socket.on('error', () => {})
    // Pings of 125 bytes, 1000 at a time, until the server cuts the socket: the kernel holds
    // several megabytes of unread pongs first (loopback buffers grow: 5 MB was not always enough),
    // so up to 400,000 pings ask for about 50 MB.
    for (let batch = 0; batch < 400 && !cut && !socket.destroyed; batch++) {
      socket.write(Buffer.concat(Array.from({length: 1000}, () => ping)))
      await new Promise((resolveTick) => setImmediate(resolveTick))
    }
    expect(await closed).toBe(true)
    expect(app.logs).toContain('presence socket closed by the server: the client left more than 16384 bytes unread')
    expect(await app.client.fetch('count(*[_type == "film"])')).toBe(1)
  })
})
