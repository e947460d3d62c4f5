/**
 * Secondary indexes of a view (see View in views.ts): for each key, the documents that have
 * it, in `_id` order (the order of `*`), so a candidate list can stand in for `*` and give
 * groq-js the same documents in the same order. Indexes are immutable: a write makes a
 * patched copy (a few chunk copies, no rebuild), so a query still running on the old view
 * keeps a stable one.
 */
import {Chunked, firstIndex} from './chunked'
import {isRecord} from './documents'

export type Doc = Record<string, unknown>

/** The keys a document has in an index (distinct; empty when it is not in the index). */
export type KeysOf = (doc: Doc) => readonly string[]

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function idOf(doc: Doc): string {
  return String(doc._id)
}

/**
 * One key's documents, in `_id` order: a plain array, or a chunked sequence once it is long
 * (a write then copies one chunk of `_type == "comment"`, not 84k entries). A write that
 * leaves a document's keys as they were leaves its postings alone (editing a review's
 * rating must not touch its few hundred word postings), so a posting may hold an earlier
 * state of a document: it identifies the document by `_id`, and View resolves it.
 */
interface Posting {
  key: string
  docs: readonly Doc[] | Chunked<Doc>
}

/** Postings longer than this are chunked. */
const CHUNKED_POSTING = 1024

function postingDocs(posting: Posting | undefined): readonly Doc[] {
  if (!posting) return []
  return posting.docs instanceof Chunked ? posting.docs.toArray() : posting.docs
}

/** `docs` with `doc` in its `_id` place (replacing an earlier state of it), or without the document `id` when `doc` is undefined. */
function editPosting(docs: readonly Doc[] | Chunked<Doc>, id: string, doc: Doc | undefined): readonly Doc[] | Chunked<Doc> {
  if (docs instanceof Chunked) {
    const at = docs.first((item) => !(idOf(item) < id))
    const found = docs.at(at)
    const hit = found !== undefined && idOf(found) === id
    if (doc) return hit ? docs.replace(at, doc) : docs.insert(at, doc)
    return hit ? docs.remove(at) : docs
  }
  const lo = firstIndex(docs, (item) => !(idOf(item) < id))
  const hit = lo < docs.length && idOf(docs[lo] as Doc) === id
  if (!doc && !hit) return docs
  const next = docs.slice()
  if (doc) next.splice(lo, hit ? 1 : 0, doc)
  else next.splice(lo, 1)
  return next.length > CHUNKED_POSTING ? Chunked.from(next) : next
}

/**
 * Secondary index: for each key, the documents that have it (a posting, in `_id` order),
 * postings in key order so key prefixes are ranges. One entry per key keeps memory near
 * one pointer per (key, document) pair.
 */
export class SortedIndex {
  readonly #postings: Chunked<Posting>
  readonly #keysOf: KeysOf

  private constructor(postings: Chunked<Posting>, keysOf: KeysOf) {
    this.#postings = postings
    this.#keysOf = keysOf
  }

  /** Builds the index over `docs` (in `_id` order). */
  static build(docs: Iterable<Doc>, keysOf: KeysOf): SortedIndex {
    // Grouping keeps each key's documents in `_id` order without comparing ids.
    const groups = new Map<string, Doc[]>()
    for (const doc of docs) {
      for (const key of keysOf(doc)) {
        const group = groups.get(key)
        if (group) group.push(doc)
        else groups.set(key, [doc])
      }
    }
    const postings: Posting[] = []
    for (const key of [...groups.keys()].sort(compareStrings)) {
      const group = groups.get(key) ?? []
      // slice(): an exact-size copy, without the spare capacity push() left.
      postings.push({key, docs: group.length > CHUNKED_POSTING ? Chunked.from(group) : group.slice()})
    }
    return new SortedIndex(Chunked.from(postings), keysOf)
  }

