import {z} from 'zod'

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
import {ImportError} from './errors'
import {filmSlug} from './ids'
import {DETAIL_TARGETS, type DetailTarget} from './labels'
import type {ParseOptions, ReviewOverrides} from './parse'

/**
 * Curated, hand-checked facts about one film that correct and enrich what a review
 * text says, plus the decisions for its reviews that override the layout rules. A
 * review names only a few people, sometimes misspelt; the facts give canonical names
 * (keeping the text's spelling as an alias), unnamed characters, and further cast,
 * crew and film details. People are referred to by name (canonical or alias)
 * everywhere in this file.
 *
 * Images (`poster`, `people[].image`) name local files, relative to the facts file; the
 * seed uploads them through the assets API (see ./images).
 */
export interface FilmFacts {
  /** Which film these facts are for; must match the review's title line. */
  film: {title: string; releaseYear: number}
  /** Replaces the review's logline, e.g. when that one is too long or wrong. */
  logline?: string
  /** Added after the genres from the details lines. */
  genres?: Genre[]
  /** Replace what the details lines say. */
  originalTitle?: string
  productionYear?: number
  runtimeMinutes?: number
  /** Added after the countries and languages from the details lines. */
  countries?: Country[]
  languages?: Language[]
  /** The film's poster: a local image file and its alternative text. */
  poster?: ImageFact
  /**
   * Canonical spellings; `aliases` are other spellings that occur in texts; `image` a portrait
   * (used when the review credits the person).
   */
  people?: Array<{name: string; aliases?: string[]; image?: ImageFact}>
  /**
   * Cast credits. An entry for someone already credited by the text fills in or
   * corrects the character and voice flag; new people are billed after the text's.
   */
  cast?: Array<{person: string; characterName?: string; isVoice?: boolean}>
  /** Crew credits, in display order after the details lines' crew. */
  crew?: Array<{person: string; job: CrewJob}>
  /** Extends the parser's word lists for this film's reviews (e.g. reviews in another language). */
  parsing?: {
    /** Further label spellings and the film data they carry: `{Regie: 'director', Land: 'countries'}`. */
    labels?: Record<string, DetailTarget>
    /** Phrases by which an author warns of spoilers, matched ignoring case. */
    spoilerPhrases?: string[]
    /** Capitalised words that are never part of a character's name (sentence openers). */
    notNames?: string[]
  }
  /** Per-review decisions where the layout rules would decide otherwise, found by review title. */
  reviews?: ReviewOverrides[]
}

/** An image named in a facts file. */
export interface ImageFact {
  /** A local image file, relative to the facts file (e.g. `her-2013-poster.jpg` next to it). */
  file: string
  /** What the image shows, for readers who cannot see it (the schema requires it). */
  alt: string
}

/** The kinds of image the assets API takes, by file extension. */
export const IMAGE_FILE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'avif', 'tif', 'tiff', 'svg'] as const

const genreValues = GENRES.map((genre) => genre.value) as [Genre, ...Genre[]]
const jobValues = CREW_JOBS.map((job) => job.value) as [CrewJob, ...CrewJob[]]
const countryValues = COUNTRIES.map((country) => country.value) as [Country, ...Country[]]
const languageValues = LANGUAGES.map((language) => language.value) as [Language, ...Language[]]

const name = z
  .string()
  .trim()
  .min(1, 'a name cannot be empty')
  .refine((value) => !/\s{2,}/.test(value), 'a name has single spaces between words')

const text = z.string().trim().min(1)

const uniqueStrings = (list: readonly string[]) => new Set(list).size === list.length

const imageFact = z
  .object({
    file: text.refine(
      (file) => IMAGE_FILE_EXTENSIONS.some((extension) => file.toLowerCase().endsWith(`.${extension}`)),
      `an image file ends in ${IMAGE_FILE_EXTENSIONS.map((extension) => `.${extension}`).join(', ')}`,
    ),
    alt: text.max(300),
  })
  .strict()

