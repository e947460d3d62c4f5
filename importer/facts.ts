import {z} from 'zod'

import {CREW_JOBS, GENRES, type CrewJob, type Genre} from '../schemas/constants'
import {ImportError} from './errors'

/**
 * Curated, hand-checked facts about one film that correct and enrich what a review
 * text says. A review names only a few people, sometimes misspelt; the facts give
 * canonical names (keeping the text's spelling as an alias), unnamed characters,
 * and further cast, crew and genres. People are referred to by name (canonical
 * or alias) everywhere in this file.
 */
export interface FilmFacts {
  /** Which film these facts are for; must match the review's title line. */
  film: {title: string; releaseYear: number}
  /** Replaces the review's logline, e.g. when that one is too long or wrong. */
  logline?: string
  /** Added after the genres from the metadata lines. */
  genres?: Genre[]
  /** Canonical spellings; `aliases` are other spellings that occur in texts. */
  people?: Array<{name: string; aliases?: string[]}>
  /**
   * Cast credits. An entry for someone already credited by the text fills in or
   * corrects the character and voice flag; new people are billed after the text's.
   */
  cast?: Array<{person: string; characterName?: string; isVoice?: boolean}>
  /** Crew credits, in display order after the metadata's director. */
  crew?: Array<{person: string; job: CrewJob}>
}

const genreValues = GENRES.map((genre) => genre.value) as [Genre, ...Genre[]]
const jobValues = CREW_JOBS.map((job) => job.value) as [CrewJob, ...CrewJob[]]

const name = z
  .string()
  .trim()
  .min(1, 'a name cannot be empty')
  .refine((value) => !/\s{2,}/.test(value), 'a name has single spaces between words')

export const filmFactsSchema = z
  .object({
    film: z.object({title: z.string().trim().min(1), releaseYear: z.number().int()}).strict(),
    logline: z.string().trim().min(1).max(300).optional(),
    genres: z.array(z.enum(genreValues)).optional(),
    people: z
      .array(z.object({name, aliases: z.array(name).optional()}).strict())
      .optional(),
    cast: z
      .array(
        z
          .object({person: name, characterName: z.string().trim().min(1).optional(), isVoice: z.boolean().optional()})
          .strict(),
      )
      .optional(),
    crew: z.array(z.object({person: name, job: z.enum(jobValues)}).strict()).optional(),
  })
  .strict()
  .superRefine((facts, context) => {
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
