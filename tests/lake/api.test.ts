import {readFileSync, statSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {apiVersion, lakeTokenPath} from '../../lib/env'
import {clientFor, startTestLake, statusOf, type TestLake, tempDir, withoutSystemFields} from './helpers'

let t: TestLake

beforeAll(async () => {
  t = await startTestLake()
  await t.client
    .transaction()
    .createOrReplace({_id: 'film-her', _type: 'film', title: 'Her', releaseYear: 2013})
    .createOrReplace({_id: 'review-her', _type: 'review', title: 'Her review', slug: {current: 'her-2013'}, film: {_type: 'reference', _ref: 'film-her'}})
    .createOrReplace({_id: 'drafts.review-her', _type: 'review', title: 'Her review (draft)', slug: {current: 'her-2013'}})
    .createOrReplace({_id: 'drafts.review-new', _type: 'review', title: 'Unpublished review', slug: {current: 'new'}})
    .createOrReplace({_id: 'secret.config', _type: 'config', value: 42})
    .commit()
})

afterAll(async () => {
  await t.stop()
})

function rawUrl(path: string): string {
  return `${t.lake.url}/v${apiVersion}${path}`
}

describe('queries', () => {
  it('answers a query with parameters', async () => {
    const result = await t.client.fetch('*[_type == "review" && slug.current == $slug]{title, "film": film->{title, releaseYear}}', {
      slug: 'her-2013',
    })
    expect(result).toEqual([{title: 'Her review', film: {title: 'Her', releaseYear: 2013}}])
  })

  it('answers GET and POST queries with the same body shape', async () => {
    const query = '*[_type == $type]._id'
    const get = await fetch(`${rawUrl('/data/query/test')}?query=${encodeURIComponent(query)}&$type=${encodeURIComponent('"film"')}`)
    const post = await fetch(rawUrl('/data/query/test'), {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({query, params: {type: 'film'}}),
    })
    const getBody = (await get.json()) as Record<string, unknown>
    const postBody = (await post.json()) as Record<string, unknown>
    expect(get.status).toBe(200)
    expect(post.status).toBe(200)
    expect({...getBody, ms: 0}).toEqual({query, result: ['film-her'], ms: 0})
    expect({...postBody, ms: 0}).toEqual({query, result: ['film-her'], ms: 0})
    expect(typeof getBody.ms).toBe('number')
  })

  it('applies perspectives: published by default, drafts overlaid, raw shows everything', async () => {
    const query = '*[_type == "review"]{_id, title, _originalId} | order(_id)'
    expect(await t.client.fetch(query)).toEqual([{_id: 'review-her', title: 'Her review', _originalId: null}])
    expect(await t.client.fetch(query, {}, {perspective: 'drafts'})).toEqual([
      {_id: 'review-her', title: 'Her review (draft)', _originalId: 'drafts.review-her'},
      {_id: 'review-new', title: 'Unpublished review', _originalId: 'drafts.review-new'},
    ])
    expect(await t.client.fetch('*[_type == "review"]._id | order(@)', {}, {perspective: 'raw'})).toEqual([
      'drafts.review-her',
      'drafts.review-new',
      'review-her',
    ])
  })

  it('gives the same answer with and without the equality index', async () => {
    // `(x) == true` cannot use the index, so it forces a full scan to compare against.
    const pairs = [
      ['*[_type in ["review", "film"]]._id', '*[(_type in ["review", "film"]) == true]._id'],
      ['*[_type == "review" && slug.current == "her-2013"]._id', '*[(_type == "review" && slug.current == "her-2013") == true]._id'],
      ['*[_id == "film-her"][0].title', '*[(_id == "film-her") == true][0].title'],
      ['count(*[_type == "nothing"])', 'count(*[(_type == "nothing") == true])'],
    ] as const
    for (const perspective of ['raw', 'published', 'drafts'] as const) {
      for (const [indexed, scanned] of pairs) {
        expect(await t.client.fetch(indexed, {}, {perspective})).toEqual(await t.client.fetch(scanned, {}, {perspective}))
      }
    }
    expect(await t.client.fetch(pairs[0][0], {}, {perspective: 'raw'})).toEqual(['drafts.review-her', 'drafts.review-new', 'film-her', 'review-her'])
  })

  it('answers a syntax error with a queryParseError and a code frame', async () => {
    const response = await fetch(`${rawUrl('/data/query/test')}?query=${encodeURIComponent('*[_type == ]')}`)
    expect(response.status).toBe(400)
    const body = (await response.json()) as {error: Record<string, unknown>}
    expect(body.error).toMatchObject({type: 'queryParseError', query: '*[_type == ]', start: 10, end: 11})
    const failure = await statusOf(t.client.fetch('*[_type == ]'))
    expect(failure.statusCode).toBe(400)
    expect(failure.message).toContain('GROQ query parse error')
  })

  it('hides drafts and dotted ids from anonymous readers, also from *', async () => {
    expect(await t.anonymous.fetch('*._id | order(@)', {}, {perspective: 'raw'})).toEqual(['film-her', 'review-her'])
    expect(await t.anonymous.fetch('count(*[_type == "review"])', {}, {perspective: 'drafts'})).toBe(1)
    expect(await t.anonymous.fetch('*[_id == "secret.config"][0]')).toBeNull()
    expect(await t.anonymous.getDocument('drafts.review-her')).toBeUndefined()
  })
})

describe('documents endpoint', () => {
  it('returns documents by id and says why others are omitted', async () => {
    const response = await fetch(rawUrl('/data/doc/test/film-her,missing,drafts.review-her'))
    const body = (await response.json()) as {documents: unknown[]; omitted: unknown[]}
    expect(withoutSystemFields(body.documents)).toEqual([{_id: 'film-her', _type: 'film', title: 'Her', releaseYear: 2013}])
    expect(body.omitted).toEqual([
      {id: 'missing', reason: 'existence'},
      {id: 'drafts.review-her', reason: 'permission'},
    ])
    const withToken = await t.client.getDocuments(['drafts.review-her', 'missing'])
    expect(withoutSystemFields(withToken)).toEqual([
      {_id: 'drafts.review-her', _type: 'review', title: 'Her review (draft)', slug: {current: 'her-2013'}},
      null,
    ])
  })
})

describe('mutations', () => {
  it('creates documents with an id, a type, a revision and timestamps', async () => {
    const created = await t.client.create({_type: 'person', name: 'Spike Jonze'})
    expect(created._id).toMatch(/^[A-Za-z0-9]{22}$/)
    expect(created).toMatchObject({_type: 'person', name: 'Spike Jonze'})
    expect(created._rev).toMatch(/^[A-Za-z0-9]+$/)
    expect(created._createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
    expect(created._updatedAt).toBe(created._createdAt)
    expect(await t.client.getDocument(created._id)).toEqual(created)
  })

  it('answers 409 when create meets an existing id, and stores nothing', async () => {
    const before = await t.client.getDocument('film-her')
    const failure = await statusOf(t.client.create({_id: 'film-her', _type: 'film', title: 'Overwritten'}))
    expect(failure.statusCode).toBe(409)
    expect(failure.message).toContain('Document by ID "film-her" already exists')
    expect(await t.client.getDocument('film-her')).toEqual(before)
  })

  it('replaces with createOrReplace and leaves existing documents alone with createIfNotExists', async () => {
    const first = await t.client.createOrReplace({_id: 'person-joaquin', _type: 'person', name: 'Joaquin'})
    const replaced = await t.client.createOrReplace({_id: 'person-joaquin', _type: 'person', name: 'Joaquin Phoenix'})
    expect(withoutSystemFields(replaced)).toEqual({_id: 'person-joaquin', _type: 'person', name: 'Joaquin Phoenix'})
    expect(replaced._createdAt).toBe(first._createdAt)
    expect(replaced._rev).not.toBe(first._rev)
    const kept = await t.client.createIfNotExists({_id: 'person-joaquin', _type: 'person', name: 'Ignored'})
    expect(kept).toEqual(replaced)
  })

  it('deletes by id and by query', async () => {
    await t.client.createOrReplace({_id: 'tmp-1', _type: 'tmp'})
    await t.client.createOrReplace({_id: 'tmp-2', _type: 'tmp'})
    await t.client.createOrReplace({_id: 'tmp-3', _type: 'tmp'})
    await t.client.delete('tmp-1')
    const result = await t.client.mutate([{delete: {query: '*[_type == $type]', params: {type: 'tmp'}}}], {returnDocuments: false})
    expect(result.results).toEqual([
      {id: 'tmp-2', operation: 'delete'},
      {id: 'tmp-3', operation: 'delete'},
    ])
    expect(await t.client.fetch('count(*[_type == "tmp"])')).toBe(0)
  })

  it('patches with set, unset, setIfMissing, inc, dec, insert and diffMatchPatch', async () => {
    await t.client.createOrReplace({
      _id: 'patch-me',
      _type: 'review',
      title: 'A title',
      rating: 3,
      views: 10,
      obsolete: true,
      sections: [{_key: 'a', heading: 'One'}],
      body: 'hello world',
    })
    const patched = await t.client
      .patch('patch-me')
      .set({title: 'New title', 'slug.current': 'new-title'})
      .unset(['obsolete'])
      .setIfMissing({tags: [], rating: 99})
      .inc({rating: 2})
      .dec({views: 3})
      .insert('after', 'sections[_key=="a"]', [{_key: 'b', heading: 'Two'}])
      .diffMatchPatch({body: '@@ -1,11 +1,11 @@\n-hello\n+howdy\n  world\n'})
      .commit()
    expect(withoutSystemFields(patched)).toEqual({
      _id: 'patch-me',
      _type: 'review',
      title: 'New title',
      slug: {current: 'new-title'},
      rating: 5,
      views: 7,
      tags: [],
      sections: [
        {_key: 'a', heading: 'One'},
        {_key: 'b', heading: 'Two'},
      ],
      body: 'howdy world',
    })
  })

  it('patches every document a query selects', async () => {
    await t.client.createOrReplace({_id: 'c-1', _type: 'comment', status: 'pending'})
    await t.client.createOrReplace({_id: 'c-2', _type: 'comment', status: 'pending'})
    await t.client.mutate([{patch: {query: '*[_type == "comment" && status == $s]', params: {s: 'pending'}, set: {status: 'approved'}}}])
    expect(await t.client.fetch('*[_type == "comment"]{_id, status}')).toEqual([
      {_id: 'c-1', status: 'approved'},
      {_id: 'c-2', status: 'approved'},
    ])
  })

  it('rejects a stale ifRevisionID with 409 and keeps the document', async () => {
    const doc = await t.client.createOrReplace({_id: 'guarded', _type: 'film', title: 'Guarded'})
    await t.client.patch('guarded').set({title: 'Changed'}).ifRevisionId(doc._rev).commit()
    const failure = await statusOf(t.client.patch('guarded').set({title: 'Stale write'}).ifRevisionId(doc._rev).commit())
    expect(failure.statusCode).toBe(409)
    expect(failure.message).toContain('ifRevisionID')
    expect((await t.client.getDocument('guarded'))?.title).toBe('Changed')
  })

  it('commits a transaction as a whole, and a failing mutation stores nothing of it', async () => {
    const committed = await t.client
      .transaction()
      .create({_id: 'tx-a', _type: 'tx', n: 1})
      .patch('tx-a', (p) => p.inc({n: 1}))
      .createOrReplace({_id: 'tx-b', _type: 'tx', n: 10})
      .commit()
    expect(committed.results.map(({id, operation}) => ({id, operation}))).toEqual([
      {id: 'tx-a', operation: 'create'},
      {id: 'tx-a', operation: 'update'},
      {id: 'tx-b', operation: 'create'},
    ])
    const failure = await statusOf(
      t.client.transaction().create({_id: 'tx-c', _type: 'tx'}).patch('tx-b', (p) => p.set({n: 11})).create({_id: 'tx-a', _type: 'tx'}).commit(),
    )
    expect(failure.statusCode).toBe(409)
    expect(await t.client.fetch('*[_type == "tx"]{_id, n}')).toEqual([
      {_id: 'tx-a', n: 2},
      {_id: 'tx-b', n: 10},
    ])
  })

  it('answers 404 for a patch on a missing document', async () => {
    const failure = await statusOf(t.client.patch('does-not-exist').set({a: 1}).commit())
    expect(failure.statusCode).toBe(404)
    expect(failure.message).toContain('was not found')
  })

  it('validates mutation bodies and names the mutation index and field', async () => {
    const response = await fetch(rawUrl('/data/mutate/test'), {
      method: 'POST',
      headers: {authorization: `Bearer ${t.lake.token}`, 'content-type': 'application/json'},
      body: JSON.stringify({mutations: [{create: {_type: 'ok'}}, {patch: {id: 'x', inc: {count: 'one'}}}]}),
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as {error: {type: string; items: {index: number; error: {description: string}}[]}}
    expect(body.error.type).toBe('mutationError')
    expect(body.error.items).toEqual([
      {index: 1, error: {type: 'validationError', description: 'mutations[1].patch.inc.count: Invalid input: expected number, received string'}},
    ])
    const missingType = await statusOf(t.client.mutate([{createOrReplace: {_id: 'no-type'} as {_id: string; _type: string}}]))
    expect(missingType.statusCode).toBe(400)
    expect(missingType.message).toContain('mutations[0].createOrReplace._type')
    expect(await t.client.getDocument('no-type')).toBeUndefined()
  })

  it('computes a dryRun without storing it', async () => {
    const result = await t.client.mutate([{create: {_id: 'dry', _type: 'tmp'}}], {dryRun: true, returnDocuments: false})
    expect(result.results).toEqual([{id: 'dry', operation: 'create'}])
    expect(await t.client.getDocument('dry')).toBeUndefined()
  })

  it('generates missing array keys when asked', async () => {
    const doc = await t.client.create({_id: 'keys', _type: 'tmp', items: [{a: 1}, {_key: 'k', a: 2}]}, {autoGenerateArrayKeys: true})
    const items = doc.items as {_key: string; a: number}[]
    expect(items.map((item) => item.a)).toEqual([1, 2])
    expect(items[0]?._key).toMatch(/^[A-Za-z0-9]{12}$/)
    expect(items[1]?._key).toBe('k')
  })
})

describe('export', () => {
  it('streams every document as NDJSON sorted by _id', async () => {
    const response = await fetch(rawUrl('/data/export/test'), {headers: {authorization: `Bearer ${t.lake.token}`}})
    expect(response.headers.get('content-type')).toBe('application/x-ndjson')
    const ids = (await response.text())
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as {_id: string})._id)
    const expected = (await t.client.fetch<string[]>('*._id', {}, {perspective: 'raw'})).sort()
    expect(ids).toEqual(expected)
    expect(ids).toContain('drafts.review-her')
  })
})

describe('access and errors', () => {
  it('refuses writes without a token with 401 and stores nothing', async () => {
    const failure = await statusOf(t.anonymous.create({_id: 'anon-write', _type: 'tmp'}))
    expect(failure.statusCode).toBe(401)
    expect(failure.message).toContain('Authorization: Bearer')
    expect(await t.client.getDocument('anon-write')).toBeUndefined()
    const wrongToken = await statusOf(clientFor(t.lake, 'wrong').fetch('count(*)'))
    expect(wrongToken.statusCode).toBe(401)
  })

  it('answers unknown endpoints with a JSON 404', async () => {
    const response = await fetch(rawUrl('/data/nothing/test'))
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toContain('application/json')
    expect(await response.json()).toEqual({
      error: {
        type: 'notFound',
        description: `No endpoint at GET /v${apiVersion}/data/nothing/test. The lake serves /v<apiVersion>/data/{query,mutate,doc,listen,export}/<dataset>.`,
      },
      statusCode: 404,
    })
  })

  it('answers CORS preflights of configured origins with credentials, and gives other origins no CORS headers', async () => {
    const cors = await startTestLake({corsOrigins: ['http://localhost:3333']})
    try {
      const preflight = (origin: string) =>
        fetch(`${cors.lake.url}/v${apiVersion}/data/query/test`, {
          method: 'OPTIONS',
          headers: {origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type'},
        })
      const allowed = await preflight('http://localhost:3333')
      expect(allowed.status).toBe(204)
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3333')
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true')
      expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization,content-type')
      const refused = await preflight('http://localhost:4444')
      expect(refused.status).toBe(403)
      expect(refused.headers.get('access-control-allow-origin')).toBeNull()
      expect(refused.headers.get('access-control-allow-credentials')).toBeNull()
      expect(((await refused.json()) as {error: {type: string}}).error.type).toBe('corsOriginNotAllowed')
    } finally {
      await cors.stop()
    }
    // Without configured origins, no origin is echoed.
    const read = await fetch(rawUrl('/data/query/test?query=1'), {headers: {origin: 'http://localhost:3333'}})
    expect(read.status).toBe(200)
    expect(read.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('accepts any API version prefix', async () => {
    for (const version of ['v1', 'vX', 'v2021-10-21']) {
      const response = await fetch(`${t.lake.url}/${version}/data/query/test?query=count(*[_id=="film-her"])`)
      expect(await response.json()).toMatchObject({result: 1})
    }
  })

  it('answers 413 for bodies over the limit', async () => {
    const small = await startTestLake({maxBodyBytes: 64 * 1024})
    try {
      const failure = await statusOf(small.client.create({_type: 'big', text: 'x'.repeat(100 * 1024)}))
      expect(failure.statusCode).toBe(413)
      expect(failure.message).toContain('larger than the lake')
      expect(await small.client.fetch('count(*)')).toBe(0)
    } finally {
      await small.stop()
    }
  })
})

describe('storage', () => {
  it('keeps data across a restart on the same folder', async () => {
    const dir = tempDir()
    const first = await startTestLake({dir})
    const doc = await first.client.create({_id: 'kept', _type: 'film', title: 'Kept'})
    await first.stop({keepDir: true})
    const second = await startTestLake({dir})
    try {
      expect(await second.client.getDocument('kept')).toEqual(doc)
      expect(await second.client.fetch('*[_type == "film"].title')).toEqual(['Kept'])
    } finally {
      await second.stop()
    }
  })

  it('generates a token on first start and keeps it with mode 0600', async () => {
    const dir = tempDir()
    const previous = process.env.SANITY_API_WRITE_TOKEN
    delete process.env.SANITY_API_WRITE_TOKEN
    try {
      const {startLake} = await import('../../lake')
      const first = await startLake({port: 0, dir})
      expect(first.tokenFile).toBe(lakeTokenPath(dir))
      expect(readFileSync(lakeTokenPath(dir), 'utf8').trim()).toBe(first.token)
      expect(statSync(lakeTokenPath(dir)).mode & 0o777).toBe(0o600)
      await first.close()
      const second = await startLake({port: 0, dir})
      expect(second.token).toBe(first.token)
      await second.close()
    } finally {
      if (previous !== undefined) process.env.SANITY_API_WRITE_TOKEN = previous
    }
  })
})
