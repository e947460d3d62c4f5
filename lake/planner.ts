/**
 * The query planner. groq-js evaluates every query; the planner only changes where a
 * `*[filter]` gets its documents from. `*[… && review._ref == ^._id && …]` keeps only
 * documents whose `review._ref` is the outer document's id, so evaluating the same filter
 * over just those documents, in the same (`_id`) order, gives the same result. The planner
 * rewrites such a `*` into a lookup that groq-js performs through its public `dereference`
 * hook: `coalesce(<lookup>->, *)`, where `<lookup>` is an object whose `_ref` is a private
 * marker plus the key, computed by groq-js in the outer scope (`^._id` there is `@._id`).
 * The filter itself still runs, unchanged, on the candidates: it is the residual check.
 * A filter made only of the conjuncts nativeFilter knows (equalities, `in`, `path()`,
 * `references()`, `defined()`) is decided by the planner itself on up to a few thousand
 * candidates, as exactly the documents groq-js would keep; groq-js then never sees it.
 *
 * Recognised conjuncts (anywhere in an `&&` chain of the filter):
 * - `path == key` / `key == path`: `path` an attribute path of the document (`_id`,
 *   `slug.current`, `review._ref`), `key` a constant string or parameter, or a path on `^`;
 * - `path in ["a", "b"]` with constant strings;
 * - `references(key)` / `references([...])`.
 * A key that is not a string at run time (null, a number) makes `coalesce` fall back to the
 * other candidates or to `*`, where the filter decides as before.
 */
import {randomBytes} from 'node:crypto'

import type {ExprNode} from 'groq-js'
import {isRecord} from './documents'
import {evaluateSync} from 'groq-js'

import {type Doc, documentTokens, type OrderedIndex, type OrderKey, orderCompare, readPath, referenceKeys} from './indexes'
import type {View} from './views'

type Node = Record<string, unknown>

type Lookup = {kind: 'id'} | {kind: 'path'; path: string[]} | {kind: 'references'}

interface FilterPlan {
  /** Conjuncts with keys known when planning: each gives candidates; the smallest list wins. */
  fixed: {lookup: Lookup; values: string[]}[]
  /** The conjunct whose key groq-js computes (a `^` path), if any. */
  dynamic: Lookup | undefined
  /** A conjunct `a match p || b match q || …`: candidates must contain the patterns' words (see textFilter). */
  text: {text: Node; pattern: Node}[] | undefined
}

/** `*[filter] | order(keys)[from...to]`: read in key order and stop after `limit` matches. */
interface OrderedPlan {
  filter: FilterPlan
  expr: Node
  keys: OrderKey[]
  limit: number
}

/** What the resolver needs besides the view: the same context groq-js evaluates the query in. */
export interface ResolveContext {
  params: Record<string, unknown>
  sanity?: {projectId: string; dataset: string}
  /** Turns a long candidate list into what groq-js reads (the budget check between documents). */
  wrap?: (docs: readonly Doc[]) => unknown
  /** Called between documents the planner itself evaluates (see Checkpoint in groq.ts). */
  checkpoint?: () => Promise<void> | undefined
}

export interface Plan {
  tree: ExprNode
  /** How many `*[…]` read index candidates, and how many of them as ordered, limited scans (for tests and diagnostics). */
  indexedFilters: number
  orderedScans: number
  /** How many of the indexed filters the planner decides itself when their candidates are few (see nativeFilter). */
  nativeFilters: number
  /** Whether groq-js reads the `dataset` option itself (see readsDataset). */
  readsDataset: boolean
  /** groq-js' `dereference` option: documents by id, and the planner's lookups. */
  resolver(view: View, context: ResolveContext): (ref: {_ref: string}) => unknown
}

/** Scope kind a node is evaluated in: groq-js skips hidden scopes (`[]` traversals) for `^`; null when not known. */
type Hidden = boolean | null

function value(value: unknown): Node {
  return {type: 'Value', value}
}

function conjuncts(expr: unknown, into: unknown[] = []): unknown[] {
  if (isRecord(expr) && expr.type === 'And') {
    conjuncts(expr.left, into)
    conjuncts(expr.right, into)
  } else if (isRecord(expr) && expr.type === 'Group') {
    conjuncts(expr.base, into)
  } else {
    into.push(expr)
  }
  return into
}

/** `_type`, `@.slug.current` → ['_type'], ['slug', 'current']; undefined for anything else. */
function documentPath(node: unknown): string[] | undefined {
  if (!isRecord(node) || node.type !== 'AccessAttribute' || typeof node.name !== 'string') return undefined
  if (node.base === undefined || (isRecord(node.base) && node.base.type === 'This')) return [node.name]
  const parent = documentPath(node.base)
  return parent ? [...parent, node.name] : undefined
}

function lookupFor(path: string[]): Lookup {
  return path.length === 1 && path[0] === '_id' ? {kind: 'id'} : {kind: 'path', path}
}

