import {createHash} from 'node:crypto'
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createClient, type SanityClient} from '@sanity/client'
import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {defaultSeedDeps, sanityDatasetClient} from '../../importer/command'
import {describeSeedReport, SEED_RECORD_ID, seedMissing, seedOnStart} from '../../importer/seed-on-start'
import {startLake, type RunningLake} from '../../lake'
import {apiVersion} from '../../lib/constants'
import {createSiteHandler} from '../../site'
import {FakeDataset} from './fakes'
import {ARRIVAL_FILE, HER_FACTS_FILE, HER_FILE} from './support'

const REVIEW = 'review-her-2013-falling-in-love-with-ai'
const DATASET = 'production'
const POSTER_FILE = 'seed/her-2013-poster.jpg'
const POSTER_SHA1 = createHash('sha1').update(readFileSync(POSTER_FILE)).digest('hex')
const POSTER_ASSET = `image-${POSTER_SHA1}-400x600-jpg`

let root: string
let lakeDir: string
let seedDir: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'seed-on-start-'))
  lakeDir = join(root, 'lake')
  seedDir = join(root, 'seed')
  mkdirSync(seedDir)
  copyFileSync(HER_FILE, join(seedDir, 'her-2013-user-review.txt'))
  copyFileSync(HER_FACTS_FILE, join(seedDir, 'her-2013.facts.ts'))
  // The facts name the poster next to them.
  copyFileSync(POSTER_FILE, join(seedDir, 'her-2013-poster.jpg'))
})
afterAll(() => rmSync(root, {recursive: true, force: true}))

/** One `npm start`: the lake over the same folder, then the same seed step `scripts/start.ts` runs. */
async function start(): Promise<{lake: RunningLake; client: SanityClient; report: Awaited<ReturnType<typeof seedOnStart>>}> {
  const lake = await startLake({port: 0, dir: lakeDir, token: 'test-token'})
  const target = {kind: 'lake', projectId: 'local', dataset: DATASET, token: lake.token, apiHost: lake.url} as const
  const report = await seedOnStart({dir: seedDir, files: defaultSeedDeps(), client: sanityDatasetClient(target)})
  const client = createClient({projectId: 'local', dataset: DATASET, apiVersion, apiHost: lake.url, useProjectHostname: false, useCdn: false, token: lake.token, perspective: 'raw'})
  return {lake, client, report}
}

