/**
 * `JSON.stringify` with a size cap: returns undefined instead of a string longer than
 * `maxLength` characters, and never builds such a string. Each top-level element (or
 * attribute) is first measured by a walk that builds nothing and stops at the cap, then
 * serialized natively, so output is exactly `JSON.stringify(value)`.
 */
export function stringifyCapped(value: unknown, maxLength: number): string | undefined {
  let remaining = maxLength
  const native = (item: unknown): string | undefined => {
    const estimate = upperBound(item, remaining)
    if (estimate === undefined) return undefined
    const text = JSON.stringify(item) ?? 'null'
    remaining -= text.length
    return remaining < 0 ? undefined : text
  }
  if (Array.isArray(value)) {
    const parts: string[] = []
    for (const item of value) {
      const text = native(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item)
      if (text === undefined) return undefined
      parts.push(text)
    }
    const out = `[${parts.join(',')}]`
    return out.length > maxLength ? undefined : out
  }
  return native(value)
}

/**
 * An upper bound of the serialized length (strings counted with their worst-case escaping),
 * or undefined as soon as it passes `limit`. Iterative, so depth cannot overflow it.
 */
function upperBound(value: unknown, limit: number): number | undefined {
  let total = 0
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    let item = stack.pop()
    if (typeof item === 'object' && item !== null && typeof (item as {toJSON?: unknown}).toJSON === 'function') {
      item = (item as {toJSON: () => unknown}).toJSON()
    }
    if (typeof item === 'string') total += item.length * 6 + 2
    else if (Array.isArray(item)) {
      total += 2 + item.length
      for (const child of item) stack.push(child)
    } else if (typeof item === 'object' && item !== null) {
      for (const key in item) {
        total += key.length * 6 + 4
        stack.push((item as Record<string, unknown>)[key])
      }
      total += 2
    } else total += 24
    if (total > limit) return undefined
  }
  return total
}
