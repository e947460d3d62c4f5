/**
 * Generators for the differential test (issue 12): documents, mutations and GROQ queries.
 *
 * Everything is drawn from small pools so that equality filters hit, references hit, miss
 * and point at drafts or release versions, and orderings have ties. Queries come from a
 * grammar that covers what an index planner would optimise (`_type`/`_id`/`slug.current`/
 * `_ref` equality and `in`, `references()`, correlated `^` subqueries, `->`, `order()`,
 * slices, `score()`, `count()`) and what it must leave alone (`||`, `!`, `!=`, `select`,
 * comparisons against `null`, numbers and arrays, filters after slices and projections).
 * Queries are strings built with `q` templates over fast-check arbitraries, so shrinking
 * works on the parts.
 */
import fc from 'fast-check'

import type {Doc, PerspectiveName, QueryCase, Write} from './differential-harness'
import {PERSPECTIVES} from './differential-harness'

// ---------------------------------------------------------------------------
// Pools
// ---------------------------------------------------------------------------

export const TYPES = ['film', 'review', 'comment', 'person'] as const
/** Published ids: mixed case, `-` and `_` so code-unit order matters. */
export const BASE_IDS = ['a', 'b', 'c', 'A', 'a-1', 'a_2', 'p1'] as const
/** Ids of the bulk operation: more than 64 writes in one transaction (DocumentSet re-sorts). */
export const BULK_IDS = Array.from({length: 66}, (_, i) => `n${String(i).padStart(2, '0')}`)

const STRINGS = ['alpha', 'Alpha', 'beta', 'alpha beta', '', 'é', 'b', 'film', 'a', 'zeta', 'beta beta beta', 'alpha beta beta alpha', 'alpha alpha alpha beta'] as const
const SLUGS = ['s1', 's2', 'a', 'film'] as const
const NUMBERS = [-1, 0, 1, 2, 2.5, 10, 1000] as const
const TIMES = ['2024-01-01T00:00:00Z', '2024-06-01T12:00:00Z', '2023-12-31T23:59:59Z'] as const

/** Objects with `Object.prototype`, like everything parsed from JSON (fast-check may otherwise make null-prototype ones). */
export const PLAIN = {noNullPrototype: true} as const

const baseId = fc.constantFrom(...BASE_IDS)
const typeName = fc.oneof({arbitrary: fc.constantFrom(...TYPES), weight: 12}, {arbitrary: fc.constant('system.release'), weight: 1})
const str = fc.constantFrom(...STRINGS)
const num = fc.constantFrom(...NUMBERS)

/** Document ids: published, drafts, release versions, and a dotted (private) published id. */
export const docId: fc.Arbitrary<string> = fc.oneof(
  {arbitrary: baseId, weight: 8},
  {arbitrary: baseId.map((id) => `drafts.${id}`), weight: 4},
  {arbitrary: baseId.map((id) => `versions.rel1.${id}`), weight: 2},
  {arbitrary: baseId.map((id) => `versions.rel2.${id}`), weight: 1},
  {arbitrary: fc.constantFrom('x.y', '_.releases.rel1'), weight: 1},
)

/** What references point at: existing or not, published, draft, version, never-existing. */
const refTarget: fc.Arbitrary<string> = fc.oneof(
  {arbitrary: baseId, weight: 8},
  {arbitrary: baseId.map((id) => `drafts.${id}`), weight: 2},
  {arbitrary: fc.constant('versions.rel1.a'), weight: 1},
  {arbitrary: fc.constantFrom('missing', 'x.y', 'n00'), weight: 1},
)

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  {arbitrary: str, weight: 4},
  {arbitrary: num, weight: 3},
  {arbitrary: fc.boolean(), weight: 1},
  {arbitrary: fc.constant(null), weight: 1},
)

const mixed: fc.Arbitrary<unknown> = fc.oneof(
  {arbitrary: scalar, weight: 6},
  {arbitrary: fc.array(scalar, {maxLength: 3}), weight: 1},
  {arbitrary: fc.record({current: scalar}, PLAIN), weight: 1},
)

