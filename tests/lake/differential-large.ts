/**
 * Large scenarios for the differential test: a few hundred documents, so that plans which
 * only pay off on many candidates are taken (ordered scans that read `*[…] | order(…)[a...b]`
 * in key order and stop early, keyset pagination ranges, the word index behind `match`,
 * candidate lists read through the checkpoint). The documents come from a seeded generator
 * (fast-check picks the seed and the size); transactions and queries come from fast-check.
 *
 * Values are chosen for the orderings: many ties (dates, ratings, slugs), every type groq-js
 * ranks differently in `order()` (numbers, strings, booleans, null, missing, arrays) at the
 * ordered paths, strings whose code-unit order differs from a locale's, and words with
 * punctuation, case and accents for `match`.
 */
import fc from 'fast-check'

import type {Body, Op} from './differential-grammar'
import {PLAIN, pick, q, seenOp} from './differential-grammar'
import type {Doc, PerspectiveName, QueryCase} from './differential-harness'

const TYPES = ['review', 'film', 'person', 'comment'] as const
const TYPE_WEIGHTS = [70, 12, 10, 8]
const DATES = ['2020-01-01', '2020-06-15', '2021-01-01', '2021-03-31', '2021-12-24', '2022-02-02', '2022-02-02T10:00:00Z', '2023-07-04', '2023-10-10', '2024-01-01', '2024-05-05', '2025-01-01']
const WORDS = ['alpha', 'Alpha', 'alphabet', 'beta', 'gamma', 'é', 'École', 'über', 'zeta', 'Zeta', 'co-op', 'alpha-beta', 'alpha.beta', "Ann's", '3.5', 'x@y', 'ALPHA', 'ä', 'z']
const TIMES = ['2024-01-01T00:00:00Z', '2024-06-01T12:00:00Z', '2023-12-31T23:59:59Z', '2025-02-03T04:05:06Z']

/** A small deterministic PRNG (mulberry32), so a seed names a whole dataset. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const largeId = (i: number): string => `d${String(i).padStart(3, '0')}`
/** Films are every 8th document (d000, d008, …), so references mostly hit. */
const filmId = (i: number): string => largeId(i * 8)

function fieldsFrom(next: () => number, size: number): {_type: string; fields: Record<string, unknown>; system: Record<string, unknown>} {
  const one = <T,>(options: readonly T[]): T => options[Math.floor(next() * options.length)] as T
  const chance = (p: number) => next() < p
  const words = (n: number) => Array.from({length: n}, () => one(WORDS)).join(' ')
  let roll = next() * 100
  let type: string = TYPES[0]
  for (const [i, weight] of TYPE_WEIGHTS.entries()) {
    if (roll < weight) {
      type = TYPES[i] ?? type
      break
    }
    roll -= weight
  }
  const fields: Record<string, unknown> = {}
  if (chance(0.9)) fields.title = chance(0.9) ? words(1 + Math.floor(next() * 3)) : one<unknown>([7, null, ['alpha'], true])
  const published = next()
  if (published < 0.8) fields.publishedOn = one(DATES)
  else if (published < 0.85) fields.publishedOn = null
  else if (published < 0.88) fields.publishedOn = 2021
  else if (published < 0.9) fields.publishedOn = true
  const rating = next()
  if (rating < 0.8) fields.rating = one([0, 1, 2, 2.5, 3, 4, 5])
  else if (rating < 0.85) fields.rating = '3'
  else if (rating < 0.9) fields.rating = null
  if (chance(0.7)) fields.year = 1990 + Math.floor(next() * 6)
  if (chance(0.8)) fields.slug = {_type: 'slug', current: `s${Math.floor(next() * 40)}`}
  if (type === 'review' && chance(0.9)) fields.film = {_type: 'reference', _ref: chance(0.9) ? filmId(Math.floor(next() * (size / 8))) : one(['missing', `drafts.${filmId(1)}`])}
  if (chance(0.5)) fields.tags = Array.from({length: Math.floor(next() * 3)}, () => one(WORDS))
  if (chance(0.5)) fields.body = {note: words(1 + Math.floor(next() * 4))}
  if (chance(0.3)) fields.content = [{_type: 'block', _key: 'b1', children: [{_type: 'span', _key: 's1', text: words(2)}, {_type: 'span', _key: 's2', text: ` ${words(1)}`}]}]
  if (chance(0.5)) fields.flag = chance(0.5)
  const system = chance(0.7) ? {_rev: 'r1', _createdAt: one(TIMES), _updatedAt: one(TIMES)} : {}
  return {_type: type, fields, system}
}

function docFrom(id: string, b: {_type: string; fields: Record<string, unknown>; system: Record<string, unknown>}): Doc {
  return {_id: id, _type: b._type, ...b.system, ...b.fields}
}

