/**
 * Differential test of the lake's GROQ engine (issue 12): every query result must be
 * byte-identical (`JSON.stringify`) to plain groq-js over the same documents and
 * perspective, including after writes applied incrementally with `DocumentSet.apply`.
 *
 * The property test is seeded (LAKE_DIFF_SEED, default 1207) and bounded (LAKE_DIFF_RUNS,
 * default 4000, and LAKE_DIFF_LARGE_RUNS for scenarios of a few hundred documents;
 * LAKE_DIFF_TIME_LIMIT_MS / LAKE_DIFF_LARGE_TIME_LIMIT_MS stop them early, passing, on a loaded machine). A
 * difference fails with a shrunk reproduction: documents, transactions, query, params,
 * perspective and both results, plus a JSON line that `replay()` (differential-harness.ts)
 * runs again.
 *
 *   LAKE_DIFF_SEED=7 LAKE_DIFF_RUNS=20000 npx vitest run tests/lake/differential.test.ts
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {resolveTransaction, scenario, seenIds, type Step} from './differential-grammar'
import {largeDocuments, largeScenario} from './differential-large'
import {counters, type Doc, isNonEmpty, Lockstep, type Outcome, type QueryCase, replay, slowest} from './differential-harness'

const SEED = Number(process.env.LAKE_DIFF_SEED ?? 1207)
const RUNS = Number(process.env.LAKE_DIFF_RUNS ?? 4000)
const LARGE_RUNS = Number(process.env.LAKE_DIFF_LARGE_RUNS ?? 120)
/**
 * Guards for a loaded machine: each property stops (passing) after this long. On two idle
 * cores 4000 runs take about 37 s and 120 large runs about 25 s.
 */
const TIME_LIMIT_MS = Number(process.env.LAKE_DIFF_TIME_LIMIT_MS ?? 70_000)
const LARGE_TIME_LIMIT_MS = Number(process.env.LAKE_DIFF_LARGE_TIME_LIMIT_MS ?? 40_000)

/** After every transaction: the whole raw dataset, which checks `apply` itself. */
const EVERYTHING: QueryCase = {query: '*', params: {}, perspective: 'raw', allowPrivate: true}

interface Totals {
  runs: number
  queries: number
  nonEmpty: number
  errors: number
  queriesAfterWrites: number
  nonEmptyAfterWrites: number
  skipped: number
  writes: number
  transactions: number
  bulkTransactions: number
  staleChecks: number
  bigChecks: number
}

const emptyTotals = (): Totals => ({runs: 0, queries: 0, nonEmpty: 0, errors: 0, queriesAfterWrites: 0, nonEmptyAfterWrites: 0, skipped: 0, writes: 0, transactions: 0, bulkTransactions: 0, staleChecks: 0, bigChecks: 0})

function resultsOf(outcomes: readonly Outcome[]): unknown[] {
  return outcomes.flatMap((outcome) => (outcome.ok && outcome.json !== 'undefined' ? [JSON.parse(outcome.json) as unknown] : []))
}

/**
 * Each step: its queries, then its transaction (which may edit documents those queries
 * returned), landing while one of them is in flight, then the same queries again, so the
 * indexes the first run built are the ones the write has to keep right.
 */
async function runSteps(lockstep: Lockstep, steps: readonly Step[], totals: Totals, options: {stateCheck: boolean; affordable: (c: QueryCase) => boolean}): Promise<void> {
  const count = (outcomes: readonly Outcome[], afterWrite: boolean) => {
    for (const outcome of outcomes) {
      totals.queries++
      if (!outcome.ok) totals.errors++
      if (isNonEmpty(outcome)) totals.nonEmpty++
      if (afterWrite) {
        totals.queriesAfterWrites++
        if (isNonEmpty(outcome)) totals.nonEmptyAfterWrites++
      }
    }
  }
  for (const step of steps) {
    const cases = step.queries.filter(options.affordable)
    totals.skipped += step.queries.length - cases.length
    const before = await lockstep.checkAll(cases)
    count(before, lockstep.stats.transactions > 0)
    const writes = resolveTransaction(step.tx, lockstep.model, seenIds(resultsOf(before)))
    if (writes.length === 0) continue
    const last = cases.at(-1)
    const inFlight = last ? lockstep.inFlight(last) : undefined
    lockstep.commit(writes)
    if (writes.length > 64) totals.bulkTransactions++
    await inFlight?.verify()
    if (options.stateCheck) await lockstep.check(EVERYTHING)
    count(await lockstep.checkAll(cases.filter(options.affordable)), true)
  }
  totals.runs++
  totals.writes += lockstep.stats.writes
  totals.transactions += lockstep.stats.transactions
  totals.staleChecks += lockstep.stats.staleChecks
  totals.bigChecks += lockstep.stats.bigChecks
}