const ref: fc.Arbitrary<unknown> = fc.oneof(
  {arbitrary: refTarget.map((to) => ({_type: 'reference', _ref: to})), weight: 6},
  {arbitrary: refTarget.map((to) => ({_ref: to, _weak: true})), weight: 2},
  {arbitrary: refTarget.map((to) => ({_ref: to})), weight: 2},
  {arbitrary: fc.constantFrom<unknown>({_ref: 5}, {}, null, 'a'), weight: 1},
)

const key = fc.constantFrom('k1', 'k2', 'k3')
const keyedRef = fc.tuple(key, ref).map(([k, r]) => (r !== null && typeof r === 'object' ? {_key: k, ...r} : r))

/** User fields, all optional; mixed types throughout. */
const fieldModel = {
  title: fc.oneof({arbitrary: str, weight: 5}, {arbitrary: mixed, weight: 2}),
  year: fc.oneof({arbitrary: num, weight: 4}, {arbitrary: fc.constantFrom<unknown>('2', null), weight: 1}),
  slug: fc.oneof(
    {arbitrary: fc.constantFrom(...SLUGS).map((current) => ({_type: 'slug', current})), weight: 5},
    {arbitrary: fc.constantFrom<unknown>({current: 1}, {current: null}, {}, 's1', null, [{current: 's1'}]), weight: 2},
  ),
  flag: fc.oneof({arbitrary: fc.boolean(), weight: 3}, {arbitrary: fc.constantFrom<unknown>(null, 'yes'), weight: 1}),
  tags: fc.oneof({arbitrary: fc.array(fc.oneof(str, num, fc.constant(null)), {maxLength: 3}), weight: 4}, {arbitrary: str, weight: 1}),
  film: ref,
  author: ref,
  refs: fc.oneof(
    {arbitrary: fc.array(keyedRef, {maxLength: 3}), weight: 4},
    {arbitrary: fc.array(fc.oneof(keyedRef, str, fc.record({_key: key, title: str}, PLAIN)), {maxLength: 2}), weight: 1},
  ),
  items: fc.array(fc.record({_key: key, film: ref, note: scalar}, PLAIN), {maxLength: 2}),
  body: fc.record({note: str, nested: fc.record({link: ref}, PLAIN)}, {requiredKeys: ['nested'], noNullPrototype: true}),
  rating: fc.oneof(num, fc.constant(null)),
}
const FIELDS = Object.keys(fieldModel) as (keyof typeof fieldModel)[]

const fields: fc.Arbitrary<Record<string, unknown>> = fc.record(fieldModel, {requiredKeys: [], noNullPrototype: true})

const systemFields: fc.Arbitrary<Record<string, unknown>> = fc.option(
  fc.record({_rev: fc.constantFrom('r1', 'r2'), _createdAt: fc.constantFrom(...TIMES), _updatedAt: fc.constantFrom(...TIMES)}, PLAIN),
  {nil: undefined, freq: 3},
).map((system) => system ?? {})

/** A document body (everything but `_id`). */
export interface Body {
  _type: string
  system: Record<string, unknown>
  fields: Record<string, unknown>
}

export const body: fc.Arbitrary<Body> = fc.record({_type: typeName, system: systemFields, fields}, PLAIN)

export function makeDoc(id: string, b: Body): Doc {
  return {_id: id, _type: b._type, ...b.system, ...b.fields}
}

export const initialDocs: fc.Arbitrary<Doc[]> = fc
  .uniqueArray(fc.tuple(docId, body), {minLength: 1, maxLength: 16, selector: ([id]) => id})
  .map((pairs) => pairs.map(([id, b]) => makeDoc(id, b)))

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

export type Op =
  | {kind: 'put'; id: string; body: Body}
  | {kind: 'patch'; id: string; set: Record<string, unknown>; unset: string[]}
  | {kind: 'delete'; id: string}
  /** Publishes `from + id` to `id` (deleting the draft/version); nothing when it does not exist. */
  | {kind: 'publish'; id: string; from: 'drafts.' | 'versions.rel1.' | 'versions.rel2.'}
  /** Deletes the published document, keeping (or creating) its draft. */
  | {kind: 'unpublish'; id: string}
  /** Writes (or deletes) all of BULK_IDS in one transaction. */
  | {kind: 'bulk'; remove: boolean; type: string}
  /**
   * Edits a document the step's queries just returned (`seen[index % seen.length]`, see
   * resolveTransaction): sets fields, deletes it, or starts a draft of it. Writes then land
   * where the indexes the queries used are sure to notice.
   */
  | {kind: 'seen'; index: number; action: 'patch' | 'delete' | 'draft'; set: Record<string, unknown>}

