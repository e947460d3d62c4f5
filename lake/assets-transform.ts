import sharp from 'sharp'

import type {ImageFormat} from './assets-image'
import {LakeError} from './errors'

/**
 * Sanity's image URL parameters (what `@sanity/image-url` writes) parsed strictly and applied with
 * sharp. Unknown parameter names are ignored like a CDN ignores cache busters; a known parameter
 * with a value Sanity would not accept answers 400 naming it.
 */

export const FITS = ['clip', 'crop', 'fill', 'fillmax', 'max', 'scale', 'min'] as const
export const CROPS = ['top', 'bottom', 'left', 'right', 'center', 'focalpoint', 'entropy'] as const
export const OUTPUT_FORMATS = ['jpg', 'pjpg', 'png', 'webp', 'avif', 'gif'] as const
/** Largest width or height the pipeline produces (as Sanity's CDN). */
export const MAX_DIMENSION = 8192

type Fit = (typeof FITS)[number]
type Crop = (typeof CROPS)[number]
type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export interface Rect {
  left: number
  top: number
  width: number
  height: number
}

interface Color {
  r: number
  g: number
  b: number
  alpha: number
}

export interface ImageTransform {
  rect?: Rect
  width?: number
  height?: number
  maxWidth?: number
  maxHeight?: number
  minWidth?: number
  minHeight?: number
  fit?: Fit
  crop?: Crop[]
  focalPoint?: {x: number; y: number}
  quality?: number
  format?: OutputFormat
  autoFormat?: boolean
  dpr?: number
  background?: Color
  blur?: number
  sharpen?: number
  invert?: boolean
  saturation?: number
  orientation?: 0 | 90 | 180 | 270
  flip?: {horizontal: boolean; vertical: boolean}
  pad?: number
  /** `dl`: serve as an attachment (an empty name means the original filename). */
  download?: string
  /** `dlRaw`: the original bytes, untouched. */
  raw?: boolean
}

const bad = (param: string, message: string, value: string) =>
  new LakeError(400, 'invalidImageParameter', `Image parameter ${param}=${JSON.stringify(value.slice(0, 100))} is invalid: ${message}`)

function integer(param: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim())) throw bad(param, `use a whole number from ${min} to ${max}`, value)
  const number = Number(value)
  if (number < min || number > max) throw bad(param, `use a whole number from ${min} to ${max}`, value)
  return number
}

function decimal(param: string, value: string, min: number, max: number): number {
  const number = Number(value)
  if (value.trim() === '' || !Number.isFinite(number) || number < min || number > max) throw bad(param, `use a number from ${min} to ${max}`, value)
  return number
}

function oneOf<T extends string>(param: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw bad(param, `use one of ${allowed.join(', ')}`, value)
  return value as T
}

