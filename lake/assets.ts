import {createHash, randomBytes} from 'node:crypto'

import {z} from 'zod'

import {analyzeFile, analyzeImage, DEFAULT_METADATA, EXTRACTABLE_METADATA, IMAGE_FORMATS, type ImageFormat, type MetadataName} from './assets-image'
import {assetFilesOf, assetIdOfFile, attachAssetFiles, FILE_ASSET_TYPE, IMAGE_ASSET_TYPE, type AssetKind} from './assets-store'
import {mimeOfOutput, outputFormat, parseImageTransform, renderImage, transformKey} from './assets-transform'
import type {LakeDocument} from './documents'
import {LakeError} from './errors'
import type {LakeHandler, LakeRequest, RouteContext} from './http'

/**
 * Sanity's assets API on the lake:
 *
 *   POST /v<version>/assets/images/<dataset>   upload an image (token or Studio session)
 *   POST /v<version>/assets/files/<dataset>    upload any file
 *   GET  /images/<projectId>/<dataset>/<sha1>-<w>x<h>.<ext>[/<vanity>][?w=…]   the image, transformed
 *   GET  /files/<projectId>/<dataset>/<sha1>.<ext>[/<vanity>]                  the file
 *
 * Uploads answer `{document}` with a `sanity.imageAsset` / `sanity.fileAsset` document whose id
 * Sanity's tools parse (`image-<sha1>-<w>x<h>-<ext>`, `file-<sha1>-<ext>`); the same bytes
 * give the same document. The serving paths are the CDN's, so `@sanity/image-url` and the
 * Studio reach them by using the lake's origin as their base URL.
 */

export interface AssetOptions {
  /** Largest upload in bytes (413 above it). Default 32 MiB. */
  maxBytes?: number
  /** Largest image in pixels, width × height, when uploaded and when produced (400 above it). Default 50 million. */
  maxPixels?: number
  /** Memory for transformed images kept for repeated requests. Default 64 MiB. */
  cacheBytes?: number
}

export const DEFAULT_ASSET_OPTIONS: Required<AssetOptions> = {
  maxBytes: 32 * 1024 * 1024,
  maxPixels: 50_000_000,
  cacheBytes: 64 * 1024 * 1024,
}

const KIND_OF_SEGMENT: Record<string, AssetKind> = {images: 'image', files: 'file'}
const TYPE_OF_KIND: Record<AssetKind, string> = {image: IMAGE_ASSET_TYPE, file: FILE_ASSET_TYPE}

/** Content-addressed URLs never change meaning, so caches may keep them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

/** Registers the assets API on a lake handler and keeps its datasets' asset folders in step. */
export function registerAssetRoutes(handler: LakeHandler, options: AssetOptions = {}): void {
  const limits = {...DEFAULT_ASSET_OPTIONS, ...options}
  attachAssetFiles(handler.store, handler.options.log)
  const cache = new ByteLru(limits.cacheBytes)
  const inflight = new Map<string, Promise<LakeDocument>>()

  handler
    .route('POST', /^\/assets\/(images|files)\/([^/]+)$/, (ctx) => upload(ctx, KIND_OF_SEGMENT[ctx.match[1] ?? ''] ?? 'file', limits, inflight))
    .route('GET', /^\/images\/([^/]+)\/([^/]+)\/([^/]+)(?:\/[^/]*)?$/, (ctx) => serve(ctx, 'image', limits, cache))
    .route('GET', /^\/files\/([^/]+)\/([^/]+)\/([^/]+)(?:\/[^/]*)?$/, (ctx) => serve(ctx, 'file', limits, cache))
}

function decoded(value: string | undefined, what: string): string {
  try {
    return decodeURIComponent(value ?? '')
  } catch {
    throw new LakeError(400, 'invalidRequest', `The ${what} in the path is not valid percent-encoding`)
  }
}

// Upload.

const text = (name: string, max: number) => z.string().max(max, `${name} must be at most ${max} characters`).optional()

