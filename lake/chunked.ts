/**
 * An immutable sequence stored as chunks of a few hundred items. Inserting or removing one
 * item copies one chunk and the chunk directory, so a write to a view of 100k documents
 * costs microseconds instead of copying 100k-entry arrays (and the garbage that leaves).
 */
const TARGET = 512
const MAX = 1024

/** The first index in `[from, items.length)` whose item makes `test` true, for a `test` that is false, then true along `items`. */
export function firstIndex<T>(items: readonly T[], test: (item: T) => boolean, from = 0): number {
  let lo = from
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (test(items[mid] as T)) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** A chunk's last item (chunks are never empty). */
function lastOf<T>(chunk: readonly T[]): T {
  return chunk[chunk.length - 1] as T
}

/** The first chunk whose last item makes `test` true. */
function firstChunk<T>(chunks: readonly (readonly T[])[], test: (item: T) => boolean): number {
  return firstIndex(chunks, (chunk) => test(lastOf(chunk)))
}

export class Chunked<T> {
  readonly #chunks: readonly (readonly T[])[]
  /** Position of each chunk's first item. */
  readonly #starts: readonly number[]
  readonly length: number
  #array: readonly T[] | undefined

  private constructor(chunks: readonly (readonly T[])[]) {
    this.#chunks = chunks
    const starts: number[] = []
    let length = 0
    for (const chunk of chunks) {
      starts.push(length)
      length += chunk.length
    }
    this.#starts = starts
    this.length = length
  }

  /** A sequence of these chunks (each non-empty), as they are. */
  static fromChunks<T>(chunks: readonly (readonly T[])[]): Chunked<T> {
    return new Chunked<T>(chunks)
  }

  static from<T>(items: readonly T[]): Chunked<T> {
    const chunks: T[][] = []
    for (let at = 0; at < items.length; at += TARGET) chunks.push(items.slice(at, at + TARGET))
    // Not keeping `items` as the flat array: callers build from arrays push() grew (spare capacity).
    return new Chunked<T>(chunks)
  }

  /** Which chunk holds position `at` (the last chunk for `at === length`). */
  #chunkOf(at: number): number {
    let lo = 0
    let hi = this.#starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if ((this.#starts[mid] ?? 0) <= at) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  at(at: number): T | undefined {
    if (at < 0 || at >= this.length) return undefined
    const chunk = this.#chunkOf(at)
    return this.#chunks[chunk]?.[at - (this.#starts[chunk] ?? 0)]
  }

  /** The first position whose item makes `test` true, for a `test` that is false, then true along the sequence. */
  first(test: (item: T) => boolean): number {
    // The first chunk whose last item passes, then bisect inside it.
    const chunk = firstChunk(this.#chunks, test)
    if (chunk === this.#chunks.length) return this.length
    return (this.#starts[chunk] ?? 0) + firstIndex(this.#chunks[chunk] ?? [], test)
  }

  /** Items in `[from, to)`. */
  slice(from: number, to: number): T[] {
    const out: T[] = []
    if (from >= to) return out
    let chunk = this.#chunkOf(from)
    let offset = from - (this.#starts[chunk] ?? 0)
    while (out.length < to - from && chunk < this.#chunks.length) {
      const items = this.#chunks[chunk] ?? []
      const take = Math.min(items.length - offset, to - from - out.length)
      for (let i = 0; i < take; i++) out.push(items[offset + i] as T)
      chunk++
      offset = 0
    }
    return out
  }

  /** Every item, as one array (built once per sequence). */
  toArray(): readonly T[] {
    this.#array ??= this.#chunks.flat() as T[]
    return this.#array
  }

  /** A new sequence with `item` inserted at position `at`. */
  insert(at: number, item: T): Chunked<T> {
    if (this.#chunks.length === 0) return new Chunked([[item]])
    const index = this.#chunkOf(at)
    const chunk = (this.#chunks[index] ?? []).slice()
    chunk.splice(at - (this.#starts[index] ?? 0), 0, item)
    const chunks = this.#chunks.slice()
    if (chunk.length > MAX) chunks.splice(index, 1, chunk.slice(0, chunk.length >>> 1), chunk.slice(chunk.length >>> 1))
    else chunks[index] = chunk
    return new Chunked(chunks)
  }

  /** A new sequence without the item at position `at`. */
  remove(at: number): Chunked<T> {
    if (at < 0 || at >= this.length) return this
    const index = this.#chunkOf(at)
    const chunk = (this.#chunks[index] ?? []).slice()
    chunk.splice(at - (this.#starts[index] ?? 0), 1)
    const chunks = this.#chunks.slice()
    if (chunk.length === 0) chunks.splice(index, 1)
    else chunks[index] = chunk
    return new Chunked(chunks)
  }

  /** A new sequence with the item at `at` replaced. */
  replace(at: number, item: T): Chunked<T> {
    if (at < 0 || at >= this.length) return this
    const index = this.#chunkOf(at)
    const chunk = (this.#chunks[index] ?? []).slice()
    chunk[at - (this.#starts[index] ?? 0)] = item
    const chunks = this.#chunks.slice()
    chunks[index] = chunk
    return new Chunked(chunks)
  }

  /** Edits many positions at once: each chunk is copied at most once, the directory once (see ChunkedBatch). */
  batch(): ChunkedBatch<T> {
    return new ChunkedBatch(this.#chunks)
  }
}

/**
 * A batch of edits on a Chunked sequence, addressed by (chunk, offset) so positions need no
 * directory between edits: a document with hundreds of index keys (its words) changes in
 * one pass instead of copying the directory hundreds of times.
 */
export class ChunkedBatch<T> {
  readonly #chunks: T[][]
  readonly #copied = new Set<number>()

  constructor(chunks: readonly (readonly T[])[]) {
    // The directory is copied; chunks are shared until edited.
    this.#chunks = chunks.slice() as T[][]
  }

  /** The first (chunk, offset) whose item makes `test` true, like Chunked.first. */
  first(test: (item: T) => boolean): {chunk: number; offset: number} {
    const chunk = firstChunk(this.#chunks, test)
    if (chunk === this.#chunks.length) {
      const last = this.#chunks.length - 1
      return last < 0 ? {chunk: -1, offset: 0} : {chunk: last, offset: this.#chunks[last]?.length ?? 0}
    }
    return {chunk, offset: firstIndex(this.#chunks[chunk] ?? [], test)}
  }

  at({chunk, offset}: {chunk: number; offset: number}): T | undefined {
    return this.#chunks[chunk]?.[offset]
  }

  #writable(index: number): T[] {
    if (!this.#copied.has(index)) {
      this.#chunks[index] = (this.#chunks[index] ?? []).slice()
      this.#copied.add(index)
    }
    return this.#chunks[index] ?? []
  }

  insert({chunk, offset}: {chunk: number; offset: number}, item: T): void {
    if (chunk < 0) {
      this.#chunks.push([item])
      this.#copied.add(this.#chunks.length - 1)
      return
    }
    this.#writable(chunk).splice(offset, 0, item)
  }

  replace({chunk, offset}: {chunk: number; offset: number}, item: T): void {
    this.#writable(chunk)[offset] = item
  }

  remove({chunk, offset}: {chunk: number; offset: number}): void {
    const items = this.#writable(chunk)
    items.splice(offset, 1)
    // An empty chunk has no last item to search by: drop it now (the copied set shifts with it).
    if (items.length === 0) {
      this.#chunks.splice(chunk, 1)
      const shifted = [...this.#copied].filter((index) => index !== chunk).map((index) => (index > chunk ? index - 1 : index))
      this.#copied.clear()
      for (const index of shifted) this.#copied.add(index)
    }
  }

  /** The edited sequence (chunks that grew too long are split). */
  done(): Chunked<T> {
    const chunks: T[][] = []
    for (const chunk of this.#chunks) {
      if (chunk.length > MAX) for (let at = 0; at < chunk.length; at += TARGET) chunks.push(chunk.slice(at, at + TARGET))
      else if (chunk.length > 0) chunks.push(chunk)
    }
    return Chunked.fromChunks(chunks)
  }
}
