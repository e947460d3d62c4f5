import type {MutationEvent, SanityClient} from '@sanity/client'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {startTestLake, type TestLake, waitFor} from './helpers'

type ListenEvent = {type: string} & Record<string, unknown>

let t: TestLake

beforeEach(async () => {
  t = await startTestLake()
})

afterEach(async () => {
  await t.stop()
})

/** Subscribes and resolves once the welcome event arrived, so later writes are seen. */
async function listen(client: SanityClient, query: string, params: Record<string, unknown> = {}, options: Record<string, unknown> = {}) {
  const events: ListenEvent[] = []
  const errors: unknown[] = []
  const subscription = client
    .listen(query, params, {events: ['welcome', 'mutation'], includeResult: true, ...options})
    .subscribe({next: (event) => events.push(event as ListenEvent), error: (error: unknown) => errors.push(error)})
  await waitFor(() => events.some((e) => e.type === 'welcome'), 'the welcome event')
  return {events, errors, subscription, mutations: () => events.filter((e): e is ListenEvent & MutationEvent => e.type === 'mutation')}
}

describe('listen', () => {
  it('streams appear, update and disappear events for documents matching the filter', async () => {
    const listener = await listen(t.client, '*[_type == "review" && rating >= $min]', {min: 3}, {effectFormat: 'mendoza'})
    const created = await t.client.create({_id: 'r1', _type: 'review', rating: 4})
    await t.client.create({_id: 'other', _type: 'film', rating: 5})
    const updated = await t.client.patch('r1').set({rating: 5}).commit()
    await t.client.patch('r1').set({rating: 1}).commit()
    await waitFor(() => listener.mutations().length >= 3, 'three mutation events')
    listener.subscription.unsubscribe()

    const [appear, update, disappear] = listener.mutations()
    expect(listener.mutations()).toHaveLength(3)
    expect(appear).toMatchObject({
      documentId: 'r1',
      transition: 'appear',
      resultRev: created._rev,
      transactionId: created._rev,
      result: created,
      visibility: 'query',
      transactionTotalEvents: 1,
      transactionCurrentEvent: 0,
      mutations: [{create: {_id: 'r1', _type: 'review', rating: 4}}],
      effects: {apply: [0, created], revert: [0, null]},
    })
    expect(appear).not.toHaveProperty('previousRev')
    expect(update).toMatchObject({
      documentId: 'r1',
      transition: 'update',
      previousRev: created._rev,
      resultRev: updated._rev,
      result: updated,
      mutations: [{patch: {id: 'r1', set: {rating: 5}}}],
    })
    expect(disappear).toMatchObject({documentId: 'r1', transition: 'disappear', previousRev: updated._rev})
    expect(typeof appear?.timestamp).toBe('string')
    expect(listener.errors).toEqual([])
  })

  it('counts the events of one transaction', async () => {
    const listener = await listen(t.client, '*[_type == "comment"]')
    await t.client.transaction().create({_id: 'c1', _type: 'comment'}).create({_id: 'c2', _type: 'comment'}).create({_id: 'f1', _type: 'film'}).commit()
    await waitFor(() => listener.mutations().length >= 2, 'two mutation events')
    listener.subscription.unsubscribe()
    expect(listener.mutations().map((e) => [e.documentId, e.transactionCurrentEvent, e.transactionTotalEvents])).toEqual([
      ['c1', 0, 2],
      ['c2', 1, 2],
    ])
  })

  it('streams drafts only to listeners with the token', async () => {
    const withToken = await listen(t.client, '*[_type == "review"]')
    const anonymous = await listen(t.anonymous, '*[_type == "review"]')
    await t.client.create({_id: 'drafts.r2', _type: 'review'})
    await t.client.create({_id: 'r3', _type: 'review'})
    await waitFor(() => withToken.mutations().length >= 2 && anonymous.mutations().length >= 1, 'events on both listeners')
    await new Promise((resolve) => setTimeout(resolve, 100))
    withToken.subscription.unsubscribe()
    anonymous.subscription.unsubscribe()
    expect(withToken.mutations().map((e) => e.documentId)).toEqual(['drafts.r2', 'r3'])
    expect(anonymous.mutations().map((e) => e.documentId)).toEqual(['r3'])
  })

  it('answers a bad listen query with 400 before streaming', async () => {
    const response = await fetch(`${t.lake.url}/v1/data/listen/test?query=${encodeURIComponent('*[_type ==')}`, {
      headers: {Authorization: `Bearer ${t.lake.token}`},
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as {error: {type: string}}).error.type).toBe('queryParseError')
  })

  it('refuses listen filters that join (subqueries, ->, ^) at subscribe time with a 400 that says why', async () => {
    for (const [query, why] of [
      ['*[_type == "review" && count(*[references(^._id)]) > 0]', 'subqueries'],
      ['*[_type == "review" && film->title == "Her"]', '->'],
    ] as const) {
      const response = await fetch(`${t.lake.url}/v1/data/listen/test?query=${encodeURIComponent(query)}`, {headers: {Authorization: `Bearer ${t.lake.token}`}})
      expect(response.status).toBe(400)
      const body = (await response.json()) as {error: {type: string; description: string}}
      expect(body.error.type).toBe('queryParseError')
      expect(body.error.description).toContain(why)
    }
  })

  it('streams text::query() matches like the query route finds them', async () => {
    const listener = await listen(t.client, '*[_type == "film" && @ match text::query($q)]', {q: 'lonely'})
    await t.client.create({_id: 'f-1', _type: 'film', logline: 'A lonely writer'})
    await t.client.create({_id: 'f-2', _type: 'film', logline: 'A crowded room'})
    await waitFor(() => listener.mutations().length >= 1, 'a mutation event')
    await new Promise((resolve) => setTimeout(resolve, 100))
    listener.subscription.unsubscribe()
    expect(listener.mutations().map((e) => e.documentId)).toEqual(['f-1'])
  })

  it('closes a listener whose filter needs more than the budget for one transaction, and the write is not held up', async () => {
    const tight = await startTestLake({queryTimeoutMs: 1000})
    try {
      await tight.client.fetch('count(*)')
      // Cheap to check, costly to evaluate: every changed document's text is split into 60,000 characters
      // (several times the budget in all, with groq-js' synchronous evaluator too).
      const listener = await listen(tight.client, '*[_type == "x" && count(string::split(text, "")[@ == "a"]) > 0]')
      const docs = Array.from({length: 300}, (_, n) => ({_id: `x-${n}`, _type: 'x', n, text: 'b'.repeat(60_000)}))
      await tight.client.mutate(docs.map((doc) => ({create: doc})))
      // Answered while the listener's filter work is still ahead.
      expect(await tight.client.fetch('count(*[_type == "x"])')).toBe(300)
      await waitFor(() => listener.errors.length > 0, 'the listener to be closed')
      expect(String(listener.errors[0])).toContain('listen filter took more than 1000 ms')
      listener.subscription.unsubscribe()
    } finally {
      await tight.stop()
    }
  })

  it('gives listeners with the same subscription the same events, and a listener with other parameters its own, in commit order', async () => {
    const first = await listen(t.client, '*[_type == "review" && rating >= $min]', {min: 3})
    const second = await listen(t.client, '*[_type == "review" && rating >= $min]', {min: 3})
    const stricter = await listen(t.client, '*[_type == "review" && rating >= $min]', {min: 5})
    // Several transactions in one turn of the event loop reach each stream as one write, still in order.
    await Promise.all([t.client.create({_id: 'a', _type: 'review', rating: 4}), t.client.create({_id: 'b', _type: 'review', rating: 5})])
    await t.client.patch('a').set({rating: 5}).commit()
    await waitFor(() => first.mutations().length >= 3 && second.mutations().length >= 3 && stricter.mutations().length >= 2, 'the events')
    const seen = (listener: typeof first) => listener.mutations().map((event) => [event.documentId, event.transition, (event.result as {rating?: number} | undefined)?.rating])
    for (const listener of [first, second, stricter]) listener.subscription.unsubscribe()
    expect(seen(second)).toEqual(seen(first))
    expect(seen(first).map(([id, transition]) => [id, transition]).sort()).toEqual([['a', 'appear'], ['a', 'update'], ['b', 'appear']])
    // Per document, in commit order.
    expect(seen(first).filter(([id]) => id === 'a')).toEqual([['a', 'appear', 4], ['a', 'update', 5]])
    expect(seen(stricter).map(([id, transition]) => [id, transition]).sort()).toEqual([['a', 'appear'], ['b', 'appear']])
  })

  it('sends keepalive comments and ends streams when the lake closes', async () => {
    const response = await fetch(`${t.lake.url}/v1/data/listen/test?query=*`, {
      headers: {Authorization: `Bearer ${t.lake.token}`},
    })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body?.getReader()
    if (!reader) throw new Error('no body')
    const decoder = new TextDecoder()
    let text = ''
    while (!text.includes(': keepalive')) {
      const {value, done} = await reader.read()
      if (done) break
      text += decoder.decode(value)
    }
    expect(text).toMatch(/^event: welcome\ndata: \{"listenerName":"[A-Za-z0-9]+"\}\n\n/)
    expect(text).toContain(': keepalive\n\n')
    const closed = t.lake.close()
    let done = false
    while (!done) ({done} = await reader.read())
    await closed
    expect(done).toBe(true)
  })
})
