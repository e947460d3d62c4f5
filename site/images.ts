/**
 * Posters and portraits on the reference site: responsive `<img>` elements from the queries'
 * image fields, with `srcset`/`sizes`, intrinsic width and height (no layout shift), alt text and
 * the LQIP as a blurred placeholder that the image covers once loaded. No script and no inline
 * style, so the pages keep their strict Content-Security-Policy.
 */
import type {ImageUrlBuilder} from '@sanity/image-url'

import {type QueriedImage, responsiveImage, type ResponsiveImageOptions} from '../queries/images'
import {esc} from './html'

/** How each kind of picture is shown (CSS widths in site/html.ts match `sizes`). */
export const IMAGE_SLOTS = {
  /** The film page's poster: 12rem beside the title, 8rem on phones. */
  filmPoster: {widths: [128, 192], sizes: '(max-width: 30rem) 8rem, 12rem', aspectRatio: 2 / 3},
  /** The small poster in a review's film header and in review cards. */
  posterThumb: {widths: [64, 96], sizes: '(max-width: 30rem) 4rem, 6rem', aspectRatio: 2 / 3},
  /** The person page's portrait. */
  portrait: {widths: [160, 240], sizes: '(max-width: 30rem) 10rem, 15rem', aspectRatio: 4 / 5},
  /** Round faces in the cast list. */
  castFace: {widths: [48], sizes: '3rem', aspectRatio: 1},
} as const satisfies Record<string, ResponsiveImageOptions>

export type ImageSlot = keyof typeof IMAGE_SLOTS

/**
 * The picture for an image field, or '' when there is none (or no builder). `fallbackAlt` is used
 * when the editor left the alt text empty, so no image is ever announced as nothing.
 */
export function imageHtml(
  builder: ImageUrlBuilder | undefined,
  image: QueriedImage | null | undefined,
  slot: ImageSlot,
  options: {fallbackAlt: string; eager?: boolean},
): string {
  if (!builder) return ''
  const picture = responsiveImage(builder, image, IMAGE_SLOTS[slot])
  if (!picture) return ''
  const size = `width="${picture.width}" height="${picture.height}"`
  const alt = picture.alt.trim() || options.fallbackAlt
  const placeholder = picture.lqip ? `<img class="lqip" src="${esc(picture.lqip)}" alt="" aria-hidden="true" ${size}>` : ''
  const loading = options.eager ? 'fetchpriority="high"' : 'loading="lazy"'
  return `<span class="media media-${slot}">${placeholder}<img class="picture" src="${esc(picture.src)}" srcset="${esc(picture.srcset)}" sizes="${esc(picture.sizes)}" ${size} alt="${esc(alt)}" ${loading} decoding="async"></span>`
}
