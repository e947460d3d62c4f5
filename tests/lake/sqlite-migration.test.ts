import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {describe, expect, it} from 'vitest'

import {LakeStore} from '../../lake'
import {tempDir} from './helpers'

describe('data files written by earlier versions', () => {
  it('moves documents out of a WITHOUT ROWID table once, keeping every document and accepting writes', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'datasets'), {recursive: true})
    const path = join(dir, 'datasets', 'old.sqlite')
    // The documents table as earlier versions created it.
    const old = new DatabaseSync(path)
    old.exec(`CREATE TABLE documents (
      id TEXT PRIMARY KEY NOT NULL, type TEXT NOT NULL, rev TEXT NOT NULL,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL, body TEXT NOT NULL
    ) WITHOUT ROWID`)
    const insert = old.prepare('INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)')
    for (const [id, type] of [
      ['film-1', 'film'],
      ['person-1', 'person'],
    ] as const) {
      const doc = {_id: id, _type: type, _rev: 'r1', _createdAt: '2024-01-01T00:00:00Z', _updatedAt: '2024-01-01T00:00:00Z', title: id}
      insert.run(id, doc._type, doc._rev, doc._createdAt, doc._updatedAt, JSON.stringify(doc))
    }
    old.close()

    const store = new LakeStore(dir)
    try {
      const dataset = store.dataset('old')
      expect(dataset.documents().map((doc) => doc._id)).toEqual(['film-1', 'person-1'])
      await dataset.transaction([{createOrReplace: {_id: 'film-2', _type: 'film', title: 'Two'}}])
      expect(await dataset.query('*[_type == "film"] | order(_id)._id')).toEqual(['film-1', 'film-2'])
    } finally {
      store.close()
    }
    const reopened = new DatabaseSync(path, {readOnly: true})
    const {sql} = reopened.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'").get() as {sql: string}
    const count = reopened.prepare('SELECT count(*) AS n FROM documents').get() as {n: number}
    reopened.close()
    expect(sql).not.toMatch(/WITHOUT\s+ROWID/i)
    expect(count.n).toBe(3)
  })
})
