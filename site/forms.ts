/**
 * Makes the JSON comment endpoint usable from a plain HTML form (no JavaScript): browser form
 * posts get a redirect back to the review, or the review page again with the errors inline.
 */
import {readCommentError, type CommentError} from '../comments/errors'
import type {CommentHandler} from '../comments/handler'
import type {FieldError} from '../comments/validation'
import {esc, htmlResponse, messagePage} from './html'
import type {SiteHandler} from './handler'
import {paths} from './pages'

export type {CommentHandler}

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data'])
/** Headers of the comment handler's answer worth keeping on the HTML version. */
const KEPT_HEADERS = ['retry-after', 'allow', 'accept-post'] as const

/** The q-value a media type gets from an Accept header (most specific range wins), 0 if none. */
function qualityOf(accept: string, type: string): number {
  const [major] = type.split('/')
  let best = -1
  let quality = 0
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1
    if (specificity <= best) continue
    const q = params.find((param) => param.startsWith('q='))
    const value = q ? Number(q.slice(2)) : 1
    best = specificity
    quality = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0
  }
  return quality
}

/** True for what a browser sends on navigation (`text/html,…,*\/*;q=0.8`), false for `*\/*` or JSON clients. */
export function prefersHtml(accept: string | null): boolean {
  if (!accept) return false
  const html = qualityOf(accept, 'text/html')
  return html > 0 && html > qualityOf(accept, 'application/json')
}

export function isBrowserFormPost(request: Request): boolean {
  const essence = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return request.method === 'POST' && FORM_TYPES.has(essence) && prefersHtml(request.headers.get('accept'))
}

interface Submitted {
  reviewSlug: string
  parentId: string | undefined
  authorName: string
  body: string
}

async function readSubmitted(copy: Request): Promise<Submitted | undefined> {
  let form: FormData
  try {
    form = await copy.formData()
  } catch {
    return undefined
  }
  const text = (name: string) => {
    const value = form.get(name)
    return typeof value === 'string' ? value : ''
  }
  return {
    reviewSlug: text('reviewSlug').trim(),
    parentId: text('parentId').trim() || undefined,
    authorName: text('authorName'),
    body: text('body'),
  }
}

/** The handler's error (Sanity's error shape, `comments/errors.ts`), if the answer carries one. */
async function errorOf(response: Response): Promise<CommentError | undefined> {
  try {
    return readCommentError(await response.json())
  } catch {
    return undefined
  }
}

const TITLES: Record<number, string> = {
  400: 'Your comment could not be sent',
  404: 'Review not found',
  405: 'Method not allowed',
  413: 'Your comment is too long',
  415: 'Your comment could not be read',
  429: 'Too many comments',
  503: 'Comments are unavailable',
}

/** Generic sentences for when the handler's answer has no message of its own. */
const FALLBACK_MESSAGES: Record<number, string> = {
  404: 'There is no published review to comment on at that address.',
  413: 'The comment is longer than the server accepts. Please shorten it and try again.',
  415: 'The comment was sent in a format the server does not accept.',
  429: 'You have sent several comments in a short time. Please wait a moment and try again.',
  503: 'Comments cannot be saved right now. Please try again later.',
}

/**
 * Wraps the comment handler for `/api/comments`. A browser form post (form content type and an
 * Accept header preferring HTML) is answered for people: 201 becomes a 303 redirect to
 * `/reviews/<slug>?comment=pending#discussion`; a refusal becomes the review page with the same
 * status, the errors in the form the comment was sent from and the text kept; when there is no
 * review to show (404), the body could not be read (413, 415) or the page cannot be rendered, a
 * small HTML page with the status. Everything else (JSON, `fetch` with `Accept: *\/*`) passes
 * through untouched.
 */
export function withFormRedirects(commentHandler: CommentHandler, site: Pick<SiteHandler, 'renderReview'>): CommentHandler {
  return async (request) => {
    if (!isBrowserFormPost(request)) return commentHandler(request)

    // The handler gets the original request (the Node adapter keys the client address on it);
    // the copy keeps the submitted values for the redirect and for re-rendering the form.
    const copy = request.clone()
    const response = await commentHandler(request)
    // A body that was too large or not form data is not worth reading a second time.
    const submitted = response.status === 413 || response.status === 415 ? undefined : await readSubmitted(copy)
    if (!submitted) {
      // Not awaited: cancelling one branch of a cloned body settles only once both are cancelled.
      copy.body?.cancel().catch(() => {})
      if (!request.bodyUsed) request.body?.cancel().catch(() => {})
    }

    if (response.status === 201) {
      await response.body?.cancel().catch(() => {})
      const slug = submitted?.reviewSlug
      const location = slug ? `${paths.review(slug)}?comment=pending#discussion` : '/'
      return new Response(null, {status: 303, headers: {location, 'cache-control': 'no-store'}})
    }

    const error = await errorOf(response)
    const kept: Record<string, string> = {}
    for (const name of KEPT_HEADERS) {
      const value = response.headers.get(name)
      if (value) kept[name] = value
    }

    // Any refusal of a comment on a review that exists comes back on that review's page, in the form
    // it was sent from (the reply form under its comment, or the main form), with the typed text:
    // field errors next to their fields, other errors (rate limit, lake unavailable) above them.
    const errors: FieldError[] | undefined =
      response.status === 400 && error?.fields
        ? error.fields
        : error?.description && response.status !== 404
          ? [{field: '', message: error.description}]
          : undefined
    if (submitted && errors) {
      const page = submitted.reviewSlug
        ? await site.renderReview(request, submitted.reviewSlug, {
            status: response.status,
            headers: kept,
            form: {
              ...(submitted.parentId ? {parentId: submitted.parentId} : {}),
              values: {authorName: submitted.authorName, body: submitted.body},
              errors,
            },
          })
        : undefined
      // A page that could not be rendered (the lake is down: the very reason for a 503) is not
      // worth more than the small page below, which keeps the real status.
      if (page?.status === response.status) return page
      await page?.body?.cancel().catch(() => {})
      if (response.status === 400) {
        // No review page to show the form on (the slug itself was wrong): list the problems.
        const list = `<ul>${errors.map((error) => `<li>${esc(error.message)}</li>`).join('')}</ul>`
        return htmlResponse(request, messagePage(TITLES[400] ?? 'Bad request', 'Please fix the following and try again:', list), 400, kept)
      }
    }

    const status = response.status
    const message = error?.description || (FALLBACK_MESSAGES[status] ?? 'Your comment could not be sent. Please try again later.')
    const back = submitted?.reviewSlug ?? ''
    const backLink = back ? `<p><a href="${esc(paths.review(back))}#discussion">Back to the review</a></p>` : ''
    return htmlResponse(request, messagePage(TITLES[status] ?? 'Your comment could not be sent', message, backLink), status, kept)
  }
}
