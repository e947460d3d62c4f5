import {z} from 'zod'

import {
  filmPageQuery,
  personPageQuery,
  reviewListQuery,
  reviewPageQuery,
  searchQuery,
} from './index'

/** Slugs as the importer and the Studio make them: lowercase words joined by hyphens. */
const slug = z
  .string()
  .trim()
  .min(1, 'The slug cannot be empty.')
  .max(200, 'The slug must be at most 200 characters.')
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'The slug must be lowercase letters, digits and hyphens.')

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'The date must look like 2014-08-08.')

export const slugParams = z.strictObject({slug})

export const reviewListParams = z.strictObject({
  limit: z
    .number()
    .int('The page size must be a whole number.')
    .min(1, 'The page size must be at least 1.')
    .max(100, 'The page size must be at most 100.'),
  after: z
    .strictObject({publishedOn: isoDate, _id: z.string().min(1, 'The cursor needs the last _id.')})
    .nullable(),
})

export const searchParams = z.strictObject({
  term: z
    .string()
    .trim()
    .min(1, 'The search term cannot be empty.')
    .max(100, 'The search term must be at most 100 characters.')
    // GROQ `match` treats `*` as a wildcard; the query adds its own at the end.
    .transform((term) => term.replace(/\*/g, ' ').replace(/\s+/g, ' ').trim())
    .refine((term) => term.length > 0, 'The search term needs a letter or digit.'),
})

/** Each query's parameter schema, keyed by the query text (what `client.fetch` receives). */
export const queryParams = {
  [filmPageQuery]: slugParams,
  [reviewPageQuery]: slugParams,
  [personPageQuery]: slugParams,
  [reviewListQuery]: reviewListParams,
  [searchQuery]: searchParams,
} as const

export type TypedQuery = keyof typeof queryParams

/** What a caller passes for `Q` (before trimming and defaults). */
export type QueryParams<Q extends TypedQuery> = z.input<(typeof queryParams)[Q]>
