import {fileTypeFromBuffer, supportedMimeTypes} from 'file-type'
import {lookup as mimeOfExtension} from 'mrmime'
import {SaxesParser} from 'saxes'
import sharp, {type Metadata, type Sharp, type Stats} from 'sharp'

import {LakeError} from './errors'

/**
 * What the assets API learns from uploaded bytes, and the checks that refuse bad ones:
 * bytes that are not the declared type, images too large to decode safely, SVG that
 * could run script. Every refusal is a 4xx naming the problem; nothing is stored.
 */

export interface ImageFormatInfo {
  /** Extension in asset ids and URLs (`jpg`, not `jpeg`). */
  extension: string
  mimeType: string
}

/** Formats the image endpoint accepts (what sharp decodes from its prebuilt binaries and browsers show). */
export const IMAGE_FORMATS = {
  jpeg: {extension: 'jpg', mimeType: 'image/jpeg'},
  png: {extension: 'png', mimeType: 'image/png'},
  webp: {extension: 'webp', mimeType: 'image/webp'},
  gif: {extension: 'gif', mimeType: 'image/gif'},
  avif: {extension: 'avif', mimeType: 'image/avif'},
  tiff: {extension: 'tiff', mimeType: 'image/tiff'},
  svg: {extension: 'svg', mimeType: 'image/svg+xml'},
} as const satisfies Record<string, ImageFormatInfo>

export type ImageFormat = keyof typeof IMAGE_FORMATS

/** Metadata a caller may ask for with `meta=` (Sanity's names). Dimensions, alpha and opacity are always there. */
export const EXTRACTABLE_METADATA = ['lqip', 'palette', 'blurhash', 'thumbhash', 'exif', 'location', 'image', 'none'] as const
export type MetadataName = (typeof EXTRACTABLE_METADATA)[number]
/** What Sanity extracts when the upload names nothing. */
export const DEFAULT_METADATA: readonly MetadataName[] = ['lqip', 'palette']

export interface AnalyzedImage extends ImageFormatInfo {
  format: ImageFormat
  width: number
  height: number
  metadata: Record<string, unknown>
}

export interface ImageLimits {
  /** Largest decoded size in pixels (width × height); larger images are refused as decompression bombs. */
  maxPixels: number
}

const invalid = (type: string, description: string) => new LakeError(400, type, description)