function flag(param: string, value: string): boolean {
  if (value === '' || value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw bad(param, 'use true or false', value)
}

/** `RGB`, `ARGB`, `RRGGBB` or `AARRGGBB` hex, as Sanity's `bg`. */
function color(param: string, value: string): Color {
  if (!/^([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(value)) throw bad(param, 'use a hex colour: RGB, ARGB, RRGGBB or AARRGGBB', value)
  const digits = value.length <= 4 ? [...value].map((d) => d + d).join('') : value
  const withAlpha = digits.length === 8 ? digits : `ff${digits}`
  const part = (index: number) => Number.parseInt(withAlpha.slice(index, index + 2), 16)
  return {alpha: part(0) / 255, r: part(2), g: part(4), b: part(6)}
}

/** Parses the query string of an image URL. */
export function parseImageTransform(search: URLSearchParams): ImageTransform {
  const t: ImageTransform = {}
  const get = (name: string) => search.get(name) ?? undefined
  const size = (name: string) => {
    const value = get(name)
    return value === undefined ? undefined : integer(name, value, 1, MAX_DIMENSION)
  }
  const assign = <K extends keyof ImageTransform>(key: K, value: ImageTransform[K] | undefined) => {
    if (value !== undefined) t[key] = value
  }

  const rect = get('rect')
  if (rect !== undefined) {
    const parts = rect.split(',')
    if (parts.length !== 4) throw bad('rect', 'use left,top,width,height in pixels of the original image', rect)
    const [left, top, width, height] = parts.map((part) => integer('rect', part, 0, 1_000_000)) as [number, number, number, number]
    if (width < 1 || height < 1) throw bad('rect', 'the width and height must be at least 1', rect)
    t.rect = {left, top, width, height}
  }
  assign('width', size('w'))
  assign('height', size('h'))
  assign('maxWidth', size('max-w'))
  assign('maxHeight', size('max-h'))
  assign('minWidth', size('min-w'))
  assign('minHeight', size('min-h'))
  const fit = get('fit')
  if (fit !== undefined) t.fit = oneOf('fit', fit, FITS)
  const crop = get('crop')
  if (crop !== undefined) t.crop = crop.split(',').map((part) => oneOf('crop', part.trim(), CROPS))
  const fpX = get('fp-x')
  const fpY = get('fp-y')
  if (fpX !== undefined || fpY !== undefined) {
    t.focalPoint = {x: fpX === undefined ? 0.5 : decimal('fp-x', fpX, 0, 1), y: fpY === undefined ? 0.5 : decimal('fp-y', fpY, 0, 1)}
  }
  const q = get('q')
  if (q !== undefined) t.quality = integer('q', q, 0, 100)
  const fm = get('fm')
  if (fm !== undefined) t.format = oneOf('fm', fm, OUTPUT_FORMATS)
  const auto = get('auto')
  if (auto !== undefined) t.autoFormat = oneOf('auto', auto, ['format'] as const) === 'format'
  const dpr = get('dpr')
  if (dpr !== undefined) t.dpr = decimal('dpr', dpr, 1, 3)
  const bg = get('bg')
  if (bg !== undefined) t.background = color('bg', bg)
  const blur = get('blur')
  if (blur !== undefined) t.blur = integer('blur', blur, 0, 2000)
  const sharpen = get('sharp')
  if (sharpen !== undefined) t.sharpen = integer('sharp', sharpen, 0, 100)
  const invert = get('invert')
  if (invert !== undefined) t.invert = flag('invert', invert)
  const sat = get('sat')
  if (sat !== undefined) t.saturation = integer('sat', sat, -100, 100)
  const or = get('or')
  if (or !== undefined) t.orientation = Number(oneOf('or', or, ['0', '90', '180', '270'] as const)) as 0 | 90 | 180 | 270
  const flip = get('flip')
  if (flip !== undefined) {
    const value = oneOf('flip', flip, ['h', 'v', 'hv', 'vh'] as const)
    t.flip = {horizontal: value.includes('h'), vertical: value.includes('v')}
  }
  const pad = get('pad')
  if (pad !== undefined) t.pad = integer('pad', pad, 0, 1000)
  const frame = get('frame')
  if (frame !== undefined && frame !== '1') throw bad('frame', 'only frame=1 (the first frame) is supported', frame)
  const dl = get('dl')
  if (dl !== undefined) t.download = dl
  const dlRaw = get('dlRaw')
  if (dlRaw !== undefined) t.raw = flag('dlRaw', dlRaw)
  return t
}

/** A stable key for everything that changes the output bytes (cache and ETag). */
export function transformKey(t: ImageTransform, format: string): string {
  const {download: _download, raw: _raw, autoFormat: _auto, format: _format, ...rest} = t
  const entries = Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))
  return `${format}|${JSON.stringify(entries)}`
}

const PIXEL_KEYS: readonly (keyof ImageTransform)[] = [
  'rect', 'width', 'height', 'maxWidth', 'maxHeight', 'minWidth', 'minHeight', 'blur', 'sharpen', 'invert', 'saturation', 'orientation', 'flip', 'pad',
]

const SOURCE_OUTPUT: Record<ImageFormat, OutputFormat> = {jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', avif: 'avif', tiff: 'jpg', svg: 'png'}
const MIME: Record<OutputFormat, string> = {
  jpg: 'image/jpeg', pjpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif', gif: 'image/gif',
}

/**
 * The format to produce: `fm`, else WebP for `auto=format` when the browser takes it,
 * else the original's. `undefined` means "serve the original bytes unchanged".
 */
export function outputFormat(t: ImageTransform, source: ImageFormat, accept: string | undefined): OutputFormat | undefined {
  if (t.raw) return undefined
  const changesPixels = PIXEL_KEYS.some((key) => t[key] !== undefined && t[key] !== false && !(key === 'blur' && t.blur === 0))
  const webp = t.autoFormat === true && /image\/webp/.test(accept ?? '') && source !== 'svg' && source !== 'gif'
  const wanted = t.format ?? (webp ? 'webp' : undefined)
  if (!changesPixels && t.quality === undefined && (wanted === undefined || (wanted === SOURCE_OUTPUT[source] && source !== 'svg' && source !== 'tiff'))) {
    return undefined
  }
  // A transformed TIFF or SVG becomes something every browser shows.
  return wanted ?? SOURCE_OUTPUT[source]
}

export function mimeOfOutput(format: OutputFormat): string {
  return MIME[format]
}

function clampRect(rect: Rect, width: number, height: number): Rect {
  if (rect.left >= width || rect.top >= height) {
    throw new LakeError(400, 'invalidImageParameter', `Image parameter rect=${rect.left},${rect.top},${rect.width},${rect.height} starts outside the ${width}×${height} image`)
  }
  return {left: rect.left, top: rect.top, width: Math.min(rect.width, width - rect.left), height: Math.min(rect.height, height - rect.top)}
}

/** `crop=top,left` as sharp's gravity (`northwest`); entropy picks the busiest part. */
function gravityOf(crops: readonly Crop[]): string | number {
  if (crops.includes('entropy')) return sharp.strategy.entropy
  const vertical = crops.includes('top') ? 'north' : crops.includes('bottom') ? 'south' : ''
  const horizontal = crops.includes('left') ? 'west' : crops.includes('right') ? 'east' : ''
  return `${vertical}${horizontal}` || 'centre'
}

/** Renders a transformed image. `source` is the original's format and (oriented) size. */
export async function renderImage(
  bytes: Buffer,
  source: {format: ImageFormat; width: number; height: number},
  t: ImageTransform,
  format: OutputFormat,
  limits: {maxPixels: number},
): Promise<{body: Buffer; mimeType: string; width: number; height: number}> {
  let image = sharp(bytes, {limitInputPixels: limits.maxPixels, failOn: 'none', ...(source.format === 'svg' ? {density: 72} : {})}).autoOrient()
  let width = source.width
  let height = source.height
  if (t.rect) {
    const rect = clampRect(t.rect, width, height)
    image = image.extract(rect)
    width = rect.width
    height = rect.height
  }
  if (t.orientation) {
    image = image.rotate(t.orientation)
    if (t.orientation !== 180) [width, height] = [height, width]
  }
  if (t.flip?.vertical) image = image.flip()
  if (t.flip?.horizontal) image = image.flop()

  const dpr = t.dpr ?? 1
  const scaled = (value: number | undefined) => (value === undefined ? undefined : Math.min(MAX_DIMENSION, Math.round(value * dpr)))
  let targetWidth = scaled(t.width)
  let targetHeight = scaled(t.height)
  const fit = t.fit ?? 'clip'
  const alphaFormat = format === 'png' || format === 'webp' || format === 'avif' || format === 'gif'
  const background = t.background ?? (alphaFormat ? {r: 255, g: 255, b: 255, alpha: 0} : {r: 255, g: 255, b: 255, alpha: 1})

  // max-*/min-* bound whatever size the other parameters ask for (or the original's).
  const bound = (value: number, max: number | undefined, min: number | undefined) =>
    Math.max(scaled(min) ?? 0, Math.min(scaled(max) ?? Number.POSITIVE_INFINITY, value))
  if (t.maxWidth !== undefined || t.minWidth !== undefined || t.maxHeight !== undefined || t.minHeight !== undefined) {
    if (targetWidth === undefined && targetHeight === undefined) {
      const ratio = Math.min((scaled(t.maxWidth) ?? Infinity) / width, (scaled(t.maxHeight) ?? Infinity) / height, 1)
      const grow = Math.max((scaled(t.minWidth) ?? 0) / width, (scaled(t.minHeight) ?? 0) / height, 1)
      const factor = ratio < 1 ? ratio : grow
      if (factor !== 1) targetWidth = Math.max(1, Math.round(width * factor))
    } else {
      if (targetWidth !== undefined) targetWidth = bound(targetWidth, t.maxWidth, t.minWidth)
      if (targetHeight !== undefined) targetHeight = bound(targetHeight, t.maxHeight, t.minHeight)
    }
  }
  let outWidth = width
  let outHeight = height
  if (targetWidth !== undefined || targetHeight !== undefined) {
    const noUpscale = fit === 'max' || fit === 'min' || fit === 'fillmax'
    if (targetWidth === undefined || targetHeight === undefined) {
      // One side given: proportional, whatever the fit.
      const factor = targetWidth !== undefined ? targetWidth / width : (targetHeight ?? height) / height
      const applied = noUpscale ? Math.min(1, factor) : factor
      outWidth = Math.max(1, Math.round(width * applied))
      outHeight = Math.max(1, Math.round(height * applied))
      image = image.resize({width: outWidth, height: outHeight, fit: 'fill'})
    } else if (fit === 'clip' || fit === 'max') {
      const factor = Math.min(targetWidth / width, targetHeight / height)
      const applied = fit === 'max' ? Math.min(1, factor) : factor
      outWidth = Math.max(1, Math.round(width * applied))
      outHeight = Math.max(1, Math.round(height * applied))
      image = image.resize({width: outWidth, height: outHeight, fit: 'fill'})
    } else if (fit === 'scale') {
      outWidth = targetWidth
      outHeight = targetHeight
      image = image.resize({width: outWidth, height: outHeight, fit: 'fill'})
    } else if (fit === 'fill' || fit === 'fillmax') {
      const factor = Math.min(targetWidth / width, targetHeight / height)
      const applied = fit === 'fillmax' ? Math.min(1, factor) : factor
      const innerWidth = Math.max(1, Math.round(width * applied))
      const innerHeight = Math.max(1, Math.round(height * applied))
      image = image.resize({width: innerWidth, height: innerHeight, fit: 'fill'})
      const padX = targetWidth - innerWidth
      const padY = targetHeight - innerHeight
      image = image.extend({
        left: Math.floor(padX / 2),
        right: Math.ceil(padX / 2),
        top: Math.floor(padY / 2),
        bottom: Math.ceil(padY / 2),
        background,
      })
      outWidth = targetWidth
      outHeight = targetHeight
    } else {
      // crop and min: fill the box, cutting what sticks out (min never scales up).
      let boxWidth = targetWidth
      let boxHeight = targetHeight
      const cover = Math.max(targetWidth / width, targetHeight / height)
      if (fit === 'min' && cover > 1) {
        boxWidth = Math.max(1, Math.round(targetWidth / cover))
        boxHeight = Math.max(1, Math.round(targetHeight / cover))
      }
      const scale = Math.max(boxWidth / width, boxHeight / height)
      const crops = t.crop ?? []
      if (crops.includes('focalpoint') || (t.focalPoint && !crops.some((c) => c !== 'focalpoint'))) {
        const point = t.focalPoint ?? {x: 0.5, y: 0.5}
        const scaledWidth = Math.max(boxWidth, Math.round(width * scale))
        const scaledHeight = Math.max(boxHeight, Math.round(height * scale))
        const left = Math.min(scaledWidth - boxWidth, Math.max(0, Math.round(point.x * scaledWidth - boxWidth / 2)))
        const top = Math.min(scaledHeight - boxHeight, Math.max(0, Math.round(point.y * scaledHeight - boxHeight / 2)))
        image = image.resize({width: scaledWidth, height: scaledHeight, fit: 'fill'}).extract({left, top, width: boxWidth, height: boxHeight})
      } else {
        image = image.resize({width: boxWidth, height: boxHeight, fit: 'cover', position: gravityOf(crops)})
      }
      outWidth = boxWidth
      outHeight = boxHeight
    }
  }
  if (outWidth * outHeight > limits.maxPixels) {
    throw new LakeError(400, 'invalidImageParameter', `The requested image would be ${outWidth}×${outHeight} pixels, above the limit of ${limits.maxPixels} pixels; ask for a smaller w, h or dpr`)
  }
  if (t.pad) {
    image = image.extend({top: t.pad, bottom: t.pad, left: t.pad, right: t.pad, background})
    outWidth += 2 * t.pad
    outHeight += 2 * t.pad
  }
  if (t.blur) image = image.blur(Math.min(100, Math.max(0.3, t.blur / 2)))
  if (t.sharpen) image = image.sharpen({sigma: 0.5 + (t.sharpen / 100) * 2.5})
  if (t.invert) image = image.negate({alpha: false})
  if (t.saturation !== undefined && t.saturation !== 0) image = image.modulate({saturation: Math.max(0, 1 + t.saturation / 100)})
  if (!alphaFormat) image = image.flatten({background: {r: background.r, g: background.g, b: background.b}})

  const quality = t.quality ?? 75
  switch (format) {
    case 'jpg':
    case 'pjpg':
      image = image.jpeg({quality: Math.max(1, quality), progressive: format === 'pjpg'})
      break
    case 'png':
      image = image.png()
      break
    case 'webp':
      image = image.webp({quality: Math.max(1, quality)})
      break
    case 'avif':
      image = image.avif({quality: Math.max(1, quality), effort: 2})
      break
    case 'gif':
      image = image.gif()
      break
  }
  const {data, info} = await image.toBuffer({resolveWithObject: true})
  return {body: data, mimeType: MIME[format], width: info.width, height: info.height}
}
