import {Chunked} from './chunked'
import {compareIds, type LakeDocument} from './documents'
import {type Perspective, PerspectiveRule, type View} from './views'

/** One document's new state in a committed transaction (null: deleted), with its stored JSON. */
export interface DocumentWrite {
  id: string
  doc: LakeDocument | null
  /** `JSON.stringify(doc)`, computed once for SQLite and for the query workers' change feed. */
  json: string | null
  /** The document existed and references exactly what it referenced before (its refs rows stay as they are). */
  sameReferences?: boolean
}

/**
 * A dataset's documents in memory: by id, in `_id` order, and the per-perspective views
 * queries evaluate over. The main thread (for mutations) and every query worker (for
 * queries) each hold one, kept equal by applying the same committed writes in the same
 * order; `seq` counts the transactions applied. Snapshots handed out (`documents()`,
 * views) never change: a write derives new ones (copy-on-write, views and their indexes
 * patched with only the changed documents), so a query that is still running keeps the
 * state it started on.
 */
export class DocumentSet {
  readonly #docs = new Map<string, LakeDocument>()
  /** In `_id` order, chunked so a write copies one chunk rather than the whole list. */
  #sorted: Chunked<LakeDocument>
  readonly #views = new Map<string, {rule: PerspectiveRule; view: View}>()
  #seq: number

  /** `docs` in `_id` order. */
  constructor(docs: readonly LakeDocument[], seq: number) {
    for (const doc of docs) this.#docs.set(doc._id, doc)
    this.#sorted = Chunked.from(docs)
    this.#seq = seq
  }

  get seq(): number {
    return this.#seq
  }

  /** Every document in `_id` order, as one array (flattened on first use after a write). */
  documents(): readonly LakeDocument[] {
    return this.#sorted.toArray()
  }

  /** The documents a perspective sees: built on first use, then patched by every write. */
  view(perspective: Perspective, allowPrivate: boolean): View {
    const key = `${allowPrivate ? 'private' : 'public'}:${JSON.stringify(perspective)}`
    let found = this.#views.get(key)
    if (!found) {
      const rule = new PerspectiveRule(perspective, allowPrivate)
      found = {rule, view: rule.build(this.#sorted.toArray(), (id) => this.#docs.get(id))}
      this.#views.set(key, found)
    }
    return found.view
  }

  /** Applies one committed transaction; `seq` becomes the transaction's sequence number. */
  apply(writes: readonly {id: string; doc: LakeDocument | null}[], seq: number): void {
    for (const {id, doc} of writes) {
      if (doc) this.#docs.set(id, doc)
      else this.#docs.delete(id)
    }
    if (writes.length > 64) {
      this.#sorted = Chunked.from([...this.#docs.values()].sort((a, b) => compareIds(a._id, b._id)))
    } else {
      const batch = this.#sorted.batch()
      for (const {id, doc} of writes) {
        const at = batch.first((item) => !(item._id < id))
        const hit = batch.at(at)?._id === id
        if (doc) {
          if (hit) batch.replace(at, doc)
          else batch.insert(at, doc)
        } else if (hit) batch.remove(at)
      }
      this.#sorted = batch.done()
    }
    const ids = writes.map(({id}) => id)
    const get = (id: string) => this.#docs.get(id)
    for (const entry of this.#views.values()) entry.view = entry.rule.patch(entry.view, ids, get)
    this.#seq = seq
  }
}
