import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {type Doc, SortedIndex} from '../../lake/indexes'

const KEYS = ['a', 'ab', 'abc', 'b', 'ba', 'c'] as const
const keysOf = (doc: Doc): readonly string[] => (Array.isArray(doc.keys) ? (doc.keys as string[]) : [])
const ids = (docs: readonly Doc[]) => docs.map((doc) => String(doc._id))

/** Documents `d0000`… with every one in the long posting `common` (over the chunking threshold) and some others. */
const scenario = fc.record({
  size: fc.integer({min: 1050, max: 1300}),
  keys: fc.array(fc.subarray([...KEYS]), {minLength: 1300, maxLength: 1300}),
  batches: fc.array(
    fc.array(fc.record({at: fc.integer({min: 0, max: 1400}), keys: fc.option(fc.subarray([...KEYS, 'common']), {nil: undefined})}), {minLength: 1, maxLength: 6}),
    {minLength: 1, maxLength: 8},
  ),
})

describe('SortedIndex', () => {
  it('after any writes, finds exactly the documents an index built from scratch finds', () => {
    fc.assert(
      fc.property(scenario, ({size, keys, batches}) => {
        const id = (n: number) => `d${String(n).padStart(4, '0')}`
        const state = new Map<string, Doc>()
        for (let n = 0; n < size; n++) state.set(id(n), {_id: id(n), keys: ['common', ...(keys[n] ?? [])]})
        const sorted = () => [...state.values()].sort((x, y) => (String(x._id) < String(y._id) ? -1 : 1))
        let index = SortedIndex.build(sorted(), keysOf)
        for (const batch of batches) {
          const changes = new Map<string, {id: string; before: Doc | undefined; after: Doc | undefined}>()
          for (const {at, keys: next} of batch) {
            const docId = id(at)
            const before = changes.has(docId) ? changes.get(docId)?.before : state.get(docId)
            // undefined keys: the document is deleted (or stays absent).
            const after = next === undefined ? undefined : {_id: docId, keys: next, version: Math.random()}
            changes.set(docId, {id: docId, before, after})
            if (after) state.set(docId, after)
            else state.delete(docId)
          }
          index = index.with([...changes.values()])
          const fresh = SortedIndex.build(sorted(), keysOf)
          for (const key of [...KEYS, 'common', 'zz']) {
            expect(ids(index.lookup(key)), key).toEqual(ids(fresh.lookup(key)))
            expect(index.count(key)).toBe(fresh.count(key))
          }
          for (const prefix of ['a', 'ab', 'b', 'c', 'co', 'z', '']) {
            expect(ids(index.withPrefix(prefix)), prefix).toEqual(ids(fresh.withPrefix(prefix)))
            expect(index.prefixCount(prefix)).toBe(fresh.prefixCount(prefix))
          }
        }
      }),
      {seed: 5, numRuns: 40},
    )
  })
})
