import {evaluate, evaluateSync, type ExprNode, parse} from 'groq-js'

import {isRecord} from './documents'
import {errorMessage, LakeError} from './errors'
import {Lru} from './lru'
import {MAX_QUERY_DEPTH} from './limits'
import {PlanAbort, planQuery} from './planner'
import {rewriteTextQueries, searchableView, usesTextQuery, withoutText} from './search'
import type {Perspective, View} from './views'

export {type Perspective, View} from './views'

type AstRecord = Record<string, unknown>

const RELEASE_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Parses `perspective` as sent by `@sanity/client` (`published` when absent; comma lists are release stacks). */
export function parsePerspective(value: string | readonly string[] | undefined): Perspective {
  const parts = (typeof value === 'string' ? value.split(',') : (value ?? [])).map((part) => part.trim()).filter(Boolean)
  if (parts.length === 0) return {kind: 'published'}
  if (parts.length === 1) {
    const [only] = parts
    if (only === 'raw') return {kind: 'raw'}
    if (only === 'published') return {kind: 'published'}
    if (only === 'drafts' || only === 'previewDrafts') return {kind: 'stack', layers: ['drafts.']}
  }
  const layers: string[] = []
  for (const part of parts) {
    if (part === 'published') continue
    if (part === 'drafts' || part === 'previewDrafts') layers.push('drafts.')
    else if (part !== 'raw' && RELEASE_NAME.test(part)) layers.push(`versions.${part}.`)
    else {
      throw new LakeError(
        400,
        'invalidPerspective',
        `Unknown perspective "${part}": use "published" (default), "drafts", "raw", or a comma-separated release stack such as "summer,drafts"`,
      )
    }
  }
  return layers.length === 0 ? {kind: 'published'} : {kind: 'stack', layers}
}

/**
 * groq-js substitutes parameters while parsing, so each new value (a page's slug) would parse
 * the query again. When parsing the query with a placeholder per parameter gives a tree in
 * which each placeholder is only ever the value of a `Value` node, and the parser never looked
 * inside one (it does for `x[$p]`, slice bounds and arithmetic it folds), that tree is the
 * parse of every value: it is kept per query text and parameter names, and each call gets a
 * copy with the values put in. Otherwise (or on any parse error) the query is parsed with the
 * real values, as before.
 */
const shapes = new Lru<string, ExprNode | null>(256)
/** Longer query texts are parsed every time rather than kept. */
const SHAPE_KEY_CHARS = 16_384

function parseShape(query: string, names: readonly string[]): ExprNode | null {
  let inspected = false
  const placeholders = new Map<unknown, string>()
  const params: Record<string, unknown> = {}
  for (const name of names) {
    const placeholder = Object.create(null) as object
    // groq-js reads `constructor` when it turns a parameter into a constant (staticFromJS).
    Object.defineProperty(placeholder, 'constructor', {
      get() {
        inspected = true
        return Object
      },
    })
    placeholders.set(placeholder, name)
    params[name] = placeholder
  }
  let tree: ExprNode
  try {
    tree = parse(query, {params})
  } catch {
    return null
  }
  if (inspected) return null
  // Anywhere but a Value node, the parser would have used the value itself (groq-js 2.0.1 never does; a later version might).
  let stray = false
  forEachNode(tree, (node) => {
    for (const key in node) {
      const child = node[key]
      const used = Array.isArray(child) ? child.some((item) => placeholders.has(item)) : placeholders.has(child)
      if (used && !(node.type === 'Value' && key === 'value')) stray = true
    }
  })
  if (stray) return null
  // Placeholders become markers naming their parameter, so the kept tree holds no object of this call.
  return withValues(tree, (value) => {
    const name = placeholders.get(value)
    return name === undefined ? undefined : {type: 'Value', value: {[PLACEHOLDER]: name}}
  })
}

const PLACEHOLDER = Symbol('lake parameter placeholder')

