/**
 * Secondary indexes of a view (see View in groq.ts): for each key, the documents that have
 * it, in `_id` order (the order of `*`), so a candidate list can stand in for `*` and give
 * groq-js the same documents in the same order. Entries are kept sorted by (key, `_id`) in
 * two parallel arrays. Indexes are immutable: a write makes a patched copy (a couple of
 * array copies, no rebuild), so a query still running on the old view keeps a stable one.
 */
import {Chunked} from './chunked'
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
 * One (key, document) pair. A write that leaves a document's keys as they were leaves its
 * entries alone (editing a review's rating must not touch its few hundred word entries), so
 * `doc` may be an earlier state of the document: it identifies the document by `_id`, and
 * View resolves it to the current state.
 */
interface Entry {
  key: string
  doc: Doc
}

export class SortedIndex {
  readonly #entries: Chunked<Entry>
  readonly #keysOf: KeysOf

  private constructor(entries: Chunked<Entry>, keysOf: KeysOf) {
    this.#entries = entries
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
    const entries: Entry[] = []
    for (const key of [...groups.keys()].sort(compareStrings)) for (const doc of groups.get(key) ?? []) entries.push({key, doc})
    return new SortedIndex(Chunked.from(entries), keysOf)
  }

  get size(): number {
    return this.#entries.length
  }

  /** First entry at or after (key, id); any entry of `key` when `id` is undefined. */
  #seek(entries: Chunked<Entry>, key: string, id: string | undefined): number {
    return entries.first((entry) => {
      const order = compareStrings(entry.key, key) || (id === undefined ? 0 : compareStrings(idOf(entry.doc), id))
      return order >= 0
    })
  }

  /** Where the entries with `key` are: `[from, to)`. */
  range(key: string): [number, number] {
    const from = this.#seek(this.#entries, key, undefined)
    const to = this.#entries.first((entry) => entry.key > key)
    return [from, to]
  }

  /** The documents with `key`, in `_id` order, as indexed (see Entry: resolve them by `_id`). */
  lookup(key: string): readonly Doc[] {
    const [from, to] = this.range(key)
    return this.#entries.slice(from, to).map((entry) => entry.doc)
  }

  #prefixRange(prefix: string): [number, number] {
    const from = this.#seek(this.#entries, prefix, undefined)
    const to = this.#entries.first((entry) => entry.key > prefix && !entry.key.startsWith(prefix))
    return [from, to]
  }

  /** How many entries have a key starting with `prefix` (at least as many as the documents). */
  prefixCount(prefix: string): number {
    const [from, to] = this.#prefixRange(prefix)
    return to - from
  }

  /** The documents with a key that starts with `prefix` (each once, in `_id` order), as indexed (see Entry). */
  withPrefix(prefix: string): readonly Doc[] {
    const [from, to] = this.#prefixRange(prefix)
    const byId = new Map<string, Doc>()
    for (const entry of this.#entries.slice(from, to)) byId.set(idOf(entry.doc), entry.doc)
    return [...byId.values()].sort((a, b) => compareStrings(idOf(a), idOf(b)))
  }

  /** How many documents have `key` (no copy). */
  count(key: string): number {
    const [from, to] = this.range(key)
    return to - from
  }

  /** This index after documents changed: `before` (absent: new) and `after` (absent: deleted) of each. */
  with(changes: readonly {id: string; before: Doc | undefined; after: Doc | undefined}[]): SortedIndex {
    const batch = this.#entries.batch()
    const find = (key: string, id: string) =>
      batch.first((entry) => (compareStrings(entry.key, key) || compareStrings(idOf(entry.doc), id)) >= 0)
    let changed = false
    for (const {id, before, after} of changes) {
      const old = new Set(before ? this.#keysOf(before) : [])
      const next = after ? this.#keysOf(after) : []
      for (const key of next) {
        // A key the document keeps keeps its entry (see Entry).
        if (old.delete(key)) continue
        const at = find(key, id)
        const found = batch.at(at)
        changed = true
        // An entry already there (a document the index did not know it had) is replaced, not repeated.
        if (found && found.key === key && idOf(found.doc) === id) batch.replace(at, {key, doc: after as Doc})
        else batch.insert(at, {key, doc: after as Doc})
      }
      for (const key of old) {
        const at = find(key, id)
        const found = batch.at(at)
        changed = true
        if (found && found.key === key && idOf(found.doc) === id) batch.remove(at)
      }
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
    tokens = collectTokens(doc)
    tokensOf.set(doc, tokens)
  }
  return tokens
}

/** Documents are immutable (a write makes a new object), so their tokens are computed once. */
const tokensOf = new WeakMap<Doc, readonly string[]>()

function collectTokens(doc: Doc): readonly string[] {
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
