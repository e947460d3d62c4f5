import {z} from 'zod'

import {PUBLIC_ID} from './ids'

/** One problem with one input field, phrased as a whole sentence for the reader. */
export interface FieldError {
  field: string
  message: string
}

/** What a valid submission carries once trimmed and normalised. */
export type CommentInput = {
  review: {slug: string} | {id: string}
  parentId: string | undefined
  authorName: string
  body: string
  /** True when the honeypot field was filled in: the comment is stored as spam. */
  honeypotHit: boolean
}

export const AUTHOR_NAME_MAX = 80
export const BODY_MAX = 5000

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const SLUG_MAX = 200

/** C0, DEL and C1 controls; the body may keep line breaks and tabs. */
const CONTROL = /\p{Cc}/u
const BODY_CONTROL = /[^\P{Cc}\n\t]/u
/** Bidi embeddings, overrides and isolates: they let a name masquerade as another. */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u
/** Half of a UTF-16 pair on its own (possible in JSON) is not text and breaks storage and rendering. */
const LONE_SURROGATE = /\p{Cs}/u

/** Fields the server sets itself; sending them is a mistake worth naming. */
const SERVER_FIELDS = new Set(['_id', '_type', '_rev', '_createdAt', '_updatedAt', 'id', 'status', 'createdAt'])
/** Document fields a client might send by their stored name. */
const INSTEAD: Record<string, string> = {
  review: 'Send reviewSlug or reviewId instead of review.',
  parent: 'Send parentId instead of parent.',
}

/** Most field errors a response lists; a flood of unknown keys should not make a flood of output. */
const MAX_FIELD_ERRORS = 20

function text(notText: string) {
  // A missing field and a non-text value (number, repeated form field, file) get different sentences.
  return z.string({error: (issue) => (issue.input === undefined ? undefined : notText)})
}

function optionalId(notText: string, invalid: string) {
  return text(notText)
    .trim()
    .refine((value) => value === '' || PUBLIC_ID.test(value), {error: invalid})
    .transform((value) => value || undefined)
    .optional()
}

const inputSchema = z
  .strictObject(
    {
      reviewSlug: text('A review slug must be text.')
        .trim()
        .refine((value) => value === '' || (value.length <= SLUG_MAX && SLUG.test(value)), {
          error: 'A review slug consists of lowercase letters, digits and single hyphens.',
        })
        .transform((value) => value || undefined)
        .optional(),
      reviewId: optionalId('A review id must be text.', 'A review id consists of letters, digits, underscores and hyphens.'),
      parentId: optionalId(
        'The id of the comment you reply to must be text.',
        'The id of the comment you reply to consists of letters, digits, underscores and hyphens.',
      ),
      authorName: text('An author name must be text.')
        .default('')
        .pipe(
          z
            .string()
            .trim()
            .min(1, {error: 'Please enter your name.'})
            .max(AUTHOR_NAME_MAX, {error: `An author name must be at most ${AUTHOR_NAME_MAX} characters.`})
            .refine((value) => !CONTROL.test(value), {error: 'An author name cannot contain line breaks or control characters.'})
            .refine((value) => !BIDI_CONTROL.test(value), {error: 'An author name cannot contain text-direction control characters.'})
            .refine((value) => !LONE_SURROGATE.test(value), {error: 'An author name contains characters that are not valid text.'}),
        ),
      body: text('A comment must be text.')
        .default('')
        .transform(normaliseLineBreaks)
        .pipe(
          z
            .string()
            .trim()
            .min(1, {error: 'A comment cannot be empty.'})
            .max(BODY_MAX, {error: `A comment must be at most ${BODY_MAX} characters.`})
            .refine((value) => !BODY_CONTROL.test(value), {
              error: 'A comment cannot contain control characters other than line breaks and tabs.',
            })
            .refine((value) => !LONE_SURROGATE.test(value), {error: 'A comment contains characters that are not valid text.'}),
        ),
    },
    {error: 'The request must be a JSON object or form data.'},
  )
  .superRefine((value, context) => {
    if (value.reviewSlug && value.reviewId) {
      context.addIssue({code: 'custom', path: ['reviewSlug'], message: 'Send either reviewSlug or reviewId, not both.'})
    }
  })

/** Browsers send CRLF for textarea line breaks; store plain LF so lengths match what the reader typed. */
function normaliseLineBreaks(value: string): string {
  return value.replace(/\r\n?/g, '\n')
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function honeypotFilled(value: unknown): boolean {
  if (value === undefined || value === null) return false
  return typeof value !== 'string' || value.trim() !== ''
}

export type ValidationResult = {ok: true; input: CommentInput} | {ok: false; fields: FieldError[]}

/**
 * Validates a decoded submission (a JSON object, or form fields as strings, string arrays or files).
 * Unknown fields are rejected rather than ignored, so a client that tries to set the status, id
 * or date is told so instead of silently believing it worked.
 */
export function validateCommentInput(raw: unknown, honeypotField = 'website'): ValidationResult {
  // The honeypot is taken out before validation: it must never cause an error a bot could learn from.
  let honeypot: unknown
  let rest = raw
  if (isRecord(raw) && Object.hasOwn(raw, honeypotField)) {
    const {[honeypotField]: taken, ...others} = raw
    honeypot = taken
    rest = others
  }
  const parsed = inputSchema.safeParse(rest)
  const fields: FieldError[] = []
  const seen = new Set<string>()
  const add = (field: string, message: string) => {
    // One sentence per field: the first problem is the one to fix first.
    if (seen.has(field) || fields.length >= MAX_FIELD_ERRORS) return
    seen.add(field)
    fields.push({field, message})
  }
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          add(
            key,
            SERVER_FIELDS.has(key)
              ? `The server sets ${key}; leave it out.`
              : (Object.hasOwn(INSTEAD, key) ? INSTEAD[key] : undefined) ?? `The field ${key} is not accepted.`,
          )
        }
      } else {
        const [first] = issue.path
        add(typeof first === 'string' ? first : '', issue.message)
      }
    }
    return {ok: false, fields}
  }
  const value = parsed.data
  const review = value.reviewSlug ? {slug: value.reviewSlug} : value.reviewId ? {id: value.reviewId} : undefined
  if (!review) {
    add('reviewSlug', 'Say which review the comment is on with reviewSlug or reviewId.')
    return {ok: false, fields}
  }
  return {
    ok: true,
    input: {
      review,
      parentId: value.parentId,
      authorName: value.authorName,
      body: value.body,
      honeypotHit: honeypotFilled(honeypot),
    },
  }
}
