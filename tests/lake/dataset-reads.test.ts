import {describe, expect, it} from 'vitest'

import {LakeStore} from '../../lake'
import {tempDir} from './helpers'

// The main thread reads the documents a transaction touches from SQLite and keeps only the most
// recent 256 parsed: these cases go past that, so evicted documents come from the file.
const COUNT = 300

function film(index: number) {
  return {_id: `film-${String(index).padStart(3, '0')}`, _type: 'film', title: `Film ${index}`, releaseYear: 2000 + (index % 20)}
}

describe('the dataset reads the documents it needs from its file, not from a second copy in memory', () => {
  it('patches, returns and lists documents beyond the recent ones exactly as stored', async () => {
    const store = new LakeStore(tempDir())
    try {
      const dataset = store.dataset('production')
      await dataset.transaction(Array.from({length: COUNT}, (_, index) => ({create: film(index)})))
      // Every document is touched again, so the first ones are no longer among the recent ones.
      for (let index = 0; index < COUNT; index += 50) {
        await dataset.transaction(Array.from({length: 50}, (_, offset) => ({patch: {id: film(index + offset)._id, inc: {releaseYear: 1}}})))
      }

      const patched = await dataset.transaction([{patch: {id: 'film-000', set: {title: 'First'}, inc: {releaseYear: 10}}}])
      expect(patched.results).toEqual([{id: 'film-000', operation: 'update', document: expect.objectContaining({_id: 'film-000', title: 'First', releaseYear: 2011})}])

      const stored = dataset.getDocument('film-000')
      expect(stored).toEqual(patched.results[0]?.document)
      expect(Object.isFrozen(stored)).toBe(true)
      expect(dataset.getDocument('film-001')).toMatchObject({title: 'Film 1', releaseYear: 2002, _rev: expect.any(String)})
      expect(dataset.getDocuments(['film-299', 'missing']).map((doc) => doc?.title)).toEqual(['Film 299', undefined])

      expect(dataset.size).toBe(COUNT)
      expect(dataset.documents().map((doc) => doc._id)).toEqual(Array.from({length: COUNT}, (_, index) => film(index)._id))
      expect(dataset.documentsWithPrefix('film-29').map((doc) => doc._id)).toEqual(['film-290', 'film-291', 'film-292', 'film-293', 'film-294', 'film-295', 'film-296', 'film-297', 'film-298', 'film-299'])
      expect(dataset.documentsWithPrefix('person')).toEqual([])

      // What the workers answer agrees with what this thread read and wrote.
      expect(await dataset.query('*[_id == "film-000"][0]{title, releaseYear}')).toEqual({title: 'First', releaseYear: 2011})
    } finally {
      await store.close()
    }
  })

  it('sees a document deleted while it was among the recent ones as gone, and a transaction that fails changes nothing', async () => {
    const store = new LakeStore(tempDir())
    try {
      const dataset = store.dataset('production')
      await dataset.transaction([{create: film(1)}, {create: film(2)}])
      expect(dataset.getDocument('film-001')?.title).toBe('Film 1')
      await dataset.transaction([{delete: {id: 'film-001'}}])
      expect(dataset.getDocument('film-001')).toBeUndefined()

      await expect(dataset.transaction([{patch: {id: 'film-002', set: {title: 'Changed'}}}, {create: film(2)}])).rejects.toThrow(/mutations\[1\]; nothing was stored/)
      expect(dataset.getDocument('film-002')?.title).toBe('Film 2')
      expect(dataset.size).toBe(1)
    } finally {
      await store.close()
    }
  })
})
