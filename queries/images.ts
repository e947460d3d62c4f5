/**
 * Image URLs for frontends, built on `@sanity/image-url`. Safe in browsers and edge runtimes:
 * it imports nothing from Node.
 *
 * The same code serves the local lake and a hosted project: `imageUrls(client)` takes the base
 * URL from the client's API host, so a client for the lake (`apiHost: 'http://127.0.0.1:3434'`)
 * gets the lake's CDN-shaped paths and a client for a hosted project gets `https://cdn.sanity.io`.
 */
import {createImageUrlBuilder, type ImageUrlBuilder} from '@sanity/image-url'

/** An image field as the package's queries return it (see `imageFields` in `./index`). */
export interface QueriedImage {
  asset: {_ref: string} | null
  crop?: {top?: number; bottom?: number; left?: number; right?: number} | null
  hotspot?: {x?: number; y?: number; width?: number; height?: number} | null
  alt?: string | null
  dimensions?: {width?: number; height?: number; aspectRatio?: number} | null
  lqip?: string | null
}

/** A `@sanity/client` instance, or `{projectId, dataset, baseUrl?}` (what `@sanity/image-url` takes). */
export type ImageUrlSource = Parameters<typeof createImageUrlBuilder>[0]

/**
 * An `@sanity/image-url` builder for the client's project and dataset. Its base URL follows the
 * client's `apiHost`: `https://api.sanity.io` becomes `https://cdn.sanity.io`, and a local lake's
 * own host (e.g. `http://127.0.0.1:3434`) is used as is, since the lake serves the CDN's paths.
 */
export function imageUrls(source: ImageUrlSource): ImageUrlBuilder {
  return createImageUrlBuilder(source)
}

export interface ResponsiveImageOptions {
  /** Candidate widths in CSS pixels at 1x (each is also offered at 2x when the original is large enough). */
  widths: readonly number[]
  /** The `sizes` attribute: how wide the image is shown, e.g. `(min-width: 40rem) 12rem, 40vw`. */
  sizes: string
  /** Width / height of the box the image fills (posters: 2/3). Default: the editor's crop of the original. */
  aspectRatio?: number
  /** JPEG/WebP quality, 1-100. Default: the CDN's (75). */
  quality?: number
}

/** Everything an `<img>` needs; `width` and `height` give the browser the aspect ratio before the bytes arrive. */
export interface ResponsiveImage {
  src: string
  srcset: string
  sizes: string
  width: number
  height: number
  alt: string
  /** A tiny blurred placeholder (data URL) to show until the image has loaded. */
  lqip: string | undefined
}

/** Size of the original after the editor's crop. */
function croppedSize(image: QueriedImage): {width: number; height: number} | undefined {
  const width = image.dimensions?.width
  const height = image.dimensions?.height
  if (!width || !height) return undefined
  const crop = {top: 0, bottom: 0, left: 0, right: 0, ...Object.fromEntries(Object.entries(image.crop ?? {}).filter(([, value]) => typeof value === 'number'))}
  return {
    width: Math.max(1, Math.round(width * (1 - crop.left - crop.right))),
    height: Math.max(1, Math.round(height * (1 - crop.top - crop.bottom))),
  }
}

/**
 * `src`, `srcset`, `sizes`, intrinsic `width`/`height`, `alt` and the LQIP placeholder for an image
 * field, honouring the editor's crop and hotspot. `undefined` when the field has no image.
 */
export function responsiveImage(builder: ImageUrlBuilder, image: QueriedImage | null | undefined, options: ResponsiveImageOptions): ResponsiveImage | undefined {
  if (!image?.asset?._ref) return undefined
  const source = croppedSize(image)
  const ratio = options.aspectRatio ?? (source ? source.width / source.height : 1)
  const largest = source ? Math.min(source.width, Math.round(source.height * ratio)) : Number.POSITIVE_INFINITY
  const wanted = [...new Set(options.widths.flatMap((width) => [width, width * 2]))].sort((a, b) => a - b)
  // Never ask for more pixels than the original has; keep at least the smallest size.
  const widths = wanted.filter((width) => width <= largest)
  if (widths.length === 0) widths.push(Math.min(wanted[0] ?? 1, Number.isFinite(largest) ? largest : (wanted[0] ?? 1)))
  const base = options.quality === undefined ? builder.image(image).auto('format') : builder.image(image).auto('format').quality(options.quality)
  const url = (width: number) => base.width(width).height(Math.max(1, Math.round(width / ratio))).url()
  const first = Math.min(...options.widths.filter((width) => widths.includes(width)), widths[0] ?? 1)
  return {
    src: url(first),
    srcset: widths.map((width) => `${url(width)} ${width}w`).join(', '),
    sizes: options.sizes,
    width: first,
    height: Math.max(1, Math.round(first / ratio)),
    alt: image.alt ?? '',
    lqip: image.lqip ?? undefined,
  }
}
