/**
 * A generated film-review site for the lake benchmark (`npm run bench:lake`) and for tests that
 * need a large, realistic dataset: documents in the package's schema shapes, deterministic for a
 * given size and seed, so runs compare.
 *
 * Of `total` documents: about 10% reviews (slug, title, kind, author, publishedOn dates with ties,
 * intro and sections of Portable Text with mentions, some with spoilers), about 84% comments
 * (approved ones at public ids, pending/rejected/spam ones at private `moderation.` ids as the
 * moderation flow stores them, some replies with a weak `parent` reference to an earlier comment
 * of the same review), 1% drafts (`drafts.<id>` of reviews and films, and a few reviews that exist
 * only as drafts), and the rest films (credits, cast, some posters), the posters' image assets and
 * people. One rare word, SEARCH_TERM, appears in about ten documents.
 *
 * Pure: no I/O; the documents have no system fields (`_rev`, `_createdAt`, `_updatedAt`), which
 * the lake adds when they are stored.
 */
import type {BlockContent, Comment, Film, Person, Review, SanityImageAsset} from '../sanity.types'
import {COUNTRIES, CREW_JOBS, GENRES, LANGUAGES} from '../schemas/constants'

type Unstored<T> = Omit<T, '_createdAt' | '_updatedAt' | '_rev'>

export type SiteReview = Unstored<Review>
export type SiteFilm = Unstored<Film>
export type SitePerson = Unstored<Person>
export type SiteComment = Unstored<Comment>
export type SiteImageAsset = Unstored<SanityImageAsset>
export type SiteDocument = SiteReview | SiteFilm | SitePerson | SiteComment | SiteImageAsset

export interface SiteCounts {
  total: number
  /** Published reviews (draft-only reviews are counted in `drafts`). */
  reviews: number
  /** Comments, approved (public ids) and not (private `moderation.` ids). */
  comments: number
  approvedComments: number
  replies: number
  films: number
  people: number
  assets: number
  /** `drafts.` documents: drafts of published reviews and films, and draft-only reviews. */
  drafts: number
  draftOnlyReviews: number
}

/** Parameters that exist in the generated site, for page queries. */
export interface SiteSamples {
  /** Slugs of published reviews: the one with the most comments, two that have drafts, then random ones. */
  reviewSlugs: string[]
  /** Slugs of films: one with a draft, one with a poster, then random ones. */
  filmSlugs: string[]
  /** Slugs of people with credits. */
  personSlugs: string[]
  /** A word that `searchQuery` finds in a handful of documents (see SEARCH_TERM). */
  searchTerm: string
  /** Published ids of reviews that have a `drafts.` document. */
  draftedReviewIds: string[]
}

export interface GeneratedSite {
  /** Every document (published, private and drafts), in generation order. */
  documents: SiteDocument[]
  counts: SiteCounts
  samples: SiteSamples
}

/**
 * The rare word: in one film's title (so also in the titles of that film's few reviews), one
 * person's alias and three review intros; about ten documents at any size.
 */
export const SEARCH_TERM = 'Marzipan'

/** Smallest site generateSite makes (each kind of document needs a few). */
export const MIN_SITE_SIZE = 100