describe('lake GROQ vs plain groq-js (differential, issue 12)', () => {
  it('agrees on generated documents, transactions and queries', {timeout: 300_000}, async () => {
    console.log(`differential: seed ${SEED}, ${RUNS} runs (set LAKE_DIFF_SEED / LAKE_DIFF_RUNS to change)`)
    const totals = emptyTotals()
    const before = {...counters}
    const started = performance.now()

    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const lockstep = new Lockstep(s.initial, s.initialSeq)
        await runSteps(lockstep, s.steps, totals, {
          stateCheck: true,
          // Subqueries nested three deep cost the cube of the dataset: not over the bulk documents.
          affordable: (c) => lockstep.model.size <= 40 || (c.query.match(/\*\[/g)?.length ?? 0) < 3,
        })
      }),
      {seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS},
    )

    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const checkpointCalls = counters.checkpointCalls - before.checkpointCalls
    const yields = counters.yields - before.yields
    console.log(`differential: ${seconds}s`, {...totals, checkpointCalls, yields}, `slowest check ${slowest.ms.toFixed(0)}ms over ${slowest.documents} documents: ${slowest.query}`)

    // Not vacuous: writes went through apply, queries after them returned data, checkpoints ran.
    if (totals.runs < RUNS) console.warn(`differential: stopped after ${totals.runs} of ${RUNS} runs (time limit ${TIME_LIMIT_MS} ms)`)
    const runs = totals.runs
    expect(runs).toBeGreaterThanOrEqual(Math.min(RUNS, 200))
    expect(totals.transactions).toBeGreaterThanOrEqual(runs)
    expect(totals.writes).toBeGreaterThanOrEqual(2 * runs)
    expect(totals.bulkTransactions).toBeGreaterThan(0)
    expect(totals.staleChecks).toBeGreaterThanOrEqual(runs / 2)
    expect(totals.queriesAfterWrites).toBeGreaterThanOrEqual(2 * runs)
    expect(totals.nonEmpty).toBeGreaterThanOrEqual(totals.queries * 0.3)
    expect(totals.nonEmptyAfterWrites).toBeGreaterThanOrEqual(totals.queriesAfterWrites * 0.3)
    expect(totals.errors).toBeLessThanOrEqual(totals.queries * 0.02)
    expect(checkpointCalls).toBeGreaterThan(0)
    expect(yields).toBeGreaterThan(0)
  })
})

describe('lake GROQ vs plain groq-js over a few hundred documents (differential, issue 12)', () => {
  it('agrees where plans need many candidates: ordered scans, keyset ranges, the word index', {timeout: 300_000}, async () => {
    console.log(`differential (large): seed ${SEED}, ${LARGE_RUNS} runs (LAKE_DIFF_LARGE_RUNS)`)
    const totals = emptyTotals()
    const started = performance.now()
    await fc.assert(
      fc.asyncProperty(largeScenario, async (s) => {
        await runSteps(new Lockstep(largeDocuments(s.size, s.seed), 0), s.steps, totals, {stateCheck: false, affordable: () => true})
      }),
      {seed: SEED, numRuns: LARGE_RUNS, interruptAfterTimeLimit: LARGE_TIME_LIMIT_MS},
    )
    console.log(`differential (large): ${((performance.now() - started) / 1000).toFixed(1)}s`, totals)
    if (totals.runs < LARGE_RUNS) console.warn(`differential (large): stopped after ${totals.runs} of ${LARGE_RUNS} runs (time limit ${LARGE_TIME_LIMIT_MS} ms)`)
    expect(totals.runs).toBeGreaterThanOrEqual(Math.min(LARGE_RUNS, 20))
    expect(totals.bigChecks).toBeGreaterThanOrEqual(totals.queries * 0.6)
    expect(totals.transactions).toBeGreaterThanOrEqual(totals.runs)
    expect(totals.queriesAfterWrites).toBeGreaterThanOrEqual(totals.runs)
    expect(totals.nonEmpty).toBeGreaterThanOrEqual(totals.queries * 0.3)
    expect(totals.errors).toBeLessThanOrEqual(totals.queries * 0.02)
  })
})

