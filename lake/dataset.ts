import {Mutation, type Mut} from '@sanity/mutator'

import type {DocumentWrite} from './docset'
import {collectReferences, isRecord, type LakeDocument, randomId, type ReferenceTarget, timestampNow, withArrayKeys} from './documents'
import {errorMessage, LakeError, mutationError} from './errors'
import {compileListen} from './groq'
import {type HistoryLog, LAKE_TOKEN_USER_ID} from './history'
import {assertQuerySize, jsonDepthExceeds, MAX_JSON_DEPTH} from './limits'
import {Lru} from './lru'
import {describeMutation, type LakeMutation, parseMutations, type PatchBody, type Selection} from './mutations'
import type {QueryPool, RunOptions} from './pool'
import {encodeWrites} from './protocol'
import {DatasetFile, type Referrer} from './sqlite'

export type MutationOperation = 'create' | 'update' | 'delete' | 'none'

export interface MutationResultItem {
  id: string
  operation: MutationOperation
  /** The document after the transaction (before it, for deletes). */
  document?: LakeDocument
}

export interface TransactionOptions {
  /** Defaults to a random id; it is also the new `_rev` of every changed document. */
  transactionId?: string
  /** Validate and compute results without storing anything or notifying listeners. */
  dryRun?: boolean
  /** Give `_key`s to objects in arrays that lack one. */
  autoGenerateArrayKeys?: boolean
  /** The user id that makes the transaction: recorded in its history and on listener events (`identity`). */
  identity?: string
  /** Called while rows are written to SQLite (every 1000 rows and at the end). */
  onProgress?: (written: number, total: number) => void
}

export interface TransactionResult {
  transactionId: string
  timestamp: string
  results: MutationResultItem[]
  /** Ids named by the results, first occurrence order. */
  documentIds: string[]
}

export interface DocumentChange {
  id: string
  before: LakeDocument | null
  after: LakeDocument | null
  /** The mutations of the transaction that touched this document, as Sanity mutation objects. */
  mutations: LakeMutation[]
}

export interface ChangeEvent {
  dataset: string
  transactionId: string
  timestamp: string
  identity: string
  changes: DocumentChange[]
}

export interface QueryOptions {
  /** False for anonymous callers: documents with a `.` in their id are invisible. Default true. */
  allowPrivate?: boolean
  /** Passed to groq-js for `sanity::projectId()`. */
  projectId?: string
  /** Aborts the query (its client went away). */
  signal?: AbortSignal
  /** Time budget in ms (default: the store's). */
  timeoutMs?: number
}

/** Listen queries up to this many characters are checked on this thread, larger ones on a query worker. */
const MAX_INLINE_LISTEN_QUERY = 2048

function runOptions(options: QueryOptions): RunOptions {
  const out: RunOptions = {}
  if (options.signal) out.signal = options.signal
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs
  return out
}

/**
 * A copy of JSON data the caller can no longer change: frozen parts are shared, the rest
 * is copied. Frozen parts are the store's own (stored documents are deep-frozen), so a
 * patch copies what it changed rather than the whole document (a long review is a deep
 * tree of Portable Text).
 */
function ownedCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  if (Array.isArray(value)) return value.map(ownedCopy) as T
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    // A "__proto__" key from JSON is data, not the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, {value: ownedCopy(child), enumerable: true, writable: true, configurable: true})
    else out[key] = ownedCopy(child)
  }
  return out as T
}

/** Frozen, so no caller (or query result consumer) can change what the store holds. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * One dataset: documents in SQLite, every transaction written through before it becomes
 * visible. Queries run on the store's query workers (pool.ts), which hold the documents in
 * memory; this thread reads the few documents a transaction touches from SQLite (and keeps
 * the most recent ones parsed), so the dataset is not held a second time here. After each
 * commit the change is posted to the workers before the transaction's promise resolves.
 */
