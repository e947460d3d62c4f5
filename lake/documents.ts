import {randomFillSync} from 'node:crypto'

/** A stored document: user fields plus the system fields the lake maintains. */
export interface LakeDocument {
  _id: string
  _type: string
  _rev: string
  _createdAt: string
  _updatedAt: string
  [field: string]: unknown
}

/** Same rules as Sanity: letters, digits, `.`, `_`, `-`; not starting with `-`; at most 128 characters. */
const ID_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,127}$/

export function isValidDocumentId(id: string): boolean {
  return ID_PATTERN.test(id) && !id.includes('..') && !id.endsWith('.')
}

/** Anonymous callers only see documents whose id has no `.` (drafts, versions and system documents are private). */
export function isPublicId(id: string): boolean {
  return !id.includes('.')
}

/** Code-unit order, the order `*` yields documents in (matches groq-js' own test runner). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Random base62 string, used for revisions, transaction ids, generated document ids and array keys. */
export function randomId(length = 22): string {
  let out = ''
  while (out.length < length) {
    const byte = randomByte()
    // Rejection sampling keeps the distribution uniform over 62 symbols.
    if (byte < 248) out += ALPHABET[byte % 62]
  }
  return out
}

/** Random bytes are drawn from the system generator a few kilobytes at a time (one call per id cost more than the rest of a small transaction). */
const randomPool = Buffer.alloc(4096)
let randomPoolAt = randomPool.length

function randomByte(): number {
  if (randomPoolAt === randomPool.length) {
    randomFillSync(randomPool)
    randomPoolAt = 0
  }
  return randomPool[randomPoolAt++] ?? 0
}

/** Sanity timestamps have second precision and a `Z` suffix. */
export function timestampNow(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export interface ReferenceTarget {
  to: string
  /** '' within the dataset; the target dataset of a cross-dataset reference. */
  dataset: string
  /** True when every reference of the document to this target is `_weak: true`. */
  weak: boolean
}

/** Every reference in a document (`{_ref}` objects, `_weak` and cross-dataset `_dataset` honoured), one per target. */
export function collectReferences(value: unknown): ReferenceTarget[] {
  const found = new Map<string, ReferenceTarget>()
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item)
    } else if (isRecord(node)) {
      const ref = node._ref
      if (typeof ref === 'string') {
        const dataset = typeof node._dataset === 'string' ? node._dataset : ''
        const key = `${dataset}\u0000${ref}`
        const weak = node._weak === true
        const seen = found.get(key)
        // One strong reference makes the pair strong.
        if (!seen) found.set(key, {to: ref, dataset, weak})
        else if (!weak) seen.weak = false
      }
      for (const key in node) {
        const child = node[key]
        if (typeof child === 'object' && child !== null) stack.push(child)
      }
    }
  }
  return [...found.values()]
}

/** Adds `_key` to objects inside arrays that lack one (the `autoGenerateArrayKeys` mutate option). */
export function withArrayKeys<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((item: unknown) => {
      const keyed = withArrayKeys(item)
      return isRecord(keyed) && typeof keyed._key !== 'string' ? {_key: randomId(12), ...keyed} : keyed
    }) as T
  }
  if (isRecord(value)) {
    const out: Record<string, unknown> = {}
    for (const key in value) out[key] = withArrayKeys(value[key])
    return out as T
  }
  return value
}

