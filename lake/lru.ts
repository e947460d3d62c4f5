/**
 * A map that keeps its most recently used entries: at most `entries` of them and, with a
 * `weight`, at most `maxWeight` between them; the least recently used go first. The lake's
 * caches (compiled queries, parsed query shapes, recent documents) are all this.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>()
  readonly #entries: number
  readonly #weight: ((value: V) => number) | undefined
  readonly #maxWeight: number
  #total = 0

  constructor(entries: number, weight?: {of: (value: V) => number; max: number}) {
    this.#entries = entries
    this.#weight = weight?.of
    this.#maxWeight = weight?.max ?? Number.POSITIVE_INFINITY
  }

  get(key: K): V | undefined {
    if (!this.#map.has(key)) return undefined
    const value = this.#map.get(key) as V
    this.#map.delete(key)
    this.#map.set(key, value)
    return value
  }

  /** Keeps `value` as the newest entry; one heavier than the whole budget is not kept. */
  set(key: K, value: V): void {
    this.delete(key)
    const weight = this.#weight?.(value) ?? 0
    if (weight > this.#maxWeight) return
    this.#map.set(key, value)
    this.#total += weight
    for (const oldest of this.#map.keys()) {
      if (this.#map.size <= this.#entries && this.#total <= this.#maxWeight) break
      this.delete(oldest)
    }
  }

  delete(key: K): void {
    if (!this.#map.has(key)) return
    const value = this.#map.get(key) as V
    this.#map.delete(key)
    this.#total -= this.#weight?.(value) ?? 0
  }
}