// ---------------------------------------------------------------------------
// Hand-written cases (regressions and the shapes issue 12 names)
// ---------------------------------------------------------------------------

const ref = (id: string, extra: Record<string, unknown> = {}) => ({_type: 'reference', _ref: id, ...extra})

const DOCS: Doc[] = [
  {_id: 'A', _type: 'person', name: 'Ann'},
  {_id: 'a', _type: 'film', title: 'alpha', slug: {_type: 'slug', current: 's1'}, year: 2, director: ref('A')},
  {_id: 'a-1', _type: 'film', title: 'Alpha', slug: {_type: 'slug', current: 's2'}, year: null, director: ref('missing')},
  {_id: 'b', _type: 'review', title: 'beta', film: ref('a'), refs: [{_key: 'k1', ...ref('a-1')}, {_key: 'k2', ...ref('drafts.c')}]},
  {_id: 'c', _type: 'review', title: 'alpha beta', film: ref('drafts.a'), year: '2', refs: [{_key: 'k1', ...ref('a', {_weak: true})}]},
  {_id: 'drafts.a', _type: 'film', title: 'alpha (draft)', slug: {_type: 'slug', current: 's1'}, year: 3},
  {_id: 'drafts.c', _type: 'review', title: 'gamma', film: ref('a-1')},
  {_id: 'versions.rel1.b', _type: 'review', title: 'beta v1', film: ref('a-1')},
  {_id: 'x.y', _type: 'film', title: 'private'},
]

const ALL = ['raw', 'published', 'drafts', 'rel1,drafts'] as const

async function agreeEverywhere(lockstep: Lockstep, query: string, params: Record<string, unknown> = {}): Promise<string[]> {
  const results: string[] = []
  for (const perspective of ALL) {
    for (const allowPrivate of [true, false]) {
      const outcome = await lockstep.check({query, params, perspective, allowPrivate})
      results.push(outcome.ok ? outcome.json : `error: ${outcome.error}`)
    }
  }
  return results
}

