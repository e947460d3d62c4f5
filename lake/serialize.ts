/**
 * `JSON.stringify` with a size cap: stops (returns undefined) as soon as the output would
 * pass `maxLength` characters, so an enormous query result is never built as one string.
 * Output is identical to `JSON.stringify(value)` otherwise (same key order, `toJSON`,
 * `undefined`/functions dropped from objects and written as null in arrays).
 */
export function stringifyCapped(value: unknown, maxLength: number): string | undefined {
  const parts: string[] = []
  let length = 0
  const push = (text: string): boolean => {
    length += text.length
    if (length > maxLength) return false
    parts.push(text)
    return true
  }
  const write = (input: unknown): boolean => {
    let item = input
    if (typeof item === 'object' && item !== null && typeof (item as {toJSON?: unknown}).toJSON === 'function') {
      item = (item as {toJSON: () => unknown}).toJSON()
    }
    if (item === null || item === undefined || typeof item === 'function' || typeof item === 'symbol') return push('null')
    if (typeof item !== 'object') return push(JSON.stringify(item) ?? 'null')
    if (Array.isArray(item)) {
      if (!push('[')) return false
      for (let i = 0; i < item.length; i++) {
        if (i > 0 && !push(',')) return false
        if (!write(item[i])) return false
      }
      return push(']')
    }
    if (!push('{')) return false
    let first = true
    const record = item as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const child = record[key]
      if (child === undefined || typeof child === 'function' || typeof child === 'symbol') continue
      if (!push(`${first ? '' : ','}${JSON.stringify(key)}:`)) return false
      first = false
      if (!write(child)) return false
    }
    return push('}')
  }
  return write(value) ? parts.join('') : undefined
}
