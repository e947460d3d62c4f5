import {evaluate, type ExprNode, parse} from 'groq-js'

import {compareIds, isPublicId, isRecord, type LakeDocument} from './documents'
import {errorMessage, LakeError} from './errors'

/**
 * Which documents a query sees.
 * - `raw`: every document as stored.
 * - `published`: no `drafts.*` / `versions.*` documents.
 * - `stack`: layers of id prefixes (highest priority first, e.g. `drafts.`) overlaid on
 *   published documents; an overlaid document gets the published `_id` and `_originalId`.
 */
export type Perspective = {kind: 'raw'} | {kind: 'published'} | {kind: 'stack'; layers: string[]}

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

function isVersionOrDraft(id: string): boolean {
  return id.startsWith('drafts.') || id.startsWith('versions.')
}

/** What a query evaluates over: documents in `_id` order, plus lazily built equality indexes. */
export class View {
  readonly docs: readonly Record<string, unknown>[]
  readonly byId: ReadonlyMap<string, Record<string, unknown>>
  readonly #indexes = new Map<string, Map<string, Record<string, unknown>[]>>()
  #positions: Map<Record<string, unknown>, number> | undefined

  constructor(docs: readonly Record<string, unknown>[]) {
    this.docs = docs
    const byId = new Map<string, Record<string, unknown>>()
    for (const doc of docs) {
      const id = doc._id
      // First wins, like groq-js' own dereference scan.
      if (typeof id === 'string' && !byId.has(id)) byId.set(id, doc)
    }
    this.byId = byId
  }

  /** Documents whose string value at `path` equals `value`, in view order. */
  lookup(path: readonly string[], value: string): readonly Record<string, unknown>[] {
    const key = path.join('\u0000')
    let index = this.#indexes.get(key)
    if (!index) {
      index = new Map()
      for (const doc of this.docs) {
        const found = readPath(doc, path)
        if (typeof found !== 'string') continue
        const list = index.get(found)
        if (list) list.push(doc)
        else index.set(found, [doc])
      }
      this.#indexes.set(key, index)
    }
    return index.get(value) ?? []
  }

  /** Sorts a subset back into view order (used when unioning `in` lookups). */
  inViewOrder(subset: Record<string, unknown>[]): Record<string, unknown>[] {
    if (!this.#positions) {
      this.#positions = new Map()
      this.docs.forEach((doc, i) => this.#positions?.set(doc, i))
    }
    const positions = this.#positions
    return subset.sort((a, b) => (positions.get(a) ?? 0) - (positions.get(b) ?? 0))
  }
}

/** Attribute access the way GROQ does it: only plain objects have attributes. */
function readPath(doc: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = doc
  for (const name of path) {
    if (!isRecord(current)) return undefined
    current = current[name]
  }
  return current
}

/** Builds the document set a caller may see under a perspective (`allowPrivate: false` hides dotted ids first). */
export function buildView(all: readonly LakeDocument[], perspective: Perspective, allowPrivate: boolean): View {
  const visible = allowPrivate ? all : all.filter((doc) => isPublicId(doc._id))
  if (perspective.kind === 'raw') return new View(visible)
  const published = visible.filter((doc) => !isVersionOrDraft(doc._id))
  if (perspective.kind === 'published') return new View(published)

  const merged = new Map<string, Record<string, unknown>>()
  // Every document of a layered perspective says where it came from.
  for (const doc of published) merged.set(doc._id, {...doc, _originalId: doc._id})
  // Lowest priority first, so higher layers overwrite.
  for (const prefix of [...perspective.layers].reverse()) {
    for (const doc of visible) {
      if (!doc._id.startsWith(prefix)) continue
      const publishedId = doc._id.slice(prefix.length)
      merged.set(publishedId, {...doc, _id: publishedId, _originalId: doc._id})
    }
  }
  const docs = [...merged.values()].sort((a, b) => compareIds(String(a._id), String(b._id)))
  return new View(docs)
}

/** Parses GROQ, turning syntax errors into Sanity's `queryParseError` (400). */
export function parseGroq(query: string, params: Record<string, unknown>): ExprNode {
  try {
    return parse(query, {params})
  } catch (error) {
    const position = isRecord(error) && typeof error.position === 'number' ? error.position : 0
    throw new LakeError(400, 'queryParseError', errorMessage(error), {
      query,
      start: position,
      end: Math.min(query.length, position + 1),
    })
  }
}

export interface EvaluateInput {
  tree: ExprNode
  view: View
  params: Record<string, unknown>
  sanity?: {projectId: string; dataset: string}
}

/** Evaluates with groq-js over a view; `*[...]` filters with indexable equality terms only scan their candidates. */
export async function evaluateOver({tree, view, params, sanity}: EvaluateInput): Promise<unknown> {
  const extraParams: Record<string, unknown> = {}
  const narrowed = narrowFilters(tree, view, extraParams)
  try {
    const value = await evaluate(narrowed, {
      dataset: view.docs,
      params: {...params, ...extraParams},
      // O(1) `->` instead of groq-js' scan over the whole dataset; same first-match semantics.
      dereference: ({_ref}) => view.byId.get(_ref) ?? null,
      ...(sanity ? {sanity} : {}),
    })
    const result: unknown = await value.get()
    return result
  } catch (error) {
    throw new LakeError(400, 'queryExecutionError', `The query could not be evaluated: ${errorMessage(error)}`)
  }
}

// ---------------------------------------------------------------------------
// Index narrowing. `*[A && _type == "x" && B]` only keeps documents whose `_type` is
// "x", so evaluating the same filter over the "x" documents gives the same result
// in the same order. We swap `*` for a hidden parameter holding those candidates.
// Only top-level conjuncts of `==`/`in` against constant strings qualify.
// ---------------------------------------------------------------------------

type AstRecord = Record<string, unknown>

/** Parameter names that GROQ source can never spell, so they cannot clash with user params. */
const HIDDEN_PREFIX = '\u0000lake:'

function narrowFilters(tree: ExprNode, view: View, extraParams: Record<string, unknown>): ExprNode {
  let counter = 0
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit)
    if (!isRecord(node)) return node
    const out: AstRecord = {}
    for (const key in node) out[key] = visit(node[key])
    if (out.type === 'Filter' && isRecord(out.base) && out.base.type === 'Everything') {
      const candidates = candidatesFor(out.expr, view)
      if (candidates) {
        const name = `${HIDDEN_PREFIX}${counter++}`
        extraParams[name] = candidates
        out.base = {type: 'Parameter', name}
      }
    }
    return out
  }
  return visit(tree) as ExprNode
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
function attributePath(node: unknown): string[] | undefined {
  if (!isRecord(node) || node.type !== 'AccessAttribute' || typeof node.name !== 'string') return undefined
  if (node.base === undefined || (isRecord(node.base) && node.base.type === 'This')) return [node.name]
  const parent = attributePath(node.base)
  return parent ? [...parent, node.name] : undefined
}