describe('lake GROQ vs plain groq-js: hand-written cases', () => {
  it('the reference perspectives: overlays get the published _id and every document _originalId', async () => {
    const lockstep = new Lockstep(DOCS, 0)
    const ids = async (perspective: QueryCase['perspective'], allowPrivate = true) => {
      const outcome = await lockstep.check({query: '*{_id, _originalId, title}', params: {}, perspective, allowPrivate})
      return outcome.ok ? JSON.parse(outcome.json) : outcome.error
    }
    expect(await ids('raw', false)).toEqual([{_id: 'A'}, {_id: 'a', title: 'alpha'}, {_id: 'a-1', title: 'Alpha'}, {_id: 'b', title: 'beta'}, {_id: 'c', title: 'alpha beta'}].map((d) => ({_originalId: null, title: null, ...d})))
    expect((await ids('published')).map((d: {_id: string}) => d._id)).toEqual(['A', 'a', 'a-1', 'b', 'c', 'x.y'])
    expect(await ids('drafts')).toEqual([
      {_id: 'A', _originalId: 'A', title: null},
      {_id: 'a', _originalId: 'drafts.a', title: 'alpha (draft)'},
      {_id: 'a-1', _originalId: 'a-1', title: 'Alpha'},
      {_id: 'b', _originalId: 'b', title: 'beta'},
      {_id: 'c', _originalId: 'drafts.c', title: 'gamma'},
      {_id: 'x.y', _originalId: 'x.y', title: 'private'},
    ])
    expect((await ids('rel1,drafts')).find((d: {_id: string}) => d._id === 'b')).toEqual({_id: 'b', _originalId: 'versions.rel1.b', title: 'beta v1'})
    expect((await ids('drafts', false)).map((d: {_originalId: string}) => d._originalId)).toEqual(['A', 'a', 'a-1', 'b', 'c'])
  })

  it('indexable filters, before and after a write on the same DocumentSet', async () => {
    const lockstep = new Lockstep(DOCS, 7)
    const queries: [string, Record<string, unknown>][] = [
      ['*[_type == "film"]._id', {}],
      ['*[_type in ["review", "film"]]{_id, _type}', {}],
      ['*[_type in $types]._id', {types: ['review', null, 1, 'film']}],
      ['*[slug.current == $slug]{_id, _originalId}', {slug: 's1'}],
      ['*[_id == $id]', {id: 'a'}],
      ['*[film._ref == $id]._id', {id: 'a'}],
      ['*[references($id)]._id', {id: 'a'}],
      ['*[references([$a, $b])]._id', {a: 'a-1', b: 'drafts.c'}],
    ]
    for (const [query, params] of queries) await agreeEverywhere(lockstep, query, params)
    // The slug moves, a draft is published, a review is deleted: every index must follow.
    lockstep.commit([
      {id: 'a', doc: {_id: 'a', _type: 'film', title: 'alpha', slug: {_type: 'slug', current: 's3'}}},
      {id: 'drafts.a', doc: null},
      {id: 'a-1', doc: {_id: 'a-1', _type: 'film', title: 'Alpha', slug: {_type: 'slug', current: 's1'}}},
      {id: 'b', doc: null},
    ])
    for (const [query, params] of queries) await agreeEverywhere(lockstep, query, params)
    lockstep.commit([{id: 'b', doc: {_id: 'b', _type: 'film', slug: {current: 's1'}, film: ref('a')}}])
    for (const [query, params] of queries) await agreeEverywhere(lockstep, query, params)
  })

  it('comparisons with non-string params (numbers, null, arrays) are not index lookups', async () => {
    const lockstep = new Lockstep([...DOCS, {_id: 'n', _type: 'film', slug: {current: 1}, year: 1, film: {_ref: 1}}], 0)
    for (const value of [1, null, ['a'], true, '', 'a']) {
      for (const query of ['*[_id == $id]._id', '*[slug.current == $id]._id', '*[film._ref == $id]._id', '*[_type == $id]._id', '*[_id in $id]._id', '*[references($id)]._id', '*[year == $id]._id']) {
        await agreeEverywhere(lockstep, query, {id: value})
      }
    }
  })

  it('correlated subqueries, ^.^, map traversals and references(^._id)', async () => {
    const lockstep = new Lockstep(DOCS, 0)
    const queries = [
      '*[_type == "film"]{_id, "reviews": *[_type == "review" && film._ref == ^._id]{_id, "film": ^._id, "gp": ^.^._id}}',
      '*[_type == "film"]{_id, "n": count(*[references(^._id)]), "r": *[references(^._id)]{_id, "up": *[_id == ^.^._id]._id}}',
      '*[_type == "review"]{_id, "refs": refs[]{_key, "x": *[references(^._ref)]._id, "to": @->_id}}',
      '*[_type == "review"]{_id, "films": refs[]->{_id, title}, "f": film->title, "fd": film->}',
      '*[_type == "review"].refs[]->_id',
      '*[_type == "review"]{"d": film->{_id, "back": *[references(^._id)]._id}}',
      '*[_type == "film"]{_id, "same": *[_type == "film"]._id}',
      '*[_id in *[_type == "review"].film._ref]._id',
      '*[_type == "film" && count(*[references(^._id)]) > 0]._id',
    ]
    for (const query of queries) await agreeEverywhere(lockstep, query)
  })

  it('order(), slices, score(), coalesce, defined, three-valued logic, path()', async () => {
    const lockstep = new Lockstep(DOCS, 0)
    const queries = [
      '*[_type in ["film", "review"]] | order(title asc, _id)[0...3]{_id, title}',
      '*[_type in ["film", "review"]] | order(year desc){_id, year}',
      '*[_type == "film"] | order(_id desc)[1]',
      '*[_type == "review"][-1]._id',
      '*[_type == "review"][5...10]',
      '*[title match "alpha"] | score(title match "alpha", boost(_type == "film", 2)) | order(_score desc, _id){_id, _score}',
      '*[_type == "film"]{_id, "c": coalesce(year, slug.current, "none"), "d": defined(year)}',
      '*[year > 1 || title == null]._id',
      '*[!(year > 1) && _type != "person"]._id',
      '*[_id in path("drafts.**")]._id',
      '*[_originalId in path("drafts.**")]._id',
      'count(*[_type == "film"])',
      '*[_type == "film"][_type == "review"]',
      '*[_type == "film" && _type == "review"]',
    ]
    for (const query of queries) await agreeEverywhere(lockstep, query)
  })

  it('references to missing, draft and version documents dereference the way groq-js does', async () => {
    const lockstep = new Lockstep(DOCS, 0)
    for (const query of ['*{_id, "d": director->_id, "f": film->_id, "fo": film->_originalId, "r": refs[]->_id}', '*[defined(film->)]._id', '*[film->_type == "film"]._id']) {
      await agreeEverywhere(lockstep, query)
    }
  })

  it('a transaction of more than 64 writes, then single writes, keeps _id order', async () => {
    const lockstep = new Lockstep(DOCS, 0)
    const many = Array.from({length: 70}, (_, i) => `m${String(i).padStart(2, '0')}`)
    await agreeEverywhere(lockstep, '*[_type == "film"]._id')
    lockstep.commit(many.map((id, i) => ({id, doc: {_id: id, _type: i % 2 ? 'film' : 'review', film: ref('a')}})))
    await agreeEverywhere(lockstep, '*[_type == "film"]._id')
    await agreeEverywhere(lockstep, '*[references("a")]._id')
    lockstep.commit([{id: 'm05', doc: null}, {id: 'B', doc: {_id: 'B', _type: 'film'}}, {id: 'm99', doc: {_id: 'm99', _type: 'film'}}])
    await agreeEverywhere(lockstep, '*[_type == "film"]._id')
    lockstep.commit(many.map((id) => ({id, doc: null})).filter(({id}) => id !== 'm05'))
    await agreeEverywhere(lockstep, '*[_type == "film"]._id')
    await lockstep.check({query: '*', params: {}, perspective: 'raw', allowPrivate: true})
  })

  it('a write landing while a query runs does not change its result, nor its view', async () => {
    const lockstep = new Lockstep(DOCS, 0)
    const c: QueryCase = {query: '*[_type == "film" && slug.current == "s1"]{_id, title, "n": count(*[references(^._id)])}', params: {}, perspective: 'drafts', allowPrivate: true}
    await lockstep.check(c)
    const inFlight = lockstep.inFlight(c)
    lockstep.commit([{id: 'drafts.a', doc: null}, {id: 'a-1', doc: {_id: 'a-1', _type: 'film', slug: {current: 's1'}}}, {id: 'b', doc: null}])
    await inFlight.verify()
    await lockstep.check(c)
  })

  it('queries running at the same time over one DocumentSet', async () => {
    const lockstep = new Lockstep([...DOCS, ...Array.from({length: 40}, (_, i): Doc => ({_id: `z${i}`, _type: i % 2 ? 'film' : 'review', film: ref(i % 3 ? 'a' : 'drafts.a')}))], 0)
    const cases = ['*[_type == "film"]._id', '*[references("a")]{_id, "f": film->_id}', '*[slug.current == "s1"]', 'count(*[_type == "review" && film._ref == "a"])'].flatMap((query) =>
      (['published', 'drafts'] as const).map((perspective): QueryCase => ({query, params: {}, perspective, allowPrivate: true})),
    )
    await lockstep.checkAll(cases)
    lockstep.commit([{id: 'z1', doc: null}, {id: 'c', doc: {_id: 'c', _type: 'film', slug: {current: 's1'}}}])
    await lockstep.checkAll(cases)
  })

  it('score() adds the scores of a || b || c left to right, like groq-js (regression: the lake regrouped them)', async () => {
    // Scores 1 + 1.5714285714285714 + 3.142857142857143: (a + b) + c and a + (b + c) differ in the last digit.
    const outcome = await replay({
      initial: [{_id: 'a', _type: 'film', title: 'alpha beta beta beta', note: 'gamma gamma gamma delta delta delta'}],
      initialSeq: 0,
      transactions: [],
      query: '*[_type == "film"] | score(title match "alpha" || title match "beta" || note match ["gamma", "delta"]){_id, _score}',
      params: {},
      perspective: 'published',
      allowPrivate: true,
    })
    expect(outcome).toEqual({ok: true, json: '[{"_id":"a","_score":5.7142857142857135}]'})
  })

  it('replays a printed reproduction', async () => {
    const outcome = await replay({
      initial: [{_id: 'a', _type: 'film'}],
      initialSeq: 0,
      transactions: [[{id: 'b', doc: {_id: 'b', _type: 'review', film: ref('a')}}]],
      query: '*[_type == "film"]{_id, "kids": *[film._ref == ^._id]._id}',
      params: {},
      perspective: 'published',
      allowPrivate: true,
    })
    expect(outcome).toEqual({ok: true, json: '[{"_id":"a","kids":["b"]}]'})
  })
})
