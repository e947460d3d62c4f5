/**
 * Images named in a film's facts file (the poster, portraits of credited people): the seed uploads
 * them through the assets API of a real local lake and sets the image fields, once; `--dry-run`
 * says what it would upload; `--out` names the files for `sanity dataset import`.
 */
import {createHash} from 'node:crypto'
import {copyFileSync, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {sanityImport} from '@sanity/import'
import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {defaultImportDeps, runImport} from '../../archive/import'
import {runSeed, type SeedOptions} from '../../importer/command'
import {startTestLake, type TestLake} from '../helpers/lake'
import {FakeDataset, testDeps} from './fakes'
import {seedIntoLake} from './support'

const FIXTURE = 'tests/fixtures/reviews/headings-listed-in-facts-paper-lanterns.txt'
const FILM = 'film-paper-lanterns-2020'
const JUNE = 'person-june-halloway'

let t: TestLake
let dir: string
let review: string
let posterAsset: string
let portraitAsset: string
let poster: Buffer

const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex')

/** Facts for the fixture film naming a poster and portraits (one of someone the review does not credit). */
function writeFacts(folder: string, extra = ''): void {
  writeFileSync(
    join(folder, 'paper-lanterns-2020.facts.ts'),
    `export default {
  film: {title: 'Paper Lanterns', releaseYear: 2020},
  poster: {file: 'images/lanterns-poster.png', alt: 'Two paper lanterns on a dark blue ground'},
  people: [
    {name: 'June Halloway', image: {file: 'images/june.png', alt: 'A drawn figure in a green coat'}},
    {name: 'Nobody Credited', image: {file: 'images/nobody.png', alt: 'Unused'}},
  ],
  reviews: [{title: 'Lights On', headings: ['The Shop', 'Final Notes']}],${extra}
}
`,
  )
}

beforeAll(async () => {
  t = await startTestLake('images')
  dir = mkdtempSync(join(tmpdir(), 'seed-images-'))
  review = join(dir, 'paper-lanterns.txt')
  copyFileSync(FIXTURE, review)
  const images = join(dir, 'images')
  await import('node:fs/promises').then(({mkdir}) => mkdir(images))
  // Made here: flat shapes, no third-party artwork.
  poster = await sharp({create: {width: 200, height: 300, channels: 3, background: '#102040'}})
    .composite([{input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="300"><circle cx="70" cy="120" r="40" fill="#f0b040"/><circle cx="140" cy="170" r="40" fill="#e07030"/></svg>')}])
    .png()
    .toBuffer()
  const portrait = await sharp({create: {width: 120, height: 150, channels: 3, background: '#2f6b3a'}}).png().toBuffer()
  writeFileSync(join(images, 'lanterns-poster.png'), poster)
  writeFileSync(join(images, 'june.png'), portrait)
  writeFileSync(join(images, 'nobody.png'), await sharp({create: {width: 10, height: 10, channels: 3, background: '#000000'}}).png().toBuffer())
  writeFacts(dir)
  posterAsset = `image-${sha1(poster)}-200x300-png`
  portraitAsset = `image-${sha1(portrait)}-120x150-png`
})

afterAll(async () => {
  await t?.close()
  rmSync(dir, {recursive: true, force: true})
})

/** `npm run seed` of the fixture review against the real lake. */
const seed = (options: Partial<SeedOptions>, dataset = 'images') => seedIntoLake(t.lake, dataset, {file: review, ...options})

const assetIds = (dataset = 'images') => t.client.withConfig({dataset}).fetch<string[]>('*[_type == "sanity.imageAsset"] | order(_id)._id')

describe('images named in the facts', () => {
  it('says what a dry run would upload, and uploads and writes nothing', async () => {
    const dry = await seed({dryRun: true})
    expect(dry.code).toBe(0)
    expect(dry.out).toContain(`would upload   an image asset from ${join(dir, 'images/lanterns-poster.png')}\n`)
    expect(dry.out).toContain(`would upload   an image asset from ${join(dir, 'images/june.png')}\n`)
    expect(dry.out).not.toContain('nobody.png')
    expect(dry.out).toContain(`would create   ${FILM}\n`)
    expect(await assetIds()).toStrictEqual([])
    expect(await t.client.fetch('count(*)')).toBe(0)
  })

  it('uploads the poster and the portrait of a credited person once, and sets the image fields', async () => {
    const first = await seed({})
    expect(first).toMatchObject({code: 0, err: ''})
    expect(first.out).toContain(`uploaded   ${posterAsset} from ${join(dir, 'images/lanterns-poster.png')}\n`)
    expect(first.out).toContain(`uploaded   ${portraitAsset} from ${join(dir, 'images/june.png')}\n`)
    // Someone the review does not credit is no document, so their portrait is not uploaded.
    expect(await assetIds()).toStrictEqual([posterAsset, portraitAsset].sort())
    expect(await t.client.getDocument(FILM)).toMatchObject({poster: {_type: 'image', asset: {_type: 'reference', _ref: posterAsset}, alt: 'Two paper lanterns on a dark blue ground'}})
    expect(await t.client.getDocument(JUNE)).toMatchObject({image: {_type: 'image', asset: {_type: 'reference', _ref: portraitAsset}, alt: 'A drawn figure in a green coat'}})
    expect(await t.client.getDocument(posterAsset)).toMatchObject({originalFilename: 'lanterns-poster.png', sha1hash: sha1(poster)})

    const revisions = await t.client.fetch('*|order(_id){_id, _rev}')
    const second = await seed({})
    expect(second.out).toContain(`unchanged  ${posterAsset} from`)
    expect(second.out).toContain('is already up to date')
    expect(await t.client.fetch('*|order(_id){_id, _rev}')).toStrictEqual(revisions)
  })

  it("keeps an editor's crop and hotspot on the imported poster, and replaces another poster only when re-imported on purpose", async () => {
    const crop = {_type: 'sanity.imageCrop', top: 0.1, bottom: 0, left: 0, right: 0}
    const hotspot = {_type: 'sanity.imageHotspot', x: 0.4, y: 0.4, width: 0.3, height: 0.3}
    await t.client.patch(FILM).set({'poster.crop': crop, 'poster.hotspot': hotspot}).commit()
    const kept = await seed({})
    expect(kept.out).toContain(`unchanged  ${FILM}\n`)
    expect(await t.client.getDocument(FILM)).toMatchObject({poster: {asset: {_ref: posterAsset}, crop, hotspot}})

    // An editor picks another poster: the facts name theirs, so `npm run seed` (a re-import on purpose) puts it back, and its dry run says so first.
    const other = await t.client.assets.upload('image', await sharp({create: {width: 20, height: 30, channels: 3, background: '#ff0000'}}).png().toBuffer())
    await t.client.patch(FILM).set({poster: {_type: 'image', asset: {_type: 'reference', _ref: other._id}, alt: 'Red'}}).commit()
    const dry = await seed({dryRun: true})
    expect(dry.out).toContain(`would replace  ${FILM}\n`)
    expect(await t.client.getDocument(FILM)).toMatchObject({poster: {asset: {_ref: other._id}}})
    await seed({})
    expect(await t.client.getDocument(FILM)).toMatchObject({poster: {_type: 'image', asset: {_ref: posterAsset}, alt: 'Two paper lanterns on a dark blue ground'}})
    expect((await t.client.getDocument(FILM))?.poster).not.toHaveProperty('crop')
  })

  it('refuses a facts file naming an image that is not there, naming the field, and writes nothing', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'seed-images-missing-'))
    try {
      copyFileSync(FIXTURE, join(folder, 'paper-lanterns.txt'))
      writeFacts(folder)
      const result = await seed({file: join(folder, 'paper-lanterns.txt')}, 'missing')
      expect(result.code).toBe(1)
      expect(result.err).toBe(
        `error: ${join(folder, 'paper-lanterns-2020.facts.ts')}: poster.file: no such image file ${join(folder, 'images/lanterns-poster.png')} (image paths are relative to the facts file)\n`,
      )
      expect(await t.client.withConfig({dataset: 'missing'}).fetch('count(*)')).toBe(0)
    } finally {
      rmSync(folder, {recursive: true, force: true})
    }
  })

  it('refuses bytes that are not an image, naming the file; nothing is written and no asset is left', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'seed-images-bad-'))
    try {
      copyFileSync(FIXTURE, join(folder, 'paper-lanterns.txt'))
      await import('node:fs/promises').then(({mkdir}) => mkdir(join(folder, 'images')))
      copyFileSync(join(dir, 'images/june.png'), join(folder, 'images/june.png'))
      copyFileSync(join(dir, 'images/nobody.png'), join(folder, 'images/nobody.png'))
      writeFileSync(join(folder, 'images/lanterns-poster.png'), 'not a picture at all')
      writeFacts(folder)
      const result = await seed({file: join(folder, 'paper-lanterns.txt')}, 'bad')
      expect(result.code).toBe(1)
      expect(result.err).toMatch(new RegExp(`^error: ${join(folder, 'images/lanterns-poster.png')}: the poster for ${FILM} could not be uploaded: .+\\n$`))
      expect(await t.client.withConfig({dataset: 'bad'}).fetch('count(*)')).toBe(0)
    } finally {
      rmSync(folder, {recursive: true, force: true})
    }
  })
})