/** A copy of `tree`; `replace` may give a new node for a `Value` node's value. */
function withValues(tree: unknown, replace: (value: unknown) => AstRecord | undefined): ExprNode {
  const copy = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(copy)
    if (!isRecord(node)) return node
    if (node.type === 'Value') return replace(node.value) ?? {...node}
    const out: AstRecord = {}
    for (const key in node) out[key] = copy(node[key])
    return out
  }
  return copy(tree) as ExprNode
}

function placeholderName(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && PLACEHOLDER in value ? String((value as Record<symbol, unknown>)[PLACEHOLDER]) : undefined
}

/** Parses GROQ, turning syntax errors into Sanity's `queryParseError` (400). */
export function parseGroq(query: string, params: Record<string, unknown>): ExprNode {
  const names = Object.keys(params).sort()
  const key = `${query}\u0000${names.join('\u0000')}`
  if (key.length <= SHAPE_KEY_CHARS) {
    let shape = shapes.get(key)
    if (shape === undefined) {
      shape = parseShape(query, names)
      shapes.set(key, shape)
    }
    if (shape) {
      return withValues(shape, (value) => {
        const name = placeholderName(value)
        return name === undefined ? undefined : {type: 'Value', value: params[name]}
      })
    }
  }
  try {
    return parse(query, {params})
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(query)
    const position = isRecord(error) && typeof error.position === 'number' ? error.position : 0
    throw new LakeError(400, 'queryParseError', errorMessage(error), {
      query,
      start: position,
      end: Math.min(query.length, position + 1),
    })
  }
}

function tooDeep(query: string): LakeError {
  return new LakeError(400, 'queryParseError', `The query nests expressions too deeply; the lake evaluates syntax trees up to ${MAX_QUERY_DEPTH} levels deep`, {
    query,
    start: 0,
    end: query.length,
  })
}

/** A query ready for evaluation: parsed, checked against its parameters, balanced, with `text::query()` rewritten. */
export interface CompiledQuery {
  tree: ExprNode
  /** Whether the query calls `text::query()` (it then sees each document's text, see search.ts). */
  usesText: boolean
}

/**
 * Parses and checks a query the way Sanity's API does before running it: a parameter the
 * request did not supply is a `queryParseError` ("param $t referenced, but not provided"),
 * not a silent `null`. Long `||`/`&&` chains are balanced (both operators are associative in
 * GROQ's three-valued logic, so results are unchanged) and trees deeper than
 * MAX_QUERY_DEPTH are refused, so evaluation never runs out of stack.
 */
export function compileQuery(query: string, params: Record<string, unknown>): CompiledQuery {
  let tree = parseGroq(query, params)
  try {
    tree = balanceLogic(tree)
    const missing = missingParameter(tree, params)
    if (missing !== undefined) {
      const at = new RegExp(`\\$${missing}(?![A-Za-z0-9_])`).exec(query)?.index ?? 0
      throw new LakeError(400, 'queryParseError', `param $${missing} referenced, but not provided`, {
        query,
        start: at,
        end: at + missing.length + 1,
      })
    }
    if (treeDepthExceeds(tree, MAX_QUERY_DEPTH)) throw tooDeep(query)
    const usesText = usesTextQuery(tree)
    return {tree: usesText ? rewriteTextQueries(tree, params) : tree, usesText}
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(query)
    throw error
  }
}

/** Visits every syntax node without recursion (trees can be deep before balancing). */
function forEachNode(tree: unknown, visit: (node: AstRecord) => void): void {
  const stack: unknown[] = [tree]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item)
    } else if (isRecord(node)) {
      if (typeof node.type === 'string') visit(node)
      for (const key in node) {
        const child = node[key]
        if (typeof child === 'object' && child !== null) stack.push(child)
      }
    }
  }
}

function missingParameter(tree: ExprNode, params: Record<string, unknown>): string | undefined {
  let missing: string | undefined
  forEachNode(tree, (node) => {
    if (missing === undefined && node.type === 'Parameter' && typeof node.name === 'string' && !Object.hasOwn(params, node.name)) missing = node.name
  })
  return missing
}

