import type {SanityDocument} from 'sanity'
import {describe, expect, it} from 'vitest'

import {latestReleaseYear} from '../../schemas/validation'
import {validateDocuments} from '../helpers/validate'

type Doc = SanityDocument & Record<string, unknown>

/** The documented rule, worked out here on its own: release years run up to the current year + 6. */
const LATEST_YEAR = new Date().getFullYear() + 6

const system = {_rev: 'r1', _createdAt: '2024-01-01T00:00:00Z', _updatedAt: '2024-01-01T00:00:00Z'}
const ref = (_ref: string) => ({_type: 'reference', _ref})
const slug = (current: string) => ({_type: 'slug', current})
const block = (text: string, key = 'b1') => ({
  _type: 'block',
  _key: key,
  style: 'normal',
  markDefs: [],
  children: [{_type: 'span', _key: `${key}s`, text, marks: []}],
})

const director: Doc = {
  ...system,
  _id: 'person-spike-jonze',
  _type: 'person',
  name: 'Spike Jonze',
  slug: slug('spike-jonze'),
}
const actor: Doc = {
  ...system,
  _id: 'person-joaquin-phoenix',
  _type: 'person',
  name: 'Joaquin Phoenix',
  slug: slug('joaquin-phoenix'),
}
const film: Doc = {
  ...system,
  _id: 'film-her-2013',
  _type: 'film',
  title: 'Her',
  slug: slug('her-2013'),
  releaseYear: 2013,
  logline: 'A lonely writer develops an unlikely relationship with an operating system.',
  genres: ['drama', 'romance'],
  crew: [{_type: 'crewMember', _key: 'c1', person: ref(director._id), job: 'director'}],
  cast: [
    {
      _type: 'castMember',
      _key: 'k1',
      person: ref(actor._id),
      characterName: 'Theodore Twombly',
      isVoice: false,
    },
  ],
}
const review: Doc = {
  ...system,
  _id: 'review-her-2013-falling-in-love-with-ai',
  _type: 'review',
  title: 'Falling in love with AI',
  slug: slug('her-2013-falling-in-love-with-ai'),
  film: ref(film._id),
  kind: 'user',
  publishedOn: '2014-08-08',
  updatedOn: '2023-09-11',
  containsSpoilers: true,
  rating: 8.5,
  intro: [block('All right, before I begin…')],
  sections: [
    {
      _type: 'reviewSection',
      _key: 's1',
      heading: 'Final Notes',
      body: [block('This movie gave me so much.')],
    },
  ],
}
const comment: Doc = {
  ...system,
  _id: 'comment-1',
  _type: 'comment',
  review: ref(review._id),
  authorName: 'Ada',
  body: 'Lovely review.',
  status: 'approved',
  createdAt: '2024-05-01T10:00:00Z',
}
/** Pending, so at its private id (only approved comments are public); parents are weak references. */
const reply: Doc = {
  ...comment,
  _id: 'moderation.comment-2',
  parent: {...ref(comment._id), _weak: true},
  body: 'Agreed!',
  status: 'pending',
}
const otherReview: Doc = {...review, _id: 'review-other', slug: slug('other-review')}
const commentOnOther: Doc = {...comment, _id: 'comment-other', review: ref(otherReview._id)}

/** Stands in for an uploaded image, so references to it resolve. */
const imageAsset: Doc = {...system, _id: 'image-abc-100x100-jpg', _type: 'sanity.imageAsset'}

const valid = [director, actor, film, review, comment, reply]

/** Validates `document` (a changed copy of a valid one) against the valid dataset plus extras. */
async function markersFor(document: Doc, extra: Doc[] = []) {
  const dataset = [
    ...valid.filter((doc) => doc._id !== document._id),
    document,
    imageAsset,
    ...extra,
  ]
  return validateDocuments([document], dataset)
}

function error(documentId: string, path: string, message: string) {
  return {documentId, path, level: 'error', message}
}

