/**
 * Reader comments: the public submission handler (Fetch API, with a Node adapter), its
 * validation and rate limiting, HTML rendering of a comment body, and moderation, which keeps
 * every comment but the approved ones at a private id (`./ids`, `./moderation`).
 *
 * Mounting, with a client that has a write token (server side only):
 * - Node (`node:http` or the `node:http2` compat API): `toNodeListener(createCommentHandler({client}))`
 *   as the listener for `POST /api/comments`; the socket address is the rate-limit key.
 * - Next.js `app/api/comments/route.ts`: `export const POST = createCommentHandler({client, clientKey})`.
 * - Astro `src/pages/api/comments.ts`: `const handle = createCommentHandler({client, clientKey});
 *   export const POST: APIRoute = ({request}) => handle(request)`.
 * Outside the Node adapter pass `clientKey` (e.g. from the header your proxy sets); without it every
 * request shares one rate-limit bucket.
 */
export {
  createCommentHandler,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_RATE_LIMIT,
  type CommentClient,
  type CommentHandler,
  type CommentHandlerOptions,
  type NewCommentDocument,
} from './handler'
export {toFetchRequest, toNodeListener, writeFetchResponse, type FetchHandler, type NodeListenerOptions, type NodeRequest, type NodeResponse} from './node'
export {clientAddressOf} from './client-address'
export {COMMENT_ERROR_TYPES, readCommentError, type CommentError, type CommentErrorBody, type CommentErrorType} from './errors'
export {SlidingWindowRateLimiter, type RateLimitDecision, type RateLimitOptions} from './rate-limit'
export {AUTHOR_NAME_MAX, BODY_MAX, validateCommentInput, type CommentInput, type FieldError, type ValidationResult} from './validation'
export {escapeCommentBody, renderCommentHtml, type RenderableComment} from './render'
export {commentIdsOf, isPublicId, MODERATION_PATH, privateCommentId, publicCommentId} from './ids'
export {moderateComment, moderateComments, ModerationError, type ModerationClient, type ModerationResult} from './moderation'
export {
  migrateComments,
  planCommentMigration,
  runCommentMigration,
  type CommentMigrationDeps,
  type CommentMigrationOptions,
  type MigrationClient,
  type MigrationPlan,
} from './migrate'