/** Constant strings: `"a"`, `["a", "b"]` (as a literal or a substituted parameter). */
function constantStrings(node: unknown): string[] | undefined {
  if (!isRecord(node)) return undefined
  if (node.type === 'Value') {
    if (typeof node.value === 'string') return [node.value]
    if (Array.isArray(node.value) && node.value.every((v): v is string => typeof v === 'string')) return node.value
    return undefined
  }
  if (node.type === 'Array' && Array.isArray(node.elements)) {
    const out: string[] = []
    for (const element of node.elements) {
      if (!isRecord(element) || element.isSplat !== false) return undefined
      const item = element.value
      if (!isRecord(item) || item.type !== 'Value' || typeof item.value !== 'string') return undefined
      out.push(item.value)
    }
    return out
  }
  return undefined
}

/**
 * `expr` as written inside `*[…]`, rewritten to mean the same in the scope that evaluates
 * the `*`: the filter's scope is nested in that scope (or, when that scope is hidden, in
 * its parent), so `^` there is one level less. Only `^` paths qualify (`@` is the candidate).
 */
function outerKey(expr: unknown, hidden: Hidden): Node | undefined {
  if (!isRecord(expr) || hidden === null) return undefined
  if (expr.type === 'Parent' && typeof expr.n === 'number' && expr.n >= 1) {
    const n = hidden ? expr.n : expr.n - 1
    return n === 0 ? {type: 'This'} : {type: 'Parent', n}
  }
  if (expr.type === 'AccessAttribute' && typeof expr.name === 'string' && expr.base !== undefined) {
    const base = outerKey(expr.base, hidden)
    return base ? {type: 'AccessAttribute', base, name: expr.name} : undefined
  }
  return undefined
}

const RANK: Record<Lookup['kind'], number> = {id: 0, path: 1, references: 2}

function rank(lookup: Lookup): number {
  // `_type` narrows least: prefer any other path.
  return lookup.kind === 'path' && lookup.path.length === 1 && lookup.path[0] === '_type' ? 3 : RANK[lookup.kind]
}

/** One conjunct of a filter as the planner reads it (see readTerm). */
type Term =
  /** `path == "s"` (either way round). */
  | {kind: 'equals'; path: string[]; value: string}
  /** `path == ^…`: the key is computed by groq-js in the scope that evaluates the `*`. */
  | {kind: 'equalsOuter'; path: string[]; key: Node}
  /** `path in ["a", "b"]`, or `path in "a"` (`array` false: null in groq-js, it only narrows candidates). */
  | {kind: 'in'; path: string[]; values: string[]; array: boolean}
  /** `path in path("glob")`. */
  | {kind: 'inPath'; path: string[]; pattern: string}
  /** `references("a", ["b"])`. */
  | {kind: 'references'; values: string[]}
  /** `references(^…)`. */
  | {kind: 'referencesOuter'; key: Node}
  /** `defined(path)`. */
  | {kind: 'defined'; path: string[]}

/** The conjunct as a Term, or undefined when it is none of them. */
function readTerm(term: unknown, hidden: Hidden): Term | undefined {
  if (!isRecord(term)) return undefined
  if (term.type === 'OpCall' && term.op === '==') {
    for (const [side, other] of [
      [term.left, term.right],
      [term.right, term.left],
    ]) {
      const path = documentPath(side)
      if (!path) continue
      const constant = isRecord(other) && other.type === 'Value' ? other.value : undefined
      if (typeof constant === 'string') return {kind: 'equals', path, value: constant}
      const key = outerKey(other, hidden)
      if (key) return {kind: 'equalsOuter', path, key}
    }
    return undefined
  }
  if (term.type === 'OpCall' && term.op === 'in') {
    const path = documentPath(term.left)
    const right = term.right
    if (!path || !isRecord(right)) return undefined
    const values = constantStrings(right)
    if (values) return {kind: 'in', path, values, array: right.type === 'Array' || Array.isArray(right.value)}
    if (right.type === 'FuncCall' && right.namespace === 'global' && right.name === 'path' && Array.isArray(right.args) && right.args.length === 1) {
      const [pattern] = right.args as unknown[]
      if (isRecord(pattern) && pattern.type === 'Value' && typeof pattern.value === 'string') return {kind: 'inPath', path, pattern: pattern.value}
    }
    return undefined
  }
  if (term.type === 'FuncCall' && term.namespace === 'global' && Array.isArray(term.args)) {
    const args: unknown[] = term.args
    if (term.name === 'references') {
      const constants = args.map(constantStrings)
      if (constants.every((c): c is string[] => c !== undefined)) return {kind: 'references', values: constants.flat()}
      const key = args.length === 1 ? outerKey(args[0], hidden) : undefined
      return key ? {kind: 'referencesOuter', key} : undefined
    }
    if (term.name === 'defined' && args.length === 1) {
      const path = documentPath(args[0])
      return path ? {kind: 'defined', path} : undefined
    }
  }
  return undefined
}

