import {evaluate, parse} from 'groq-js'
import {describe, expect, it} from 'vitest'

import {DocumentSet} from '../../lake/docset'
import type {LakeDocument} from '../../lake/documents'
import {compileQuery, evaluateOver, parsePerspective} from '../../lake/groq'
import {planQuery} from '../../lake/planner'
import {filmPageQuery, personPageQuery, reviewListQuery, reviewPageQuery, searchQuery} from '../../queries'

function sorted(docs: LakeDocument[]): LakeDocument[] {
  return [...docs].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
}

/** A document as the lake stores it (system fields included). */
function stored(fields: {_id: string; _type: string} & Record<string, unknown>): LakeDocument {
  return {_rev: 'rev1', _createdAt: '2024-01-01T00:00:00Z', _updatedAt: '2024-01-01T00:00:00Z', ...fields}
}

function block(text: string, key: string) {
  return {_type: 'block', _key: key, style: 'normal', markDefs: [], children: [{_type: 'span', _key: `${key}s`, text, marks: []}]}
}

/** A small site: 6 reviews with ties on publishedOn, comments with replies, films, people, one draft. */
function site(): LakeDocument[] {
  const docs: LakeDocument[] = []
  for (let i = 0; i < 3; i++) docs.push(stored({_id: `person-${i}`, _type: 'person', name: `Person ${i}`, slug: {_type: 'slug', current: `person-${i}`}}))
  for (let i = 0; i < 2; i++) {
    docs.push(stored({
      _id: `film-${i}`,
      _type: 'film',
      title: `Film ${i}`,
      slug: {_type: 'slug', current: `film-${i}`},
      crew: [{_key: 'c', job: 'director', person: {_type: 'reference', _ref: `person-${i}`}}],
      cast: [{_key: 'a', characterName: 'Lead', person: {_type: 'reference', _ref: 'person-2'}}],
    }))
  }
  for (let i = 0; i < 6; i++) {
    docs.push(stored({
      _id: `review-${i}`,
      _type: 'review',
      title: `Review ${i}`,
      slug: {_type: 'slug', current: `review-${i}`},
      publishedOn: `2024-01-0${1 + (i % 3)}`,
      film: {_type: 'reference', _ref: `film-${i % 2}`},
      intro: [block(`Intro ${i} about Samantha`, 'i')],
      sections: [{_key: 's', heading: 'One', body: [block(`Body of ${i}`, 'b')]}],
    }))
  }
  for (let i = 0; i < 12; i++) {
    docs.push(stored({
      _id: `comment-${String(i).padStart(2, '0')}`,
      _type: 'comment',
      review: {_type: 'reference', _ref: `review-${i % 6}`},
      status: i % 4 === 3 ? 'pending' : 'approved',
      authorName: 'Reader',
      body: `Comment ${i}`,
      createdAt: `2024-02-${String(10 + i).padStart(2, '0')}T00:00:00Z`,
      ...(i >= 6 ? {parent: {_type: 'reference', _ref: `comment-${String(i - 6).padStart(2, '0')}`, _weak: true}} : {}),
    }))
  }
  docs.push({...(docs.find((doc) => doc._id === 'review-1') as LakeDocument), _id: 'drafts.review-1', title: 'Review 1 (draft)'})
  return sorted(docs)
}

const pages = [
  {name: 'review page', query: reviewPageQuery, params: {slug: 'review-1'}},
  {name: 'film page', query: filmPageQuery, params: {slug: 'film-0'}},
  {name: 'person page', query: personPageQuery, params: {slug: 'person-2'}},
  {name: 'review list', query: reviewListQuery, params: {after: null, limit: 2}},
  {name: 'review list, second page', query: reviewListQuery, params: {after: {publishedOn: '2024-01-02', _id: 'review-4'}, limit: 2}},
  {name: 'search', query: searchQuery, params: {term: 'samant'}},
]

