import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  filmPageQuery,
  personPageQuery,
  reviewListQuery,
  reviewPageQuery,
  searchQuery,
} from '../../queries'
import {fetchTyped, QueryParamsError} from '../../queries/fetch'
import type {ReviewListQueryResult} from '../../sanity.types'
import {herDocuments, put, startTestLake, type TestLake} from '../helpers/lake'

const her = herDocuments()
const reviewId = her.review._id
const ref = (_ref: string) => ({_type: 'reference', _ref})

/**
 * Comments in every moderation state, stored where the handler and moderation keep them (approved
 * at public ids, the rest at private `moderation.` ids); only approved public ones come back.
 */
const comments = [
  {
    _id: 'comment-a',
    authorName: 'Ada',
    body: 'First!',
    status: 'approved',
    createdAt: '2024-01-01T10:00:00Z',
  },
  {
    _id: 'comment-b',
    authorName: 'Bo',
    body: 'Agreed.',
    status: 'approved',
    createdAt: '2024-01-02T10:00:00Z',
    parent: 'comment-a',
  },
  {
    _id: 'comment-c',
    authorName: 'Cy',
    body: 'Pending one',
    status: 'pending',
    createdAt: '2024-01-03T10:00:00Z',
  },
  {
    _id: 'comment-d',
    authorName: 'Di',
    body: 'Rude',
    status: 'rejected',
    createdAt: '2024-01-04T10:00:00Z',
  },
  {
    _id: 'comment-e',
    authorName: 'Ed',
    body: 'Buy pills',
    status: 'spam',
    createdAt: '2024-01-05T10:00:00Z',
  },
  {
    _id: 'comment-f',
    authorName: 'Fi',
    body: 'Reply to a pending comment',
    status: 'approved',
    createdAt: '2024-01-06T10:00:00Z',
    parent: 'comment-c',
  },
  {
    _id: 'comment-g',
    authorName: 'Gu',
    body: 'Late but approved',
    status: 'approved',
    createdAt: '2024-02-01T10:00:00Z',
  },
  {
    _id: 'comment-h',
    authorName: 'Hu',
    body: 'Pending reply',
    status: 'pending',
    createdAt: '2024-02-02T10:00:00Z',
    parent: 'comment-a',
  },
  {
    _id: 'comment-i',
    authorName: 'Iv',
    body: 'Reply to a reply',
    status: 'approved',
    createdAt: '2024-02-03T10:00:00Z',
    parent: 'comment-b',
  },
].map(({parent, _id, ...rest}) => ({
  _id: rest.status === 'approved' ? _id : `moderation.${_id}`,
  _type: 'comment',
  review: ref(reviewId),
  ...(parent ? {parent: {...ref(parent), _weak: true}} : {}),
  ...rest,
}))
/** Approved but at a private id (an inconsistent edit): a client with a token must not show it either. */
const [firstComment] = comments
if (!firstComment) throw new Error('The comment fixtures are empty.')
const privateApproved = {...firstComment, _id: 'moderation.comment-z', body: 'PRIVATE-APPROVED'}

let t: TestLake

beforeAll(async () => {
  t = await startTestLake()
  await put(t.client, [...her.documents, ...comments, privateApproved])
})
afterAll(() => t?.close())

const person = (slug: string, name: string) => ({name, slug})

