import {describe, expect, it} from 'vitest'

import {importReview, keyFor, parseFacts, toNdjson, type ImportResult} from '../../importer/index'
import herFacts from '../../seed/her-2013.facts'
import {arraysIn, HER_FACTS_FILE, HER_FILE, mentionsIn, readText, rebuiltBodyLines, sourceBodyLines} from './support'

const source = readText(HER_FILE)
const facts = parseFacts(herFacts, HER_FACTS_FILE)
const importHer = (): ImportResult => importReview(source, {fileName: HER_FILE, facts})
const result = importHer()

const FILM = 'film-her-2013'
const ref = (id: string) => ({_type: 'reference', _ref: id})
const crew = (index: number, person: string, job: string) => ({
  _type: 'crewMember',
  _key: keyFor(FILM, `crew[${index}]`),
  person: ref(`person-${person}`),
  job,
})
const cast = (index: number, person: string, characterName: string, isVoice = false) => ({
  _type: 'castMember',
  _key: keyFor(FILM, `cast[${index}]`),
  person: ref(`person-${person}`),
  characterName,
  ...(isVoice ? {isVoice: true} : {}),
})
const person = (slug: string, name: string, aliases?: string[]) => ({
  _id: `person-${slug}`,
  _type: 'person',
  name,
  slug: {_type: 'slug', current: slug},
  ...(aliases ? {aliases} : {}),
})

