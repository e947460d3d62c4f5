import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {importReview, keyFor, toNdjson} from '../../importer/index'
import {ARRIVAL_FILE, mentionsIn, readText, rebuiltBodyLines, sourceBodyLines} from './support'

const source = readText(ARRIVAL_FILE)
const result = importReview(source, {fileName: ARRIVAL_FILE})
const FILM = 'film-arrival-2016'
const ref = (id: string) => ({_type: 'reference', _ref: id})

describe('a second review in the same format (Arrival, CRLF, female actors, no facts file)', () => {
  it('is stored with CRLF line endings, which git keeps because of .gitattributes', () => {
    const bytes = readFileSync(ARRIVAL_FILE, 'latin1')
    expect(bytes.split('\r\n').length).toBeGreaterThan(30)
    expect(bytes.replace(/\r\n/g, '')).not.toContain('\n')
    expect(readFileSync('.gitattributes', 'utf8')).toContain('tests/fixtures/reviews/*.txt -text')
  })

  it('becomes a film whose cast merges the metadata actors with the text’s characters', () => {
    expect(result.film).toStrictEqual({
      _id: FILM,
      _type: 'film',
      title: 'Arrival',
      slug: {_type: 'slug', current: 'arrival-2016'},
      releaseYear: 2016,
      productionYear: 2016,
      logline:
        'A linguist is recruited by the military to communicate with alien visitors after twelve mysterious spacecraft land around the world.',
      genres: ['drama', 'science-fiction'],
      crew: [{_type: 'crewMember', _key: keyFor(FILM, 'crew[0]'), person: ref('person-denis-villeneuve'), job: 'director'}],
      cast: [
        {_type: 'castMember', _key: keyFor(FILM, 'cast[0]'), person: ref('person-jeremy-renner'), characterName: 'Ian Donnelly'},
        {_type: 'castMember', _key: keyFor(FILM, 'cast[1]'), person: ref('person-forest-whitaker'), characterName: 'Colonel Weber'},
        {_type: 'castMember', _key: keyFor(FILM, 'cast[2]'), person: ref('person-amy-adams'), characterName: 'Louise Banks'},
      ],
    })
  })

  it('reuses the person ids of the Her import for the same people', () => {
    expect(result.people).toStrictEqual(
      [
        ['amy-adams', 'Amy Adams'],
        ['denis-villeneuve', 'Denis Villeneuve'],
        ['forest-whitaker', 'Forest Whitaker'],
        ['jeremy-renner', 'Jeremy Renner'],
      ].map(([slug, name]) => ({_id: `person-${slug}`, _type: 'person', name, slug: {_type: 'slug', current: slug}})),
    )
  })

  it('becomes a review without an update date or spoiler flag, with three sections', () => {
    const {intro, sections, ...fields} = result.review
    expect(fields).toStrictEqual({
      _id: 'review-arrival-2016-time-is-a-language',
      _type: 'review',
      title: 'Time Is a Language',
      slug: {_type: 'slug', current: 'arrival-2016-time-is-a-language'},
      film: ref(FILM),
      kind: 'user',
      publishedOn: '2017-03-03',
      containsSpoilers: false,
    })
    expect(intro).toHaveLength(2)
    expect(sections.map((section) => [section.heading, section.body.length])).toStrictEqual([
      ['The Linguist', 2],
      ['Sound and Vision', 2],
      ['Verdict', 1],
    ])
  })

  it('keeps every paragraph verbatim without carriage returns, so the rebuilt text equals the source', () => {
    const rebuilt = rebuiltBodyLines(result.review)
    expect(rebuilt).toStrictEqual(sourceBodyLines(source, result.review.title))
    expect(rebuilt.join('')).not.toContain('\r')
    expect(rebuilt).toContain('The “heptapods” and their circular ink writing are the best movie aliens in years — strange without being grotesque, and not a single déjà vu moment.')
  })

  it('mentions each full name, including one followed by a possessive apostrophe', () => {
    expect(mentionsIn(result.review)).toStrictEqual([
      ['Amy Adams', 'person-amy-adams'],
      ['Jeremy Renner', 'person-jeremy-renner'],
      ['Forest Whitaker', 'person-forest-whitaker'],
      ['Denis Villeneuve', 'person-denis-villeneuve'],
      ['Amy Adams', 'person-amy-adams'],
    ])
  })

  it('imports the same text with LF line endings to the same NDJSON bytes', () => {
    const lf = importReview(source.replace(/\r\n/g, '\n'), {fileName: ARRIVAL_FILE})
    expect(toNdjson(lf.documents)).toBe(toNdjson(result.documents))
  })
})