export const op: fc.Arbitrary<Op> = fc.oneof(
  {arbitrary: fc.record({kind: fc.constant('put' as const), id: docId, body}, PLAIN), weight: 16},
  {
    arbitrary: fc.record(
      {
        kind: fc.constant('patch' as const),
        id: docId,
        set: fc.record(fieldModel, {requiredKeys: [], noNullPrototype: true}),
        unset: fc.subarray(FIELDS, {maxLength: 2}),
      },
      PLAIN,
    ),
    weight: 12,
  },
  {arbitrary: fc.record({kind: fc.constant('delete' as const), id: docId}, PLAIN), weight: 8},
  {arbitrary: fc.record({kind: fc.constant('publish' as const), id: baseId, from: fc.constantFrom('drafts.' as const, 'versions.rel1.' as const, 'versions.rel2.' as const)}, PLAIN), weight: 6},
  {arbitrary: fc.record({kind: fc.constant('unpublish' as const), id: baseId}, PLAIN), weight: 2},
  {arbitrary: fc.record({kind: fc.constant('bulk' as const), remove: fc.boolean(), type: typeName}, PLAIN), weight: 1},
  {arbitrary: seenOp(fc.record(fieldModel, {requiredKeys: [], noNullPrototype: true})), weight: 10},
)

