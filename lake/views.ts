/**
 * Views: the documents a query sees under one perspective, in `_id` order, with the
 * indexes the planner (planner.ts) reads. A view never changes once handed out; after a
 * write, `DocumentSet` derives the next view from the previous one by applying only the
 * changed documents to its array and to the indexes already built (copy-on-write), so a
 * write costs a few array copies instead of a rebuild, and a running query keeps its snapshot.
 */
import {compareIds, isPublicId, type LakeDocument} from './documents'
import {Chunked} from './chunked'
import {type Doc, documentTokens, OrderedIndex, type OrderKey, overlaysDocument, pathKeys, readPath, referenceKeys, SortedIndex} from './indexes'

/**
 * Which documents a query sees.
 * - `raw`: every document as stored.
 * - `published`: no `drafts.*` / `versions.*` documents.
 * - `stack`: layers of id prefixes (highest priority first, e.g. `drafts.`) overlaid on
 *   published documents; an overlaid document gets the published `_id` and `_originalId`.
 */
export type Perspective = {kind: 'raw'} | {kind: 'published'} | {kind: 'stack'; layers: string[]}

/** One document of a view changed: its new state, or null when it left the view. */
export interface ViewChange {
  id: string
  doc: Doc | null
}

/** One document's change as indexes take it. */
type IndexPatch = {id: string; before: Doc | undefined; after: Doc | undefined}

/** An index and the changes since it was last brought up to date, in order. */
interface PendingIndex {
  index: SortedIndex | OrderedIndex
  patches: readonly IndexPatch[]
}

/** An index with this many changes waiting is patched at once (they hold the replaced documents). */
const MAX_PENDING_PATCHES = 1024

/** Batches larger than this rebuild the view (and drop its indexes) instead of patching. */
const MAX_PATCHED_CHANGES = 256

const REFERENCES = 'references()'

/** Which documents a token index covers: those whose string at `path` is one of `values`. */
export interface TokenSource {
  path: readonly string[]
  values: readonly string[]
}

/** What a query evaluates over: documents in `_id` order, lookups by id, and lazily built indexes. */
export class View {
  readonly #list: Chunked<Doc>
  /** Set when the documents are not in strictly increasing `_id` order (hand-made views): lookups use a map. */
  #byIdMap: Map<string, Doc> | undefined
  readonly #indexes: Map<string, SortedIndex | OrderedIndex>
  /** Indexes and the writes not applied to them yet (see `with`). */
  readonly #pending: Map<string, PendingIndex>

  /** `sorted`: the caller guarantees strictly increasing `_id`s (skips the check). */
  constructor(
    docs: readonly Doc[] | Chunked<Doc>,
    indexes: Map<string, SortedIndex | OrderedIndex> = new Map(),
    sorted = false,
    pending: Map<string, PendingIndex> = new Map(),
  ) {
    this.#list = docs instanceof Chunked ? docs : Chunked.from(docs)
    this.#indexes = indexes
    this.#pending = pending
    if (sorted || docs instanceof Chunked) return
    for (let i = 1; i < docs.length; i++) {
      if (!(String(docs[i - 1]?._id) < String(docs[i]?._id))) {
        const byId = new Map<string, Doc>()
        // First wins, like groq-js' own dereference scan.
        for (const doc of docs) if (typeof doc._id === 'string' && !byId.has(doc._id)) byId.set(doc._id, doc)
        this.#byIdMap = byId
        break
      }
    }
  }

  /** The documents, in view order, as one array (built on first use after a write: full scans need it). */
  get docs(): readonly Doc[] {
    return this.#list.toArray()
  }

  get size(): number {
    return this.#list.length
  }