const uploadQuery = z.object({
  filename: text('filename', 1024),
  title: text('title', 10_000),
  description: text('description', 10_000),
  label: text('label', 1024),
  creditLine: text('creditLine', 10_000),
  sourceId: text('sourceId', 1024),
  sourceName: text('sourceName', 1024),
  sourceUrl: text('sourceUrl', 4096),
})

interface UploadOptions {
  fields: Record<string, unknown>
  filename: string | undefined
  extract: Set<MetadataName>
}

function parseUploadOptions(search: URLSearchParams): UploadOptions {
  const single: Record<string, string> = {}
  for (const key of Object.keys(uploadQuery.shape)) {
    const value = search.get(key)
    if (value !== null) single[key] = value
  }
  const parsed = uploadQuery.safeParse(single)
  if (!parsed.success) {
    throw new LakeError(400, 'invalidRequest', `Invalid upload options: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
  }
  const {filename, title, description, label, creditLine, sourceId, sourceName, sourceUrl} = parsed.data
  if ((sourceId === undefined) !== (sourceName === undefined) || (sourceUrl !== undefined && sourceName === undefined)) {
    throw new LakeError(400, 'invalidRequest', 'Invalid upload options: sourceId and sourceName go together (sourceUrl needs them too)')
  }
  const names = search
    .getAll('meta')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean)
  for (const name of names) {
    if (!(EXTRACTABLE_METADATA as readonly string[]).includes(name)) {
      throw new LakeError(400, 'invalidRequest', `Invalid upload options: meta=${name} is unknown; use ${EXTRACTABLE_METADATA.join(', ')}`)
    }
  }
  const chosen = (names.length === 0 ? DEFAULT_METADATA : names) as MetadataName[]
  const extract = new Set<MetadataName>(chosen.includes('none') ? [] : chosen)
  // A path in the filename would leak the uploader's folder names.
  const baseName = filename?.split(/[\\/]/).pop()?.trim() || undefined
  return {
    filename: baseName,
    extract,
    fields: {
      ...(baseName ? {originalFilename: baseName} : {}),
      ...(title === undefined ? {} : {title}),
      ...(description === undefined ? {} : {description}),
      ...(label === undefined ? {} : {label}),
      ...(creditLine === undefined ? {} : {creditLine}),
      ...(sourceName === undefined ? {} : {source: {id: sourceId, name: sourceName, ...(sourceUrl === undefined ? {} : {url: sourceUrl})}}),
    },
  }
}

async function readUpload(req: LakeRequest, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new LakeError(413, 'payloadTooLarge', `The upload is larger than the lake's limit of ${formatBytes(maxBytes)} (${maxBytes} bytes); upload a smaller file`)
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array)
    size += buffer.length
    if (size > maxBytes) throw tooLarge()
    chunks.push(buffer)
  }
  if (size === 0) throw new LakeError(400, 'invalidRequest', 'The upload is empty; send the file as the request body')
  return Buffer.concat(chunks)
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${Math.round((bytes / 1024) * 10) / 10} KiB`
}

/**
 * The origin asset URLs point at: the lake's own plain-HTTP loopback address and port. It works
 * for Node scripts and (loopback counts as secure) from the Studio's HTTPS pages alike.
 */
function lakeOrigin(req: LakeRequest): string {
  const socket = 'socket' in req ? (req.socket as {localAddress?: string; localPort?: number} | undefined) : undefined
  const address = socket?.localAddress?.replace(/^::ffff:/, '')
  if (address && socket?.localPort) return `http://${address.includes(':') ? `[${address}]` : address}:${socket.localPort}`
  return `http://${String(req.headers.host ?? '127.0.0.1')}`
}

