// Typechecked (moduleResolution nodenext and bundler), never run: the package's types as a
// consumer's compiler sees them through `exports`.
import {createClient} from '@sanity/client'
import {
  clientConfig,
  fetchTyped,
  portableTextToHtml,
  reviewPageQuery,
  type QueryParams,
  type ReviewPageQueryResult,
} from 'film-review-sanity'
import {reviewListQuery, searchQuery} from 'film-review-sanity/queries'
import {resolveTarget} from 'film-review-sanity/client'
import type {importReview} from 'film-review-sanity/importer'
import type {startLake} from 'film-review-sanity/lake'
import type {schemaTypes} from 'film-review-sanity/schemas'

type IsAny<T> = 0 extends 1 & T ? true : false
type IsUnknown<T> = unknown extends T ? (IsAny<T> extends true ? false : true) : false

const client = createClient(clientConfig(resolveTarget({SANITY_API_HOST: 'http://127.0.0.1:3434'})))

export async function page(slug: string): Promise<string> {
  const review = await fetchTyped(client, reviewPageQuery, {slug})
  const notAny: IsAny<typeof review> = false
  const notUnknown: IsUnknown<typeof review> = false
  const same: ReviewPageQueryResult = review
  // @ts-expect-error TypeGen's result has no such field.
  void review?.noSuchField
  // `client.fetch` is typed by the TypeGen overloads the package's types carry.
  const viaClient: ReviewPageQueryResult = await client.fetch(reviewPageQuery, {slug})
  const list = await fetchTyped(client, reviewListQuery, {limit: 10, after: null})
  const params: QueryParams<typeof searchQuery> = {term: 'Her'}
  void [notAny, notUnknown, same, viaClient, params]
  return [review?.title, ...list.map((item) => item.film.title), ...(review?.sections ?? []).map((section) => portableTextToHtml(section.body))].join('\n')
}

export type NodeOnly = [typeof importReview, typeof startLake, typeof schemaTypes]
