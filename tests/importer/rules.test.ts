import {describe, expect, it} from 'vitest'

import {guessLabel, readCountry, readLanguage, readRuntime} from '../../importer/labels'
import {importReview, LabelMatcher, parseFacts, type FilmFacts} from '../../importer/index'

const lines = (...items: string[]) => items.join('\n')
const HEAD = ['Tin Star (2010)', '', 'Published: Jun 1, 2010', '', 'A sheriff who is twelve years old.', '']
const DETAILS = ['Genre Western', 'Director Hal Brody']
const BODY = ['', 'Dust and Tin', '', 'A western in miniature.', '', 'The Sheriff', '', 'He is twelve.', '', '»Return to user reviews']
const FILE = 'tin-star.txt'

/** The error a text (and facts) gives, as `file:line: problem`. */
function errorOf(text: string, facts?: FilmFacts): string {
  try {
    importReview(text, {fileName: FILE, ...(facts ? {facts: parseFacts(facts), factsFile: 'tin-star-2010.facts.ts'} : {})})
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
  throw new Error('the text imported without an error')
}

describe('film details lines', () => {
  it('match labels ignoring case, with or without a colon, the longest label first', () => {
    const labels = new LabelMatcher()
    expect(labels.match('Director of photography: Roger Deakins')).toStrictEqual({label: 'Director of photography', target: 'cinematographer', value: 'Roger Deakins'})
    expect(labels.match('DIRECTOR  Hal Brody')).toStrictEqual({label: 'DIRECTOR', target: 'director', value: 'Hal Brody'})
    expect(labels.match('Casting Jane Roe')).toMatchObject({target: 'casting-director'})
    expect(labels.match('Castle Rock is a town')).toBeUndefined()
    expect(labels.match('Directorial debut of X')).toBeUndefined()
    expect(new LabelMatcher({Regie: 'director'}).match('Regie Tom Tykwer')).toMatchObject({target: 'director', value: 'Tom Tykwer'})
  })

  it('guess the label of an unknown line for the error, but not of a sentence', () => {
    expect(['Budget $20 million', 'Sound design Mira Okafor', 'Aspect ratio: 2.39 : 1', 'Filmed in 35mm', 'A man falls in love with his computer.', 'A lonely writer develops an unlikely relationship'].map(guessLabel)).toStrictEqual([
      'Budget',
      'Sound design',
      'Aspect ratio',
      'Filmed in',
      undefined,
      undefined,
    ])
  })

  it('read runtimes, countries and languages in their usual spellings', () => {
    expect(['126', '126 min', '126 minutes', '2 h 6 min', '2h06', '1h 42m', '2 hours 6 minutes', '3 h'].map(readRuntime)).toStrictEqual([126, 126, 126, 126, 126, 102, 126, 180])
    expect(['France', 'FR', 'USA', 'U.S.A.', 'the Netherlands', 'UK', 'South Korea', 'Côte d’Ivoire', 'Ivory Coast', 'Soviet Union', 'West Germany'].map(readCountry)).toStrictEqual([
      'FR',
      'FR',
      'US',
      'US',
      'NL',
      'GB',
      'KR',
      'CI',
      'CI',
      'SUHH',
      'DE',
    ])
    expect(['English', 'en', 'Mandarin', 'Cantonese', 'Farsi', 'None', 'American Sign Language'].map(readLanguage)).toStrictEqual(['en', 'en', 'cmn', 'yue', 'fa', 'zxx', 'ase'])
    expect(() => readRuntime('2:06')).toThrow('unreadable runtime "2:06"')
    expect(() => readCountry('fr')).toThrow('unknown country "fr"')
  })

  it('refuse a label without a value, an empty name, a sentence as a name and a production year after the release', () => {
    const withDetail = (line: string) => lines(...HEAD, ...DETAILS, line, ...BODY)
    expect(errorOf(withDetail('Writer'))).toBe(`${FILE}:9: the Writer line has no value`)
    expect(errorOf(withDetail('Writer Ann Lee, , Bo Ray'))).toBe(`${FILE}:9: an empty name between commas in the Writer line`)
    expect(errorOf(withDetail('Writer Who wrote this? Nobody knows'))).toBe(`${FILE}:9: "Who wrote this? Nobody knows" is not a name in the Writer line`)
    expect(errorOf(withDetail('Production year 2011'))).toBe(`${FILE}:9: the production year 2011 is after the release year 2010 in the Production year line (the title line gives the release year)`)
    expect(errorOf(withDetail('Runtime 2:06'))).toBe(`${FILE}:9: unreadable runtime "2:06" in the Runtime line (expected e.g. "126 min" or "2 h 6 min")`)
    expect(errorOf(withDetail('Language Klingon'))).toBe(
      `${FILE}:9: unknown language "Klingon" in the Language line (use an English name such as "Japanese" or a code such as "ja")`,
    )
  })
})

describe('the head of a review', () => {
  it('reports a lone "Label value" line before the details as an unknown label, with a hint for loglines', () => {
    const text = lines('Tin Star (2010)', '', 'Published: Jun 1, 2010', '', 'Budget 2 million', '', ...DETAILS, ...BODY)
    expect(errorOf(text)).toMatch(new RegExp(`^${FILE}:5: unknown label "Budget" \\(known labels: Genre, .*\\); if this line is the logline, end it with punctuation$`))
  })

  it('reports a details block of unknown labels only as an unknown label', () => {
    const text = lines('Tin Star (2010)', '', 'Published: Jun 1, 2010', '', 'Budget 2 million', 'Aspect ratio 2.39', '', 'Dust and Tin', ...BODY.slice(2))
    expect(errorOf(text)).toMatch(new RegExp(`^${FILE}:5: unknown label "Budget"`))
  })

  it('reports a logline of two lines, and a paragraph where the review title belongs', () => {
    expect(errorOf(lines(...HEAD.slice(0, 5), 'A second logline line.', '', ...DETAILS, ...BODY))).toMatch(
      new RegExp(`^${FILE}:6: expected the film details after the logline on line 5: .*, found "A second logline line\\."$`),
    )
    const paragraph = 'I went in expecting nothing. '.repeat(6)
    expect(errorOf(lines(...HEAD, ...DETAILS, '', paragraph.trim(), ...BODY.slice(1)))).toBe(
      `${FILE}:10: expected the review title after the film details, found a line of 173 characters (a title has at most 150): is the title missing?`,
    )
  })
})

describe('headings listed in the facts file', () => {
  const facts = (headings: string[]): FilmFacts => ({film: {title: 'Tin Star', releaseYear: 2010}, reviews: [{title: 'Dust and Tin', headings}]})

  it('make exactly the listed lines headings, whatever their shape', () => {
    const text = lines(...HEAD, ...DETAILS, '', 'Dust and Tin', '', 'A western in miniature.', '', 'The sheriff, aged twelve:', '', 'He is twelve.', '', 'Short and sweet', '', '»Return to user reviews')
    const {review} = importReview(text, {fileName: FILE, facts: parseFacts(facts(['The sheriff, aged twelve:']))})
    expect(review.sections.map((section) => [section.heading, section.body.length])).toStrictEqual([['The sheriff, aged twelve:', 2]])
  })

  it('name the facts file when a listed heading is not a line of the review, or is not followed by a paragraph', () => {
    const text = lines(...HEAD, ...DETAILS, ...BODY)
    expect(errorOf(text, facts(['The Sheriff', 'The Deputy']))).toBe(
      `${FILE}:10: the heading "The Deputy" that tin-star-2010.facts.ts lists for this review is not a line of it after "The Sheriff"`,
    )
    expect(errorOf(text, facts(['He is twelve.']))).toBe(`${FILE}:16: the listed heading "He is twelve." is not followed by a paragraph`)
  })

  it('refuse facts that list a heading twice or name a review twice', () => {
    expect(() => parseFacts({film: {title: 'Tin Star', releaseYear: 2010}, reviews: [{title: 'A', headings: ['X', 'X']}, {title: 'A'}]}, 'f.ts')).toThrow(
      'f.ts: invalid film facts: reviews.0.headings: list each heading once; reviews: one entry per review title',
    )
  })
})
