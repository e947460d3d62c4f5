/**
 * Uploads the lake refuses: every refusal is a 4xx that names the problem, and nothing is
 * stored (no asset document, no bytes on disk).
 */
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {errorOf, pngBomb, quadrants, rawUpload, sha1, startCustomLake, startTestLake, TEST_TOKEN, type TestLake} from './support'

let t: TestLake

beforeAll(async () => {
  t = await startTestLake()
  // The dataset exists (so "nothing stored" is checked against a real, empty asset folder).
  await t.client.createOrReplace({_id: 'film-her', _type: 'film', title: 'Her'})
})

afterAll(async () => {
  await t.stop()
})

function storedFiles(dir: string): string[] {
  const folder = join(dir, 'datasets', 'test.assets')
  if (!existsSync(folder)) return []
  return readdirSync(folder, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
}

async function expectRefused(
  kind: 'images' | 'files',
  body: Uint8Array,
  options: {contentType?: string; query?: string},
  expected: {status: number; type: string; description: RegExp},
) {
  const before = await t.client.fetch<number>('count(*[_type match "sanity.*Asset"])')
  const result = await rawUpload(t.lake.url, kind, body, {token: TEST_TOKEN, ...options})
  expect({status: result.status, type: errorOf(result.body).type}).toEqual({status: expected.status, type: expected.type})
  expect(String(errorOf(result.body).description)).toMatch(expected.description)
  expect(await t.client.fetch('count(*[_type match "sanity.*Asset"])')).toBe(before)
  expect(storedFiles(t.dir)).toEqual([])
}

describe('images the lake refuses', () => {
  it('bytes that are not an image', async () => {
    await expectRefused('images', Buffer.from('just some text, not a picture'), {contentType: 'image/png'}, {status: 400, type: 'invalidImage', description: /not an image the lake can read; send JPEG, PNG/})
  })

  it('bytes that are a different image type than declared', async () => {
    const png = await quadrants(20, 20, 'png')
    await expectRefused('images', png, {contentType: 'image/jpeg'}, {status: 400, type: 'mismatchedContentType', description: /declared as image\/jpeg, but its bytes are image\/png/})
  })

  it('a decompression bomb: a tiny file claiming 30000×30000 pixels, refused before decoding', async () => {
    const bomb = pngBomb()
    expect(bomb.length).toBeLessThan(40_000)
    await expectRefused('images', bomb, {contentType: 'image/png'}, {status: 400, type: 'imageTooLarge', description: /30000×30000 pixels \(900 megapixels\), above the lake's limit of 50 megapixels/})
  })

  it('a truncated image', async () => {
    const jpeg = await sharp({create: {width: 300, height: 300, channels: 3, background: '#888'}}).jpeg().toBuffer()
    await expectRefused('images', jpeg.subarray(0, Math.floor(jpeg.length / 2)), {contentType: 'image/jpeg'}, {status: 400, type: 'invalidImage', description: /could not be decoded/})
  })

  it('an empty body', async () => {
    await expectRefused('images', Buffer.alloc(0), {contentType: 'image/png'}, {status: 400, type: 'invalidRequest', description: /upload is empty/})
  })

  it.each([
    ['a script element', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', /a <script> element/],
    ['an event handler', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>', /event handler attribute \(onload/],
    ['a javascript: link', '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>', /link to another resource/],
    ['an entity-encoded javascript: URL', '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1" fill="&#106;avascript:x"/></svg>', /script URL/],
    ['an external image', '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/pixel.png" width="1" height="1"/></svg>', /link to another resource/],
    ['a foreignObject with HTML', '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>', /<foreignObject> element/],
    ['entity declarations', '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>', /DOCTYPE with an internal subset/],
    ['a style that imports', '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/x.css);</style><rect width="1" height="1"/></svg>', /<style> that loads another resource/],
    ['an animated href', '<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/><rect width="1" height="1"/></a></svg>', /animation of href/],
  ])('an SVG with %s', async (_what, svg, description) => {
    await expectRefused('images', Buffer.from(svg), {contentType: 'image/svg+xml'}, {status: 400, type: 'unsafeSvg', description})
  })

  it('XML that is not an SVG', async () => {
    await expectRefused('images', Buffer.from('<?xml version="1.0"?><html><body>hi</body></html>'), {}, {status: 400, type: 'invalidImage', description: /root element is <html>/})
  })

  it('accepts a plain SVG, serves it sandboxed and rasterises it for transforms', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60"><rect width="120" height="60" fill="#336699"/><circle cx="30" cy="30" r="20" fill="url(#g)"/><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs></svg>')
    const document = await t.client.assets.upload('image', svg, {contentType: 'image/svg+xml', filename: 'logo.svg'})
    expect(document._id).toBe(`image-${sha1(svg)}-120x60-svg`)
    const original = await fetch(document.url)
    expect(original.headers.get('content-type')).toBe('image/svg+xml')
    expect(original.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox")
    const raster = await fetch(`${document.url}?w=60`)
    expect(raster.headers.get('content-type')).toBe('image/png')
    expect((await sharp(Buffer.from(await raster.arrayBuffer())).metadata()).width).toBe(60)
    await t.client.delete(document._id)
  })
})

describe('files the lake refuses', () => {
  it('bytes that are recognisably not the declared type', async () => {
    const png = await quadrants(10, 10)
    await expectRefused('files', png, {contentType: 'application/pdf', query: 'filename=report.pdf'}, {status: 400, type: 'mismatchedContentType', description: /declared as application\/pdf, but its bytes are image\/png/})
  })

  it('an SVG file with a script', async () => {
    await expectRefused('files', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), {query: 'filename=logo.svg'}, {status: 400, type: 'unsafeSvg', description: /<script> element/})
  })

  it('upload options the API does not take', async () => {
    await expectRefused('files', Buffer.from('x'), {query: 'sourceName=only-a-name'}, {status: 400, type: 'invalidRequest', description: /sourceId and sourceName go together/})
    await expectRefused('files', Buffer.from('x'), {query: `title=${'t'.repeat(10_001)}`}, {status: 400, type: 'invalidRequest', description: /title must be at most 10000 characters/})
  })
})

describe('size limits', () => {
  it('refuses an upload above the limit with 413 before storing anything, declared or streamed', async () => {
    const lake = await startCustomLake({assets: {maxBytes: 64 * 1024}})
    try {
      const big = Buffer.alloc(100 * 1024, 7)
      const declared = await rawUpload(lake.url, 'files', big, {token: TEST_TOKEN})
      expect(declared.status).toBe(413)
      expect(String(errorOf(declared.body).description)).toBe("The upload is larger than the lake's limit of 64 KiB (65536 bytes); upload a smaller file")
      // Without a Content-Length the limit holds while reading.
      const streamed = await fetch(`${lake.url}/v2025-02-19/assets/files/test`, {
        method: 'POST',
        headers: {authorization: `Bearer ${TEST_TOKEN}`},
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(16 * 1024))
            controller.close()
          },
        }),
        duplex: 'half',
      } as RequestInit)
      expect(streamed.status).toBe(413)
      expect(await lake.client.fetch('count(*[_type match "sanity.*Asset"])')).toBe(0)
      expect(storedFiles(lake.dir)).toEqual([])
    } finally {
      await lake.close()
    }
  })

  it('refuses images above a lower pixel limit', async () => {
    const lake = await startCustomLake({assets: {maxPixels: 10_000}})
    try {
      const result = await rawUpload(lake.url, 'images', await quadrants(200, 100), {token: TEST_TOKEN})
      expect(result.status).toBe(400)
      expect(String(errorOf(result.body).description)).toContain('200×100 pixels')
      expect((await rawUpload(lake.url, 'images', await quadrants(100, 100), {token: TEST_TOKEN})).status).toBe(200)
    } finally {
      await lake.close()
    }
  })
})