/** See the `seen` operation; `set` says what a patch or a draft changes. */
export function seenOp(set: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Op> {
  return fc.record({kind: fc.constant('seen' as const), index: fc.nat({max: 20}), action: fc.constantFrom('patch' as const, 'patch' as const, 'delete' as const, 'draft' as const), set}, PLAIN)
}

/** The stored ids of the documents in query results (`_originalId` where a perspective overlaid one), in order, once each. */
export function seenIds(results: readonly unknown[]): string[] {
  const found = new Set<string>()
  const visit = (value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return
    const record = value as Record<string, unknown>
    const id = typeof record._originalId === 'string' ? record._originalId : record._id
    if (typeof id === 'string') found.add(id)
  }
  for (const result of results) {
    if (Array.isArray(result)) result.forEach(visit)
    else visit(result)
  }
  return [...found]
}

/**
 * Turns a transaction's operations into the writes the lake commits, like the dataset does:
 * one write per touched id in first-touch order, no write for deleting what never existed.
 * `seen`: ids of documents the step's queries returned (see the `seen` operation).
 */
export function resolveTransaction(ops: readonly Op[], model: ReadonlyMap<string, Doc>, seen: readonly string[] = []): Write[] {
  const working = new Map<string, Doc | null>()
  const current = (id: string): Doc | null => (working.has(id) ? (working.get(id) ?? null) : (model.get(id) ?? null))
  for (const o of ops) {
    switch (o.kind) {
      case 'put':
        working.set(o.id, makeDoc(o.id, o.body))
        break
      case 'patch': {
        const existing = current(o.id)
        if (!existing) break
        const next: Doc = {...existing, ...structuredClone(o.set)}
        for (const name of o.unset) delete next[name]
        working.set(o.id, next)
        break
      }
      case 'delete':
        if (current(o.id)) working.set(o.id, null)
        break
      case 'publish': {
        const source = current(o.from + o.id)
        if (!source) break
        working.set(o.from + o.id, null)
        working.set(o.id, {...source, _id: o.id})
        break
      }
      case 'unpublish': {
        const published = current(o.id)
        if (!published) break
        working.set(o.id, null)
        if (!current(`drafts.${o.id}`)) working.set(`drafts.${o.id}`, {...published, _id: `drafts.${o.id}`})
        break
      }
      case 'seen': {
        const id = seen[o.index % Math.max(1, seen.length)]
        const existing = id === undefined ? null : current(id)
        if (id === undefined || !existing) break
        if (o.action === 'delete') working.set(id, null)
        else if (o.action === 'patch') working.set(id, {...existing, ...structuredClone(o.set)})
        else if (!id.startsWith('drafts.')) {
          const draft = `drafts.${id.replace(/^versions\.[^.]+\./, '')}`
          working.set(draft, {...existing, ...structuredClone(o.set), _id: draft})
        }
        break
      }
      case 'bulk':
        BULK_IDS.forEach((id, i) => {
          if (o.remove) {
            if (current(id)) working.set(id, null)
          } else {
            working.set(id, {_id: id, _type: o.type, title: STRINGS[i % STRINGS.length], year: i % 5, film: {_ref: BASE_IDS[i % BASE_IDS.length]}})
          }
        })
        break
    }
  }
  const writes: Write[] = []
  for (const [id, doc] of working) {
    if (!doc && !model.has(id)) continue
    writes.push({id, doc})
  }
  return writes
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

type Part = string | fc.Arbitrary<string>

/** Template over arbitraries: q`*[${cond}]{${fields}}` is an Arbitrary<string>. */
export function q(strings: TemplateStringsArray, ...parts: Part[]): fc.Arbitrary<string> {
  const arbitraries = parts.map((part) => (typeof part === 'string' ? fc.constant(part) : part))
  return fc.tuple(...arbitraries).map((values) => strings.reduce((out, s, i) => out + s + (i < values.length ? values[i] : ''), ''))
}

export const pick = (...options: string[]): fc.Arbitrary<string> => fc.constantFrom(...options)

/** Filter terms over the current document (`@`), indexable shapes first. */
const atom: fc.Arbitrary<string> = fc.oneof(
  // _type equality and membership (the planner's bread and butter)
  {arbitrary: q`_type == "${typeName}"`, weight: 8},
  {arbitrary: q`"${typeName}" == _type`, weight: 1},
  {arbitrary: pick('_type == $type', '_type in $types', '@._type == $type', '_type != $type', '!(_type in $types)'), weight: 3},
  {arbitrary: fc.uniqueArray(typeName, {minLength: 1, maxLength: 3}).map((ts) => `_type in [${ts.map((t) => `"${t}"`).join(', ')}]`), weight: 3},
  // ids
  {arbitrary: pick('_id == $id', '$id == _id', '_id in [$a, $b]', '_id in $ids', '_id != $id', '_id == "drafts." + $a', '_id in path("drafts.**")', '!(_id in path("drafts.**"))', '_id in path("versions.**")', '_id in path("*")', '_originalId == $id', '_originalId in path("drafts.**")'), weight: 4},
  {arbitrary: q`_id == "${docId}"`, weight: 2},
  // slugs
  {arbitrary: pick('slug.current == $slug', '@.slug.current == $slug', 'defined(slug.current)', 'slug.current in ["s1", "a"]', 'slug == $slug'), weight: 3},
  {arbitrary: q`slug.current == "${fc.constantFrom(...SLUGS)}"`, weight: 1},
  // references
  {arbitrary: pick('film._ref == $id', 'author._ref == $a', 'film._ref in $ids', 'references($id)', 'references($a, $b)', 'references([$a, $b])', 'references($ids)', '!references($id)', '$id in refs[]._ref', 'film._ref == author._ref'), weight: 5},
  {arbitrary: q`film._ref == "${refTarget}"`, weight: 1},
  {arbitrary: q`references("${refTarget}")`, weight: 1},
  // dereferences
  {arbitrary: pick('film->_type == "film"', 'film->title == $str', 'defined(film->)', 'author->_id == $a', 'count(refs[@->_type == "film"]) > 0', 'film->_originalId in path("drafts.**")'), weight: 2},
  // plain fields, nulls and mixed types
  {arbitrary: pick('defined(title)', '!defined(film)', 'title == null', 'title != null', 'title == $str', 'title match $str', 'title match "alpha"', 'title match ["alpha", "beta"]', '[title, slug.current] match "al*"', 'title < "b"', 'title in ["alpha", 1, null]'), weight: 3},
  {arbitrary: pick('year > 1', 'year >= $num', 'year < 2', 'year == $num', 'year in 0..2', 'year != null', 'rating == null', 'rating > 1', 'year == "2"', '$num == year'), weight: 3},
  {arbitrary: pick('flag', 'flag == true', '!flag', 'flag != false', 'flag == null'), weight: 2},
  {arbitrary: pick('count(refs) > 0', '"alpha" in tags', '$str in tags', 'count(tags) >= 1', 'tags[0] == $str', 'length(title) > 3'), weight: 2},
  {arbitrary: pick('coalesce(title, slug.current) == $str', 'coalesce(year, 0) > 0', 'select(defined(year) => year > 1, false)', '(title == null) == true', '_updatedAt > "2024-01-01T00:00:00Z"'), weight: 2},
  {arbitrary: pick('true', 'false', 'null', '$id == null'), weight: 1},
  // functions a planner might special-case
  {arbitrary: pick('sanity::versionOf($a)', 'sanity::partOfRelease("rel1")', 'string::startsWith(_id, "drafts.")', 'string::startsWith(_id, $a)', 'dateTime(_updatedAt) > dateTime("2024-01-01T00:00:00Z")', 'lower(title) == "alpha"'), weight: 2},
  // subqueries inside the filter (semi-joins, correlated through ^)
  {arbitrary: pick('_id in *[_type == "review"].film._ref', 'references(*[_type == "person"]._id)', 'count(*[references(^._id)]) > 0', 'defined(*[_id == ^.film._ref][0])', '_id in *[references($a)]._id'), weight: 1},
)

/**
 * Any comparison of a (possibly indexable) path with a literal or param of any type. Literals
 * come from the values documents hold at that path (strings, but also numbers, null, booleans,
 * objects), alone or in `in` lists, so a planner that only indexes strings gets tested on the rest.
 */
const ids: fc.Arbitrary<unknown> = fc.oneof(docId, refTarget)
const refValues: fc.Arbitrary<unknown> = fc.oneof({arbitrary: refTarget, weight: 5}, {arbitrary: fc.constantFrom<unknown>(5, null), weight: 1})
const comparedPaths: [path: string, values: fc.Arbitrary<unknown>][] = [
  ['_type', fc.oneof({arbitrary: typeName, weight: 5}, {arbitrary: fc.constantFrom<unknown>(1, null, 'nope'), weight: 1})],
  ['_id', ids],
  ['_originalId', ids],
  ['slug.current', fc.oneof({arbitrary: fc.constantFrom(...SLUGS), weight: 4}, {arbitrary: fc.constantFrom<unknown>(1, null), weight: 2})],
  ['@.slug.current', fc.constantFrom<unknown>(...SLUGS, 1, null)],
  ['slug', fc.constantFrom<unknown>('s1', null, {current: 's1'}, {_type: 'slug', current: 's1'})],
  ['film._ref', refValues],
  ['author._ref', refValues],
  ['refs[0]._ref', refValues],
  ['body.nested.link._ref', refValues],
  ['year', fc.constantFrom<unknown>(...NUMBERS, '2', null)],
  ['title', scalar],
  ['rating', fc.constantFrom<unknown>(...NUMBERS, null)],
  ['flag', fc.constantFrom<unknown>(true, false, null, 'yes')],
  ['tags', fc.oneof(scalar, fc.array(scalar, {maxLength: 2}))],
]
const PARAMS = pick('$id', '$a', '$ids', '$num', '$str', '$slug', '$type', '$types')
/** GROQ literals are JSON (objects need quoted keys, which JSON has). */
const literalOf = (values: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof({arbitrary: values, weight: 3}, {arbitrary: fc.array(values, {maxLength: 3}), weight: 2}).map((value) => JSON.stringify(value))
const comparison: fc.Arbitrary<string> = fc.oneof(
  ...comparedPaths.map(([path, values]) => {
    const operand = fc.oneof({arbitrary: literalOf(values), weight: 3}, {arbitrary: PARAMS, weight: 2})
    return fc.oneof(
      {arbitrary: q`${path} == ${operand}`, weight: 4},
      {arbitrary: q`${operand} == ${path}`, weight: 1},
      {arbitrary: q`${path} in ${operand}`, weight: 4},
      {arbitrary: q`${path} ${pick('!=', '<', '>=')} ${operand}`, weight: 2},
    )
  }),
)

function cond(depth: number): fc.Arbitrary<string> {
  if (depth <= 0) return fc.oneof({arbitrary: atom, weight: 2}, {arbitrary: comparison, weight: 1})
  const sub = cond(depth - 1)
  return fc.oneof(
    {arbitrary: atom, weight: 5},
    {arbitrary: comparison, weight: 3},
    {arbitrary: q`${sub} && ${sub}`, weight: 3},
    {arbitrary: q`${sub} || ${sub}`, weight: 3},
    {arbitrary: q`!(${sub})`, weight: 1},
    {arbitrary: q`(${sub} || ${sub}) && ${sub}`, weight: 1},
  )
}

const filter = cond(2)
const smallFilter = cond(1)

/** Correlated terms inside a subquery: `^` is the document of the enclosing projection/filter. */
const rel: fc.Arbitrary<string> = pick(
  'film._ref == ^._id',
  'references(^._id)',
  '^._id in refs[]._ref',
  '_id == ^.film._ref',
  '_id in ^.refs[]._ref',
  'author._ref == ^.author._ref',
  '_type == ^._type',
  '_id != ^._id',
  'slug.current == ^.slug.current',
  'references(^.film._ref)',
  'film._ref == ^._originalId',
)

/** Two levels up: only inside a subquery nested in another subquery. */
const rel2: fc.Arbitrary<string> = pick('film._ref == ^.^._id', 'references(^.^._id)', '_id == ^.^.author._ref', '_type == ^.^._type')

const order: fc.Arbitrary<string> = pick(
  '_id',
  '_id desc',
  'title asc, _id',
  'title',
  'year desc, _id',
  'year',
  '_updatedAt desc, _id asc',
  'slug.current',
  'lower(title), _id desc',
  'coalesce(year, -100) desc, _id',
  '_type, _id desc',
  'count(refs) desc',
  'film->title, _id',
  '_originalId',
  'rating desc, title asc',
)

const slice: fc.Arbitrary<string> = pick('[0]', '[1]', '[-1]', '[0...2]', '[1..3]', '[0...0]', '[5...10]', '[-2..-1]', '[2...1]', '[0..0]')

/** score() terms; repeated words in the pools give fractional scores (freq · 2.2 / (freq + 1.2)). */
const scoreTerm = pick(
  'title match "alpha"',
  'title match "beta"',
  'title match $str',
  'title match "al*"',
  'tags match "beta"',
  'body.note match ["alpha", "beta"]',
  'body.note match "beta"',
  '[title, body.note] match "beta"',
  '[title, slug.current] match "al*"',
  'boost(title match "beta", 2)',
  'boost(body.note match "alpha", 0.5)',
  '_type == "film"',
  'defined(year)',
)
/** `a || b || …` / `a && b && …`: score() adds operands' scores left to right, so regrouping changes the last digit. */
const scoreChain = fc
  .tuple(fc.array(scoreTerm, {minLength: 1, maxLength: 4}), pick(' || ', ' && '))
  .map(([terms, op]) => terms.join(op))
const score: fc.Arbitrary<string> = fc.oneof(
  {arbitrary: scoreChain, weight: 4},
  {arbitrary: fc.array(scoreChain, {minLength: 2, maxLength: 3}).map((args) => args.join(', ')), weight: 2},
  {arbitrary: q`boost(${scoreChain}, 2)`, weight: 1},
)

type Field = [name: string, text: fc.Arbitrary<string>]

const plainFields: Field[] = (
  [
    ['_id', '_id'],
    ['_type', '_type'],
    ['title', 'title'],
    ['_originalId', '_originalId'],
    ['...', '...'],
    ['y', '"y": year'],
    ['s', '"s": slug.current'],
    ['ft', '"ft": film->title'],
    ['fd', '"fd": film->'],
    ['fid', '"fid": film->_id'],
    ['fr', '"fr": film._ref'],
    ['r', '"r": refs[]->_id'],
    ['rd', '"rd": refs[]->{_id, _type, title}'],
    ['it', '"it": items[].film->_id'],
    ['itd', '"itd": items[]{_key, "f": film->{_id, "o": _originalId}}'],
    ['c', '"c": coalesce(title, slug.current, "none")'],
    ['d', '"d": defined(title)'],
    ['n', '"n": count(refs)'],
    ['t0', '"t0": tags[0]'],
    ['ts', '"ts": tags[0..1]'],
    ['eq', '"eq": title == $str'],
    ['or', '"or": flag || defined(year)'],
    ['and', '"and": flag && title == null'],
    ['ne', '"ne": year != $num'],
    ['bl', '"bl": body.nested.link->_id'],
    ['ad', '"ad": author->{_id, "me": ^._id}'],
    ['rk', '"rk": refs[]{_key, "to": @->_id, "p": ^._id}'],
    ['sel', '"sel": select(year > 1 => "big", defined(year) => "small", "none")'],
    ['dr', '"dr": _id in path("drafts.**")'],
    ['rf', '"rf": references($id)'],
    ['cs', '_type == "film" => {"cs": title}'],
    ['ra', '"ra": refs->'],
    ['self', '"self": @._id'],
    ['root', '"root": ^._id'],
  ] as const
).map(([name, text]): Field => [name, fc.constant(text)])

/** A projection's attributes; deeper levels add correlated subqueries. */
function projection(depth: number, nested: boolean): fc.Arbitrary<string> {
  const choices: Field[] = [...plainFields]
  if (nested) {
    choices.push(['gp', fc.constant('"gp": ^.^._id')], ['up', q`"up": *[${rel2}]._id`])
  }
  if (depth > 0) {
    const inner = projection(depth - 1, true)
    const tail = fc.oneof(
      fc.constant(''),
      fc.constant('{_id}'),
      fc.constant('._id'),
      q` | order(${order})${slice}`,
      q`{${inner}}`,
      fc.constant('[0]._id'),
    )
    choices.push(
      ['kids', q`"kids": *[${smallFilter} && ${rel}]${tail}`],
      ['kids2', q`"kids2": *[${rel}]${tail}`],
      ['nk', q`"nk": count(*[${rel}])`],
      ['back', fc.constant('"back": *[references(^._id)]._id')],
      ['fx', fc.constant('"fx": film->{_id, "back": *[references(^._id)]._id}')],
      ['rx', fc.constant('"rx": refs[]{"x": *[references(^._ref)]._id}')],
      ['first', fc.constant('"first": *[_id == ^.film._ref][0]{_id, title}')],
      ['same', q`"same": *[_type == "${typeName}"]._id`],
    )
  }
  const field = fc.oneof(...choices.map(([name, text]) => text.map((t): [string, string] => [name, t])))
  return fc.uniqueArray(field, {minLength: 1, maxLength: 4, selector: ([name]) => name}).map((list) => list.map(([, text]) => text).join(', '))
}

const proj = projection(2, false)
const shallowProj = projection(0, false)

/** Whole queries. */
export const query: fc.Arbitrary<string> = fc.oneof(
  {arbitrary: q`*[${filter}]`, weight: 4},
  {arbitrary: q`*[${filter}]{${proj}}`, weight: 8},
  {arbitrary: q`*[${filter}] | order(${order})`, weight: 3},
  {arbitrary: q`*[${filter}] | order(${order})${slice}`, weight: 3},
  {arbitrary: q`*[${filter}] | order(${order})${slice}{${shallowProj}}`, weight: 2},
  {arbitrary: q`*[${filter}] | order(${order}){${proj}}`, weight: 2},
  {arbitrary: q`*[${filter}]${slice}`, weight: 2},
  {arbitrary: q`count(*[${filter}])`, weight: 3},
  {arbitrary: q`*[${filter}] | score(${score}) | order(_score desc, _id){_id, _score}`, weight: 3},
  {arbitrary: q`*[${smallFilter}] | score(${score})[_score > 0]{_id, _score}`, weight: 1},
  {arbitrary: q`{"a": *[${filter}]._id, "n": count(*[${smallFilter}])}`, weight: 1},
  {arbitrary: q`*[${filter}]${pick('._id', '.film->_id', '.refs[]->_id', '.film._ref', '.film->', '.items[].film->title')}`, weight: 2},
  {arbitrary: q`*[${smallFilter}][${smallFilter}]{${shallowProj}}`, weight: 1},
  {arbitrary: q`*[${smallFilter}]${slice}[${smallFilter}]`, weight: 1},
  {arbitrary: q`array::unique(*[${filter}].film._ref)`, weight: 1},
  {arbitrary: q`*[_id in *[${smallFilter}].film._ref]{${shallowProj}}`, weight: 1},
  {arbitrary: q`*[${smallFilter} && count(*[references(^._id)]) > 0]._id`, weight: 1},
  {arbitrary: q`*[${smallFilter}]{${shallowProj}} | order(${order})`, weight: 1},
  {arbitrary: q`*[${smallFilter}] + *[${smallFilter}]`, weight: 1},
  {arbitrary: q`(*[${filter}])[0]`, weight: 1},
  {arbitrary: q`*[_id == $id][0]{${proj}}`, weight: 2},
  {arbitrary: q`*[${smallFilter} && _type == ^._type]`, weight: 1},
  {arbitrary: q`*[${smallFilter}]{${shallowProj}}[${smallFilter}]`, weight: 1},
  {arbitrary: q`*[${smallFilter}] | order(${order}){${shallowProj}}${slice}`, weight: 1},
  {arbitrary: q`*[${smallFilter}]{_id, "kids": *[${rel}]{_id, "gp": ^.^._id, "up": *[${rel2}]._id}}`, weight: 1},
  {arbitrary: pick('count(*)', '*[0]', '*[-1]._id', '* | order(_id desc)[0...3]._id', '*{_id}[0...3]', 'releases::all()._id', '*[_id == ^._id]'), weight: 1},
  {arbitrary: q`${pick('math::sum', 'math::max', 'array::compact', 'count')}(*[${filter}].year)`, weight: 1},
  {arbitrary: q`coalesce(*[${smallFilter}][0].title, "none")`, weight: 1},
  {arbitrary: q`defined(*[${filter}][0])`, weight: 1},
)

// ---------------------------------------------------------------------------
// Params: always all of them (the lake refuses a query naming a missing one), often non-strings
// ---------------------------------------------------------------------------

const idLike: fc.Arbitrary<unknown> = fc.oneof(
  {arbitrary: refTarget, weight: 8},
  {arbitrary: fc.constantFrom<unknown>(1, null, true, ['a'], ''), weight: 2},
)

export const params: fc.Arbitrary<Record<string, unknown>> = fc.record({
  id: idLike,
  a: idLike,
  b: idLike,
  ids: fc.oneof(fc.array(idLike, {maxLength: 3}), fc.constantFrom<unknown>(null, 'a')),
  type: fc.oneof({arbitrary: typeName, weight: 6}, {arbitrary: fc.constantFrom<unknown>('nope', 1, null, ['film']), weight: 1}),
  types: fc.oneof(
    {arbitrary: fc.uniqueArray(typeName, {maxLength: 3}), weight: 5},
    {arbitrary: fc.array(fc.oneof(typeName, fc.constantFrom<unknown>(null, 1)), {maxLength: 3}), weight: 1},
    {arbitrary: fc.constantFrom<unknown>('film', null), weight: 1},
  ),
  slug: fc.oneof({arbitrary: fc.constantFrom(...SLUGS), weight: 5}, {arbitrary: fc.constantFrom<unknown>(1, null, {current: 's1'}), weight: 1}),
  str: fc.oneof({arbitrary: str, weight: 5}, {arbitrary: fc.constantFrom<unknown>(1, null), weight: 1}),
  num: fc.oneof({arbitrary: num, weight: 5}, {arbitrary: fc.constantFrom<unknown>('2', null, [1]), weight: 1}),
}, PLAIN)

const perspective: fc.Arbitrary<PerspectiveName> = fc.oneof(
  {arbitrary: fc.constantFrom<PerspectiveName>('raw', 'published', 'drafts', 'rel1,drafts'), weight: 6},
  {arbitrary: fc.constantFrom<PerspectiveName>(...PERSPECTIVES), weight: 2},
)

export const queryCase: fc.Arbitrary<QueryCase> = fc.record({
  query,
  params,
  perspective,
  allowPrivate: fc.oneof({arbitrary: fc.constant(true), weight: 4}, {arbitrary: fc.constant(false), weight: 1}),
}, PLAIN)

// ---------------------------------------------------------------------------
// Scenarios: initial documents, then steps of (one transaction, then queries)
// ---------------------------------------------------------------------------

/** Queries, then one transaction (empty: no write), then the same queries again. */
export interface Step {
  queries: QueryCase[]
  tx: Op[]
}

export interface Scenario {
  initial: Doc[]
  initialSeq: number
  steps: Step[]
}

export const scenario: fc.Arbitrary<Scenario> = fc.record({
  initial: initialDocs,
  initialSeq: fc.constantFrom(0, 41),
  steps: fc.array(fc.record({queries: fc.array(queryCase, {minLength: 1, maxLength: 3}), tx: fc.array(op, {maxLength: 3})}, PLAIN), {minLength: 1, maxLength: 4}),
}, PLAIN)
