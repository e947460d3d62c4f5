import {compareIds, type LakeDocument} from './documents'
import {type Perspective, PerspectiveRule, type View} from './views'

/** One document's new state in a committed transaction (null: deleted), with its stored JSON. */
export interface DocumentWrite {
  id: string
  doc: LakeDocument | null
  /** `JSON.stringify(doc)`, computed once for SQLite and for the query workers' change feed. */
  json: string | null
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
  #sorted: readonly LakeDocument[]
  readonly #views = new Map<string, {rule: PerspectiveRule; view: View}>()
  #seq: number

  /** `docs` in `_id` order. */
  constructor(docs: readonly LakeDocument[], seq: number) {
    for (const doc of docs) this.#docs.set(doc._id, doc)
    this.#sorted = docs
    this.#seq = seq
  }

  get seq(): number {
    return this.#seq
  }

  get size(): number {
    return this.#docs.size
  }

  documents(): readonly LakeDocument[] {
    return this.#sorted
  }

  get(id: string): LakeDocument | undefined {
    return this.#docs.get(id)
  }

  /** The documents a perspective sees: built on first use, then patched by every write. */
  view(perspective: Perspective, allowPrivate: boolean): View {
    const key = `${allowPrivate ? 'private' : 'public'}:${JSON.stringify(perspective)}`
    let found = this.#views.get(key)
    if (!found) {
      const rule = new PerspectiveRule(perspective, allowPrivate)
      found = {rule, view: rule.build(this.#sorted, (id) => this.#docs.get(id))}
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
      this.#sorted = [...this.#docs.values()].sort((a, b) => compareIds(a._id, b._id))
    } else {
      const next = this.#sorted.slice()
      for (const {id, doc} of writes) {
        const at = lowerBound(next, id)
        const hit = next[at]?._id === id
        if (doc) next.splice(at, hit ? 1 : 0, doc)
        else if (hit) next.splice(at, 1)
      }
      this.#sorted = next
    }
    const ids = writes.map(({id}) => id)
    const get = (id: string) => this.#docs.get(id)
    for (const entry of this.#views.values()) entry.view = entry.rule.patch(entry.view, ids, get)
    this.#seq = seq
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