describe('the seed step of npm start', () => {
  it('seeds once, and after a restart leaves what editors published, drafted or unpublished as they left it', async () => {
    const first = await start()
    expect(first.report.created).toHaveLength(20)
    expect(first.report.kept).toStrictEqual([])
    expect(first.report.uploaded).toStrictEqual([POSTER_ASSET])
    expect(describeSeedReport(first.report)).toBe('Seed: 20 created; 0 already there, left as they are; 1 image uploaded.')
    // The poster the facts name is the film's, uploaded through the assets API.
    expect(await first.client.getDocument('film-her-2013')).toMatchObject({
      poster: {_type: 'image', asset: {_type: 'reference', _ref: POSTER_ASSET}, alt: expect.stringMatching(/^Poster: the word “her”/)},
    })
    expect(await first.client.getDocument(POSTER_ASSET)).toMatchObject({sha1hash: POSTER_SHA1, originalFilename: 'her-2013-poster.jpg'})
    // The site's Her pages show it to anonymous readers, and its URLs answer with the image.
    const site = createSiteHandler({client: createClient({projectId: 'local', dataset: DATASET, apiVersion, apiHost: first.lake.url, useProjectHostname: false, useCdn: false}), log: () => {}})
    for (const path of ['/films/her-2013', `/reviews/${REVIEW.slice('review-'.length)}`, '/']) {
      const response = await site(new Request(`http://127.0.0.1${path}`))
      expect(response?.status, path).toBe(200)
      const posters = [...((await response?.text()) ?? '').matchAll(/<img class="picture" [^>]*src="([^"]+)"[^>]*alt="([^"]*)"/g)].filter((match) => match[1]?.includes(POSTER_SHA1))
      expect(posters.length, path).toBeGreaterThan(0)
      const [, src = '', alt = ''] = posters[0]!
      expect(alt, path).toMatch(/^Poster: the word /)
      const image = await fetch(src.replace(/&amp;/g, '&'))
      expect([image.status, image.headers.get('content-type')?.startsWith('image/')], path).toStrictEqual([200, true])
    }

    // An editor publishes a new film title and another poster, drafts changes to the review and
    // unpublishes it (the Studio deletes the published document and keeps the draft).
    const review = await first.client.getDocument(REVIEW)
    const editorsPoster = await first.client.assets.upload('image', await sharp({create: {width: 40, height: 60, channels: 3, background: '#123456'}}).png().toBuffer(), {filename: 'editors-choice.png'})
    await first.client
      .transaction()
      .patch('film-her-2013', (patch) =>
        patch.set({title: 'Her (director’s cut)', poster: {_type: 'image', asset: {_type: 'reference', _ref: editorsPoster._id}, alt: 'The editor’s poster'}}),
      )
      .create({...review!, _id: `drafts.${REVIEW}`, title: 'Falling in love with AI, revisited'})
      .delete(REVIEW)
      .commit()
    const before = await first.client.fetch('*[!(_id in path("_.**"))]|order(_id){...}')
    await first.lake.close()

    const second = await start()
    try {
      expect(second.report).toStrictEqual({created: [], kept: expect.arrayContaining(['film-her-2013', REVIEW]), deleted: [], uploaded: []})
      expect(second.report.kept).toHaveLength(20)
      expect(await second.client.fetch('*[!(_id in path("_.**"))]|order(_id){...}')).toStrictEqual(before)
      expect(await second.client.getDocument('film-her-2013')).toMatchObject({
        title: 'Her (director’s cut)',
        poster: {asset: {_ref: editorsPoster._id}, alt: 'The editor’s poster'},
      })
      expect(await second.client.getDocument(REVIEW)).toBeUndefined()
      expect(await second.client.getDocument(`drafts.${REVIEW}`)).toMatchObject({title: 'Falling in love with AI, revisited'})
      // The record of what was seeded is private: anonymous readers cannot see it.
      const anonymous = createClient({projectId: 'local', dataset: DATASET, apiVersion, apiHost: second.lake.url, useProjectHostname: false, useCdn: false})
      expect(await anonymous.fetch('*[_id == $id][0]', {id: SEED_RECORD_ID})).toBeNull()
      expect(await second.client.fetch('*[_id == $id][0].ids', {id: SEED_RECORD_ID})).toHaveLength(20)
    } finally {
      await second.lake.close()
    }
  })

  it('imports a review added to seed/ later, without touching the documents it shares', async () => {
    copyFileSync(ARRIVAL_FILE, join(seedDir, 'arrival-2016-user-review.txt'))
    const third = await start()
    try {
      // Amy Adams was seeded with Her: Arrival's import leaves her person document alone.
      expect(third.report.created.sort()).toStrictEqual([
        'film-arrival-2016',
        'person-denis-villeneuve',
        'person-forest-whitaker',
        'person-jeremy-renner',
        'review-arrival-2016-time-is-a-language',
      ])
      expect(third.report.kept).toContain('person-amy-adams')
      expect(await third.client.getDocument('film-her-2013')).toMatchObject({title: 'Her (director’s cut)'})
    } finally {
      await third.lake.close()
    }
  })
})

describe('seedMissing', () => {
  it('does not bring back a document deleted after it was seeded, and counts it', async () => {
    const dataset = new FakeDataset()
    const documents = [
      {_id: 'person-a', _type: 'person' as const, name: 'A', slug: {_type: 'slug' as const, current: 'a'}},
      {_id: 'person-b', _type: 'person' as const, name: 'B', slug: {_type: 'slug' as const, current: 'b'}},
    ]
    expect(await seedMissing(dataset, documents)).toStrictEqual({created: ['person-a', 'person-b'], kept: [], deleted: [], uploaded: []})
    dataset.documents.delete('person-b')
    // A document in a release counts as there too.
    await dataset.mutate([{create: {_id: 'versions.rSpring.person-a', _type: 'person', name: 'A2'}}])
    dataset.documents.delete('person-a')
    const commits = dataset.commits.length
    expect(await seedMissing(dataset, documents)).toStrictEqual({created: [], kept: ['person-a'], deleted: ['person-b'], uploaded: []})
    expect(dataset.commits).toHaveLength(commits)
    expect(describeSeedReport({created: [], kept: ['person-a'], deleted: ['person-b'], uploaded: []})).toBe(
      'Seed: 0 created; 1 already there, left as they are; 1 deleted since an earlier start, not brought back (npm run seed re-imports them).',
    )
  })
})