function constantStrings(node: unknown): string[] | undefined {
  if (!isRecord(node)) return undefined
  if (node.type === 'Value') {
    const value = node.value
    if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value
    return undefined
  }
  if (node.type === 'Array' && Array.isArray(node.elements)) {
    const out: string[] = []
    for (const element of node.elements) {
      if (!isRecord(element) || element.isSplat !== false) return undefined
      const value = element.value
      if (!isRecord(value) || value.type !== 'Value' || typeof value.value !== 'string') return undefined
      out.push(value.value)
    }
    return out
  }
  return undefined
}

function constantString(node: unknown): string | undefined {
  return isRecord(node) && node.type === 'Value' && typeof node.value === 'string' ? node.value : undefined
}

function candidatesFor(expr: unknown, view: View): readonly Record<string, unknown>[] | undefined {
  let best: readonly Record<string, unknown>[] | undefined
  for (const term of conjuncts(expr)) {
    if (!isRecord(term) || term.type !== 'OpCall') continue
    let found: readonly Record<string, unknown>[] | undefined
    if (term.op === '==') {
      const leftPath = attributePath(term.left)
      const rightPath = attributePath(term.right)
      const path = leftPath ?? rightPath
      const value = leftPath ? constantString(term.right) : constantString(term.left)
      if (path && value !== undefined) found = lookup(view, path, value)
    } else if (term.op === 'in') {
      const path = attributePath(term.left)
      const values = constantStrings(term.right)
      if (path && values) {
        const unique = [...new Set(values)]
        const lists = unique.map((value) => lookup(view, path, value))
        found = lists.length === 1 ? lists[0] : view.inViewOrder(lists.flat())
      }
    }
    if (found && (!best || found.length < best.length)) best = found
  }
  return best
}

function lookup(view: View, path: readonly string[], value: string): readonly Record<string, unknown>[] {
  if (path.length === 1 && path[0] === '_id') {
    const doc = view.byId.get(value)
    // byId keeps the first of duplicate ids; views never hold duplicates, so this is exact.
    return doc ? [doc] : []
  }
  return view.lookup(path, value)
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

/** Whether a document passes every filter (each evaluated with `@` = the document, like `*[…]`). */
export async function matchesFilters(
  doc: Record<string, unknown>,
  filters: readonly ExprNode[],
  params: Record<string, unknown>,
  dataset: readonly Record<string, unknown>[],
): Promise<boolean> {
  for (const filter of filters) {
    try {
      const value = await evaluate(filter, {root: doc, dataset, params})
      if ((await value.get()) !== true) return false
    } catch {
      return false
    }
  }
  return true
}