describe('the valid fixtures', () => {
  it('pass every rule with no markers at all', async () => {
    expect(await validateDocuments(valid)).toEqual([])
  })
})

describe('film rules', () => {
  const cases: Array<[string, Partial<Doc>, string, string]> = [
    ['a missing title', {title: undefined}, 'title', 'A film needs a title.'],
    [
      'a missing release year',
      {releaseYear: undefined},
      'releaseYear',
      'A film needs its release year.',
    ],
    [
      'a fractional release year',
      {releaseYear: 2013.5},
      'releaseYear',
      'The release year must be a whole number.',
    ],
    [
      'a year before cinema',
      {releaseYear: 1887},
      'releaseYear',
      `The release year must be between 1888 and ${LATEST_YEAR}.`,
    ],
    [
      'a year too far ahead',
      {releaseYear: LATEST_YEAR + 1},
      'releaseYear',
      `The release year must be between 1888 and ${LATEST_YEAR}.`,
    ],
    [
      'a logline over 300 characters',
      {logline: 'x'.repeat(301)},
      'logline',
      'A logline must be at most 300 characters.',
    ],
    ['no genres', {genres: []}, 'genres', 'Pick one or more different genres from the list.'],
    [
      'a genre outside the list',
      {genres: ['drama', 'noir']},
      'genres[1]',
      'Pick one or more different genres from the list.',
    ],
    [
      'a poster without alternative text',
      {poster: {_type: 'image', asset: ref('image-abc-100x100-jpg')}},
      'poster.alt',
      'Describe the poster in the alternative text, for readers who cannot see it.',
    ],
  ]
  it.each(cases)('rejects %s with a clear message', async (_name, change, path, message) => {
    expect(await markersFor({...film, ...change})).toEqual([error(film._id, path, message)])
  })

  it('takes the latest release year as the current year + 6 (five years after next year)', () => {
    expect(latestReleaseYear(new Date(2026, 0, 1))).toBe(2032)
    expect(latestReleaseYear(new Date(2026, 11, 31))).toBe(2032)
    expect(latestReleaseYear(new Date(2027, 0, 1))).toBe(2033)
  })

  it('accepts the boundary years and a poster with alternative text', async () => {
    for (const releaseYear of [1888, LATEST_YEAR]) {
      expect(await markersFor({...film, releaseYear})).toEqual([])
    }
    const poster = {
      _type: 'image',
      asset: ref('image-abc-100x100-jpg'),
      alt: 'Theodore in a red shirt',
    }
    expect(await markersFor({...film, poster})).toEqual([])
  })

  it('rejects a missing or empty slug, and Sanity also flags the empty value inside it', async () => {
    expect(await markersFor({...film, slug: undefined})).toEqual([
      error(film._id, 'slug', 'A film needs a unique slug; generate it from the title and year.'),
      error(film._id, 'slug.current', 'Required'),
    ])
    expect(await markersFor({...film, slug: {_type: 'slug'}})).toEqual([
      error(film._id, 'slug', 'A film needs a unique slug; generate it from the title and year.'),
      error(film._id, 'slug', 'A film needs a unique slug; generate it from the title and year.'),
      error(film._id, 'slug.current', 'Required'),
    ])
  })

  it('rejects a repeated genre on each copy', async () => {
    expect(await markersFor({...film, genres: ['drama', 'drama']})).toEqual([
      error(film._id, 'genres[0]', 'Pick one or more different genres from the list.'),
      error(film._id, 'genres[1]', 'Pick one or more different genres from the list.'),
    ])
  })

  it('rejects a slug that another film already uses', async () => {
    const copy = {...film, _id: 'film-her-copy'}
    expect(await markersFor(copy)).toEqual([
      error(copy._id, 'slug', 'A film needs a unique slug; generate it from the title and year.'),
    ])
  })

  it('rejects crew and cast credits without a person, job or a known job', async () => {
    const crew = [
      {_type: 'crewMember', _key: 'c1', job: 'director'},
      {_type: 'crewMember', _key: 'c2', person: ref(director._id)},
      {_type: 'crewMember', _key: 'c3', person: ref(director._id), job: 'gaffer'},
    ]
    const cast = [{_type: 'castMember', _key: 'k1', characterName: 'Samantha', isVoice: true}]
    expect(await markersFor({...film, crew, cast})).toEqual([
      error(film._id, 'crew[_key=="c1"].person', 'A crew credit needs a person.'),
      error(film._id, 'crew[_key=="c2"].job', "Choose the crew member's job from the list."),
      error(film._id, 'crew[_key=="c3"].job', "Choose the crew member's job from the list."),
      error(film._id, 'cast[_key=="k1"].person', 'A cast credit needs a person.'),
    ])
  })
})

