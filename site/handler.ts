/**
 * The reference site's request handler (Fetch API): `/`, `/films/<slug>`, `/reviews/<slug>` and
 * `/people/<slug>`, server-rendered from the package's typed queries on every request.
 */
import type {SanityClient} from '@sanity/client'

import {isPublicId} from '../comments/ids'
import {fetchTyped} from '../queries/fetch'
import {imageUrls} from '../queries/images'
import {filmPageQuery, personPageQuery, reviewListQuery, reviewPageQuery} from '../queries/index'
import {htmlResponse, messagePage} from './html'
import {
  renderFilmPage,
  renderPersonPage,
  renderReviewList,
  renderReviewPage,
  type CommentFormState,
} from './pages'

export interface SiteHandlerOptions {
  /**
   * Reads the published dataset. Reconfigured when needed so the site never reads through the
   * CDN (a publish must show on the next request) and never shows drafts, even with a token.
   */
  client: SanityClient
  /** Server-side error lines (the reader only sees a generic page). Default `console.error`. */
  log?: (line: string) => void
  /** Reviews per page on `/`. Default 10. */
  pageSize?: number
}

export interface RenderReviewOptions {
  status?: number
  /** Extra response headers, e.g. `retry-after` when the comment was refused for its rate. */
  headers?: Record<string, string>
  form?: CommentFormState
}

/**
 * `undefined` means "not a site route", so a server can fall through to its other handlers.
 * `renderReview` is what `withFormRedirects` uses to answer a rejected form post with the page.
 */
export interface SiteHandler {
  (request: Request): Promise<Response | undefined>
  /** The review page for `slug` with a comment form state, or undefined when there is no such review. */
  renderReview(request: Request, slug: string, options?: RenderReviewOptions): Promise<Response | undefined>
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const SLUG_MAX = 200
const PAGE_ROUTE = /^\/(films|reviews|people)\/([^/]+)\/?$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

/** Whether a path segment is a slug the queries accept; anything else cannot exist, so it is a 404. */
export function isSlug(value: string): boolean {
  return value.length <= SLUG_MAX && SLUG.test(value)
}

/**
 * Keyset cursor for `/?after=`: the last shown review's `publishedOn~_id`. Readable, and `~`
 * cannot occur in a Sanity document id or an ISO date.
 */
export function encodeCursor(item: {publishedOn: string; _id: string}): string {
  return `${item.publishedOn}~${item._id}`
}

export function decodeCursor(value: string): {publishedOn: string; _id: string} | undefined {
  const separator = value.indexOf('~')
  if (separator < 0) return undefined
  const publishedOn = value.slice(0, separator)
  const _id = value.slice(separator + 1)
  if (!DATE.test(publishedOn) || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(_id)) return undefined
  return {publishedOn, _id}
}

function notFound(request: Request): Response {
  return htmlResponse(
    request,
    messagePage('Page not found', 'There is nothing at this address. It may have moved or never existed.'),
    404,
  )
}

export function createSiteHandler(options: SiteHandlerOptions): SiteHandler {
  const log = options.log ?? ((line: string) => console.error(line))
  const pageSize = options.pageSize ?? 10
  if (!(Number.isInteger(pageSize) && pageSize >= 1 && pageSize < 100)) {
    throw new RangeError('pageSize must be a whole number from 1 to 99')
  }
  const config = options.client.config()
  const client =
    config.useCdn !== false || (config.perspective !== undefined && config.perspective !== 'published')
      ? options.client.withConfig({useCdn: false, perspective: 'published'})
      : options.client
  // Image URLs follow the client: the lake's own origin locally, the CDN for a hosted project.
  const images = imageUrls(client)

  const serverError = (request: Request, error: unknown): Response => {
    const url = new URL(request.url)
    const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
    log(`site: ${request.method} ${url.pathname}${url.search} failed: ${detail}`)
    return htmlResponse(
      request,
      messagePage('Something went wrong', 'This page could not be shown right now. Please try again in a moment.'),
      500,
    )
  }

  const reviewResponse = async (request: Request, slug: string, render: RenderReviewOptions & {pending?: boolean}) => {
    const review = await fetchTyped(client, reviewPageQuery, {slug})
    if (!review) return undefined
    const {html} = renderReviewPage(review, {
      origin: new URL(request.url).origin,
      images,
      ...(render.form ? {form: render.form} : {}),
      commentPending: render.pending === true,
    })
    return htmlResponse(request, html, render.status ?? 200, render.headers)
  }

  const route = async (request: Request, url: URL): Promise<Response | undefined> => {
    const origin = url.origin
    if (url.pathname === '/') {
      const after = url.searchParams.get('after')
      const cursor = after === null || after === '' ? null : decodeCursor(after)
      if (cursor === undefined) {
        return htmlResponse(request, messagePage('Page not found', 'That page of reviews does not exist.', ''), 404)
      }
      // One extra item tells whether an older page exists, so "Older" never leads to an empty page.
      const items = await fetchTyped(client, reviewListQuery, {limit: pageSize + 1, after: cursor})
      const shown = items.slice(0, pageSize)
      const last = shown.at(-1)
      const nextHref = items.length > pageSize && last ? `/?after=${encodeURIComponent(encodeCursor(last))}` : undefined
      const {html} = renderReviewList(shown, {origin, images, nextHref, isFirstPage: cursor === null})
      return htmlResponse(request, html)
    }

    const match = PAGE_ROUTE.exec(url.pathname)
    if (!match) return undefined
    const [, kind, rawSlug = ''] = match
    let slug: string
    try {
      slug = decodeURIComponent(rawSlug)
    } catch {
      return notFound(request)
    }
    if (!isSlug(slug)) return notFound(request)

    if (kind === 'reviews') {
      const pending = url.searchParams.get('comment') === 'pending'
      return (await reviewResponse(request, slug, {pending})) ?? notFound(request)
    }
    if (kind === 'films') {
      const film = await fetchTyped(client, filmPageQuery, {slug})
      return film && isPublicId(film._id) ? htmlResponse(request, renderFilmPage(film, {origin, images}).html) : notFound(request)
    }
    const person = await fetchTyped(client, personPageQuery, {slug})
    // A client with a token also reads private (dotted) ids; readers never get those pages.
    return person && isPublicId(person._id) ? htmlResponse(request, renderPersonPage(person, {origin, images}).html) : notFound(request)
  }

  const handler = async (request: Request): Promise<Response | undefined> => {
    const url = new URL(request.url)
    if (url.pathname !== '/' && !PAGE_ROUTE.test(url.pathname)) return undefined
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return htmlResponse(
        request,
        messagePage('Method not allowed', 'These pages can only be read.'),
        405,
        {allow: 'GET, HEAD'},
      )
    }
    try {
      return await route(request, url)
    } catch (error) {
      return serverError(request, error)
    }
  }

  const renderReview: SiteHandler['renderReview'] = async (request, slug, render = {}) => {
    if (!isSlug(slug)) return undefined
    try {
      return await reviewResponse(request, slug, render)
    } catch (error) {
      return serverError(request, error)
    }
  }

  return Object.assign(handler, {renderReview})
}
