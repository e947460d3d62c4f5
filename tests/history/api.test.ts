/**
 * The History API over the lake's transaction log, through the real @sanity/client against a
 * real lake: transactions with Mendoza effects, documents at a revision or a time, the last
 * revision of a deleted document, the document events feed, authentication, persistence across
 * a restart, the migration of files written before history existed, and retention.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {createClient, type SanityClient} from '@sanity/client'
import {applyPatch} from 'mendoza'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {LakeStore, startLake, type RunningLake} from '../../lake'
import {resolveHistoryRetentionDays, startLakeScheduler} from '../../lake/scheduler'
import {apiVersion} from '../../lib/constants'

interface TransactionLine {
  id: string
  timestamp: string
  author: string
  documentIDs: string[]
  effects?: Record<string, {apply: unknown[]; revert: unknown[]}>
  mutations?: unknown[]
}

function clientFor(lake: RunningLake, token?: string): SanityClient {
  return createClient({projectId: 'local', dataset: 'test', apiVersion, apiHost: lake.url, useProjectHostname: false, useCdn: false, ...(token ? {token} : {})})
}

async function transactions(client: SanityClient, ids: string, query = ''): Promise<TransactionLine[]> {
  const body = await client.request<Buffer | string>({url: `/data/history/test/transactions/${ids}?${query}`, json: false})
  return String(body)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TransactionLine)
}

describe('History API', () => {
  let dir: string
  let lake: RunningLake
  let client: SanityClient
  /** The film's revisions, oldest first, as the writes returned them. */
  const revisions: {rev: string; title: string | undefined}[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'history-api-'))
    lake = await startLake({port: 0, dir, token: 'history-token'})
    client = clientFor(lake, 'history-token')
    const write = async (run: () => Promise<unknown>, title: string | undefined) => {
      await run()
      const doc = await client.getDocument('film-a')
      revisions.push({rev: doc?._rev ?? (await lastTransactionId()), title})
    }
    const lastTransactionId = async () => (await transactions(client, 'film-a', 'reverse=true&limit=1'))[0]?.id ?? ''
    await write(() => client.create({_id: 'film-a', _type: 'film', title: 'One'}), 'One')
    await new Promise((resolve) => setTimeout(resolve, 30))
    await write(() => client.patch('film-a').set({title: 'Two', year: 2013}).commit(), 'Two')
    // A draft, published: the draft goes and the published document takes its content in one transaction.
    await client.createOrReplace({_id: 'drafts.film-a', _type: 'film', title: 'Three', year: 2013})
    await write(() => client.transaction().createOrReplace({_id: 'film-a', _type: 'film', title: 'Three', year: 2013}).delete('drafts.film-a').commit(), 'Three')
    await write(() => client.delete('film-a'), undefined)
    await client.create({_id: 'film-b', _type: 'film', title: 'Other'})
  })

  afterAll(async () => {
    await lake?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('lists every transaction of a document with its id, time, author and documents', async () => {
    const lines = await transactions(client, 'film-a')
    expect(lines.map((line) => line.id)).toEqual(revisions.map((revision) => revision.rev))
    expect(lines.every((line) => line.author === 'lake-token' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(line.timestamp))).toBe(true)
    expect(lines[2]?.documentIDs.sort()).toEqual(['drafts.film-a', 'film-a'])
    // Without effects or content asked for, none are sent; mutations are there unless excluded.
    expect(lines[0]?.effects).toBeUndefined()
    expect(lines[0]?.mutations).toEqual([{createOrReplace: expect.objectContaining({_id: 'film-a', title: 'One'})}])
    expect((await transactions(client, 'film-a', 'excludeContent=true'))[0]?.mutations).toBeUndefined()
  })

  test('Mendoza effects rebuild every revision forwards and backwards', async () => {
    const lines = await transactions(client, 'film-a', 'effectFormat=mendoza&includeIdentifiedDocumentsOnly=true&excludeContent=true')
    let doc: unknown = null
    const states: unknown[] = []
    for (const line of lines) {
      expect(line.documentIDs).toEqual(['film-a'])
      doc = applyPatch(doc, line.effects?.['film-a']?.apply ?? [])
      states.push(doc)
    }
    expect(states.map((state) => (state as {title?: string} | null)?.title)).toEqual(revisions.map((revision) => revision.title))
    // Like Sanity's, effects work on documents without `_rev` (the Studio applies them to such documents).
    const {documents} = await client.request<{documents: {_rev: string}[]}>({url: `/data/history/test/documents/film-a?revision=${revisions[2]?.rev}`})
    const {_rev: _r, ...third} = documents[0] ?? {_rev: ''}
    expect(states[2]).toEqual(third)
    // Reverting the last three gets back to the first state.
    for (const line of lines.slice(1).reverse()) doc = applyPatch(doc, line.effects?.['film-a']?.revert ?? [])
    expect(doc).toEqual(states[0])
  })

  test('reverse, limit, transaction and time bounds select the transactions', async () => {
    const all = await transactions(client, 'film-a')
    expect((await transactions(client, 'film-a', 'reverse=true')).map((line) => line.id)).toEqual(all.map((line) => line.id).reverse())
    expect((await transactions(client, 'film-a', 'reverse=true&limit=2')).map((line) => line.id)).toEqual([all[3]?.id, all[2]?.id])
    expect((await transactions(client, 'film-a', `fromTransaction=${all[1]?.id}&toTransaction=${all[2]?.id}`)).map((line) => line.id)).toEqual([all[1]?.id, all[2]?.id])
    const second = all[1]?.timestamp ?? ''
    expect((await transactions(client, 'film-a', `fromTime=${encodeURIComponent(second)}`)).map((line) => line.id)).toEqual(all.slice(1).map((line) => line.id))
    expect((await transactions(client, 'film-a', `toTime=${encodeURIComponent(all[0]?.timestamp ?? '')}`)).map((line) => line.id)).toEqual([all[0]?.id])
    expect(await transactions(client, 'film-a', 'authors=someone-else')).toEqual([])
    // Two documents at once: their transactions merged in commit order.
    expect((await transactions(client, 'film-a,film-b')).length).toBe(5)
    await expect(transactions(client, 'film-a', 'fromTransaction=nope')).rejects.toMatchObject({statusCode: 404})
    await expect(transactions(client, 'film-a', 'effectFormat=json')).rejects.toMatchObject({statusCode: 400})
  })

  test('a document at a revision, at a time, and its last revision after deletion', async () => {
    for (const {rev, title} of revisions.slice(0, 3)) {
      const {documents} = await client.request<{documents: {_id: string; _rev: string; title: string}[]}>({url: `/data/history/test/documents/film-a?revision=${rev}`})
      expect(documents).toEqual([expect.objectContaining({_id: 'film-a', _rev: rev, title})])
    }
    // The deletion's revision: the document did not exist then.
    expect(await client.request({url: `/data/history/test/documents/film-a?revision=${revisions[3]?.rev}`})).toEqual({documents: []})
    const all = await transactions(client, 'film-a')
    const atTime = await client.request<{documents: {title: string}[]}>({url: `/data/history/test/documents/film-a?time=${encodeURIComponent(all[1]?.timestamp ?? '')}`})
    expect(atTime.documents.map((doc) => doc.title)).toEqual(['Two'])
    const last = await client.request<{documents: {title: string; _rev: string}[]}>({url: '/data/history/test/documents/film-a,drafts.film-a?lastRevision=true'})
    // Both were deleted (the draft by the publish): each comes back as it last was.
    expect(last.documents).toEqual([expect.objectContaining({_id: 'film-a', title: 'Three', _rev: revisions[2]?.rev}), expect.objectContaining({_id: 'drafts.film-a', title: 'Three'})])
    await expect(client.request({url: `/data/history/test/documents/film-a?revision=${revisions[0]?.rev}&time=2020-01-01T00:00:00Z`})).rejects.toMatchObject({statusCode: 400})
  })

  test('the document events feed: created, published, deleted, newest first, a page at a time', async () => {
    const {events, nextCursor} = await client.request<{events: Record<string, {type: string; author: string; revisionId?: string; versionId?: string; versionRevisionId?: string}[]>; nextCursor: string}>({
      url: '/data/history/test/events/documents/film-a?limit=100',
    })
    expect(nextCursor).toBe('')
    expect(events['film-a']?.map((event) => event.type)).toEqual(['deleteDocumentGroup', 'publishDocumentVersion', 'publishDocumentVersion', 'createDocumentVersion'])
    expect(events['film-a']?.[1]).toMatchObject({versionId: 'drafts.film-a', revisionId: revisions[2]?.rev, author: 'lake-token', publishCause: 'document.publish'})
    const firstPage = await client.request<{events: Record<string, unknown[]>; nextCursor: string}>({url: '/data/history/test/events/documents/film-a?limit=2'})
    expect(firstPage.events['film-a']).toHaveLength(2)
    const secondPage = await client.request<{events: Record<string, {type: string}[]>; nextCursor: string}>({
      url: `/data/history/test/events/documents/film-a?limit=2&nextCursor=${firstPage.nextCursor}`,
    })
    expect(secondPage.events['film-a']?.map((event) => event.type)).toEqual(['publishDocumentVersion', 'createDocumentVersion'])
    const draft = await client.request<{events: Record<string, {type: string}[]>}>({url: '/data/history/test/events/documents/drafts.film-a'})
    expect(draft.events['drafts.film-a']?.map((event) => event.type)).toEqual(['deleteDocumentGroup', 'publishDocumentVersion', 'createDocumentVersion'])
  })

  test('anonymous callers get 401 from every history endpoint', async () => {
    const anonymous = clientFor(lake)
    for (const url of ['/data/history/test/documents/film-b?lastRevision=true', '/data/history/test/transactions/film-b', '/data/history/test/events/documents/film-b']) {
      await expect(anonymous.request({url})).rejects.toMatchObject({statusCode: 401})
    }
  })

  test('history survives a restart of the lake', async () => {
    const before = await transactions(client, 'film-a,film-b', 'effectFormat=mendoza')
    await lake.close()
    lake = await startLake({port: 0, dir, token: 'history-token'})
    client = clientFor(lake, 'history-token')
    expect(await transactions(client, 'film-a,film-b', 'effectFormat=mendoza')).toEqual(before)
  })
})