/** `size` published documents d000…, plus drafts of about 8% and release versions of about 3% of them. */
export function largeDocuments(size: number, seed: number): Doc[] {
  const next = random(seed)
  const docs: Doc[] = []
  for (let i = 0; i < size; i++) {
    const id = largeId(i)
    docs.push(docFrom(id, fieldsFrom(next, size)))
    if (next() < 0.08) docs.push(docFrom(`drafts.${id}`, fieldsFrom(next, size)))
    if (next() < 0.03) docs.push(docFrom(`versions.rel1.${id}`, fieldsFrom(next, size)))
  }
  return docs
}

// ---------------------------------------------------------------------------
// Transactions: small writes into the large set (the ordered and word indexes must follow)
// ---------------------------------------------------------------------------

const anyId = fc.oneof(
  {arbitrary: fc.nat({max: 459}).map(largeId), weight: 6},
  {arbitrary: fc.nat({max: 459}).map((i) => `drafts.${largeId(i)}`), weight: 2},
  {arbitrary: fc.nat({max: 459}).map((i) => `versions.rel1.${largeId(i)}`), weight: 1},
)

const largeBody: fc.Arbitrary<Body> = fc.nat().map((seed) => fieldsFrom(random(seed), 400))

/** A patch that moves a document within the orderings (or out of the word index). */
const largeSet: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    publishedOn: fc.constantFrom<unknown>(...DATES, '2019-12-31', '2030-01-01', null, 2021, true),
    rating: fc.constantFrom<unknown>(0, 2.5, 5, 9, -1, '3', null),
    title: fc.constantFrom<unknown>('alpha', 'Zeta co-op', 'é', 'AAA first', 'zzz last', 7, null),
    _type: fc.constantFrom<unknown>(...TYPES),
    slug: fc.constantFrom<unknown>({current: 's1'}, {current: 's39'}, null),
  },
  {requiredKeys: [], noNullPrototype: true},
)

export const largeOp: fc.Arbitrary<Op> = fc.oneof(
  {arbitrary: fc.record({kind: fc.constant('put' as const), id: anyId, body: largeBody}, PLAIN), weight: 3},
  {arbitrary: fc.record({kind: fc.constant('patch' as const), id: anyId, set: largeSet, unset: fc.subarray(['publishedOn', 'rating', 'title', 'body'])}, PLAIN), weight: 5},
  {arbitrary: fc.record({kind: fc.constant('delete' as const), id: anyId}, PLAIN), weight: 2},
  {arbitrary: fc.record({kind: fc.constant('publish' as const), id: fc.nat({max: 459}).map(largeId), from: fc.constant('drafts.' as const)}, PLAIN), weight: 1},
  {arbitrary: seenOp(largeSet), weight: 12},
)

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

/** Terms of a filter an ordered scan evaluates per document (no `^`), many on the order keys. */
const term: fc.Arbitrary<string> = fc.oneof(
  {arbitrary: pick('_type == "review"', '_type == $type', '_type in ["review", "film"]', '_type != "person"'), weight: 6},
  {
    arbitrary: pick(
      'defined(publishedOn)',
      'publishedOn < $after.publishedOn',
      'publishedOn <= $after.publishedOn',
      'publishedOn == $after.publishedOn',
      'publishedOn > "2021-06-01"',
      'publishedOn >= "2022-02-02"',
      '"2023-01-01" > publishedOn',
      'publishedOn < 2022',
      'publishedOn == null',
      '(publishedOn < $after.publishedOn || (publishedOn == $after.publishedOn && _id < $after._id))',
      '(publishedOn > $after.publishedOn || (publishedOn == $after.publishedOn && _id > $after._id))',
      '($after == null || publishedOn < $after.publishedOn)',
    ),
    weight: 5,
  },
  {arbitrary: pick('rating > $num', 'rating >= 3', 'rating == 2.5', 'rating < "4"', 'rating in [1, 2]', '(rating < $after.rating || (rating == $after.rating && _id > $after._id))', 'rating != null'), weight: 3},
  {arbitrary: pick('_id > $after._id', '_id < "d200"', '_id in path("drafts.**")', '!(_id in path("drafts.**"))', 'slug.current == $slug', 'slug.current > "s2"', 'title < "m"', 'title >= "Zeta"', 'year == 1993', 'year > $num'), weight: 3},
  {arbitrary: pick('film._ref == $film', 'references($film)', 'flag', 'flag == false', 'count(tags) > 1', 'defined(body.note)', '_updatedAt > "2024-01-01T00:00:00Z"', 'true', 'false', 'null'), weight: 2},
  {arbitrary: pick('title match $str', 'title match "alpha*"', '[title, body.note] match $str', 'pt::text(content) match $str'), weight: 2},
)

const filter: fc.Arbitrary<string> = fc.oneof(
  {arbitrary: term, weight: 2},
  {arbitrary: q`${term} && ${term}`, weight: 4},
  {arbitrary: q`${term} && ${term} && ${term}`, weight: 2},
  {arbitrary: q`${term} || ${term}`, weight: 1},
  {arbitrary: q`${term} && (${term} || ${term})`, weight: 1},
  {arbitrary: q`${term} && !(${term})`, weight: 1},
)