describe('filmPageQuery', () => {
  it('returns the Her page: film, directors, crew, cast in billing order and its reviews', async () => {
    const page = await fetchTyped(t.anonymous, filmPageQuery, {slug: 'her-2013'})
    expect(page).toEqual({
      _id: 'film-her-2013',
      title: 'Her',
      originalTitle: null,
      slug: 'her-2013',
      releaseYear: 2013,
      productionYear: 2013,
      logline:
        'A lonely writer develops an unlikely relationship with his newly purchased operating system that’s designed to meet his every need.',
      genres: ['drama', 'romance', 'science-fiction'],
      runtimeMinutes: 126,
      countries: ['US'],
      languages: ['en'],
      poster: null,
      directors: [person('spike-jonze', 'Spike Jonze')],
      crew: [
        {job: 'writer', ...person('spike-jonze', 'Spike Jonze')},
        {job: 'producer', ...person('spike-jonze', 'Spike Jonze')},
        {job: 'producer', ...person('megan-ellison', 'Megan Ellison')},
        {job: 'producer', ...person('vincent-landay', 'Vincent Landay')},
        {job: 'cinematographer', ...person('hoyte-van-hoytema', 'Hoyte van Hoytema')},
        {job: 'composer', ...person('arcade-fire', 'Arcade Fire')},
        {job: 'composer', ...person('owen-pallett', 'Owen Pallett')},
        {job: 'editor', ...person('eric-zumbrunnen', 'Eric Zumbrunnen')},
        {job: 'editor', ...person('jeff-buchanan', 'Jeff Buchanan')},
      ],
      cast: [
        {
          portrait: null, ...person('joaquin-phoenix', 'Joaquin Phoenix'),
          characterName: 'Theodore Twombly',
          isVoice: false,
        },
        {portrait: null, ...person('amy-adams', 'Amy Adams'), characterName: 'Amy', isVoice: false},
        {
          portrait: null, ...person('scarlett-johansson', 'Scarlett Johansson'),
          characterName: 'Samantha',
          isVoice: true,
        },
        {portrait: null, ...person('olivia-wilde', 'Olivia Wilde'), characterName: 'Blind Date', isVoice: false},
        {portrait: null, ...person('rooney-mara', 'Rooney Mara'), characterName: 'Catherine', isVoice: false},
        {portrait: null, ...person('chris-pratt', 'Chris Pratt'), characterName: 'Paul', isVoice: false},
        {
          portrait: null, ...person('portia-doubleday', 'Portia Doubleday'),
          characterName: 'Isabella',
          isVoice: false,
        },
        {portrait: null, ...person('matt-letscher', 'Matt Letscher'), characterName: 'Charles', isVoice: false},
        {portrait: null, ...person('kristen-wiig', 'Kristen Wiig'), characterName: 'SexyKitten', isVoice: true},
        {portrait: null, ...person('brian-cox', 'Brian Cox'), characterName: 'Alan Watts', isVoice: true},
      ],
      reviews: [
        {
          _id: 'review-her-2013-falling-in-love-with-ai',
          title: 'Falling in love with AI',
          slug: 'her-2013-falling-in-love-with-ai',
          authorName: null,
          publishedOn: '2014-08-08',
          containsSpoilers: true,
          excerpt:
            'All right, before I begin I want to state that this review was made after only one viewing, directly after finishing the movie and as such, the review is based on my immediate first impressions and the associations I got from them. Because I haven’t been able to let the movie rea',
        },
      ],
    })
  })

  it('returns null for an unknown slug', async () => {
    expect(await fetchTyped(t.anonymous, filmPageQuery, {slug: 'no-such-film'})).toBeNull()
  })
})