/** mulberry32: a small, fast, seedable PRNG; the same seed gives the same site. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const GIVEN = ['Ada', 'Bruno', 'Chiara', 'Dmitri', 'Elif', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kenji', 'Lucia', 'Mateo', 'Noor', 'Oskar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Talia', 'Umar', 'Vera', 'Wim', 'Xenia', 'Yusuf', 'Zora']
const FAMILY = ['Abara', 'Brenner', 'Castell', 'Dunmore', 'Eklund', 'Fairweather', 'Galvez', 'Holloway', 'Iversen', 'Jansen', 'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Okafor', 'Petrova', 'Quist', 'Rahman', 'Sorensen', 'Tanaka', 'Ueda', 'Valdez', 'Whitlock', 'Yilmaz', 'Zeller']
const WORDS = ['Harbour', 'Lantern', 'Winter', 'Copper', 'Meadow', 'Signal', 'Orchard', 'Ember', 'Atlas', 'Tide', 'Glass', 'Paper', 'Iron', 'Silver', 'Hollow', 'Quiet', 'Northern', 'Last', 'Borrowed', 'Distant', 'Velvet', 'Salt', 'Broken', 'Golden', 'Second']
const NOUNS = ['Lights', 'Roads', 'Hours', 'Sky', 'Garden', 'Station', 'River', 'Letters', 'Season', 'Crossing', 'Shore', 'House', 'Kingdom', 'Summer', 'Voices', 'Bridge', 'Harvest', 'Mirror', 'Engine', 'Island']
const VERDICTS = ['A quiet triumph', 'Worth the wait', 'Close, but not quite', 'A beautiful mess', 'Small and perfect', 'Too long by half', 'An odd delight', 'Strange and tender', 'Bold and uneven', 'Hard to forget']
const HEADINGS = ['First impressions', 'The story', 'The cast', 'Sound and image', 'What works', 'What does not', 'Final notes']
const SENTENCES = [
  'The first act takes its time, and it earns every minute of it.',
  'I did not expect the ending, and I have not stopped thinking about it.',
  'The camera stays close to the faces, which makes the quiet scenes loud.',
  'Some of the dialogue is clumsy, but the actors sell it anyway.',
  'It is a film about waiting, and about what people do while they wait.',
  'The music never tells you what to feel, which I liked a lot.',
  'There is one long take in the middle that I will remember for years.',
  'The supporting cast is better than the script deserves.',
  'Every frame looks like a painting someone forgot to finish.',
  'The pacing sags in the second hour, then recovers in the last ten minutes.',
  'It made me laugh twice and cry once, which is a fair trade.',
  'The editing is sharp enough to cut yourself on.',
]
const COMMENTS = [
  'Saw it last week and agree with every word.',
  'I liked it more than you did, the ending worked for me.',
  'Thanks for the spoiler warning!',
  'Which cinema did you see it in? The sound was terrible where I went.',
  'Not for me, I walked out halfway.',
  'The second viewing is even better.',
  'Great review, you put into words what I could not.',
  'I think you are too kind to the script.',
]
const SPOILERS = ['the brother was the letter writer all along', 'the last scene is a dream', 'nobody makes it to the island']
const ASPECTS = [
  {width: 600, height: 900},
  {width: 800, height: 1200},
  {width: 1000, height: 1500},
]

const COMMENT_STATUS_WEIGHTS = [
  ['approved', 0.85],
  ['pending', 0.09],
  ['rejected', 0.04],
  ['spam', 0.02],
] as const

/** Two hex digits per byte (Number#toString(16) is slow enough to dominate generation). */
const HEX = Array.from({length: 256}, (_, byte) => byte.toString(16).padStart(2, '0'))

/** Share of comments that answer an earlier approved comment of the same review. */
const REPLY_SHARE = 0.25
const DAY_MS = 86_400_000
const FIRST_DAY = Date.UTC(2012, 0, 1)

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/**
 * A site of exactly `total` documents (at least MIN_SITE_SIZE), the same for the same
 * `total` and `seed`.
 */
