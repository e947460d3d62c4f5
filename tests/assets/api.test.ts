/**
 * The lake's assets API through the real @sanity/client over HTTP: Sanity's asset documents and
 * ids, deduplication, authorisation, the bytes on disk following their document, serving.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {apiVersion} from '../../lib/constants'
import {statusOf} from '../lake/helpers'
import {errorOf, quadrants, rawUpload, sha1, startTestLake, TEST_TOKEN, type TestLake, translucentPng} from './support'

let t: TestLake
let poster: Buffer

beforeAll(async () => {
  t = await startTestLake()
  poster = await quadrants(400, 600, 'jpeg')
})

afterAll(async () => {
  await t.stop()
})

const assetFolder = () => join(t.dir, 'datasets', 'test.assets')
const volatile = ({_rev, _createdAt, _updatedAt, uploadId, ...rest}: Record<string, unknown>) => {
  expect(typeof _rev).toBe('string')
  expect(_createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
  expect(_updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  expect(uploadId).toMatch(/^[a-f0-9]{32}$/)
  return rest
}

describe('uploading images', () => {
  it("answers Sanity's image asset document, with the id scheme Sanity's tools parse", async () => {
    const hash = sha1(poster)
    const document = await t.client.assets.upload('image', poster, {filename: 'her-poster.jpg', title: 'Her (2013) poster', description: 'Four colours', label: 'poster', creditLine: 'Made for the tests', source: {id: 'src-1', name: 'test-suite', url: 'https://example.com/source'}})
    const {metadata, ...rest} = volatile(document as unknown as Record<string, unknown>)
    const path = `images/local/test/${hash}-400x600.jpg`
    expect(rest).toEqual({
      _id: `image-${hash}-400x600-jpg`,
      _type: 'sanity.imageAsset',
      assetId: hash,
      extension: 'jpg',
      mimeType: 'image/jpeg',
      originalFilename: 'her-poster.jpg',
      title: 'Her (2013) poster',
      description: 'Four colours',
      label: 'poster',
      creditLine: 'Made for the tests',
      source: {id: 'src-1', name: 'test-suite', url: 'https://example.com/source'},
      path,
      sha1hash: hash,
      size: poster.length,
      url: `${t.lake.url}/${path}`,
    })
    const {lqip, palette, ...fixed} = metadata as Record<string, unknown>
    expect(fixed).toEqual({
      _type: 'sanity.imageMetadata',
      dimensions: {_type: 'sanity.imageDimensions', width: 400, height: 600, aspectRatio: 400 / 600},
      hasAlpha: false,
      isOpaque: true,
    })
    expect(lqip).toMatch(/^data:image\/jpeg;base64,/)
    const placeholder = await sharp(Buffer.from(String(lqip).split(',')[1] ?? '', 'base64')).metadata()
    expect([placeholder.width, placeholder.height]).toEqual([13, 20])
    expect(palette).toMatchObject({_type: 'sanity.imagePalette', dominant: {_type: 'sanity.imagePaletteSwatch'}})
    expect((palette as {dominant: {background: string}}).dominant.background).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('gives the same bytes the same document: a second upload stores nothing new', async () => {
    const first = await t.client.assets.upload('image', poster, {filename: 'another-name.jpg'})
    const second = await t.client.assets.upload('image', poster)
    expect(second).toEqual(first)
    expect(first.originalFilename).toBe('her-poster.jpg')
    expect(await t.client.fetch('count(*[_type == "sanity.imageAsset"])')).toBe(1)
  })

  it('reports alpha and opacity, and uses a PNG placeholder for a translucent image', async () => {
    const png = await translucentPng()
    const document = await t.client.assets.upload('image', png, {contentType: 'image/png'})
    expect(document._id).toBe(`image-${sha1(png)}-40x30-png`)
    expect(document.metadata).toMatchObject({hasAlpha: true, isOpaque: false})
    expect(document.metadata.lqip).toMatch(/^data:image\/png;base64,/)
  })

  it('extracts only what meta= asks for, and refuses metadata names Sanity does not know', async () => {
    const small = await quadrants(20, 20, 'png')
    const plain = await rawUpload(t.lake.url, 'images', small, {token: TEST_TOKEN, query: 'meta=none'})
    expect(plain.status).toBe(200)
    const metadata = (plain.body.document as {metadata: Record<string, unknown>}).metadata
    expect(Object.keys(metadata).sort()).toEqual(['_type', 'dimensions', 'hasAlpha', 'isOpaque'])
    const unknown = await rawUpload(t.lake.url, 'images', await quadrants(22, 22), {token: TEST_TOKEN, query: 'meta=colours'})
    expect(unknown.status).toBe(400)
    expect(String(errorOf(unknown.body).description)).toContain('meta=colours is unknown')
    // The asset from the first request keeps its lean metadata (same bytes, same document).
    await t.client.delete(`image-${sha1(small)}-20x20-png`)
  })

  it('refuses anonymous uploads with 401 and stores nothing', async () => {
    const bytes = await quadrants(30, 30)
    const refused = await rawUpload(t.lake.url, 'images', bytes, {contentType: 'image/png'})
    expect(refused.status).toBe(401)
    expect(String(errorOf(refused.body).description)).toMatch(/needs a token/)
    expect((await statusOf(t.anonymous.assets.upload('image', bytes))).statusCode).toBe(401)
    expect(await t.client.fetch('count(*[sha1hash == $hash])', {hash: sha1(bytes)})).toBe(0)
    expect(existsSync(join(assetFolder(), 'images', `${sha1(bytes)}-30x30.png`))).toBe(false)
  })

  it('lets anonymous readers find an asset by its hash, as the Studio does before uploading', async () => {
    const found = await t.anonymous.fetch('*[_type == $documentType && sha1hash == $hash][0]._id', {documentType: 'sanity.imageAsset', hash: sha1(poster)})
    expect(found).toBe(`image-${sha1(poster)}-400x600-jpg`)
  })
})

describe('uploading files', () => {
  it('stores any file with its declared type, filename and Sanity file asset id', async () => {
    const bytes = Buffer.from('Director: Spike Jonze\nYear: 2013\n')
    const document = await t.client.assets.upload('file', bytes, {filename: 'credits.txt', contentType: 'text/plain'})
    const hash = sha1(bytes)
    const path = `files/local/test/${hash}.txt`
    expect(volatile(document as unknown as Record<string, unknown>)).toEqual({
      _id: `file-${hash}-txt`,
      _type: 'sanity.fileAsset',
      assetId: hash,
      extension: 'txt',
      mimeType: 'text/plain',
      originalFilename: 'credits.txt',
      path,
      sha1hash: hash,
      size: bytes.length,
      url: `${t.lake.url}/${path}`,
    })
    const served = await fetch(document.url)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('text/plain')
    expect(await served.text()).toBe(bytes.toString())
  })

  it('detects the type of a file sent without one, and keeps only the base name of a path', async () => {
    const png = await quadrants(10, 10)
    const document = await t.client.assets.upload('file', png, {filename: 'C:\\Users\\someone\\stills\\still.PNG'})
    expect(document).toMatchObject({_id: `file-${sha1(png)}-png`, mimeType: 'image/png', extension: 'png', originalFilename: 'still.PNG'})
  })

  it('serves active content (HTML) as a download, never as a page in the lake origin', async () => {
    const html = Buffer.from('<!doctype html><script>alert(1)</script>')
    const document = await t.client.assets.upload('file', html, {filename: 'page.html', contentType: 'text/html'})
    const served = await fetch(document.url)
    expect(served.headers.get('content-disposition')).toBe('attachment; filename="page.html"; filename*=UTF-8\'\'page.html')
    expect(served.headers.get('content-security-policy')).toContain('sandbox')
    expect(served.headers.get('x-content-type-options')).toBe('nosniff')
  })
})

describe('asset bytes on disk', () => {
  it('keeps the bytes content-addressed beside the dataset, private to the owner', async () => {
    const file = join(assetFolder(), 'images', `${sha1(poster)}-400x600.jpg`)
    expect(readFileSync(file)).toEqual(poster)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(assetFolder()).mode & 0o777).toBe(0o700)
    expect(statSync(join(assetFolder(), 'images')).mode & 0o777).toBe(0o700)
  })

  it('removes the bytes when a transaction deletes the asset document, and the URL answers 404', async () => {
    const bytes = await quadrants(50, 40)
    const document = await t.client.assets.upload('image', bytes)
    const file = join(assetFolder(), 'images', `${sha1(bytes)}-50x40.png`)
    expect(existsSync(file)).toBe(true)
    expect((await fetch(document.url)).status).toBe(200)
    await t.client.delete(document._id)
    expect(existsSync(file)).toBe(false)
    expect((await fetch(document.url)).status).toBe(404)
    // Uploading the bytes again brings the asset back.
    const again = await t.client.assets.upload('image', bytes)
    expect(again._id).toBe(document._id)
    expect(existsSync(file)).toBe(true)
    expect((await fetch(again.url)).status).toBe(200)
  })

  it('brings back the bytes of an asset document that a mutation created without them', async () => {
    const bytes = await quadrants(60, 20)
    const id = `image-${sha1(bytes)}-60x20-png`
    await t.client.createOrReplace({_id: id, _type: 'sanity.imageAsset', sha1hash: sha1(bytes), url: 'http://elsewhere.invalid/x.png'})
    const url = `${t.lake.url}/images/local/test/${sha1(bytes)}-60x20.png`
    expect((await fetch(url)).status).toBe(404)
    const uploaded = await t.client.assets.upload('image', bytes)
    expect(uploaded._id).toBe(id)
    expect((await fetch(url)).status).toBe(200)
    await t.client.delete(id)
  })

  it('sweeps bytes without a document (and half-written files) when the dataset opens again', async () => {
    const kept = join(assetFolder(), 'images', `${sha1(poster)}-400x600.jpg`)
    const orphan = join(assetFolder(), 'images', `${'0'.repeat(40)}-10x10.png`)
    const unknown = join(assetFolder(), 'files', 'not-an-asset-name')
    const temp = join(assetFolder(), '.tmp', 'interrupted-write')
    mkdirSync(join(assetFolder(), '.tmp'), {recursive: true})
    for (const path of [orphan, unknown, temp]) writeFileSync(path, 'left over')
    await t.stop({keepDir: true})
    t = await startTestLake({dir: t.dir})
    // Opening the dataset (any request to it) runs the sweep.
    expect(await t.client.fetch('count(*[_type == "sanity.imageAsset"])')).toBeGreaterThan(0)
    expect(existsSync(orphan)).toBe(false)
    expect(existsSync(unknown)).toBe(false)
    expect(existsSync(temp)).toBe(false)
    expect(readFileSync(kept)).toEqual(poster)
  })
})

describe('serving', () => {
  const posterUrl = () => `${t.lake.url}/images/local/test/${sha1(poster)}-400x600.jpg`

  it('serves the original bytes with immutable caching, an ETag and the sha1 (as @sanity/export verifies)', async () => {
    const response = await fetch(posterUrl())
    expect(response.status).toBe(200)
    expect(Buffer.from(await response.arrayBuffer())).toEqual(poster)
    expect(Object.fromEntries(['content-type', 'cache-control', 'etag', 'x-sanity-sha1', 'content-length'].map((name) => [name, response.headers.get(name)]))).toEqual({
      'content-type': 'image/jpeg',
      'cache-control': 'public, max-age=31536000, immutable',
      etag: `"${sha1(poster)}"`,
      'x-sanity-sha1': sha1(poster),
      'content-length': String(poster.length),
    })
  })

  it('answers 304 to a matching If-None-Match and headers only to HEAD', async () => {
    const cached = await fetch(posterUrl(), {headers: {'if-none-match': `"${sha1(poster)}"`}})
    expect(cached.status).toBe(304)
    expect(await cached.text()).toBe('')
    const head = await fetch(posterUrl(), {method: 'HEAD'})
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(poster.length))
    expect(await head.text()).toBe('')
  })

  it('accepts a vanity file name after the asset path, and ?dl as a download', async () => {
    const vanity = await fetch(`${posterUrl()}/her-poster.jpg`)
    expect(vanity.status).toBe(200)
    const download = await fetch(`${posterUrl()}?dl=`)
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="her-poster.jpg"; filename*=UTF-8\'\'her-poster.jpg')
  })

  it('answers 404 for another project, an unknown asset or dataset, and never creates a dataset for it', async () => {
    const name = `${sha1(poster)}-400x600.jpg`
    for (const path of [`/images/other/test/${name}`, `/images/local/test/${'1'.repeat(40)}-400x600.jpg`, `/images/local/nope/${name}`, `/images/local/test/not-an-asset.jpg`, `/files/local/test/${name}`]) {
      const response = await fetch(`${t.lake.url}${path}`)
      expect({path, status: response.status}).toEqual({path, status: 404})
    }
    expect(existsSync(join(t.dir, 'datasets', 'nope.sqlite'))).toBe(false)
    expect(readdirSync(join(t.dir, 'datasets')).filter((name) => name.startsWith('nope'))).toEqual([])
  })
})

describe('export', () => {
  it('streams asset documents with the rest; anonymous exports leave out private documents', async () => {
    await t.client.createOrReplace({_id: 'drafts.film-her', _type: 'film', title: 'Her (draft)'})
    const read = async (token?: string) => {
      const response = await fetch(`${t.lake.url}/v${apiVersion}/data/export/test`, token ? {headers: {authorization: `Bearer ${token}`}} : {})
      return (await response.text())
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as {_id: string; _type: string})
    }
    const full = await read(TEST_TOKEN)
    const anonymous = await read()
    const assetIds = (docs: {_id: string; _type: string}[]) => docs.filter((doc) => doc._type.startsWith('sanity.')).map((doc) => doc._id)
    expect(assetIds(full)).toContain(`image-${sha1(poster)}-400x600-jpg`)
    expect(assetIds(anonymous)).toEqual(assetIds(full))
    expect(full.map((doc) => doc._id)).toContain('drafts.film-her')
    expect(anonymous.map((doc) => doc._id).filter((id) => id.includes('.'))).toEqual([])
  })
})

describe('deleting an asset that documents still use', () => {
  const SEED_POSTER = readFileSync(join(import.meta.dirname, '../../seed/her-2013-poster.jpg'))

  it('is refused with 409 naming the film while film-her-2013 shows it as its poster; the bytes stay until the reference goes', async () => {
    const asset = await t.client.assets.upload('image', SEED_POSTER, {filename: 'her-2013-poster.jpg'})
    const file = join(assetFolder(), 'images', `${sha1(SEED_POSTER)}-400x600.jpg`)
    const poster = {_type: 'image', asset: {_type: 'reference', _ref: asset._id}, alt: 'An orange poster with a glowing circle and the word her'}
    await t.client.createOrReplace({_id: 'film-her-2013', _type: 'film', title: 'Her', releaseYear: 2013, poster})

    // The same answer whichever way the delete is asked for: by id, or by a query selection.
    for (const mutation of [{delete: {id: asset._id}}, {delete: {query: '*[_type == "sanity.imageAsset" && sha1hash == $hash]', params: {hash: sha1(SEED_POSTER)}}}]) {
      const response = await fetch(`${t.lake.url}/v${apiVersion}/data/mutate/test`, {
        method: 'POST',
        headers: {authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json'},
        body: JSON.stringify({mutations: [mutation]}),
      })
      expect(response.status).toBe(409)
      const body = (await response.json()) as {error: {items: Array<{error: Record<string, unknown>}>}}
      expect(body.error.items.map((item) => item.error)).toEqual([
        {
          type: 'documentHasExistingReferencesError',
          description: `Document "${asset._id}" cannot be deleted as there are references to it from "film-her-2013"; remove those references first (or make them weak)`,
          id: asset._id,
          referencingIDs: ['film-her-2013'],
        },
      ])
    }
    expect((await statusOf(t.client.delete(asset._id))).statusCode).toBe(409)
    expect(readFileSync(file)).toEqual(SEED_POSTER)
    expect((await fetch(asset.url)).status).toBe(200)
    expect(await t.client.getDocument(asset._id)).toMatchObject({_id: asset._id, sha1hash: sha1(SEED_POSTER)})

    // An editor removes the poster: now the asset can go, and its bytes go with it.
    await t.client.patch('film-her-2013').unset(['poster']).commit()
    await t.client.delete(asset._id)
    expect(existsSync(file)).toBe(false)
    expect((await fetch(asset.url)).status).toBe(404)
    await t.client.delete('film-her-2013')
  })
})
