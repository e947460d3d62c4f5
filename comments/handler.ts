import type {SanityClient} from '@sanity/client'

import type {CommentStatus} from '../schemas/constants'
import {bodyKindOf, decodeBody, readBodyLimited} from './body'
import {clientAddressOf} from './client-address'
import {errorResponse, jsonResponse} from './errors'
import {isPublicId, privateCommentId} from './ids'
import {SlidingWindowRateLimiter, type RateLimitOptions} from './rate-limit'
import {isRecord, validateCommentInput, type FieldError} from './validation'

/** The part of `@sanity/client` the handler uses; a client with a write token. */
export type CommentClient = Pick<SanityClient, 'fetch' | 'create'>

export interface CommentHandlerOptions {
  /** Client with a token that may create documents. Its perspective setting is overridden for lookups. */
  client: CommentClient
  /** Clock for `createdAt` and the rate limiter. Default: the system clock. */
  now?: () => Date
  /**
   * The comment's public id (no `.`), where it will be once approved; the submission itself is
   * stored at the private `moderation.<id>`. Default `comment-<random UUID>`.
   */
  idGenerator?: () => string
  /** Per-client sliding window. Default 5 submissions per 60 seconds; `false` turns it off. */
  rateLimit?: RateLimitOptions | false
  /** Largest accepted request body in bytes. Default 64 KiB. */
  maxBodyBytes?: number
  /**
   * Who a request comes from, for rate limiting. Default: the socket address recorded by the Node
   * adapter, else one shared bucket. Behind a proxy, read its forwarding header here — only a
   * header the proxy sets, since clients can send any header.
   */
  clientKey?: (request: Request) => string
  /** Form or JSON field that only bots fill in. Default `website`. */
  honeypotField?: string
  /** Called with failures of the Content Lake, which the client sees only as a 503. */
  onError?: (error: unknown) => void
}

/** The fields a stored comment has besides the system fields Sanity adds. */
export interface NewCommentDocument {
  /** Always private (`moderation.comment-…`): only approved comments are at a public id. */
  _id: string
  _type: 'comment'
  review: {_type: 'reference'; _ref: string}
  /** Weak: moderation may move the parent back to its private id, and that must not be blocked. */
  parent?: {_type: 'reference'; _ref: string; _weak: true}
  authorName: string
  body: string
  status: CommentStatus
  createdAt: string
}

export type CommentHandler = (request: Request) => Promise<Response>

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {windowMs: 60_000, max: 5}
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

const ALLOW = 'POST'

// One round trip for both lookups; an absent parent id is null and matches nothing. Only documents
// at public ids (`path("*")`: no `.`) count: the handler's token also reads private ones, and a
// review or comment readers cannot see must answer exactly like one that does not exist.
const LOOKUP_BY_SLUG = `{
  "review": *[_type == "review" && slug.current == $review && _id in path("*")] | order(_id asc)[0]._id,
  "parent": *[_type == "comment" && _id == $parentId && _id in path("*")][0]{_id, status, "review": review._ref}
}`
const LOOKUP_BY_ID = `{
  "review": *[_type == "review" && _id == $review && _id in path("*")][0]._id,
  "parent": *[_type == "comment" && _id == $parentId && _id in path("*")][0]{_id, status, "review": review._ref}
}`

interface Lookup {
  review: string | null
  parent: {_id: string; status: string | null; review: string | null} | null
}

/**
 * Handles `POST` submissions of reader comments with the Fetch API, so it runs as a Next.js route
 * handler, an Astro endpoint or under Node through `toNodeListener`. Every check happens before the
 * single `create`, so a rejected request stores nothing.
 */