describe('the Her (2013) user review with its curated facts', () => {
  it('becomes one film with metadata, text and facts credits in billing order', () => {
    expect(result.film).toStrictEqual({
      _id: 'film-her-2013',
      _type: 'film',
      title: 'Her',
      slug: {_type: 'slug', current: 'her-2013'},
      releaseYear: 2013,
      // The "Production year 2013" line (dropped silently before the film gained the field).
      productionYear: 2013,
      logline:
        'A lonely writer develops an unlikely relationship with his newly purchased operating system that’s designed to meet his every need.',
      genres: ['drama', 'romance', 'science-fiction'],
      // From the curated facts: the review's details lines do not give them.
      runtimeMinutes: 126,
      countries: ['US'],
      languages: ['en'],
      crew: [
        crew(0, 'spike-jonze', 'director'),
        crew(1, 'spike-jonze', 'writer'),
        crew(2, 'spike-jonze', 'producer'),
        crew(3, 'megan-ellison', 'producer'),
        crew(4, 'vincent-landay', 'producer'),
        crew(5, 'hoyte-van-hoytema', 'cinematographer'),
        crew(6, 'arcade-fire', 'composer'),
        crew(7, 'owen-pallett', 'composer'),
        crew(8, 'eric-zumbrunnen', 'editor'),
        crew(9, 'jeff-buchanan', 'editor'),
      ],
      cast: [
        cast(0, 'joaquin-phoenix', 'Theodore Twombly'),
        cast(1, 'amy-adams', 'Amy'),
        cast(2, 'scarlett-johansson', 'Samantha', true),
        cast(3, 'olivia-wilde', 'Blind Date'),
        cast(4, 'rooney-mara', 'Catherine'),
        cast(5, 'chris-pratt', 'Paul'),
        cast(6, 'portia-doubleday', 'Isabella'),
        cast(7, 'matt-letscher', 'Charles'),
        cast(8, 'kristen-wiig', 'SexyKitten', true),
        cast(9, 'brian-cox', 'Alan Watts', true),
      ],
    })
  })

  it('creates one person per credited name, sorted by id, with the text’s misspelling kept as an alias', () => {
    expect(result.people).toStrictEqual([
      person('amy-adams', 'Amy Adams'),
      person('arcade-fire', 'Arcade Fire'),
      person('brian-cox', 'Brian Cox'),
      person('chris-pratt', 'Chris Pratt'),
      person('eric-zumbrunnen', 'Eric Zumbrunnen'),
      person('hoyte-van-hoytema', 'Hoyte van Hoytema'),
      person('jeff-buchanan', 'Jeff Buchanan'),
      person('joaquin-phoenix', 'Joaquin Phoenix'),
      person('kristen-wiig', 'Kristen Wiig'),
      person('matt-letscher', 'Matt Letscher'),
      person('megan-ellison', 'Megan Ellison'),
      person('olivia-wilde', 'Olivia Wilde'),
      person('owen-pallett', 'Owen Pallett'),
      person('portia-doubleday', 'Portia Doubleday'),
      person('rooney-mara', 'Rooney Mara'),
      person('scarlett-johansson', 'Scarlett Johansson', ['Scarlet Johansson']),
      person('spike-jonze', 'Spike Jonze'),
      person('vincent-landay', 'Vincent Landay'),
    ])
  })

  it('becomes an anonymous user review with six sections, its dates and a spoiler flag', () => {
    const {intro, sections, ...fields} = result.review
    expect(fields).toStrictEqual({
      _id: 'review-her-2013-falling-in-love-with-ai',
      _type: 'review',
      title: 'Falling in love with AI',
      slug: {_type: 'slug', current: 'her-2013-falling-in-love-with-ai'},
      film: ref('film-her-2013'),
      kind: 'user',
      publishedOn: '2014-08-08',
      updatedOn: '2023-09-11',
      containsSpoilers: true,
    })
    expect(intro).toHaveLength(6)
    expect(sections.map((section) => [section.heading, section.body.length])).toStrictEqual([
      ['Setting and introductions', 9],
      ['When He met Her', 5],
      ['Love Progresses', 6],
      ['Complications and an Owl', 9],
      ['The Big Revelation', 15],
      ['Final Notes', 5],
    ])
  })

  it('keeps every paragraph verbatim and in order, so the text rebuilt from the documents equals the source', () => {
    const rebuilt = rebuiltBodyLines(result.review)
    expect(rebuilt).toStrictEqual(sourceBodyLines(source, result.review.title))
    expect(rebuilt.join('\n')).toContain('and\u00a0Isabella does the…uhm…everything else')
    expect(rebuilt.join('\n')).toContain('“Female, I guess”')
    expect(result.film.logline).toBe(source.split('\n')[5])
  })

  it('writes every paragraph as a normal block whose spans split only around mentions', () => {
    const first = result.review.intro[0]
    expect(first).toStrictEqual({
      _type: 'block',
      _key: keyFor(result.review._id, 'intro[0]'),
      style: 'normal',
      markDefs: [],
      children: [
        {
          _type: 'span',
          _key: keyFor(result.review._id, 'intro[0].children[0]'),
          text: source.split('\n')[15],
          marks: [],
        },
      ],
    })
    const samantha = result.review.sections[1]!.body[1]!
    const markKey = keyFor(result.review._id, 'sections[1].body[1].markDefs[0]')
    expect(samantha.markDefs).toStrictEqual([
      {_type: 'mention', _key: markKey, reference: ref('person-scarlett-johansson')},
    ])
    const line = source.split('\n').find((text) => text.includes('(voiced by Scarlet Johansson)'))!
    const at = line.indexOf('Scarlet Johansson')
    const span = (index: number, text: string, marks: string[]) => ({
      _type: 'span',
      _key: keyFor(result.review._id, `sections[1].body[1].children[${index}]`),
      text,
      marks,
    })
    expect(samantha.children).toStrictEqual([
      span(0, line.slice(0, at), []),
      span(1, 'Scarlet Johansson', [markKey]),
      span(2, ').', []),
    ])
  })

  it('mentions every credited name the text spells out, under its canonical person', () => {
    expect(mentionsIn(result.review)).toStrictEqual([
      ['Joaquin Phoenix', 'person-joaquin-phoenix'],
      ['Amy Adams', 'person-amy-adams'],
      ['Scarlet Johansson', 'person-scarlett-johansson'],
      ['Olivia Wilde', 'person-olivia-wilde'],
      ['Rooney Mara', 'person-rooney-mara'],
    ])
  })

  it('gives every array item a 12-digit hex key that is unique within its array, and no id contains a dot', () => {
    for (const document of result.documents) {
      expect(document._id).not.toContain('.')
      for (const {path, items} of arraysIn(document)) {
        const keys = items.flatMap((item) => (typeof item === 'object' && item !== null && '_key' in item ? [item._key] : []))
        for (const key of keys) expect(key, `${document._id} ${path}`).toMatch(/^[0-9a-f]{12}$/)
        expect(new Set(keys).size, `${document._id} ${path}`).toBe(keys.length)
      }
    }
  })

  it('produces byte-identical NDJSON on every run, people first, then the film, then the review', () => {
    const first = toNdjson(importHer().documents)
    const second = toNdjson(importHer().documents)
    expect(second).toBe(first)
    const lines = first.split('\n')
    expect(lines.at(-1)).toBe('')
    const types = lines.slice(0, -1).map((line) => (JSON.parse(line) as {_type: string})._type)
    expect(types).toStrictEqual([...Array(18).fill('person'), 'film', 'review'])
  })

  it('still imports without facts, taking credits from the metadata and the text alone', () => {
    const plain = importReview(source, {fileName: HER_FILE})
    expect({genres: plain.film.genres, crew: plain.film.crew, cast: plain.film.cast}).toStrictEqual({
      genres: ['drama'],
      crew: [crew(0, 'spike-jonze', 'director')],
      cast: [
        cast(0, 'joaquin-phoenix', 'Theodore Twombly'),
        cast(1, 'amy-adams', 'Amy'),
        cast(2, 'scarlet-johansson', 'Samantha', true),
        {_type: 'castMember', _key: keyFor(FILM, 'cast[3]'), person: ref('person-olivia-wilde')},
        cast(4, 'rooney-mara', 'Catherine'),
      ],
    })
    expect(plain.people.map((entry) => entry._id)).toStrictEqual([
      'person-amy-adams',
      'person-joaquin-phoenix',
      'person-olivia-wilde',
      'person-rooney-mara',
      'person-scarlet-johansson',
      'person-spike-jonze',
    ])
    expect(rebuiltBodyLines(plain.review)).toStrictEqual(rebuiltBodyLines(result.review))
  })
})
