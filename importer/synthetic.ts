/**
 * Generated reviews in the site's format, for the import benchmark and for tests that
 * need many files: fictional films and people, deterministic for a given seed, with
 * people shared between films and several reviews per film, as on the real site.
 */

export interface SyntheticReview {
  /** File name, e.g. "review-0042.txt". */
  name: string
  text: string
}

/** mulberry32: a small, fast, seedable PRNG; the same seed gives the same corpus. */
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

const GIVEN = ['Ada', 'Bruno', 'Chiara', 'Dmitri', 'Elif', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kenji', 'Lucia', 'Mateo', 'Noor', 'Oskar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Talia', 'Umar', 'Vera', 'Wim', 'Xenia', 'Yusuf', 'Zora']
const FAMILY = ['Abara', 'Brenner', 'Castell', 'Dunmore', 'Eklund', 'Fairweather', 'Galvez', 'Holloway', 'Iversen', 'Jansen', 'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Okafor', 'Petrova', 'Quist', 'Rahman', 'Sorensen', 'Tanaka', 'Ueda', 'Valdez', 'Whitlock', 'Yilmaz', 'Zeller']
const WORDS = ['Harbour', 'Lantern', 'Winter', 'Copper', 'Meadow', 'Signal', 'Orchard', 'Ember', 'Atlas', 'Tide', 'Glass', 'Paper', 'Iron', 'Silver', 'Hollow', 'Quiet', 'Northern', 'Last', 'Borrowed', 'Distant']
const NOUNS = ['Lights', 'Roads', 'Hours', 'Sky', 'Garden', 'Station', 'River', 'Letters', 'Season', 'Crossing', 'Shore', 'House', 'Kingdom', 'Summer', 'Voices']
const GENRES = ['Drama', 'Comedy', 'Thriller', 'Romance', 'Science Fiction', 'Mystery', 'Adventure', 'Family', 'Horror', 'Documentary']
const COUNTRIES = ['France', 'Japan', 'USA', 'Germany', 'South Korea', 'Norway', 'Mexico', 'Nigeria', 'India', 'Italy']
const LANGUAGES = ['French', 'Japanese', 'English', 'German', 'Korean', 'Norwegian', 'Spanish', 'Yoruba', 'Hindi', 'Italian']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const SENTENCES = [
  'The first act takes its time, and it earns every minute of it.',
  'I did not expect the ending, and I have not stopped thinking about it.',
  'The camera stays close to the faces, which makes the quiet scenes loud.',
  'Some of the dialogue is clumsy, but the actors sell it anyway.',
  'It is a film about waiting, and about what people do while they wait.',
  'The music never tells you what to feel, which I liked a lot.',
  'There is one long take in the middle that I will remember for years.',
  'The supporting cast is better than the script deserves.',
]
const HEADINGS = ['First Impressions', 'The Story', 'The Cast', 'Sound and Image', 'What Works', 'What Does Not', 'Final Notes']

/** `count` reviews of about `count / 2.5` films, credits drawn from about `count / 2` people. */
export function syntheticReviews(count: number, seed = 1): SyntheticReview[] {
  const next = random(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const people = Array.from({length: Math.max(8, Math.ceil(count / 2))}, (_, index) => `${GIVEN[index % GIVEN.length]} ${FAMILY[Math.floor(index / GIVEN.length) % FAMILY.length]}${index >= GIVEN.length * FAMILY.length ? ` ${Math.floor(index / (GIVEN.length * FAMILY.length)) + 1}` : ''}`)
  const filmCount = Math.max(1, Math.ceil(count / 2.5))
  const films = Array.from({length: filmCount}, (_, index) => {
    const cast = [...new Set(Array.from({length: 3}, () => pick(people)))]
    return {
      title: `${WORDS[index % WORDS.length]} ${NOUNS[Math.floor(index / WORDS.length) % NOUNS.length]}${index >= WORDS.length * NOUNS.length ? ` ${Math.floor(index / (WORDS.length * NOUNS.length)) + 1}` : ''}`,
      year: 1950 + Math.floor(next() * 70),
      genres: [...new Set([pick(GENRES), pick(GENRES)])],
      director: pick(people),
      writer: pick(people),
      cast,
      character: pick(GIVEN),
      country: pick(COUNTRIES),
      language: pick(LANGUAGES),
      runtime: 80 + Math.floor(next() * 70),
      logline: `A story about ${pick(NOUNS).toLowerCase()} and ${pick(NOUNS).toLowerCase()}, told over one ${pick(['winter', 'summer', 'night', 'year'])}.`,
    }
  })
  return Array.from({length: count}, (_, index) => {
    const film = films[index % filmCount]!
    const published = `${pick(MONTHS)} ${1 + Math.floor(next() * 28)}, ${film.year + 1 + Math.floor(next() * 5)}`
    const headings = [...new Set([pick(HEADINGS), pick(HEADINGS), 'Final Notes'])]
    const sections = headings.flatMap((heading, sectionIndex) => [
      heading,
      '',
      sectionIndex === 0
        ? `${film.character} (played by ${film.cast[0]}) carries the film. ${pick(SENTENCES)}`
        : pick(SENTENCES),
      '',
      pick(SENTENCES),
      '',
    ])
    const lines = [
      `${film.title} (${film.year})`,
      '',
      `Published: ${published}`,
      '',
      film.logline,
      '',
      `Genre ${film.genres.join(', ')}`,
      `Production year ${film.year}`,
      `Director ${film.director}`,
      `Writer ${film.writer}`,
      `Actors ${film.cast.join(', ')}`,
      `Country ${film.country}`,
      `Language ${film.language}`,
      `Runtime ${film.runtime} min`,
      '',
      `Review number ${index + 1}`,
      '',
      `${pick(SENTENCES)} ${film.director} directs with a steady hand.`,
      '',
      ...sections,
      '»Return to user reviews',
      '',
      `Discuss ${film.title} below:`,
      '',
    ]
    return {name: `review-${String(index + 1).padStart(4, '0')}.txt`, text: lines.join('\n')}
  })
}