/** Order keys: document paths (what ordered scans read), with ties, mixed types and missing values. */
const orderKeys = pick(
  'publishedOn desc, _id desc',
  'publishedOn asc, _id asc',
  'publishedOn desc',
  'publishedOn',
  '_id',
  '_id desc',
  'rating desc, publishedOn desc, _id',
  'rating, _id desc',
  'title',
  'title desc, _id',
  'slug.current',
  'slug.current desc, _id',
  'year desc, title asc',
  '_updatedAt desc',
  'film._ref, _id',
  'tags',
  'flag desc, _id',
  '_type, publishedOn desc',
)

const slice = pick('[0...10]', '[0..24]', '[5...15]', '[0]', '[3]', '[0...300]', '[250...260]', '[0...1000]', '[0...1001]', '[20...10]', '[0...0]', '[-3...-1]')

const projection = pick('', '{_id, publishedOn, rating}', '{_id, title, "film": film->title}', '._id', '{_id, "f": film->_id, "self": @._id}', '{..., "slug": slug.current}')

/** Words for `match` (with wildcards, punctuation, case and accents) and the rest of the params. */
const largeParams: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    after: fc.oneof(
      {arbitrary: fc.record({publishedOn: fc.constantFrom<unknown>(...DATES, null, 2021), _id: fc.nat({max: 459}).map(largeId), rating: fc.constantFrom<unknown>(0, 2.5, 4, '3', null)}, PLAIN), weight: 6},
      {arbitrary: fc.constantFrom<unknown>(null, {}), weight: 1},
    ),
    num: fc.constantFrom<unknown>(0, 2, 2.5, 1992, '3', null),
    str: fc.constantFrom<unknown>('alpha', 'ALPHA', 'alph*', 'al*a', '*pha', 'alpha beta', 'alpha-beta', 'alpha.beta', 'co-op', 'é', 'ecole', 'École', 'über', '3.5', 'x@y', "Ann's", 'zeta gamma', '', '*', ['alpha', 'beta'], 7),
    type: fc.constantFrom<unknown>('review', 'film', 'person', null),
    film: fc.oneof(fc.nat({max: 57}).map(filmId), fc.constantFrom<unknown>('missing', null, 3)),
    slug: fc.constantFrom<unknown>('s1', 's39', 's40', 1, null),
  },
  PLAIN,
)

const largeQuery: fc.Arbitrary<string> = fc.oneof(
  // Ordered, limited reads: what an ordered scan serves.
  {arbitrary: q`*[${filter}] | order(${orderKeys})${slice}${projection}`, weight: 10},
  {arbitrary: q`*[${filter}] | order(${orderKeys})`, weight: 1},
  {arbitrary: q`count(*[${filter}])`, weight: 2},
  // Text: word-index candidates for `match` terms.
  {arbitrary: q`*[${pick('_type == "review"', '_type in ["review", "film"]', 'true', 'defined(title)')} && (${pick('title match $str', '[title, body.note] match $str', 'body.note match $str', 'pt::text(content) match $str', 'tags match $str')} || ${pick('title match "alpha*"', 'title match $str', 'body.note match "beta"')})]${pick('._id', '{_id, title}', ' | order(_id desc)[0...5]._id', ' | score(title match $str) | order(_score desc, _id)[0...10]{_id, _score}')}`, weight: 4},
  {arbitrary: q`*[${pick('title match $str', 'pt::text(content) match $str', '[title, body.note, tags] match $str')}]._id`, weight: 2},
  // Correlated lookups from a few outer documents.
  {arbitrary: q`*[_type == "film"] | order(_id)[0...4]{_id, "latest": *[_type == "review" && film._ref == ^._id] | order(${orderKeys})[0...3]{_id, publishedOn}}`, weight: 2},
)

const perspective: fc.Arbitrary<PerspectiveName> = fc.oneof(
  {arbitrary: fc.constantFrom<PerspectiveName>('published', 'drafts', 'raw'), weight: 6},
  {arbitrary: fc.constant<PerspectiveName>('rel1,drafts'), weight: 1},
)

export const largeQueryCase: fc.Arbitrary<QueryCase> = fc.record(
  {query: largeQuery, params: largeParams, perspective, allowPrivate: fc.oneof({arbitrary: fc.constant(true), weight: 4}, {arbitrary: fc.constant(false), weight: 1})},
  PLAIN,
)

export interface LargeScenario {
  size: number
  seed: number
  steps: {queries: QueryCase[]; tx: Op[]}[]
}

export const largeScenario: fc.Arbitrary<LargeScenario> = fc.record(
  {
    size: fc.constantFrom(300, 380, 460),
    seed: fc.nat(),
    steps: fc.array(fc.record({queries: fc.array(largeQueryCase, {minLength: 1, maxLength: 3}), tx: fc.array(largeOp, {maxLength: 3})}, PLAIN), {minLength: 1, maxLength: 3}),
  },
  PLAIN,
)
