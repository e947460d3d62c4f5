import {createHash} from 'node:crypto'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {deflateSync, crc32} from 'node:zlib'

import {createClient, type SanityClient} from '@sanity/client'
import sharp from 'sharp'

import {apiVersion} from '../../lib/constants'
import {createLakeHandler, LakeStore, type LakeHandlerOptions} from '../../lake'
import {TEST_TOKEN, tempDir} from '../lake/helpers'

export {startTestLake, TEST_TOKEN, tempDir, type TestLake} from '../lake/helpers'

export const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex')

/** Colours of the four quadrants of `quadrants()`, clockwise from the top left. */
export const QUADRANTS = {
  topLeft: [220, 30, 30],
  topRight: [30, 180, 60],
  bottomLeft: [40, 60, 220],
  bottomRight: [240, 220, 40],
} as const

/**
 * A test image whose four quadrants have distinct flat colours, so a crop or rect can be
 * checked by looking at the colour of what comes back.
 */
export async function quadrants(width: number, height: number, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour =
        y < height / 2 ? (x < width / 2 ? QUADRANTS.topLeft : QUADRANTS.topRight) : x < width / 2 ? QUADRANTS.bottomLeft : QUADRANTS.bottomRight
      raw.set(colour, (y * width + x) * 3)
    }
  }
  const image = sharp(raw, {raw: {width, height, channels: 3}})
  return format === 'png' ? image.png().toBuffer() : format === 'jpeg' ? image.jpeg({quality: 95}).toBuffer() : image.webp({lossless: true}).toBuffer()
}

/** A half-transparent PNG (alpha present, not opaque). */
export async function translucentPng(width = 40, height = 30): Promise<Buffer> {
  return sharp({create: {width, height, channels: 4, background: {r: 10, g: 120, b: 200, alpha: 0.5}}}).png().toBuffer()
}

/** Mean colour of an image (or of the whole frame of a response body). */
export async function meanColour(bytes: Uint8Array): Promise<number[]> {
  const stats = await sharp(bytes).stats()
  return stats.channels.slice(0, 3).map((channel) => Math.round(channel.mean))
}

export function near(actual: readonly number[], expected: readonly number[], tolerance = 12): boolean {
  return actual.length >= expected.length && expected.every((value, index) => Math.abs((actual[index] ?? -999) - value) <= tolerance)
}

/**
 * A PNG that claims `width`×`height` pixels in its header but carries only a few bytes of
 * data: a decompression bomb that must be refused before anything is decoded.
 */
export function pngBomb(width = 30_000, height = 30_000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 0 // greyscale
  // One row of zeros compresses to a few bytes; the rest would be decompressed on decode.
  const idat = deflateSync(Buffer.alloc(width + 1))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))])
}

/** A lake handler with its own options (e.g. small asset limits) on a free loopback port. */
export async function startCustomLake(options: Omit<LakeHandlerOptions, 'token'>): Promise<{url: string; dir: string; client: SanityClient; close(): Promise<void>}> {
  const dir = tempDir('assets-lake-')
  const store = new LakeStore(dir)
  const handler = createLakeHandler(store, {...options, token: TEST_TOKEN})
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    dir,
    client: createClient({projectId: 'local', dataset: 'test', apiVersion, apiHost: url, useProjectHostname: false, useCdn: false, token: TEST_TOKEN}),
    close: async () => {
      handler.closeStreams()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      store.close()
    },
  }
}

/** Raw upload with fetch (to control headers exactly); returns status and JSON body. */
export async function rawUpload(
  baseUrl: string,
  kind: 'images' | 'files',
  body: Uint8Array,
  options: {token?: string | undefined; contentType?: string; query?: string; dataset?: string} = {},
): Promise<{status: number; body: Record<string, unknown>}> {
  const response = await fetch(`${baseUrl}/v${apiVersion}/assets/${kind}/${options.dataset ?? 'test'}${options.query ? `?${options.query}` : ''}`, {
    method: 'POST',
    headers: {
      ...(options.token ? {authorization: `Bearer ${options.token}`} : {}),
      ...(options.contentType ? {'content-type': options.contentType} : {}),
    },
    body: new Uint8Array(body),
  })
  return {status: response.status, body: (await response.json()) as Record<string, unknown>}
}

export function errorOf(body: Record<string, unknown>): {type?: unknown; description?: unknown} {
  const error = body.error
  return typeof error === 'object' && error !== null ? (error as {type?: unknown; description?: unknown}) : {}
}
