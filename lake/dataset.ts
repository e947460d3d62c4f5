import {Mutation, type Mut} from '@sanity/mutator'

import {
  cloneJson,
  compareIds,
  isRecord,
  type LakeDocument,
  randomId,
  timestampNow,
  withArrayKeys,
} from './documents'
import {errorMessage, isLakeError, LakeError, mutationError} from './errors'
import {buildView, evaluateOver, parseGroq, parsePerspective, type Perspective, View} from './groq'
import {describeMutation, type LakeMutation, parseMutations, type PatchBody, type Selection} from './mutations'
import {DatasetFile, type DocumentWrite} from './sqlite'

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
  /** Recorded on listener events (`identity`). */
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
  /** All documents after the transaction, in `_id` order (for evaluating listener filters). */
  documents: readonly LakeDocument[]
}

export interface QueryOptions {
  /** False for anonymous callers: documents with a `.` in their id are invisible. Default true. */
  allowPrivate?: boolean
  /** Passed to groq-js for `sanity::projectId()`. */
  projectId?: string
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
 * One dataset: documents in memory (loaded at open, in `_id` order) with every
 * transaction written through to SQLite before it becomes visible.
 */
export class Dataset {
  readonly name: string
  readonly #file: DatasetFile
  readonly #docs = new Map<string, LakeDocument>()
  #sorted: readonly LakeDocument[]
  readonly #views = new Map<string, View>()
  readonly #listeners = new Set<(event: ChangeEvent) => void>()
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(name: string, path: string) {
    this.name = name
    this.#file = new DatasetFile(path)
    const loaded = this.#file.loadAll()
    for (const doc of loaded) this.#docs.set(doc._id, deepFreeze(doc))
    this.#sorted = loaded
  }

  get size(): number {
    return this.#docs.size
  }

  /** Every document in `_id` order (a read-only snapshot). */
  documents(): readonly LakeDocument[] {
    return this.#sorted
  }

  getDocument(id: string): LakeDocument | undefined {
    return this.#docs.get(id)
  }