function treeDepthExceeds(tree: unknown, limit: number): boolean {
  const stack: {node: unknown; depth: number}[] = [{node: tree, depth: 0}]
  while (stack.length > 0) {
    const next = stack.pop()
    if (!next || typeof next.node !== 'object' || next.node === null) continue
    if (next.depth > limit) return true
    const children = Array.isArray(next.node) ? next.node : Object.values(next.node)
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({node: child, depth: next.depth + 1})
  }
  return false
}

/**
 * Rebuilds `a || b || c || …` (and `&&`) chains as balanced trees. groq-js parses them
 * left-deep, and thousands of terms overflow its recursive evaluator. GROQ's `||` is true
 * if any operand is true, else null if any is not a boolean, else false (`&&` dually), for
 * any grouping. Not inside `score()`: there `||` adds its operands' scores and `&&` too,
 * and floating-point sums depend on the grouping (a regrouped chain can differ from groq-js
 * in the last digit), so score chains keep groq-js' shape and the depth limit applies.
 */
export function balanceLogic(tree: ExprNode): ExprNode {
  const balance = (node: unknown, inScore: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => balance(item, inScore))
    if (!isRecord(node)) return node
    if ((node.type === 'Or' || node.type === 'And') && !inScore) {
      const operands: unknown[] = []
      const pending: unknown[] = [node]
      while (pending.length > 0) {
        const current = pending.pop()
        if (isRecord(current) && current.type === node.type) pending.push(current.right, current.left)
        else operands.push(balance(current, inScore))
      }
      const build = (from: number, to: number): unknown => {
        if (to - from === 1) return operands[from]
        const mid = (from + to) >>> 1
        return {type: node.type, left: build(from, mid), right: build(mid, to)}
      }
      return build(0, operands.length)
    }
    const out: AstRecord = {}
    for (const key in node) out[key] = balance(node[key], inScore || (node.type === 'PipeFuncCall' && node.name === 'score' && key === 'args'))
    return out
  }
  return balance(tree, false) as ExprNode
}

/**
 * Called by the evaluator between documents of every `*` scan: throws to abandon the
 * query (cancelled, over budget), or returns a promise to let other work run first.
 */
export type Checkpoint = () => Promise<void> | undefined

export interface EvaluateInput {
  tree: ExprNode
  view: View
  params: Record<string, unknown>
  sanity?: {projectId: string; dataset: string}
  /** Whether the tree came from a query using `text::query()` (see compileQuery). */
  usesText?: boolean
  checkpoint?: Checkpoint
}

/** An error that ends a query for a reason other than the query itself (budget, disconnect). */
export class QueryAbort extends PlanAbort {
  readonly reason: 'timeout' | 'cancelled'
  constructor(reason: 'timeout' | 'cancelled') {
    super(reason === 'timeout' ? 'The query ran out of time' : 'The query was cancelled')
    this.reason = reason
  }
}

const DONE: IteratorReturnResult<undefined> = {done: true, value: undefined}

/**
 * A document list that groq-js iterates through our code: `fromJS` turns any object with a
 * `next` function into a stream and reads it with `for await`, asking for a fresh iterator
 * each time the expression is evaluated. Every 16 documents the checkpoint runs.
 */
function checkedSource(list: readonly unknown[] | (() => readonly unknown[]), checkpoint: Checkpoint | undefined): object {
  return {
    // Only here so that groq-js treats this object as a stream; iteration uses the method below.
    next: () => DONE,
    [Symbol.asyncIterator]() {
      let index = 0
      const docs = typeof list === 'function' ? list() : list
      return {
        next(): Promise<IteratorResult<unknown>> {
          if (index >= docs.length) return Promise.resolve(DONE)
          const value = docs[index++]
          if ((index & 15) === 0 && checkpoint) {
            try {
              const pause = checkpoint()
              if (pause) return pause.then(() => ({done: false, value}))
            } catch (error) {
              return Promise.reject(error)
            }
          }
          return Promise.resolve({done: false, value})
        },
      }
    },
  }
}

