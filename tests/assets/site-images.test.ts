/**
 * Posters and portraits on the reference site, from the typed queries through the image helper:
 * the HTML (srcset, sizes, width/height, alt, LQIP, JSON-LD), every URL it names answering with
 * an image of the width it claims, and the pages in Chromium at phone and desktop widths.
 */
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {chromium, type Browser} from 'playwright-core'
import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fetchTyped} from '../../queries/fetch'
import {filmPageQuery, personPageQuery} from '../../queries/index'
import {HER_SLUG, jsonLdOf, startSite, type SiteFixture} from '../site/support'
import {chromiumPath, ROOT} from '../studio/support'
import {sha1} from './support'

const POSTER_FILE = join(ROOT, 'seed/her-2013-poster.jpg')
const SCREENSHOTS = join(ROOT, 'test-results/assets')

let site: SiteFixture
let poster: Buffer
let posterId: string
let portraitId: string

beforeAll(async () => {
  site = await startSite()
  poster = readFileSync(POSTER_FILE)
  const posterAsset = await site.client.assets.upload('image', poster, {filename: 'her-2013-poster.jpg'})
  posterId = posterAsset._id
  const portrait = await sharp({create: {width: 480, height: 600, channels: 3, background: '#6b4f3a'}})
    .composite([{input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="600"><circle cx="240" cy="230" r="120" fill="#e7c7a5"/><rect x="110" y="380" width="260" height="220" rx="110" fill="#31506b"/></svg>')}])
    .jpeg()
    .toBuffer()
  portraitId = (await site.client.assets.upload('image', portrait, {filename: 'joaquin.jpg'}))._id
  await site.client
    .transaction()
    .patch('film-her-2013', (patch) =>
      patch.set({
        poster: {
          _type: 'image',
          asset: {_type: 'reference', _ref: posterId},
          alt: 'Poster: the word "her" under a glowing earpiece on a coral sky',
          // The editor's choice: the top third is cropped away, the hotspot is on the earpiece.
          crop: {_type: 'sanity.imageCrop', top: 0.1, bottom: 0, left: 0, right: 0},
          hotspot: {_type: 'sanity.imageHotspot', x: 0.5, y: 0.4, width: 0.5, height: 0.4},
        },
      }),
    )
    .patch('person-joaquin-phoenix', (patch) =>
      patch.set({image: {_type: 'image', asset: {_type: 'reference', _ref: portraitId}, alt: 'Joaquin Phoenix, drawn as a simple figure'}}),
    )
    .commit()
})

afterAll(async () => {
  await site?.close()
})

const page = async (path: string) => {
  const response = await fetch(`${site.baseUrl}${path}`)
  expect(response.status).toBe(200)
  return {html: await response.text(), csp: response.headers.get('content-security-policy') ?? ''}
}

/** Attributes of the `<img class="picture">` elements of a page. */
function pictures(html: string): Record<string, string>[] {
  return [...html.matchAll(/<img class="picture" ([^>]*)>/g)].map((match) =>
    Object.fromEntries([...(match[1] ?? '').matchAll(/([a-z-]+)="([^"]*)"/g)].map((attribute) => [attribute[1] ?? '', (attribute[2] ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"')])),
  )
}

describe('the queries', () => {
  it('return what a frontend needs for an image: asset, crop, hotspot, alt, size and LQIP', async () => {
    const film = await fetchTyped(site.client, filmPageQuery, {slug: 'her-2013'})
    expect(film?.poster).toEqual({
      asset: {_type: 'reference', _ref: posterId},
      crop: {_type: 'sanity.imageCrop', top: 0.1, bottom: 0, left: 0, right: 0},
      hotspot: {_type: 'sanity.imageHotspot', x: 0.5, y: 0.4, width: 0.5, height: 0.4},
      alt: 'Poster: the word "her" under a glowing earpiece on a coral sky',
      dimensions: {width: 400, height: 600, aspectRatio: 400 / 600},
      lqip: expect.stringMatching(/^data:image\/jpeg;base64,/) as unknown as string,
    })
    const joaquin = film?.cast?.find((member) => member.slug === 'joaquin-phoenix')
    expect(joaquin?.portrait?.asset?._ref).toBe(portraitId)
    const others = film?.cast?.filter((member) => member.slug !== 'joaquin-phoenix') ?? []
    expect(others.length).toBeGreaterThan(0)
    expect(others.every((member) => member.portrait === null)).toBe(true)
    const person = await fetchTyped(site.client, personPageQuery, {slug: 'joaquin-phoenix'})
    expect(person?.image).toMatchObject({asset: {_ref: portraitId}, dimensions: {width: 480, height: 600}, crop: null, hotspot: null})
  })
})

describe('the pages', () => {
  it('show the poster on the film page with srcset, sizes, width/height, alt and an LQIP placeholder', async () => {
    const {html, csp} = await page('/films/her-2013')
    const [posterImage, ...faces] = pictures(html)
    expect(posterImage).toMatchObject({
      sizes: '(max-width: 30rem) 8rem, 12rem',
      width: '128',
      height: '192',
      alt: 'Poster: the word "her" under a glowing earpiece on a coral sky',
      fetchpriority: 'high',
      decoding: 'async',
    })
    const base = `${site.lake.lake.url}/images/local/production/${sha1(poster)}-400x600.jpg`
    expect(posterImage?.src).toBe(`${base}?rect=20,60,360,540&w=128&h=192&auto=format`)
    expect(posterImage?.srcset?.split(', ')).toEqual([128, 192, 256].map((w) => `${base}?rect=20,60,360,540&w=${w}&h=${w * 1.5}&auto=format ${w}w`))
    expect(html).toMatch(/<span class="media media-filmPoster"><img class="lqip" src="data:image\/jpeg;base64,[^"]+" alt="" aria-hidden="true" width="128" height="192">/)
    expect(faces).toHaveLength(1)
    expect(faces[0]).toMatchObject({alt: 'Joaquin Phoenix, drawn as a simple figure', width: '48', height: '48', loading: 'lazy'})
    expect(jsonLdOf(html)[0]).toMatchObject({'@type': 'Movie', image: `${base}?rect=0,60,400,540&w=1200&fit=max`})
    expect(csp).toContain("img-src 'self' data: https: http://127.0.0.1:* http://localhost:*")
  })

  it('show the portrait on the person page, the poster in the review header and on the list', async () => {
    const person = pictures((await page('/people/joaquin-phoenix')).html)
    expect(person).toHaveLength(1)
    expect(person[0]).toMatchObject({width: '160', height: '200', sizes: '(max-width: 30rem) 10rem, 15rem'})
    const review = (await page(`/reviews/${HER_SLUG}`)).html
    expect(pictures(review)[0]).toMatchObject({width: '64', height: '96', alt: 'Poster: the word "her" under a glowing earpiece on a coral sky', loading: 'lazy'})
    const list = pictures((await page('/')).html)
    expect(list.length).toBeGreaterThan(1)
    expect(list.every((image) => image.src?.includes(sha1(poster)))).toBe(true)
  })

  it('name only URLs that answer with an image of the width they claim', async () => {
    const urls = new Map<string, number>()
    for (const path of ['/films/her-2013', '/people/joaquin-phoenix', `/reviews/${HER_SLUG}`]) {
      for (const image of pictures((await page(path)).html)) {
        for (const candidate of (image.srcset ?? '').split(', ')) {
          const [url = '', width = ''] = candidate.split(' ')
          urls.set(url, Number.parseInt(width, 10))
        }
      }
    }
    expect(urls.size).toBeGreaterThanOrEqual(7)
    for (const [url, width] of urls) {
      const response = await fetch(url, {headers: {accept: 'image/webp,*/*'}})
      expect(response.status).toBe(200)
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata()
      expect({url, width: meta.width, format: meta.format}).toEqual({url, width, format: 'webp'})
    }
  })

  it('show no picture (and no broken image) for a film or person without one', async () => {
    const html = (await page('/people/spike-jonze')).html
    expect(pictures(html)).toEqual([])
    expect(html).not.toContain('class="media')
  })
})

describe('in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, {recursive: true})
    browser = await chromium.launch({executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']})
  })

  afterAll(async () => {
    await browser?.close()
  })

  it.each([
    {name: 'phone', viewport: {width: 390, height: 844}, deviceScaleFactor: 2, posterCss: 128, chosen: 256},
    {name: 'desktop', viewport: {width: 1280, height: 900}, deviceScaleFactor: 1, posterCss: 192, chosen: 192},
  ])('loads the poster and portraits at $name width, picking a srcset size for the screen', async ({name, viewport, deviceScaleFactor, posterCss, chosen}) => {
    const context = await browser.newContext({viewport, deviceScaleFactor})
    const errors: string[] = []
    try {
      const tab = await context.newPage()
      // Every request of the page must succeed (the site has no favicon; browsers ask anyway).
      const watch = (target: typeof tab) => {
        target.on('response', (response) => {
          if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) errors.push(`${response.status()} ${response.url()}`)
        })
        target.on('requestfailed', (request) => errors.push(`failed: ${request.url()}`))
      }
      watch(tab)
      await tab.goto(`${site.baseUrl}/films/her-2013`)
      const poster = tab.locator('.media-filmPoster img.picture')
      await poster.scrollIntoViewIfNeeded()
      await tab.waitForFunction(() => [...document.querySelectorAll('img.picture')].every((image) => image instanceof HTMLImageElement && image.complete))
      const state = await poster.evaluate((image: HTMLImageElement) => ({
        loaded: image.complete && image.naturalWidth > 0,
        naturalWidth: image.naturalWidth,
        box: [Math.round(image.getBoundingClientRect().width), Math.round(image.getBoundingClientRect().height)],
        currentSrc: image.currentSrc,
      }))
      expect(state.loaded).toBe(true)
      expect(state.box).toEqual([posterCss, posterCss * 1.5])
      expect(new URL(state.currentSrc).searchParams.get('w')).toBe(String(chosen))
      // naturalWidth is in CSS pixels: the srcset density (2x on the phone) is divided out.
      expect(state.naturalWidth).toBe(chosen / deviceScaleFactor)
      // The cast face is lazy: bring it into view, then it loads too.
      const face = tab.locator('.media-castFace img.picture')
      await face.scrollIntoViewIfNeeded()
      await tab.waitForFunction(() => {
        const image = document.querySelector('.media-castFace img.picture')
        return image instanceof HTMLImageElement && image.complete && image.naturalWidth > 0
      })
      await tab.screenshot({path: join(SCREENSHOTS, `film-${name}.png`), fullPage: false})
      const person = await context.newPage()
      watch(person)
      await person.goto(`${site.baseUrl}/people/joaquin-phoenix`)
      const portrait = person.locator('.media-portrait img.picture')
      await person.waitForFunction(() => {
        const image = document.querySelector('.media-portrait img.picture')
        return image instanceof HTMLImageElement && image.complete && image.naturalWidth > 0
      })
      expect(await portrait.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  })
})