  #posting(key: string): Posting | undefined {
    const found = this.#postings.at(this.#postings.first((posting) => !(posting.key < key)))
    return found?.key === key ? found : undefined
  }

  /** The postings whose key starts with `prefix` (contiguous in key order). */
  #withPrefix(prefix: string): Posting[] {
    const from = this.#postings.first((posting) => !(posting.key < prefix))
    const to = this.#postings.first((posting) => posting.key > prefix && !posting.key.startsWith(prefix))
    return this.#postings.slice(from, to)
  }

  /** The documents with `key`, in `_id` order, as indexed (see Posting: resolve them by `_id`). */
  lookup(key: string): readonly Doc[] {
    return postingDocs(this.#posting(key))
  }

  /** How many documents have `key` (no copy). */
  count(key: string): number {
    const posting = this.#posting(key)
    return posting ? posting.docs.length : 0
  }

  /** How many (key, document) pairs have a key starting with `prefix` (at least as many as the documents). */
  prefixCount(prefix: string): number {
    let count = 0
    for (const posting of this.#withPrefix(prefix)) count += posting.docs.length
    return count
  }

  /** The documents with a key that starts with `prefix` (each once, in `_id` order), as indexed (see Posting). */
  withPrefix(prefix: string): readonly Doc[] {
    const postings = this.#withPrefix(prefix)
    if (postings.length === 1) return postingDocs(postings[0])
    const byId = new Map<string, Doc>()
    for (const posting of postings) for (const doc of postingDocs(posting)) byId.set(idOf(doc), doc)
    return [...byId.values()].sort((a, b) => compareStrings(idOf(a), idOf(b)))
  }

  /** This index after documents changed: `before` (absent: new) and `after` (absent: deleted) of each. */
  with(changes: readonly {id: string; before: Doc | undefined; after: Doc | undefined}[]): SortedIndex {
    const batch = this.#postings.batch()
    let changed = false
    const edit = (key: string, id: string, doc: Doc | undefined) => {
      const at = batch.first((posting) => !(posting.key < key))
      const found = batch.at(at)
      if (found?.key === key) {
        const docs = editPosting(found.docs, id, doc)
        if (docs === found.docs) return
        if (docs.length === 0) batch.remove(at)
        else batch.replace(at, {key, docs})
        changed = true
      } else if (doc) {
        batch.insert(at, {key, docs: [doc]})
        changed = true
      }
    }
    for (const {id, before, after} of changes) {
      const old = new Set(before ? this.#keysOf(before) : [])
      for (const key of after ? this.#keysOf(after) : []) {
        // A key the document keeps keeps its posting (see Posting).
        if (!old.delete(key)) edit(key, id, after)
      }
      for (const key of old) edit(key, id, undefined)
    }
    return changed ? new SortedIndex(batch.done(), this.#keysOf) : this
  }
}

/** Attribute access the way GROQ does it: only plain objects have attributes. */
export function readPath(doc: unknown, path: readonly string[]): unknown {
  let current: unknown = doc
  for (const name of path) {
    if (!isRecord(current) || !Object.hasOwn(current, name)) return undefined
    current = current[name]
  }
  return current
}

/** An equality index on an attribute path: documents whose value there is a string. */
export function pathKeys(path: readonly string[]): KeysOf {
  return (doc) => {
    const value = readPath(doc, path)
    return typeof value === 'string' ? [value] : []
  }
}

/**
 * The ids a document `references()`, found the way groq-js' `hasReference` walks it: an
 * object with a truthy `_ref` is a reference (its other attributes are not searched),
 * anything else is searched through. Only string `_ref`s can match an id.
 */
export function referenceKeys(doc: Doc): readonly string[] {
  const found = new Set<string>()
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item)
    } else if (isRecord(value)) {
      if (value._ref) {
        if (typeof value._ref === 'string') found.add(value._ref)
        return
      }
      for (const key in value) walk(value[key])
    }
  }
  walk(doc)
  return [...found]
}

const TYPE_RANK: Record<string, number> = {number: 2, string: 3, boolean: 4}

/** groq-js' rank of a value's type in `order()` (datetimes never come out of stored JSON). */
function typeRank(value: unknown): number {
  return TYPE_RANK[typeof value] ?? 100
}

/** groq-js' `order()` comparison of two values (its totalCompare), ascending. */
export function orderCompare(a: unknown, b: unknown): number {
  const rankA = typeRank(a)
  const rankB = typeRank(b)
  if (rankA !== rankB) return rankA - rankB
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  return 0
}

export interface OrderKey {
  path: readonly string[]
  descending: boolean
}

/**
 * Documents sorted the way `| order(k1, k2 desc, …)` sorts them: by the keys with groq-js'
 * comparison, then by `_id` (groq-js keeps ties in the order it got them: `*` order). Only
 * documents `member` accepts are in it. Immutable like SortedIndex.
 */
export class OrderedIndex {
  readonly docs: Chunked<Doc>
  readonly #keys: readonly OrderKey[]
  readonly #member: (doc: Doc) => boolean

  private constructor(docs: Chunked<Doc>, keys: readonly OrderKey[], member: (doc: Doc) => boolean) {
    this.docs = docs
    this.#keys = keys
    this.#member = member
  }