export class Dataset {
  readonly name: string
  readonly #file: DatasetFile
  readonly #pool: QueryPool
  /** Recently read or written documents, kept parsed (256, 16 MiB of JSON at most); written through on every commit, so always the stored state. */
  readonly #recent = new Lru<string, {doc: LakeDocument; chars: number}>(256, {of: (entry) => entry.chars, max: 16 * 1024 * 1024})
  readonly #listeners = new Set<(event: ChangeEvent) => void>()
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(name: string, path: string, pool: QueryPool) {
    this.name = name
    this.#pool = pool
    this.#file = new DatasetFile(path)
  }

  get path(): string {
    return this.#file.path
  }

  get size(): number {
    return this.#file.count()
  }

  /** Every document in `_id` order, read from SQLite (a copy of its own for the caller). */
  documents(): readonly LakeDocument[] {
    return this.#file.loadAll()
  }

  /** Documents whose id starts with `prefix`, in `_id` order. */
  documentsWithPrefix(prefix: string): LakeDocument[] {
    return this.#file.withPrefix(prefix)
  }

  getDocument(id: string): LakeDocument | undefined {
    return this.#read(id) ?? undefined
  }

  getDocuments(ids: readonly string[]): (LakeDocument | undefined)[] {
    return ids.map((id) => this.getDocument(id))
  }