  #position(id: string): number {
    return this.#list.first((doc) => !(String(doc._id) < id))
  }

  /** The document with this `_id` (what `->` finds). */
  get(id: string): Doc | undefined {
    if (this.#byIdMap) return this.#byIdMap.get(id)
    const doc = this.#list.at(this.#position(id))
    return doc !== undefined && doc._id === id ? doc : undefined
  }

  /** Documents whose string value at `path` equals `value`, in view order. */
  lookup(path: readonly string[], value: string): readonly Doc[] {
    if (path.length === 1 && path[0] === '_id') {
      const doc = this.get(value)
      return doc ? [doc] : []
    }
    return this.#current(this.#index(`path:${path.join('.')}`, () => pathKeys(path)).lookup(value))
  }

  /** How many documents `lookup(path, value)` finds, without building the list. */
  lookupCount(path: readonly string[], value: string): number {
    if (path.length === 1 && path[0] === '_id') return this.get(value) ? 1 : 0
    return this.#index(`path:${path.join('.')}`, () => pathKeys(path)).count(value)
  }

  /** Documents that `references(id)` is true for, in view order. */
  referencing(id: string): readonly Doc[] {
    return this.#current(this.#index(REFERENCES, () => referenceKeys).lookup(id))
  }

  referencingCount(id: string): number {
    return this.#index(REFERENCES, () => referenceKeys).count(id)
  }

  /**
   * The documents (all, or those whose string at `source.path` is one of `source.values`)
   * with a `match` token (see documentTokens) starting with `prefix`, in view order.
   */
  withTokenPrefix(source: TokenSource | undefined, prefix: string): readonly Doc[] {
    return this.#current(this.#tokenIndex(source).withPrefix(prefix))
  }

  /** At least how many documents withTokenPrefix finds (without listing them). */
  tokenPrefixCount(source: TokenSource | undefined, prefix: string): number {
    return this.#tokenIndex(source).prefixCount(prefix)
  }

  #tokenIndex(source: TokenSource | undefined): SortedIndex {
    const name = `tokens:${JSON.stringify(source ?? null)}`
    let index = this.#built(name)
    if (!(index instanceof SortedIndex)) {
      const member = source
        ? (doc: Doc) => {
            const value = readPath(doc, source.path)
            return typeof value === 'string' && source.values.includes(value)
          }
        : () => true
      index = SortedIndex.build(this.docs, (doc) => (member(doc) ? documentTokens(doc) : []))
      this.#indexes.set(name, index)
    }
    return index
  }

  /**
   * The documents (all, or those whose string at `source.path` is `source.value`) in the
   * order `| order(keys)` puts them in.
   */
  ordered(source: {path: readonly string[]; value: string} | undefined, keys: readonly OrderKey[]): OrderedIndex {
    const name = `order:${JSON.stringify([source ?? null, keys])}`
    let index = this.#built(name)
    if (!(index instanceof OrderedIndex)) {
      const member = source ? (doc: Doc) => readPath(doc, source.path) === source.value : () => true
      index = OrderedIndex.build(source ? this.lookup(source.path, source.value) : this.docs, keys, member)
      this.#indexes.set(name, index)
    }
    return index
  }

  /** Documents as an index holds them (in `_id` order, possibly earlier states: see Posting in indexes.ts), as this view has them now. */
  #current(indexed: readonly Doc[]): readonly Doc[] {
    // Hand-made views are never patched, so their indexes hold exactly their documents.
    if (this.#byIdMap) return indexed
    let out: Doc[] | undefined
    for (let i = 0; i < indexed.length; i++) {
      const doc = indexed[i] as Doc
      if (!superseded.has(doc)) {
        out?.push(doc)
        continue
      }
      // Replaced or removed by some write: this view may hold a later state, the same one (an older snapshot), or none.
      out ??= indexed.slice(0, i)
      const now = this.get(String(doc._id))
      if (now) out.push(now)
    }
    return out ?? indexed
  }

  /** The index of that name, brought up to date with the writes since it was last read. */
  #built(name: string): SortedIndex | OrderedIndex | undefined {
    const pending = this.#pending.get(name)
    if (pending) {
      this.#indexes.set(name, pending.index.with(pending.patches))
      this.#pending.delete(name)
    }
    return this.#indexes.get(name)
  }

  #index(name: string, keysOf: () => (doc: Doc) => readonly string[]): SortedIndex {
    let index = this.#built(name)
    if (!(index instanceof SortedIndex)) {
      // Hand-made views may repeat an id; their indexes are built the same way (view order).
      index = SortedIndex.build(this.docs, keysOf())
      this.#indexes.set(name, index)
    }
    return index
  }

  /** Merges several candidate lists (each in view order) into one, in view order, without repeats. */
  union(lists: readonly (readonly Doc[])[]): readonly Doc[] {
    let merged: readonly Doc[] = lists[0] ?? []
    for (const list of lists.slice(1)) merged = mergeById(merged, list)
    return merged
  }

  /** The next view: these documents changed (ids unique). Built indexes are patched, not rebuilt. */
  with(changes: readonly ViewChange[]): View {
    if (changes.length === 0) return this
    if (this.#byIdMap || changes.length > MAX_PATCHED_CHANGES) {
      const byId = new Map<string, Doc>(this.docs.map((doc) => [String(doc._id), doc]))
      for (const {id, doc} of changes) {
        if (doc) byId.set(id, doc)
        else byId.delete(id)
      }
      return new View([...byId.values()].sort((a, b) => compareIds(String(a._id), String(b._id))), new Map(), true)
    }
    let list = this.#list
    const patches: IndexPatch[] = []
    for (const {id, doc} of changes) {
      const at = list.first((item) => !(String(item._id) < id))
      const found = list.at(at)
      const before = found !== undefined && found._id === id ? found : undefined
      if (!before && !doc) continue
      if (doc) list = before ? list.replace(at, doc) : list.insert(at, doc)
      else list = list.remove(at)
      if (before && before !== doc) superseded.add(before)
      patches.push({id, before, after: doc ?? undefined})
    }
    const indexes = new Map<string, SortedIndex | OrderedIndex>()
    const pending = new Map<string, PendingIndex>()
    // Indexes are patched when a query next reads them: a write then costs a query worker only
    // the indexes its next queries use (tokenising a changed review for the word index was most
    // of what a write cost before), and the other worker none while the main thread answers.
    const defer = (name: string, index: SortedIndex | OrderedIndex, earlier: readonly IndexPatch[]) => {
      const all = earlier.length === 0 ? patches : [...earlier, ...patches]
      if (all.length > MAX_PENDING_PATCHES) indexes.set(name, index.with(all))
      else pending.set(name, {index, patches: all})
    }
    for (const [name, waiting] of this.#pending) defer(name, waiting.index, waiting.patches)
    for (const [name, index] of this.#indexes) defer(name, index, [])
    return new View(list, indexes, true, pending)
  }
}

/**
 * Every document object some view replaced or removed (views of every perspective and
 * dataset: an object belongs to one dataset's documents). An index entry that is not here is
 * in every view whose index holds it, as it is, so resolving a candidate list costs a set
 * lookup per entry; the rare superseded entry is looked up by `_id` in the view at hand
 * (which, for a snapshot older than the write, still holds that very object).
 */
const superseded = new WeakSet<Doc>()

/** Merges two lists in `_id` order into one (an id in both is kept once). */
function mergeById(a: readonly Doc[], b: readonly Doc[]): Doc[] {
  const out: Doc[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const left = a[i] as Doc
    const right = b[j] as Doc
    const order = compareIds(String(left._id), String(right._id))
    if (order <= 0) i++
    if (order >= 0) j++
    out.push(order <= 0 ? left : right)
  }
  while (i < a.length) out.push(a[i++] as Doc)
  while (j < b.length) out.push(b[j++] as Doc)
  return out
}

/** A stored document as a perspective shows it (see overlaysDocument). */
function overlay(doc: LakeDocument, changes: Record<string, string>): Doc {
  const shown: Doc = {...doc, ...changes}
  overlaysDocument(shown, doc)
  return shown
}

export function isVersionOrDraft(id: string): boolean {
  return id.startsWith('drafts.') || id.startsWith('versions.')
}

/**
 * How one perspective sees stored documents: which stored ids can affect a view document,
 * and what that view document is. Views are built and patched with the same two functions.
 */
export class PerspectiveRule {
  readonly perspective: Perspective
  readonly allowPrivate: boolean

  constructor(perspective: Perspective, allowPrivate: boolean) {
    this.perspective = perspective
    this.allowPrivate = allowPrivate
  }

  #visible(id: string): boolean {
    return this.allowPrivate || isPublicId(id)
  }

  /** The view ids a write to stored document `id` may change. */
  affected(id: string): string[] {
    if (!this.#visible(id)) return []
    const {perspective} = this
    if (perspective.kind === 'raw') return [id]
    const out: string[] = []
    if (!isVersionOrDraft(id)) out.push(id)
    if (perspective.kind === 'stack') {
      for (const prefix of perspective.layers) if (id.startsWith(prefix)) out.push(id.slice(prefix.length))
    }
    return out
  }

  /** The view's document with id `id`, given the stored documents. */
  resolve(id: string, get: (id: string) => LakeDocument | undefined): Doc | null {
    const {perspective} = this
    if (perspective.kind === 'raw') return this.#visible(id) ? (get(id) ?? null) : null
    if (perspective.kind === 'stack') {
      for (const prefix of perspective.layers) {
        const layered = prefix + id
        const doc = this.#visible(layered) ? get(layered) : undefined
        // Every document of a layered perspective says where it came from.
        if (doc) return overlay(doc, {_id: id, _originalId: layered})
      }
    }
    if (isVersionOrDraft(id) || !this.#visible(id)) return null
    const doc = get(id)
    if (!doc) return null
    return perspective.kind === 'stack' ? overlay(doc, {_originalId: id}) : doc
  }

  /** Builds the view from scratch over every stored document (in `_id` order). */
  build(all: readonly LakeDocument[], get: (id: string) => LakeDocument | undefined): View {
    const {perspective} = this
    if (perspective.kind === 'raw') return new View(this.allowPrivate ? all : all.filter((doc) => isPublicId(doc._id)))
    if (perspective.kind === 'published') return new View(all.filter((doc) => !isVersionOrDraft(doc._id) && this.#visible(doc._id)))
    const ids = new Set<string>()
    for (const doc of all) for (const id of this.affected(doc._id)) ids.add(id)
    const docs: Doc[] = []
    for (const id of [...ids].sort(compareIds)) {
      const doc = this.resolve(id, get)
      if (doc) docs.push(doc)
    }
    return new View(docs)
  }

  /** The view after stored documents `ids` changed (`get` reads the new state). */
  patch(view: View, ids: readonly string[], get: (id: string) => LakeDocument | undefined): View {
    const touched = new Set<string>()
    for (const id of ids) for (const viewId of this.affected(id)) touched.add(viewId)
    return view.with([...touched].map((id) => ({id, doc: this.resolve(id, get)})))
  }
}
