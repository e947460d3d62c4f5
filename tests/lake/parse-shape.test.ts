import fc from 'fast-check'
import {parse} from 'groq-js'
import {describe, expect, it} from 'vitest'

import {parseGroq} from '../../lake/groq'
import {filmPageQuery, personPageQuery, reviewListQuery, reviewPageQuery, searchQuery} from '../../queries'

/** What groq-js itself makes of the query and parameters: the tree, or its error message. */
function groqJs(query: string, params: Record<string, unknown>): unknown {
  try {
    return parse(query, {params})
  } catch (error) {
    return {error: error instanceof Error ? error.message : String(error)}
  }
}

function lake(query: string, params: Record<string, unknown>): unknown {
  try {
    return parseGroq(query, params)
  } catch (error) {
    return {error: error instanceof Error ? error.message : String(error)}
  }
}

// Queries whose parse does not depend on parameter values (kept once, values put in per call)
// and ones where groq-js reads the value while parsing (`x[$p]`, slices, object keys, folded arithmetic).
const QUERIES = [
  reviewPageQuery,
  filmPageQuery,
  personPageQuery,
  reviewListQuery,
  searchQuery,
  '*[_type == $type && _id in $ids]{_id, "p": $p}',
  '*[_type == "film"]{"x": @[$key]}',
  '*[_type == "film"][0...$n]',
  '{$key: 1, "b": $p}',
  '$a + $b * 2',
  'count($a[@ in $a])',
  '$o.title',
  '*[_id == $id]',
  'fn f::g($x) = $x.title; f::g(*[0])',
]

const NAMES = ['slug', 'type', 'ids', 'p', 'key', 'n', 'a', 'b', 'o', 'id', 'after', 'limit', 'term', 'x'] as const

const value = fc.oneof(
  fc.string({maxLength: 6}),
  fc.integer({min: -3, max: 40}),
  fc.double({noNaN: true}),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({maxLength: 4}), {maxLength: 3}),
  fc.dictionary(fc.constantFrom('title', 'publishedOn', '_id'), fc.string({maxLength: 4}), {maxKeys: 2}),
)

// Plain objects, as JSON.parse makes them (fast-check's dictionaries have no prototype, which groq-js' parser cannot read).
const paramsArbitrary = fc.dictionary(fc.constantFrom(...NAMES), value, {maxKeys: 5}).map((params) => ({...params}))

describe('parsing a query once per text and parameter names', () => {
  it('gives exactly the tree (or the error) groq-js gives for every parameter value', () => {
    fc.assert(
      fc.property(fc.constantFrom(...QUERIES), paramsArbitrary, paramsArbitrary, (query, first, second) => {
        // Two calls each: the second reuses what the first kept, with other values.
        expect(lake(query, first)).toEqual(groqJs(query, first))
        expect(lake(query, second)).toEqual(groqJs(query, second))
        expect(lake(query, {...first, ...second})).toEqual(groqJs(query, {...first, ...second}))
      }),
      {seed: 12, numRuns: 600},
    )
  })

  it('hands out a tree of its own each time, so changing one cannot change the next', () => {
    const first = parseGroq(reviewPageQuery, {slug: 'one'}) as unknown as Record<string, unknown>
    first.type = 'Changed'
    expect(parseGroq(reviewPageQuery, {slug: 'two'})).toEqual(parse(reviewPageQuery, {params: {slug: 'two'}}))
  })
})