describe('film details the importer reads (original title, production year, runtime, countries, languages)', () => {
  const details = {
    originalTitle: 'Her',
    productionYear: 2012,
    runtimeMinutes: 126,
    countries: ['US', 'SUHH'],
    languages: ['en', 'yue', 'zxx'],
  }

  it('accepts every field at its bounds, former countries and the no-dialogue language', async () => {
    expect(await markersFor({...film, ...details})).toEqual([])
    expect(await markersFor({...film, productionYear: 1888, runtimeMinutes: 1})).toEqual([])
    expect(await markersFor({...film, productionYear: film.releaseYear, runtimeMinutes: 10_000})).toEqual([])
  })

  const cases: Array<[string, Partial<Doc>, Array<[string, string]>]> = [
    ['an original title over 200 characters', {originalTitle: 'x'.repeat(201)}, [['originalTitle', 'An original title must be at most 200 characters.']]],
    ['a production year after the release year', {productionYear: 2014}, [['productionYear', 'The production year must be between 1888 and 2013, the release year.']]],
    ['a production year before cinema', {productionYear: 1887}, [['productionYear', 'The production year must be between 1888 and 2013, the release year.']]],
    ['a fractional production year', {productionYear: 2012.5}, [['productionYear', 'The production year must be a whole number.']]],
    ['a runtime of zero', {runtimeMinutes: 0}, [['runtimeMinutes', 'The runtime must be between 1 and 10000 minutes.']]],
    ['a runtime over 10,000 minutes', {runtimeMinutes: 10_001}, [['runtimeMinutes', 'The runtime must be between 1 and 10000 minutes.']]],
    [
      'a fractional runtime',
      {runtimeMinutes: 90.5},
      [['runtimeMinutes', 'The runtime must be a whole number of minutes.']],
    ],
    ['a country outside the list', {countries: ['US', 'XX']}, [['countries[1]', 'Pick the country from the list.']]],
    ['a language outside the list', {languages: ['klingon']}, [['languages[0]', 'Pick the language from the list.']]],
    [
      'a repeated country on each copy',
      {countries: ['FR', 'FR']},
      [
        ['countries[0]', 'List each country once.'],
        ['countries[1]', 'List each country once.'],
      ],
    ],
    [
      'a repeated language on each copy',
      {languages: ['en', 'en']},
      [
        ['languages[0]', 'List each language once.'],
        ['languages[1]', 'List each language once.'],
      ],
    ],
  ]
  it.each(cases)('rejects %s with a clear message', async (_name, change, expected) => {
    expect(await markersFor({...film, ...change})).toEqual(expected.map(([path, message]) => error(film._id, path, message)))
  })
})

