import {connect, createServer, type ClientHttp2Session} from 'node:http2'
import type {AddressInfo} from 'node:net'
import {rmSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createLakeHandler, LakeStore, type LakeHandler} from '../../lake'
import {tempDir, TEST_TOKEN} from './helpers'

let dir: string
let store: LakeStore
let handler: LakeHandler
let server: ReturnType<typeof createServer>
let session: ClientHttp2Session

function request(headers: Record<string, string>, body?: string): Promise<{status: number; headers: Record<string, unknown>; text: string}> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers)
    let text = ''
    let status = 0
    let responseHeaders: Record<string, unknown> = {}
    stream.setEncoding('utf8')
    stream.on('response', (h) => {
      status = Number(h[':status'])
      responseHeaders = h
    })
    stream.on('data', (chunk: string) => {
      text += chunk
    })
    stream.on('end', () => resolve({status, headers: responseHeaders, text}))
    stream.on('error', reject)
    stream.end(body)
  })
}

beforeAll(async () => {
  dir = tempDir()
  store = new LakeStore(dir)
  handler = createLakeHandler(store, {token: TEST_TOKEN})
  // A route registered by another module, as the Studio work will do.
  handler.route('GET', /^\/users\/me$/, (ctx) => ctx.send(200, {id: 'local-user', authenticated: ctx.authenticated}))
  server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})

afterAll(async () => {
  session.close()
  handler.closeStreams()
  await new Promise((resolve) => server.close(resolve))
  store.close()
  rmSync(dir, {recursive: true, force: true})
})

describe('the handler over node:http2', () => {
  it('takes a mutation and answers a query with the same JSON shapes', async () => {
    const mutate = await request(
      {':method': 'POST', ':path': '/v2025-02-19/data/mutate/test?returnIds=true', authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json'},
      JSON.stringify({mutations: [{create: {_id: 'h2', _type: 'film', title: 'Over HTTP/2'}}]}),
    )
    expect(mutate.status).toBe(200)
    expect(JSON.parse(mutate.text)).toMatchObject({results: [{id: 'h2', operation: 'create'}], documentIds: ['h2']})
    const query = await request({':method': 'GET', ':path': `/v2025-02-19/data/query/test?query=${encodeURIComponent('*[_type == "film"].title')}`})
    expect(query.status).toBe(200)
    expect(JSON.parse(query.text)).toMatchObject({result: ['Over HTTP/2']})
  })

  it('serves routes registered with handler.route()', async () => {
    const response = await request({':method': 'GET', ':path': '/v2025-02-19/users/me', authorization: `Bearer ${TEST_TOKEN}`})
    expect(JSON.parse(response.text)).toEqual({id: 'local-user', authenticated: true})
  })

  it('streams listener events', async () => {
    const stream = session.request({':method': 'GET', ':path': `/v1/data/listen/test?query=${encodeURIComponent('*[_type == "film"]')}`, authorization: `Bearer ${TEST_TOKEN}`})
    stream.setEncoding('utf8')
    let text = ''
    const sawMutation = new Promise<void>((resolve) => {
      stream.on('data', (chunk: string) => {
        text += chunk
        if (text.includes('event: mutation')) resolve()
      })
    })
    await new Promise<void>((resolve) => stream.once('data', () => resolve()))
    await store.dataset('test').transaction([{createOrReplace: {_id: 'h2-live', _type: 'film'}}])
    await sawMutation
    stream.close()
    expect(text).toContain('"documentId":"h2-live"')
  })
})
