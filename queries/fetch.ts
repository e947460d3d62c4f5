import type {SanityClient, SanityQueries} from '@sanity/client'
import {z} from 'zod'

import {queryParams, type QueryParams, type TypedQuery} from './params'

/** Raised before any request when a query's parameters are wrong; names each bad parameter. */
export class QueryParamsError extends Error {
  readonly issues: Array<{param: string; message: string}>

  constructor(issues: Array<{param: string; message: string}>) {
    super(
      `Invalid query parameters: ${issues.map((issue) => `$${issue.param}: ${issue.message}`).join('; ')}`,
    )
    this.name = 'QueryParamsError'
    this.issues = issues
  }
}

/** Validates (and normalises) the parameters of one of the package's queries. */
export function parseQueryParams<Q extends TypedQuery>(
  query: Q,
  params: QueryParams<Q>,
): z.output<(typeof queryParams)[Q]> {
  // Indexing by a generic key widens to the union of schemas; the key ties them back.
  const schema: z.ZodType | undefined = queryParams[query]
  if (!schema) throw new Error('fetchTyped only runs the queries exported by this package.')
  const parsed = schema.safeParse(params)
  if (!parsed.success) {
    throw new QueryParamsError(
      parsed.error.issues.map((issue) => ({
        param: issue.path.length ? issue.path.map(String).join('.') : '(parameters)',
        message: issue.message,
      })),
    )
  }
  return parsed.data as z.output<(typeof queryParams)[Q]>
}

type Result<Q extends TypedQuery> = Q extends keyof SanityQueries ? SanityQueries[Q] : unknown

/**
 * Runs one of the package's queries with validated parameters; parameter and
 * result types both follow from the query. Works with any `@sanity/client`
 * pointed at the local lake or a hosted project.
 */
export async function fetchTyped<Q extends TypedQuery>(
  client: SanityClient,
  query: Q,
  params: QueryParams<Q>,
): Promise<Result<Q>> {
  const valid = parseQueryParams(query, params)
  return client.fetch<Result<Q>>(query, valid as Record<string, unknown>)
}
