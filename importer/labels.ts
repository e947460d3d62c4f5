import {
  COUNTRIES,
  CREW_JOBS,
  FIRST_FILM_YEAR,
  GENRES,
  LANGUAGES,
  MAX_RUNTIME_MINUTES,
  type Country,
  type CrewJob,
  type Genre,
  type Language,
} from '../schemas/constants'
import {latestReleaseYear} from '../schemas/validation'

/**
 * The film-details lines of a review ("Genre Drama", "Director Spike Jonze"): which
 * labels the site uses, what film data each carries, and how each value is read.
 */

/** Where a label's value goes: a film field, the cast (voice roles apart), or a crew job. */
export type DetailTarget =
  | 'genres'
  | 'productionYear'
  | 'originalTitle'
  | 'runtime'
  | 'countries'
  | 'languages'
  | 'cast'
  | 'voiceCast'
  | CrewJob

export const DETAIL_TARGETS = [
  'genres',
  'productionYear',
  'originalTitle',
  'runtime',
  'countries',
  'languages',
  'cast',
  'voiceCast',
  ...CREW_JOBS.map((job) => job.value),
] as const satisfies readonly DetailTarget[]

/** Labels the site uses, and the spellings of them seen in its reviews. Matched ignoring case. */
export const DEFAULT_LABELS: Readonly<Record<string, DetailTarget>> = {
  Genre: 'genres',
  Genres: 'genres',
  'Production year': 'productionYear',
  'Year of production': 'productionYear',
  'Original title': 'originalTitle',
  Director: 'director',
  Directors: 'director',
  'Directed by': 'director',
  Writer: 'writer',
  Writers: 'writer',
  'Written by': 'writer',
  Screenplay: 'writer',
  Screenwriter: 'writer',
  Producer: 'producer',
  Producers: 'producer',
  'Executive producer': 'executive-producer',
  'Executive producers': 'executive-producer',
  Music: 'composer',
  Composer: 'composer',
  Score: 'composer',
  Cinematography: 'cinematographer',
  Cinematographer: 'cinematographer',
  'Director of photography': 'cinematographer',
  Editor: 'editor',
  Editing: 'editor',
  'Film editing': 'editor',
  'Production design': 'production-designer',
  'Production designer': 'production-designer',
  'Costume design': 'costume-designer',
  'Costume designer': 'costume-designer',
  Casting: 'casting-director',
  'Casting director': 'casting-director',
  'Male actors': 'cast',
  'Female actors': 'cast',
  Actors: 'cast',
  Cast: 'cast',
  Starring: 'cast',
  'Voice actors': 'voiceCast',
  Voices: 'voiceCast',
  Country: 'countries',
  Countries: 'countries',
  Language: 'languages',
  Languages: 'languages',
  Runtime: 'runtime',
  'Running time': 'runtime',
  Length: 'runtime',
}

/** Labels whose value is one item: a second line with the same target is an error. */
export const SINGLE_VALUED: ReadonlySet<DetailTarget> = new Set(['productionYear', 'originalTitle', 'runtime'])

export interface LabelMatch {
  /** The label as written in the line. */
  label: string
  target: DetailTarget
  /** The rest of the line; empty when the line has the label only. */
  value: string
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Compiles the label table once per set of extra labels (a facts file may add spellings). */
export class LabelMatcher {
  private readonly targets = new Map<string, DetailTarget>()
  private readonly pattern: RegExp
  readonly labels: readonly string[]

  constructor(extra: Readonly<Record<string, DetailTarget>> = {}) {
    const all = {...DEFAULT_LABELS, ...extra}
    for (const [label, target] of Object.entries(all)) this.targets.set(normalizeLabel(label), target)
    this.labels = Object.keys(all)
    // Longest first, so "Director of photography" wins over "Director".
    const alternatives = Object.keys(all)
      .sort((a, b) => b.length - a.length)
      .map((label) => escapeRegExp(label).replace(/\s+/g, '\\s+'))
    this.pattern = new RegExp(`^(${alternatives.join('|')})(?:\\s*:\\s*|\\s+|$)(.*)$`, 'iu')
  }

  match(text: string): LabelMatch | undefined {
    const found = this.pattern.exec(text)
    if (!found) return undefined
    const target = this.targets.get(normalizeLabel(found[1]!))
    if (target === undefined) return undefined
    return {label: found[1]!, target, value: found[2]!.trim()}
  }

