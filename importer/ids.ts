import {createHash} from 'node:crypto'

import anyAscii from 'any-ascii'

/**
 * Id, slug and `_key` conventions shared by every import script. Ids never contain
 * a `.` (Sanity reserves dotted ids for drafts and versions, which are not public).
 */

/** Slugs stay within the length the schemas' slug fields generate. */
const MAX_SLUG_LENGTH = 96

// Scripts whose characters are whole syllables or words and are written without
// spaces: each character becomes its own slug word ("봉준호" → "bong-jun-ho").
const SYLLABIC = /[\p{Script=Han}\p{Script=Hangul}]/gu

/**
 * Lowercase ASCII words joined by `-`, readable in any script: "Hoyte van Hoytema" →
 * "hoyte-van-hoytema", "Amélie" → "amelie", "bell hooks" → "bell-hooks", "Андрей
 * Тарковский" → "andrey-tarkovskiy", "是枝裕和" → "shi-zhi-yu-he" (Han characters take
 * their Mandarin reading, as `any-ascii` gives it). The same text always gives the same
 * slug with the pinned `any-ascii` version. Text that transliterates to nothing at all
 * gets a stable hash instead, so it still has a usable slug.
 */
export function slugify(text: string): string {
  const spaced = text.normalize('NFC').replace(SYLLABIC, (character) => ` ${character} `)
  const slug = anyAscii(spaced)
    .toLowerCase()
    .replace(/['’ʼ`]/g, '') // "Theodore's" → "theodores", not "theodore-s"
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  if (slug === '') {
    return `x-${createHash('sha256').update(text.normalize('NFC')).digest('hex').slice(0, 10)}`
  }
  if (slug.length <= MAX_SLUG_LENGTH) return slug
  const cut = slug.slice(0, MAX_SLUG_LENGTH)
  const lastDash = cut.lastIndexOf('-')
  return (lastDash > MAX_SLUG_LENGTH / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, '')
}

/** "her-2013" */
export function filmSlug(title: string, releaseYear: number): string {
  return slugify(`${title} ${releaseYear}`)
}

/** "film-her-2013" */
export function filmId(title: string, releaseYear: number): string {
  return `film-${filmSlug(title, releaseYear)}`
}

/** "joaquin-phoenix", from the canonical name. */
export function personSlug(name: string): string {
  return slugify(name)
}

/** "person-joaquin-phoenix" */
export function personId(name: string): string {
  return `person-${personSlug(name)}`
}

/** "her-2013-falling-in-love-with-ai": the film slug keeps titles like "Review" unique across films. */
export function reviewSlug(filmSlugValue: string, reviewTitle: string): string {
  return `${filmSlugValue}-${slugify(reviewTitle)}`
}

/** "review-her-2013-falling-in-love-with-ai" */
export function reviewId(filmSlugValue: string, reviewTitle: string): string {
  return `review-${reviewSlug(filmSlugValue, reviewTitle)}`
}

/**
 * A `_key` derived from the document id and the item's structural path (e.g.
 * `sections[2].body[0].children[1]`), so re-importing the same text yields the same
 * keys. 12 hex digits make a collision within one array practically impossible;
 * `assertUniqueKeys` still checks.
 */
export function keyFor(documentId: string, path: string): string {
  return createHash('sha256').update(`${documentId}\u0000${path}`).digest('hex').slice(0, 12)
}
