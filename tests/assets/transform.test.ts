/**
 * The image URL parameters `@sanity/image-url` writes, served by the lake with sharp: sizes,
 * fits, rect and crop, formats, quality, dpr, background, blur; hotspot and crop from content.
 */
import {createImageUrlBuilder} from '@sanity/image-url'
import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {errorOf, meanColour, near, QUADRANTS, quadrants, sha1, startTestLake, type TestLake, translucentPng} from './support'

let t: TestLake
let base: string
let translucentBase: string
let assetId: string

beforeAll(async () => {
  t = await startTestLake()
  const poster = await quadrants(400, 600, 'png')
  const document = await t.client.assets.upload('image', poster)
  assetId = document._id
  base = `${t.lake.url}/images/local/test/${sha1(poster)}-400x600.png`
  const translucent = await translucentPng(40, 30)
  await t.client.assets.upload('image', translucent)
  translucentBase = `${t.lake.url}/images/local/test/${sha1(translucent)}-40x30.png`
})

afterAll(async () => {
  await t.stop()
})

const mix = (a: readonly number[], b: readonly number[]) => a.map((value, index) => (value + (b[index] ?? 0)) / 2)

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {headers})
  const body = Buffer.from(await response.arrayBuffer())
  return {response, body}
}

async function image(query: string, headers: Record<string, string> = {}) {
  const {response, body} = await get(`${base}?${query}`, headers)
  expect(response.status, `${query}: ${body.toString().slice(0, 200)}`).toBe(200)
  const meta = await sharp(body).metadata()
  return {response, body, width: meta.width, height: meta.height, format: meta.format}
}

describe('sizes and fits', () => {
  it.each([
    ['w=100', 100, 150],
    ['h=300', 200, 300],
    ['w=100&h=100', 67, 100],
    ['w=100&h=100&fit=clip', 67, 100],
    ['w=100&h=100&fit=crop', 100, 100],
    ['w=100&h=100&fit=scale', 100, 100],
    ['w=100&h=100&fit=fill', 100, 100],
    ['w=800&fit=max', 400, 600],
    ['w=800', 800, 1200],
    ['w=800&h=800&fit=min', 400, 400],
    ['w=100&h=100&fit=min', 100, 100],
    ['w=800&h=800&fit=fillmax', 800, 800],
    ['w=100&dpr=2', 200, 300],
    ['w=100&dpr=1.5', 150, 225],
    ['max-w=200', 200, 300],
    ['w=300&max-w=120', 120, 180],
    ['w=100&pad=10', 120, 170],
    ['or=90&w=300', 300, 200],
  ])('%s gives %i×%i', async (query, width, height) => {
    const result = await image(query)
    expect([result.width, result.height]).toEqual([width, height])
  })

  it('fit=fill pads with the bg colour, fit=crop cuts instead', async () => {
    const filled = await image('w=200&h=100&fit=fill&bg=ff00ff&fm=png')
    const corner = await sharp(filled.body).extract({left: 0, top: 0, width: 10, height: 10}).png().toBuffer()
    expect(near(await meanColour(corner), [255, 0, 255])).toBe(true)
  })
})

describe('rect and crop', () => {
  it('rect extracts a region in pixels of the original', async () => {
    const topLeft = await image('rect=0,0,200,300')
    expect([topLeft.width, topLeft.height]).toEqual([200, 300])
    expect(near(await meanColour(topLeft.body), QUADRANTS.topLeft)).toBe(true)
    const bottomRight = await image('rect=200,300,200,300&w=50')
    expect(bottomRight.width).toBe(50)
    expect(near(await meanColour(bottomRight.body), QUADRANTS.bottomRight)).toBe(true)
  })

  it('crop= picks the part of the image that a fit=crop keeps', async () => {
    const left = await image('w=100&h=300&fit=crop&crop=left')
    expect(near(await meanColour(left.body), mix(QUADRANTS.topLeft, QUADRANTS.bottomLeft))).toBe(true)
    const right = await image('w=100&h=300&fit=crop&crop=top,right')
    expect(near(await meanColour(right.body), mix(QUADRANTS.topRight, QUADRANTS.bottomRight))).toBe(true)
    const bottom = await image('w=200&h=50&fit=crop&crop=bottom')
    expect(near(await meanColour(bottom.body), mix(QUADRANTS.bottomLeft, QUADRANTS.bottomRight))).toBe(true)
  })

  it('crop=focalpoint centres the cut on fp-x and fp-y', async () => {
    const low = await image('w=200&h=50&fit=crop&crop=focalpoint&fp-y=0.9')
    expect([low.width, low.height]).toEqual([200, 50])
    expect(near(await meanColour(low.body), mix(QUADRANTS.bottomLeft, QUADRANTS.bottomRight))).toBe(true)
    const high = await image('w=200&h=50&fit=crop&crop=focalpoint&fp-y=0.1')
    expect(near(await meanColour(high.body), mix(QUADRANTS.topLeft, QUADRANTS.topRight))).toBe(true)
    const right = await image('w=50&h=300&fit=crop&crop=focalpoint&fp-x=0.9')
    expect(near(await meanColour(right.body), mix(QUADRANTS.topRight, QUADRANTS.bottomRight))).toBe(true)
  })

  it('follows the crop and hotspot an editor set, through @sanity/image-url', async () => {
    const builder = createImageUrlBuilder({projectId: 'local', dataset: 'test', baseUrl: t.lake.url})
    // The editor cropped away the left half and put the hotspot low: a square thumbnail shows the yellow quadrant.
    const content = {
      asset: {_ref: assetId},
      crop: {_type: 'sanity.imageCrop', left: 0.5, right: 0, top: 0, bottom: 0},
      hotspot: {_type: 'sanity.imageHotspot', x: 0.75, y: 0.8, width: 0.2, height: 0.2},
    }
    const url = builder.image(content).width(80).height(80).url()
    expect(url).toBe(`${base}?rect=200,380,200,200&w=80&h=80`)
    const {response, body} = await get(url)
    expect(response.status).toBe(200)
    expect(near(await meanColour(body), QUADRANTS.bottomRight)).toBe(true)
    // Without the editor's choices the same size shows the middle of the poster (all four colours).
    const plain = await get(builder.image({asset: {_ref: assetId}}).width(80).height(80).url())
    expect(near(await meanColour(plain.body), QUADRANTS.bottomRight)).toBe(false)
  })
})