async function upload(ctx: RouteContext, kind: AssetKind, limits: Required<AssetOptions>, inflight: Map<string, Promise<LakeDocument>>): Promise<void> {
  if (!ctx.authenticated) {
    throw new LakeError(401, 'unauthorized', 'Uploading assets needs a token (Authorization: Bearer <token>) or the Studio session')
  }
  const datasetName = decoded(ctx.match[2], 'dataset name')
  const dataset = ctx.store.dataset(datasetName)
  const options = parseUploadOptions(ctx.url.searchParams)
  const bytes = await readUpload(ctx.req, limits.maxBytes)
  const sha1 = createHash('sha1').update(bytes).digest('hex')
  const declaredType = ctx.req.headers['content-type']

  let id: string
  let folder: string
  let fileName: string
  let details: Record<string, unknown>
  if (kind === 'image') {
    const image = await analyzeImage(bytes, {declaredType, maxPixels: limits.maxPixels, extract: options.extract})
    id = `image-${sha1}-${image.width}x${image.height}-${image.extension}`
    folder = 'images'
    fileName = `${sha1}-${image.width}x${image.height}.${image.extension}`
    details = {extension: image.extension, mimeType: image.mimeType, metadata: image.metadata}
  } else {
    const file = await analyzeFile(bytes, {declaredType, filename: options.filename})
    id = `file-${sha1}-${file.extension}`
    folder = 'files'
    fileName = `${sha1}.${file.extension}`
    details = {extension: file.extension, mimeType: file.mimeType}
  }
  const path = `${folder}/${ctx.options.projectId}/${dataset.name}/${fileName}`
  const body = {
    _id: id,
    _type: TYPE_OF_KIND[kind],
    assetId: sha1,
    ...details,
    ...options.fields,
    path,
    sha1hash: sha1,
    size: bytes.length,
    uploadId: randomBytes(16).toString('hex'),
    url: `${lakeOrigin(ctx.req)}/${path}`,
  }

  // Concurrent uploads of the same bytes share one write.
  const key = `${dataset.name}\u0000${id}`
  let pending = inflight.get(key)
  if (!pending) {
    pending = store().finally(() => inflight.delete(key))
    inflight.set(key, pending)
  }
  ctx.send(200, {document: await pending})

  async function store(): Promise<LakeDocument> {
    const files = assetFilesOf(ctx.store, dataset)
    const existing = dataset.getDocument(id)
    if (existing) {
      // Same bytes, same asset; bring back the bytes if the document came without them (e.g. a mutation).
      if (!files.has(id)) files.write(id, bytes)
      return existing
    }
    files.write(id, bytes)
    try {
      const result = await dataset.transaction([{createIfNotExists: body}], ctx.author ? {identity: ctx.author} : {})
      const stored = result.results[0]?.document ?? dataset.getDocument(id)
      if (!stored) throw new Error(`asset ${id} was not stored`)
      return stored
    } catch (error) {
      if (!dataset.getDocument(id)) files.remove(id)
      throw error
    }
  }
}

// Serving.

const EXTENSION_FORMAT: Record<string, ImageFormat> = Object.fromEntries(
  Object.entries(IMAGE_FORMATS).map(([format, info]) => [info.extension, format as ImageFormat]),
)

/** Types a browser would run or render as a page: always downloaded, never shown inline. */
const ACTIVE_TYPES = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/javascript|application\/x-shockwave-flash)\b/

function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (typeof header !== 'string') return false
  return header === '*' || header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag)
}