describe('person rules', () => {
  const cases: Array<[string, Partial<Doc>, string, string]> = [
    ['a missing name', {name: undefined}, 'name', 'A person needs a name.'],
    [
      'an image without alternative text',
      {image: {_type: 'image', asset: ref('image-abc-100x100-jpg')}},
      'image.alt',
      'Describe the image in the alternative text, for readers who cannot see it.',
    ],
  ]
  it.each(cases)('rejects %s with a clear message', async (_name, change, path, message) => {
    expect(await markersFor({...director, ...change})).toEqual([error(director._id, path, message)])
  })
  it('rejects a missing slug and a repeated alias', async () => {
    expect(await markersFor({...director, slug: undefined})).toEqual([
      error(director._id, 'slug', 'A person needs a unique slug; generate it from the name.'),
      error(director._id, 'slug.current', 'Required'),
    ])
    expect(await markersFor({...director, aliases: ['Spike', 'Spike']})).toEqual([
      error(director._id, 'aliases[0]', 'Each alias should be listed once.'),
      error(director._id, 'aliases[1]', 'Each alias should be listed once.'),
    ])
  })
})

describe('review rules', () => {
  const cases: Array<[string, Partial<Doc>, string, string]> = [
    ['a missing title', {title: undefined}, 'title', 'A review needs a title.'],
    ['a missing film', {film: undefined}, 'film', 'A review must be about a film.'],
    [
      'a missing kind',
      {kind: undefined},
      'kind',
      'Choose whether this is a user or a critic review.',
    ],
    [
      'an unknown kind',
      {kind: 'blogger'},
      'kind',
      'Choose whether this is a user or a critic review.',
    ],
    [
      'a missing publication date',
      {publishedOn: undefined},
      'publishedOn',
      'A review needs its publication date.',
    ],
    [
      'an update before publication',
      {updatedOn: '2014-08-07'},
      'updatedOn',
      'The update date cannot be before the publication date.',
    ],
    ['a rating below 0', {rating: -0.5}, 'rating', 'A rating cannot be below 0.'],
    ['a rating above 10', {rating: 10.5}, 'rating', 'A rating cannot be above 10.'],
    [
      'a rating off the half steps',
      {rating: 7.3},
      'rating',
      'A rating must be a whole or half number, like 7 or 7.5.',
    ],
    [
      'an author name over 80 characters',
      {author: {name: 'n'.repeat(81)}},
      'author.name',
      'An author name must be at most 80 characters.',
    ],
    ['no sections', {sections: []}, 'sections', 'A review needs at least one section.'],
    [
      'a section without a heading',
      {sections: [{_type: 'reviewSection', _key: 's1', body: [block('Text')]}]},
      'sections[_key=="s1"].heading',
      'A section needs a heading.',
    ],
    [
      'a section without a body',
      {sections: [{_type: 'reviewSection', _key: 's1', heading: 'H'}]},
      'sections[_key=="s1"].body',
      'A section needs a body.',
    ],
    [
      'a section with only blank text',
      {sections: [{_type: 'reviewSection', _key: 's1', heading: 'H', body: [block('  ')]}]},
      'sections[_key=="s1"].body',
      'A section body cannot be empty.',
    ],
  ]
  it.each(cases)('rejects %s with a clear message', async (_name, change, path, message) => {
    expect(await markersFor({...review, ...change})).toEqual([error(review._id, path, message)])
  })

  it('accepts an anonymous review without rating or update date, updated the same day', async () => {
    const {rating: _rating, updatedOn: _updated, ...rest} = review
    expect(await markersFor(rest as Doc)).toEqual([])
    expect(await markersFor({...review, updatedOn: review.publishedOn})).toEqual([])
    expect(await markersFor({...review, rating: 0})).toEqual([])
    expect(await markersFor({...review, rating: 10})).toEqual([])
  })
  it('rejects a missing slug and a slug another review uses', async () => {
    expect(await markersFor({...review, slug: undefined})).toEqual([
      error(review._id, 'slug', 'A review needs a unique slug; generate it from the title.'),
      error(review._id, 'slug.current', 'Required'),
    ])
    const copy = {...review, _id: 'review-copy'}
    expect(await markersFor(copy)).toEqual([
      error(copy._id, 'slug', 'A review needs a unique slug; generate it from the title.'),
    ])
  })
})

