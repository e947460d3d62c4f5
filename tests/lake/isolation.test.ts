/**
 * One slow query cannot freeze anyone else: budgets, cancellation, size limits and the
 * hard backstop of the query workers.
 */
import {evaluate, parse} from 'groq-js'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {rmSync} from 'node:fs'
import {Worker} from 'node:worker_threads'

import {LakeError, LakeStore} from '../../lake'
import {compileQuery, evaluateOver, View} from '../../lake/groq'

import {apiVersion} from '../../lib/env'
import {startTestLake, statusOf, type TestLake, tempDir, waitFor} from './helpers'

const PATHOLOGICAL = '*[_type == "x"]{"n": count(*[n > ^.n])}'

let t: TestLake

beforeAll(async () => {
  t = await startTestLake({queryTimeoutMs: 5000, maxResponseBytes: 200_000})
  const docs = Array.from({length: 3000}, (_, n) => ({_id: `x-${n}`, _type: 'x', n}))
  await t.lake.store.dataset('test').transaction(docs.map((doc) => ({createOrReplace: doc})))
})

afterAll(async () => {
  await t.stop()
})

function url(path: string): string {
  return `${t.lake.url}/v${apiVersion}${path}`
}

describe('query budget', () => {
  it('stops a query past its budget with a 408 in Sanity\'s error shape, and answers others meanwhile', async () => {
    const order: string[] = []
    const slow = fetch(`${url('/data/query/test')}?query=${encodeURIComponent(PATHOLOGICAL)}`).then(async (response) => {
      order.push('slow')
      return {status: response.status, body: (await response.json()) as {error: Record<string, unknown>; statusCode: number}}
    })
    await waitFor(() => t.lake.store.pool.load.running > 0, 'the slow query to start')
    // A trivial query and a write are answered while the slow one runs.
    expect(await t.anonymous.fetch('count(*[_id == "x-7"])')).toBe(1)
    order.push('trivial')
    await t.client.createOrReplace({_id: 'during', _type: 'y'})
    expect(await t.client.fetch('*[_id == "during"][0]._type')).toBe('y')
    order.push('write')
    const {status, body} = await slow
    expect(order).toEqual(['trivial', 'write', 'slow'])
    expect(status).toBe(408)
    expect(body.statusCode).toBe(408)
    expect(body.error.type).toBe('queryTimeout')
    expect(String(body.error.description)).toContain('5000 ms')
  })

  it('cancels a query when its client disconnects', async () => {
    const controller = new AbortController()
    const request = fetch(`${url('/data/query/test')}?query=${encodeURIComponent(PATHOLOGICAL)}`, {signal: controller.signal}).catch(() => 'aborted')
    await waitFor(() => t.lake.store.pool.load.running > 0, 'the query to start')
    controller.abort()
    expect(await request).toBe('aborted')
    // Well before the 5 s budget would have ended it.
    await waitFor(() => t.lake.store.pool.load.running === 0, 'the cancelled query to stop', 2000)
  })

  it('replaces a worker that does not stop, and keeps answering', async () => {
    // Filtering a parameter array never passes a document scan, so the worker cannot notice the budget.
    const values = Array.from({length: 60_000}, (_, i) => i)
    const failure = await statusOf(t.client.fetch('count($a[@ in $a])', {a: values}))
    expect(failure.statusCode).toBe(408)
    expect(await t.client.fetch('count(*[_type == "x"])')).toBe(3000)
  })
})

