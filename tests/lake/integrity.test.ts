/**
 * Integrity and access: reference integrity on delete, /data/references, reused transaction
 * ids, private data files, and the one query route (text::query, unknown datasets).
 */
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {apiVersion} from '../../lib/env'
import {startServer} from '../../server'
import {clientFor, startTestLake, statusOf, type TestLake, tempDir} from './helpers'

let t: TestLake

beforeAll(async () => {
  t = await startTestLake()
  await t.client
    .transaction()
    .createOrReplace({_id: 'person-a', _type: 'person', name: 'A'})
    .createOrReplace({_id: 'person-b', _type: 'person', name: 'B'})
    .createOrReplace({_id: 'film-1', _type: 'film', title: 'One', director: {_type: 'reference', _ref: 'person-a'}, cast: [{_key: 'k', person: {_type: 'reference', _ref: 'person-b', _weak: true}}]})
    .createOrReplace({_id: 'drafts.film-2', _type: 'film', title: 'Two', director: {_type: 'reference', _ref: 'person-a'}})
    .commit()
})

afterAll(async () => {
  await t.stop()
})

function url(path: string): string {
  return `${t.lake.url}/v${apiVersion}${path}`
}

describe('reference integrity', () => {
  it('refuses to delete a strongly referenced document with 409 naming the referring documents, storing nothing', async () => {
    const response = await fetch(url('/data/mutate/test'), {
      method: 'POST',
      headers: {authorization: `Bearer ${t.lake.token}`, 'content-type': 'application/json'},
      body: JSON.stringify({mutations: [{create: {_id: 'unrelated', _type: 'x'}}, {delete: {id: 'person-a'}}]}),
    })
    expect(response.status).toBe(409)
    expect(await response.json()).toEqual({
      error: {
        type: 'mutationError',
        description: 'Transaction failed at mutations[1]; nothing was stored',
        items: [
          {
            index: 1,
            error: {
              type: 'documentHasExistingReferencesError',
              description: 'Document "person-a" cannot be deleted as there are references to it from "drafts.film-2", "film-1"; remove those references first (or make them weak)',
              id: 'person-a',
              referencingIDs: ['drafts.film-2', 'film-1'],
            },
          },
        ],
      },
      statusCode: 409,
    })
    expect(await t.client.getDocument('person-a')).toMatchObject({name: 'A'})
    expect(await t.client.getDocument('unrelated')).toBeUndefined()
  })

  it('deletes a document that only weak references point to', async () => {
    await t.client.createOrReplace({_id: 'person-c', _type: 'person', name: 'C'})
    await t.client.createOrReplace({_id: 'review-c', _type: 'review', about: {_type: 'reference', _ref: 'person-c', _weak: true}})
    await t.client.delete('person-c')
    expect(await t.client.getDocument('person-c')).toBeUndefined()
  })

  it('allows the delete when the same transaction removes or weakens every strong reference', async () => {
    await t.client.createOrReplace({_id: 'person-d', _type: 'person'})
    await t.client.createOrReplace({_id: 'film-d1', _type: 'film', director: {_type: 'reference', _ref: 'person-d'}})
    await t.client.createOrReplace({_id: 'film-d2', _type: 'film', director: {_type: 'reference', _ref: 'person-d'}})
    const blocked = await statusOf(t.client.transaction().delete('film-d1').delete('person-d').commit())
    expect(blocked.statusCode).toBe(409)
    expect(blocked.message).toContain('"film-d2"')
    await t.client.transaction().delete('film-d1').patch('film-d2', (p) => p.set({'director._weak': true})).delete('person-d').commit()
    expect(await t.client.getDocument('person-d')).toBeUndefined()
  })

  it('keeps the reference index exact through patches that keep, weaken, add and drop references', async () => {
    const referrers = (id: string) => t.lake.store.dataset('test').referrers(id)
    await t.client.createOrReplace({_id: 'person-f', _type: 'person'})
    await t.client.createOrReplace({_id: 'person-g', _type: 'person'})
    await t.client.createOrReplace({_id: 'film-f', _type: 'film', rating: 1, director: {_type: 'reference', _ref: 'person-f'}})
    // A patch that leaves the references alone (its rows are not rewritten).
    await t.client.patch('film-f').set({rating: 2}).commit()
    expect(referrers('person-f')).toEqual([{from: 'film-f', weak: false}])
    await t.client.patch('film-f').set({'director._weak': true}).commit()
    expect(referrers('person-f')).toEqual([{from: 'film-f', weak: true}])
    await t.client.patch('film-f').set({writer: {_type: 'reference', _ref: 'person-g'}}).commit()
    expect(referrers('person-g')).toEqual([{from: 'film-f', weak: false}])
    await t.client.patch('film-f').set({rating: 3}).commit()
    expect([referrers('person-f'), referrers('person-g')]).toEqual([[{from: 'film-f', weak: true}], [{from: 'film-f', weak: false}]])
    // Deleting the weakly referenced person works; the strongly referenced one still refuses.
    await t.client.delete('person-f')
    expect((await statusOf(t.client.delete('person-g'))).statusCode).toBe(409)
    await t.client.patch('film-f').unset(['writer']).commit()
    expect(referrers('person-g')).toEqual([])
    await t.client.delete('person-g')
    expect(await t.client.getDocument('person-g')).toBeUndefined()
  })

  it('refuses a transaction that creates a strong reference to a document it deletes', async () => {
    await t.client.createOrReplace({_id: 'person-e', _type: 'person'})
    const failure = await statusOf(t.client.transaction().create({_id: 'film-e', _type: 'film', director: {_type: 'reference', _ref: 'person-e'}}).delete('person-e').commit())
    expect(failure.statusCode).toBe(409)
    expect(await t.client.getDocument('film-e')).toBeUndefined()
  })
})

