/**
 * fast-check arbitraries for whole datasets of schema-valid content: people, films, reviews and
 * comments as the schemas allow them, with every optional field sometimes missing or empty, texts
 * full of markup characters and any Unicode, and references that either resolve or are weak and
 * dangle (a deleted target). Required fields are present, except genres, which the site must cope
 * without as well. Comments are stored where moderation keeps them (approved: public id; others:
 * the private `moderation.` id), replies at any depth.
 */
import fc from 'fast-check'

import {privateCommentId} from '../../comments/ids'
import {COMMENT_STATUSES, CREW_JOBS, GENRES, REVIEW_KINDS} from '../../schemas/constants'

export interface GeneratedDataset {
  documents: Array<{_id: string; _type: string; [field: string]: unknown}>
  /** Slugs of the generated pages, by route. */
  slugs: {films: string[]; reviews: string[]; people: string[]}
}

type Reference = {_type: 'reference'; _ref: string; _weak?: true}

const NASTY = [
  '<script>alert(1)</script>',
  '</textarea></form><b>bold?',
  '"quoted" & \'single\' <tag attr="x">',
  'Ünïcödé — “quotes” 🎬👩‍👩‍👧',
  ']]> <!-- comment --> &amp;',
  'line\nbreak\ttab',
  '\u2028\u2029 separators',
  'שלום עולם',
  ' ',
]

/** Non-empty text: any Unicode graphemes, or one of the strings that break naive HTML. */
const text = (maxLength = 30) =>
  fc.oneof(
    {weight: 3, arbitrary: fc.string({unit: 'grapheme', minLength: 1, maxLength})},
    {weight: 1, arbitrary: fc.constantFrom(...NASTY)},
  )

/** A day between 1990 and 2030 as `YYYY-MM-DD`. */
const day = fc.integer({min: 0, max: 14_600}).map((n) => new Date(Date.UTC(1990, 0, 1) + n * 86_400_000).toISOString().slice(0, 10))
const instant = fc.integer({min: 0, max: 1_000_000_000}).map((n) => new Date(Date.UTC(2020, 0, 1) + n * 1000).toISOString())

/** A reference to one of `targets`, or a weak reference to a document that no longer exists. */
function reference(targets: string[]): fc.Arbitrary<Reference> {
  const dangling = fc.constantFrom('gone-1', 'gone-2').map((id): Reference => ({_type: 'reference', _ref: id, _weak: true}))
  if (targets.length === 0) return dangling
  return fc.oneof(
    {weight: 4, arbitrary: fc.constantFrom(...targets).map((id): Reference => ({_type: 'reference', _ref: id}))},
    {weight: 1, arbitrary: dangling},
  )
}

/** Portable Text as `blockContent` allows it: styles, lists, decorators, links and mentions. */
function blockContent(mentionTargets: string[], minLength = 0): fc.Arbitrary<unknown[]> {
  const block = fc
    .record({
      style: fc.constantFrom('normal', 'normal', 'h3', 'h4', 'blockquote'),
      listItem: fc.option(fc.constantFrom('bullet', 'number'), {nil: undefined}),
      level: fc.option(fc.integer({min: 1, max: 3}), {nil: undefined}),
      link: fc.option(fc.constantFrom('https://example.com/a?b=1&c=<2>', 'http://example.org', 'mailto:someone@example.com'), {nil: undefined}),
      mention: fc.option(reference(mentionTargets), {nil: undefined}),
      spans: fc.array(
        fc.record({
          text: fc.oneof(text(60), fc.constant('')),
          decorators: fc.subarray(['strong', 'em', 'spoiler']),
          link: fc.boolean(),
          mention: fc.boolean(),
        }),
        {minLength: 1, maxLength: 3},
      ),
    })
    .map(({style, listItem, level, link, mention, spans}) => {
      const markDefs = [
        ...(link ? [{_type: 'link', _key: 'link', href: link}] : []),
        ...(mention ? [{_type: 'mention', _key: 'mention', reference: mention}] : []),
      ]
      return {
        _type: 'block',
        style,
        ...(listItem ? {listItem, level: level ?? 1} : {}),
        markDefs,
        children: spans.map((span, index) => ({
          _type: 'span',
          _key: `s${index}`,
          text: span.text,
          marks: [...span.decorators, ...(span.link && link ? ['link'] : []), ...(span.mention && mention ? ['mention'] : [])],
        })),
      }
    })
  return fc.array(block, {minLength, maxLength: 3}).map((blocks) => blocks.map((item, index) => ({...item, _key: `b${index}`})))
}

const keyed = <T extends object>(items: T[]) => items.map((item, index) => ({_key: `k${index}`, ...item}))
const slug = (current: string) => ({_type: 'slug', current})

function person(id: string, slugValue: string, mentionTargets: string[]) {
  return fc
    .record(
      {
        name: text(),
        aliases: fc.uniqueArray(text(), {maxLength: 3}),
        bio: blockContent(mentionTargets),
      },
      {requiredKeys: ['name']},
    )
    .map((fields) => ({_id: id, _type: 'person', slug: slug(slugValue), ...fields}))
}