function planFilter(expr: unknown, hidden: Hidden): {plan: FilterPlan; key: Node | undefined} | undefined {
  const fixed: FilterPlan['fixed'] = []
  let dynamic: {lookup: Lookup; key: Node} | undefined
  const offer = (lookup: Lookup, key: Node) => {
    if (!dynamic || rank(lookup) < rank(dynamic.lookup)) dynamic = {lookup, key}
  }
  for (const conjunct of conjuncts(expr)) {
    const term = readTerm(conjunct, hidden)
    if (term?.kind === 'equals') fixed.push({lookup: lookupFor(term.path), values: [term.value]})
    else if (term?.kind === 'equalsOuter') offer(lookupFor(term.path), term.key)
    else if (term?.kind === 'in') fixed.push({lookup: lookupFor(term.path), values: term.values})
    else if (term?.kind === 'references') fixed.push({lookup: {kind: 'references'}, values: term.values})
    else if (term?.kind === 'referencesOuter') offer({kind: 'references'}, term.key)
  }
  const text = conjuncts(expr).map(textTerms).find((found) => found !== undefined)
  if (fixed.length === 0 && !dynamic && !text) return undefined
  return {plan: {fixed, dynamic: dynamic?.lookup, text}, key: dynamic?.key}
}

/** A filter the planner decides itself, for one candidate and the lookup's run-time key (the `^` conjunct's value, if any). */
type NativeFilter = (doc: Doc, key: string | undefined) => boolean

/**
 * The filter as a JavaScript test that is true exactly when groq-js' filter is `true`, or
 * undefined when any conjunct is something else. A filter keeps a document when its `&&`
 * chain is `true`, which in GROQ's three-valued logic is when every conjunct is `true`;
 * each recognised conjunct below is true under the same conditions as groq-js' operator:
 * - `path == "s"`, and `path == ^…` (the lookup's key): `==` is true only for two strings
 *   with the same characters;
 * - `path in ["a", "b"]` (an array, not a string): true when the value is one of the strings;
 * - `path in path("glob")`: true for a string matching the glob (the same expression
 *   groq-js compiles, see globRegExp), null otherwise;
 * - `references("a", …)` and `references(^…)`: referenceKeys walks documents as groq-js does;
 * - `defined(path)`: true unless the value is null or missing.
 * Attribute paths read the way GROQ reads them (readPath, as the indexes do).
 */
function nativeFilter(expr: unknown, hidden: Hidden): NativeFilter | undefined {
  const tests: NativeFilter[] = []
  let dynamic = 0
  for (const conjunct of conjuncts(expr)) {
    const term = readTerm(conjunct, hidden)
    const test = term && nativeTest(term)
    if (!test) return undefined
    if (term.kind === 'equalsOuter' || term.kind === 'referencesOuter') dynamic++
    tests.push(test)
  }
  // The lookup carries one run-time key: a second `^` conjunct has no value here.
  if (dynamic > 1 || tests.length === 0) return undefined
  return (doc, key) => {
    for (const test of tests) if (!test(doc, key)) return false
    return true
  }
}

function nativeTest(term: Term): NativeFilter | undefined {
  switch (term.kind) {
    case 'equals':
      return (doc) => readPath(doc, term.path) === term.value
    case 'equalsOuter':
      return (doc, key) => key !== undefined && readPath(doc, term.path) === key
    case 'in': {
      // `in` a string is null in groq-js (only arrays and paths hold values).
      if (!term.array) return undefined
      const set = new Set(term.values)
      return (doc) => {
        const found = readPath(doc, term.path)
        return typeof found === 'string' && set.has(found)
      }
    }
    case 'inPath': {
      const glob = globRegExp(term.pattern)
      return (doc) => {
        const found = readPath(doc, term.path)
        return typeof found === 'string' && glob.test(found)
      }
    }
    case 'references': {
      const targets = new Set(term.values)
      return (doc) => referenceKeys(doc).some((target) => targets.has(target))
    }
    case 'referencesOuter':
      return (doc, key) => key !== undefined && referenceKeys(doc).includes(key)
    case 'defined':
      return (doc) => {
        const found = readPath(doc, term.path)
        return found !== undefined && found !== null
      }
  }
}

