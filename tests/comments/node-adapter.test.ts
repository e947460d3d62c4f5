import {createServer, request as httpRequest, type Server} from 'node:http'
import {connect, createServer as createHttp2Server, type Http2Server} from 'node:http2'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {clientAddressOf, toNodeListener, type FetchHandler} from '../../comments/index'

/** Echoes what the handler saw of the request, so the adapter's translation can be compared whole. */
const echo: FetchHandler = async (request) => {
  const url = new URL(request.url)
  return new Response(
    JSON.stringify({
      method: request.method,
      path: `${url.pathname}${url.search}`,
      contentType: request.headers.get('content-type'),
      custom: request.headers.get('x-custom'),
      body: request.body ? await request.text() : null,
      address: clientAddressOf(request),
    }),
    {status: 201, headers: {'content-type': 'application/json', 'x-echo': 'yes'}},
  )
}

const servers: Array<Server | Http2Server> = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

async function listen<S extends Server | Http2Server>(server: S): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A POST with the request target exactly as given (fetch would normalise it). */
function postTarget(port: number, target: string): Promise<{status: number | undefined; body: unknown}> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({host: '127.0.0.1', port, method: 'POST', path: target, headers: {'content-length': '0'}}, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => resolve({status: response.statusCode, body: JSON.parse(text) as unknown}))
    })
    request.on('error', reject)
    request.end()
  })
}

describe('the Node adapter', () => {
  it('passes method, path, headers, body and socket address to the handler under node:http', async () => {
    const port = await listen(createServer(toNodeListener(echo)))
    const response = await fetch(`http://127.0.0.1:${port}/api/comments?x=1`, {
      method: 'POST',
      headers: {'content-type': 'application/json', 'x-custom': 'value'},
      body: '{"hello":"wörld"}',
    })
    expect({status: response.status, echo: response.headers.get('x-echo'), body: await response.json()}).toStrictEqual({
      status: 201,
      echo: 'yes',
      body: {method: 'POST', path: '/api/comments?x=1', contentType: 'application/json', custom: 'value', body: '{"hello":"wörld"}', address: '127.0.0.1'},
    })
  })

  it('works with the node:http2 compatibility API as well', async () => {
    const port = await listen(createHttp2Server(toNodeListener(echo)))
    const session = connect(`http://127.0.0.1:${port}`)
    try {
      const result = await new Promise<{status: number | undefined; body: unknown}>((resolve, reject) => {
        const stream = session.request({':method': 'POST', ':path': '/api/comments', 'content-type': 'text/plain', 'x-custom': 'h2'})
        let status: number | undefined
        let text = ''
        stream.on('response', (headers) => (status = headers[':status']))
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => (text += chunk))
        stream.on('end', () => resolve({status, body: JSON.parse(text) as unknown}))
        stream.on('error', reject)
        stream.end('over http/2')
      })
      expect(result).toStrictEqual({
        status: 201,
        body: {method: 'POST', path: '/api/comments', contentType: 'text/plain', custom: 'h2', body: 'over http/2', address: '127.0.0.1'},
      })
    } finally {
      session.close()
    }
  })

  it('answers 500 without details when the handler throws', async () => {
    const errors: unknown[] = []
    const port = await listen(
      createServer(
        toNodeListener(
          async () => {
            throw new Error('boom')
          },
          {onError: (error) => errors.push(error)},
        ),
      ),
    )
    const response = await fetch(`http://127.0.0.1:${port}/`, {method: 'POST', body: 'x'})
    expect({status: response.status, body: await response.json(), errors: errors.length}).toStrictEqual({
      status: 500,
      body: {error: {type: 'internalError', description: 'The comment handler failed; the server log has the details.'}, statusCode: 500},
      errors: 1,
    })
  })

  it('reads a target that starts like an authority as the path it is, never as a host', async () => {
    const port = await listen(createServer(toNodeListener(echo)))
    for (const target of ['//a:99999/x', '//evil.example/api/comments?x=1']) {
      const answer = await postTarget(port, target)
      expect({status: answer.status, path: (answer.body as {path: string}).path}).toStrictEqual({status: 201, path: target})
    }
  })

  it('answers 400 in Sanity\'s error shape to a target that is not a path, without calling the handler', async () => {
    let calls = 0
    const port = await listen(createServer(toNodeListener(async (request) => (calls++, echo(request)))))
    for (const target of ['*', 'ftp://host/api/comments']) {
      const answer = await postTarget(port, target)
      expect({target, status: answer.status, body: answer.body}).toStrictEqual({
        target,
        status: 400,
        body: {error: {type: 'invalidRequest', description: 'The request cannot be read: The request target must be a URL path starting with "/"'}, statusCode: 400},
      })
    }
    expect(calls).toBe(0)
    // The absolute form keeps its path and query, as the server's boundary reads it.
    expect((await postTarget(port, `http://127.0.0.1:${port}/api/comments?x=1`)).body).toMatchObject({path: '/api/comments?x=1'})
  })

  it('keeps the connection usable after an answer that left the body unread', async () => {
    const early: FetchHandler = async () => new Response('early', {status: 413})
    const port = await listen(createServer(toNodeListener(early)))
    const first = await fetch(`http://127.0.0.1:${port}/`, {method: 'POST', body: 'x'.repeat(200_000)})
    const second = await fetch(`http://127.0.0.1:${port}/`, {method: 'POST', body: 'y'})
    expect([first.status, await first.text(), second.status, await second.text()]).toStrictEqual([413, 'early', 413, 'early'])
  })
})