describe('Portable Text rules', () => {
  const withMark = (markDef: Record<string, unknown>) => ({
    intro: [
      {
        _type: 'block',
        _key: 'b1',
        style: 'normal',
        markDefs: [{_key: 'm1', ...markDef}],
        children: [{_type: 'span', _key: 's1', text: 'Joaquin Phoenix', marks: ['m1']}],
      },
    ],
  })

  it('rejects links with a scheme other than http, https or mailto', async () => {
    expect(
      await markersFor({...review, ...withMark({_type: 'link', href: 'javascript:alert(1)'})}),
    ).toEqual([
      error(
        review._id,
        'intro[_key=="b1"].markDefs[_key=="m1"].href',
        'A link needs an http, https or mailto address.',
      ),
    ])
  })

  it('accepts http, https and mailto links and a mention of a person', async () => {
    for (const href of [
      'http://example.com',
      'https://example.com/a',
      'mailto:editor@example.com',
    ]) {
      expect(await markersFor({...review, ...withMark({_type: 'link', href})})).toEqual([])
    }
    expect(
      await markersFor({...review, ...withMark({_type: 'mention', reference: ref(actor._id)})}),
    ).toEqual([])
  })

  it('rejects a mention that points nowhere', async () => {
    expect(await markersFor({...review, ...withMark({_type: 'mention'})})).toEqual([
      error(
        review._id,
        'intro[_key=="b1"].markDefs[_key=="m1"].reference',
        'A mention must point to a person or a film.',
      ),
    ])
  })
})

describe('comment rules', () => {
  const cases: Array<[string, Partial<Doc>, string, string]> = [
    ['a missing review', {review: undefined}, 'review', 'A comment must belong to a review.'],
    [
      'a missing author name',
      {authorName: undefined},
      'authorName',
      'A comment needs an author name.',
    ],
    [
      'an author name over 80 characters',
      {authorName: 'a'.repeat(81)},
      'authorName',
      'An author name must be at most 80 characters.',
    ],
    ['a missing body', {body: undefined}, 'body', 'A comment cannot be empty.'],
    [
      'a body over 5000 characters',
      {body: 'b'.repeat(5001)},
      'body',
      'A comment must be at most 5000 characters.',
    ],
    [
      'a missing status',
      {status: undefined},
      'status',
      'Choose a moderation status: pending, approved, rejected or spam.',
    ],
    [
      'an unknown status',
      {status: 'hidden'},
      'status',
      'Choose a moderation status: pending, approved, rejected or spam.',
    ],
    [
      'a missing creation time',
      {createdAt: undefined},
      'createdAt',
      'A comment needs its creation time.',
    ],
  ]
  it.each(cases)('rejects %s with a clear message', async (_name, change, path, message) => {
    expect(await markersFor({...comment, ...change})).toEqual([error(comment._id, path, message)])
  })

  it('rejects an unapproved comment at a public id, and accepts it at its private id', async () => {
    for (const status of ['pending', 'rejected', 'spam']) {
      expect(await markersFor({...comment, status})).toEqual([
        error(comment._id, '', 'Only approved comments may be public: use Reject to take this comment back into moderation.'),
      ])
      expect(await markersFor({...comment, _id: `moderation.${comment._id}`, status})).toEqual([])
    }
  })

  it('rejects a reply to a comment on another review', async () => {
    const stray = {...reply, parent: ref(commentOnOther._id)}
    expect(await markersFor(stray, [otherReview, commentOnOther])).toEqual([
      error(reply._id, 'parent', 'A reply must be on the same review as the comment it answers.'),
    ])
  })

  it('rejects a comment that replies to itself, also as a draft', async () => {
    expect(await markersFor({...reply, parent: {...ref('comment-2'), _weak: true}})).toEqual([
      error(reply._id, 'parent', 'A comment cannot reply to itself.'),
    ])
    const draft = {...reply, _id: `drafts.${reply._id}`, parent: {...ref('comment-2'), _weak: true}}
    expect(await validateDocuments([draft], [...valid, draft])).toEqual([
      error(draft._id, 'parent', 'A comment cannot reply to itself.'),
    ])
  })
})