export function createCommentHandler(options: CommentHandlerOptions): CommentHandler {
  const {client} = options
  const now = options.now ?? (() => new Date())
  const idGenerator = options.idGenerator ?? (() => `comment-${crypto.randomUUID()}`)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const clientKey = options.clientKey ?? ((request: Request) => clientAddressOf(request) ?? 'unknown')
  const honeypotField = options.honeypotField ?? 'website'
  const onError = options.onError ?? ((error: unknown) => console.error('comments: could not save a comment', error))
  const limiter = options.rateLimit === false ? undefined : new SlidingWindowRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT)
  if (!(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0)) throw new RangeError('maxBodyBytes must be a positive whole number')

  return async (request) => {
    if (request.method !== 'POST') {
      return errorResponse('methodNotAllowed', 'Comments are submitted with POST.', {headers: {allow: ALLOW}})
    }

    if (limiter) {
      const decision = await limiter.hit(clientKey(request), now().getTime())
      if (!decision.allowed) {
        const seconds = Math.ceil(decision.retryAfterMs / 1000)
        return errorResponse('rateLimited', `Too many comments in a short time; please try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`, {
          headers: {'retry-after': String(seconds)},
        })
      }
    }

    const contentType = request.headers.get('content-type')
    const kind = bodyKindOf(contentType)
    const encoding = request.headers.get('content-encoding')
    if (!kind || !contentType || (encoding && encoding.toLowerCase() !== 'identity')) {
      return errorResponse('unsupportedMediaType', 'Send the comment as JSON, URL-encoded form data or multipart form data, uncompressed.', {
        headers: {'accept-post': 'application/json, application/x-www-form-urlencoded, multipart/form-data'},
      })
    }

    const tooLarge = () => errorResponse('payloadTooLarge', `The request body must be at most ${maxBodyBytes} bytes.`)
    const declared = request.headers.get('content-length')
    if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > maxBodyBytes) return tooLarge()
    let bytes: Awaited<ReturnType<typeof readBodyLimited>>
    try {
      bytes = await readBodyLimited(request, maxBodyBytes)
    } catch {
      // The client went away or broke the upload; nobody may be listening, but answer anyway.
      return errorResponse('invalidRequest', 'The request body could not be read to the end.')
    }
    if (bytes === 'too-large') return tooLarge()

    const decoded = await decodeBody(bytes, kind, contentType)
    if (!decoded.ok) return errorResponse('invalidRequest', decoded.message)
    if (!isRecord(decoded.value)) return errorResponse('invalidRequest', 'The request body must be a JSON object.')
    const validation = validateCommentInput(decoded.value, honeypotField)
    if (!validation.ok) return invalid(validation.fields)
    const {input} = validation

    let lookup: Lookup
    try {
      lookup = await client.fetch<Lookup>(
        'slug' in input.review ? LOOKUP_BY_SLUG : LOOKUP_BY_ID,
        {review: 'slug' in input.review ? input.review.slug : input.review.id, parentId: input.parentId ?? null},
        // Drafts and release versions are not published: a comment cannot point at them.
        {perspective: 'published', useCdn: false},
      )
    } catch (error) {
      onError(error)
      return unavailable()
    }
    if (!lookup.review) {
      return errorResponse('notFound', 'There is no published review to comment on at that address.')
    }
    if (input.parentId) {
      const {parent} = lookup
      // Missing, pending, rejected and spam parents get the same answer, so it reveals nothing about them.
      if (!parent || parent.status !== 'approved') {
        return invalid([{field: 'parentId', message: 'You can only reply to a comment that has been approved.'}])
      }
      if (parent.review !== lookup.review) {
        return invalid([{field: 'parentId', message: 'A reply must be on the same review as the comment it answers.'}])
      }
    }

    const id = idGenerator()
    if (!isPublicId(id)) {
      onError(new Error(`idGenerator returned "${id}", which is not a public document id`))
      return unavailable()
    }
    // A honeypot hit takes exactly the same path as a reader's comment (same lookups, same write,
    // same private id, same answer); only the stored status differs, and nobody anonymous can read it.
    const document: NewCommentDocument = {
      _id: privateCommentId(id),
      _type: 'comment',
      review: {_type: 'reference', _ref: lookup.review},
      ...(input.parentId ? {parent: {_type: 'reference' as const, _ref: input.parentId, _weak: true as const}} : {}),
      authorName: input.authorName,
      body: input.body,
      status: input.honeypotHit ? 'spam' : 'pending',
      createdAt: now().toISOString(),
    }
    try {
      await client.create(document, {returnDocuments: false})
    } catch (error) {
      onError(error)
      return unavailable()
    }
    // The public id the comment gets once approved; a bot's answer looks the same.
    return jsonResponse(201, {id, status: 'pending'})
  }
}

/** A 400 listing every field problem; the description repeats them for clients that show only that. */
function invalid(fields: FieldError[]): Response {
  return errorResponse('validationError', fields.map((field) => field.message).join(' '), {fields})
}

function unavailable(): Response {
  return errorResponse('unavailable', 'Comments cannot be saved right now; please try again later.', {headers: {'retry-after': '30'}})
}
