/**
 * A Mendoza patch encoder: the effects format of Sanity's transaction log (`effectFormat=mendoza`),
 * which the Studio applies with the `mendoza` package (decoder only) to rebuild a document's
 * history and attribute each changed field to its transaction. `diffPatch(left, right)` returns
 * a patch that turns `left` into `right`; unchanged fields and array items are copied from the
 * input, so the Studio's field-level diff sees exactly what changed.
 *
 * Opcodes (mendoza's `internal-patcher`): 0 Value, 1 Copy, 2 Blank, 6 PushField, 7 PushElement,
 * 9 Pop, 10 PushFieldCopy, 12 PushElementCopy, 15 ReturnIntoObjectSameKeyPop,
 * 16 ReturnIntoArrayPop, 17 ObjectSetFieldValue, 18 ObjectCopyField, 19 ObjectDeleteField,
 * 20 ArrayAppendValue, 21 ArrayAppendSlice.
 */

export type MendozaPatch = unknown[]

const OP = {
  Value: 0,
  Blank: 2,
  PushFieldCopy: 10,
  PushElementCopy: 12,
  ReturnIntoObjectSameKeyPop: 15,
  ReturnIntoArrayPop: 16,
  ObjectSetFieldValue: 17,
  ObjectDeleteField: 19,
  ArrayAppendValue: 20,
  ArrayAppendSlice: 21,
  PushField: 6,
  Pop: 9,
} as const

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false
    return true
  }
  if (isObject(a)) {
    if (!isObject(b)) return false
    const keys = Object.keys(a)
    if (keys.length !== Object.keys(b).length) return false
    for (const key of keys) if (!(key in b) || !jsonEqual(a[key], b[key])) return false
    return true
  }
  return false
}

/**
 * The patch from `left` to `right` (either may be null: a create is `[0, doc]`, a delete
 * `[0, null]`, the shapes the Studio reads as "created" and "deleted"). Equal values give `[]`.
 */
export function diffPatch(left: unknown, right: unknown): MendozaPatch {
  if (jsonEqual(left, right)) return []
  const out: MendozaPatch = []
  if (isObject(left) && isObject(right)) {
    // The root output starts as the input itself; field operations copy it on first write.
    objectChanges(left, right, out)
  } else {
    out.push(OP.Value, right as Json)
  }
  return out
}

/** Mendoza addresses an input object's fields by their index in sorted key order. */
function sortedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).sort()
}

/** Edits the output object (a copy of `left`) into `right`. */
function objectChanges(left: Record<string, unknown>, right: Record<string, unknown>, out: MendozaPatch): void {
  const keys = sortedKeys(left)
  keys.forEach((key, index) => {
    if (!(key in right)) out.push(OP.ObjectDeleteField, index)
  })
  keys.forEach((key, index) => {
    if (!(key in right)) return
    const before = left[key]
    const after = right[key]
    if (jsonEqual(before, after)) return
    if (isObject(before) && isObject(after)) {
      out.push(OP.PushFieldCopy, index)
      objectChanges(before, after, out)
      out.push(OP.ReturnIntoObjectSameKeyPop)
    } else if (Array.isArray(before) && Array.isArray(after) && after.length > 0) {
      out.push(OP.PushField, index, OP.Blank)
      arrayChanges(before, after, out)
      out.push(OP.ReturnIntoObjectSameKeyPop)
    } else {
      out.push(OP.ObjectSetFieldValue, after as Json, key)
    }
  })
  for (const key of Object.keys(right)) {
    if (!(key in left)) out.push(OP.ObjectSetFieldValue, right[key] as Json, key)
  }
}

function keyOf(value: unknown): string | undefined {
  return isObject(value) && typeof value._key === 'string' ? value._key : undefined
}

/**
 * Builds the output array (blank) from `right`, copying runs of unchanged input items and
 * patching items matched by `_key` (or position) in place.
 */
function arrayChanges(left: unknown[], right: unknown[], out: MendozaPatch): void {
  const byKey = new Map<string, number>()
  left.forEach((item, index) => {
    const key = keyOf(item)
    if (key !== undefined && !byKey.has(key)) byKey.set(key, index)
  })
  let runStart = -1
  let runEnd = -1
  const flush = () => {
    if (runStart >= 0) out.push(OP.ArrayAppendSlice, runStart, runEnd)
    runStart = -1
  }
  right.forEach((item, position) => {
    const key = keyOf(item)
    const match = key !== undefined ? byKey.get(key) : position < left.length && keyOf(left[position]) === undefined ? position : undefined
    if (match !== undefined && jsonEqual(left[match], item)) {
      if (runStart >= 0 && runEnd === match) runEnd = match + 1
      else {
        flush()
        runStart = match
        runEnd = match + 1
      }
      return
    }
    flush()
    const before = match === undefined ? undefined : left[match]
    if (match !== undefined && isObject(before) && isObject(item)) {
      out.push(OP.PushElementCopy, match)
      objectChanges(before, item, out)
      out.push(OP.ReturnIntoArrayPop)
    } else {
      out.push(OP.ArrayAppendValue, item as Json)
    }
  })
  flush()
}