  /** The stored document (frozen), from the recent ones or SQLite. */
  #read(id: string): LakeDocument | null {
    const recent = this.#recent.get(id)
    if (recent) return recent.doc
    const json = this.#file.body(id)
    if (json === undefined) return null
    const doc = deepFreeze(JSON.parse(json) as LakeDocument)
    this.#recent.set(id, {doc, chars: json.length})
    return doc
  }

  /** The dataset's transaction log and document history (lake/history.ts). */
  get history(): HistoryLog {
    return this.#file.history
  }

  /** Documents that reference `id`, from the SQLite refs index (with whether each reference is weak). */
  referrers(id: string): Referrer[] {
    return this.#file.referrers(id)
  }

  /** This dataset's documents holding cross-dataset references to `id` in dataset `target`. */
  crossDatasetReferrers(id: string, target: string): Referrer[] {
    return this.#file.referrers(id, target)
  }

  /**
   * Evaluates GROQ (groq-js) over the documents visible under `perspective`, on a query
   * worker, within the store's time budget. Resolves to the result's JSON text.
   */
  async queryJson(
    groq: string,
    params: Record<string, unknown> = {},
    perspective: string | string[] | undefined = undefined,
    options: QueryOptions = {},
  ): Promise<Uint8Array> {
    assertQuerySize(groq)
    const spec = {query: groq, params, perspective, allowPrivate: options.allowPrivate ?? true, projectId: options.projectId ?? 'local'}
    const result = await this.#pool.run(this.name, this.#file.path, {kind: 'query', spec}, runOptions(options))
    if (result.kind !== 'query') throw new Error(`query job answered ${result.kind}`)
    return result.json
  }

  /** Like queryJson, parsed: the result as a value. */
  async query(
    groq: string,
    params: Record<string, unknown> = {},
    perspective: string | string[] | undefined = undefined,
    options: QueryOptions = {},
  ): Promise<unknown> {
    return JSON.parse(new TextDecoder().decode(await this.queryJson(groq, params, perspective, options))) as unknown
  }

  /** Parses and checks a listen query on a query worker: its filters, ready to evaluate per document. */
  async compileListen(groq: string, params: Record<string, unknown>, options: QueryOptions = {}): Promise<{filters: unknown[]; usesText: boolean}> {
    assertQuerySize(groq, 'The listen query')
    // Parsing costs grow with the square of the query's length: small ones (all the Studio sends) take microseconds here.
    if (groq.length <= MAX_INLINE_LISTEN_QUERY) return compileListen(groq, params)
    const result = await this.#pool.run(this.name, this.#file.path, {kind: 'listen', query: groq, params}, runOptions(options))
    if (result.kind !== 'listen') throw new Error(`listen job answered ${result.kind}`)
    return {filters: result.filters, usesText: result.usesText}
  }

  /** Calls `listener` after every committed transaction, once the write was answered. Returns the unsubscribe function. */
  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Applies mutations as one transaction: all of them are stored, or (on any
   * failure) none. Accepts unvalidated input and validates it (400 on bad input).
   */
  transaction(mutations: readonly unknown[] | readonly LakeMutation[], options: TransactionOptions = {}): Promise<TransactionResult> {
    let parsed: LakeMutation[]
    try {
      parsed = parseMutations(mutations)
    } catch (error) {
      return Promise.reject(error)
    }
    // Transactions run one at a time so query selections see a stable state.
    const run = this.#queue.then(() => this.#run(parsed, options))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #run(mutations: LakeMutation[], options: TransactionOptions): Promise<TransactionResult> {
    if (this.#closed) throw new LakeError(503, 'unavailable', `Dataset "${this.name}" is closed`)
    if (options.transactionId !== undefined && this.#file.hasTransaction(options.transactionId)) {
      // A reused id would hand out a revision documents had before, so a stale ifRevisionID could match again.
      throw new LakeError(
        409,
        'transactionIdConflict',
        `Transaction id "${options.transactionId}" was already used in dataset "${this.name}"; every transaction needs a new id (leave transactionId out to get a generated one)`,
      )
    }
    const transactionId = options.transactionId ?? randomId()
    const now = new Date()
    const timestamp = timestampNow(now)
    const working = new Map<string, LakeDocument | null>()
    const touchedBy = new Map<string, LakeMutation[]>()
    const deletedAt = new Map<string, number>()
    const results: {id: string; operation: MutationOperation}[] = []

    // The stored state of each document the transaction reads, read once (it cannot change before COMMIT: transactions run one at a time).
    const stored = new Map<string, LakeDocument | null>()
    const before = (id: string): LakeDocument | null => {
      let doc = stored.get(id)
      if (doc === undefined) {
        doc = this.#read(id)
        stored.set(id, doc)
      }
      return doc
    }
    const get = (id: string): LakeDocument | null => (working.has(id) ? (working.get(id) ?? null) : before(id))
    const put = (id: string, doc: LakeDocument | null, mutation: LakeMutation) => {
      working.set(id, doc)
      const list = touchedBy.get(id)
      if (list) list.push(mutation)
      else touchedBy.set(id, [mutation])
    }
    const stamp = (body: Record<string, unknown>, id: string, existing: LakeDocument | null, index: number): LakeDocument => {
      // Patches can nest deeper than any request body did (a set on "a.b.c…"): checked before anything recurses.
      if (jsonDepthExceeds(body, MAX_JSON_DEPTH - 1)) {
        throw mutationError(400, index, 'validationError', `Document "${id}" would nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep; the lake accepts at most ${MAX_JSON_DEPTH} levels`, id)
      }
      const keyed = options.autoGenerateArrayKeys ? withArrayKeys(body) : body
      const createdAt = typeof keyed._createdAt === 'string' ? keyed._createdAt : (existing?._createdAt ?? timestamp)
      return deepFreeze({...ownedCopy(keyed), _id: id, _type: String(keyed._type), _rev: transactionId, _createdAt: createdAt, _updatedAt: timestamp})
    }

    for (const [index, mutation] of mutations.entries()) {
      const described = describeMutation(mutation)
      switch (described.kind) {
        case 'create': {
          const requested = described.body._id
          const id = requested === undefined ? randomId() : requested.endsWith('.') ? `${requested}${randomId()}` : requested
          if (get(id)) throw mutationError(409, index, 'documentAlreadyExistsError', `Document by ID "${id}" already exists`, id)
          put(id, stamp(described.body, id, null, index), {create: {...described.body, _id: id}})
          results.push({id, operation: 'create'})
          break
        }
        case 'createOrReplace': {
          const id = described.body._id
          const existing = get(id)
          put(id, stamp(described.body, id, existing, index), mutation)
          results.push({id, operation: existing ? 'update' : 'create'})
          break
        }
        case 'createIfNotExists': {
          const id = described.body._id
          if (get(id)) {
            results.push({id, operation: 'none'})
          } else {
            put(id, stamp(described.body, id, null, index), mutation)
            results.push({id, operation: 'create'})
          }
          break
        }
        case 'delete': {
          for (const id of await this.#select(described.body, working, index)) {
            if (get(id)) {
              put(id, null, {delete: {id}})
              deletedAt.set(id, index)
            }
            results.push({id, operation: 'delete'})
          }
          break
        }
        case 'patch': {
          for (const id of await this.#select(described.body, working, index)) {
            const existing = get(id)
            if (!existing) {
              throw mutationError(404, index, 'documentNotFoundError', `The document with the ID "${id}" was not found; create it first (e.g. createIfNotExists) or check the id`, id)
            }
            const {ifRevisionID} = described.body
            if (ifRevisionID !== undefined && existing._rev !== ifRevisionID) {
              throw mutationError(
                409,
                index,
                'documentRevisionIDDoesNotMatchError',
                `Document "${id}" has revision "${existing._rev}", but the patch expected "${ifRevisionID}" (ifRevisionID); fetch the document again and retry`,
                id,
              )
            }
            const patched = applyPatch(existing, described.body, index)
            put(id, stamp(patched, id, existing, index), {patch: {...stripSelection(described.body), id}})
            results.push({id, operation: 'update'})
          }
          break
        }
      }
    }
    this.#checkReferences(deletedAt, working)

    const writes: DocumentWrite[] = []
    const changes: DocumentChange[] = []
    for (const [id, doc] of working) {
      const was = before(id)
      if (!was && !doc) continue
      writes.push({id, doc, json: doc ? JSON.stringify(doc) : null, sameReferences: was !== null && doc !== null && sameReferences(was, doc)})
      changes.push({id, before: was, after: doc, mutations: touchedBy.get(id) ?? []})
    }

    const withDocuments: MutationResultItem[] = results.map(({id, operation}) => {
      const document = operation === 'delete' ? (before(id) ?? undefined) : (get(id) ?? undefined)
      return document ? {id, operation, document} : {id, operation}
    })
    const result: TransactionResult = {
      transactionId,
      timestamp,
      results: withDocuments,
      documentIds: [...new Set(results.map((r) => r.id))],
    }
    if (options.dryRun || writes.length === 0) return result

    const seq = this.#file.commit(transactionId, now.toISOString(), writes, options.identity ?? LAKE_TOKEN_USER_ID, options.onProgress)
    // Only after COMMIT succeeded does the in-memory state change; the workers hear of it
    // before the caller does, so a query sent after this write's response sees it.
    for (const {id, doc, json} of writes) {
      if (doc) this.#recent.set(id, {doc, chars: json?.length ?? 0})
      else this.#recent.delete(id)
    }
    this.#pool.publish({dataset: this.name, seq, writes: encodeWrites(writes)})
    const event: ChangeEvent = {
      dataset: this.name,
      transactionId,
      timestamp,
      identity: options.identity ?? LAKE_TOKEN_USER_ID,
      changes,
    }
    const listeners = [...this.#listeners]
    if (listeners.length > 0) {
      // After the write is answered: listeners never delay it.
      setImmediate(() => {
        for (const listener of listeners) {
          try {
            listener(event)
          } catch {
            // A failing listener must not affect the others.
          }
        }
      })
    }
    return result
  }

  /**
   * Reference integrity, as Sanity enforces it: a transaction that deletes a document
   * fails (409, nothing stored) while any document, after the transaction, still holds a
   * strong reference to it. Weak references (`_weak: true`) do not count.
   */
  #checkReferences(deletedAt: ReadonlyMap<string, number>, working: ReadonlyMap<string, LakeDocument | null>): void {
    if (deletedAt.size === 0) return
    const blockers = new Map<string, Set<string>>()
    const block = (target: string, from: string) => {
      const set = blockers.get(target)
      if (set) set.add(from)
      else blockers.set(target, new Set([from]))
    }
    for (const target of deletedAt.keys()) {
      for (const {from, weak} of this.#file.referrers(target)) {
        // Documents this transaction changes are judged by their new state below.
        if (!weak && !working.has(from)) block(target, from)
      }
    }
    for (const [from, doc] of working) {
      if (!doc) continue
      for (const ref of collectReferences(doc)) {
        if (!ref.weak && ref.dataset === '' && deletedAt.has(ref.to) && ref.to !== from) block(ref.to, from)
      }
    }
    for (const [target, index] of deletedAt) {
      const from = blockers.get(target)
      if (!from) continue
      const referencingIDs = [...from].sort()
      throw mutationError(
        409,
        index,
        'documentHasExistingReferencesError',
        `Document "${target}" cannot be deleted as there are references to it from ${referencingIDs.map((id) => `"${id}"`).join(', ')}; remove those references first (or make them weak)`,
        target,
        {referencingIDs},
      )
    }
  }

  /** Resolves a mutation's selection (`id`, list of ids, or a GROQ query over the raw working state, on a query worker). */
  async #select(selection: Selection | PatchBody, working: Map<string, LakeDocument | null>, index: number): Promise<string[]> {
    if ('id' in selection && selection.id !== undefined) return Array.isArray(selection.id) ? selection.id : [selection.id]
    const query = 'query' in selection ? selection.query : undefined
    if (query === undefined) return []
    const params = ('params' in selection ? selection.params : undefined) ?? {}
    try {
      assertQuerySize(query, 'The selection query')
      const overlay = [...working].map(([id, doc]) => ({id, json: doc ? JSON.stringify(doc) : null}))
      const result = await this.#pool.run(this.name, this.#file.path, {kind: 'select', spec: {query, params, overlay}})
      if (result.kind !== 'select') throw new Error(`selection job answered ${result.kind}`)
      return result.ids
    } catch (error) {
      if (error instanceof LakeError && (error.statusCode === 408 || error.statusCode >= 500)) throw error
      const status = error instanceof LakeError && error.statusCode === 413 ? 413 : 400
      throw mutationError(status, index, error instanceof LakeError ? error.type : 'queryError', `Selection query failed: ${errorMessage(error)}`)
    }
  }

  close(): void {
    this.#closed = true
    this.#listeners.clear()
    this.#pool.forget(this.name)
    this.#file.close()
  }
}