/** `image/jpeg; charset=…` → `image/jpeg`; a few common aliases are folded into the standard name. */
export function normalizeMimeType(value: string | undefined): string | undefined {
  const type = value?.split(';')[0]?.trim().toLowerCase()
  if (!type) return undefined
  const aliases: Record<string, string> = {'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'image/x-png': 'image/png', 'application/x-zip-compressed': 'application/zip'}
  return aliases[type] ?? type
}

function formatOf(meta: Metadata): ImageFormat | undefined {
  if (meta.format === 'heif') return meta.compression === 'av1' ? 'avif' : undefined
  return meta.format in IMAGE_FORMATS ? (meta.format as ImageFormat) : undefined
}

function looksLikeXml(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('utf8').replace(/^\uFEFF/, '').trimStart()
  return head.startsWith('<')
}

/**
 * Reads an uploaded image without trusting its header: the declared content type must match,
 * the pixel count must stay under the limit before anything is decoded, and the whole image
 * must then decode. Extracts Sanity's image metadata.
 */
export async function analyzeImage(
  bytes: Buffer,
  options: ImageLimits & {declaredType?: string | undefined; extract: ReadonlySet<MetadataName>},
): Promise<AnalyzedImage> {
  if (bytes.length === 0) throw invalid('invalidImage', 'The upload is empty; send the image bytes as the request body')
  // SVG is checked as XML before any image library parses it.
  if (looksLikeXml(bytes)) assertSafeSvg(bytes)

  let meta: Metadata
  try {
    meta = await sharp(bytes, {limitInputPixels: false}).metadata()
  } catch {
    throw invalid('invalidImage', `The upload is not an image the lake can read; send ${supportedList()}`)
  }
  const format = formatOf(meta)
  if (!format) {
    throw invalid('unsupportedImageFormat', `Images in ${meta.format === 'heif' ? 'HEIF/HEIC' : meta.format} format are not supported; send ${supportedList()}`)
  }
  const info = IMAGE_FORMATS[format]
  const declared = normalizeMimeType(options.declaredType)
  if (declared && declared !== 'application/octet-stream' && declared !== info.mimeType) {
    throw invalid('mismatchedContentType', `The upload was declared as ${declared}, but its bytes are ${info.mimeType}; send the matching Content-Type (or none)`)
  }

  const width = meta.autoOrient.width
  const height = meta.autoOrient.height
  if (!(width > 0 && height > 0)) throw invalid('invalidImage', 'The image has no width or height')
  if (width * height > options.maxPixels) {
    throw invalid(
      'imageTooLarge',
      `The image is ${width}×${height} pixels (${megapixels(width * height)} megapixels), above the lake's limit of ${megapixels(options.maxPixels)} megapixels; scale it down before uploading`,
    )
  }

  // Decoding the whole image proves it is intact (a truncated file fails here, not when served).
  const decoded = sharp(bytes, {limitInputPixels: options.maxPixels, failOn: 'error'}).autoOrient()
  let stats: Stats
  try {
    stats = await decoded.clone().stats()
  } catch (error) {
    throw invalid('invalidImage', `The ${info.mimeType} image could not be decoded: ${error instanceof Error ? error.message : String(error)}`)
  }
  const hasAlpha = meta.hasAlpha
  const isOpaque = !hasAlpha || stats.isOpaque

  const metadata: Record<string, unknown> = {
    _type: 'sanity.imageMetadata',
    dimensions: {_type: 'sanity.imageDimensions', width, height, aspectRatio: width / height},
    hasAlpha,
    isOpaque,
  }
  if (options.extract.has('lqip')) metadata.lqip = await lqip(decoded, isOpaque)
  if (options.extract.has('palette')) metadata.palette = palette(stats)
  return {format, width, height, ...info, metadata}
}

function supportedList(): string {
  return 'JPEG, PNG, WebP, GIF, AVIF, TIFF or SVG'
}

function megapixels(pixels: number): string {
  return String(Math.round(pixels / 100_000) / 10)
}

/** A 20 px wide placeholder as a data URL, as Sanity's `metadata.lqip`. */
async function lqip(image: Sharp, isOpaque: boolean): Promise<string> {
  const small = image.clone().resize({width: 20, height: 20, fit: 'inside'})
  const buffer = isOpaque ? await small.jpeg({quality: 40}).toBuffer() : await small.png().toBuffer()
  return `data:image/${isOpaque ? 'jpeg' : 'png'};base64,${buffer.toString('base64')}`
}

const hex = (value: number) => Math.round(value).toString(16).padStart(2, '0')

/**
 * The dominant colour as Sanity's palette swatch (the other swatches, vibrant/muted,
 * need a colour quantiser and are left out; consumers already treat every swatch as optional).
 */
function palette(stats: Stats): Record<string, unknown> {
  const {r, g, b} = stats.dominant
  const background = `#${hex(r)}${hex(g)}${hex(b)}`
  // Relative luminance decides whether text on this colour should be light or dark.
  const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
  const foreground = luminance > 0.55 ? '#000' : '#fff'
  return {
    _type: 'sanity.imagePalette',
    dominant: {_type: 'sanity.imagePaletteSwatch', background, foreground, title: foreground},
  }
}

// SVG: refused when it could run script or load anything from elsewhere.

const FORBIDDEN_ELEMENTS = new Set(['script', 'foreignobject', 'iframe', 'embed', 'object', 'handler', 'listener', 'audio', 'video'])
const SAFE_HREF = /^(#|data:image\/(png|jpe?g|gif|webp);)/i

/** Entity-decoded, whitespace- and control-free, lower case: how a browser would read a URL attribute. */
function canonicalValue(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);?/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&#(\d+);?/g, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 10)))
    .replace(/[\u0000-\u0020\u007f-\u009f]+/g, '')
    .toLowerCase()
}

function hasExternalUrl(css: string): boolean {
  const text = canonicalValue(css)
  if (text.includes('@import') || text.includes('javascript:') || text.includes('expression(')) return true
  for (const match of text.matchAll(/url\(([^)]*)\)/g)) {
    const target = (match[1] ?? '').replace(/^['"]|['"]$/g, '')
    if (!SAFE_HREF.test(target)) return true
  }
  return false
}

/** Throws a 400 naming the first thing that makes an SVG unsafe to store and serve. */
export function assertSafeSvg(bytes: Uint8Array): void {
  const text = Buffer.from(bytes).toString('utf8')
  const problems: string[] = []
  let root: string | undefined
  let inStyle = 0
  const parser = new SaxesParser({xmlns: false})
  parser.on('doctype', (doctype) => {
    // An internal subset can declare entities (billion laughs, external entities).
    if (doctype.includes('[') || /<!ENTITY/i.test(doctype)) problems.push('a DOCTYPE with an internal subset (entity declarations)')
  })
  parser.on('processinginstruction', (pi) => {
    if (pi.target.toLowerCase() === 'xml-stylesheet') problems.push('an xml-stylesheet processing instruction')
  })
  parser.on('opentag', (tag) => {
    const name = (tag.name.split(':').pop() ?? tag.name).toLowerCase()
    root ??= name
    if (FORBIDDEN_ELEMENTS.has(name)) problems.push(`a <${tag.name}> element`)
    if (name === 'style') inStyle++
    for (const [attribute, raw] of Object.entries(tag.attributes)) {
      const value = String(raw)
      const local = (attribute.split(':').pop() ?? attribute).toLowerCase()
      const canonical = canonicalValue(value)
      if (local.startsWith('on')) problems.push(`an event handler attribute (${attribute} on <${tag.name}>)`)
      else if (local === 'href' || local === 'src') {
        if (!SAFE_HREF.test(value.trim())) problems.push(`a link to another resource (${attribute}="${value.slice(0, 60)}" on <${tag.name}>)`)
      } else if (canonical.includes('javascript:') || canonical.includes('vbscript:')) {
        problems.push(`a script URL (${attribute} on <${tag.name}>)`)
      } else if (local === 'style' && hasExternalUrl(value)) {
        problems.push(`a style that loads another resource (on <${tag.name}>)`)
      } else if ((name === 'animate' || name === 'set') && local === 'attributename' && /href|^on/i.test(value)) {
        problems.push(`an animation of ${value} (on <${tag.name}>)`)
      }
    }
  })
  parser.on('closetag', (tag) => {
    if ((tag.name.split(':').pop() ?? '').toLowerCase() === 'style') inStyle--
  })
  const styleText = (text: string) => {
    if (inStyle > 0 && hasExternalUrl(text)) problems.push('a <style> that loads another resource')
  }
  parser.on('text', styleText)
  parser.on('cdata', styleText)
  try {
    parser.write(text).close()
  } catch (error) {
    // A refusal found before the parse error (e.g. entity declarations, then their use) says more.
    if (problems.length > 0) throw unsafeSvg(problems)
    throw invalid('invalidImage', `The SVG is not well-formed XML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
  }
  if (root !== 'svg') throw invalid('invalidImage', `The upload looks like XML but is not an SVG image (its root element is <${root ?? 'none'}>)`)
  if (problems.length > 0) throw unsafeSvg(problems)
}

function unsafeSvg(problems: readonly string[]): LakeError {
  return invalid('unsafeSvg', `The SVG was refused because it contains ${[...new Set(problems)].slice(0, 3).join('; ')}. Remove scripts, event handlers and external references, or upload a PNG instead`)
}

// Files.

export interface AnalyzedFile {
  extension: string
  mimeType: string
}

const EXTENSION = /^[a-z0-9]{1,16}$/

/**
 * The MIME type and extension of an uploaded file. The declared type wins, unless the bytes are
 * recognisably something else (a "PDF" that is a PNG): that is refused.
 */
export async function analyzeFile(bytes: Buffer, options: {declaredType?: string | undefined; filename?: string | undefined}): Promise<AnalyzedFile> {
  const detected = await fileTypeFromBuffer(bytes)
  const declared = normalizeMimeType(options.declaredType)
  const fromName = options.filename?.toLowerCase().match(/\.([a-z0-9]{1,16})$/)?.[1]
  const claimed = declared && declared !== 'application/octet-stream' ? declared : undefined
  if (claimed && supportedMimeTypes.has(claimed) && (!detected || !sameFamily(claimed, detected.mime))) {
    throw invalid('mismatchedContentType', `The upload was declared as ${claimed}, but its bytes are ${detected ? detected.mime : 'not that type'}; send the matching Content-Type (or application/octet-stream)`)
  }
  const mimeType = claimed ?? detected?.mime ?? (fromName ? mimeOfExtension(fromName) : undefined) ?? 'application/octet-stream'
  if (mimeType === 'image/svg+xml' || fromName === 'svg' || (!detected && looksLikeXml(bytes) && /<svg[\s>]/i.test(bytes.subarray(0, 4096).toString()))) {
    if (looksLikeXml(bytes)) assertSafeSvg(bytes)
  }
  const extension = fromName && EXTENSION.test(fromName) ? fromName : (detected?.ext ?? 'bin')
  return {extension, mimeType}
}

/** Zip-based formats (docx, epub, …) also detect as their container. */
function sameFamily(claimed: string, detected: string): boolean {
  if (claimed === detected) return true
  if (claimed === 'application/zip') return detected.startsWith('application/vnd.') || detected === 'application/epub+zip' || detected === 'application/java-archive'
  return false
}