describe('history storage', () => {
  test('a dataset file written before history existed starts its history at its current documents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-migrate-'))
    try {
      const datasets = join(dir, 'datasets')
      const store = new LakeStore(dir)
      await store.close()
      // The layout of earlier versions: no sequence number or author, no document history.
      const db = new DatabaseSync(join(datasets, 'old.sqlite'))
      db.exec(`
        CREATE TABLE documents (id TEXT PRIMARY KEY NOT NULL, type TEXT NOT NULL, rev TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE transactions (id TEXT PRIMARY KEY NOT NULL, timestamp TEXT NOT NULL, document_count INTEGER NOT NULL);
        CREATE TABLE lake_meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO lake_meta VALUES ('seq', 2);
        INSERT INTO transactions VALUES ('tx-one', '2024-01-01T10:00:00Z', 1), ('tx-two', '2024-01-02T10:00:00Z', 1);
      `)
      const doc = {_id: 'person-x', _type: 'person', _rev: 'tx-two', _createdAt: '2024-01-01T10:00:00Z', _updatedAt: '2024-01-02T10:00:00Z', name: 'X'}
      db.prepare('INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)').run(doc._id, doc._type, doc._rev, doc._createdAt, doc._updatedAt, JSON.stringify(doc))
      db.close()

      const reopened = new LakeStore(dir)
      try {
        const dataset = reopened.dataset('old')
        expect(dataset.history.lastKeptState('person-x')?.doc).toEqual(doc)
        expect(dataset.history.transactionById('tx-two')).toEqual({id: 'tx-two', seq: 2, timestamp: '2024-01-02T10:00:00.000Z', author: 'lake-token'})
        await dataset.transaction([{patch: {id: 'person-x', set: {name: 'Y'}}}], {identity: 'someone'})
        // The state from before the migration is now a revision like any other.
        expect(dataset.history.stateAt('person-x', 2)?.doc).toEqual(doc)
        expect(dataset.history.stateAt('person-x', 3)?.doc?.name).toBe('Y')
        expect(dataset.history.transactionBySeq(3)?.author).toBe('someone')
      } finally {
        await reopened.close()
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  test('retention forgets old transactions but keeps the state of each document at the cutoff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-prune-'))
    const store = new LakeStore(dir)
    try {
      const dataset = store.dataset('test')
      await dataset.transaction([{create: {_id: 'a', _type: 't', n: 1}}, {create: {_id: 'gone', _type: 't'}}])
      await dataset.transaction([{patch: {id: 'a', set: {n: 2}}}, {delete: {id: 'gone'}}])
      await new Promise((resolve) => setTimeout(resolve, 20))
      const cutoff = new Date().toISOString()
      await new Promise((resolve) => setTimeout(resolve, 20))
      await dataset.transaction([{patch: {id: 'a', set: {n: 3}}}])
      expect(dataset.history.prune(cutoff)).toBe(1)
      // `a` keeps its state at the cutoff (n: 2) and what came after; `gone` was deleted before it.
      expect(dataset.history.transactionsOf(['a']).map((tx) => dataset.history.stateAt('a', tx.seq)?.doc?.n)).toEqual([2, 3])
      expect(dataset.history.stateAt('a', 1)).toBeUndefined()
      expect(dataset.history.lastKeptState('gone')).toBeUndefined()
      expect(dataset.history.prune(cutoff)).toBe(0)
      // A reused id of a forgotten transaction is no threat: no document has that revision any more,
      // while the id of every current revision is still known.
      expect(dataset.history.transactionById(dataset.getDocument('a')?._rev ?? '')).toBeDefined()
    } finally {
      await store.close()
      rmSync(dir, {recursive: true, force: true})
    }
  })

  test('the scheduler prunes each dataset past the configured retention when it opens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-retention-'))
    try {
      let store = new LakeStore(dir)
      const dataset = store.dataset('test')
      await dataset.transaction([{create: {_id: 'a', _type: 't', n: 1}}])
      await dataset.transaction([{patch: {id: 'a', set: {n: 2}}}])
      await store.close()
      store = new LakeStore(dir)
      // Forty days on, with 30 days of history kept: only the current state is left.
      const scheduler = startLakeScheduler(store, {historyRetentionDays: 30, now: () => new Date(Date.now() + 40 * 86_400_000)})
      try {
        const reopened = store.dataset('test')
        expect(reopened.history.transactionsOf(['a'])).toHaveLength(1)
        expect(reopened.history.lastKeptState('a')?.doc?.n).toBe(2)
      } finally {
        scheduler.stop()
        await store.close()
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  test('retention is configured in days by flag or environment, and anything else is refused with the reason', () => {
    expect(resolveHistoryRetentionDays('30', {})).toBe(30)
    expect(resolveHistoryRetentionDays(undefined, {LAKE_HISTORY_RETENTION_DAYS: '0'})).toBe(0)
    expect(resolveHistoryRetentionDays(undefined, {})).toBeUndefined()
    expect(() => resolveHistoryRetentionDays('a week', {})).toThrow('--history-retention-days must be a whole number of days from 0 (keep all history) to 36500, not "a week"')
    expect(() => resolveHistoryRetentionDays(undefined, {LAKE_HISTORY_RETENTION_DAYS: '-1'})).toThrow('LAKE_HISTORY_RETENTION_DAYS must be')
  })
})