/** Candidate lists longer than this are read through the checkpoint (see checkedSource). */
const CHECKED_SCAN = 64

/** How long the synchronous attempt may scan before the query is evaluated asynchronously instead (see evaluateOver). */
const SYNC_SLICE_MS = 8

/** The synchronous attempt ran past its slice (or hit something groq-js only does asynchronously). */
class NeedsAsync extends Error {}

/** A copy of `docs` whose iteration (groq-js' synchronous `for…of`) runs `check` every 16 documents. */
function checkedArray(docs: readonly unknown[], check: () => void): unknown[] {
  const copy = docs.slice()
  Object.defineProperty(copy, Symbol.iterator, {
    value: function* () {
      for (let index = 0; index < docs.length; index++) {
        if ((index & 15) === 15) check()
        yield docs[index]
      }
    },
  })
  return copy
}

/**
 * Evaluates with groq-js over a view. The planner (planner.ts) turns `*[…]` filters with
 * indexable terms into index lookups; groq-js evaluates the filter on the candidates, unless the
 * planner decides it exactly itself (plain equality filters, see nativeFilter in planner.ts).
 *
 * groq-js' synchronous evaluator is several times faster than its asynchronous one (no
 * promise per expression), but cannot pause: it gets the first SYNC_SLICE_MS of scanning.
 * A query that needs longer, or uses something groq-js only evaluates asynchronously
 * (`diff::`/`delta::` functions, `releases::all()`), or fails, starts again asynchronously,
 * where it yields between documents and any error is the asynchronous evaluator's.
 */
export async function evaluateOver({tree, view, params, sanity, usesText = false, checkpoint}: EvaluateInput): Promise<unknown> {
  const effective = usesText ? searchableView(view) : view
  const plan = planQuery(tree)
  const finish = (result: unknown) => (usesText ? withoutText(result) : result)
  const context = {params, ...(sanity ? {sanity} : {}), ...(checkpoint ? {checkpoint} : {})}

  if (!plan.readsDataset) {
    const started = performance.now()
    const check = () => {
      // Aborts (budget, cancellation) throw here; a requested pause cannot happen in this mode.
      void checkpoint?.()
      if (performance.now() - started > SYNC_SLICE_MS) throw new NeedsAsync()
    }
    try {
      const value = evaluateSync(plan.tree, {
        dataset: [],
        params,
        dereference: plan.resolver(effective, {...context, wrap: (docs) => (docs.length > CHECKED_SCAN ? checkedArray(docs, check) : docs)}) as (ref: {_ref: string}) => Record<string, unknown> | null,
        ...(sanity ? {sanity} : {}),
      })
      // Synchronous evaluation never yields a stream (groq-js throws instead).
      return finish(value.data)
    } catch (error) {
      if (error instanceof QueryAbort || error instanceof LakeError) throw error
      // Anything else: evaluate asynchronously below.
    }
  }

  const wrap = checkpoint ? (docs: readonly unknown[]) => (docs.length > CHECKED_SCAN ? checkedSource(docs, checkpoint) : docs) : undefined
  try {
    const value = await evaluate(plan.tree, {
      // `*` comes from the resolver (see planQuery); groq-js reads the dataset itself only inside
      // functions such as `releases::all()`, so it gets the documents lazily (no array built per write).
      dataset: checkedSource(() => effective.docs, checkpoint),
      params,
      // O(1) `->` instead of groq-js' scan over the whole dataset (same first-match semantics), and the planner's lookups.
      dereference: plan.resolver(effective, {...context, ...(wrap ? {wrap} : {})}) as (ref: {_ref: string}) => Record<string, unknown> | null,
      ...(sanity ? {sanity} : {}),
    })
    return finish(await value.get())
  } catch (error) {
    if (error instanceof QueryAbort || error instanceof LakeError) throw error
    throw new LakeError(400, 'queryExecutionError', `The query could not be evaluated: ${errorMessage(error)}`)
  }
}

