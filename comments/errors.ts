import type {FieldError} from './validation'

/**
 * Error answers of the comment endpoint, in Sanity's HTTP API error shape — the shape the local
 * server's boundary already uses for every `/api/*` error it answers itself (an unknown method,
 * an unreadable target) — so one endpoint has one error shape:
 * `{"error": {"type", "description", "fields"?}, "statusCode"}`. A 400 for bad input lists every
 * problem in `error.fields` (`[{field, message}]`), each a whole sentence for the reader.
 */
export const COMMENT_ERROR_TYPES = {
  invalidRequest: 400,
  validationError: 400,
  notFound: 404,
  methodNotAllowed: 405,
  payloadTooLarge: 413,
  unsupportedMediaType: 415,
  rateLimited: 429,
  internalError: 500,
  unavailable: 503,
} as const

export type CommentErrorType = keyof typeof COMMENT_ERROR_TYPES

export interface CommentError {
  type: CommentErrorType
  description: string
  /** With `validationError`: what is wrong with which field. */
  fields?: FieldError[]
}

export interface CommentErrorBody {
  error: CommentError
  statusCode: number
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
}

/** A JSON answer with the endpoint's usual headers. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {status, headers: {...JSON_HEADERS, ...headers}})
}

/** An error answer; the status follows from the type. */
export function errorResponse(type: CommentErrorType, description: string, options: {fields?: FieldError[]; headers?: Record<string, string>} = {}): Response {
  const statusCode = COMMENT_ERROR_TYPES[type]
  const body: CommentErrorBody = {error: {type, description, ...(options.fields ? {fields: options.fields} : {})}, statusCode}
  return jsonResponse(statusCode, body, options.headers)
}

/** The error of an answer body in the endpoint's shape, for clients (the site's form handling); undefined otherwise. */
export function readCommentError(body: unknown): CommentError | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined
  const error: unknown = body.error
  if (typeof error !== 'object' || error === null) return undefined
  const {type, description, fields} = error as Record<string, unknown>
  if (typeof type !== 'string' || !Object.hasOwn(COMMENT_ERROR_TYPES, type) || typeof description !== 'string') return undefined
  return {type: type as CommentErrorType, description, ...(isFieldErrors(fields) ? {fields} : {})}
}

function isFieldErrors(value: unknown): value is FieldError[] {
  return (
    Array.isArray(value) &&
    value.every((item: unknown) => typeof item === 'object' && item !== null && typeof (item as FieldError).field === 'string' && typeof (item as FieldError).message === 'string')
  )
}