export function generateSite(total: number, seed = 1): GeneratedSite {
  if (!Number.isInteger(total) || total < MIN_SITE_SIZE) {
    throw new RangeError(`generateSite needs a whole number of at least ${MIN_SITE_SIZE} documents (got ${total})`)
  }
  const random = prng(seed ^ Math.imul(total, 0x9e3779b1))
  const below = (n: number) => Math.floor(random() * n)
  const chance = (p: number) => random() < p
  const pick = <T>(items: readonly T[]): T => {
    const item = items[below(items.length)]
    if (item === undefined) throw new Error('pick from an empty list')
    return item
  }
  const hex = (length: number) => {
    let out = ''
    while (out.length < length) {
      const n = (random() * 0x1_0000_0000) >>> 0
      out += `${HEX[n >>> 24]}${HEX[(n >>> 16) & 255]}${HEX[(n >>> 8) & 255]}${HEX[n & 255]}`
    }
    return out.slice(0, length)
  }
  const key = () => hex(12)
  const uuid = () => {
    const h = hex(32)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
  const sentences = (count: number) => Array.from({length: count}, () => pick(SENTENCES)).join(' ')

  const drafts = Math.max(1, Math.round(total * 0.01))
  const reviewCount = Math.max(2, Math.round(total * 0.1))
  const filmCount = Math.max(2, Math.round(total * 0.02))
  const personCount = Math.max(4, Math.round(total * 0.025))
  const posterCount = Math.max(1, Math.round(filmCount * 0.3))
  const draftOnlyReviews = Math.round(drafts * 0.1)
  const filmDrafts = Math.min(filmCount, Math.round(drafts * 0.3))
  const reviewDrafts = Math.min(reviewCount, drafts - draftOnlyReviews - filmDrafts)
  const commentCount = total - drafts - reviewCount - filmCount - personCount - posterCount
  if (commentCount < 1) throw new RangeError(`generateSite(${total}) leaves no room for comments`)

  const usedSlugs = new Set<string>()
  const uniqueSlug = (base: string) => {
    let slug = base
    for (let n = 2; usedSlugs.has(slug); n++) slug = `${base}-${n}`
    usedSlugs.add(slug)
    return slug
  }
  const slugOf = (current: string) => ({_type: 'slug' as const, current})

  // People.
  const people: SitePerson[] = []
  for (let i = 0; i < personCount; i++) {
    const name = chance(0.3) ? `${pick(GIVEN)} ${pick(GIVEN).charAt(0)}. ${pick(FAMILY)}` : `${pick(GIVEN)} ${pick(FAMILY)}`
    const slug = uniqueSlug(slugify(name))
    const person: SitePerson = {_id: `person-${slug}`, _type: 'person', name, slug: slugOf(slug)}
    if (chance(0.1)) person.aliases = [name.replace(/a/g, 'e')]
    if (chance(0.2)) person.bio = [textBlock(key, `${name} works in film. ${sentences(2)}`)]
    people.push(person)
  }
  const searchPerson = people[below(people.length)]
  if (searchPerson) searchPerson.aliases = [...(searchPerson.aliases ?? []), `${SEARCH_TERM} Kid`]

  // Image assets for posters.
  const assets: SiteImageAsset[] = []
  for (let i = 0; i < posterCount; i++) {
    const sha1 = hex(40)
    const {width, height} = pick(ASPECTS)
    const assetId = `${sha1}-${width}x${height}`
    assets.push({
      _id: `image-${assetId}-jpg`,
      _type: 'sanity.imageAsset',
      assetId: sha1,
      sha1hash: sha1,
      extension: 'jpg',
      mimeType: 'image/jpeg',
      size: 50_000 + below(400_000),
      originalFilename: `poster-${i}.jpg`,
      path: `images/local/bench/${assetId}.jpg`,
      url: `https://cdn.sanity.io/images/local/bench/${assetId}.jpg`,
      metadata: {
        _type: 'sanity.imageMetadata',
        dimensions: {_type: 'sanity.imageDimensions', width, height, aspectRatio: width / height},
        lqip: `data:image/jpeg;base64,/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/${hex(24)}`,
        hasAlpha: false,
        isOpaque: true,
      },
    })
  }

  // Films, with credits drawn from the people.
  const films: SiteFilm[] = []
  const searchFilm = below(filmCount)
  for (let i = 0; i < filmCount; i++) {
    const title = i === searchFilm ? `The ${SEARCH_TERM} ${pick(NOUNS)}` : `${pick(WORDS)} ${pick(NOUNS)}`
    const releaseYear = 1950 + below(76)
    const slug = uniqueSlug(slugify(`${title} ${releaseYear}`))
    const person = () => ({_type: 'reference' as const, _ref: pick(people)._id})
    const crew: NonNullable<SiteFilm['crew']> = [{_key: key(), _type: 'crewMember', job: 'director', person: person()}]
    if (chance(0.1)) crew.push({_key: key(), _type: 'crewMember', job: 'director', person: person()})
    crew.push({_key: key(), _type: 'crewMember', job: 'writer', person: person()})
    for (let c = 2 + below(4); c > 0; c--) {
      const job = pick(CREW_JOBS).value
      crew.push({_key: key(), _type: 'crewMember', job, person: person()})
    }
    const cast: NonNullable<SiteFilm['cast']> = []
    for (let c = 3 + below(6); c > 0; c--) {
      const member: NonNullable<SiteFilm['cast']>[number] = {_key: key(), _type: 'castMember', person: person(), characterName: pick(GIVEN)}
      if (chance(0.05)) member.isVoice = true
      cast.push(member)
    }
    const genres = [...new Set([pick(GENRES).value, pick(GENRES).value])]
    const film: SiteFilm = {
      _id: `film-${slug}`,
      _type: 'film',
      title,
      slug: slugOf(slug),
      releaseYear,
      logline: `A story about ${pick(NOUNS).toLowerCase()} and ${pick(NOUNS).toLowerCase()}, told over one ${pick(['winter', 'summer', 'night', 'year'])}.`,
      genres,
      runtimeMinutes: 80 + below(100),
      countries: [pick(COUNTRIES).value],
      languages: [pick(LANGUAGES).value],
      crew,
      cast,
    }
    if (chance(0.1)) film.originalTitle = `${title} (${pick(['Original', 'Director’s cut', 'Première'])})`
    if (chance(0.5)) film.productionYear = releaseYear - below(2)
    films.push(film)
  }
  // Posters on some films, one asset each.
  assets.forEach((asset, i) => {
    const film = films[(i * 7919) % filmCount]
    if (!film || film.poster) return
    film.poster = {_type: 'image', asset: {_type: 'reference', _ref: asset._id}, alt: `Poster of ${film.title}`}
    if (chance(0.5)) film.poster.hotspot = {_type: 'sanity.imageHotspot', x: 0.5, y: 0.4, width: 0.6, height: 0.5}
  })

  // Reviews: a few per film, published on fewer days than there are reviews (ties in publishedOn).
  const reviewDays = Math.max(30, Math.floor(reviewCount / 3))
  const personName = new Map(people.map((person) => [person._id, person.name]))
  const reviews: SiteReview[] = []
  const makeReview = (): SiteReview => {
    const film = pick(films)
    const verdict = pick(VERDICTS)
    const title = `${film.title}: ${verdict}`
    const slug = uniqueSlug(slugify(`${film.slug.current} ${verdict}`))
    const day = below(reviewDays)
    const publishedOn = isoDate(FIRST_DAY + day * DAY_MS)
    const spoilers = chance(0.2)
    const credits = [...(film.crew ?? []), ...(film.cast ?? [])].map((credit) => credit.person._ref)
    const paragraph = () => {
      const roll = random()
      if (roll < 0.3 && credits.length > 0) {
        const personId = pick(credits)
        const name = personName.get(personId) ?? 'Someone'
        return mentionBlock(key, `${pick(SENTENCES)} `, name, ` ${pick(SENTENCES)}`, {_type: 'reference', _ref: personId})
      }
      if (roll < 0.4) return mentionBlock(key, 'Compared with ', film.title, `, ${pick(SENTENCES).toLowerCase()}`, {_type: 'reference', _ref: film._id})
      if (spoilers && roll < 0.55) return spoilerBlock(key, `${pick(SENTENCES)} `, `In the end, ${pick(SPOILERS)}.`)
      return textBlock(key, sentences(1 + below(3)))
    }
    const review: SiteReview = {
      _id: `review-${slug}`,
      _type: 'review',
      title,
      slug: slugOf(slug),
      film: {_type: 'reference', _ref: film._id},
      kind: chance(0.2) ? 'critic' : 'user',
      publishedOn,
      containsSpoilers: spoilers,
      intro: Array.from({length: 1 + below(2)}, paragraph),
      sections: [...new Set(Array.from({length: 2 + below(3)}, () => pick(HEADINGS)))].map((heading) => ({
        _key: key(),
        _type: 'reviewSection',
        heading,
        body: Array.from({length: 1 + below(3)}, paragraph),
      })),
    }
    if (chance(0.9)) review.author = {name: `${pick(GIVEN)} ${pick(FAMILY)}`}
    if (chance(0.8)) review.rating = below(21) / 2
    if (chance(0.15)) review.updatedOn = isoDate(FIRST_DAY + (day + 1 + below(90)) * DAY_MS)
    return review
  }
  for (let i = 0; i < reviewCount; i++) reviews.push(makeReview())
  for (const review of pickDistinct(reviews, 3, below)) {
    review.intro = [textBlock(key, `A note on ${SEARCH_TERM}: ${pick(SENTENCES)}`), ...(review.intro ?? [])]
  }

  // Comments: each review draws a popularity between 1 and 20 (heavy-tailed, the same spread at any
  // size), comments pick reviews in proportion to it; replies answer an earlier approved comment.
  const cumulative: number[] = []
  let weightSum = 0
  for (let i = 0; i < reviewCount; i++) {
    weightSum += 1 / (1 - 0.95 * random())
    cumulative.push(weightSum)
  }
  const popularReview = () => reviews[lowerBound(cumulative, random() * weightSum)] ?? reviews[0]
  const comments: SiteComment[] = []
  const approvedOf = new Map<string, {id: string; at: number}[]>()
  const commentsOf = new Map<string, number>()
  let approvedComments = 0
  let replies = 0
  for (let i = 0; i < commentCount; i++) {
    const review = popularReview()
    if (!review) break
    const id = `comment-${uuid()}`
    const status = weighted(COMMENT_STATUS_WEIGHTS, random())
    const earlier = approvedOf.get(review._id) ?? []
    const parent = earlier.length > 0 && chance(REPLY_SHARE) ? pick(earlier) : undefined
    const base = parent ? parent.at : Date.parse(`${review.publishedOn}T00:00:00Z`)
    // Minute precision, so a popular review has comments at the same minute (ties on createdAt).
    const at = base + (1 + below(parent ? 3 * 24 * 60 : 120 * 24 * 60)) * 60_000
    const comment: SiteComment = {
      _id: status === 'approved' ? id : `moderation.${id}`,
      _type: 'comment',
      review: {_type: 'reference', _ref: review._id},
      authorName: `${pick(GIVEN)} ${pick(FAMILY).charAt(0)}.`,
      body: chance(0.3) ? `${pick(COMMENTS)} ${pick(COMMENTS)}` : pick(COMMENTS),
      status,
      createdAt: new Date(at).toISOString(),
    }
    if (parent) {
      comment.parent = {_type: 'reference', _ref: parent.id, _weak: true}
      replies++
    }
    if (status === 'approved') {
      approvedComments++
      earlier.push({id, at})
      approvedOf.set(review._id, earlier)
    }
    commentsOf.set(review._id, (commentsOf.get(review._id) ?? 0) + 1)
    comments.push(comment)
  }

  // Drafts: edits of published reviews and films, and reviews not yet published.
  const draftDocs: SiteDocument[] = []
  const draftedReviews = pickDistinct(reviews, reviewDrafts, below)
  for (const review of draftedReviews) {
    const draft: SiteReview = structuredClone(review)
    draft._id = `drafts.${review._id}`
    draft.title = `${review.title} (revised)`
    draft.updatedOn = isoDate(Date.parse(`${review.publishedOn}T00:00:00Z`) + (1 + below(30)) * DAY_MS)
    draft.intro = [textBlock(key, `Update: ${pick(SENTENCES)}`), ...(review.intro ?? [])]
    draftDocs.push(draft)
  }
  const draftedFilms = pickDistinct(films, filmDrafts, below)
  for (const film of draftedFilms) {
    const draft: SiteFilm = structuredClone(film)
    draft._id = `drafts.${film._id}`
    draft.logline = `${film.logline ?? ''} (Revised.)`
    draft.cast = [...(film.cast ?? [])].reverse()
    draftDocs.push(draft)
  }
  for (let i = 0; i < draftOnlyReviews; i++) {
    const review = makeReview()
    review._id = `drafts.${review._id}`
    draftDocs.push(review)
  }

  const documents: SiteDocument[] = [...people, ...assets, ...films, ...reviews, ...comments, ...draftDocs]
  if (documents.length !== total) throw new Error(`generateSite made ${documents.length} documents instead of ${total}`)

  const mostCommented = [...commentsOf.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0]
  const reviewById = new Map(reviews.map((review) => [review._id, review]))
  const reviewSlugs = unique([
    ...(mostCommented ? [reviewById.get(mostCommented)?.slug.current] : []),
    ...draftedReviews.slice(0, 2).map((review) => review.slug.current),
    ...pickDistinct(reviews, 8, below).map((review) => review.slug.current),
  ]).slice(0, 8)
  const filmSlugs = unique([
    ...draftedFilms.slice(0, 1).map((film) => film.slug.current),
    ...films.filter((film) => film.poster).slice(0, 1).map((film) => film.slug.current),
    ...pickDistinct(films, 8, below).map((film) => film.slug.current),
  ]).slice(0, 8)
  const credited = new Set(films.flatMap((film) => [...(film.crew ?? []), ...(film.cast ?? [])].map((credit) => credit.person._ref)))
  const personSlugs = pickDistinct(
    people.filter((person) => credited.has(person._id)),
    8,
    below,
  ).map((person) => person.slug.current)

  return {
    documents,
    counts: {
      total,
      reviews: reviews.length,
      comments: comments.length,
      approvedComments,
      replies,
      films: films.length,
      people: people.length,
      assets: assets.length,
      drafts: draftDocs.length,
      draftOnlyReviews,
    },
    samples: {
      reviewSlugs,
      filmSlugs,
      personSlugs,
      searchTerm: SEARCH_TERM,
      draftedReviewIds: draftedReviews.map((review) => review._id),
    },
  }
}

type Block = BlockContent[number]

function textBlock(key: () => string, text: string): Block {
  return {_type: 'block', _key: key(), style: 'normal', markDefs: [], children: [{_type: 'span', _key: key(), text, marks: []}]}
}

function mentionBlock(key: () => string, before: string, name: string, after: string, reference: {_type: 'reference'; _ref: string}): Block {
  const markKey = key()
  return {
    _type: 'block',
    _key: key(),
    style: 'normal',
    markDefs: [{_type: 'mention', _key: markKey, reference}],
    children: [
      {_type: 'span', _key: key(), text: before, marks: []},
      {_type: 'span', _key: key(), text: name, marks: [markKey]},
      {_type: 'span', _key: key(), text: after, marks: []},
    ],
  }
}

function spoilerBlock(key: () => string, before: string, spoiler: string): Block {
  return {
    _type: 'block',
    _key: key(),
    style: 'normal',
    markDefs: [],
    children: [
      {_type: 'span', _key: key(), text: before, marks: []},
      {_type: 'span', _key: key(), text: spoiler, marks: ['spoiler']},
    ],
  }
}

/** First index whose value is >= `value` (`sorted` ascending). */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] ?? Infinity) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

function weighted<T>(choices: readonly (readonly [T, number])[], roll: number): T {
  let left = roll
  for (const [value, weight] of choices) {
    if (left < weight) return value
    left -= weight
  }
  const last = choices.at(-1)
  if (!last) throw new Error('weighted pick from an empty list')
  return last[0]
}

/** Up to `count` different items, in pick order. */
function pickDistinct<T>(items: readonly T[], count: number, below: (n: number) => number): T[] {
  const chosen = new Set<number>()
  const wanted = Math.min(count, items.length)
  while (chosen.size < wanted) chosen.add(below(items.length))
  return [...chosen].flatMap((index) => {
    const item = items[index]
    return item === undefined ? [] : [item]
  })
}

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined))]
}