describe('formats and quality', () => {
  it('converts with fm=', async () => {
    expect((await image('fm=webp')).format).toBe('webp')
    expect((await image('fm=jpg')).format).toBe('jpeg')
    expect((await image('w=10&fm=avif')).format).toBe('heif')
    const progressive = await image('fm=pjpg')
    expect((await sharp(progressive.body).metadata()).isProgressive).toBe(true)
    expect(progressive.response.headers.get('content-type')).toBe('image/jpeg')
  })

  it('auto=format serves WebP to browsers that take it, and says the answer varies by Accept', async () => {
    const webp = await image('auto=format&w=100', {accept: 'image/avif,image/webp,*/*'})
    expect(webp.format).toBe('webp')
    expect(webp.response.headers.get('vary')).toBe('Accept')
    const png = await image('auto=format&w=100', {accept: 'image/png'})
    expect(png.format).toBe('png')
    const original = await get(`${base}?auto=format`, {accept: 'image/png'})
    expect(original.response.headers.get('x-sanity-sha1')).toBe(sha1(original.body))
  })

  it('q= trades size for quality', async () => {
    const low = await image('fm=jpg&q=10')
    const high = await image('fm=jpg&q=95')
    expect(low.body.length).toBeLessThan(high.body.length)
  })

  it('flattens transparency onto bg when the format has no alpha', async () => {
    const {response, body} = await get(`${translucentBase}?fm=jpg&bg=00ff00`)
    expect(response.status).toBe(200)
    // 50% of (10,120,200) over green.
    expect(near(await meanColour(body), [5, 188, 100], 16)).toBe(true)
  })

  it('blur, sat, invert and flip change the pixels as asked', async () => {
    const sharpEdges = await sharp((await image('rect=150,250,100,100&fm=png')).body).stats()
    const blurred = await sharp((await image('rect=150,250,100,100&blur=40&fm=png')).body).stats()
    expect(blurred.channels[0]?.stdev).toBeLessThan((sharpEdges.channels[0]?.stdev ?? 0) * 0.9)
    const grey = await image('rect=0,0,200,300&sat=-100&fm=png')
    const [r, g, b] = await meanColour(grey.body)
    expect(Math.max(r ?? 0, g ?? 0, b ?? 0) - Math.min(r ?? 0, g ?? 0, b ?? 0)).toBeLessThan(4)
    const inverted = await image('rect=0,0,200,300&invert=true&fm=png')
    expect(near(await meanColour(inverted.body), QUADRANTS.topLeft.map((value) => 255 - value))).toBe(true)
    const flipped = await image('flip=hv&rect=0,0,200,300&fm=png')
    expect(near(await meanColour(flipped.body), QUADRANTS.topLeft)).toBe(true)
    const mirrored = await image('flip=h&w=100&h=300&fit=crop&crop=left')
    expect(near(await meanColour(mirrored.body), mix(QUADRANTS.topRight, QUADRANTS.bottomRight))).toBe(true)
  })
})

describe('caching', () => {
  it('gives each variant its own ETag and answers 304 to a repeat', async () => {
    const small = await image('w=50')
    const large = await image('w=60')
    const etag = small.response.headers.get('etag')
    expect(etag).toMatch(/^"[a-f0-9]{40}-[a-f0-9]{16}"$/)
    expect(large.response.headers.get('etag')).not.toBe(etag)
    expect(small.response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    const again = await fetch(`${base}?w=50`, {headers: {'if-none-match': etag ?? ''}})
    expect(again.status).toBe(304)
  })
})

describe('parameter values the lake refuses', () => {
  it.each([
    ['w=0', 'w'],
    ['w=-5', 'w'],
    ['w=abc', 'w'],
    ['w=9000', 'w'],
    ['h=1.5', 'h'],
    ['fit=banana', 'fit'],
    ['crop=sideways', 'crop'],
    ['rect=1,2,3', 'rect'],
    ['rect=0,0,0,10', 'rect'],
    ['rect=500,0,10,10', 'rect'],
    ['q=101', 'q'],
    ['fm=bmp', 'fm'],
    ['auto=compress', 'auto'],
    ['dpr=9', 'dpr'],
    ['bg=zzz', 'bg'],
    ['blur=5000', 'blur'],
    ['sat=200', 'sat'],
    ['or=45', 'or'],
    ['flip=x', 'flip'],
    ['fp-x=2', 'fp-x'],
    ['invert=maybe', 'invert'],
    ['frame=3', 'frame'],
    ['w=8000&h=8000&fit=scale', 'requested image'],
  ])('%s answers 400 naming %s', async (query, name) => {
    const {response, body} = await get(`${base}?${query}`)
    expect(response.status).toBe(400)
    const error = errorOf(JSON.parse(body.toString()) as Record<string, unknown>)
    expect(String(error.description)).toContain(name)
  })

  it('ignores parameters it does not know, like a CDN ignores a cache buster', async () => {
    const {response, body} = await get(`${base}?v=2&utm_source=x`)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-sanity-sha1')).toBe(sha1(body))
  })
})