async function serve(ctx: RouteContext, kind: AssetKind, limits: Required<AssetOptions>, cache: ByteLru): Promise<void> {
  const notFound = () => new LakeError(404, 'assetNotFound', `No ${kind} at ${ctx.url.pathname}`)
  const projectId = decoded(ctx.match[1], 'project id')
  const datasetName = decoded(ctx.match[2], 'dataset name')
  const fileName = decoded(ctx.match[3], 'file name')
  // Anonymous readers never open (let alone create) a dataset that is not there.
  if (projectId !== ctx.options.projectId || !ctx.store.hasDataset(datasetName)) throw notFound()
  const dataset = ctx.store.dataset(datasetName)
  const id = assetIdOfFile(kind, fileName)
  const doc = id ? dataset.getDocument(id) : undefined
  if (!id || !doc || doc._type !== TYPE_OF_KIND[kind]) throw notFound()
  const bytes = assetFilesOf(ctx.store, dataset).read(id)
  if (!bytes) {
    ctx.options.log(`lake: asset document ${id} in dataset "${dataset.name}" has no stored bytes`)
    throw notFound()
  }
  const sha1 = String(doc.sha1hash ?? '')
  const originalName = typeof doc.originalFilename === 'string' ? doc.originalFilename : fileName
  const headers: Record<string, string> = {
    'cache-control': IMMUTABLE,
    'x-content-type-options': 'nosniff',
    // Whatever the bytes are, they never run script in this origin.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  }

  let body: Buffer = bytes
  let mimeType = typeof doc.mimeType === 'string' ? doc.mimeType : 'application/octet-stream'
  let etag = `"${sha1}"`
  const download = ctx.url.searchParams.get('dl')
  if (kind === 'image') {
    const transform = parseImageTransform(ctx.url.searchParams)
    const parts = /^[a-f0-9]{40}-(\d+)x(\d+)\.([a-z0-9]+)$/.exec(fileName)
    const format = EXTENSION_FORMAT[parts?.[3] ?? '']
    if (!parts || !format) throw notFound()
    const accept = ctx.req.headers.accept
    const output = outputFormat(transform, format, accept)
    if (transform.autoFormat) headers.vary = 'Accept'
    if (output !== undefined) {
      const key = `${dataset.name}/${id}|${transformKey(transform, output)}`
      etag = `"${sha1}-${createHash('sha1').update(key).digest('hex').slice(0, 16)}"`
      if (etagMatches(ctx.req.headers['if-none-match'], etag)) return notModified(ctx, etag, headers)
      let rendered = cache.get(key)
      if (!rendered) {
        const result = await renderImage(bytes, {format, width: Number(parts[1]), height: Number(parts[2])}, transform, output, limits)
        rendered = result.body
        cache.set(key, rendered)
      }
      body = rendered
      mimeType = mimeOfOutput(output)
    } else {
      headers['x-sanity-sha1'] = sha1
    }
  } else {
    headers['x-sanity-sha1'] = sha1
  }
  if (etagMatches(ctx.req.headers['if-none-match'], etag)) return notModified(ctx, etag, headers)
  if (download !== null || ACTIVE_TYPES.test(mimeType)) headers['content-disposition'] = attachment(download || originalName)

  const {res} = ctx
  res.statusCode = 200
  res.setHeader('content-type', mimeType)
  res.setHeader('content-length', body.length)
  res.setHeader('etag', etag)
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(ctx.method === 'HEAD' ? undefined : body)
}

function notModified(ctx: RouteContext, etag: string, headers: Record<string, string>): void {
  ctx.res.statusCode = 304
  ctx.res.setHeader('etag', etag)
  for (const [name, value] of Object.entries(headers)) ctx.res.setHeader(name, value)
  ctx.res.end()
}

/** Least-recently-used buffers up to a byte budget. */
class ByteLru {
  readonly #budget: number
  readonly #entries = new Map<string, Buffer>()
  #bytes = 0

  constructor(budget: number) {
    this.#budget = budget
  }

  get(key: string): Buffer | undefined {
    const value = this.#entries.get(key)
    if (value) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  set(key: string, value: Buffer): void {
    if (value.length > this.#budget / 4) return
    const previous = this.#entries.get(key)
    if (previous) this.#bytes -= previous.length
    this.#entries.delete(key)
    this.#entries.set(key, value)
    this.#bytes += value.length
    for (const [oldest, buffer] of this.#entries) {
      if (this.#bytes <= this.#budget) break
      this.#entries.delete(oldest)
      this.#bytes -= buffer.length
    }
  }
}
