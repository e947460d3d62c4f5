/**
 * `film-review-sanity/queries`: the typed GROQ queries, their `zod` parameter schemas and
 * `fetchTyped`, with the TypeGen result types (and the `@sanity/client` overloads that make
 * `client.fetch(query)` typed). Runtime-neutral: browsers, edge runtimes, Node 20+.
 */
export * from '../queries'
export {
  queryParams,
  reviewListParams,
  searchParams,
  slugParams,
  type QueryParams,
  type TypedQuery,
} from '../queries/params'
export {fetchTyped, parseQueryParams, QueryParamsError} from '../queries/fetch'
export type * from '../sanity.types'
