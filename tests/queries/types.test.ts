import {createClient} from '@sanity/client'
import {describe, expectTypeOf, it} from 'vitest'

import {filmPageQuery, reviewListQuery, reviewPageQuery, searchQuery} from '../../queries'
import {fetchTyped} from '../../queries/fetch'
import type {QueryParams} from '../../queries/params'
import type {
  ReviewListQueryResult,
  ReviewPageQueryResult,
  SearchQueryResult,
} from '../../sanity.types'

const client = createClient({
  projectId: 'local',
  dataset: 'test',
  apiVersion: '2025-02-19',
  useCdn: false,
})

describe('query types', () => {
  it('infers parameters from the query and results from TypeGen', () => {
    expectTypeOf<QueryParams<typeof filmPageQuery>>().toEqualTypeOf<{slug: string}>()
    expectTypeOf<QueryParams<typeof reviewListQuery>>().toEqualTypeOf<{
      limit: number
      after: {publishedOn: string; _id: string} | null
    }>()
    // Typed without sending anything: these functions are never called.
    const page = () => fetchTyped(client, reviewPageQuery, {slug: 'her-2013'})
    const search = () => fetchTyped(client, searchQuery, {term: 'Her'})
    const list = () => client.fetch(reviewListQuery, {limit: 5, after: null})
    expectTypeOf(page).returns.resolves.toEqualTypeOf<ReviewPageQueryResult>()
    expectTypeOf(search).returns.resolves.toEqualTypeOf<SearchQueryResult>()
    expectTypeOf(list).returns.resolves.toEqualTypeOf<ReviewListQueryResult>()
  })

  it('refuses wrong parameters at compile time', () => {
    // Never called: the point is that `tsc --noEmit` (part of npm test) fails
    // if any of these lines stops being a type error.
    const wrong = () => [
      // @ts-expect-error a slug is a string
      fetchTyped(client, filmPageQuery, {slug: 2013}),
      // @ts-expect-error the parameter is called slug
      fetchTyped(client, reviewPageQuery, {id: 'review-her-2013'}),
      // @ts-expect-error limit is required
      fetchTyped(client, reviewListQuery, {after: null}),
      // @ts-expect-error a cursor needs publishedOn and _id
      fetchTyped(client, reviewListQuery, {limit: 5, after: {_id: 'x'}}),
      // @ts-expect-error only the package's queries are accepted
      fetchTyped(client, '*[_type == "film"]', {}),
    ]
    expectTypeOf(wrong).toBeFunction()
  })
})