describe('reviewPageQuery', () => {
  it('returns the review with six sections in order, the film summary and the approved thread', async () => {
    const page = await fetchTyped(t.anonymous, reviewPageQuery, {
      slug: 'her-2013-falling-in-love-with-ai',
    })
    expect(page).not.toBeNull()
    const {intro, sections, ...rest} = page!
    expect(rest).toEqual({
      _id: reviewId,
      title: 'Falling in love with AI',
      slug: 'her-2013-falling-in-love-with-ai',
      kind: 'user',
      authorName: null,
      publishedOn: '2014-08-08',
      updatedOn: '2023-09-11',
      containsSpoilers: true,
      rating: null,
      film: {
        _id: 'film-her-2013',
        title: 'Her',
        releaseYear: 2013,
        slug: 'her-2013',
        logline:
          'A lonely writer develops an unlikely relationship with his newly purchased operating system that’s designed to meet his every need.',
        genres: ['drama', 'romance', 'science-fiction'],
        poster: null,
        directors: ['Spike Jonze'],
      },
      // Flat, oldest first; commentThreads nests them (tests/queries/threads.test.ts).
      comments: [
        {_id: 'comment-a', authorName: 'Ada', body: 'First!', createdAt: '2024-01-01T10:00:00Z', parentId: null},
        {_id: 'comment-b', authorName: 'Bo', body: 'Agreed.', createdAt: '2024-01-02T10:00:00Z', parentId: 'comment-a'},
        {_id: 'comment-f', authorName: 'Fi', body: 'Reply to a pending comment', createdAt: '2024-01-06T10:00:00Z', parentId: 'comment-c'},
        {_id: 'comment-g', authorName: 'Gu', body: 'Late but approved', createdAt: '2024-02-01T10:00:00Z', parentId: null},
        {_id: 'comment-i', authorName: 'Iv', body: 'Reply to a reply', createdAt: '2024-02-03T10:00:00Z', parentId: 'comment-b'},
      ],
    })
    expect(sections.map((section) => section.heading)).toEqual([
      'Setting and introductions',
      'When He met Her',
      'Love Progresses',
      'Complications and an Owl',
      'The Big Revelation',
      'Final Notes',
    ])
    // The Portable Text is the stored text, with each mention resolved for linking.
    const people = new Map(her.people.map((p) => [p._id, p]))
    const resolve = (blocks: typeof her.review.intro) =>
      blocks.map((block) => ({
        ...block,
        markDefs: block.markDefs.map((def) => {
          const target = people.get(def.reference._ref)!
          return {...def, target: {_type: 'person', slug: target.slug.current, name: target.name}}
        }),
      }))
    expect(intro).toEqual(resolve(her.review.intro))
    expect(sections).toEqual(
      her.review.sections.map((section) => ({
        _key: section._key,
        heading: section.heading,
        body: resolve(section.body),
      })),
    )
    const mentioned = sections.flatMap((s) =>
      s.body.flatMap((b) =>
        (b.markDefs ?? []).flatMap((d) => (d._type === 'mention' ? [d.target] : [])),
      ),
    )
    expect(mentioned).toContainEqual({
      _type: 'person',
      slug: 'joaquin-phoenix',
      name: 'Joaquin Phoenix',
    })
  })
})

describe('personPageQuery', () => {
  it('lists every credit of Joaquin Phoenix and Spike Jonze found through references()', async () => {
    expect(await fetchTyped(t.anonymous, personPageQuery, {slug: 'joaquin-phoenix'})).toEqual({
      _id: 'person-joaquin-phoenix',
      name: 'Joaquin Phoenix',
      slug: 'joaquin-phoenix',
      aliases: null,
      bio: null,
      image: null,
      credits: [
        {
          _id: 'film-her-2013',
          title: 'Her',
          releaseYear: 2013,
          slug: 'her-2013',
          roles: [{characterName: 'Theodore Twombly', isVoice: false}],
          jobs: [],
        },
      ],
    })
    const jonze = await fetchTyped(t.anonymous, personPageQuery, {slug: 'spike-jonze'})
    expect(jonze?.credits).toEqual([
      {
        _id: 'film-her-2013',
        title: 'Her',
        releaseYear: 2013,
        slug: 'her-2013',
        roles: [],
        jobs: ['director', 'writer', 'producer'],
      },
    ])
  })
})