function film(id: string, slugValue: string, personIds: string[]) {
  return fc
    .record(
      {
        title: text(),
        releaseYear: fc.integer({min: 1888, max: new Date().getUTCFullYear() + 5}),
        logline: text(300),
        genres: fc.oneof(fc.constant([]), fc.uniqueArray(fc.constantFrom(...GENRES.map((genre) => genre.value)), {minLength: 1, maxLength: 4})),
        crew: fc.array(fc.record({_type: fc.constant('crewMember'), person: reference(personIds), job: fc.constantFrom(...CREW_JOBS.map((job) => job.value))}), {maxLength: 4}).map(keyed),
        cast: fc
          .array(
            fc.record(
              {_type: fc.constant('castMember'), person: reference(personIds), characterName: text(), isVoice: fc.boolean()},
              {requiredKeys: ['_type', 'person']},
            ),
            {maxLength: 4},
          )
          .map(keyed),
      },
      {requiredKeys: ['title', 'releaseYear']},
    )
    .map((fields) => ({_id: id, _type: 'film', slug: slug(slugValue), ...fields}))
}

function review(id: string, slugValue: string, filmIds: string[], mentionTargets: string[]) {
  return fc
    .record(
      {
        title: text(),
        film: reference(filmIds),
        author: fc.record({name: text(80)}, {requiredKeys: []}),
        kind: fc.constantFrom(...REVIEW_KINDS.map((kind) => kind.value)),
        publishedOn: day,
        updatedAfterDays: fc.integer({min: 0, max: 900}),
        containsSpoilers: fc.boolean(),
        rating: fc.integer({min: 0, max: 20}).map((half) => half / 2),
        intro: blockContent(mentionTargets),
        sections: fc
          .array(fc.record({_type: fc.constant('reviewSection'), heading: text(), body: blockContent(mentionTargets, 1)}), {minLength: 1, maxLength: 3})
          .map(keyed),
      },
      {requiredKeys: ['title', 'film', 'kind', 'publishedOn', 'sections']},
    )
    .map(({updatedAfterDays, ...fields}) => ({
      _id: id,
      _type: 'review',
      slug: slug(slugValue),
      ...fields,
      ...(updatedAfterDays === undefined
        ? {}
        : {updatedOn: new Date(Date.parse(`${fields.publishedOn}T00:00:00Z`) + updatedAfterDays * 86_400_000).toISOString().slice(0, 10)}),
    }))
}

/** A discussion: comments in every moderation state, replies to earlier comments or to ones that are gone. */
function discussion(reviewId: string, index: number) {
  return fc
    .array(
      fc.record({
        status: fc.constantFrom(...COMMENT_STATUSES.map((status) => status.value)),
        parent: fc.option(fc.oneof(fc.nat(), fc.constant(-1)), {nil: undefined}),
        authorName: text(80),
        body: fc.oneof(text(200), fc.constant('First line\n\nSecond <b>line</b> & more')),
        createdAt: instant,
      }),
      {maxLength: 6},
    )
    .map((rows) =>
      rows.map((row, position) => {
        const publicId = `comment-gen-${index}-${position}`
        const parentPosition = row.parent === undefined || position === 0 || row.parent < 0 ? undefined : row.parent % position
        const parentRef =
          row.parent === undefined
            ? undefined
            : parentPosition === undefined
              ? 'comment-gone'
              : `comment-gen-${index}-${parentPosition}`
        return {
          _id: row.status === 'approved' ? publicId : privateCommentId(publicId),
          _type: 'comment',
          review: {_type: 'reference', _ref: reviewId},
          ...(parentRef ? {parent: {_type: 'reference', _ref: parentRef, _weak: true}} : {}),
          authorName: row.authorName,
          body: row.body,
          status: row.status,
          createdAt: row.createdAt,
        }
      }),
    )
}

/** Up to 4 people, 3 films and 4 reviews (each with a discussion), linked at random. */
export const datasetArbitrary: fc.Arbitrary<GeneratedDataset> = fc
  .record({people: fc.integer({min: 0, max: 4}), films: fc.integer({min: 0, max: 3}), reviews: fc.integer({min: 0, max: 4})})
  .chain((counts) => {
    const ids = (prefix: string, count: number) => Array.from({length: count}, (_, index) => `${prefix}-gen-${index}`)
    const personIds = ids('person', counts.people)
    const filmIds = ids('film', counts.films)
    const reviewIds = ids('review', counts.reviews)
    const mentionTargets = [...personIds, ...filmIds]
    const slugOf = (id: string) => id.replace('-gen-', '-')
    return fc
      .tuple(
        fc.tuple(...personIds.map((id) => person(id, slugOf(id), mentionTargets))),
        fc.tuple(...filmIds.map((id) => film(id, slugOf(id), personIds))),
        fc.tuple(...reviewIds.map((id) => review(id, slugOf(id), filmIds, mentionTargets))),
        fc.tuple(...reviewIds.map((id, index) => discussion(id, index))),
      )
      .map(([people, films, reviews, discussions]) => ({
        documents: [...people, ...films, ...reviews, ...discussions.flat()],
        slugs: {people: personIds.map(slugOf), films: filmIds.map(slugOf), reviews: reviewIds.map(slugOf)},
      }))
  })
