import {describe, expect, it} from 'vitest'

import {
  creditsIn,
  filmId,
  filmSlug,
  findMentions,
  keyFor,
  looksLikeHeading,
  parseDate,
  parseFacts,
  personId,
  reviewId,
  reviewSlug,
  sameDocument,
  slugify,
  warnsOfSpoilers,
} from '../../importer/index'
import herFacts from '../../seed/her-2013.facts'

describe('id and slug conventions', () => {
  it('slugify lowercases, folds accents and joins ASCII words with dashes', () => {
    expect(
      ['Hoyte van Hoytema', 'Amélie', 'Jóhann Jóhannsson', 'Straße', 'Theodore’s  Letters!', '  --Her--  ', 'WALL·E'].map(slugify),
    ).toStrictEqual(['hoyte-van-hoytema', 'amelie', 'johann-johannsson', 'strasse', 'theodores-letters', 'her', 'wall-e'])
  })

  it('slugify transliterates every script to readable words, one per Han or Hangul syllable', () => {
    expect(
      ['是枝裕和', '봉준호', 'Bong Joon-ho', 'bell hooks', "Lupita Nyong'o", 'Guillermo del Toro', 'Андрей Тарковский', 'Θόδωρος Αγγελόπουλος', 'アニメ'].map(slugify),
    ).toStrictEqual([
      'shi-zhi-yu-he',
      'bong-jun-ho',
      'bong-joon-ho',
      'bell-hooks',
      'lupita-nyongo',
      'guillermo-del-toro',
      'andrey-tarkovskiy',
      'thodoros-aggelopoylos',
      'anime',
    ])
  })

  it('slugify hashes text with nothing to transliterate and caps long slugs at 96 characters', () => {
    expect(slugify('\u200b')).toMatch(/^x-[0-9a-f]{10}$/)
    expect(slugify('\u200b')).toBe(slugify('\u200b'))
    const long = slugify('word '.repeat(40))
    expect(long.length).toBeLessThanOrEqual(96)
    expect(long).toMatch(/^word(-word)*$/)
  })

  it('builds film, person and review ids from slugs, never with a dot', () => {
    expect([filmSlug('Her', 2013), filmId('Her', 2013), personId('Joaquin Phoenix')]).toStrictEqual([
      'her-2013',
      'film-her-2013',
      'person-joaquin-phoenix',
    ])
    expect([reviewSlug('her-2013', 'Falling in love with AI'), reviewId('her-2013', 'Falling in love with AI')]).toStrictEqual([
      'her-2013-falling-in-love-with-ai',
      'review-her-2013-falling-in-love-with-ai',
    ])
    expect(filmId('Mr. Smith Goes to Washington', 1939)).toBe('film-mr-smith-goes-to-washington-1939')
  })

  it('derives short hex keys from the document id and path', () => {
    expect(keyFor('film-her-2013', 'cast[0]')).toMatch(/^[0-9a-f]{12}$/)
    expect(keyFor('film-her-2013', 'cast[0]')).toBe(keyFor('film-her-2013', 'cast[0]'))
    expect(keyFor('film-her-2013', 'cast[0]')).not.toBe(keyFor('film-her-2013', 'cast[1]'))
    expect(keyFor('film-her-2013', 'cast[0]')).not.toBe(keyFor('film-arrival-2016', 'cast[0]'))
  })
})