/** Plain groq-js over the documents a perspective sees, computed here the way Sanity defines it. */
async function reference(docs: readonly LakeDocument[], perspective: 'published' | 'drafts', query: string, params: Record<string, unknown>): Promise<unknown> {
  const published = docs.filter((doc) => !doc._id.startsWith('drafts.'))
  const dataset =
    perspective === 'published'
      ? published
      : sorted(
          published.map((doc) => {
            const draft = docs.find((other) => other._id === `drafts.${doc._id}`)
            return draft ? {...draft, _id: doc._id, _originalId: draft._id} : {...doc, _originalId: doc._id}
          }),
        )
  return (await evaluate(parse(query, {params}), {dataset, params})).get()
}

describe('the lake query planner', () => {
  it('plans every exported page query onto indexes, reads the review list in key order, and decides plain equality filters itself', () => {
    const planned = pages.map(({name, query, params}) => {
      const plan = planQuery(compileQuery(query, params).tree)
      return {name, indexed: plan.indexedFilters, orderedScans: plan.orderedScans, native: plan.nativeFilters}
    })
    expect(planned).toEqual([
      // The review, and its comments (`review._ref == ^._id && status == "approved" && _id in path("*")`).
      {name: 'review page', indexed: 2, orderedScans: 0, native: 2},
      // The film, and its reviews.
      {name: 'film page', indexed: 2, orderedScans: 0, native: 2},
      // The person, and the films that reference them.
      {name: 'person page', indexed: 2, orderedScans: 0, native: 2},
      // `$after == null || …` and `match` are left to groq-js.
      {name: 'review list', indexed: 1, orderedScans: 1, native: 0},
      {name: 'review list, second page', indexed: 1, orderedScans: 1, native: 0},
      {name: 'search', indexed: 1, orderedScans: 0, native: 0},
    ])
  })

  it('answers every page query exactly as plain groq-js, before and after writes patch the indexes', async () => {
    const docs = site()
    const set = new DocumentSet(docs, 0)
    const current = new Map(docs.map((doc) => [doc._id, doc]))
    const check = async () => {
      const all = sorted([...current.values()])
      for (const perspective of ['published', 'drafts'] as const) {
        for (const {name, query, params} of pages) {
          const {tree} = compileQuery(query, params)
          const lake = await evaluateOver({tree, view: set.view(parsePerspective(perspective), true), params, checkpoint: () => undefined})
          expect(JSON.stringify(lake), `${name} (${perspective})`).toBe(JSON.stringify(await reference(all, perspective, query, params)))
          // Every page finds something, so agreeing is not agreeing on nothing.
          expect(lake === null || (Array.isArray(lake) && lake.length === 0), `${name} (${perspective}) is empty`).toBe(false)
        }
      }
    }
    await check()
    const writes: {id: string; doc: LakeDocument | null}[][] = [
      // A comment moves to another review and is approved; a reply loses its parent.
      [{id: 'comment-03', doc: {...(current.get('comment-03') as LakeDocument), review: {_type: 'reference', _ref: 'review-1'}, status: 'approved'}}],
      [{id: 'comment-08', doc: null}],
      // A review changes its date (the ordered index moves it) and its slug.
      [{id: 'review-4', doc: {...(current.get('review-4') as LakeDocument), publishedOn: '2024-01-09', slug: {_type: 'slug', current: 'review-4b'}}}],
      // The draft is published: the draft goes, the published document changes.
      [
        {id: 'drafts.review-1', doc: null},
        {id: 'review-1', doc: {...(current.get('drafts.review-1') as LakeDocument), _id: 'review-1'}},
      ],
      // A new film's cast names person-2; a new draft of a film appears.
      [
        {id: 'film-9', doc: stored({_id: 'film-9', _type: 'film', title: 'Film 9', slug: {_type: 'slug', current: 'film-9'}, cast: [{_key: 'a', person: {_type: 'reference', _ref: 'person-2'}}]})},
        {id: 'drafts.film-0', doc: {...(current.get('film-0') as LakeDocument), _id: 'drafts.film-0', title: 'Samantha draft'}},
      ],
    ]
    let seq = 0
    for (const transaction of writes) {
      for (const {id, doc} of transaction) {
        if (doc) current.set(id, doc)
        else current.delete(id)
      }
      set.apply(transaction, ++seq)
      await check()
    }
  })

  it('finds words written by writes its word index has not caught up with, before and past the deferral cap', async () => {
    // Enough people that the search reads the word index rather than filtering every candidate.
    const people = Array.from({length: 60}, (_, i) => stored({_id: `person-x${String(i).padStart(2, '0')}`, _type: 'person', name: `Extra ${i}`}))
    const docs = sorted([...site(), ...people])
    const set = new DocumentSet(docs, 0)
    const current = new Map(docs.map((doc) => [doc._id, doc]))
    const search = async (term: string) => {
      const params = {term}
      const {tree} = compileQuery(searchQuery, params)
      const lake = await evaluateOver({tree, view: set.view(parsePerspective('published'), true), params, checkpoint: () => undefined})
      expect(JSON.stringify(lake), term).toBe(JSON.stringify(await reference(sorted([...current.values()]), 'published', searchQuery, params)))
      return lake
    }
    // Builds the word index.
    expect(await search('samant')).not.toEqual([])
    expect(planQuery(compileQuery(searchQuery, {term: 'x'}).tree).indexedFilters).toBe(1)
    let seq = 0
    const retitle = (id: string, title: string) => {
      const doc = {...(current.get(id) as LakeDocument), title}
      current.set(id, doc)
      set.apply([{id, doc}], ++seq)
    }
    // A few writes (deferred), then a text query that must see them.
    retitle('review-2', 'Theodore writes letters')
    retitle('review-3', 'Catherine signs papers')
    expect(await search('theodo')).toHaveLength(1)
    expect(await search('catherine')).toHaveLength(1)
    // More writes than the deferral holds, alternating titles, then the latest words and not the replaced ones.
    for (let i = 0; i < 1100; i++) {
      retitle(`review-${i % 5}`, `Round ${i} word${i}`)
      // Written early in the run and never again: only a word index that took every write finds it.
      if (i === 10) retitle('review-5', 'Marmalade')
    }
    expect(await search('word1099')).toHaveLength(1)
    expect(await search('marmal')).toHaveLength(1)
    expect(await search('theodo')).toEqual([])
    expect(await search('word5')).toEqual([])
  })

  it('dereferences a stored _ref that looks like a planner lookup as an ordinary missing document', async () => {
    const docs = sorted([
      stored({_id: 'a', _type: 'thing', link: {_ref: '\u0000lake:0:a'}}),
      stored({_id: 'b', _type: 'thing', link: {_ref: 'a'}}),
    ])
    const set = new DocumentSet(docs, 0)
    const query = '*[_type == "thing"]{_id, "to": link->_id, "back": *[link._ref == ^._id]._id}'
    const lake = await evaluateOver({tree: compileQuery(query, {}).tree, view: set.view(parsePerspective('raw'), true), params: {}})
    expect(lake).toEqual([
      {_id: 'a', to: null, back: ['b']},
      {_id: 'b', to: 'a', back: []},
    ])
  })

  it('keeps score() sums exactly as groq-js adds them (floating-point sums depend on grouping)', async () => {
    // Scores 1 + 1.5714285714285714 + 3.142857142857143: (a + b) + c and a + (b + c) differ in the last digit.
    const docs = sorted([stored({_id: 'a', _type: 'film', title: 'alpha beta beta beta', note: 'gamma gamma gamma delta delta delta'})])
    const set = new DocumentSet(docs, 0)
    const query = '*[_type == "film"] | score(title match "alpha" || title match "beta" || note match ["gamma", "delta"]){_id, _score}'
    const lake = await evaluateOver({tree: compileQuery(query, {}).tree, view: set.view(parsePerspective('raw'), true), params: {}})
    const plain = await (await evaluate(parse(query), {dataset: docs})).get()
    expect(JSON.stringify(lake)).toBe(JSON.stringify(plain))
    expect(JSON.stringify(lake)).toBe('[{"_id":"a","_score":5.7142857142857135}]')
  })
})