describe('--out for sanity dataset import', () => {
  it("names the files as _sanityAsset, and Sanity's importer and npm run import load them with the images", async () => {
    const out = join(dir, 'lanterns.ndjson')
    expect((await seed({out})).code).toBe(0)
    const film = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as {_id: string; poster?: unknown})
      .find((document) => document._id === FILM)
    expect(film?.poster).toStrictEqual({
      _type: 'image',
      _sanityAsset: `image@${pathToFileURL(join(dir, 'images/lanterns-poster.png')).href}`,
      alt: 'Two paper lanterns on a dark blue ground',
    })

    // What `sanity dataset import lanterns.ndjson` runs.
    const result = await sanityImport(createReadStream(out), {client: t.client.withConfig({dataset: 'from-sanity-import'}), operation: 'create'})
    expect(result.warnings).toEqual([])
    const loaded = t.client.withConfig({dataset: 'from-sanity-import'})
    expect(await loaded.getDocument(FILM)).toMatchObject({poster: {_type: 'image', asset: {_type: 'reference', _ref: posterAsset}, alt: 'Two paper lanterns on a dark blue ground'}})
    expect(await loaded.getDocument(JUNE)).toMatchObject({image: {asset: {_ref: portraitAsset}}})
    expect(await assetIds('from-sanity-import')).toStrictEqual([posterAsset, portraitAsset].sort())

    // The project's own import command reads the same file (the images are beside it).
    let printed = ''
    const code = await runImport(
      {file: out, mode: 'create', dataset: 'from-npm-import', dryRun: false},
      {...defaultImportDeps(), target: () => ({kind: 'lake', projectId: 'local', dataset: 'images', token: t.lake.token, apiHost: t.lake.url}), stdout: (text) => (printed += text), stderr: (text) => (printed += text)},
    )
    expect({code, printed}).toMatchObject({code: 0, printed: expect.stringContaining('Assets: 2 uploaded, 0 already there.')})
    expect(await t.client.withConfig({dataset: 'from-npm-import'}).getDocument(FILM)).toMatchObject({poster: {asset: {_ref: posterAsset}}})
  })
})

describe('a transaction that fails after its images were uploaded', () => {
  it('removes the assets it uploaded, so the dataset is as it was', async () => {
    class Refusing extends FakeDataset {
      override async mutate(mutations: Parameters<FakeDataset['mutate']>[0]): Promise<void> {
        if (mutations.every((mutation) => 'delete' in mutation)) return super.mutate(mutations)
        throw Object.assign(new Error('the lake refused the transaction'), {statusCode: 409})
      }
    }
    const dataset = new Refusing()
    const io = testDeps(dataset)
    expect(await runSeed({file: review, dryRun: false}, io.deps)).toBe(1)
    expect(dataset.uploads).toHaveLength(2)
    expect([...dataset.documents.keys()]).toStrictEqual([])
    expect(io.stderr()).toContain('the lake refused the transaction')
  })
})
