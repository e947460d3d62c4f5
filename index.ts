/**
 * The package's entry point for frontends and import scripts: typed queries,
 * their parameter schemas and fetch helper, Portable Text rendering, the
 * review importer and the client settings for the local lake or a hosted project.
 */
export * from './queries'
export {
  queryParams,
  reviewListParams,
  searchParams,
  slugParams,
  type QueryParams,
  type TypedQuery,
} from './queries/params'
export {fetchTyped, parseQueryParams, QueryParamsError} from './queries/fetch'
export {
  imageUrls,
  responsiveImage,
  type ImageUrlSource,
  type QueriedImage,
  type ResponsiveImage,
  type ResponsiveImageOptions,
} from './queries/images'
export {
  defaultMentionHref,
  excerpt,
  portableTextToHtml,
  portableTextToPlainText,
  type MentionTarget,
  type RenderOptions,
} from './queries/portable-text'
export {importReview, toNdjson, type FilmFacts, type ImportResult} from './importer'
export {clientConfig, resolveTarget, type SanityTarget} from './lib/env'
export {apiVersion} from './lib/constants'
export type * from './sanity.types'
