import {randomBytes} from 'node:crypto'

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
  const bytes = randomBytes(length * 2)
  let out = ''
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const byte = bytes[i] ?? 0
    // Rejection sampling keeps the distribution uniform over 62 symbols.
    if (byte < 248) out += ALPHABET[byte % 62]
  }
  return out.length === length ? out : out + randomId(length - out.length)
}

/** Sanity timestamps have second precision and a `Z` suffix. */
export function timestampNow(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Every `_ref` in a document, for the refs table (reference lookups can use an index). */
export function collectRefs(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, into)
  } else if (isRecord(value)) {
    const ref = value._ref
    if (typeof ref === 'string') into.add(ref)
    for (const key in value) {
      const child = value[key]
      if (typeof child === 'object' && child !== null) collectRefs(child, into)
    }
  }
  return into
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

/** Deep copy of JSON data, so callers can never mutate what the store holds. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value)
}