describe('query workers', () => {
  it('ends a worker that runs out of memory, answers 400, and keeps serving', async () => {
    const dir = tempDir()
    const store = new LakeStore(dir, {workerMemoryMb: 96})
    try {
      const dataset = store.dataset('test')
      await dataset.transaction(Array.from({length: 300}, (_, n) => ({create: {_id: `d-${n}`, _type: 'd', n, text: 'x'.repeat(50_000)}})))
      // Every pair of documents allocates a 50,000-element array: gigabytes in no time.
      const failure = await dataset.query('*{"a": *{"chars": string::split(text, "")}}').then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(failure).toBeInstanceOf(LakeError)
      expect(failure).toMatchObject({statusCode: 400, type: 'queryExecutionError'})
      expect(await dataset.query('count(*)')).toBe(300)
    } finally {
      await store.close()
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('closing lets idle workers end on their own and stops only a busy one', async () => {
    const dir = tempDir()
    const store = new LakeStore(dir, {queryWorkers: 2})
    const terminate = vi.spyOn(Worker.prototype, 'terminate')
    try {
      const dataset = store.dataset('test')
      await dataset.transaction(Array.from({length: 3000}, (_, n) => ({create: {_id: `x-${n}`, _type: 'x', n}})))
      expect(await Promise.all([dataset.query('count(*)'), dataset.query('count(*)')])).toEqual([3000, 3000])
      // Both workers have run jobs; one is now busy for seconds, the other idle.
      const busy = dataset.query(PATHOLOGICAL).then(
        () => undefined,
        (error: unknown) => error,
      )
      await waitFor(() => store.pool.load.running === 1, 'the slow query to start')
      await store.close()
      expect(await busy).toMatchObject({statusCode: 503, type: 'unavailable'})
      expect(terminate).toHaveBeenCalledTimes(1)
    } finally {
      terminate.mockRestore()
      await store.close()
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('limits', () => {
  it('answers a query over 300 kB with 413 before parsing it', async () => {
    const query = `*[${Array.from({length: 30_000}, (_, i) => `n == ${i}`).join(' || ')}]`
    expect(query.length).toBeGreaterThan(300_000)
    const response = await fetch(url('/data/query/test'), {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({query})})
    expect(response.status).toBe(413)
    expect(((await response.json()) as {error: {type: string}}).error.type).toBe('queryTooLarge')
  })

  it('answers a result over the response limit with 413 instead of buffering it', async () => {
    const failure = await statusOf(t.client.fetch('*[_type == "x"]'))
    expect(failure.statusCode).toBe(413)
    expect(failure.message).toContain('select fewer fields or paginate')
    expect(await t.client.fetch('*[_type == "x"] | order(n asc)[0...3].n')).toEqual([0, 1, 2])
  })

  it('balances long || chains (groq-js nests them 1000 deep) and keeps groq-js\' results', async () => {
    const docs = Array.from({length: 100}, (_, n) => ({_id: `x-${String(n).padStart(3, '0')}`, _type: 'x', n}))
    const terms = Array.from({length: 1000}, (_, i) => `n == ${i * 2}`).join(' || ')
    const query = `*[_type == "x" && (${terms})].n`
    const depth = (node: unknown): number =>
      typeof node === 'object' && node !== null ? 1 + Math.max(0, ...Object.values(node).map(depth)) : 0
    const {tree} = compileQuery(query, {})
    expect(depth(tree)).toBeLessThan(60)
    expect(depth(parse(query))).toBeGreaterThan(1000)
    const expected = await (await evaluate(parse(query), {dataset: docs})).get()
    expect(await evaluateOver({tree, view: new View(docs), params: {}})).toEqual(expected)
    // GROQ's three-valued || and && give the same answers for any grouping, nulls included.
    for (const small of ['[true || null, null || false, false || false, 1 || true, (false && null) || (null && true), null && false && 1]', 'count(*[n > 90 || n < 3 || _type == "y"])']) {
      const want = await (await evaluate(parse(small), {dataset: docs})).get()
      expect(await evaluateOver({tree: compileQuery(small, {}).tree, view: new View(docs), params: {}})).toEqual(want)
    }
  })

  it('answers 400 queryParseError for a parameter the request did not supply, as Sanity does', async () => {
    const response = await fetch(`${url('/data/query/test')}?query=${encodeURIComponent('*[_type == $t]')}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: {type: 'queryParseError', description: 'param $t referenced, but not provided', query: '*[_type == $t]', start: 11, end: 13},
      statusCode: 400,
    })
    expect(await t.client.fetch('count(*[_type == $t])', {t: 'x'})).toBe(3000)
  })

  it('refuses documents and parameters nested deeper than the limit with 400, storing nothing', async () => {
    // Written as text: JSON.stringify itself would overflow on it.
    const deep = `${'{"child":'.repeat(5000)}"leaf"${'}'.repeat(5000)}`
    const mutate = await fetch(url('/data/mutate/test'), {
      method: 'POST',
      headers: {authorization: `Bearer ${t.lake.token}`, 'content-type': 'application/json'},
      body: `{"mutations":[{"create":{"_id":"deep","_type":"deep","deep":${deep}}}]}`,
    })
    expect(mutate.status).toBe(400)
    expect(((await mutate.json()) as {error: {description: string}}).error.description).toContain('more than 100 levels deep')
    expect(await t.client.getDocument('deep')).toBeUndefined()
    // A patch path can nest deeper than any body: refused too, and the document stays as it was.
    await t.client.createOrReplace({_id: 'shallow', _type: 'deep'})
    const path = Array.from({length: 3000}, (_, i) => `level${i}`).join('.')
    const patch = await statusOf(t.client.patch('shallow').set({[path]: 1}).commit())
    expect(patch.statusCode).toBe(400)
    expect(await t.client.getDocument('shallow')).toMatchObject({_id: 'shallow'})
    expect(Object.keys((await t.client.getDocument('shallow')) ?? {})).not.toContain('level0')
    const param = await fetch(`${url('/data/query/test')}?query=${encodeURIComponent('$p')}&$p=${encodeURIComponent('['.repeat(200) + ']'.repeat(200))}`)
    expect(param.status).toBe(400)
    const body = await fetch(url('/data/query/test'), {method: 'POST', headers: {'content-type': 'application/json'}, body: `{"query":"$p","params":{"p":${deep}}}`})
    expect(body.status).toBe(400)
  })
})