describe('/data/references', () => {
  it('lists the documents referring to one, hiding private ones from anonymous callers', async () => {
    const withToken = await fetch(url('/data/references/test/documents/person-a/to'), {headers: {authorization: `Bearer ${t.lake.token}`}})
    expect(await withToken.json()).toEqual({
      totalCount: 2,
      references: [
        {documentId: 'drafts.film-2', datasetName: 'test', projectId: 'local'},
        {documentId: 'film-1', datasetName: 'test', projectId: 'local'},
      ],
    })
    const anonymous = await fetch(url('/data/references/test/documents/person-a/to'))
    expect(await anonymous.json()).toEqual({totalCount: 1, references: [{documentId: 'film-1', datasetName: 'test', projectId: 'local'}]})
    const privateTarget = await fetch(url('/data/references/test/documents/drafts.film-2/to'))
    expect(await privateTarget.json()).toEqual({totalCount: 0, references: []})
  })

  it('answers the Studio\'s excludeInternalReferences question with references from other datasets', async () => {
    const other = clientFor(t.lake, t.lake.token, 'other')
    await other.createOrReplace({_id: 'list-1', _type: 'list', item: {_type: 'crossDatasetReference', _ref: 'person-b', _dataset: 'test', _projectId: 'local'}})
    const response = await fetch(url('/data/references/test/documents/person-b/to?excludeInternalReferences=true&excludePaths=true'), {
      headers: {authorization: `Bearer ${t.lake.token}`},
    })
    expect(await response.json()).toEqual({totalCount: 1, references: [{documentId: 'list-1', datasetName: 'other', projectId: 'local'}]})
    const unknown = await fetch(url('/data/references/nothing-here/documents/person-b/to'))
    expect(unknown.status).toBe(404)
  })
})

describe('transaction ids', () => {
  it('refuses a reused transactionId with 409, so a stale ifRevisionID can never match again', async () => {
    await t.client.transaction().createOrReplace({_id: 'rev-doc', _type: 'x', n: 1}).transactionId('tx-once').commit()
    expect(await t.client.getDocument('rev-doc')).toMatchObject({_rev: 'tx-once'})
    await t.client.patch('rev-doc').set({n: 2}).commit()
    const reused = await statusOf(t.client.transaction().patch('rev-doc', (p) => p.set({n: 3})).transactionId('tx-once').commit())
    expect(reused.statusCode).toBe(409)
    expect(reused.message).toContain('"tx-once" was already used')
    // The document's earlier revision "tx-once" is stale for ever: reusing the id cannot make it current again.
    const stale = await statusOf(t.client.transaction().patch('rev-doc', (p) => p.ifRevisionId('tx-once').set({n: 4})).transactionId('tx-once').commit())
    expect(stale.statusCode).toBe(409)
    expect(await t.client.getDocument('rev-doc')).toMatchObject({n: 2})
  })
})

describe('data files', () => {
  it('keeps the data folder, datasets folder, SQLite files and lock file private to their owner', async () => {
    await t.client.createOrReplace({_id: 'mode-check', _type: 'x'})
    const mode = (path: string) => statSync(path).mode & 0o777
    expect(mode(t.dir)).toBe(0o700)
    expect(mode(join(t.dir, 'datasets'))).toBe(0o700)
    expect(mode(join(t.dir, 'lake.pid'))).toBe(0o600)
    const files = readdirSync(join(t.dir, 'datasets'))
    expect(files).toEqual(expect.arrayContaining(['test.sqlite', 'test.sqlite-wal', 'test.sqlite-shm']))
    for (const file of files) expect([file, mode(join(t.dir, 'datasets', file))]).toEqual([file, 0o600])
  })
})

describe('one query route', () => {
  it('answers an anonymous query on an unknown dataset with 404 and creates nothing, also through the app server and text::query', async () => {
    const dir = tempDir('server-route-')
    const server = await startServer({port: 0, dir, studioDir: join(dir, 'no-studio')})
    try {
      for (const query of ['count(*)', '*[@ match text::query("her")]']) {
        const get = await fetch(`${server.apiUrl}/v${apiVersion}/data/query/ghost?query=${encodeURIComponent(query)}`)
        expect(get.status).toBe(404)
        const post = await fetch(`${server.apiUrl}/v${apiVersion}/data/query/ghost`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({query})})
        expect(post.status).toBe(404)
      }
      expect(existsSync(join(dir, 'datasets', 'ghost.sqlite'))).toBe(false)
      expect(server.store.datasetNames()).not.toContain('ghost')
    } finally {
      await server.close()
    }
  })

  it('evaluates text::query() in the lake itself, for anonymous readers too, without leaking its hidden text', async () => {
    await t.client.createOrReplace({_id: 'film-her', _type: 'film', title: 'Her', logline: 'A lonely writer falls for an operating system.'})
    expect(await t.anonymous.fetch('*[_type == "film" && @ match text::query("lonely writ*")]._id')).toEqual(['film-her'])
    expect(await t.anonymous.fetch('*[_type == "film" && @ match text::query("lonely -writer")]._id')).toEqual([])
    const docs = await t.client.fetch<Record<string, unknown>[]>('*[_id == "film-her" && [@, _id] match text::query($q)]', {q: 'operating'})
    expect(docs.map((doc) => Object.keys(doc).filter((key) => !key.startsWith('_') || key === '_id').sort())).toEqual([['_id', 'logline', 'title']])
  })
})
