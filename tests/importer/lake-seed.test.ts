import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {SeedOptions} from '../../importer/command'
import {startTestLake, type TestLake} from '../helpers/lake'
import {seedIntoLake} from './support'

let t: TestLake
beforeAll(async () => {
  t = await startTestLake('seeded')
})
afterAll(() => t?.close())

/** The seed command against the real lake; `out` is everything it printed. */
async function seed(options: Partial<SeedOptions> = {}, dataset = 'seeded') {
  const {code, all} = await seedIntoLake(t.lake, dataset, options)
  return {code, out: all}
}

const POSTER_ASSET = `image-${createHash('sha1').update(readFileSync('seed/her-2013-poster.jpg')).digest('hex')}-400x600-jpg`

const snapshot = (dataset = 'seeded') =>
  t.client
    .withConfig({dataset})
    .fetch<Array<{_id: string; _rev: string; _updatedAt: string}>>('*|order(_id asc){_id, _rev, _updatedAt}', {}, {perspective: 'raw'})

describe('npm run seed against a real local lake', () => {
  it('imports the Her review once; a second import changes nothing and duplicates nothing', async () => {
    const first = await seed()
    expect(first.code).toBe(0)
    expect(first.out).toContain('Wrote 20 of 20 documents')
    expect(first.out).toContain(`uploaded   ${POSTER_ASSET} from seed/her-2013-poster.jpg\n`)
    const before = await snapshot()
    // The 20 documents and the poster's asset.
    expect(before).toHaveLength(21)
    expect(before.map((document) => document._id)).toContain(POSTER_ASSET)

    const dry = await seed({dryRun: true})
    expect(dry.code).toBe(0)
    expect(dry.out).toContain('Dry run: nothing was written')

    const second = await seed()
    expect(second.code).toBe(0)
    expect(second.out).toContain('is already up to date')
    // The same bytes make no new asset.
    expect(second.out).toContain(`unchanged  ${POSTER_ASSET} from seed/her-2013-poster.jpg\n`)
    // Same ids, same revisions: nothing was rewritten or duplicated.
    expect(await snapshot()).toEqual(before)
  })

  it('imports a folder review by review, then patches only what changed, keeping an editor’s poster', async () => {
    const first = await seed({file: undefined, dir: 'tests/fixtures/reviews'}, 'folder')
    expect(first.code).toBe(1)
    expect(first.out).toMatch(/Summary: \d+ created, 0 replaced, 0 unchanged, 12 failed \(\d+ files in [\d.]+ s\)/)
    const client = t.client.withConfig({dataset: 'folder'})
    const poster = {_type: 'image', asset: {_type: 'reference', _ref: 'image-abc-100x100-jpg'}, alt: 'A poster'}
    await client.patch('film-us-2019').set({poster, runtimeMinutes: 200}).commit()
    const before = await snapshot('folder')

    const dry = await seed({file: undefined, dir: 'tests/fixtures/reviews', dryRun: true}, 'folder')
    expect(dry.out).toContain('would replace  film-us-2019\n')
    expect(await snapshot('folder')).toEqual(before)

    const second = await seed({file: undefined, dir: 'tests/fixtures/reviews'}, 'folder')
    expect(second.out).toMatch(/Summary: 0 created, 1 replaced, \d+ unchanged, 12 failed/)
    expect(await client.getDocument('film-us-2019')).toMatchObject({runtimeMinutes: 116, poster})
    const after = await snapshot('folder')
    // Only the film got a new revision.
    expect(after.filter((document, index) => document._rev !== before[index]!._rev).map((document) => document._id)).toStrictEqual(['film-us-2019'])
  })
})