  getDocuments(ids: readonly string[]): (LakeDocument | undefined)[] {
    return ids.map((id) => this.#docs.get(id))
  }

  /** Ids of documents that reference `id`, from the SQLite refs index. */
  referencing(id: string): string[] {
    return this.#file.referencing(id)
  }

  /** Evaluates GROQ (groq-js) over the documents visible under `perspective`. */
  async query(
    groq: string,
    params: Record<string, unknown> = {},
    perspective: Perspective | string = 'published',
    options: QueryOptions = {},
  ): Promise<unknown> {
    const tree = parseGroq(groq, params)
    const view = this.view(typeof perspective === 'string' ? parsePerspective(perspective) : perspective, options.allowPrivate ?? true)
    return evaluateOver({tree, view, params, sanity: {projectId: options.projectId ?? 'local', dataset: this.name}})
  }

  /** The (cached until the next write) set of documents a perspective sees. */
  view(perspective: Perspective, allowPrivate: boolean): View {
    const key = `${allowPrivate ? 'private' : 'public'}:${JSON.stringify(perspective)}`
    let view = this.#views.get(key)
    if (!view) {
      view = buildView(this.#sorted, perspective, allowPrivate)
      this.#views.set(key, view)
    }
    return view
  }

  /** Calls `listener` after every committed transaction. Returns the unsubscribe function. */
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
    const transactionId = options.transactionId ?? randomId()
    const timestamp = timestampNow()
    const working = new Map<string, LakeDocument | null>()
    const touchedBy = new Map<string, LakeMutation[]>()
    const results: {id: string; operation: MutationOperation}[] = []

    const get = (id: string): LakeDocument | null => (working.has(id) ? (working.get(id) ?? null) : (this.#docs.get(id) ?? null))
    const put = (id: string, doc: LakeDocument | null, mutation: LakeMutation) => {
      working.set(id, doc)
      const list = touchedBy.get(id)
      if (list) list.push(mutation)
      else touchedBy.set(id, [mutation])
    }
    const stamp = (body: Record<string, unknown>, id: string, existing: LakeDocument | null): LakeDocument => {
      const keyed = options.autoGenerateArrayKeys ? withArrayKeys(body) : body
      const createdAt = typeof keyed._createdAt === 'string' ? keyed._createdAt : (existing?._createdAt ?? timestamp)
      return deepFreeze({...cloneJson(keyed), _id: id, _type: String(keyed._type), _rev: transactionId, _createdAt: createdAt, _updatedAt: timestamp})
    }

    for (const [index, mutation] of mutations.entries()) {
      const described = describeMutation(mutation)
      switch (described.kind) {
        case 'create': {
          const requested = described.body._id
          const id = requested === undefined ? randomId() : requested.endsWith('.') ? `${requested}${randomId()}` : requested
          if (get(id)) throw mutationError(409, index, 'documentAlreadyExistsError', `Document by ID "${id}" already exists`, id)
          put(id, stamp(described.body, id, null), {create: {...described.body, _id: id}})
          results.push({id, operation: 'create'})
          break
        }
        case 'createOrReplace': {
          const id = described.body._id
          const existing = get(id)
          put(id, stamp(described.body, id, existing), mutation)
          results.push({id, operation: existing ? 'update' : 'create'})
          break
        }
        case 'createIfNotExists': {
          const id = described.body._id
          if (get(id)) {
            results.push({id, operation: 'none'})
          } else {
            put(id, stamp(described.body, id, null), mutation)
            results.push({id, operation: 'create'})
          }
          break
        }
        case 'delete': {
          for (const id of await this.#select(described.body, working, index)) {
            if (get(id)) put(id, null, {delete: {id}})
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
            put(id, stamp(patched, id, existing), {patch: {...stripSelection(described.body), id}})
            results.push({id, operation: 'update'})
          }
          break
        }
      }
    }

    const writes: DocumentWrite[] = []
    const changes: DocumentChange[] = []
    for (const [id, doc] of working) {
      const before = this.#docs.get(id) ?? null
      if (!before && !doc) continue
      writes.push({id, doc})
      changes.push({id, before, after: doc, mutations: touchedBy.get(id) ?? []})
    }

    const finalState = (id: string) => (working.has(id) ? working.get(id) : this.#docs.get(id))
    const withDocuments: MutationResultItem[] = results.map(({id, operation}) => {
      const document = operation === 'delete' ? (this.#docs.get(id) ?? undefined) : (finalState(id) ?? undefined)
      return document ? {id, operation, document} : {id, operation}
    })
    const result: TransactionResult = {
      transactionId,
      timestamp,
      results: withDocuments,
      documentIds: [...new Set(results.map((r) => r.id))],
    }
    if (options.dryRun || writes.length === 0) return result

    this.#file.commit(transactionId, timestamp, writes, options.onProgress)
    // Only after COMMIT succeeded does the in-memory state change.
    this.#applyToMemory(writes)
    const event: ChangeEvent = {
      dataset: this.name,
      transactionId,
      timestamp,
      identity: options.identity ?? 'lake',
      changes,
      documents: this.#sorted,
    }
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // A failing listener must not undo a committed transaction.
      }
    }
    return result
  }

  /** Resolves a mutation's selection (`id`, list of ids, or a GROQ query over the raw working state). */
  async #select(selection: Selection | PatchBody, working: Map<string, LakeDocument | null>, index: number): Promise<string[]> {
    if ('id' in selection && selection.id !== undefined) return Array.isArray(selection.id) ? selection.id : [selection.id]
    const query = 'query' in selection ? selection.query : undefined
    if (query === undefined) return []
    const params = ('params' in selection ? selection.params : undefined) ?? {}
    let docs = this.#sorted
    if (working.size > 0) {
      const merged = new Map(this.#docs)
      for (const [id, doc] of working) {
        if (doc) merged.set(id, doc)
        else merged.delete(id)
      }
      docs = [...merged.values()].sort((a, b) => compareIds(a._id, b._id))
    }
    let found: unknown
    try {
      found = await evaluateOver({tree: parseGroq(query, params), view: new View(docs), params})
    } catch (error) {
      const description = `Selection query failed: ${errorMessage(error)}`
      throw mutationError(400, index, isLakeError(error) ? error.type : 'queryError', description)
    }
    const items = Array.isArray(found) ? found : found === null || found === undefined ? [] : [found]
    const ids: string[] = []
    for (const item of items) {
      if (isRecord(item) && typeof item._id === 'string') ids.push(item._id)
      else throw mutationError(400, index, 'queryError', `Selection query "${query}" must return documents (objects with _id)`)
    }
    return [...new Set(ids)]
  }

  #applyToMemory(writes: readonly DocumentWrite[]): void {
    for (const {id, doc} of writes) {
      if (doc) this.#docs.set(id, doc)
      else this.#docs.delete(id)
    }
    if (writes.length > 64) {
      this.#sorted = [...this.#docs.values()].sort((a, b) => compareIds(a._id, b._id))
    } else {
      // Copy-on-write keeps snapshots handed to in-flight queries unchanged.
      const next = [...this.#sorted]
      for (const {id, doc} of writes) {
        const at = lowerBound(next, id)
        const hit = next[at]?._id === id
        if (doc) next.splice(at, hit ? 1 : 0, doc)
        else if (hit) next.splice(at, 1)
      }
      this.#sorted = next
    }
    this.#views.clear()
  }

  close(): void {
    this.#closed = true
    this.#listeners.clear()
    this.#file.close()
  }
}

function lowerBound(sorted: readonly LakeDocument[], id: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const midId = sorted[mid]?._id ?? ''
    if (midId < id) lo = mid + 1
    else hi = mid
  }
  return lo
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
    patched = new Mutation({mutations: [{patch}]}).apply(cloneJson(doc))
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
