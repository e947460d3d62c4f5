import {LakeError} from './errors'

/**
 * The lake's documented limits (see the README, "Limits"). Every request is held to them
 * before any work is done for it, so no input can buffer, nest or run without bound.
 */

/** Time budget of one query (GROQ evaluation, listen-filter parsing, mutation selections). */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000

/**
 * Largest GROQ query text, in bytes of UTF-8. Sanity's hosted API refuses queries above
 * 300 kB ("Query Size Exceeded"); the lake uses the same figure.
 */
export const MAX_QUERY_BYTES = 300_000

/** Largest serialized query result. Larger results answer 413 instead of being buffered. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

/**
 * Deepest nesting of arrays and objects accepted in anything parsed from a request
 * (mutation bodies, documents, query parameters). Real documents nest a dozen levels
 * (Portable Text inside sections inside documents); the limit keeps recursive code
 * (validation, cloning, serialization, GROQ) far from the stack's end.
 */
export const MAX_JSON_DEPTH = 100

/** Deepest GROQ syntax tree the evaluator is given (after `||`/`&&` chains are balanced). */
export const MAX_QUERY_DEPTH = 500

/** Whether a JSON value nests deeper than `limit` (iterative, so it never overflows itself). */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: {value: unknown; depth: number}[] = [{value, depth: 0}]
  while (stack.length > 0) {
    const next = stack.pop()
    if (!next || typeof next.value !== 'object' || next.value === null) continue
    const depth = next.depth + 1
    if (depth > limit) return true
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value)
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({value: child, depth})
  }
  return false
}

/** Refuses values nested deeper than MAX_JSON_DEPTH with a 400 that names the limit. */
export function assertJsonDepth(value: unknown, where: string): void {
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw new LakeError(
      400,
      'invalidRequest',
      `${where} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; the lake accepts at most ${MAX_JSON_DEPTH} levels`,
    )
  }
}

/** Refuses query text above MAX_QUERY_BYTES with 413, before it is parsed. */
export function assertQuerySize(query: string, what = 'The query'): void {
  // Cheap upper bound first: a UTF-8 byte is at least one UTF-16 unit.
  if (query.length <= MAX_QUERY_BYTES / 3) return
  const bytes = Buffer.byteLength(query, 'utf8')
  if (bytes > MAX_QUERY_BYTES) {
    throw new LakeError(413, 'queryTooLarge', `${what} is ${bytes} bytes; the lake accepts GROQ queries of at most ${MAX_QUERY_BYTES} bytes (as Sanity's API does)`)
  }
}
