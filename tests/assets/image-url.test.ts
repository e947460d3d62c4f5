/**
 * The package's image-URL helper: the same call builds URLs for the local lake and for a hosted
 * project, responsive attributes honour the editor's crop, and the module bundles for browsers.
 */
import {join} from 'node:path'

import {createClient} from '@sanity/client'
import {build} from 'esbuild'
import {describe, expect, it} from 'vitest'

import {imageUrls, type QueriedImage, responsiveImage} from '../../queries/images'
import {ROOT} from '../studio/support'

const ASSET = 'image-0123456789abcdef0123456789abcdef01234567-1000x1500-jpg'
const poster: QueriedImage = {
  asset: {_ref: ASSET},
  crop: {top: 0, bottom: 0.2, left: 0, right: 0},
  hotspot: {x: 0.5, y: 0.3, width: 0.4, height: 0.3},
  alt: 'A poster',
  dimensions: {width: 1000, height: 1500, aspectRatio: 2 / 3},
  lqip: 'data:image/jpeg;base64,AAAA',
}
const common = {dataset: 'production', apiVersion: '2025-02-19', useCdn: false}

describe('imageUrls', () => {
  it('points a local lake client at the lake itself, and a hosted client at the CDN', () => {
    const lake = createClient({...common, projectId: 'local', apiHost: 'http://127.0.0.1:3434', useProjectHostname: false})
    const hosted = createClient({...common, projectId: 'abc123'})
    const staging = createClient({...common, projectId: 'abc123', apiHost: 'https://api.sanity.work'})
    const url = (client: Parameters<typeof imageUrls>[0]) => imageUrls(client).image(poster).width(200).url()
    expect(url(lake)).toBe('http://127.0.0.1:3434/images/local/production/0123456789abcdef0123456789abcdef01234567-1000x1500.jpg?rect=0,0,1000,1200&w=200')
    expect(url(hosted)).toBe('https://cdn.sanity.io/images/abc123/production/0123456789abcdef0123456789abcdef01234567-1000x1500.jpg?rect=0,0,1000,1200&w=200')
    expect(url(staging)).toBe('https://cdn.sanity.work/images/abc123/production/0123456789abcdef0123456789abcdef01234567-1000x1500.jpg?rect=0,0,1000,1200&w=200')
  })
})

describe('responsiveImage', () => {
  const builder = imageUrls({projectId: 'abc123', dataset: 'production'})
  const base = 'https://cdn.sanity.io/images/abc123/production/0123456789abcdef0123456789abcdef01234567-1000x1500.jpg'

  it("gives src, srcset (1x and 2x), sizes, the box's width and height, alt and the placeholder", () => {
    expect(responsiveImage(builder, poster, {widths: [200, 300], sizes: '12rem', aspectRatio: 2 / 3})).toEqual({
      src: `${base}?rect=100,0,800,1200&w=200&h=300&auto=format`,
      srcset: [200, 300, 400, 600].map((w) => `${base}?rect=100,0,800,1200&w=${w}&h=${w * 1.5}&auto=format ${w}w`).join(', '),
      sizes: '12rem',
      width: 200,
      height: 300,
      alt: 'A poster',
      lqip: 'data:image/jpeg;base64,AAAA',
    })
  })

  it("uses the editor's crop for the aspect ratio when none is asked for, and never asks for more pixels than the original has", () => {
    const result = responsiveImage(builder, poster, {widths: [600, 900], sizes: '100vw', quality: 60})
    // 1000×1200 after the crop: 1800 and 1200 wide would be upscaled, so they are left out.
    expect(result?.srcset.split(', ').map((candidate) => candidate.split(' ')[1])).toEqual(['600w', '900w'])
    expect([result?.width, result?.height]).toEqual([600, 720])
    expect(result?.src).toBe(`${base}?rect=0,0,1000,1200&w=600&h=720&q=60&auto=format`)
  })

  it('answers undefined for an image field without an asset, and empty alt when the editor gave none', () => {
    expect(responsiveImage(builder, null, {widths: [100], sizes: '1px'})).toBeUndefined()
    expect(responsiveImage(builder, {asset: null}, {widths: [100], sizes: '1px'})).toBeUndefined()
    const bare = responsiveImage(builder, {asset: {_ref: ASSET}}, {widths: [100], sizes: '100px', aspectRatio: 1})
    expect(bare).toMatchObject({alt: '', lqip: undefined, width: 100, height: 100})
  })
})

describe('frontend safety', () => {
  it('bundles for browsers without any Node built-in', async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'queries/images.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((input) => input.includes('@sanity/image-url'))).toBe(true)
    expect(inputs.filter((input) => input.startsWith('node:') || /\/node_modules\/(sharp|@sanity\/client)\//.test(input))).toEqual([])
    expect(result.outputFiles[0]?.text).toContain('cdn.sanity.io')
  })
})