/** Whether two documents hold the same references (target, dataset and weakness), in any order. */
function sameReferences(a: LakeDocument, b: LakeDocument): boolean {
  const key = (ref: ReferenceTarget) => `${ref.dataset}\u0000${ref.to}\u0000${ref.weak ? 'weak' : 'strong'}`
  const before = collectReferences(a)
  const after = collectReferences(b)
  if (before.length !== after.length) return false
  const keys = new Set(before.map(key))
  return after.every((ref) => keys.has(key(ref)))
}

function stripSelection(body: PatchBody): Omit<PatchBody, 'id' | 'query' | 'params'> {
  const {id: _id, query: _query, params: _params, ...rest} = body
  return rest
}

/** Applies the patch operations with @sanity/mutator, the same code the Studio uses. */
function applyPatch(doc: LakeDocument, body: PatchBody, index: number): Record<string, unknown> {
  const {ifRevisionID: _ifRevisionID, ...operations} = stripSelection(body)
  const patch = {...operations, id: doc._id} as NonNullable<Mut['patch']>
  let patched: unknown
  try {
    // The mutator copies what it changes and shares the rest (the stored document is frozen).
    patched = new Mutation({mutations: [{patch}]}).apply(doc)
  } catch (error) {
    throw mutationError(400, index, 'patchError', `Could not apply patch to "${doc._id}": ${errorMessage(error)}`, doc._id)
  }
  if (!isRecord(patched)) throw mutationError(400, index, 'patchError', `Patch on "${doc._id}" did not produce a document`, doc._id)
  if (patched._id !== doc._id) throw mutationError(400, index, 'patchError', `A patch cannot change _id (document "${doc._id}")`, doc._id)
  if (typeof patched._type !== 'string' || patched._type === '') {
    throw mutationError(400, index, 'patchError', `A patch cannot remove or empty _type (document "${doc._id}")`, doc._id)
  }
  return patched
}