// ---------------------------------------------------------------------------
// Listener filters
// ---------------------------------------------------------------------------

/** The filter expressions of a listen query: `*[a][b] | order(x) {…}` → [a, b]; `*` → []. */
export function listenFilters(tree: ExprNode, query: string): ExprNode[] {
  let node: unknown = tree
  const wrappers = new Set(['Projection', 'Map', 'PipeFuncCall', 'Slice', 'AccessElement', 'Group'])
  while (isRecord(node) && typeof node.type === 'string' && wrappers.has(node.type)) node = node.base
  const filters: ExprNode[] = []
  while (isRecord(node) && node.type === 'Filter') {
    filters.unshift(node.expr as ExprNode)
    node = node.base
  }
  if (!isRecord(node) || node.type !== 'Everything') {
    throw new LakeError(400, 'queryParseError', 'Listen queries must select documents with a filter, like *[_type == "review"]', {
      query,
      start: 0,
      end: query.length,
    })
  }
  return filters
}

/** Listen filters are evaluated on the main thread for every change: they stay small. */
const MAX_LISTEN_FILTER_NODES = 2000

/** A listen query's filters, checked (see checkListenFilters) and ready to evaluate per document. */
export function compileListen(query: string, params: Record<string, unknown>): {filters: ExprNode[]; usesText: boolean} {
  const {tree, usesText} = compileQuery(query, params)
  const filters = listenFilters(tree, query)
  checkListenFilters(filters, query)
  return {filters, usesText}
}

/**
 * Listen filters see one document at a time, as in Sanity, where listeners cannot join:
 * subqueries (`*`), dereferences (`->`) and parent scopes (`^`) are refused at subscribe
 * time, so evaluating a filter costs time proportional to the filter and one document.
 */
function checkListenFilters(filters: readonly ExprNode[], query: string): void {
  let nodes = 0
  const found = new Set<string>()
  const refuse = (what: string) =>
    new LakeError(400, 'queryParseError', `Listen filters are evaluated against each changed document on its own, so they cannot use ${what}; listen to a plain filter such as *[_type == "review" && slug.current == $slug] and fetch related documents with a query`, {
      query,
      start: 0,
      end: query.length,
    })
  const stack: unknown[] = [...filters]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]))
      continue
    }
    if (!isRecord(node)) continue
    if (typeof node.type === 'string') {
      nodes++
      found.add(node.type === 'FuncCall' && node.namespace === 'releases' ? 'releases' : node.type)
    }
    for (const key in node) stack.push(node[key])
  }
  if (found.has('Everything')) throw refuse('subqueries (*[…])')
  if (found.has('Deref')) throw refuse('references followed with ->')
  if (found.has('Parent')) throw refuse('parent scopes (^)')
  if (found.has('releases')) throw refuse('releases::all()')
  if (nodes > MAX_LISTEN_FILTER_NODES) {
    throw new LakeError(400, 'queryParseError', `The listen filter has ${nodes} terms; the lake accepts listen filters of at most ${MAX_LISTEN_FILTER_NODES} (each is evaluated for every change)`, {
      query,
      start: 0,
      end: query.length,
    })
  }
}

/** Whether a document passes a listen filter (evaluated with `@` = the document, like `*[…]`; joins were refused). */
export async function matchesFilter(doc: Record<string, unknown>, filter: ExprNode, params: Record<string, unknown>): Promise<boolean> {
  // The synchronous evaluator first (no promise per expression), as for queries (see evaluateOver).
  try {
    return evaluateSync(filter, {root: doc, dataset: [], params}).data === true
  } catch {
    // Something groq-js only evaluates asynchronously, or an error the asynchronous evaluator reports the same way.
  }
  try {
    const value = await evaluate(filter, {root: doc, dataset: [], params})
    return (await value.get()) === true
  } catch {
    return false
  }
}