/** groq-js' `path()` pattern as a regular expression (its pathRegExp): `*` is one segment, `**` any number. */
function globRegExp(pattern: string): RegExp {
  const parts = pattern.split('.').map((part) => (part === '*' ? '[^.]+' : part === '**' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  return new RegExp(`^${parts.join('.')}$`)
}

function candidates(view: View, lookup: Lookup, key: string): readonly Doc[] {
  switch (lookup.kind) {
    case 'id': {
      const doc = view.get(key)
      return doc ? [doc] : []
    }
    case 'path':
      return view.lookup(lookup.path, key)
    case 'references':
      return view.referencing(key)
  }
}

/** How many documents `candidates` would return (indexes count without copying). */
function candidateCount(view: View, lookup: Lookup, key: string): number {
  switch (lookup.kind) {
    case 'id':
      return view.get(key) ? 1 : 0
    case 'path':
      return view.lookupCount(lookup.path, key)
    case 'references':
      return view.referencingCount(key)
  }
}

/** A way to get candidates, and (an upper bound of) how many there are. */
interface Option {
  size: number
  docs: () => readonly Doc[]
}


/** Whether `node` reads only its own document (`@`): no `^`, `*`, `->`, context or clock. */
function ownDocumentOnly(node: unknown): boolean {
  let ok = true
  const visit = (item: unknown): void => {
    if (!ok) return
    if (Array.isArray(item)) {
      for (const child of item) visit(child)
      return
    }
    if (!isRecord(item)) return
    if (item.type === 'Parent' || item.type === 'Everything' || item.type === 'Deref' || item.type === 'Context') ok = false
    else if (item.type === 'FuncCall' && (item.name === 'now' || item.namespace === 'releases' || item.namespace === 'delta' || item.namespace === 'diff')) ok = false
    else if (item.type === 'SelectorFuncCall' || item.type === 'SelectorNested') ok = false
    for (const key in item) if (key !== 'type') visit(item[key])
  }
  visit(node)
  return ok
}

/**
 * Whether a filter gives the same answer evaluated on its own with `@` = the document (as
 * the ordered scan does) as inside the query: no `^` (it would see outside the filter),
 * no `before()`/`after()`, no clock.
 */
function evaluableAlone(node: unknown): boolean {
  let ok = true
  const visit = (item: unknown): void => {
    if (!ok) return
    if (Array.isArray(item)) {
      for (const child of item) visit(child)
      return
    }
    if (!isRecord(item)) return
    if (item.type === 'Parent' || item.type === 'Context' || item.type === 'SelectorFuncCall' || item.type === 'SelectorNested') ok = false
    else if (item.type === 'FuncCall' && item.name === 'now') ok = false
    for (const key in item) if (key !== 'type') visit(item[key])
  }
  visit(node)
  return ok
}

/** Whether `node` is the same for every document: no `@` (nor anything ownDocumentOnly refuses). */
function closed(node: unknown): boolean {
  if (!ownDocumentOnly(node)) return false
  let ok = true
  const visit = (item: unknown): void => {
    if (!ok || !isRecord(item)) {
      if (Array.isArray(item)) for (const child of item) visit(child)
      return
    }
    // Scopes inside (filters, projections) would make `@` mean something else: keep it simple.
    if (item.type === 'This' || (item.type === 'AccessAttribute' && item.base === undefined)) ok = false
    else if (['Filter', 'Projection', 'Map', 'FlatMap', 'PipeFuncCall'].includes(String(item.type))) ok = false
    for (const key in item) if (key !== 'type') visit(item[key])
  }
  visit(node)
  return ok
}

/** `a match p || (b match q)` with `a`, `b` from the document and `p`, `q` closed → the pairs. */
function textTerms(term: unknown): {text: Node; pattern: Node}[] | undefined {
  if (!isRecord(term)) return undefined
  if (term.type === 'Group') return textTerms(term.base)
  if (term.type === 'Or') {
    const left = textTerms(term.left)
    const right = textTerms(term.right)
    return left && right ? [...left, ...right] : undefined
  }
  if (term.type === 'OpCall' && term.op === 'match' && isRecord(term.left) && isRecord(term.right) && ownDocumentOnly(term.left) && textSource(term.left) && closed(term.right)) {
    return [{text: term.left, pattern: term.right}]
  }
  return undefined
}

/** Whether `node` evaluates to a part of the document (`@`): its strings are the document's strings. */
function partOfDocument(node: unknown): boolean {
  if (!isRecord(node)) return false
  switch (node.type) {
    case 'This':
      return true
    case 'AccessAttribute':
      return node.base === undefined || partOfDocument(node.base)
    case 'ArrayCoerce':
    case 'AccessElement':
    case 'Slice':
    case 'Group':
    case 'Filter':
      return partOfDocument(node.base)
    case 'Map':
    case 'FlatMap':
      // The expression sees each element as `@`: a part of a part.
      return partOfDocument(node.base) && partOfDocument(node.expr)
    default:
      return false
  }
}

/**
 * Texts whose `match` tokens are all among documentTokens(@): parts of the document, or
 * `pt::text()` of a part (its blocks' span texts, joined by blank lines).
 */
function textSource(node: unknown): boolean {
  if (!isRecord(node)) return false
  if (node.type === 'FuncCall' && node.namespace === 'pt' && node.name === 'text' && Array.isArray(node.args) && node.args.length === 1) return partOfDocument(node.args[0])
  return partOfDocument(node)
}

// groq-js' `match` tokenisation (shared.js: CHARS_WITH_WILDCARD, EDGE_CHARS), used to find
// what a pattern's words must contain; matching itself stays with groq-js.
const PATTERN_WORD = /([^!@#$%^&(),\\/?";:{}|[\]+<>\s-])+/g
const EDGE_DOTS = /(\b\.+|\.+\b)/g

/**
 * The literal start of each word of a pattern, upper-cased: groq-js matches a word as the
 * regular expression `^word$` (case-insensitive, `*` = any run), so a matching token starts
 * with the word's characters up to its first `*` or `.`. Undefined: the pattern matches nothing.
 */
function patternPrefixes(pattern: unknown): string[] | undefined {
  const parts = typeof pattern === 'string' ? [pattern] : Array.isArray(pattern) && pattern.every((p) => typeof p === 'string') ? (pattern as string[]) : undefined
  if (!parts) return undefined
  const words = parts.flatMap((part) => part.replace(EDGE_DOTS, '').match(PATTERN_WORD) ?? [])
  if (words.length === 0) return undefined
  return words.map((word) => word.slice(0, 1024).split(/[*.]/)[0]?.toUpperCase() ?? '').filter((prefix) => prefix !== '')
}

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

type Range = [number, number]

function intersect(a: Range, b: Range): Range {
  return [Math.max(a[0], b[0]), Math.min(a[1], b[1])]
}

const FLIP: Record<string, string> = {'<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '=='}

/**
 * Positions of `ordering` in `[lo, hi)` that can satisfy `expr` (a superset), from
 * comparisons of order keys with closed values: keyset pagination (`publishedOn <
 * $after.publishedOn || (publishedOn == $after.publishedOn && _id < $after._id)`) starts at
 * the cursor instead of at the top. All documents in `[lo, hi)` have equal keys before
 * `level`; an equality on key `level` narrows to a run where key `level + 1` is sorted.
 */
function rangeIn(expr: unknown, ordering: OrderedIndex, keys: readonly OrderKey[], lo: number, hi: number, level: number, evaluateClosed: (node: unknown) => unknown): Range {
  const all: Range = [lo, hi]
  const key = keys[level]
  if (!key || !isRecord(expr) || lo >= hi) return all
  if (expr.type === 'Group') return rangeIn(expr.base, ordering, keys, lo, hi, level, evaluateClosed)
  if (closed(expr)) return evaluateClosed(expr) === true ? all : [lo, lo]
  if (expr.type === 'And') {
    const terms = conjuncts(expr)
    let range = all
    const equalities: Range[] = []
    for (const term of terms) {
      const found = rangeIn(term, ordering, keys, lo, hi, level, evaluateClosed)
      range = intersect(range, found)
      if (isRecord(term) && term.type === 'OpCall' && term.op === '==' && (found[0] !== lo || found[1] !== hi)) equalities.push(found)
    }
    // Inside a run of equal key values, the next key is in order: narrow by the other terms on it.
    if (equalities.length > 0 && level + 1 < keys.length && range[0] < range[1]) {
      for (const term of terms) range = intersect(range, rangeIn(term, ordering, keys, range[0], range[1], level + 1, evaluateClosed))
    }
    return range
  }
  if (expr.type === 'Or') {
    const left = rangeIn(expr.left, ordering, keys, lo, hi, level, evaluateClosed)
    const right = rangeIn(expr.right, ordering, keys, lo, hi, level, evaluateClosed)
    if (left[0] >= left[1]) return right
    if (right[0] >= right[1]) return left
    return [Math.min(left[0], right[0]), Math.max(left[1], right[1])]
  }
  if (expr.type !== 'OpCall' || typeof expr.op !== 'string' || !(expr.op in FLIP)) return all
  let op = expr.op
  let other: unknown
  const samePath = (node: unknown) => {
    const path = documentPath(node)
    return path !== undefined && path.join('.') === key.path.join('.')
  }
  if (samePath(expr.left) && closed(expr.right)) other = expr.right
  else if (samePath(expr.right) && closed(expr.left)) {
    other = expr.left
    op = FLIP[op] ?? op
  } else return all
  const bound = evaluateClosed(other)
  if (!isPrimitive(bound)) return all
  // Along the ordering (within [lo, hi)), `sign * orderCompare(value, bound)` never decreases.
  const sign = key.descending ? -1 : 1
  const first = (test: (doc: Doc) => boolean) => ordering.firstIn(lo, hi, test)
  const at = (doc: Doc) => sign * orderCompare(valueAt(doc, key), bound)
  const sameType = (doc: Doc) => sign * (typeRankOf(valueAt(doc, key)) - typeRankOf(bound))
  const group: Range = [first((doc) => sameType(doc) >= 0), first((doc) => sameType(doc) > 0)]
  const firstAtOrAfter = first((doc) => at(doc) >= 0)
  const firstAfter = first((doc) => at(doc) > 0)
  switch (op) {
    case '==':
      return intersect(group, [firstAtOrAfter, firstAfter])
    case '<':
      return intersect(group, key.descending ? [firstAfter, group[1]] : [group[0], firstAtOrAfter])
    case '>':
      return intersect(group, key.descending ? [group[0], firstAtOrAfter] : [firstAfter, group[1]])
    case '<=':
      return intersect(group, key.descending ? [firstAtOrAfter, group[1]] : [group[0], firstAfter])
    default:
      return intersect(group, key.descending ? [group[0], firstAfter] : [firstAtOrAfter, group[1]])
  }
}

function valueAt(doc: Doc, key: OrderKey): unknown {
  let current: unknown = doc
  for (const name of key.path) {
    if (!isRecord(current) || !Object.hasOwn(current, name)) return null
    current = current[name]
  }
  return current ?? null
}

function typeRankOf(value: unknown): number {
  return typeof value === 'number' ? 2 : typeof value === 'string' ? 3 : typeof value === 'boolean' ? 4 : 100
}

/** `order()` arguments that are document paths, with their direction; undefined otherwise. */
function orderKeys(args: unknown): OrderKey[] | undefined {
  if (!Array.isArray(args) || args.length === 0) return undefined
  const keys: OrderKey[] = []
  for (const arg of args) {
    if (!isRecord(arg)) return undefined
    const descending = arg.type === 'Desc'
    const path = documentPath(arg.type === 'Desc' || arg.type === 'Asc' ? arg.base : arg)
    if (!path) return undefined
    keys.push({path, descending})
  }
  return keys
}

/** `[a...b]` / `[a..b]` / `[n]` with non-negative constants: how many leading items are read. */
function leadingItems(node: Node): number | undefined {
  if (node.type === 'Slice' && typeof node.left === 'number' && typeof node.right === 'number' && node.left >= 0 && node.right >= 0) {
    return node.right + (node.isInclusive === true ? 1 : 0)
  }
  if (node.type === 'AccessElement' && typeof node.index === 'number' && node.index >= 0) return node.index + 1
  return undefined
}

/** Ordered scans help when the candidates are many; below this the plain candidate list is cheaper. */
const ORDERED_SCAN_MIN_CANDIDATES = 256
/** Longer limits read most candidates anyway. */
const ORDERED_SCAN_MAX_LIMIT = 1000
/** The planner filters at most this many candidates itself (a few hundred microseconds); more go to groq-js. */
const NATIVE_FILTER_MAX_CANDIDATES = 4096
/** An ordered scan reads at most this many documents (or this many per wanted match) before leaving the filter to groq-js. */
const ORDERED_SCAN_MIN_READS = 2000
const ORDERED_SCAN_READS_PER_MATCH = 20
/** Below this many candidates the token index costs more than it saves. */
const TEXT_FILTER_MIN_CANDIDATES = 32

/**
 * Plans a parsed (and checked) query. Every `*` is routed through the resolver as well, so
 * groq-js never needs the whole dataset as an array, and a caller's `wrap` (a budget
 * check between documents) sees every scan.
 */
export function planQuery(tree: ExprNode): Plan {
  // Plans depend on the tree only: a tree compiled once (see the query workers' cache) is planned once.
  let found = plans.get(tree)
  if (!found) {
    found = buildPlan(tree)
    plans.set(tree, found)
  }
  return found
}

const plans = new WeakMap<ExprNode, Plan>()

function buildPlan(tree: ExprNode): Plan {
  // A private marker: no stored `_ref` can start with it, so real dereferences are unaffected.
  const marker = `\u0000lake:${randomBytes(9).toString('base64url')}:`
  const filters: FilterPlan[] = []
  const ordered: OrderedPlan[] = []
  /** Filters the planner evaluates itself (see nativeFilter), unless an ordered scan takes them over. */
  const natives: {node: Node; plan: FilterPlan; test: NativeFilter; key: Node | undefined}[] = []
  const natived: {plan: FilterPlan; test: NativeFilter}[] = []
  const scanned = new Set<Node>()
  const everything = (): Node => lookupNode(value(`${marker}*`))

  const visit = (node: unknown, hidden: Hidden): unknown => {
    if (Array.isArray(node)) return node.map((item) => visit(item, hidden))
    if (!isRecord(node)) return node
    if (node.type === 'Everything') return everything()
    const out: Node = {}
    for (const key in node) {
      const child = node[key]
      let childHidden = hidden
      if ((node.type === 'Filter' || node.type === 'Projection') && key === 'expr') childHidden = false
      else if ((node.type === 'Map' || node.type === 'FlatMap') && key === 'expr') childHidden = true
      else if (node.type === 'PipeFuncCall' && key === 'args') childHidden = false
      else if (node.type === 'SelectorFuncCall' || node.type === 'SelectorNested') childHidden = null
      out[key] = visit(child, childHidden)
    }
    if (node.type === 'Filter' && isRecord(node.base) && node.base.type === 'Everything') {
      const planned = planFilter(node.expr, hidden)
      if (planned) {
        const index = filters.length
        filters.push(planned.plan)
        const fallback: Node = planned.plan.fixed.length > 0 || planned.plan.text ? lookupNode(value(`${marker}${index}!`)) : everything()
        out.base = planned.key
          ? {
              type: 'FuncCall',
              namespace: 'global',
              name: 'coalesce',
              args: [lookupNode({type: 'OpCall', op: '+', left: value(`${marker}${index}:`), right: planned.key}), fallback],
            }
          : fallback
        const test = planned.plan.text ? undefined : nativeFilter(node.expr, hidden)
        if (test) natives.push({node: out, plan: planned.plan, test, key: planned.key})
      }
    }
    // `*[filter] | order(paths)[a...b]`: the first b matches in key order are all order() and the slice need.
    const limit = leadingItems(node)
    const order = isRecord(out.base) && out.base.type === 'PipeFuncCall' && out.base.name === 'order' ? out.base : undefined
    const filter = order && isRecord(order.base) && order.base.type === 'Filter' ? order.base : undefined
    const source = isRecord(node.base) && isRecord(node.base.base) ? node.base.base : undefined
    if (limit !== undefined && limit <= ORDERED_SCAN_MAX_LIMIT && order && filter && isRecord(source) && isRecord(source.base) && source.base.type === 'Everything') {
      const keys = orderKeys(order.args)
      const planned = evaluableAlone(source.expr) ? planFilter(source.expr, hidden) : undefined
      if (keys && planned && !planned.key && isRecord(filter.expr)) {
        const index = ordered.length
        ordered.push({filter: planned.plan, expr: filter.expr, keys, limit})
        filter.base = lookupNode(value(`${marker}o${index}`))
        scanned.add(filter)
      }
    }
    return out
  }
  const planned = visit(tree, false) as ExprNode
  // `*[filter]` → `coalesce(<filtered lookup>->, *[filter])`: the lookup answers null (and
  // groq-js filters as before) when the key is not a string or the candidates are many.
  for (const {node, plan, test, key} of natives) {
    if (scanned.has(node)) continue
    const index = natived.length
    natived.push({plan, test})
    const filter: Node = {...node}
    for (const name of Object.keys(node)) delete node[name]
    const ref = key ? {type: 'OpCall', op: '+', left: value(`${marker}n${index}:`), right: key} : value(`${marker}n${index}!`)
    Object.assign(node, {type: 'FuncCall', namespace: 'global', name: 'coalesce', args: [lookupNode(ref), filter]})
  }

  return {
    tree: planned,
    indexedFilters: filters.length,
    orderedScans: ordered.length,
    nativeFilters: natived.length,
    readsDataset: readsDataset(tree),
    resolver(view, context) {
      const wrap = context.wrap ?? ((docs: readonly Doc[]) => docs)
      const options = (root?: Doc): Parameters<typeof evaluateSync>[1] => ({
        dataset: [],
        params: context.params,
        dereference: resolve as (ref: {_ref: string}) => Record<string, unknown> | null,
        ...(context.sanity ? {sanity: context.sanity} : {}),
        ...(root ? {root} : {}),
      })
      /**
       * The planner's own evaluations (closed keys, the ordered scan's filter) run with
       * groq-js' synchronous evaluator, so the resolver answers groq-js at once. Undefined
       * when groq-js cannot evaluate the expression synchronously: the caller then plans less.
       */
      const run = (node: unknown, root?: Doc): {value: unknown} | undefined => {
        try {
          // Synchronous evaluation never yields a stream (groq-js throws instead).
          return {value: evaluateSync(node as ExprNode, options(root)).data}
        } catch (error) {
          if (error instanceof PlanAbort) throw error
          return undefined
        }
      }
      const evaluateClosed = (node: unknown): unknown => {
        const result = run(node)
        if (!result) throw new CannotPlan()
        return result.value
      }

      /** The smallest candidate list the filter's index terms give (and its size), or undefined: every document. */
      const best = (plan: FilterPlan, dynamicKey: string | undefined): Option | undefined => {
        let found: Option | undefined
        const consider = (option: Option) => {
          if (!found || option.size < found.size) found = option
        }
        const dynamic = plan.dynamic
        if (dynamicKey !== undefined && dynamic) consider({size: candidateCount(view, dynamic, dynamicKey), docs: () => candidates(view, dynamic, dynamicKey)})
        for (const {lookup, values} of plan.fixed) {
          if (found?.size === 0) break
          const unique = [...new Set(values)]
          consider({
            size: unique.reduce((sum, key) => sum + candidateCount(view, lookup, key), 0),
            docs: () => view.union(unique.map((key) => candidates(view, lookup, key))),
          })
        }
        return found
      }

      /**
       * Documents that can satisfy `a match p || b match q || …`: for one of the terms, every
       * word of the pattern starts a token of the document (words' literal starts, see
       * patternPrefixes). Undefined when a term's pattern restricts nothing.
       */
      const textCandidates = (plan: FilterPlan, terms: NonNullable<FilterPlan['text']>): readonly Doc[] | undefined => {
        // Index only the documents of the filter's path term (`_type in [...]`), when it has one.
        let source: {path: readonly string[]; values: readonly string[]} | undefined
        let sourceSize = view.size
        for (const {lookup, values} of plan.fixed) {
          if (lookup.kind !== 'path') continue
          const size = values.reduce((sum, key) => sum + view.lookupCount(lookup.path, key), 0)
          if (size < sourceSize) (source = {path: lookup.path, values: [...new Set(values)]}), (sourceSize = size)
        }
        const lists: (readonly Doc[])[] = []
        const byPattern = new Map<string, readonly Doc[]>()
        for (const {pattern} of terms) {
          const prefixes = patternPrefixes(evaluateClosed(pattern))
          if (prefixes === undefined) continue
          if (prefixes.length === 0) return undefined
          const key = JSON.stringify(prefixes)
          let found = byPattern.get(key)
          if (!found) {
            // List the rarest word's documents, then keep those that have the other words too.
            const counts = new Map(prefixes.map((prefix) => [prefix, view.tokenPrefixCount(source, prefix)]))
            const [rarest, ...others] = [...prefixes].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0))
            found = view.withTokenPrefix(source, rarest ?? '').filter((doc) => {
              const tokens = documentTokens(doc)
              return others.every((prefix) => tokens.some((token) => token.startsWith(prefix)))
            })
            byPattern.set(key, found)
          }
          lists.push(found)
        }
        return view.union(lists)
      }

      const filtered = (plan: FilterPlan, dynamicKey: string | undefined): unknown => {
        const found = best(plan, dynamicKey)
        if (plan.text && (!found || found.size >= TEXT_FILTER_MIN_CANDIDATES)) {
          try {
            const texts = textCandidates(plan, plan.text)
            if (texts && (!found || texts.length < found.size)) return wrap(texts)
          } catch (error) {
            if (!(error instanceof CannotPlan)) throw error
          }
        }
        return wrap(found ? found.docs() : view.docs)
      }

      /**
       * The first `limit` matches in key order; the plain candidates instead when there are
       * few, when groq-js cannot evaluate the filter synchronously, or when the scan would
       * read many documents without finding them (a rare filter is then left to groq-js,
       * which yields between documents).
       */
      const scan = (plan: OrderedPlan): unknown => {
        const fallback = () => filtered(plan.filter, undefined)
        const candidatesFound = best(plan.filter, undefined)
        if (candidatesFound && candidatesFound.size < ORDERED_SCAN_MIN_CANDIDATES) return fallback()
        // Read in key order from the smallest single-key index term (e.g. `_type == "review"`), or from all documents.
        let source: {path: readonly string[]; value: string} | undefined
        let sourceSize = view.size
        for (const {lookup, values} of plan.filter.fixed) {
          const [only] = values
          if (lookup.kind !== 'path' || values.length !== 1 || only === undefined) continue
          const size = view.lookupCount(lookup.path, only)
          if (size < sourceSize) (source = {path: lookup.path, value: only}), (sourceSize = size)
        }
        const ordering = view.ordered(source, plan.keys)
        let range: Range
        try {
          range = rangeIn(plan.expr, ordering, plan.keys, 0, ordering.docs.length, 0, evaluateClosed)
        } catch (error) {
          if (error instanceof CannotPlan) return fallback()
          throw error
        }
        const [from, to] = range
        const budget = Math.max(ORDERED_SCAN_MIN_READS, ORDERED_SCAN_READS_PER_MATCH * plan.limit)
        const matches: Doc[] = []
        for (let at = from; at < to && matches.length < plan.limit; at++) {
          if (at - from >= budget) return fallback()
          // Only the abort checks matter here: the scan is bounded by its budget.
          if (((at - from) & 15) === 15) void context.checkpoint?.()
          const doc = ordering.docs.at(at)
          if (!doc) continue
          const result = run(plan.expr, doc)
          if (!result) return fallback()
          if (result.value === true) matches.push(doc)
        }
        return matches
      }

      function resolve({_ref: ref}: {_ref: string}): unknown {
        if (!ref.startsWith(marker)) return view.get(ref) ?? null
        const rest = ref.slice(marker.length)
        if (rest === '*') return wrap(view.docs)
        if (rest.startsWith('n')) {
          const native = /^n(\d+)([:!])/.exec(rest)
          const entry = native ? natived[Number(native[1])] : undefined
          if (!native || !entry) throw new Error(`Unknown lake lookup ${JSON.stringify(rest)}`)
          const key = native[2] === ':' ? rest.slice(native[0].length) : undefined
          const found = best(entry.plan, key)
          // Long candidate lists go to groq-js, which checks the budget between documents.
          if (!found || found.size > NATIVE_FILTER_MAX_CANDIDATES) return null
          return found.docs().filter((doc) => entry.test(doc, key))
        }
        if (rest.startsWith('o')) {
          const plan = ordered[Number(rest.slice(1))]
          if (!plan) throw new Error(`Unknown lake lookup ${JSON.stringify(rest)}`)
          return scan(plan)
        }
        const match = /^(\d+)([:!])/.exec(rest)
        const plan = match ? filters[Number(match[1])] : undefined
        if (!match || !plan) throw new Error(`Unknown lake lookup ${JSON.stringify(rest)}`)
        const dynamicKey = match[2] === ':' ? rest.slice(match[0].length) : undefined
        if (!plan.text) {
          const found = best(plan, dynamicKey)
          return wrap(found ? found.docs() : view.docs)
        }
        return filtered(plan, dynamicKey)
      }
      return resolve
    },
  }
}

/** A planner evaluation groq-js cannot do synchronously: that part of the plan is skipped. */
class CannotPlan extends Error {}

/**
 * Errors that must end the query rather than make the planner plan less (budget and
 * cancellation): checkpoints throw subclasses of this (see QueryAbort in groq.ts).
 */
export class PlanAbort extends Error {}

/** Whether groq-js reads its `dataset` option itself (`releases::all()` does): it then needs the real documents. */
function readsDataset(tree: unknown): boolean {
  let found = false
  const visit = (node: unknown): void => {
    if (found) return
    if (Array.isArray(node)) for (const item of node) visit(item)
    else if (isRecord(node)) {
      if (node.type === 'FuncCall' && node.namespace === 'releases') found = true
      for (const key in node) visit(node[key])
    }
  }
  visit(tree)
  return found
}

function attribute(valueNode: Node): Node {
  return {type: 'ObjectAttributeValue', name: '_ref', value: valueNode}
}

/** `{"_ref": <ref>}->`: groq-js computes `<ref>` and hands it to the resolver. */
function lookupNode(ref: Node): Node {
  return {type: 'Deref', base: {type: 'Object', attributes: [attribute(ref)]}}
}
