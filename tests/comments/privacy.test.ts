/**
 * Moderation state is not public: what an anonymous reader of the public dataset can read never
 * tells a pending comment from a rejected one, or a reader's comment from a bot caught by the
 * honeypot; and the handler's answer to a bot is the reader's answer, produced by the same work.
 */
import type {SanityClient} from '@sanity/client'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {privateCommentId} from '../../comments/ids'
import {createCommentHandler, type CommentClient} from '../../comments/index'
import {HER_SLUG, postJson, serve, startCommentLake, type CommentLake} from './support'

const NOW = '2025-06-01T12:00:00.000Z'
const GENERATED_ID = /^comment-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let env: CommentLake

beforeAll(async () => {
  env = await startCommentLake()
})

afterAll(async () => {
  await env?.close()
})

/** Everything anonymous can list: query results, the export and the doc endpoint for the given ids. */
async function anonymousView(anonymous: SanityClient, lakeUrl: string, ids: string[]) {
  const query = await anonymous.fetch<unknown[]>('*[] | order(_id asc){...}')
  const exported = await (await fetch(`${lakeUrl}/v2025-02-19/data/export/production`)).text()
  const docs = await (await fetch(`${lakeUrl}/v2025-02-19/data/doc/production/${ids.map(encodeURIComponent).join(',')}`)).json()
  return {query, exported, docs}
}

/** A client that records every call the handler makes, for comparing two submissions' work. */
function recording(client: SanityClient): {client: CommentClient; calls: unknown[]} {
  const calls: unknown[] = []
  const recorder: CommentClient = {
    fetch: ((query: string, params: unknown, options: unknown) => {
      calls.push({fetch: query, params, options})
      return client.fetch(query, params as Record<string, unknown>, options as never)
    }) as CommentClient['fetch'],
    create: ((document: unknown, options: unknown) => {
      calls.push({create: document, options})
      return client.create(document as never, options as never) as Promise<unknown>
    }) as unknown as CommentClient['create'],
  }
  return {client: recorder, calls}
}

describe('the honeypot', () => {
  it('gets the same answer and costs the same work as a reader, and nothing anonymous tells them apart', async () => {
    const {client, calls} = recording(env.client)
    let n = 0
    const served = await serve(
      createCommentHandler({client, now: () => new Date(NOW), rateLimit: false, idGenerator: () => `comment-00000000-0000-4000-8000-00000000000${++n}`}),
    )
    try {
      const publicBefore = await anonymousView(env.anonymous, env.lake.url, ['comment-00000000-0000-4000-8000-000000000001', 'comment-00000000-0000-4000-8000-000000000002'])
      const reader = await postJson(served.url, {reviewSlug: HER_SLUG, authorName: 'Ada', body: 'Same text.', website: ''})
      const readerCalls = calls.splice(0)
      const bot = await postJson(served.url, {reviewSlug: HER_SLUG, authorName: 'Ada', body: 'Same text.', website: 'https://spam.example'})
      const botCalls = calls.splice(0)

      // The answer: status, headers and body shape; only the id differs, and it has the same form.
      expect(reader.status).toBe(201)
      expect(bot.status).toBe(201)
      expect([...bot.headers].filter(([name]) => name !== 'date' && name !== 'content-length')).toStrictEqual(
        [...reader.headers].filter(([name]) => name !== 'date' && name !== 'content-length'),
      )
      const readerId = (reader.body as {id: string}).id
      const botId = (bot.body as {id: string}).id
      expect(reader.body).toStrictEqual({id: readerId, status: 'pending'})
      expect(bot.body).toStrictEqual({id: botId, status: 'pending'})
      expect(readerId).toMatch(GENERATED_ID)
      expect(botId).toMatch(GENERATED_ID)

      // The work: the same lookups and one write of the same shape, to the private path, so the
      // answer's timing cannot depend on the verdict. Only the stored status differs.
      const normalise = (list: unknown[], id: string) => JSON.parse(JSON.stringify(list).replaceAll(id, '<id>')) as unknown[]
      const readerWork = normalise(readerCalls, readerId)
      const botWork = normalise(botCalls, botId)
      expect(botWork).toHaveLength(2)
      expect(JSON.stringify(botWork).replace('"status":"spam"', '"status":"pending"')).toBe(JSON.stringify(readerWork))
      expect(botCalls[1]).toMatchObject({create: {_id: privateCommentId(botId), status: 'spam'}})
      expect(readerCalls[1]).toMatchObject({create: {_id: privateCommentId(readerId), status: 'pending'}})

      // Anonymous readers see exactly what they saw before: no query, export or id lookup changes.
      const publicAfter = await anonymousView(env.anonymous, env.lake.url, [readerId, botId])
      expect(publicAfter.query).toStrictEqual(publicBefore.query)
      expect(publicAfter.exported).toBe(publicBefore.exported)
      expect(publicAfter.docs).toStrictEqual({documents: [], omitted: [{id: readerId, reason: 'existence'}, {id: botId, reason: 'existence'}]})
      const privateIds = [privateCommentId(readerId), privateCommentId(botId)]
      expect((await anonymousView(env.anonymous, env.lake.url, privateIds)).docs).toStrictEqual({
        documents: [],
        omitted: privateIds.map((id) => ({id, reason: 'permission'})),
      })
      // Editors (the token) see both, with their verdicts.
      expect(await env.client.fetch('*[_id in $ids] | order(status asc).status', {ids: privateIds})).toStrictEqual(['pending', 'spam'])
    } finally {
      await served.close()
    }
  })
})

describe('an anonymous reader of the public dataset', () => {
  it('sees approved comments only, whatever else is stored', async () => {
    const stored = await env.client.fetch<string[]>('*[_type == "comment"] | order(status asc).status')
    expect(new Set(stored)).toStrictEqual(new Set(['approved', 'pending', 'spam']))
    const visible = await env.anonymous.fetch<Array<{_id: string; status: string}>>('*[_type == "comment"]{_id, status}')
    expect(visible.length).toBeGreaterThan(0)
    expect(visible.filter((comment) => comment.status !== 'approved')).toStrictEqual([])
    expect(await env.anonymous.fetch('count(*[_type == "comment" && status != "approved"])')).toBe(0)
  })
})