describe('parsing details', () => {
  it('reads the site’s "Mon D, YYYY" dates, full month names, day-first and ISO dates', () => {
    expect(
      ['Aug 8, 2014', 'Sep 11, 2023', 'Sept 1, 2020', 'February 29, 2024', 'dec. 31 1999', '8 August 2014', '2014-08-08'].map((date) =>
        parseDate(date, 'x', 'f', 1),
      ),
    ).toStrictEqual(['2014-08-08', '2023-09-11', '2020-09-01', '2024-02-29', '1999-12-31', '2014-08-08', '2014-08-08'])
  })

  it('refuses numeric dates whose day and month order is unknown, and impossible ISO dates', () => {
    expect(() => parseDate('08/09/2014', 'the Published line', 'f.txt', 3)).toThrow(
      'f.txt:3: unreadable date "08/09/2014" in the Published line (expected e.g. "Aug 8, 2014", "August 8, 2014", "8 August 2014" or "2014-08-08")',
    )
    expect(() => parseDate('2023-02-29', 'the Published line', 'f.txt', 3)).toThrow('f.txt:3: impossible date "2023-02-29" in the Published line')
    expect(() => parseDate('2023-13-01', 'the Published line', 'f.txt', 3)).toThrow('f.txt:3: impossible date "2023-13-01" in the Published line')
    expect(() => parseDate('Foo 1, 2020', 'the Published line', 'f.txt', 3)).toThrow('unreadable date "Foo 1, 2020"')
  })

  it('tells headings from short paragraphs', () => {
    expect(
      ['Setting and introductions', 'When He met Her', 'Final Notes', '2049 and Beyond'].map(looksLikeHeading),
    ).toStrictEqual([true, true, true, true])
    expect(
      ['Now, onwards to the review.', 'Man. Machine. Does it really matter?', 'Wow!', 'lowercase start', '“Quoted”', 'A'.repeat(81)].map(looksLikeHeading),
    ).toStrictEqual([false, false, false, false, false, false])
  })

  it('flags spoiler warnings but not promises of no spoilers', () => {
    expect(warnsOfSpoilers(['Also, beware of spoilers.'])).toBe(true)
    expect(warnsOfSpoilers(['Spoilers ahead!'])).toBe(true)
    expect(warnsOfSpoilers(['This review contains spoilers.'])).toBe(true)
    expect(warnsOfSpoilers(['This review is spoiler-free.'])).toBe(false)
    expect(warnsOfSpoilers(['No spoilers here, promise.'])).toBe(false)
    expect(warnsOfSpoilers(['It contains no spoilers.'])).toBe(false)
  })

  it('reads portrayed/played/voiced-by credits with the character before them', () => {
    const text =
      'Theodore Twombly (magically portrayed by Joaquin Phoenix) meets Samantha (voiced by Scarlet Johansson), ' +
      'Catherine, his ex-wife (played by Rooney Mara), a woman (played by Olivia Wilde), ' +
      'Ian Donnelly (a physicist played by Jeremy Renner), Then Amy (played by Amy Adams, in top form) and ' +
      'a cinematographer (Hoyte van Hoytema) and (a scene played by ear).'
    expect(creditsIn(text, 7)).toStrictEqual([
      {actor: 'Joaquin Phoenix', characterName: 'Theodore Twombly', isVoice: false, line: 7},
      {actor: 'Scarlet Johansson', characterName: 'Samantha', isVoice: true, line: 7},
      {actor: 'Rooney Mara', characterName: 'Catherine', isVoice: false, line: 7},
      {actor: 'Olivia Wilde', isVoice: false, line: 7},
      {actor: 'Jeremy Renner', characterName: 'Ian Donnelly', isVoice: false, line: 7},
      {actor: 'Amy Adams', characterName: 'Amy', isVoice: false, line: 7},
    ])
  })

  it('finds whole-word mentions only, preferring the longest spelling', () => {
    const spellings = [
      {text: 'Amy', personId: 'person-amy'},
      {text: 'Amy Adams', personId: 'person-amy-adams'},
    ]
    expect(findMentions('Amy Adams, Amy and Amyx; Amy Adams’s', spellings)).toStrictEqual([
      {start: 0, end: 9, personId: 'person-amy-adams'},
      {start: 11, end: 14, personId: 'person-amy'},
      {start: 25, end: 34, personId: 'person-amy-adams'},
    ])
  })
})

describe('film facts', () => {
  it('accepts the curated Her facts', () => {
    expect(parseFacts(herFacts)).toStrictEqual(herFacts)
  })

  it('rejects unknown fields, genres and jobs, and a spelling claimed by two people', () => {
    expect(() =>
      parseFacts(
        {
          film: {title: 'Her', releaseYear: 2013},
          genres: ['sci-fi'],
          crew: [{person: 'Spike Jonze', job: 'gaffer'}],
          people: [
            {name: 'A B', aliases: ['C D']},
            {name: 'C D'},
          ],
          poster: 'x',
        },
        'seed/bad.facts.ts',
      ),
    ).toThrow(/^seed\/bad\.facts\.ts: invalid film facts: .*genres\.0.*crew\.0\.job.*/)
    expect(() => parseFacts({film: {title: 'Her', releaseYear: 2013}, people: [{name: 'A B', aliases: ['C D']}, {name: 'C D'}]})).toThrow(
      '"C D" is listed for both "A B" and "C D"',
    )
  })
})

describe('comparing built and stored documents', () => {
  it('ignores key order and server fields, but not content', () => {
    const built = {_id: 'a', _type: 'person', name: 'A', slug: {_type: 'slug', current: 'a'}}
    const stored = {slug: {current: 'a', _type: 'slug'}, name: 'A', _type: 'person', _id: 'a', _rev: 'r1', _createdAt: 't', _updatedAt: 't'}
    expect(sameDocument(built, stored)).toBe(true)
    expect(sameDocument(built, {...stored, name: 'B'})).toBe(false)
    expect(sameDocument(built, {...stored, aliases: ['A.']})).toBe(false)
    expect(sameDocument({...built, aliases: ['x', 'y']}, {...stored, aliases: ['y', 'x']})).toBe(false)
  })
})