describe('searchQuery', () => {
  it('finds the film and the review for "Her", and the person and the review for "Phoenix"', async () => {
    const hit = (_type: string, _id: string, title: string, slug: string) => ({
      _type,
      _id,
      title,
      slug,
    })
    const review = hit(
      'review',
      reviewId,
      'Falling in love with AI',
      'her-2013-falling-in-love-with-ai',
    )
    expect(await fetchTyped(t.anonymous, searchQuery, {term: 'Her'})).toEqual([
      hit('film', 'film-her-2013', 'Her', 'her-2013'),
      review,
    ])
    expect(await fetchTyped(t.anonymous, searchQuery, {term: 'Phoenix'})).toEqual([
      hit('person', 'person-joaquin-phoenix', 'Joaquin Phoenix', 'joaquin-phoenix'),
      review,
    ])
    expect(await fetchTyped(t.anonymous, searchQuery, {term: 'Scarlet'})).toEqual([
      hit('person', 'person-scarlett-johansson', 'Scarlett Johansson', 'scarlett-johansson'),
      review,
    ])
    expect(await fetchTyped(t.anonymous, searchQuery, {term: 'zzzzqqq'})).toEqual([])
  })

  it('shows nothing at a private id, even to a client with a token', async () => {
    const page = await fetchTyped(t.client, reviewPageQuery, {slug: her.review.slug.current})
    expect(page?.comments.map((comment) => comment._id)).toStrictEqual(['comment-a', 'comment-b', 'comment-f', 'comment-g', 'comment-i'])
    const hidden = {...her.review, _id: 'secret.review-hidden', slug: {_type: 'slug' as const, current: 'hidden-review'}}
    await put(t.client, [hidden])
    expect(await fetchTyped(t.client, reviewPageQuery, {slug: 'hidden-review'})).toBeNull()
    const list = await fetchTyped(t.client, reviewListQuery, {limit: 50, after: null})
    expect(list.map((item) => item._id)).not.toContain('secret.review-hidden')
  })
})

describe('reviewListQuery', () => {
  it('walks generated reviews newest first with keyset pagination, without duplicates or gaps', async () => {
    const dates = [
      '2020-01-01',
      '2020-01-01',
      '2020-01-01',
      '2019-06-30',
      '2021-12-31',
      '2019-06-30',
      '2018-02-03',
    ]
    const generated = Array.from({length: 23}, (_, i) => ({
      _id: `review-generated-${String(i).padStart(2, '0')}`,
      _type: 'review',
      title: `Generated ${i}`,
      slug: {_type: 'slug', current: `generated-${i}`},
      film: ref('film-her-2013'),
      kind: 'user',
      publishedOn: dates[i % dates.length],
      sections: [],
    }))
    const {client, close} = await startTestLake('paging')
    try {
      await put(client, [...her.documents, ...generated])
      const seen: string[] = []
      let after: {publishedOn: string; _id: string} | null = null
      for (let page = 0; page < 20; page++) {
        const items: ReviewListQueryResult = await fetchTyped(client, reviewListQuery, {
          limit: 4,
          after,
        })
        seen.push(...items.map((item) => item._id))
        const last = items.at(-1)
        if (!last || items.length < 4) break
        after = {publishedOn: last.publishedOn, _id: last._id}
      }
      const expected = [
        ...generated.map((r) => ({id: r._id, date: r.publishedOn!})),
        {id: reviewId, date: '2014-08-08'},
      ]
        .sort((a, b) => (a.date === b.date ? (a.id < b.id ? 1 : -1) : a.date < b.date ? 1 : -1))
        .map((r) => r.id)
      expect(seen).toEqual(expected)
      expect(new Set(seen).size).toBe(24)
    } finally {
      await close()
    }
  })
})

describe('fetchTyped', () => {
  it('names the bad parameter before sending anything', async () => {
    const bad = {slug: 'Not A Slug'}
    await expect(fetchTyped(t.anonymous, filmPageQuery, bad)).rejects.toThrow(
      new QueryParamsError([
        {param: 'slug', message: 'The slug must be lowercase letters, digits and hyphens.'},
      ]),
    )
    await expect(fetchTyped(t.anonymous, reviewListQuery, {limit: 0, after: null})).rejects.toThrow(
      'Invalid query parameters: $limit: The page size must be at least 1.',
    )
    await expect(
      fetchTyped(t.anonymous, reviewListQuery, {
        limit: 5,
        after: {publishedOn: 'yesterday', _id: 'x'},
      }),
    ).rejects.toThrow(
      'Invalid query parameters: $after.publishedOn: The date must look like 2014-08-08.',
    )
    await expect(fetchTyped(t.anonymous, searchQuery, {term: '  '})).rejects.toThrow(
      'Invalid query parameters: $term: The search term cannot be empty.',
    )
  })
})