export const filmFactsSchema = z
  .object({
    film: z.object({title: text, releaseYear: z.number().int()}).strict(),
    logline: text.max(300).optional(),
    genres: z.array(z.enum(genreValues)).optional(),
    originalTitle: text.max(200).optional(),
    productionYear: z.number().int().min(FIRST_FILM_YEAR).optional(),
    runtimeMinutes: z.number().int().min(1).max(MAX_RUNTIME_MINUTES).optional(),
    countries: z.array(z.enum(countryValues)).refine(uniqueStrings, 'list each country once').optional(),
    languages: z.array(z.enum(languageValues)).refine(uniqueStrings, 'list each language once').optional(),
    poster: imageFact.optional(),
    people: z
      .array(z.object({name, aliases: z.array(name).optional(), image: imageFact.optional()}).strict())
      .optional(),
    cast: z
      .array(
        z
          .object({person: name, characterName: text.optional(), isVoice: z.boolean().optional()})
          .strict(),
      )
      .optional(),
    crew: z.array(z.object({person: name, job: z.enum(jobValues)}).strict()).optional(),
    parsing: z
      .object({
        labels: z.record(text, z.enum(DETAIL_TARGETS)).optional(),
        spoilerPhrases: z.array(text).optional(),
        notNames: z.array(text).optional(),
      })
      .strict()
      .optional(),
    reviews: z
      .array(
        z
          .object({
            title: text,
            headings: z.array(text).min(1).refine(uniqueStrings, 'list each heading once').optional(),
            containsSpoilers: z.boolean().optional(),
          })
          .strict(),
      )
      .refine((reviews) => uniqueStrings(reviews.map((review) => review.title)), 'one entry per review title')
      .optional(),
  })
  .strict()
  .superRefine((facts, context) => {
    if (facts.productionYear !== undefined && facts.productionYear > facts.film.releaseYear) {
      context.addIssue({code: 'custom', path: ['productionYear'], message: 'the production year is after the release year'})
    }
    // Every spelling must lead to exactly one person, or mentions become ambiguous.
    const owner = new Map<string, string>()
    for (const [index, person] of (facts.people ?? []).entries()) {
      for (const spelling of [person.name, ...(person.aliases ?? [])]) {
        const other = owner.get(spelling)
        if (other !== undefined && other !== person.name) {
          context.addIssue({
            code: 'custom',
            path: ['people', index],
            message: `"${spelling}" is listed for both "${other}" and "${person.name}"`,
          })
        }
        owner.set(spelling, person.name)
      }
    }
  }) satisfies z.ZodType<FilmFacts>

/** Validates facts loaded from a file; the error names the file and each bad field. */
export function parseFacts(value: unknown, fileName = '<facts>'): FilmFacts {
  const result = filmFactsSchema.safeParse(value)
  if (result.success) return result.data
  const problems = result.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ')
  throw new ImportError(`invalid film facts: ${problems}`, {fileName})
}

/** Refuses facts written for another film than the review's title line names. */
export function checkFactsMatch(facts: FilmFacts, film: {title: string; releaseYear: number; titleLine: number}, fileName: string): void {
  if (filmSlug(facts.film.title, facts.film.releaseYear) !== filmSlug(film.title, film.releaseYear)) {
    throw new ImportError(
      `the film facts are for "${facts.film.title} (${facts.film.releaseYear})", not "${film.title} (${film.releaseYear})"`,
      {fileName, line: film.titleLine},
    )
  }
}

/** What the parser takes from a film's facts. */
export function parseOptionsFrom(facts: FilmFacts | undefined, factsFile?: string): ParseOptions {
  if (!facts) return {}
  const knownNames = (facts.people ?? []).flatMap((person) => [person.name, ...(person.aliases ?? [])])
  return {
    ...(facts.parsing?.labels ? {labels: facts.parsing.labels} : {}),
    ...(facts.parsing?.spoilerPhrases ? {spoilerPhrases: facts.parsing.spoilerPhrases} : {}),
    ...(facts.parsing?.notNames ? {notNames: facts.parsing.notNames} : {}),
    ...(facts.reviews ? {reviews: facts.reviews} : {}),
    ...(factsFile === undefined ? {} : {overridesFile: factsFile}),
    ...(knownNames.length ? {knownNames} : {}),
  }
}