  static build(docs: readonly Doc[], keys: readonly OrderKey[], member: (doc: Doc) => boolean): OrderedIndex {
    const index = new OrderedIndex(Chunked.from([]), keys, member)
    // Array.prototype.sort is stable and `docs` are in `_id` order, so keys alone decide.
    const sorted = docs.filter(member).sort((a, b) => index.#compareKeys(a, b))
    return new OrderedIndex(Chunked.from(sorted), keys, member)
  }

  #compareKeys(a: Doc, b: Doc): number {
    for (const {path, descending} of this.#keys) {
      const order = orderCompare(readPath(a, path) ?? null, readPath(b, path) ?? null)
      if (order !== 0) return descending ? -order : order
    }
    return 0
  }

  #compare(a: Doc, b: Doc): number {
    return this.#compareKeys(a, b) || compareStrings(idOf(a), idOf(b))
  }

  /** The first position in `[lo, hi)` whose entry makes `test` true (`test` is false then true along the order), or `hi`. */
  firstIn(lo: number, hi: number, test: (doc: Doc) => boolean): number {
    if (lo === 0 && hi === this.docs.length) return this.docs.first(test)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const doc = this.docs.at(mid)
      if (doc !== undefined && test(doc)) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  with(changes: readonly {id: string; before: Doc | undefined; after: Doc | undefined}[]): OrderedIndex {
    let docs = this.docs
    for (const {before, after} of changes) {
      if (before && this.#member(before)) {
        const at = docs.first((doc) => this.#compare(doc, before) >= 0)
        const found = docs.at(at)
        if (found !== undefined && idOf(found) === idOf(before)) docs = docs.remove(at)
      }
      if (after && this.#member(after)) docs = docs.insert(docs.first((doc) => this.#compare(doc, after) >= 0), after)
    }
    return new OrderedIndex(docs, this.#keys, this.#member)
  }
}

// groq-js' `match` tokenisation (its shared.js: CHARS and EDGE_CHARS).
const TOKEN = /([^!@#$%^&*(),\\/?";:{}|[\]+<>\s-])+/g
const EDGE_DOTS = /(\b\.+|\.+\b)/g

/** The tokens groq-js' `match` sees in a string, upper-cased (see textPrefixes in planner.ts for why upper case). */
export function matchTokens(text: string): string[] {
  return (text.replace(EDGE_DOTS, '').match(TOKEN) ?? []).map((token) => token.toUpperCase())
}

/**
 * Every token a `match` on a part of this document can see: the tokens of each string in
 * it, and of each Portable Text block's span texts joined the way groq-js' `pt::text`
 * joins them (spans of a block run together, so a word can span two of them).
 */
export function documentTokens(doc: Doc): readonly string[] {
  let tokens = tokensOf.get(doc)
  if (!tokens) {
    const base = baseOf.get(doc)
    tokens = base ? overlayTokens(doc, base) : collectTokens(doc)
    tokensOf.set(doc, tokens)
  }
  return tokens
}

/** Documents are immutable (a write makes a new object), so their tokens are computed once. */
const tokensOf = new WeakMap<Doc, readonly string[]>()
/** Perspective overlays (a stored document with another `_id` and an `_originalId`) and the document they copy. */
const baseOf = new WeakMap<Doc, Doc>()

/**
 * Records that `overlay` is `base` with a few attributes replaced or added, so its tokens are
 * base's plus those of the attributes that differ: the drafts perspective's copy of every
 * document then shares its word list instead of tokenising the document again.
 */
export function overlaysDocument(overlay: Doc, base: Doc): void {
  baseOf.set(overlay, base)
}

/** Base's tokens and those of what the overlay changed (a superset of the overlay's own: indexes only narrow candidates). */
function overlayTokens(doc: Doc, base: Doc): readonly string[] {
  const inherited = documentTokens(base)
  let extra: Set<string> | undefined
  for (const key in doc) {
    if (doc[key] === base[key]) continue
    for (const token of collectTokens(doc[key])) {
      if (!inherited.includes(token)) (extra ??= new Set()).add(token)
    }
  }
  return extra ? [...inherited, ...extra] : inherited
}

function collectTokens(doc: unknown): readonly string[] {
  const found = new Set<string>()
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const token of matchTokens(value)) found.add(token)
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item)
    } else if (isRecord(value)) {
      if (typeof value._type === 'string' && Array.isArray(value.children)) {
        let text = ''
        for (const child of value.children) if (isRecord(child) && child._type === 'span' && typeof child.text === 'string') text += child.text
        for (const token of matchTokens(text)) found.add(token)
      }
      for (const key in value) walk(value[key])
    }
  }
  walk(doc)
  return [...found]
}