  /** Known labels for error messages: the first spelling of each kind (the README lists them all). */
  describe(): string {
    const first = new Map<DetailTarget, string>()
    for (const label of this.labels) {
      const target = this.targets.get(normalizeLabel(label))!
      if (!first.has(target)) first.set(target, label)
    }
    return `${[...first.values()].join(', ')}; the README lists every spelling`
  }
}

function normalizeLabel(label: string): string {
  return label.replace(/\s+/g, ' ').trim().toLowerCase()
}

/**
 * The label an unknown details line seems to start with, for the error message:
 * the text before a colon, else the first word and the lowercase words after it
 * ("Sound design Jane Doe" → "Sound design", "Budget $20 million" → "Budget").
 * Undefined when the line does not look like "Label value" at all (a sentence).
 */
export function guessLabel(text: string): string | undefined {
  const colon = /^([^:]{1,40}?)\s*:\s*\S/u.exec(text)
  if (colon && colon[1]!.split(/\s+/).length <= 4 && /\p{L}/u.test(colon[1]!)) return colon[1]!
  if (text.length > 80 || /[.!?…]["”’)]?$/u.test(text)) return undefined
  const words = /^(\p{Lu}[\p{Ll}\p{M}'’-]*(?:\s+[\p{Ll}\p{M}'’-]+){0,2})\s+[^\p{Ll}\s]/u.exec(text)
  return words ? words[1] : undefined
}

/** Why a value cannot be read; the parser adds the file, line and label before the hint. */
export class ValueError extends Error {
  constructor(
    problem: string,
    readonly hint?: string,
  ) {
    super(problem)
  }
}

/** Items of a comma-separated value; an empty item is an error, repeats are dropped. */
export function listItems(value: string, what: string): string[] {
  const items = value.split(',').map((item) => item.trim())
  if (items.some((item) => item === '')) throw new ValueError(`an empty ${what} between commas`)
  return [...new Set(items)]
}

const NOT_IN_NAMES = /[<>{}[\]|\\\p{Cc}]/u

/**
 * A person's (or a band's) name as a details line gives it: any script and any case
 * ("bell hooks", "是枝裕和", "Lupita Nyong'o"), but at least one letter, no brackets or
 * control characters, and not a sentence.
 */
export function readName(item: string): string {
  const name = item.normalize('NFC').replace(/\s+/g, ' ')
  if (!/\p{L}/u.test(name) || NOT_IN_NAMES.test(name) || name.length > 100 || name.split(' ').length > 8 || /[!?;]/.test(name)) {
    throw new ValueError(`"${item}" is not a name`)
  }
  return name
}

const GENRE_SYNONYMS: Record<string, Genre> = {
  'sci-fi': 'science-fiction',
  scifi: 'science-fiction',
  'science fiction': 'science-fiction',
  romantic: 'romance',
  animated: 'animation',
  biopic: 'biography',
  historical: 'history',
}

export function readGenre(item: string): Genre {
  const lower = item.toLowerCase()
  const genre = GENRES.find((entry) => entry.value === lower || entry.title.toLowerCase() === lower)?.value ?? GENRE_SYNONYMS[lower]
  if (!genre) throw new ValueError(`unknown genre "${item}"`, `known: ${GENRES.map((entry) => entry.title).join(', ')}`)
  return genre
}

export function readYear(value: string, what: string): number {
  if (!/^\d{4}$/.test(value)) throw new ValueError(`unreadable ${what} "${value}"`, 'expected four digits, e.g. 2013')
  const year = Number(value)
  const latest = latestReleaseYear()
  if (year < FIRST_FILM_YEAR || year > latest) throw new ValueError(`impossible ${what} ${year}`, `films are from ${FIRST_FILM_YEAR} to ${latest}`)
  return year
}

const MINUTES = String.raw`(?:m|min|mins|minutes?)\.?`
const HOURS = String.raw`(?:h|hr|hrs|hours?)\.?`
const RUNTIME_MINUTES = new RegExp(`^(\\d+)\\s*(?:${MINUTES})?$`, 'i')
const RUNTIME_HOURS = new RegExp(`^(\\d+)\\s*${HOURS}\\s*(?:(\\d+)\\s*(?:${MINUTES})?)?$`, 'i')

/** "126 min", "126 minutes", "126", "2 h 6 min", "2h06", "2 hours 6 minutes" → minutes. */
export function readRuntime(value: string): number {
  const minutesOnly = RUNTIME_MINUTES.exec(value)
  const hours = RUNTIME_HOURS.exec(value)
  let minutes: number | undefined
  if (minutesOnly) minutes = Number(minutesOnly[1])
  else if (hours && (hours[2] === undefined || Number(hours[2]) < 60)) minutes = Number(hours[1]) * 60 + Number(hours[2] ?? 0)
  if (minutes === undefined) throw new ValueError(`unreadable runtime "${value}"`, 'expected e.g. "126 min" or "2 h 6 min"')
  if (minutes < 1 || minutes > MAX_RUNTIME_MINUTES) throw new ValueError(`impossible runtime of ${minutes} minutes`, `1 to ${MAX_RUNTIME_MINUTES}`)
  return minutes
}

/** Lowercase, accents and dots dropped, "&" as "and", no leading "the": "U.S.A." → "usa". */
function lookupKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[’ʼ]/g, "'")
    .replace(/\./g, '')
    .replace(/&/g, ' and ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^the /, '')
}

const COUNTRY_SYNONYMS: Record<string, Country> = {
  usa: 'US',
  'united states of america': 'US',
  uk: 'GB',
  'great britain': 'GB',
  britain: 'GB',
  'russian federation': 'RU',
  turkey: 'TR',
  'czech republic': 'CZ',
  'republic of korea': 'KR',
  "democratic people's republic of korea": 'KP',
  holland: 'NL',
  'ivory coast': 'CI',
  burma: 'MM',
  'myanmar (burma)': 'MM',
  macau: 'MO',
  'macao sar china': 'MO',
  'hong kong sar china': 'HK',
  vatican: 'VA',
  swaziland: 'SZ',
  macedonia: 'MK',
  'dr congo': 'CD',
  'congo - kinshasa': 'CD',
  'congo - brazzaville': 'CG',
  'palestinian territories': 'PS',
  'cabo verde': 'CV',
  'east timor': 'TL',
  'west germany': 'DE',
  'federal republic of germany': 'DE',
  ussr: 'SUHH',
  'german democratic republic': 'DDDE',
  gdr: 'DDDE',
}

const LANGUAGE_SYNONYMS: Record<string, Language> = {
  farsi: 'fa',
  bangla: 'bn',
  flemish: 'nl',
  castilian: 'es',
  tagalog: 'tl',
  'mandarin chinese': 'cmn',
  asl: 'ase',
  none: 'zxx',
  silent: 'zxx',
  'no linguistic content': 'zxx',
}

function lookupTable<T extends string>(list: ReadonlyArray<{title: string; value: T}>, synonyms: Record<string, T>): Map<string, T> {
  const table = new Map<string, T>()
  for (const {title, value} of list) table.set(lookupKey(title), value)
  for (const [name, value] of Object.entries(synonyms)) table.set(lookupKey(name), value)
  return table
}

const COUNTRY_NAMES = lookupTable(COUNTRIES, COUNTRY_SYNONYMS)
const COUNTRY_CODES = new Set<string>(COUNTRIES.map((country) => country.value))
const LANGUAGE_NAMES = lookupTable(LANGUAGES, LANGUAGE_SYNONYMS)
const LANGUAGE_CODES = new Set<string>(LANGUAGES.map((language) => language.value))

function isCountry(code: string): code is Country {
  return COUNTRY_CODES.has(code)
}

function isLanguage(code: string): code is Language {
  return LANGUAGE_CODES.has(code)
}

/** An English country name ("France", "USA", "Soviet Union") or an upper-case code ("FR"). */
export function readCountry(item: string): Country {
  const code = isCountry(item) ? item : COUNTRY_NAMES.get(lookupKey(item))
  if (code === undefined) throw new ValueError(`unknown country "${item}"`, 'use an English name such as "France" or a code such as "FR"')
  return code
}

/** An English language name ("Japanese", "Cantonese", "None") or a lower-case code ("ja"). */
export function readLanguage(item: string): Language {
  const code = isLanguage(item) ? item : LANGUAGE_NAMES.get(lookupKey(item))
  if (code === undefined) throw new ValueError(`unknown language "${item}"`, 'use an English name such as "Japanese" or a code such as "ja"')
  return code
}
