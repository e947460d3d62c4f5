/**
 * A small server-rendered reference site built from the package's typed queries: the review list,
 * film, review and person pages, and the no-JavaScript side of the comment form.
 *
 * Mounting (Fetch API; `toNodeListener` from `comments/` adapts it to node:http / node:http2):
 *   const site = createSiteHandler({client, log})
 *   const comments = withFormRedirects(createCommentHandler({client}), site)   // at POST /api/comments
 *   const response = await site(request)   // undefined: not a site route, fall through
 */
export {createSiteHandler, decodeCursor, encodeCursor, isSlug, type RenderReviewOptions, type SiteHandler, type SiteHandlerOptions} from './handler'
export {isBrowserFormPost, prefersHtml, withFormRedirects, type CommentHandler} from './forms'
export {COMMENTS_PATH, createSiteApp, notFoundResponse, type SiteAppOptions} from './app'
export {jsonLdScript} from './html'
export {
  paths,
  renderFilmPage,
  renderPersonPage,
  renderReviewList,
  renderReviewPage,
  type CommentFormState,
  type FieldError,
} from './pages'
