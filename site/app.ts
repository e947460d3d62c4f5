/** The site and the comment endpoint as one Fetch handler, for servers that mount them together. */
import {withFormRedirects, type CommentHandler} from './forms'
import {htmlResponse, messagePage} from './html'
import type {SiteHandler} from './handler'

export const COMMENTS_PATH = '/api/comments'

export interface SiteAppOptions {
  site: SiteHandler
  /** The comment handler from `comments/` (`createCommentHandler`); wrapped with `withFormRedirects`. */
  comments?: CommentHandler
}

/**
 * Routes `/api/comments` to the (wrapped) comment handler and the pages to the site; `undefined`
 * for anything else, so the caller can fall through (or answer with `notFoundResponse`).
 */
export function createSiteApp(options: SiteAppOptions): (request: Request) => Promise<Response | undefined> {
  const comments = options.comments ? withFormRedirects(options.comments, options.site) : undefined
  return async (request) => {
    const {pathname} = new URL(request.url)
    if (pathname === COMMENTS_PATH) return comments?.(request)
    return options.site(request)
  }
}

/** The site's own 404 page, for servers that end their routing with it. */
export function notFoundResponse(request: Request): Response {
  return htmlResponse(request, messagePage('Page not found', 'There is nothing at this address. It may have moved or never existed.'), 404)
}
